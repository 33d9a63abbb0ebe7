"""Many scenario points in one batch (``sim.run_points``, ``sim.core.points``).

A run's bits must not depend on which points share its batch: every point of
``run_points`` equals its own ``run_batch`` (and so, through the agreement
tests, the agent model). The run-level keys are held to reach the core only
through the point table, so no key can be added to them that changes the
world the points share.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS
from hypothesis import given, settings
from hypothesis import strategies as st
from testbase import extending

import sim
from sim.core import iter_points
from sim.core.layout import Layout
from sim.core.points import COUNTRY_KEYS, RUN_LEVEL_KEYS, TABLE_KEYS, PointTable, is_run_level
from sim.scenario import Scenario
from sim.scenario.consistency import CHECKS, checks_reading
from sim.scenario.documents import read_chain
from sim.scenario.loading import resolve_points, resolve_scenario
from sim.sweep.task import BaseScenario
from sim.world import World
from sim.world.world import catch_probabilities, scenario_epochs

PROFILE_EXAMPLES = settings().max_examples
BASE = SCENARIOS / "strict_enforcement.toml"
HISTORY = SCENARIOS / "history.toml"
SHORT = {"time.months": 10, "diversion.reserve_brokers": 1}
SHARE = st.floats(0.0, 1.0)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "market.partial_need_share": SHARE,
    "market.substitution_share": SHARE,
    "market.price_elasticity": st.sampled_from((0.0, 0.5, 2.0)),
    "market.remote_share": SHARE,
    "market.demand_noise": st.floats(0.0, 0.9),
    "market.firm_demand_h100e.broker": st.floats(0.0, 2000.0),
    "diversion.divert_share": SHARE,
    "diversion.broker_appetite": st.floats(0.0, 4.0),
    "diversion.initial_premium": st.floats(1.0, 3.0),
    "diversion.premium_sensitivity": st.floats(0.0, 4.0),
    "diversion.premium_inertia": SHARE,
    "diversion.subsidiary_redirect_share": SHARE,
    "diversion.route_sensitivity": st.sampled_from((0.0, 0.0, 1.0, 5.0, 40.0)),
    "diversion.entry_rate": st.sampled_from((0.0, 0.0, 0.3, 4.0)),
    "diversion.reform_delay_months": st.integers(0, 4),
    "diversion.reform_probability": st.sampled_from((0.0, 0.0, 0.4, 1.0)),
    "enforcement.detection": SHARE,
    "enforcement.measures_multiplier": st.floats(0.0, 3.0),
    "enforcement.vigilance_per_seizure": st.sampled_from((0.0, 0.0, 2.0)),
    "enforcement.vigilance_decay": SHARE,
    "countries.CHN.demand_scale": st.floats(0.5, 4.0),  # the calibration's prior
}
DEMAND_SCALE = "countries.CHN.demand_scale"


def test_every_run_level_key_has_a_strategy():
    assert set(VALUES) == RUN_LEVEL_KEYS | {f"countries.CHN.{key}" for key in COUNTRY_KEYS}
    assert all(is_run_level(key) for key in VALUES)
    assert not is_run_level("country_defaults.demand_scale")  # many countries, by a resolution
    assert not is_run_level("countries.CHN.transit") and not is_run_level("time.months")


def _arrays(holder: Any) -> dict[str, np.ndarray]:
    found = {}
    for name in dir(holder):
        if name.startswith("_"):
            continue
        value = getattr(holder, name, None)
        if isinstance(value, np.ndarray):
            found[name] = value
    return found


def _changed(a: Any, b: Any) -> set[str]:
    left, right = _arrays(a), _arrays(b)
    return {name for name in left if left[name].shape != right[name].shape
            or not np.array_equal(left[name], right[name])}


@pytest.mark.parametrize("key", sorted(RUN_LEVEL_KEYS))
def test_a_run_level_key_reaches_the_core_only_through_the_point_table(key):
    """Two values of the key: the shared world differs only where PointTable carries it."""
    scenario = sim.load_scenario(BASE, SHORT)
    value = BaseScenario.read(BASE).with_settings(SHORT)
    node: Any = value
    for part in key.split("."):
        node = getattr(node, part)
    if isinstance(node, int):
        other = node + 1
    elif key == "diversion.initial_premium":  # at least 1
        other = node + 0.5
    else:  # within every key's range: shares stay shares, the elasticity below its bound
        other = 0.5 if node == 1.0 else (node + 1.0) / 2 if node < 1.0 else node * 0.8
    worlds = [World.from_scenario(scenario),
              World.from_scenario(sim.load_scenario(BASE, {**SHORT, key: other}))]
    allowed = {"catch_probability"} if key in TABLE_KEYS[:2] else set()
    assert _changed(*worlds) <= allowed, key
    assert _changed(*(w.market for w in worlds)) == set(), key
    firms = {"median_h100e"} if key == "market.firm_demand_h100e.broker" else set()
    assert _changed(*(w.firms for w in worlds)) <= firms, key
    layouts = [Layout.from_world(w) for w in worlds]
    fields = {f.name for f in dataclasses.fields(Layout)} - {"world", "points"}
    assert {name for name in _changed(*layouts) if name in fields} == set(), key
    if key in TABLE_KEYS:
        assert _changed(*worlds) | _changed(*(w.firms for w in worlds)), key  # it does reach


def test_a_demand_scale_reaches_the_core_only_through_sizes_and_the_chip_split():
    """China's demand scale changes firm sizes and the chips a pool's firms order, no more."""
    scenarios = [sim.load_scenario(HISTORY, {DEMAND_SCALE: k}) for k in (1.0, 3.0)]
    worlds = [World.from_scenario(s) for s in scenarios]
    assert _changed(*worlds) == {"firm_chip"}
    assert _changed(*(w.market for w in worlds)) == set()
    assert _changed(*(w.firms for w in worlds)) == {"median_h100e"}
    table = PointTable.from_scenarios(worlds[0], scenarios)
    assert np.array_equal(table.median_h100e[1], worlds[1].firms.median_h100e)
    assert np.array_equal(table.firm_chip[1], worlds[1].firm_chip)
    layout = Layout.from_world(worlds[0]).with_points(table)
    alone = Layout.from_world(worlds[1])
    chips = layout.point_chips
    for name in ("chip", "chip_tpp", "order_tpp", "orders_frontier"):
        assert np.array_equal(getattr(chips, name)[1], getattr(alone, name)), name
    for t in range(worlds[0].n_steps):
        own = layout.vendor_queues[chips.vendor_queue[1, t]]
        mine = alone.vendor_queues[alone.vendor_queue[t]]
        assert np.array_equal(own.order, mine.order) and np.array_equal(own.cell_index,
                                                                       mine.cell_index)
    assert layout.point_support(1).keys() == alone.metric_support.keys()
    for name, mask in alone.metric_support.items():
        assert np.array_equal(layout.point_support(1)[name], mask), name


@pytest.mark.parametrize("path", [SCENARIOS / "history.toml",
                                  SCENARIOS / "ai_diffusion_2025.toml"], ids=lambda p: p.stem)
def test_points_that_split_a_pool_differently_each_equal_their_own_batch(path):
    """The calibration's case: each draw's China demand scale splits the pools its own way."""
    scales = (1.0, 0.5, 2.0, 4.0)
    scenarios = [sim.load_scenario(path, {DEMAND_SCALE: k, "diversion.divert_share": s,
                                          "time.months": 30})
                 for k, s in zip(scales, (0.3, 0.6, 0.3, 0.9), strict=True)]
    seeds = [np.array([1, 2]), np.array([3]), np.array([4, 5, 6]), np.array([7, 8])]
    world = World.from_scenario(scenarios[0])
    assert PointTable.from_scenarios(world, scenarios).firm_chip is not None  # they do differ
    for found, scenario, point_seeds in zip(sim.run_points(scenarios, seeds), scenarios, seeds,
                                            strict=True):
        alone = sim.run_batch(scenario, point_seeds)
        assert found.digest == alone.digest
        for name in alone.metrics:
            assert np.array_equal(found.metric(name), alone.metric(name)), name


@st.composite
def points(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[np.ndarray]]:
    keys = draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=6,
                         unique=True))
    n_points = draw(st.integers(2, 4))
    settings_ = [{**SHORT, **{key: draw(VALUES[key]) for key in keys}} for _ in range(n_points)]
    seeds = [np.array(draw(st.lists(st.integers(0, 2**40), min_size=1, max_size=3)))
             for _ in range(n_points)]
    return settings_, seeds


@settings(max_examples=max(5, PROFILE_EXAMPLES // 10))
@given(drawn=points())
def test_a_point_run_beside_others_equals_it_run_alone(drawn):
    settings_, seeds = drawn
    scenarios = [sim.load_scenario(BASE, s) for s in settings_]
    together = sim.run_points(scenarios, seeds)
    reversed_ = sim.run_points(scenarios[::-1], seeds[::-1])[::-1]
    for scenario, point_seeds, found, found_reversed in zip(scenarios, seeds, together,
                                                            reversed_, strict=True):
        alone = sim.run_batch(scenario, point_seeds)
        assert found.digest == alone.digest and np.array_equal(found.seeds, alone.seeds)
        for name in alone.metrics:
            assert np.array_equal(found.metric(name), alone.metric(name)), name
            assert np.array_equal(found_reversed.metric(name), alone.metric(name)), name


def test_the_streamed_chunks_are_the_points_runs_in_order():
    scenarios = [sim.load_scenario(BASE, {**SHORT, "enforcement.detection": d,
                                          "diversion.entry_rate": 0.5})
                 for d in (0.05, 0.3, 0.9)]
    seeds = [np.arange(4), np.arange(4, 7), np.arange(2)]
    together = sim.run_points(scenarios, seeds)
    chunks = list(iter_points(scenarios, seeds, memory_budget_bytes=1))  # one run a chunk
    assert len(chunks) == 9
    point = np.concatenate([p for p, _ in chunks])
    assert np.array_equal(point, [0, 0, 0, 0, 1, 1, 1, 2, 2])
    streamed = sim.Results.concat([results for _, results in chunks])
    for p, results in enumerate(together):
        for name in results.metrics:
            assert np.array_equal(streamed.metric(name)[point == p], results.metric(name)), name
    diverted = [r.metric("diverted_tpp").sum() for r in together]
    assert diverted[0] > diverted[2]  # the points really differ


def test_points_that_differ_in_another_key_are_refused_naming_it():
    scenarios = [sim.load_scenario(BASE, {**SHORT, "rules.cap_tpp": cap})
                 for cap in (395_000_000, 790_000_000)]
    with pytest.raises(ValueError, match=r"point 1 differs from point 0 in rules\.cap_tpp"):
        sim.run_points(scenarios, [[0], [1]])
    with pytest.raises(ValueError, match="no scenario points"):
        sim.run_points([], [])


@pytest.mark.parametrize("posterior", [False, True])
def test_a_sweep_chunk_of_run_level_points_runs_as_one_batch_with_the_same_rows(
        posterior, monkeypatch):
    from sim.sweep import task

    base = BaseScenario.read(BASE)
    settings_ = [{"enforcement.detection": d, "diversion.broker_appetite": a}
                 for d, a in ((0.05, 0.5), (0.2, 1.0), (0.6, 2.0))]
    chunk = task.make_chunks(settings_, 3)[0]
    draws = (((("diversion.divert_share", "0.2"),), (("diversion.divert_share", "0.7"),))
             if posterior else ())
    draws = tuple(tuple((k, float(v)) for k, v in draw) for draw in draws)
    calls = []
    together = task._outcomes_together

    def counted(*args):
        calls.append(len(args[1]))
        return together(*args)

    monkeypatch.setattr(task, "_outcomes_together", counted)
    fixed = tuple(SHORT.items())
    batched = task.run_chunk(base, chunk, 3, 7, fixed=fixed, posterior=draws)
    assert calls == [3 * (2 if posterior else 1)]  # every point (and draw) in one batch
    monkeypatch.setattr(task, "is_run_level", lambda key: False)  # each point alone, as before
    alone = task.run_chunk(base, chunk, 3, 7, fixed=fixed, posterior=draws)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(batched, alone)
    assert batched["tier3_diverted_h100e"].nunique() > 3  # the points differ


# A sweep's later points are the first point's scenario with a few values set
# (sim.scenario.loading.resolve_points): each must equal its full resolution.



class ReadPoison(Exception):
    """Raised when a check uses a value it does not declare it reads."""


class Poison:
    """A value that raises on any comparison, arithmetic, conversion or hashing."""

    def _read(self, *_: Any) -> Any:
        raise ReadPoison

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _read  # type: ignore[assignment]
    __bool__ = __float__ = __int__ = __index__ = __hash__ = __format__ = _read  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _read
    __truediv__ = __rtruediv__ = __floordiv__ = __pow__ = __rpow__ = __neg__ = _read
    __abs__ = __round__ = __lt__ = _read


def _section_keys(cls: type = Scenario, prefix: str = "") -> list[str]:
    """Every dotted key of a plain value in a section (not in a table or an array)."""
    found = []
    for declaration in dataclasses.fields(cls):
        meta, key = declaration.metadata, f"{prefix}{declaration.name}"
        if "section" in meta:
            found += _section_keys(meta["section"], f"{key}.")
        elif "table" not in meta and "array" not in meta:
            found.append(key)
    return found


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_a_cross_field_check_uses_no_key_it_does_not_list(path):
    """check_consistency(changed=...) may skip a check whose listed keys miss the change."""
    doc = read_chain(path)
    scenario = sim.load_scenario(path)
    epochs = [scenario, *(scenario.in_force(date)
                          for date in dict.fromkeys(e.date for e in scenario.timeline))]
    keys = _section_keys()
    assert len(keys) > 50 and set(keys) >= RUN_LEVEL_KEYS
    for key in keys:
        for check in {check for check, _ in CHECKS} - set(checks_reading({key})):
            for epoch in epochs:
                try:
                    check(epoch.with_values({key: Poison()}), doc)
                except Exception as exc:
                    pytest.fail(f"{check.__name__} uses {key} ({type(exc).__name__}), which "
                                "sim.scenario.consistency.CHECKS does not list for it")


@pytest.mark.parametrize("key", sorted(RUN_LEVEL_KEYS))
def test_a_check_that_lists_a_run_level_key_uses_it(key):
    """The lists are tight where a sweep's points differ: no check runs for nothing."""
    for check in checks_reading({key}):
        used = False
        for path in (BASE, HISTORY):
            try:
                check(sim.load_scenario(path).with_values({key: Poison()}), read_chain(path))
            except ReadPoison:
                used = True
        assert used, (check.__name__, key)
    assert checks_reading(None) == tuple(check for check, _ in CHECKS)


@settings(max_examples=max(10, PROFILE_EXAMPLES // 5), deadline=None)
@given(key=st.sampled_from(sorted(VALUES)), data=st.data(),
       path=st.sampled_from([BASE, HISTORY]))
def test_a_point_set_on_the_first_equals_its_full_resolution(key, data, path):

    doc = read_chain(path)
    values = [data.draw(VALUES[key]) for _ in range(2)]
    shown = data.draw(st.booleans())  # as the command line gives it
    points = [{}, *({key: str(v) if shown else v} for v in values)]
    derived = resolve_points(doc, points, is_run_level)
    for point, scenario in zip(points[1:], derived[1:], strict=True):
        full = resolve_scenario(doc, point)
        assert scenario == full and scenario.digest() == full.digest()
        # set on the first, not resolved: what the key leaves is the first point's own
        changed = key.split(".")[1] if key.startswith("countries.") else None
        assert all(config is derived[0].countries[code]
                   for code, config in scenario.countries.items() if code != changed)


@pytest.mark.parametrize("path", [HISTORY, SCENARIOS / "oct2023.toml"], ids=lambda p: p.stem)
def test_a_bad_point_gets_the_error_its_full_resolution_gives(path):
    """With a timeline (whose epochs are checked again) and without one."""
    doc = read_chain(path)
    for bad in ({"enforcement.detection": 1.5}, {"enforcement.detection": "high"},
                {"market.price_elasticity": 20.0, "market.price_floor": 0.9}):
        with pytest.raises(sim.ScenarioError) as full:
            resolve_scenario(doc, bad)
        with pytest.raises(sim.ScenarioError) as derived:
            resolve_points(doc, [{"market.price_floor": 0.9} if "market.price_floor" in bad
                                 else {}, bad], is_run_level)
        assert str(derived.value) == str(full.value)
    assert "price_elasticity x (1 - price_floor)" in str(full.value)


def test_a_point_that_differs_in_another_key_is_resolved_in_full():

    doc = read_chain(BASE)
    points = [{"enforcement.detection": 0.1}, {"enforcement.detection": 0.2, "time.months": 10},
              {}]
    derived = resolve_points(doc, points, is_run_level)
    for point, scenario in zip(points, derived, strict=True):
        assert scenario == resolve_scenario(doc, point)
    assert derived[1].countries is not derived[0].countries
    assert derived[1].time.months == 10 and derived[2].enforcement.detection != 0.1


def test_each_points_epochs_are_its_own_where_the_timeline_sets_a_run_level_key(tmp_path):
    """PointTable sets each point's values on the first point's epochs; a key the
    timeline sets holds the timeline's value from its date, whatever the point."""
    path = tmp_path / "dated.toml"
    path.write_text(extending(BASE, """
[[timeline]]
date = "2025-04"
source = "test"
set = { "diversion.entry_rate" = 2.0, "enforcement.detection" = 0.4 }
"""))
    base = BaseScenario.read(path)
    settings_ = [{**SHORT, "diversion.entry_rate": r, "enforcement.detection": d,
                  "diversion.divert_share": s}
                 for r, d, s in ((0.1, 0.05, 0.2), (0.7, 0.2, 0.2), (0.3, 0.6, 0.9))]
    scenarios = base.with_settings_of_points(settings_)
    world = World.from_scenario(scenarios[0])
    table = PointTable.from_scenarios(world, scenarios)
    for number, scenario in enumerate(scenarios):
        epochs, epoch = scenario_epochs(scenario, world.dates)
        assert np.array_equal(epoch, world.epoch)
        for key, values in table.in_force.items():
            assert list(values[:, number]) == [_read_key(e, key) for e in epochs], key
        catch = catch_probabilities(epochs, world.epoch, world.countries)
        assert np.array_equal(table.catch_probability[number], catch)
    assert set(table.in_force) == {"diversion.entry_rate", "diversion.divert_share"}
    assert len(set(table.in_force["diversion.entry_rate"][-1])) == 1  # the timeline's 2.0
    assert table.median_h100e is None and not table.loaded


def _read_key(scenario: Any, key: str) -> Any:
    for part in key.split("."):
        scenario = getattr(scenario, part)
    return scenario


def test_the_timeline_is_rechecked_only_at_dates_that_set_a_key_a_check_reads(
        tmp_path, monkeypatch):
    """recheck_timeline skips a date whose checks read no key set by then: the scenario in
    force there gives them the values they just passed on."""
    from sim.scenario import timeline

    path = tmp_path / "dated.toml"
    path.write_text(extending(BASE, """
[[timeline]]
date = "2025-04"
source = "test"
set = { "diversion.entry_rate" = 2.0 }

[[timeline]]
date = "2025-06"
source = "test"
set = { "countries.SGP.enforcement" = 3.0 }
"""))
    doc = read_chain(path)
    scenario = resolve_scenario(doc, {})
    dates = []
    monkeypatch.setattr(timeline, "_check_in_force",
                        lambda scenario_, doc_, date, changed: dates.append((date, changed)))
    timeline.recheck_timeline(scenario, doc, {"market.price_elasticity"})  # no check reads
    assert dates == []  # what either entry sets
    timeline.recheck_timeline(scenario, doc, {"market.demand_noise"})  # the quantities check
    assert dates == [("2025-06", {"market.demand_noise"})]  # reads the countries
