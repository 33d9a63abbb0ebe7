"""What every figure shares: the file backend, how a figure is saved, labels and tick labels.

Tick labels never use offset or scientific notation: :class:`ReadableFormatter`
writes ``1,200,000`` (``separators``) or ``1.2M`` (``compact``, with
:func:`sim.experiment.numbers.compact`), with as few digits as keep
neighbouring ticks apart.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.axis import Axis
from matplotlib.ticker import Formatter, LogLocator, NullFormatter

from sim.atomic import make_folder, write_atomically
from sim.experiment.numbers import compact

__all__ = [
    "ReadableFormatter",
    "figure_title",
    "readable_axis",
    "readable_log_axis",
    "save_figure",
    "wrap",
]

_MOST_DIGITS = 10


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


def figure_title(fig: plt.Figure, text: str, fontsize: float = 10) -> float:
    """Set ``text`` as the figure's title, wrapped to its width; return the top of the panels.

    Returns
    -------
    float
        The share of the figure's height left below the title, for
        ``fig.tight_layout(rect=(0, 0, 1, top))``.
    """
    width, height = fig.get_size_inches()
    lines = wrap(text, max(40, int(width * 130 / fontsize)))
    fig.suptitle(lines, fontsize=fontsize)
    return 1 - (0.12 + 0.18 * (lines.count("\n") + 1) * fontsize / 10) / height


def wrap(text: str, width: int = 28) -> str:
    """Break a long axis label or title into lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width))


class ReadableFormatter(Formatter):
    """Tick labels in plain numbers, no offset: ``1,200,000`` or ``1.2M``.

    Parameters
    ----------
    style : {"separators", "compact"}
        Thousands separators, or a unit suffix (``120k``, ``1.2M``).
    signed : bool
        ``+`` before positive values (an axis of differences).
    """

    def __init__(self, style: str = "separators", signed: bool = False) -> None:
        self.style = style
        self.signed = signed
        self.ticks: list[float] = []

    def set_locs(self, locs: Sequence[float]) -> None:
        """Note the tick locations (the labels depend on all of them)."""
        self.ticks = [float(v) for v in locs]

    def __call__(self, x: float, pos: int | None = None) -> str:
        """Return the label of the tick at ``x``."""
        return self._label(x, self._digits())

    def _label(self, value: float, digits: int) -> str:
        if abs(value) < 1e-12 * max(1.0, *(abs(v) for v in self.ticks)):
            value = 0.0  # a tick at 0 drawn as -1e-17
        if self.style == "compact":
            return compact(value, signed=self.signed, digits=digits)
        sign = "+" if self.signed and value > 0 else ""
        whole = math.floor(math.log10(abs(value))) + 1 if value else 1
        text = f"{value:,.{max(0, digits - whole)}f}"
        return sign + (text.rstrip("0").rstrip(".") if "." in text else text)

    def _digits(self) -> int:
        """Return the fewest significant digits that tell the ticks apart exactly."""
        ticks = [v for v in self.ticks if math.isfinite(v)]
        for digits in range(1, _MOST_DIGITS):
            labels = [self._label(v, digits) for v in ticks]
            if (len(set(labels)) == len(labels)
                    and labels == [self._label(v, digits + 1) for v in ticks]):
                return digits
        return _MOST_DIGITS


def readable_axis(axis: Axis, style: str = "separators", signed: bool = False) -> None:
    """Label ``axis`` with :class:`ReadableFormatter` (no offset, no ``1e6``)."""
    axis.set_major_formatter(ReadableFormatter(style, signed))


def readable_log_axis(axis: Axis) -> None:
    """Label a log-scale ``axis`` at 1, 2 and 5 per decade in plain numbers (no ``10^x``)."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(ReadableFormatter("compact"))
    axis.set_minor_formatter(NullFormatter())
