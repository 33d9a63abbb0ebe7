"""How a number is written for a reader: compact (``120k``, ``1.2M``), never ``1e6``.

The one formatter of tick labels and of the printed differences table, so a
figure and the terminal write a number alike.
"""

from __future__ import annotations

import math

__all__ = ["compact"]

_UNITS = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def compact(value: float, signed: bool = False, digits: int = 2) -> str:
    """Return ``value`` in at most ``digits`` significant digits past a unit suffix.

    ``1_234_567`` gives ``1.2M``, ``120_000`` ``120k``, ``950`` ``950``,
    ``0.42`` ``0.42``; ``signed`` puts ``+`` before a positive value (a
    difference); NaN gives ``n/a``.

    Parameters
    ----------
    value : float
    signed : bool
    digits : int
        Significant digits kept (at least as many as the integer part of the
        scaled value, so ``120k`` is not cut to ``1.2e2k``).
    """
    if math.isnan(value):
        return "n/a"
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    size = abs(value)
    suffix = ""
    for scale, unit in _UNITS:
        if size >= scale * 0.9995:  # 999_600 reads 1.0M, not 1,000k
            size, suffix = size / scale, unit
            break
    if size == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(size)))
    text = f"{size:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}{text}{suffix}"
