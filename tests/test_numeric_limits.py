"""Numeric limits: int64 overflow, empty populations, one run, one month, 100,000 runs.

Every route by which a scenario could push a quantity out of int64 is
refused at load with a ``ScenarioError`` naming the key; a scenario just
inside the bounds runs in both implementations without a float error or a
wrapped integer (checked against the agent model's Python integers, which
cannot wrap) and they agree bit for bit. Then the degenerate sizes: a
country without firms, no firms at all, one run of one month, and 100,000
runs of a tiny scenario through the core's chunking.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_results, check_step
from test_core_agreement import agent_results, assert_same_bits
from testbase import TEST_BASE, extending

import sim
from sim import ScenarioError
from sim.core import allocation as core_allocation
from sim.core.batch import bytes_per_run
from sim.core.layout import Layout
from sim.reference import H100E_TPP
from sim.scenario.consistency import INT64_MAX, monthly_orders_bound_tpp
from sim.scenario.constraints import MAX_H100E, MAX_QUANTITY
from sim.world import World

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "base.toml"
SMALL = ROOT / "tests" / "data" / "small"
PROFILE_EXAMPLES = settings().max_examples


def test_bounds_are_consistent():
    assert MAX_H100E * H100E_TPP <= MAX_QUANTITY < (MAX_H100E + 1) * H100E_TPP
    safe = core_allocation._SAFE_FACTOR
    assert safe * safe <= INT64_MAX < (safe + 1) * (safe + 1)
    # Prices are at most 1e9 USD, so revenue stays in int64 up to ~9.2e9 chips a month.
    assert INT64_MAX > 10**9 * 9 * 10**9


# ----- every route to overflow is refused at load ---------------------------------------

# (scenario, overrides, key the message must name, fragment of the message)
REFUSED = [
    pytest.param(BASE, {"rules.cap_tpp": MAX_QUANTITY + 1}, "rules.cap_tpp", "found",
                 id="cap"),
    pytest.param(BASE, {"rules.lpp_tpp_per_year": 2**63}, "rules.lpp_tpp_per_year", "found",
                 id="lpp"),
    pytest.param(BASE, {"rules.nveu_cap_h100e": [1, MAX_H100E + 1]}, "rules.nveu_cap_h100e",
                 "non-empty list of integers", id="nveu-cap-in-h100e"),
    pytest.param(BASE, {"countries.CHN.domestic_capacity_h100e": MAX_H100E + 1},
                 "countries.CHN.domestic_capacity_h100e", "found", id="domestic-in-h100e"),
    pytest.param(BASE, {"market.chips.H100.capacity_chips": 2**64},
                 "market.chips.H100.capacity_chips", f"found {2**64}", id="vendor-capacity"),
    pytest.param(BASE, {"market.chips.H20.capacity_chips": 10**100},
                 "market.chips.H20.capacity_chips", "found an integer of about 2**333",
                 id="huge-integer"),
    pytest.param(BASE, {"market.chips.H100.price_usd": 10**9 + 1},
                 "market.chips.H100.price_usd", "found", id="price"),
    pytest.param(BASE, {"rules.g2g_multiplier": 1e300}, "rules.g2g_multiplier", "found",
                 id="g2g"),
    pytest.param(BASE, {"market.firm_demand_h100e.champion": 1e9},
                 "market.firm_demand_h100e.champion", "overflow", id="one-firm-demand"),
    pytest.param(BASE, {"time.months": 600}, "time.months", "overflow",
                 id="growth-over-600-months"),
    pytest.param(SMALL / "cap.toml", {"countries.IND.growth_per_year": 100.0, "time.months": 100},
                 "countries.IND.growth_per_year", "overflow", id="named-firm-growth"),
    pytest.param(SMALL / "cap.toml", {"market.firm_demand_h100e.buyer": 1e9,
                                      "market.size_tail_alpha": 20.0,
                                      "countries.IND.demand_scale": 40.0,
                                      "countries.IND.firms.buyer": 100_000},
                 "countries.IND.firms.buyer", "over 15 months stay below 2**63", id="many-firms"),
    pytest.param(SMALL / "cap.toml", {"market.firm_demand_h100e.buyer": 1e9,
                                      "market.size_tail_alpha": 20.0,
                                      "countries.IND.demand_scale": 40.0,
                                      "countries.IND.firms.buyer": 600,
                                      "market.chips.H100.price_usd": 10**9},
                 "market.chips.H100.price_usd", "revenue below 2**63", id="revenue"),
    pytest.param(SMALL / "cap.toml", {"time.start": "9999-06", "time.months": 12}, "time.start",
                 "ends by 9999-12", id="window-past-year-9999"),
]


@pytest.mark.parametrize(("path", "overrides", "key", "fragment"), REFUSED)
def test_overflow_is_refused_at_load(path, overrides, key, fragment):
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(path, overrides)
    message = str(info.value)
    assert "\n" not in message
    assert info.value.key == key, message
    assert f": {key}: " in message and fragment in message, message


def test_refusals_are_tight():
    """One step back from each total bound, the scenario loads (the check is not blunt)."""
    inside = {"market.firm_demand_h100e.buyer": 1e9, "market.size_tail_alpha": 20.0,
              "countries.IND.demand_scale": 40.0}
    scenario = sim.load_scenario(SMALL / "cap.toml", {**inside, "countries.IND.firms.buyer": 600})
    total = sum(monthly_orders_bound_tpp(scenario).values())
    assert total * (12 + scenario.time.months) > INT64_MAX / 20  # within a factor 20
    with pytest.raises(ScenarioError):
        sim.load_scenario(SMALL / "cap.toml", {**inside, "countries.IND.firms.buyer": 12_000})


# ----- just inside the bounds: no float error, no wrapped integer, the two agree ----------

# Over the test base (3 months from 2025-05, the window the bound is computed for).
NEAR_LIMIT = """
name = "near_limit"
description = "Quantities near the int64 range: huge firms in every regime"

[rules]
cap_tpp = 1_000_000_000_000_000
g2g_multiplier = 1.0
lpp_tpp_per_year = 100_000_000_000_000
nveu_cap_h100e = [63_163_213_744]
remote_compute_allowed = true
allocation = "{allocation}"

[market.chips.H100]
capacity_chips = 1_000_000_000_000

[market.chips.H20]
capacity_chips = 1_000_000_000_000

[market]
size_tail_alpha = 20.0
demand_noise = 0.2
backlog_months = 1
substitution_share = 0.5
remote_share = 0.2
depreciation_months = 1

[market.firm_demand_h100e]
buyer = 1e9
research = 1e9
champion = 1e9
broker = 1e9

[diversion]
divert_share = 0.5
initial_premium = 3.0
premium_sensitivity = 2.0
premium_inertia = 0.5

[enforcement]
detection = 0.5

[tiers]
tier1 = ["USA"]

[country_defaults]
demand_scale = 15.0
domestic_capacity_h100e = 63_163_213_744
firms = {{ buyer = 60, research = 0, champion = 0, broker = 0 }}

[countries.USA]
[countries.IND]
[countries.CHN]
[countries.SGP]
firms = {{ buyer = 0, research = 0, champion = 0, broker = 60 }}
"""


def check_python_ints_fit(model: sim.ExportControlModel) -> None:
    """The model's integers (Python, unbounded) are what int64 must hold: they must fit."""
    for country in model.countries:
        month = country.month
        values = [getattr(month, name) for name in type(month).names()]
        values += [country.stock_tpp, country.quota_used_tpp, country.cap_tpp]
        assert all(0 <= v <= INT64_MAX for v in values), country.code
    for firm in model.firms:
        assert firm.uveu_installed_tpp <= INT64_MAX and firm.nveu_used_tpp <= INT64_MAX


@pytest.mark.parametrize("allocation", ["pro_rata", "first_come"])
def test_near_the_int64_range_nothing_wraps(tmp_path, allocation):
    path = tmp_path / "near_limit.toml"
    path.write_text(extending(TEST_BASE, NEAR_LIMIT.format(allocation=allocation)),
                    encoding="utf-8")
    scenario = sim.load_scenario(path)
    bound = sum(monthly_orders_bound_tpp(scenario).values()) * (12 + scenario.time.months)
    assert bound > INT64_MAX / 20, "the scenario must sit near the bound"
    seeds = [0, 1]
    models = []
    for seed in seeds:
        model = sim.ExportControlModel(scenario, seed=seed)
        for _ in range(model.world.n_steps):
            model.step()
            check_step(model)
            check_python_ints_fit(model)
        models.append(model)
    with np.errstate(all="raise"):  # float overflow or an invalid cast in the core raises
        batch = sim.run_batch(scenario, seeds)
    runs = [m.results() for m in models]
    assert_same_bits(batch, runs)
    check_results(batch, World.from_scenario(scenario))
    # The regime this test is for: chip totals beyond sqrt(2**63) (exact products through
    # Python integers in the core) and TPP beyond 2**53 (floats no longer exact).
    chips = batch.metric("demand_tpp").sum(axis=-1).max() // H100E_TPP
    assert chips > core_allocation._SAFE_FACTOR
    assert batch.metric("stock_tpp").max() > 2**53
    for name in ("licensed_tpp", "lpp_tpp", "substituted_tpp", "diverted_received_tpp"):
        assert batch.metric(name).max() > 0, name  # caps, LPP, substitution, diversion: all busy


def test_cap_shared_among_firms_beyond_sqrt_int64(tmp_path):
    """Regression: the core raised OverflowError where the model ran (pro rata of 4e9 chips)."""
    overrides = {"market.firm_demand_h100e.buyer": 1e9, "market.size_tail_alpha": 20.0,
                 "countries.IND.firms.buyer": 5}
    scenario = sim.load_scenario(SMALL / "cap.toml", overrides)
    assert_same_bits(sim.run_batch(scenario, [3, 4]), agent_results(scenario, [3, 4]))


@settings(max_examples=PROFILE_EXAMPLES)
@given(a=st.integers(0, 2**62), b=st.integers(0, 2**62), c=st.integers(1, 2**62))
def test_muldiv_is_exact_beyond_sqrt_int64(a, b, c):
    expected = a * b // c
    bound = np.array([max(a, b)])
    arrays = [np.array([[v]], dtype=np.int64) for v in (a, b, c)]
    if expected > INT64_MAX:
        with pytest.raises(OverflowError):
            core_allocation.muldiv(*arrays, bound=bound)
    else:
        got = core_allocation.muldiv(*arrays, bound=bound)
        assert got.dtype == np.int64 and int(got[0, 0]) == expected


# ----- degenerate sizes ------------------------------------------------------------------


def test_a_country_without_firms(shipped_scenarios):
    zero = {f"countries.CHN.firms.{kind}": 0 for kind in ("buyer", "research", "champion",
                                                           "broker")}
    scenario = sim.load_scenario(ROOT / "scenarios" / "ai_diffusion_2025.toml",
                                 {**zero, "time.months": 3})
    world = World.from_scenario(scenario)
    chn = world.countries.index("CHN")
    assert not np.any(world.firms.country == chn)
    batch = sim.run_batch(scenario, [0, 1])
    assert_same_bits(batch, agent_results(scenario, [0, 1]))
    check_results(batch, world)
    for name in ("demand_tpp", "unmet_tpp", "diversion_requested_tpp"):
        assert not batch.metric(name)[:, :, chn].any(), name
    assert batch.metric("substituted_tpp")[:, :, chn].sum() == 0  # no one asks the maker


def _no_firms(tmp_path: Path) -> sim.Scenario:
    path = tmp_path / "no_firms.toml"  # cap.toml with its named firms replaced by none
    moving_prices = "\n[market]\nprice_adjustment = 0.2\n"
    path.write_text(extending(SMALL / "cap.toml", "firms = []\n" + moving_prices),
                    encoding="utf-8")
    return sim.load_scenario(path)


def test_no_firms_at_all(tmp_path):
    scenario = _no_firms(tmp_path)
    assert scenario.firms == () and all(
        c.firms.buyer + c.firms.research + c.firms.champion + c.firms.broker == 0
        for c in scenario.countries.values())
    batch = sim.run_batch(scenario, [0, 1, 2])
    assert_same_bits(batch, agent_results(scenario, [0, 1, 2]))
    for name, values in batch.metrics.items():
        if name not in ("grey_premium", "rental_price_index", "market_price_usd",
                        "quota_remaining_tpp"):
            assert not values.any(), name
    # With nothing ordered, every price eases to its floor by the adjustment rule (ODD 6.2a).
    market = scenario.market
    floor = np.array([o.price_usd for o in market.chips.values()]) * market.price_floor
    assert np.allclose(batch.metric("market_price_usd")[:, -1], floor)
    # With nothing asked, the premium relaxes toward 1 by the inertia rule (ODD 6.13).
    diversion = scenario.diversion
    premium = diversion.initial_premium
    for step in range(scenario.time.months):
        premium = diversion.premium_inertia * premium + (1 - diversion.premium_inertia) * 1.0
        assert np.all(batch.metric("grey_premium")[:, step] == premium)


def test_one_run_of_one_month(tmp_path):
    scenario = sim.load_scenario(ROOT / "scenarios" / "strict_enforcement.toml",
                                 {"time.months": 1})
    batch = sim.run_batch(scenario, [11])
    n_countries = len(scenario.countries)
    assert batch.metric("stock_tpp").shape == (1, 1, n_countries)
    assert batch.metric("grey_premium").shape == (1, 1)
    assert_same_bits(batch, agent_results(scenario, [11]))
    check_results(batch, World.from_scenario(scenario))
    assert len(batch.to_frame()) == n_countries
    loaded = sim.load_results(batch.save(tmp_path / "one.parquet"))
    assert_same_bits(loaded, agent_results(scenario, [11]))


TINY = {"countries.CHN.firms.buyer": 2, "countries.USA.firms.broker": 1,
        "rules.allocation": "first_come", "market.demand_noise": 0.3,
        "diversion.divert_share": 0.5, "enforcement.detection": 0.5,
        "market.chips.H100.capacity_chips": 300, "market.backlog_months": 2}


def test_100_000_runs_through_the_chunking():
    scenario = sim.load_scenario(SMALL / "denied.toml", TINY)
    world = World.from_scenario(scenario)
    budget = 4 * 2**20
    per_chunk = budget // bytes_per_run(Layout.from_world(world), metrics=False)
    seeds = np.arange(100_000, dtype=np.int64) * 7919 + 2**40  # spread out, far from 0
    assert 10 < math.ceil(len(seeds) / per_chunk) < 1000  # many chunks, each of many runs
    with np.errstate(all="raise"):
        batch = sim.run_batch(scenario, seeds, memory_budget_bytes=budget)
    assert batch.metric("stock_tpp").shape == (100_000, scenario.time.months, 2)
    assert np.array_equal(batch.seeds, seeds)
    check_results(batch, world)
    # Seeds differ in outcome (no run was dropped or repeated), and catches happened.
    assert np.unique(batch.metric("grey_premium")[:, -1]).size > 1000
    assert batch.metric("diversion_seized_tpp").sum() > 0
    # A run at a chunk edge, and the last one, are the same run alone and in the model.
    picks = [0, per_chunk - 1, per_chunk, len(seeds) - 1]
    alone = sim.run_batch(scenario, seeds[picks])
    for name, values in batch.metrics.items():
        assert np.array_equal(values[picks].view(np.int64), alone.metrics[name].view(np.int64))
    assert_same_bits(alone, agent_results(scenario, seeds[picks]))


def test_largest_seed_runs_in_both():
    scenario = sim.load_scenario(SMALL / "denied.toml", TINY)
    seeds = [2**63 - 1, 2**63 - 2]
    assert_same_bits(sim.run_batch(scenario, seeds), agent_results(scenario, seeds))
