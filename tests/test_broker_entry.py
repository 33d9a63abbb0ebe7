"""Brokers that come and go: dormant front companies enter, listed networks re-form.

``diversion.reserve_brokers`` dormant slots per broker, ``diversion.entry_rate``
(entry rises with the grey premium and falls with the catch risk where the
slot sits), ``diversion.reform_delay_months`` and ``diversion.reform_probability``
(a caught network returns under a new name). The core is used except where
the point is agreement; ``tests/invariants.py`` holds every random scenario to
"a listed broker receives nothing until it re-forms" and to the balance of
active brokers, entries and listings.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from conftest import SCENARIOS
from test_phase_agreement import assert_agree_after_every_phase

import sim
from sim.core.batch import step, step_phases
from sim.core.diversion import renew_brokers
from sim.core.enforcement import catch_probability
from sim.core.layout import Layout
from sim.core.orders import route_weights
from sim.core.state import initial_state
from sim.world import World
from sim.world.codes import BROKER
from sim.world.population import firm_table

SEEDS = np.arange(100)
ADAPTIVE = {"diversion.reserve_brokers": 2, "diversion.entry_rate": 0.5,
            "diversion.reform_probability": 0.3, "diversion.reform_delay_months": 2}


NEVER_RETURN = {"diversion.reserve_brokers": 0, "diversion.entry_rate": 0.0,
                "diversion.reform_probability": 0.0, "enforcement.detection": 0.01}
"""Where each test starts: brokers that never return, at a low catch rate (the calibrated
base.toml lets brokers enter and re-form, and its strict hubs catch nearly every shipment,
which would hide each mechanism's own effect)."""


def _strict(overrides: dict | None = None) -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / "strict_enforcement.toml",
                             {**NEVER_RETURN, **(overrides or {})})


def test_reserve_slots_come_last_so_every_other_firm_keeps_its_index():
    plain, reserved = firm_table(_strict()), firm_table(_strict(ADAPTIVE))
    n = plain.n_firms
    assert reserved.labels[:n] == plain.labels
    assert np.array_equal(reserved.median_h100e[:n], plain.median_h100e)
    assert not reserved.reserve[:n].any() and reserved.reserve[n:].all()
    brokers = np.bincount(plain.country[plain.kind == BROKER], minlength=len(_strict().countries))
    slots = np.bincount(reserved.country[reserved.reserve], minlength=len(brokers))
    assert np.array_equal(slots, 2 * brokers) and slots.sum() > 0
    assert np.all(reserved.kind[n:] == BROKER)


def test_without_entry_or_re_formation_a_reserve_changes_nothing():
    months = {"time.months": 12}
    plain = sim.run_batch(_strict(months), SEEDS[:20])
    idle = sim.run_batch(_strict({**months, "diversion.reserve_brokers": 2}), SEEDS[:20])
    for name in ("diverted_tpp", "diversion_seized_tpp", "shipped_tpp", "stock_tpp"):
        assert np.array_equal(plain.metric(name), idle.metric(name)), name
    assert idle.metric("entered_brokers").sum() == 0


def test_under_strict_enforcement_brokers_are_listed_and_new_ones_enter():
    fixed = sim.run_batch(_strict(), SEEDS[:40])
    adaptive = sim.run_batch(_strict(ADAPTIVE), SEEDS[:40])
    assert fixed.metric("entered_brokers").sum() == 0
    assert adaptive.metric("entered_brokers").sum() > 0
    assert adaptive.metric("listed_brokers").sum() > fixed.metric("listed_brokers").sum()
    last_year = slice(-12, None)
    for results in (fixed, adaptive):
        assert results.metric("listed_brokers").sum() > 0
    fixed_active = fixed.metric("active_brokers")[:, -1].sum(axis=-1)
    adaptive_active = adaptive.metric("active_brokers")[:, -1].sum(axis=-1)
    assert np.median(adaptive_active) > 2 * np.median(fixed_active)
    fixed_diverted = fixed.metric("diverted_tpp")[:, last_year].sum()
    assert adaptive.metric("diverted_tpp")[:, last_year].sum() > 3 * fixed_diverted


def _entries_at(layout: Layout, state, t: int) -> int:
    return int(renew_brokers(layout, state, t).entered.sum())


def test_entry_rises_with_the_premium_and_falls_with_the_catch_risk():
    scenario = _strict({**ADAPTIVE, "diversion.reform_probability": 0.0,
                        "diversion.entry_rate": 0.2})
    layout = Layout.from_world(World.from_scenario(scenario))
    state = initial_state(layout, np.arange(2000))
    assert state.dormant.sum() > 0
    at = {premium: _entries_at(layout, replace(state, premium=np.full(2000, premium)), 0)
          for premium in (1.0, 1.5, 3.0)}
    assert at[1.0] == 0 < at[1.5] < at[3.0]
    raised = replace(state, premium=np.full(2000, 3.0),
                     vigilance=np.full_like(state.vigilance, 30.0))
    assert (catch_probability(layout, raised, 0) > catch_probability(layout, state, 0)).all()
    assert _entries_at(layout, raised, 0) < at[3.0]


def test_a_listed_network_re_forms_only_after_the_delay():
    scenario = _strict({**ADAPTIVE, "diversion.reform_delay_months": 3,
                        "diversion.reform_probability": 0.6, "time.months": 24})
    layout = Layout.from_world(World.from_scenario(scenario))
    state = initial_state(layout, SEEDS)
    reformed = 0
    for t in range(scenario.time.months):
        for name, after in step_phases(layout, state, t):
            if name == "renew_brokers":
                back = state.listed & ~after.listed
                assert np.all(t - state.listed_at[back] >= 3)
                assert np.all(after.entered[back]) and np.all(after.listed_at[back] == -1)
                reformed += int(back.sum())
            state = after
        assert np.all(state.shipped[state.listed & ~state.caught] == 0)
    assert reformed > 0


def test_entry_and_re_formation_agree_after_every_phase():
    scenario = _strict({**ADAPTIVE, "time.months": 14, "enforcement.detection": 0.2})
    assert assert_agree_after_every_phase(scenario, seed=3) > 0
    layout = Layout.from_world(World.from_scenario(scenario))
    state = initial_state(layout, np.array([3]))
    entered = 0
    for t in range(scenario.time.months):
        state = step(layout, state, t)
        entered += int(state.entered.sum())
    assert entered > 0  # the comparison saw brokers enter


def test_raising_one_hubs_enforcement_moves_diversion_to_the_others():
    def through(overrides: dict) -> tuple[int, int]:
        scenario = _strict(overrides)
        results = sim.run_batch(scenario, SEEDS[:40])
        diverted = results.metric("diverted_tpp").sum(axis=(0, 1))
        sgp = scenario.country_codes.index("SGP")
        return int(diverted[sgp]), int(diverted.sum() - diverted[sgp])

    # Unsteered, every broker buys its own share and no more, so the other hubs gain only
    # where they had spare capacity (10x the calibrated size). Steered networks move what
    # the risky hub loses to the others at the calibrated size too: at 5, a hub catching
    # one shipment in five or more gets none, so its brokers are not caught and their
    # capacity stays with the networks.
    steered = {"diversion.route_sensitivity": 5.0}
    roomy = {"market.firm_demand_h100e.broker": 420.0}
    for behaviour in ({}, ADAPTIVE, {**ADAPTIVE, **roomy}, steered, {**ADAPTIVE, **steered}):
        level = _strict().countries["SGP"].enforcement
        sgp_before, others_before = through(behaviour)
        sgp_after, others_after = through({**behaviour, "countries.SGP.enforcement": 10 * level})
        assert sgp_after < 0.2 * sgp_before, behaviour
        if roomy.keys() <= behaviour.keys():
            assert others_after > others_before, behaviour
        if steered.keys() <= behaviour.keys():
            assert others_after > others_before + 0.5 * (sgp_before - sgp_after), behaviour


ROUTES = {"diversion.route_sensitivity": 20.0, "time.months": 14}


def test_steered_brokers_buy_less_where_the_catch_risk_is_higher():
    scenario = _strict(ROUTES)
    layout = Layout.from_world(World.from_scenario(scenario))
    state = initial_state(layout, SEEDS)
    catch = catch_probability(layout, state, 0)
    capacity = np.full_like(catch, 1000, dtype=np.int64)
    weight = route_weights(layout, state, 0, capacity)
    assert np.all(weight <= capacity)
    risky, safe = np.argmax(catch[0]), np.argmin(catch[0])
    assert catch[0, risky] > catch[0, safe]
    assert np.all(weight[:, risky] < weight[:, safe])
    off = replace(state)
    plain = route_weights(Layout.from_world(World.from_scenario(_strict({"time.months": 14}))),
                          off, 0, capacity)
    assert np.array_equal(plain, capacity)  # no steering: the capacity itself


def test_steered_routes_move_purchases_away_from_a_risky_hub():
    def purchases(overrides: dict) -> np.ndarray:
        results = sim.run_batch(_strict(overrides), SEEDS[:40])
        return results.metric("diversion_attempted_tpp").sum(axis=(0, 1))

    sgp = _strict().country_codes.index("SGP")
    plain, steered = purchases({"time.months": 14}), purchases(ROUTES)
    assert steered[sgp] / steered.sum() < 0.8 * plain[sgp] / plain.sum()


def grey_market_splits(scenario: sim.Scenario, seed: int) -> list[tuple[int, list, list]]:
    """Each month's target, and each broker's capacity and want, right after the split."""
    model = sim.ExportControlModel(scenario, seed=seed)
    split, splits = model.place_grey_market_orders, []

    def recorded() -> None:
        split()
        tpp, intensity = model.frontier_tpp, min(1.0, model.in_force.diversion.broker_appetite
                                                 * (model.premium - 1.0))
        target = int(sum(d // tpp for d in model.diversion_demand_tpp) * intensity)
        splits.append((target, [b.capacity_chips() for b in model.brokers],
                       [b.request_tpp // tpp for b in model.brokers]))

    model.place_grey_market_orders = recorded
    model.run()
    return splits


def test_the_networks_buy_the_target_within_their_capacity_and_steering_moves_it():
    plain = _strict({**ADAPTIVE, "time.months": 14})
    for target, capacity, want in grey_market_splits(plain, seed=4):
        assert all(0 <= w <= k for w, k in zip(want, capacity, strict=True))
        volume = min(target, sum(capacity))
        assert volume - len(want) < sum(want) <= volume
    beyond = 0
    for target, capacity, want in grey_market_splits(_strict({**ADAPTIVE, **ROUTES}), seed=4):
        volume = min(target, sum(capacity))
        assert 0 <= sum(want) <= volume and min(want) >= 0
        assert all(w == 0 for w, k in zip(want, capacity, strict=True) if k == 0)
        beyond += sum(w > k for w, k in zip(want, capacity, strict=True))
    assert beyond > 0  # steered, a safe hub's brokers buy what the risky hubs' would have


def test_steered_routes_agree_after_every_phase():
    scenario = _strict({**ROUTES, **ADAPTIVE})
    assert assert_agree_after_every_phase(scenario, seed=6) > 0


def test_every_invariant_holds_where_networks_re_form_and_enter():
    from test_random_invariants import check_everything

    golden = Path(__file__).resolve().parent / "data" / "golden" / "scenario.toml"
    scenario = sim.load_scenario(golden, {"enforcement.detection": 0.4,
                                          "diversion.route_sensitivity": 2.0})
    results = sim.run_batch(scenario, [1, 2])
    assert results.metric("entered_brokers").sum() > 0
    assert results.metric("listed_brokers").sum() > 0
    check_everything(scenario, [1, 2])
