"""The Mesa model and the core agree after EVERY phase of every month, not only at the end.

Both run the one phase list (``sim.world.phases.PHASES``). The model's phase
methods are wrapped to take a snapshot of its state after each phase, in the
core's layout order; the core is stepped phase by phase with
``sim.core.batch.step_phases``. After each phase every quantity that is
meaningful then (``sim.world.phases.decided_by``) must be bit-identical, and
a failure names the month, the phase and the array.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import SCENARIOS, SHIPPED
from hypothesis import given, settings
from hypothesis import strategies as st
from test_core_agreement import small_scenarios
from test_random_invariants import load_or_reject, small_overrides

import sim
from sim.core import batch
from sim.core.layout import Layout
from sim.core.state import initial_state
from sim.world.phases import DECIDES, PHASES, decided_by

DATA = Path(__file__).resolve().parent / "data"
COUNTRY_QUANTITIES = frozenset({"quota_used_tpp", "stock_tpp", "vigilance", "diverted_received_tpp",
                                "diversion_demand_tpp"})
RUN_QUANTITIES = frozenset({"premium", "diverted_chips", "us_shipped_chips", "price_index",
                            "vendor_orders_chips", "rental_index", "rent_requested_tpp",
                            "rent_offered_tpp"})
MONTHS = 14
"""Long enough to cross a January (LPP and annual caps restart) in every shipped scenario."""


def model_quantity(model: sim.ExportControlModel, name: str, layout: Layout) -> np.ndarray:
    """One quantity of the model's state as the core holds it for one run."""
    if name in RUN_QUANTITIES:
        return np.array(getattr(model, name))
    if name == "diversion_demand_tpp":
        return np.array(model.diversion_demand_tpp)
    if name == "diverted_received_tpp":
        return np.array([c.month.diverted_received_tpp for c in model.countries])
    if name in COUNTRY_QUANTITIES:
        return np.array([getattr(c, name) for c in model.countries])
    if name.startswith("path_"):
        values = [f.paths[name.removeprefix("path_")] for f in model.firms]
    else:
        values = [getattr(f, name) for f in model.firms]
    return np.array(values)[layout.agent]


def model_snapshots(scenario: sim.Scenario, seed: int,
                    layout: Layout) -> list[tuple[int, str, dict[str, np.ndarray]]]:
    """Run the model; return (month, phase, quantities) after every phase."""
    model = sim.ExportControlModel(scenario, seed=seed)
    snapshots = []

    def wrap(phase: str):
        method = getattr(model, phase)

        def after() -> None:
            method()
            snapshots.append((model.step_index, phase, {
                name: model_quantity(model, name, layout) for name in decided_by(phase)}))
        return after

    for phase in PHASES:
        setattr(model, phase, wrap(phase))
    model.run()
    return snapshots


def core_quantity(state, name: str) -> np.ndarray:
    return np.asarray(getattr(state, name))[0]


def assert_agree_after_every_phase(scenario: sim.Scenario, seed: int) -> int:
    """Step both implementations; raise naming the first phase and array that differ.

    Returns the number of (month, phase) comparisons made.
    """
    world = sim.ExportControlModel(scenario, seed=seed).world
    layout = Layout.from_world(world)
    expected = iter(model_snapshots(scenario, seed, layout))
    state = initial_state(layout, np.array([seed], dtype=np.int64))
    compared = 0
    for t in range(world.n_steps):
        month_phases = batch.step_phases(layout, state, t)
        for phase, state in month_phases:
            month, model_phase, quantities = next(expected)
            assert (month, model_phase) == (t, phase), "the two step through different phases"
            for name, want in quantities.items():
                found = core_quantity(state, name)
                if not np.array_equal(found, want):
                    where = np.flatnonzero(np.asarray(found != want).reshape(-1))[:5]
                    raise AssertionError(
                        f"{scenario.name}, seed {seed}, month {t} ({world.dates[t]}): after "
                        f"phase '{phase}', array '{name}' differs for "
                        f"{_who(world, layout, name, where)}: model "
                        f"{want.reshape(-1)[where].tolist()}, core "
                        f"{found.reshape(-1)[where].tolist()}")
            compared += 1
    assert next(expected, None) is None, "the model ran phases the core did not"
    return compared


def _who(world, layout: Layout, name: str, where: np.ndarray) -> list[str]:
    """Name the firms or countries at layout positions ``where``."""
    if name in RUN_QUANTITIES:
        return ["the run"]
    if name in COUNTRY_QUANTITIES:
        return [world.countries[i] for i in where]
    return [world.firms.labels[layout.agent[i]] for i in where]


def test_every_phase_has_its_decisions_listed():
    assert tuple(DECIDES) == PHASES
    assert tuple(batch.PHASE_FUNCTIONS) == PHASES


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_agree_after_every_phase(name, global_random_seed):
    scenario = sim.load_scenario(SCENARIOS / f"{name}.toml", {"time.months": MONTHS})
    compared = assert_agree_after_every_phase(scenario, seed=global_random_seed)
    assert compared == MONTHS * len(PHASES)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_golden_scenario_agrees_after_every_phase(seed):
    scenario = sim.load_scenario(DATA / "golden" / "scenario.toml")
    assert assert_agree_after_every_phase(scenario, seed) == scenario.time.months * len(PHASES)


@pytest.mark.parametrize("path", sorted((DATA / "small").glob("*.toml")), ids=lambda p: p.stem)
def test_small_scenarios_agree_after_every_phase(path):
    scenario = sim.load_scenario(path)
    assert assert_agree_after_every_phase(scenario, seed=3) > 0


RANDOM_EXAMPLES = max(5, settings().max_examples // 4)
SEED = st.integers(0, 2**40)


@settings(max_examples=RANDOM_EXAMPLES)
@given(text=small_scenarios(), seed=SEED)
def test_random_scenarios_agree_after_every_phase(tmp_path_factory, text, seed):
    path = tmp_path_factory.mktemp("random") / "random.toml"
    path.write_text(text, encoding="utf-8")
    assert_agree_after_every_phase(sim.load_scenario(path), seed)


@settings(max_examples=RANDOM_EXAMPLES)
@given(drawn=small_overrides(), seed=SEED)
def test_random_overrides_agree_after_every_phase(drawn, seed):
    path, overrides = drawn
    assert_agree_after_every_phase(load_or_reject(path, overrides), seed)


@pytest.mark.parametrize("phase", ["allocate_caps", "respond", "deliver"])
def test_a_perturbed_core_phase_is_named(monkeypatch, phase):
    """The test can fail: nudge one core phase and the failure names that phase."""
    original = batch.PHASE_FUNCTIONS[phase]
    name = DECIDES[phase][0]

    def perturbed(layout, state, t):
        state = original(layout, state, t)
        value = getattr(state, name)
        nudged = value.copy()
        nudged.reshape(-1)[-1] += 1
        return replace(state, **{name: nudged})

    monkeypatch.setitem(batch.PHASE_FUNCTIONS, phase, perturbed)
    scenario = sim.load_scenario(DATA / "golden" / "scenario.toml", {"time.months": 3})
    with pytest.raises(AssertionError, match=f"after phase '{phase}', array '{name}'"):
        assert_agree_after_every_phase(scenario, seed=0)
