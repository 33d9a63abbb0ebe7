"""Phases from the start of a month to the licensing decision.

``start_month``, ``demand``, ``place_grey_market_orders``, ``order`` and
``license``: the array versions of the model methods of the same names
(``Country``/``Firm``/``Broker`` methods and
``ExportControlModel.place_grey_market_orders``). Each takes the layout, the
state and the step index ``t`` and returns a new state.
"""

from __future__ import annotations

import numpy as np

from sim.core.allocation import muldiv
from sim.core.enforcement import catch_probability
from sim.core.layout import Layout
from sim.core.point_chips import per_firm
from sim.core.points import column, in_force, scenario_value, varies
from sim.core.prices import demand_factor
from sim.core.state import State, evolve
from sim.reference import H100E_TPP
from sim.rng import STREAM_DEMAND, STREAM_PRIORITY, uniform
from sim.world import CAPPED, FREE, LICENSED, PAYMENT, VOLUME

__all__ = ["demand", "license", "order", "place_grey_market_orders", "route_weights",
           "start_month"]


def start_month(layout: Layout, state: State, t: int) -> State:
    """Restart annual caps and the low-volume allowance in January; queue the firms.

    The model draws first-come priorities where it allocates
    (``ExportControlModel.priorities``); they are a pure function of
    (seed, step, firm), so the core draws them, and sorts the firms into the
    month's first-come queues, once a month.
    """
    world = layout.world
    quota = np.zeros_like(state.quota_used_tpp) if world.cap_resets[t] else state.quota_used_tpp
    lpp = np.zeros_like(state.lpp_used_tpp) if world.new_year[t] else state.lpp_used_tpp
    market_queue = country_queue = None
    if world.at(t).rules.allocation == "first_come":
        priority = uniform(state.seeds[:, None], t, STREAM_PRIORITY, layout.agent)
        market_queue = layout.market.rank(priority)
        country_queue = layout.countries.queue(market_queue)
    return evolve(state, quota_used_tpp=quota, lpp_used_tpp=lpp, market_queue=market_queue,
                   country_queue=country_queue)


def demand(layout: Layout, state: State, t: int) -> State:
    """Monthly need at the market price: base x growth x noise x price response, plus backlog.

    ``int(base * growth * noise * factor * H100E_TPP)`` in the model's order of
    operations (``factor``: :func:`sim.core.prices.demand_factor`, left out
    when demand ignores the price); ``astype(int64)`` truncates toward zero
    like ``int``. Brokers have none.
    """
    u = uniform(state.seeds[:, None], t, STREAM_DEMAND, layout.agent)
    spread = column(scenario_value(layout, state.point, "market.demand_noise"))
    noise = 1.0 + spread * (2.0 * u - 1.0)
    need = state.base_h100e * layout.growth[t] * noise
    factor = demand_factor(layout, state, t)
    if factor is not None:
        need = need * factor
    need = (need * H100E_TPP).astype(np.int64)
    need[:, layout.brokers] = 0  # a new array: brokers' columns only, not a select
    return evolve(state, demand_tpp=need, request_tpp=need + state.backlog_tpp)


def place_grey_market_orders(layout: Layout, state: State, t: int) -> State:
    """Brokers share last month's diversion requests by route weight (frontier chips).

    The networks buy ``min(target, sum of capacities)`` chips, the volume
    their front companies together can move this month, and split it in
    proportion to each broker's weight (:func:`route_weights`: its capacity
    unless routes are steered). Unsteered, that is each broker's pro-rata
    share of the target, at most its capacity; steered, the volume a risky
    hub loses goes to the others (``Broker`` networks move purchases between
    their front companies, ODD 6.4).
    """
    world, brokers = layout.world, layout.brokers
    tpp = world.market.frontier_tpp[t]
    growth = layout.growth[t, brokers]
    capacity = (state.base_h100e[:, brokers] * growth * H100E_TPP).astype(np.int64)
    capacity //= tpp
    closed = (state.listed[:, brokers] | state.dormant[:, brokers]
              | ~per_firm(layout, state.point, t, "orders_frontier")[..., brokers])
    capacity = np.where(closed, 0, capacity)
    weight = route_weights(layout, state, t, capacity)
    total = weight.sum(axis=1, keepdims=True)
    appetite = in_force(layout, state.point, t, "diversion.broker_appetite")
    intensity = np.minimum(1.0, appetite * (state.premium - 1.0))
    asked = (state.diversion_demand_tpp // tpp).sum(axis=1)
    target = (asked * intensity).astype(np.int64)[:, None]
    volume = np.minimum(target, capacity.sum(axis=1, keepdims=True))
    share = muldiv(volume, weight, np.maximum(total, 1), bound=np.maximum(np.abs(volume), total))
    want = np.where(total > 0, share, 0)
    request = state.request_tpp.copy()
    request[:, brokers] = want * tpp
    return evolve(state, request_tpp=request)


def route_weights(layout: Layout, state: State, t: int, capacity: np.ndarray) -> np.ndarray:
    """Each broker's weight in the split of the grey market's target, (R, B) int64.

    ``capacity`` (chips, (R, B)) itself unless ``diversion.route_sensitivity``
    is positive; then the broker's room (its capacity, at most the chips its
    country's cap and its own low-volume allowance still allow where the
    regime is capped) times ``max(0, 1 - route_sensitivity x catch)``,
    truncated (``Broker.route_weight``; ``catch``:
    :func:`sim.core.enforcement.catch_probability`).
    """
    beta = in_force(layout, state.point, t, "diversion.route_sensitivity")
    if not varies(beta) and beta == 0:
        return capacity
    world, brokers = layout.world, layout.brokers
    where = layout.country[brokers]
    tpp = per_firm(layout, state.point, t, "chip_tpp")[..., brokers]
    cap_room = np.maximum(0, world.cap_tpp[t, where] - state.quota_used_tpp[:, where]) // tpp
    lpp_room = np.maximum(0, world.at(t).rules.lpp_tpp_per_year
                          - state.lpp_used_tpp[:, brokers]) // tpp
    capped = layout.regime[t, brokers] == CAPPED
    room = np.where(capped, np.minimum(capacity, cap_room + lpp_room), capacity)
    safety = np.maximum(0.0, 1.0 - column(beta) * catch_probability(layout, state, t))
    weight = np.where(capacity == 0, 0, (room * safety).astype(np.int64))
    return np.where(column(beta) == 0, capacity, weight) if varies(beta) else weight


def order(layout: Layout, state: State, t: int) -> State:
    """Order the country's chip: the whole request, or its partial-need share.

    Brokers order their whole request (``Broker.order``). The partial-need
    share is taken on the columns of the firms it applies to only.
    """
    share = column(scenario_value(layout, state.point, "market.partial_need_share"))
    partial = np.flatnonzero(~(layout.full_need[t] | layout.is_broker))
    need = state.request_tpp  # arrays are never written in place: sharing is safe
    if partial.size:
        need = need.copy()
        need[:, partial] = (need[:, partial] * share).astype(np.int64)
    # 0 where there is no chip
    return evolve(state, want=need // per_firm(layout, state.point, t, "order_tpp"))


def license(layout: Layout, state: State, t: int) -> State:
    """Route the order to a licensing path (UVEU groups and limits are settled later).

    The NVEU and low-volume limits apply to capped firms only, so their
    room (an integer division by each firm's chip TPP) is computed on those
    firms' columns alone: none at all in a month without a capped regime.
    In a month where no firm is capped or under a volume limit
    (``Layout.limits_apply``) every limited path and request is 0: one
    array of zeros serves them all.
    """
    world = layout.world
    want, regime = state.want, layout.regime[t]
    tpp = per_firm(layout, state.point, t, "chip_tpp")  # (F,), or (R, F) by point
    free = (regime == FREE) | (regime == LICENSED) | (regime == PAYMENT)
    if not layout.limits_apply[t]:
        closed = np.zeros_like(want)  # shared: arrays are never written in place
        return evolve(state, path_free=np.where(free, want, 0), path_uveu=closed,
                      path_nveu=closed, path_lpp=closed, path_cap=closed, uveu_request=closed,
                      cap_request=closed)
    capped = regime == CAPPED
    uveu = capped & layout.is_uveu & per_firm(layout, state.point, t, "orders_frontier")
    nveu = capped & layout.is_nveu
    lpp = capped & ~uveu & ~nveu
    path_nveu = _within_room(want, nveu, world.nveu_cap_tpp[t], state.nveu_used_tpp, tpp)
    path_lpp = _within_room(want, lpp, world.at(t).rules.lpp_tpp_per_year,
                            state.lpp_used_tpp, tpp)
    cap_request = np.zeros_like(want)
    limited_mask = nveu | lpp
    limited = _columns(limited_mask)
    if limited.size:
        cap_request[:, limited] = _on(limited_mask, limited, want[:, limited]
                                      - path_nveu[:, limited] - path_lpp[:, limited])
    volume = np.flatnonzero(regime == VOLUME)
    if volume.size:
        cap_request[:, volume] = want[:, volume]
    return evolve(
        state,
        path_free=np.where(free, want, 0),
        path_uveu=np.zeros_like(want),
        path_nveu=path_nveu,
        path_lpp=path_lpp,
        path_cap=np.zeros_like(want),
        uveu_request=np.where(uveu, want, 0),
        cap_request=cap_request,
    )


def _within_room(want: np.ndarray, applies: np.ndarray, limit: int | np.integer,
                 used: np.ndarray, tpp: np.ndarray) -> np.ndarray:
    """``min(want, max(0, limit - used) // tpp)`` where ``applies``, 0 elsewhere, (R, F) int64.

    Parameters
    ----------
    want, used : ndarray of shape (R, F), int64
    applies : ndarray of shape (F,) or (R, F), bool
        The firms the limit applies to (per run where a batch's points order
        different chips, ``sim.core.point_chips``).
    limit : int
        The limit in TPP (the same for every firm).
    tpp : ndarray of shape (F,) or (R, F), int64
    """
    granted = np.zeros_like(want)
    columns = _columns(applies)
    if columns.size:
        room = np.maximum(0, limit - used[:, columns]) // tpp[..., columns]
        granted[:, columns] = _on(applies, columns, np.minimum(want[:, columns], room))
    return granted


def _columns(mask: np.ndarray) -> np.ndarray:
    """Layout positions where a (F,) mask holds, or a (R, F) one holds in some run."""
    return np.flatnonzero(mask if mask.ndim == 1 else mask.any(axis=0))


def _on(mask: np.ndarray, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` on ``columns`` (:func:`_columns` of ``mask``), 0 in a run ``mask`` leaves out."""
    return values if mask.ndim == 1 else np.where(mask[:, columns], values, 0)
