"""What every figure shares: the file backend, how a figure is saved, label wrapping."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt

from sim.atomic import make_folder, write_atomically

__all__ = ["save_figure", "wrap"]


def save_figure(fig: plt.Figure, path: Path, dpi: int = 110,
                bbox_inches: str | None = None) -> Path:
    """Write ``fig`` as a PNG at ``path`` (creating folders), close it, return ``path``.

    The file is written atomically (:func:`sim.atomic.write_atomically`): a
    killed or failed write leaves no truncated PNG. ``bbox_inches="tight"``
    crops the canvas to what is drawn.

    Raises
    ------
    OutputError
        If the disk is full or the folder is not writable.
    """
    try:
        make_folder(path.parent)
        write_atomically(path, lambda handle: fig.savefig(handle, format="png", dpi=dpi,
                                                          bbox_inches=bbox_inches))
    finally:
        plt.close(fig)
    return path


def wrap(text: str, width: int = 28) -> str:
    """Break a long axis label or title into lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width))
