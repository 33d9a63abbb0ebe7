"""Phases from the vendors' shipments to the buyers' response.

Array versions of ``ExportControlModel.ship`` (with ``Firm.ship``),
``Firm.want_substitute``, ``ExportControlModel.allocate_domestic`` and
``Firm.respond`` / ``Broker.respond`` (renting, between the last two, is
:mod:`sim.core.renting`).
"""

from __future__ import annotations

import numpy as np

from sim.core.allocation import allocate
from sim.core.layout import Layout, VendorQueue
from sim.core.point_chips import cell_sums, month_cells, per_firm, vendor_groups
from sim.core.points import column, in_force, scenario_value
from sim.core.state import PATHS, State, evolve
from sim.world.codes import CAPPED

__all__ = ["allocate_domestic", "received_tpp", "respond", "ship", "ship_by_vendor",
           "want_substitute"]


def received_tpp(layout: Layout, state: State, t: int) -> np.ndarray:
    """Compute shipped to each firm in month ``t``, (R, F) int64 TPP (``Firm.received_tpp``)."""
    return state.shipped * per_firm(layout, state.point, t, "chip_tpp")


def ship_by_vendor(layout: Layout, state: State, t: int,
                   ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each vendor shares its output among the approved orders for its chip.

    ``ordered`` is each firm's approved chips, (R, F) int64
    (``State.approved_chips``, computed once by :func:`ship`). Returns the
    chips shipped to each firm, (R, F) int64, and the approved orders each
    vendor received, (R, K) int64.

    The firms are regrouped by the chip they order (:class:`VendorQueue`),
    allocated group by group in one grouped allocation, and put back in
    layout order; the first-come queue keeps the market's priority order
    within each chip. Where a batch's points order different chips, each
    group of runs that shares a grouping is allocated in turn
    (:func:`~sim.core.point_chips.vendor_groups`).
    """
    groups = vendor_groups(layout, state.point, t)
    if len(groups) == 1:
        return _ship_grouped(layout, t, ordered, state.market_queue, groups[0][1])
    shipped = np.empty_like(ordered)
    orders = np.empty((state.n_runs, layout.world.market.n_chips), dtype=ordered.dtype)
    for rows, vendors in groups:
        queue = None if state.market_queue is None else state.market_queue[rows]
        shipped[rows], orders[rows] = _ship_grouped(layout, t, ordered[rows], queue, vendors)
    return shipped, orders


def _ship_grouped(layout: Layout, t: int, ordered: np.ndarray, market_queue: np.ndarray | None,
                  vendors: VendorQueue) -> tuple[np.ndarray, np.ndarray]:
    """:func:`ship_by_vendor` for runs that share the grouping ``vendors``."""
    capacity = np.append(layout.world.market.capacity[t], 0)
    requests = ordered[:, vendors.order]
    queue = None
    if market_queue is not None:
        queue = vendors.groups.queue(vendors.position[market_queue])
    orders = vendors.groups.sum(requests)  # (R, K + 1): the last group orders no chip
    granted = allocate(requests, np.broadcast_to(capacity, (len(ordered), len(capacity))),
                       layout.world.at(t).rules.allocation, queue, vendors.groups, orders)
    shipped = np.empty_like(granted)
    shipped[:, vendors.order] = granted
    return shipped, orders[:, :-1]


def ship(layout: Layout, state: State, t: int) -> State:
    """Vendors ship; count the paths cheapest first; note US shipments and orders by chip.

    Also books what the shipment uses up: the low-volume allowance, the NVEU
    cap, the UVEU installed base and the country cap (``Firm.ship`` and
    ``Firm.record_shipment``). In a month where the limited paths are closed
    (``Layout.limits_apply``) every order is on the free path, and the
    others, 0, use nothing up.
    """
    if not layout.limits_apply[t]:
        shipped, orders = ship_by_vendor(layout, state, t, state.path_free)
        paths = {name: getattr(state, name) for name in PATHS}  # the closed ones: 0
        paths["path_free"] = np.minimum(state.path_free, shipped)
        return evolve(state, **paths, ordered=state.path_free, shipped=shipped,
                      uveu_installed_tpp=_installed(layout, state, t, shipped),
                      **_by_cell(layout, state, t, shipped), vendor_orders_chips=orders)
    ordered = state.approved_chips
    shipped, orders = ship_by_vendor(layout, state, t, ordered)
    left = shipped  # what the cheaper paths have not taken (no copy: never written in place)
    paths = {}
    for name in PATHS:
        paths[name] = np.minimum(getattr(state, name), left)
        if name != PATHS[-1]:  # after the last path nothing is left to count
            left = left - paths[name]
    tpp = per_firm(layout, state.point, t, "chip_tpp")  # (F,), or (R, F) by point
    quota_used = state.quota_used_tpp  # arrays are never written in place: sharing is safe
    capped = np.flatnonzero(layout.regime[t] == CAPPED)
    if capped.size:  # only capped firms' licensed shipments count against the country cap
        cap_tpp = np.where(layout.regime[t] == CAPPED, tpp, 0)  # (F,): 0 for firms not capped
        quota_used = quota_used + layout.countries.sum(paths["path_cap"], weights=cap_tpp)
    return evolve(
        state, **paths,
        ordered=ordered,
        shipped=shipped,
        lpp_used_tpp=_used_up(state.lpp_used_tpp, paths["path_lpp"], tpp, capped),
        nveu_used_tpp=_used_up(state.nveu_used_tpp, paths["path_nveu"], tpp, capped),
        uveu_installed_tpp=_installed(layout, state, t, shipped),
        quota_used_tpp=quota_used,
        **_by_cell(layout, state, t, shipped),
        vendor_orders_chips=orders,
    )


def _used_up(used: np.ndarray, chips: np.ndarray, tpp: np.ndarray,
             capped: np.ndarray) -> np.ndarray:
    """Return ``used + chips x tpp``, (R, F) int64, for a path only capped firms take.

    The NVEU and low-volume paths are granted to capped firms alone
    (:func:`sim.core.orders.license`), so only their columns change: no
    pass over every firm, and none at all in a month without one.
    """
    if not capped.size:
        return used  # arrays are never written in place: sharing is safe
    booked = used.copy()
    booked[:, capped] += chips[:, capped] * tpp[..., capped]
    return booked


def _installed(layout: Layout, state: State, t: int, shipped: np.ndarray) -> np.ndarray:
    """UVEU subsidiaries' installed base after the month's shipments, (R, F) int64 TPP."""
    installed = state.uveu_installed_tpp.copy()
    uveu = layout.uveu
    installed[:, uveu] += shipped[:, uveu] * per_firm(layout, state.point, t, "chip_tpp")[..., uveu]
    return installed


def _by_cell(layout: Layout, state: State, t: int, shipped: np.ndarray) -> dict[str, np.ndarray]:
    """Sum the month's chips shipped by cell, (R, N), and to the United States by chip, (R, K)."""
    cells = cell_sums(layout, state.point, t, shipped)
    if not layout.in_usa.any():
        return {"shipped_cells": cells, "us_shipped_chips": np.zeros_like(state.us_shipped_chips)}
    usa = layout.world.countries.index("USA")
    return {"shipped_cells": cells,
            "us_shipped_chips": month_cells(layout, t).at_destination(cells, usa)}


def want_substitute(layout: Layout, state: State, t: int) -> State:
    """Ask the domestic maker to cover a share of what was not shipped (brokers: no).

    Computed on the columns of the firms that ask (buyers in a country with a
    domestic maker) only.
    """
    world = layout.world
    share = column(scenario_value(layout, state.point, "market.substitution_share"))
    asks = np.flatnonzero((world.domestic_chips[t, layout.country] > 0) & ~layout.is_broker)
    want = np.zeros_like(state.request_tpp)
    if asks.size:
        tpp = per_firm(layout, state.point, t, "chip_tpp")[..., asks]
        shortfall = state.request_tpp[:, asks] - state.shipped[:, asks] * tpp
        want[:, asks] = (shortfall * share).astype(np.int64) // world.domestic_tpp[t]
    return evolve(state, substitute_want=want)


def allocate_domestic(layout: Layout, state: State, t: int) -> State:
    """Domestic makers share their output among their country's substitute requests.

    A country without a domestic maker has no requests and no capacity, so
    every country can take part in one grouped allocation. What shipments
    and substitution left missing (``State.shortfall_tpp``) is kept for the
    phases that start from it; only firms that asked were granted chips, so
    the substitution is subtracted on their columns alone.
    """
    world = layout.world
    capacity = np.broadcast_to(world.domestic_chips[t], (state.n_runs, layout.n_countries))
    granted = allocate(state.substitute_want, capacity, world.at(t).rules.allocation,
                       state.country_queue, layout.countries)
    shortfall = state.request_tpp - received_tpp(layout, state, t)  # a new array: updated in place
    asks = np.flatnonzero((world.domestic_chips[t, layout.country] > 0) & ~layout.is_broker)
    if asks.size:
        shortfall[:, asks] -= granted[:, asks] * world.domestic_tpp[t]
    return evolve(state, substituted_chips=granted, shortfall_tpp=shortfall)


def respond(layout: Layout, state: State, t: int) -> State:
    """Settle what is still missing after renting: ask a broker, or wait.

    ``int(x * share)`` is ``(x * share).astype(int64)``; brokers let an
    unfilled order lapse and keep no backlog. Only buyers in restricted
    destinations ask a broker, so the diversion request is computed on their
    columns alone; ``missing`` is this phase's own temporary, updated in place.
    """
    world = layout.world
    market = world.scenario.market
    divert_share = column(in_force(layout, state.point, t, "diversion.divert_share"))
    buyer = ~layout.is_broker
    missing = state.shortfall_tpp - state.rented_tpp  # a new array: updated in place
    residual = np.where(buyer, missing, 0)  # what is missing before a broker is asked
    divert = np.zeros_like(missing)
    asks = np.flatnonzero(layout.restricted[t] & buyer)
    if asks.size:
        divert[:, asks] = (missing[:, asks] * divert_share).astype(np.int64)
        missing[:, asks] -= divert[:, asks]
    backlog = np.minimum(missing, market.backlog_months * state.demand_tpp)
    missing -= backlog
    brokers = layout.brokers  # both are new arrays: only the brokers' columns are rewritten
    backlog[:, brokers] = state.backlog_tpp[:, brokers]
    missing[:, brokers] = 0
    return evolve(state, backlog_tpp=backlog, divert_request_tpp=divert, unmet_tpp=missing,
                  residual_tpp=residual)
