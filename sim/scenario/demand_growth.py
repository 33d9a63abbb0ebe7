"""How demand grows with the calendar: a constant factor a year, or the world's shipments.

Every country's ``growth_per_year`` is either a number, the factor demand
grows by in a year, or ``"reference"``: demand grows as the trend of the
world's shipments of traded accelerators in ``sim/reference/supply.csv``
(:func:`sim.reference.supply.shipment_trend_tpp`, a centred 12-month mean,
docs/sources.md §22). Both count from ``market.demand_reference_month``,
where the multiplier is 1, backwards and forwards, so a run's demand depends
on the calendar month and not on the month the run starts in.

The reference path makes the *level* of demand follow what was sold over
each year while leaving the month-to-month profile to the market: a chip
ramp that outruns the trend (the H100 in 2023) shows as a shortage and a
higher price, and one that lags it as stock at a lower price.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from sim.months import month_labels, months_between
from sim.reference.supply import shipment_trend_tpp

__all__ = ["growth_path", "largest_growth"]


def growth_path(growth_per_year: float | str, reference_month: str,
                dates: Sequence[str]) -> np.ndarray:
    """Return the demand multiplier of each month, 1 in ``reference_month``.

    Parameters
    ----------
    growth_per_year : float or ``"reference"``
        A constant factor a year (``growth ** (m / 12)`` with ``m`` the months
        from the reference month, negative before it), or the world's
        shipment trend relative to its value in the reference month.
    reference_month : str
        ``"YYYY-MM"``.
    dates : sequence of str
        The months, ``"YYYY-MM"``.

    Returns
    -------
    ndarray of shape (len(dates),), float64
    """
    if growth_per_year == "reference":
        trend = shipment_trend_tpp((reference_month, *dates))
        return trend[1:] / trend[0]
    months = np.array([months_between(reference_month, d) for d in dates], dtype=np.float64)
    return np.array([float(growth_per_year) ** (m / 12) for m in months], dtype=np.float64)


@functools.lru_cache(maxsize=256)  # pure; the consistency checks ask once per country
def largest_growth(growth_per_year: float | str, reference_month: str, last_month: str) -> float:
    """Return the largest multiplier from ``reference_month`` to ``last_month``, at least 1.

    What bounds a firm's demand in the window's last month: a constant
    factor below 1 never raises demand above its reference size, and the
    reference path is checked month by month.
    """
    months = months_between(reference_month, last_month)
    if growth_per_year == "reference":
        if months <= 0:
            return 1.0
        dates = month_labels(reference_month, months + 1)
        return max(1.0, float(growth_path("reference", reference_month, dates).max()))
    return max(float(growth_per_year), 1.0) ** (max(months, 0) / 12)
