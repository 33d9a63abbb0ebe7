"""What every figure shares: the file backend, how a figure is saved, label wrapping."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt

__all__ = ["save_figure", "wrap"]


def save_figure(fig: plt.Figure, path: Path, dpi: int = 110,
                bbox_inches: str | None = None) -> Path:
    """Write ``fig`` as a PNG at ``path`` (creating folders), close it, return ``path``.

    ``bbox_inches="tight"`` crops the canvas to what is drawn.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches=bbox_inches)
    plt.close(fig)
    return path


def wrap(text: str, width: int = 28) -> str:
    """Break a long axis label or title into lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width))
