"""The cloud route with a supplier: rented compute comes out of installed bases.

``market.cloud_share`` (the share of the installed compute of every country
that may hold the frontier chip offered for rent; ``"unlimited"``, every
shipped scenario, needs no supplier) and ``rules.cloud_kyc`` (the share of a
restricted destination's rental requests that cloud providers' checks
refuse). ``tests/invariants.py`` holds every random scenario to "all rented
compute comes out of the suppliers, none gives more than it offers". The
core is used except where the point is agreement.
"""

from __future__ import annotations

import numpy as np
from conftest import SCENARIOS
from test_phase_agreement import assert_agree_after_every_phase

import sim
from sim.reference import H100E_TPP
from sim.world import World

SEEDS = np.arange(40)
WINDOW = {"time.months": 14}


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


def test_the_cloud_route_agrees_after_every_phase():
    scenario = sim.load_scenario(SCENARIOS / "oct2023.toml",
                                 {**WINDOW, "market.cloud_share": 0.002, "rules.cloud_kyc": 0.5})
    assert assert_agree_after_every_phase(scenario, seed=7) > 0
    results = sim.run_batch(scenario, [7])
    assert results.metric("rented_out_tpp").sum() > 0  # the comparison saw compute rented out
