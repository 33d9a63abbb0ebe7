"""Phases from the vendors' shipments to the buyers' response.

Array versions of ``ExportControlModel.ship`` (with ``Firm.ship``),
``Firm.want_substitute``, ``ExportControlModel.allocate_domestic`` and
``Firm.respond`` / ``Broker.respond``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.core.allocation import allocate
from sim.core.layout import Layout
from sim.core.state import PATHS, State

__all__ = ["allocate_domestic", "received_tpp", "respond", "ship", "want_substitute"]


def received_tpp(layout: Layout, state: State) -> np.ndarray:
    """Compute shipped to each firm this month, (R, F) int64 TPP (``Firm.received_tpp``)."""
    world = layout.world
    return (state.frontier_shipped * world.frontier_tpp
            + state.compliant_shipped * world.compliant_tpp)


def ship(layout: Layout, state: State, t: int) -> State:
    """Vendors share their output among approved orders; count paths cheapest first.

    Also books what the shipment uses up: the low-volume allowance, the NVEU
    cap, the UVEU installed base and the country cap (``Firm.ship`` and
    ``Firm.record_shipment``).
    """
    world = layout.world
    market, mode = world.scenario.market, world.at(t).rules.allocation
    runs = (state.n_runs, 1)
    frontier = allocate(state.approved_chips, np.full(runs, market.frontier_capacity_chips),
                        mode, state.market_queue, layout.market)
    compliant = allocate(state.compliant_want, np.full(runs, market.compliant_capacity_chips),
                         mode, state.market_queue, layout.market)
    left = frontier
    paths = {}
    for name in PATHS:
        paths[name] = np.minimum(getattr(state, name), left)
        left = left - paths[name]
    tpp = world.frontier_tpp
    cap_tpp = paths["path_cap"] * tpp
    return replace(
        state, **paths,
        frontier_shipped=frontier,
        compliant_shipped=compliant,
        lpp_used_tpp=state.lpp_used_tpp + paths["path_lpp"] * tpp,
        nveu_used_tpp=state.nveu_used_tpp + paths["path_nveu"] * tpp,
        uveu_installed_tpp=state.uveu_installed_tpp + np.where(layout.is_uveu, frontier * tpp, 0),
        quota_used_tpp=state.quota_used_tpp + layout.countries.sum(cap_tpp),
    )


def want_substitute(layout: Layout, state: State, t: int) -> State:
    """Ask the domestic maker to cover a share of what was not shipped (brokers: no)."""
    world = layout.world
    share = world.scenario.market.substitution_share
    shortfall = state.request_tpp - received_tpp(layout, state)
    want = (shortfall * share).astype(np.int64) // world.domestic_tpp
    asks = (world.domestic_chips[layout.country] > 0) & ~layout.is_broker
    return replace(state, substitute_want=np.where(asks, want, 0))


def allocate_domestic(layout: Layout, state: State, t: int) -> State:
    """Domestic makers share their output among their country's substitute requests.

    A country without a domestic maker has no requests and no capacity, so
    every country can take part in one grouped allocation.
    """
    world = layout.world
    capacity = np.broadcast_to(world.domestic_chips, (state.n_runs, layout.n_countries))
    granted = allocate(state.substitute_want, capacity, world.at(t).rules.allocation,
                       state.country_queue, layout.countries)
    return replace(state, substituted_chips=granted)


def respond(layout: Layout, state: State, t: int) -> State:
    """Settle what is still missing: rent remotely, ask a broker, or wait.

    ``int(x * share)`` is ``(x * share).astype(int64)``; brokers let an
    unfilled order lapse and keep no backlog.
    """
    world = layout.world
    market, diversion = world.scenario.market, world.at(t).diversion
    buyer = ~layout.is_broker
    substituted = state.substituted_chips * world.domestic_tpp
    missing = state.request_tpp - received_tpp(layout, state) - substituted
    rented = np.zeros_like(missing)
    if world.at(t).rules.remote_compute_allowed:
        rented = (missing * market.remote_share).astype(np.int64)
    missing = missing - rented
    divert = (missing * diversion.divert_share).astype(np.int64)
    divert = np.where(layout.denied[t], divert, 0)
    missing = missing - divert
    backlog = np.minimum(missing, market.backlog_months * state.demand_tpp)
    return replace(
        state,
        backlog_tpp=np.where(buyer, backlog, state.backlog_tpp),
        rented_tpp=np.where(buyer, rented, 0),
        divert_request_tpp=np.where(buyer, divert, 0),
        unmet_tpp=np.where(buyer, missing, 0),
        residual_tpp=np.where(buyer, missing + divert, 0),
    )
