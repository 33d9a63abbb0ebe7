"""The catch risk a broker faces this month, shared by route choice, entry and diversion.

Array version of ``Country.catch_probability``.
"""

from __future__ import annotations

import numpy as np

from sim.core.layout import Layout
from sim.core.state import State

__all__ = ["catch_probability"]


def catch_probability(layout: Layout, state: State, t: int,
                      where: np.ndarray | None = None) -> np.ndarray:
    """Chance this month that one shipment through each country of ``where`` is caught, (R, n).

    The rules' probability there, times one plus the country's vigilance, at
    most 1; an end-use check catches ``rules.end_use_checks`` of what that
    misses (``Country.catch_probability``). ``where`` (country indices)
    defaults to each broker's country, (R, B).
    """
    world = layout.world
    if where is None:
        where = layout.country[layout.brokers]
    points = layout.points
    table = (world.catch_probability[t] if points is None or points.catch_probability is None
             else points.catch_probability[state.point, t])  # (C,), or (R, C) by point
    catch = np.minimum(1.0, table[..., where] * (1.0 + state.vigilance[:, where]))
    return catch + (1.0 - catch) * world.at(t).rules.end_use_checks
