"""The cloud route with a supplier: rented compute comes out of installed bases.

``market.cloud_share`` (the share of the installed compute of every country
that may hold the frontier chip offered for rent; ``"unlimited"``, every
shipped scenario, needs no supplier) and ``rules.cloud_kyc`` (the share of a
restricted destination's rental requests that cloud providers' checks
refuse). With a supplier, rented compute has a price index that moves by the
chip market's rule, rent requests over the compute offered, and requests
respond to it with the chip market's elasticity. ``tests/invariants.py``
holds every random scenario to "all rented compute comes out of the
suppliers, none gives more than it offers" and "no supplier, no price". The
core is used except where the point is agreement.
"""

from __future__ import annotations

import numpy as np
from conftest import SCENARIOS
from test_phase_agreement import assert_agree_after_every_phase

import sim
from sim.core.batch import step, step_phases
from sim.core.layout import Layout
from sim.core.renting import rent_requests
from sim.core.state import initial_state
from sim.reference import H100E_TPP
from sim.world import World

SEEDS = np.arange(40)
WINDOW = {"time.months": 14, "market.price_elasticity": 1.0}
"""Fourteen months at a unit elasticity: the calibrated 3.17 of base.toml makes a rental
price that hits its ceiling or floor within a month, hiding the rule's steps."""


def _run(overrides: dict) -> tuple[sim.Results, World]:
    scenario = sim.load_scenario(SCENARIOS / "oct2023.toml", {**WINDOW, **overrides})
    return sim.run_batch(scenario, SEEDS), World.from_scenario(scenario)


def test_without_a_supplier_nothing_is_rented_out():
    results, _ = _run({})
    assert results.metric("rented_tpp").sum() > 0
    assert not results.metric("rented_out_tpp").any()


def test_a_small_offer_binds_and_comes_out_of_countries_that_may_hold_the_chip():
    free, _ = _run({})
    supplied, world = _run({"market.cloud_share": 0.002})
    rented, out = supplied.metric("rented_tpp"), supplied.metric("rented_out_tpp")
    assert 0 < rented.sum() < 0.9 * free.metric("rented_tpp").sum()
    assert np.array_equal(rented.sum(axis=-1), out.sum(axis=-1))
    assert not out[:, world.market.restricted].any()
    assert not rented[:, 0].any()  # nothing installed before the first month: nothing to rent
    usa = supplied.countries.index("USA")
    assert out[..., usa].sum() > 0.5 * out.sum()  # the largest installed base supplies most


def test_know_your_customer_checks_cut_what_restricted_destinations_rent():
    open_, world = _run({"market.cloud_share": 0.05})
    checked, _ = _run({"market.cloud_share": 0.05, "rules.cloud_kyc": 0.8})
    restricted = world.market.restricted[-1]
    assert restricted.any()
    before = open_.metric("rented_tpp")[..., restricted].sum()
    after = checked.metric("rented_tpp")[..., restricted].sum()
    assert 0 < after < 0.3 * before
    from sim.experiment.outcomes import outcomes_per_run

    tier3 = np.asarray(checked.tiers) == 3
    rented = checked.metric("rented_tpp")[..., tier3].sum(axis=(1, 2)) / H100E_TPP
    assert np.allclose(outcomes_per_run(checked)["tier3_rented_h100e"], rented)


def _rental_months(overrides: dict) -> tuple[dict[str, np.ndarray], sim.Scenario]:
    """Step the core; return each month's rental index and rent requested and offered, (R, T)."""
    scenario = sim.load_scenario(SCENARIOS / "oct2023.toml", {**WINDOW, **overrides})
    layout = Layout.from_world(World.from_scenario(scenario))
    state = initial_state(layout, SEEDS)
    months = {"index": [], "requested": [], "offered": []}
    for t in range(layout.world.n_steps):
        state = step(layout, state, t)
        months["index"].append(state.rental_index)
        months["requested"].append(state.rent_requested_tpp)
        months["offered"].append(state.rent_offered_tpp)
    return {name: np.stack(values, axis=1) for name, values in months.items()}, scenario


def test_requests_beyond_the_offer_raise_the_rental_price_next_month():
    months, scenario = _rental_months({"market.cloud_share": 0.002})
    index, requested, offered = months["index"], months["requested"], months["offered"]
    short = (requested[:, :-1] > offered[:, :-1]) & (offered[:, :-1] > 0)  # (R, T - 1)
    assert short[:, 1].all()  # the first month with an installed base to rent from
    assert np.all(index[:, :2] == 1.0) and np.all(index[:, 2] > 1.0)
    rose = index[:, 1:] > index[:, :-1]
    assert np.all(rose[short & (index[:, :-1] < scenario.market.price_ceiling)])


def test_rent_requests_fall_at_a_high_rental_price():
    """The same state's requests against those of the same run with price_elasticity 0."""
    overrides = {**WINDOW, "market.cloud_share": 0.002}
    scenario = sim.load_scenario(SCENARIOS / "oct2023.toml", overrides)
    inelastic = sim.load_scenario(SCENARIOS / "oct2023.toml",
                                  {**overrides, "market.price_elasticity": 0.0})
    layout = Layout.from_world(World.from_scenario(scenario))
    flat = Layout.from_world(World.from_scenario(inelastic))
    state, t = initial_state(layout, SEEDS), 2  # the index first moves in month 2
    for month in range(t):
        state = step(layout, state, month)
    phases = step_phases(layout, state, t)
    before_rent = next(after for phase, after in phases if phase == "allocate_domestic")
    assert np.all(before_rent.rental_index > 1.0)
    priced, unpriced = rent_requests(layout, before_rent, t), rent_requests(flat, before_rent, t)
    assert np.all(priced <= unpriced)
    assert np.all(priced.sum(axis=1) < unpriced.sum(axis=1))
    factor = 1.0 / (1.0 + scenario.market.price_elasticity * (before_rent.rental_index - 1.0))
    assert np.array_equal(priced, (unpriced * factor[:, None]).astype(np.int64))


def test_an_ample_offer_eases_the_rental_price_to_its_floor():
    months, scenario = _rental_months({"market.cloud_share": 1.0})
    index, floor = months["index"], scenario.market.price_floor
    assert np.all(months["requested"][:, 1:] < months["offered"][:, 1:])
    assert np.all(np.diff(index, axis=1) <= 0.0)
    assert np.all(index[:, -1] == floor)
    results, _ = _run({"market.cloud_share": 1.0})
    assert np.array_equal(results.metric("rental_price_index"), index)


def test_without_a_supplier_rented_compute_has_no_price():
    months, _ = _rental_months({})
    assert not months["offered"].any() and months["requested"].sum() > 0
    assert np.all(months["index"] == 1.0)
    results, _ = _run({})
    assert np.all(results.metric("rental_price_index") == 1.0)


def test_the_cloud_route_agrees_after_every_phase():
    scenario = sim.load_scenario(SCENARIOS / "oct2023.toml",
                                 {**WINDOW, "market.cloud_share": 0.002, "rules.cloud_kyc": 0.5})
    assert assert_agree_after_every_phase(scenario, seed=7) > 0
    results = sim.run_batch(scenario, [7])
    assert results.metric("rented_out_tpp").sum() > 0  # the comparison saw compute rented out
    rental = results.metric("rental_price_index")  # ... and a rental price that moved
    assert rental.max() > 1.0 and rental.min() < 1.0


def test_a_cheap_rental_never_asks_for_more_than_is_missing():
    """Hypothesis found it: a rental index below 1 raised requests beyond what was missing.

    With idle cloud capacity the index falls to its floor, where the price
    response exceeds 1 (elastic demand); the request is then capped at what
    shipments and substitution left missing, in both implementations, so no
    backlog goes negative.
    """
    from invariants import run_checked

    overrides = {"diversion.broker_appetite": 0.0, "diversion.divert_share": 0.0,
                 "diversion.entry_rate": 0.0, "market.chips.H20.capacity_chips": 0,
                 "market.cloud_share": 0.727, "market.remote_share": 0.35,
                 "rules.headquarters_rule": False, "rules.nveu_cap_h100e": [0],
                 "time.months": 3}
    scenario = sim.load_scenario(SCENARIOS / "base.toml", overrides)
    model = run_checked(scenario, 0)  # checks every invariant after every step
    results = model.results()
    assert results.metric("rental_price_index")[0, -1] < 1.0  # the case: cheap renting
    assert results.metric("backlog_tpp").min() >= 0
    batch = sim.run_batch(scenario, [0])
    np.testing.assert_array_equal(batch.metric("rented_tpp"), results.metric("rented_tpp"))
