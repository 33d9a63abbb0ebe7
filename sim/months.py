"""Calendar months as ``"YYYY-MM"`` labels: counting between them and listing them."""

from __future__ import annotations

import calendar

__all__ = ["month_end", "month_labels", "months_between"]


def months_between(first: str, last: str) -> int:
    """Months from ``first`` to ``last`` (``"YYYY-MM"``), negative when ``last`` is earlier."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7])


def month_labels(start: str, months: int) -> tuple[str, ...]:
    """Return ``months`` consecutive ``"YYYY-MM"`` labels from ``start``."""
    year, month = int(start[:4]), int(start[5:7])
    return tuple(f"{year + (month - 1 + t) // 12:04d}-{(month - 1 + t) % 12 + 1:02d}"
                 for t in range(months))


def month_end(month: str) -> str:
    """Return the last day of ``month`` (``"YYYY-MM"``) as ``"YYYY-MM-DD"``."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"
