"""Invariants under random scenarios, for the agent model and the core alike.

Hypothesis draws small scenarios three ways: whole TOML files
(``small_scenarios`` of tests/test_core_agreement.py: random countries,
tiers, caps, LPP, VEU firms, vintages, allocation), override dicts over the
hand-checked scenarios of tests/data/small/, and override dicts over
scenarios/base.toml cut to a few months. For each scenario and a few seeds:

* the agent model is checked after every step (tests/invariants.py: caps and
  allowances never exceeded, flows balanced, nothing negative, a listed
  broker never shipped anything again);
* the recorded metrics of both implementations pass ``check_results``
  (chips conserved into the stock, cap use equal to licensed shipments,
  premium finite and at least 1, ...);
* the core, stepped phase by phase, never ships to a broker listed earlier;
* the core and the model agree bit for bit; a rerun with the same seed gives
  the same bits (model and core), and so does the same seed in another batch
  order.

Example counts scale with the hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from invariants import check_results, run_checked
from test_core_agreement import assert_same_bits, small_scenarios

import sim
from sim import ScenarioError
from sim.core import run_batch
from sim.core.batch import step
from sim.core.layout import Layout
from sim.core.state import initial_state
from sim.reference import H100E_TPP
from sim.scenario import Scenario
from sim.scenario.schema import MEASURES
from sim.world import World

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "base.toml"
SMALL = {path.stem: sim.load_scenario(path)
         for path in sorted((ROOT / "tests" / "data" / "small").glob("*.toml"))}
SEEDS = st.lists(st.integers(0, 2**40), min_size=1, max_size=3)
PROFILE_EXAMPLES = settings().max_examples  # 100 under the "ci" profile


def check_everything(scenario: Scenario, seeds: list[int]) -> None:
    """Every invariant, both implementations, and their agreement."""
    world = World.from_scenario(scenario)
    runs = []
    for seed in seeds:
        model = run_checked(scenario, seed)
        runs.append(model.results())
        check_results(runs[-1], model.world)
    batch = run_batch(scenario, seeds)
    check_results(batch, world)
    assert_same_bits(batch, runs)  # the core is the model, run by run
    assert_same_bits(run_batch(scenario, seeds[::-1]), runs[::-1])  # core rerun, other order
    rerun = sim.ExportControlModel(scenario, seed=seeds[0]).run().results()
    assert_same_bits(batch, [rerun, *runs[1:]])  # model rerun, same seed
    check_core_brokers(world, seeds)


def check_core_brokers(world: World, seeds: list[int]) -> None:
    """Step the core's arrays: a listed broker gets nothing until its network re-forms.

    A broker listed in an earlier month stays listed and is shipped nothing,
    unless it re-formed (``entered``) at the start of this month; a dormant
    slot is shipped nothing.
    """
    layout = Layout.from_world(world)
    state = initial_state(layout, np.asarray(seeds, dtype=np.int64))
    listed = np.zeros_like(state.listed)
    for t in range(world.n_steps):
        state = step(layout, state, t)
        gone = listed & ~state.entered
        assert np.all(state.listed[gone]), "a listed broker stays listed until it re-forms"
        assert not np.any(state.shipped[gone]), f"listed broker shipped, step {t}"
        assert not np.any(state.shipped[state.dormant]), f"dormant broker shipped, step {t}"
        assert np.all(state.listed <= layout.is_broker), "only brokers are listed"
        assert np.all(state.entered <= layout.is_broker), "only brokers enter"
        listed = state.listed.copy()


def load_or_reject(path: Path, overrides: dict[str, Any]) -> Scenario:
    """Load; a drawn combination the loader refuses is not an example (rare)."""
    try:
        return sim.load_scenario(path, overrides)
    except ScenarioError:
        reject()
        raise  # unreachable: reject() raises


def month(index: int) -> str:
    """The month ``index`` months after 2024-01."""
    return f"{2024 + index // 12:04d}-{index % 12 + 1:02d}"


SHARE = st.floats(0.0, 1.0)
RULES: dict[str, st.SearchStrategy[Any]] = {
    "rules.chip_rule": st.sampled_from(("none", "oct2022", "oct2023", "oct2023")),
    "rules.tiered_caps": st.booleans(),
    "rules.cap_tpp": st.integers(0, 300).map(lambda n: n * H100E_TPP) | st.integers(0, 10**8),
    "rules.cap_period": st.sampled_from(("cumulative", "annual")),
    "rules.g2g_multiplier": st.floats(1.0, 3.0),
    "rules.lpp_tpp_per_year": st.integers(0, 60).map(lambda n: n * H100E_TPP)
    | st.integers(0, 10**9),
    "rules.uveu_tier1_min_share": SHARE,
    "rules.uveu_tier2_max_share": SHARE,
    "rules.uveu_home_min_share": SHARE,
    "rules.nveu_cap_h100e": st.lists(st.integers(0, 300), min_size=1, max_size=3),
    "rules.chip_measures.H20.measure": st.sampled_from(MEASURES),
    "rules.chip_measures.H20.payment_share": SHARE,
    "rules.chip_measures.H20.volume_share": st.floats(0.0, 2.0),
    "rules.chip_measures.H20.volume_reference": st.sampled_from(("H100", "H20")),
    "rules.embargoed": st.lists(st.sampled_from(("CHN", "IND", "MYS", "RUS", "USA")),
                                unique=True),
    "rules.remote_compute_allowed": st.booleans(),
    "rules.headquarters_rule": st.booleans(),
    "rules.allocation": st.sampled_from(("pro_rata", "first_come")),
    "rules.end_use_checks": SHARE,
    "market.chips.H100.capacity_chips": st.integers(0, 3000),
    "market.chips.H100.price_usd": st.integers(0, 40_000),
    "market.chips.H20.capacity_chips": st.integers(0, 1000),
    "market.domestic_chip": st.sampled_from(("ASCEND_910B", "ASCEND_910C")),
    "market.demand_noise": SHARE,
    "market.backlog_months": st.integers(0, 4),
    "market.partial_need_share": SHARE,
    "market.full_need_ratio": SHARE,
    "market.substitution_share": SHARE,
    "market.remote_share": SHARE,
    "market.cloud_share": st.just("unlimited") | SHARE,
    "rules.cloud_kyc": SHARE,
    "market.depreciation_months": st.integers(1, 60),
    "diversion.divert_share": SHARE,
    "diversion.broker_appetite": st.floats(0.0, 4.0),
    "diversion.initial_premium": st.floats(1.0, 3.0),
    "diversion.premium_sensitivity": st.floats(0.0, 4.0),
    "diversion.premium_inertia": SHARE,
    "enforcement.detection": SHARE,
    "enforcement.measures_multiplier": st.floats(0.0, 3.0),
    "enforcement.vigilance_per_seizure": st.floats(0.0, 20.0),
    "enforcement.vigilance_decay": SHARE,
    "diversion.route_sensitivity": st.floats(0.0, 40.0),
    "diversion.subsidiary_redirect_share": SHARE,
    "diversion.reserve_brokers": st.integers(0, 2),
    "diversion.entry_rate": st.floats(0.0, 4.0),
    "diversion.reform_delay_months": st.integers(0, 4),
    "diversion.reform_probability": SHARE,
}
COUNTRY: dict[str, st.SearchStrategy[Any]] = {
    "firms.buyer": st.integers(0, 3),
    "firms.research": st.integers(0, 2),
    "firms.champion": st.integers(0, 1),
    "firms.broker": st.integers(0, 3),
    "demand_scale": st.floats(0.0, 3.0),
    "growth_per_year": st.floats(0.5, 3.0),
    "enforcement": st.floats(0.0, 3.0),
    "transit": st.floats(0.0, 3.0),
    "domestic_capacity_h100e": st.sampled_from((0, 5, 40)),
    "g2g": st.booleans(),
    "import_blocked": st.lists(st.sampled_from(("H100", "H20")), unique=True),
}


@st.composite
def overrides_for(draw: st.DrawFn, scenario: Scenario, max_months: int) -> dict[str, Any]:
    """A random subset of rule, market and per-country overrides that keeps firms valid."""
    chosen = draw(st.sets(st.sampled_from(sorted(RULES))))
    overrides = {key: draw(RULES[key]) for key in sorted(chosen)}
    overrides["time.months"] = draw(st.integers(1, max_months))
    if draw(st.booleans()):
        start = draw(st.integers(0, 30))
        overrides["time.start"] = month(start)
        tiers_from = start + draw(st.integers(-3, max_months))
        overrides["rules.tiers_from"] = month(tiers_from)
        overrides["rules.tiers_until"] = draw(
            st.just("") | st.integers(tiers_from + 1, tiers_from + 12).map(month))
    # Tier 3 may take any modelled country outside Tier 1 that no NVEU firm calls home.
    nveu_homes = {f.hq for f in scenario.firms if f.status == "nveu"}
    open_codes = sorted(set(scenario.countries) - set(scenario.tiers.tier1) - nveu_homes)
    if open_codes and draw(st.booleans()):
        overrides["tiers.tier3"] = draw(st.lists(st.sampled_from(open_codes), unique=True))
    for code in draw(st.sets(st.sampled_from(sorted(scenario.countries)))):
        for key in draw(st.sets(st.sampled_from(sorted(COUNTRY)), min_size=1)):
            overrides[f"countries.{code}.{key}"] = draw(COUNTRY[key])
    return overrides


@st.composite
def small_overrides(draw: st.DrawFn) -> tuple[Path, dict[str, Any]]:
    """One of tests/data/small/*.toml and random overrides over it."""
    name = draw(st.sampled_from(sorted(SMALL)))
    path = ROOT / "tests" / "data" / "small" / f"{name}.toml"
    return path, draw(overrides_for(SMALL[name], max_months=14))


BASE_SCENARIO = sim.load_scenario(BASE)


@settings(max_examples=PROFILE_EXAMPLES)
@given(text=small_scenarios(), seeds=SEEDS)
def test_random_toml_scenarios_keep_every_invariant(tmp_path_factory, text, seeds):
    path = tmp_path_factory.mktemp("random") / "random.toml"
    path.write_text(text, encoding="utf-8")
    check_everything(sim.load_scenario(path), seeds)


@settings(max_examples=PROFILE_EXAMPLES)
@given(drawn=small_overrides(), seeds=SEEDS)
def test_random_overrides_of_small_scenarios_keep_every_invariant(drawn, seeds):
    path, overrides = drawn
    check_everything(load_or_reject(path, overrides), seeds)


@settings(max_examples=max(5, PROFILE_EXAMPLES * 2 // 5))
@given(overrides=overrides_for(BASE_SCENARIO, max_months=3), seeds=SEEDS)
def test_random_overrides_of_base_keep_every_invariant(overrides, seeds):
    check_everything(load_or_reject(BASE, overrides), seeds)
