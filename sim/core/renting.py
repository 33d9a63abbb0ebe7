"""Remote compute: buyers short of chips rent from the installed base that may hold it.

Array version of ``ExportControlModel.rent`` (with ``Firm.rent_request``).
With a supplier, rented compute has a price index (``State.rental_index``,
moved by ``sim.core.prices.set_prices``) that rent requests respond to.
"""

from __future__ import annotations

import numpy as np

from sim.core.allocation import muldiv, pro_rata
from sim.core.layout import Layout
from sim.core.points import column, scenario_value, varies
from sim.core.prices import price_response
from sim.core.state import State, evolve

__all__ = ["rent", "rent_requests", "rental_factor"]


def rent_requests(layout: Layout, state: State, t: int) -> np.ndarray:
    """Remote compute each buyer asks to rent this month, (R, F) int64 TPP.

    ``int(missing x remote_share)`` of what shipments and substitution left
    missing, while remote compute is allowed; in a restricted destination,
    ``int(request x (1 - rules.cloud_kyc))``; then, with a supplier,
    ``min(int(request x rental_factor), missing)`` (:func:`rental_factor`,
    left out when it is ``None``; below list price the factor exceeds 1, and
    no one rents more than is missing); brokers ask for none.
    """
    world = layout.world
    rules = world.at(t).rules
    if not rules.remote_compute_allowed:
        return np.zeros_like(state.request_tpp)
    missing = state.shortfall_tpp
    share = column(scenario_value(layout, state.point, "market.remote_share"))
    request = (missing * share).astype(np.int64)
    restricted = np.flatnonzero(layout.restricted[t])
    if restricted.size and rules.cloud_kyc > 0:
        request[:, restricted] = (request[:, restricted] * (1.0 - rules.cloud_kyc)).astype(np.int64)
    factor = rental_factor(layout, state)
    if factor is not None:  # below list price demand grows, but never beyond what is missing
        priced = np.minimum((request * factor[:, None]).astype(np.int64), np.maximum(missing, 0))
        elasticity = scenario_value(layout, state.point, "market.price_elasticity")
        request = np.where(column(elasticity) == 0, request, priced) if varies(elasticity) \
            else priced
    return np.where(layout.is_broker, 0, request)


def rental_factor(layout: Layout, state: State) -> np.ndarray | None:
    """Share of its rent request each buyer keeps at the rental price index, (R,) float64.

    :func:`~sim.core.prices.price_response` at ``State.rental_index``, as
    chip demand responds to a chip's index. ``None`` (nothing to multiply)
    under ``market.cloud_share = "unlimited"``, where renting has no price,
    or when the elasticity is 0.
    """
    elasticity = scenario_value(layout, state.point, "market.price_elasticity")
    if layout.world.scenario.market.cloud_share == "unlimited" or (
            not varies(elasticity) and elasticity == 0.0):
        return None
    return price_response(state.rental_index, elasticity)


def rent(layout: Layout, state: State, t: int) -> State:
    """Grant rental requests within the compute on offer; book it on the suppliers.

    Under ``market.cloud_share = "unlimited"`` every request is granted and
    no supplier is booked. Otherwise each country that may receive the
    frontier chip offers ``int(stock_tpp x cloud_share)`` (its installed
    compute at the end of last month), the requests share the total pro
    rata, and the compute rented is split over the suppliers by
    ``rented x offered // total``, the rounding remainder one TPP each to the
    suppliers with the most room left (lowest country index on ties), so no
    supplier gives more than it offers. The month's total requested and
    offered (0 with no supplier) are kept for next month's rental index.
    """
    world = layout.world
    requests = rent_requests(layout, state, t)
    requested = requests.sum(axis=1)
    share = world.scenario.market.cloud_share
    supplied = np.zeros_like(state.rented_out_tpp)
    if share == "unlimited":
        return evolve(state, rented_tpp=requests, rented_out_tpp=supplied,
                       rent_requested_tpp=requested, rent_offered_tpp=np.zeros_like(requested))
    supplier = ~world.market.restricted[t]
    offered = np.where(supplier, (state.stock_tpp * share).astype(np.int64), 0)  # (R, C)
    capacity = offered.sum(axis=1, keepdims=True)
    granted = pro_rata(requests, capacity, layout.market)
    rented = granted.sum(axis=1)
    supplied = muldiv(rented[:, None], offered, np.maximum(capacity, 1),
                      bound=np.maximum(rented, capacity[:, 0]))
    left = rented - supplied.sum(axis=1)  # fewer than the suppliers with a fraction cut off
    order = np.argsort(supplied - offered, axis=1, kind="stable")  # most room first
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(offered.shape[1])[None, :], axis=1)
    supplied += rank < left[:, None]
    return evolve(state, rented_tpp=granted, rented_out_tpp=supplied,
                   rent_requested_tpp=requested, rent_offered_tpp=capacity[:, 0])
