"""The ``[[timeline]]``: dated changes within one run (sim/scenario/timeline.py, sim/world).

Loading: entries are checked once (window, order, keys that may change,
values, one key per date) and every error names the file and the entry.
Running: until an entry's date a run is bit-identical to the run without it,
state carries over every change, an entry at the window's start is the same
as the override, caps count from the month their rule enters into force,
and both implementations agree after every phase on random timelines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_phase_agreement import assert_agree_after_every_phase
from test_random_invariants import RULES, SMALL, load_or_reject, month

import sim
from sim import ScenarioError
from sim.scenario.timeline import changeable_keys
from sim.world import World

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
GOLDEN = ROOT / "tests" / "data" / "golden" / "scenario.toml"


def _write(tmp_path: Path, text: str, name: str = "timeline.toml",
           parent: Path = SCENARIOS / "oct2023.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{parent.as_posix()}"\n{text}', encoding="utf-8")
    return path


def golden_with(*entries: dict[str, Any]) -> dict[str, Any]:
    """Overrides that add ``entries`` to the golden scenario's own timeline, in date order."""
    own = [{"date": e.date, "source": e.source, "set": dict(e.set)}
           for e in sim.load_scenario(GOLDEN).timeline]
    return {"timeline": sorted([*own, *entries], key=lambda entry: entry["date"])}


def _entry(date: str, assignments: str, source: str = "a test") -> str:
    return f'[[timeline]]\ndate = "{date}"\nsource = "{source}"\nset = {{ {assignments} }}\n'


# --- loading ------------------------------------------------------------------------------


def test_a_timeline_loads_and_applies_from_its_date(tmp_path):
    path = _write(tmp_path, _entry("2025-06", '"enforcement.detection" = 0.5, '
                                              '"countries.MYS.enforcement" = 3.0')
                  + _entry("2026-01", 'rules.allocation = "first_come"'))
    scenario = sim.load_scenario(path)
    assert [e.date for e in scenario.timeline] == ["2025-06", "2026-01"]
    before, after = scenario.in_force("2025-05"), scenario.in_force("2025-06")
    assert before.enforcement.detection == scenario.enforcement.detection != 0.5
    assert after.enforcement.detection == 0.5 and after.countries["MYS"].enforcement == 3.0
    assert after.rules.allocation == scenario.rules.allocation
    assert scenario.in_force("2027-12").rules.allocation == "first_come"
    assert scenario.in_force("2027-12").timeline == ()


@pytest.mark.parametrize(("text", "key", "problem"), [
    (_entry("2024-12", '"enforcement.detection" = 0.5'), "timeline[0].date", "inside the window"),
    (_entry("2028-01", '"enforcement.detection" = 0.5'), "timeline[0].date", "inside the window"),
    (_entry("2025-06", '"enforcement.detection" = 0.5')
     + _entry("2025-03", '"enforcement.detection" = 0.2'), "timeline[1].date", "date order"),
    (_entry("2025-06", '"time.months" = 12'), 'timeline[0].set."time.months"', "may change"),
    (_entry("2025-06", '"countries.SGP.firms.broker" = 9'),
     'timeline[0].set."countries.SGP.firms.broker"', "may change"),
    (_entry("2025-06", '"rules.cap_tp" = 9'), 'timeline[0].set."rules.cap_tp"',
     "did you mean 'rules.cap_tpp'"),
    (_entry("2025-06", '"countries.XYZ.enforcement" = 2.0'),
     'timeline[0].set."countries.XYZ.enforcement"', "modelled country"),
    (_entry("2025-06", '"rules.chip_rule" = "oct2024"'), 'timeline[0].set."rules.chip_rule"',
     "expected one of"),
    (_entry("2025-06", '"enforcement.detection" = 1.5'),
     'timeline[0].set."enforcement.detection"', "found 1.5"),
    (_entry("2025-06", '"enforcement.detection" = 0.5')
     + _entry("2025-06", '"enforcement.detection" = 0.2'),
     'timeline[1].set."enforcement.detection"', "set once on 2025-06"),
    (_entry("2025-06", '"tiers.tier3" = ["CHN", "USA"]'), 'timeline[0].set."tiers.tier3"',
     "in both tier1"),
    ('[[timeline]]\ndate = "2025-06"\nset = { "enforcement.detection" = 0.5 }\n',
     "timeline.0.source", "missing"),
    (_entry("2025-06", ""), "timeline.0.set", "non-empty table"),
])
def test_a_bad_entry_names_file_entry_and_key(tmp_path, text, key, problem):
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        sim.load_scenario(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert key in message and problem in message, message
    assert "\n" not in message


def test_a_contradiction_in_force_is_blamed_on_the_entry(tmp_path):
    path = _write(tmp_path, _entry("2025-06", '"tiers.tier3" = ["CHN", "USA"]'))
    with pytest.raises(ScenarioError, match=r"in force from 2025-06"):
        sim.load_scenario(path)


def test_extends_appends_timelines_and_a_child_can_replace_them(tmp_path):
    parent = _write(tmp_path, _entry("2025-06", '"enforcement.detection" = 0.5'), "parent.toml")
    child = _write(tmp_path, _entry("2026-01", '"enforcement.detection" = 0.4'), "child.toml",
                   parent)
    assert [e.date for e in sim.load_scenario(child).timeline] == ["2025-06", "2026-01"]
    alone = _write(tmp_path, "inherit_timeline = false\n"
                   + _entry("2026-02", '"enforcement.detection" = 0.3'), "alone.toml", parent)
    assert [e.date for e in sim.load_scenario(alone).timeline] == ["2026-02"]
    empty = _write(tmp_path, "inherit_timeline = false\n", "empty.toml", parent)
    assert sim.load_scenario(empty).timeline == ()
    earlier = _write(tmp_path, _entry("2025-03", '"enforcement.detection" = 0.4'),
                     "earlier.toml", parent)  # a child may add an event before its parent's
    assert [e.date for e in sim.load_scenario(earlier).timeline] == ["2025-03", "2025-06"]
    bad_child = _write(tmp_path, _entry("2025-08", '"enforcement.detection" = 0.4')
                       + _entry("2025-04", '"enforcement.detection" = 0.3'), "bad.toml", parent)
    with pytest.raises(ScenarioError, match=r"bad\.toml: timeline\[1\]\.date: .*date order"):
        sim.load_scenario(bad_child)
    late = _write(tmp_path, _entry("2025-02", '"enforcement.detection" = 0.4')
                  + _entry("2025-02", '"enforcement.measures_multiplier" = 9e9'), "late.toml",
                  parent)  # errors still name the entry as its file numbers it, once sorted
    with pytest.raises(ScenarioError, match=r"late\.toml: timeline\[1\]\.set"):
        sim.load_scenario(late)


def test_changeable_keys_are_the_rules_not_the_population():
    keys = set(changeable_keys())
    assert {"rules.chip_rule", "enforcement.detection", "tiers.tier3",
            "countries.*.enforcement", "countries.*.g2g", "market.chips.*.price_usd",
            "rules.chip_measures.*.measure", "countries.*.import_blocked",
            "diversion.divert_share"} <= keys
    assert not keys & {"time.start", "time.months", "countries.*.firms.broker",
                       "market.partial_need_share", "diversion.initial_premium"}


# --- running ------------------------------------------------------------------------------


def assert_same_metrics(first: sim.Results, second: sim.Results) -> None:
    assert sorted(first.metrics) == sorted(second.metrics)
    for name, values in first.metrics.items():
        np.testing.assert_array_equal(values, second.metrics[name], err_msg=name)


def _metrics_until(results: sim.Results, steps: int) -> dict[str, np.ndarray]:
    return {name: values[:, :steps] for name, values in results.metrics.items()}


@pytest.mark.parametrize(("key", "value"), [
    ("enforcement.detection", 0.6), ("rules.lpp_tpp_per_year", 0),
    ("rules.allocation", "pro_rata"), ("diversion.divert_share", 0.9),
    ("countries.MYS.enforcement", 5.0), ("countries.IND.g2g", False),
    ("tiers.tier3", ["CHN", "SGP"]), ("market.chips.H100.price_usd", 30_000),
    ("market.chips.H100.capacity_chips", 1_000), ("countries.CHN.import_blocked", ["H20"]),
    ("rules.headquarters_rule", False),
])
def test_a_change_leaves_the_months_before_it_alone_and_carries_state(key, value):
    date, seeds = "2025-08", [0, 1]
    plain = sim.run_batch(GOLDEN, seeds)
    changed = sim.run_batch(sim.load_scenario(GOLDEN, golden_with(
        {"date": date, "source": "a test", "set": {key: value}})), seeds)
    before = plain.dates.index(date)
    for name, values in _metrics_until(plain, before).items():
        np.testing.assert_array_equal(changed.metrics[name][:, :before], values, err_msg=name)
    assert any(not np.array_equal(changed.metrics[name], plain.metrics[name])
               for name in plain.metrics), "the change changed nothing"


@pytest.mark.parametrize(("key", "value"), [
    ("enforcement.detection", 0.6), ("rules.cap_period", "cumulative"),
    ("countries.SGP.enforcement", 0.1),
])
def test_an_entry_at_the_start_is_the_override(key, value):
    start = sim.load_scenario(GOLDEN).time.start
    dated = sim.load_scenario(GOLDEN, golden_with(
        {"date": start, "source": "a test", "set": {key: value}}))
    assert_same_metrics(sim.run_batch(dated, [3, 4]),
                        sim.run_batch(sim.load_scenario(GOLDEN, {key: value}), [3, 4]))


def test_an_entry_that_sets_the_same_values_changes_no_bit():
    scenario = sim.load_scenario(GOLDEN)
    same = sim.load_scenario(GOLDEN, golden_with(
        {"date": "2025-03", "source": "a test",
         "set": {"enforcement.detection": scenario.enforcement.detection,
                 "rules.allocation": scenario.rules.allocation}}))
    assert_same_metrics(sim.run_batch(same, [5]), sim.run_batch(scenario, [5]))


def test_a_cap_counts_from_the_month_its_rule_enters_into_force():
    """Caps off in 2025-03, on again in 2025-06: the count starts again (documented)."""
    scenario = sim.load_scenario(GOLDEN, {"rules.cap_period": "cumulative", **golden_with(
        {"date": "2025-03", "source": "lapse", "set": {"rules.tiered_caps": False}},
        {"date": "2025-06", "source": "again", "set": {"rules.tiered_caps": True}})})
    world = World.from_scenario(scenario)
    resets = [world.dates[t] for t in np.flatnonzero(world.cap_resets)]
    assert resets == ["2025-01", "2025-06"]
    used = sim.run_batch(scenario, [0]).metric("quota_used_tpp")[0]
    india = world.countries.index("IND")
    june = world.dates.index("2025-06")
    assert used[june - 1, india] > 0
    assert used[june, india] == sim.run_batch(scenario, [0]).metric("licensed_tpp")[0, june, india]


CHANGEABLE = set(changeable_keys())
TIMELINE_RULES = {key: strategy for key, strategy in RULES.items() if key in CHANGEABLE}


@st.composite
def timelines(draw: st.DrawFn) -> tuple[Path, dict[str, Any]]:
    """A small scenario and a random timeline over it (0 to 3 dates, 1 to 3 keys each)."""
    name = draw(st.sampled_from(sorted(SMALL)))
    scenario = SMALL[name]
    months = draw(st.integers(2, 14))
    start = 12 * (int(scenario.time.start[:4]) - 2024) + int(scenario.time.start[5:7]) - 1
    dates = sorted(draw(st.sets(st.integers(start, start + months - 1), max_size=3)))
    entries = []
    for date in dates:
        keys = draw(st.sets(st.sampled_from(sorted(TIMELINE_RULES)), min_size=1, max_size=3))
        values = {key: draw(TIMELINE_RULES[key]) for key in sorted(keys)}
        code = draw(st.sampled_from(sorted(scenario.countries)))
        if draw(st.booleans()):
            values[f"countries.{code}.enforcement"] = draw(st.floats(0.0, 3.0))
        if draw(st.booleans()):
            values[f"countries.{code}.g2g"] = draw(st.booleans())
        entries.append({"date": month(date), "source": "random", "set": values})
    path = ROOT / "tests" / "data" / "small" / f"{name}.toml"
    return path, {"time.months": months, "timeline": entries}


@settings(max_examples=max(5, settings().max_examples // 4))
@given(drawn=timelines(), seed=st.integers(0, 2**40))
def test_model_and_core_agree_after_every_phase_on_random_timelines(drawn, seed):
    path, overrides = drawn
    assert_agree_after_every_phase(load_or_reject(path, overrides), seed)


def test_a_child_entry_on_a_parent_date_replaces_the_parent_value(tmp_path):
    parent = _write(tmp_path, _entry("2025-06", '"enforcement.detection" = 0.5, '
                                                '"rules.allocation" = "first_come"'), "parent.toml")
    child = _write(tmp_path, _entry("2025-06", '"enforcement.detection" = 0.9'), "child.toml",
                   parent)
    in_june = sim.load_scenario(child).in_force("2025-06")
    assert (in_june.enforcement.detection, in_june.rules.allocation) == (0.9, "first_come")
    twice = _write(tmp_path, _entry("2025-06", '"enforcement.detection" = 0.5')
                   + _entry("2025-06", '"enforcement.detection" = 0.9'), "twice.toml")
    with pytest.raises(ScenarioError, match=r"twice\.toml: timeline\[1\]\.set.*set once"):
        sim.load_scenario(twice)
