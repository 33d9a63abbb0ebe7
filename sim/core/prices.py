"""Market prices: each chip's price moves with last month's orders against its output.

The array version of ``ExportControlModel.set_prices`` (``Vendor.set_price``).
A chip's *price index* is its market price over its list price. At the start
of month ``t`` it moves by ``price_adjustment`` times last month's excess of
approved orders over output, ``min(orders / output - 1, 1)``, and stays within
``[price_floor, price_ceiling]``; a chip that made nothing last month keeps
its index. Buyers' demand responds to the index (:func:`demand_factor`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.core.layout import Layout
from sim.core.state import State
from sim.world.market import NO_CHIP

__all__ = ["demand_factor", "set_prices"]


def set_prices(layout: Layout, state: State, t: int) -> State:
    """Move every chip's price index by last month's orders over output.

    ``orders / output`` divides two int64 arrays as float64, as the model
    divides ``float(orders) / float(output)``; the same float operations in
    the same order keep the two implementations equal bit for bit.
    """
    if t == 0:
        return state
    market = layout.world.scenario.market
    output = layout.world.market.capacity[t - 1]
    made = output > 0
    excess = np.minimum(state.vendor_orders_chips / np.maximum(output, 1) - 1.0, 1.0)
    moved = state.price_index * (1.0 + market.price_adjustment * excess)
    moved = np.minimum(market.price_ceiling, np.maximum(market.price_floor, moved))
    return replace(state, price_index=np.where(made, moved, state.price_index))


def demand_factor(layout: Layout, state: State, t: int) -> np.ndarray | None:
    """Share of its list-price demand each firm keeps at its chip's market price, (R, F).

    ``1 / (1 + price_elasticity x (index - 1))`` for the chip the firm
    orders; 1 where it orders nothing. ``None`` when the elasticity is 0
    (demand does not respond to price: nothing to multiply).
    """
    elasticity = layout.world.scenario.market.price_elasticity
    if elasticity == 0.0:
        return None
    factor = 1.0 / (1.0 + elasticity * (state.price_index - 1.0))
    chip = layout.chip[t]
    per_firm = factor[:, np.maximum(chip, 0)]
    return np.where(chip == NO_CHIP, 1.0, per_firm)
