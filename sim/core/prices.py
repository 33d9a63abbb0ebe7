"""Market prices: each chip's price moves with last month's orders against its output.

The array version of ``ExportControlModel.set_prices`` (``Vendor.set_price``).
A chip's *price index* is its market price over its list price. At the start
of month ``t`` it moves by ``price_adjustment`` times last month's excess of
approved orders over output, ``min(orders / output - 1, 1)``, and stays within
``[price_floor, price_ceiling]``; a chip that made nothing last month keeps
its index. Buyers' demand responds to the index (:func:`demand_factor`).
Rented remote compute has a price index of its own, moved by the same rule
(:func:`moved_index`) with last month's rent requests over the compute
offered for rent, and rent requests respond to it by the same
:func:`price_response` (``sim.core.renting``).
"""

from __future__ import annotations

import numpy as np

from sim.core.layout import Layout
from sim.core.point_chips import per_firm
from sim.core.points import column, scenario_value, varies
from sim.core.state import State, evolve
from sim.scenario.schema import MarketConfig
from sim.world.market import NO_CHIP

__all__ = ["demand_factor", "moved_index", "price_response", "set_prices"]


def moved_index(index: np.ndarray, demanded: np.ndarray, supplied: np.ndarray,
                market: MarketConfig) -> np.ndarray:
    """Move a price index by last month's demand over supply, within the floor and ceiling.

    ``min(ceiling, max(floor, index x (1 + price_adjustment x min(demanded /
    supplied - 1, 1))))``, where ``supplied`` is positive; elsewhere the
    index is kept. ``demanded / supplied`` divides two int64 arrays as
    float64, as the model divides ``float(demanded) / float(supplied)``.

    Parameters
    ----------
    index : ndarray of shape (R,) or (R, K), float64
    demanded : ndarray of the shape of ``index``, int64
    supplied : ndarray broadcastable to ``index``, int64
    market : MarketConfig
        ``price_adjustment``, ``price_floor`` and ``price_ceiling``.

    Returns
    -------
    ndarray of the shape of ``index``, float64
    """
    excess = np.minimum(demanded / np.maximum(supplied, 1) - 1.0, 1.0)
    moved = index * (1.0 + market.price_adjustment * excess)
    moved = np.minimum(market.price_ceiling, np.maximum(market.price_floor, moved))
    return np.where(supplied > 0, moved, index)


def price_response(index: np.ndarray, elasticity: float) -> np.ndarray:
    """Share of its list-price demand a buyer keeps at a price index: ``1 / (1 + e x (I - 1))``.

    Parameters
    ----------
    index : ndarray of any shape, float64
    elasticity : float
        ``market.price_elasticity``.

    Returns
    -------
    ndarray of the shape of ``index``, float64
    """
    return 1.0 / (1.0 + elasticity * (index - 1.0))


def set_prices(layout: Layout, state: State, t: int) -> State:
    """Move every chip's price index by last month's orders over output, and the rental index.

    The rental index moves by last month's rent requests over the compute
    offered for rent (``rent_requested_tpp``, ``rent_offered_tpp``); with
    nothing offered (``market.cloud_share = "unlimited"``) it stays at 1.
    The same float operations in the same order as the model keep the two
    implementations equal bit for bit.
    """
    if t == 0:
        return state
    market = layout.world.scenario.market
    output = layout.world.market.capacity[t - 1]
    price = moved_index(state.price_index, state.vendor_orders_chips, output, market)
    rental = moved_index(state.rental_index, state.rent_requested_tpp, state.rent_offered_tpp,
                         market)
    return evolve(state, price_index=price, rental_index=rental)


def demand_factor(layout: Layout, state: State, t: int) -> np.ndarray | None:
    """Share of its list-price demand each firm keeps at its chip's market price, (R, F).

    :func:`price_response` for the chip the firm orders; 1 where it orders
    nothing. ``None`` when the elasticity is 0 (demand does not respond to
    price: nothing to multiply).
    """
    elasticity = scenario_value(layout, state.point, "market.price_elasticity")
    if not varies(elasticity) and elasticity == 0.0:
        return None
    factor = price_response(state.price_index, column(elasticity))  # 1 exactly where e = 0
    none = np.ones((len(factor), 1))  # a last column, of 1, for the firms that order no chip
    chip = per_firm(layout, state.point, t, "chip")
    column_of = np.where(chip == NO_CHIP, factor.shape[1], chip)
    factors = np.hstack([factor, none])
    if column_of.ndim == 1:
        return factors[:, column_of]
    return np.take_along_axis(factors, column_of, axis=1)  # each run its point's chips
