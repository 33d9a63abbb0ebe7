"""Brokers come and go, divert; at the month's end compute is installed, the premium moves.

Array versions of ``ExportControlModel.renew_brokers`` (with ``Broker.renew``),
``ExportControlModel.divert`` (with ``Broker.divert``) and
``ExportControlModel.deliver`` (with ``Country.deliver``).
"""

from __future__ import annotations

import numpy as np

from sim.core.allocation import muldiv
from sim.core.books import country_flows
from sim.core.enforcement import catch_probability
from sim.core.layout import Layout
from sim.core.point_chips import per_firm
from sim.core.points import column, in_force
from sim.core.state import State, evolve
from sim.rng import STREAM_CATCH, STREAM_ENTRY, STREAM_REDIRECT, STREAM_REFORM, uniform

__all__ = ["deliver", "divert", "redirect", "renew_brokers"]


def renew_brokers(layout: Layout, state: State, t: int) -> State:
    """Dormant front companies enter; listed networks past the delay re-form as new brokers.

    A dormant slot enters when its uniform number (``STREAM_ENTRY``) is below
    ``min(1, entry_rate * max(0, premium - 1)) * (1 - catch)``, ``catch``
    being :func:`~sim.core.enforcement.catch_probability` in its country; a broker listed at least
    ``reform_delay_months`` ago re-forms, and is no longer listed, when its
    number (``STREAM_REFORM``) is below ``reform_probability``
    (``Broker.renew``). Either is an entry (``entered``). With both rates at
    0 nothing is drawn.
    """
    brokers, point = layout.brokers, state.point
    entry_rate = in_force(layout, point, t, "diversion.entry_rate")
    reform_probability = column(in_force(layout, point, t, "diversion.reform_probability"))
    reform_delay = column(in_force(layout, point, t, "diversion.reform_delay_months"))
    entered = np.zeros_like(state.entered)
    if not np.any(entry_rate) and not np.any(reform_probability):
        return evolve(state, entered=entered)
    keys = layout.agent[brokers]
    pull = np.minimum(1.0, entry_rate * np.maximum(0.0, state.premium - 1.0))
    chance = pull[:, None] * (1.0 - catch_probability(layout, state, t))
    dormant, listed = state.dormant[:, brokers], state.listed[:, brokers]
    enters = dormant & (uniform(state.seeds[:, None], t, STREAM_ENTRY, keys) < chance)
    due = listed & (t - state.listed_at[:, brokers] >= reform_delay)
    reforms = due & (uniform(state.seeds[:, None], t, STREAM_REFORM, keys) < reform_probability)
    entered[:, brokers] = enters | reforms
    new_dormant, new_listed = state.dormant.copy(), state.listed.copy()
    listed_at = state.listed_at.copy()
    new_dormant[:, brokers] = dormant & ~enters
    new_listed[:, brokers] = listed & ~reforms
    listed_at[:, brokers] = np.where(reforms, -1, state.listed_at[:, brokers])
    return evolve(state, dormant=new_dormant, listed=new_listed, listed_at=listed_at,
                   entered=entered)


def divert(layout: Layout, state: State, t: int) -> State:
    """Brokers re-export; what gets through is shared among restricted destinations.

    A broker with a shipment is caught when its uniform number is below its
    country's :func:`~sim.core.enforcement.catch_probability`, and is then listed (until its
    network re-forms, :func:`renew_brokers`). Destinations
    get ``delivered * requested // total`` chips each, the remainder going to
    the largest request (lowest country index on ties: ``np.argmax``).
    """
    world, brokers = layout.world, layout.brokers
    tpp = world.market.frontier_tpp[t]
    chip_tpp = per_firm(layout, state.point, t, "chip_tpp")[..., brokers]
    shipment = state.shipped[:, brokers] * chip_tpp
    u = uniform(state.seeds[:, None], t, STREAM_CATCH, layout.agent[brokers])
    caught_brokers = (shipment > 0) & (u < catch_probability(layout, state, t))
    caught = np.zeros_like(state.caught)
    caught[:, brokers] = caught_brokers
    delivered = np.where(caught_brokers, 0, shipment).sum(axis=1) // tpp
    requested = state.diversion_demand_tpp // tpp
    total = requested.sum(axis=1)
    reaches = (delivered > 0) & (total > 0)
    shares = muldiv(delivered[:, None], requested, np.maximum(total, 1)[:, None],
                    bound=np.maximum(delivered, total))
    largest = np.argmax(requested, axis=1)
    runs = np.arange(state.n_runs)
    shares[runs, largest] += delivered - shares.sum(axis=1)
    shares = np.where(reaches[:, None], shares, 0)
    return evolve(state, caught=caught, listed=state.listed | caught,
                   listed_at=np.where(caught, t, state.listed_at),
                   diverted_received_tpp=shares * tpp,
                   diverted_chips=np.where(reaches, delivered, 0))


def redirect(layout: Layout, state: State, t: int) -> State:
    """Subsidiaries abroad of Tier 3-headquartered firms send a share of their chips home.

    Each firm with a headquarters to redirect to this month
    (``World.redirect_to``) sends ``int(received x
    subsidiary_redirect_share)``; it is caught, and lost, when its uniform
    number (``STREAM_REDIRECT``) is below its host's catch probability
    (``Firm.redirect``). Booked by host (sent, seized) and by headquarters
    (received), summed with one-hot matrices over the few firms that can.
    """
    share = in_force(layout, state.point, t, "diversion.subsidiary_redirect_share")
    movers = np.flatnonzero(layout.redirect_to[t] >= 0)
    zero = np.zeros_like(state.redirected_tpp)
    if not np.any(share) or movers.size == 0:
        return evolve(state, redirected_tpp=zero, redirect_seized_tpp=zero,
                       redirected_received_tpp=zero)
    tpp = per_firm(layout, state.point, t, "chip_tpp")[..., movers]
    received = state.shipped[:, movers] * tpp  # Firm.received_tpp
    attempt = (received * column(share)).astype(np.int64)  # (R, M)
    host = layout.country[movers]
    u = uniform(state.seeds[:, None], t, STREAM_REDIRECT, layout.agent[movers])
    caught = (attempt > 0) & (u < catch_probability(layout, state, t, where=host))
    columns = np.arange(layout.n_countries)
    at_host = (host[:, None] == columns).astype(np.int64)  # (M, C)
    at_home = (layout.redirect_to[t, movers][:, None] == columns).astype(np.int64)
    return evolve(state, redirected_tpp=attempt @ at_host,
                   redirect_seized_tpp=np.where(caught, attempt, 0) @ at_host,
                   redirected_received_tpp=np.where(caught, 0, attempt) @ at_home)


def deliver(layout: Layout, state: State, t: int) -> State:
    """Book the month by country, install what arrived, learn, move the premium, note requests.

    Each country's vigilance fades by ``enforcement.vigilance_decay`` and
    rises by ``enforcement.vigilance_per_seizure`` for each broker caught
    there this month (``Country.learn_from_seizures``).

    The month's flows (:func:`sim.core.books.country_flows`) are kept in
    ``State.books`` for the metrics.
    """
    world = layout.world
    flows = country_flows(layout, state, t)
    scenario, tpp = world.scenario, world.market.frontier_tpp[t]
    arrived = (flows["delivered_tpp"] + flows["substituted_tpp"]
               + flows["diverted_received_tpp"] + flows["redirected_received_tpp"]
               - flows["redirected_tpp"])
    life = scenario.market.depreciation_months
    stock = state.stock_tpp - state.stock_tpp // life + arrived
    restricted = layout.restricted[t]
    asked = state.request_tpp[:, restricted].sum(axis=1)
    missing = state.residual_tpp[:, restricted].sum(axis=1)
    unmet = np.maximum(0, missing - state.diverted_chips * tpp)
    ratio = np.where(asked > 0, unmet / np.maximum(asked, 1), 0.0)
    point = state.point
    target = 1.0 + in_force(layout, point, t, "diversion.premium_sensitivity") * ratio
    inertia = in_force(layout, point, t, "diversion.premium_inertia")
    premium = inertia * state.premium + (1.0 - inertia) * target
    caught = layout.broker_countries.sum(state.caught[:, layout.brokers].astype(np.int64))
    decay = column(in_force(layout, point, t, "enforcement.vigilance_decay"))
    per_seizure = column(in_force(layout, point, t, "enforcement.vigilance_per_seizure"))
    vigilance = state.vigilance * (1.0 - decay) + per_seizure * caught
    return evolve(state, stock_tpp=stock, premium=premium, books=flows, vigilance=vigilance,
                   diversion_demand_tpp=flows["diversion_requested_tpp"])
