"""Tests for sim.calibration: targets files, statistics, distance, ABC, the command.

The ABC tests run a tiny scenario written here over the test base (three countries,
a few generated firms, six months), so they stay fast and do not move when the
shipped defaults are recalibrated. "Published" figures for the recovery tests
are produced by the model itself at known parameter values.
"""

from __future__ import annotations

import json
import math
import shutil
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from testbase import TEST_BASE, extending

import sim
from sim.calibration.abc import AbcSettings, run_abc
from sim.calibration.distance import distance, standardised_residuals
from sim.calibration.errors import TargetsError
from sim.calibration.simulate import simulate_draw
from sim.calibration.statistics import STATISTICS
from sim.calibration.targets import Target, load_targets
from sim.cli import main
from sim.experiment.executors import ChunkError, InProcessExecutor, LocalProcessExecutor
from sim.experiment.folders import MARKER, prepare_output
from sim.experiment.parameters import Parameter
from sim.experiment.sampling import from_unit, sobol_unit, to_unit
from sim.reference import H100E_TPP
from sim.results import COUNTRY_METRICS, Results

REPO = Path(__file__).resolve().parent.parent
PUBLISHED = REPO / "scenarios" / "targets" / "published.toml"

TINY = extending(TEST_BASE, """
name = "tiny"
description = "Three countries, a few generated firms, six months."
[time]
start = "2024-01"
months = 6
[rules]
chip_rule = "none"
tiered_caps = false
remote_compute_allowed = true
[market]
demand_noise = 0.2
backlog_months = 3
substitution_share = 0.5
remote_share = 0.1
[diversion]
divert_share = 0.5
[tiers]
tier1 = ["USA"]
[country_defaults]
growth_per_year = 1.2
firms = { buyer = 4, research = 1, champion = 0, broker = 0 }
[countries.USA]
demand_scale = 3.0
[countries.CHN]
domestic_capacity_h100e = 100_000
[countries.SGP]
firms = { buyer = 2, research = 0, champion = 0, broker = 3 }
""")

DENIED = """
extends = "tiny.toml"
name = "tiny_denied"
description = "The tiny market under the October 2023 rule: China denied."
[rules]
chip_rule = "oct2023"
"""

PARAMETERS = """
[[parameters]]
key = "countries.CHN.demand_scale"
label = "China's demand scale"
low = 0.5
high = 8.0
scale = "log"

[[parameters]]
key = "market.substitution_share"
label = "substitution share"
low = 0.05
high = 1.0
"""


def _target_toml(name: str, statistic: str, scenario: str, value: float, low: float,
                 high: float, countries: str = '["CHN"]', role: str = "fit",
                 window: str = '["2024-01", "2024-06"]') -> str:
    return f"""
[[targets]]
name = "{name}"
label = "{name}"
statistic = "{statistic}"
scenario = "{scenario}"
countries = {countries}
window = {window}
value = {value}
low = {low}
high = {high}
source = "the model itself"
role = "{role}"
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A folder with the tiny scenarios."""
    (tmp_path / "tiny.toml").write_text(TINY, encoding="utf-8")
    (tmp_path / "tiny_denied.toml").write_text(DENIED, encoding="utf-8")
    return tmp_path


def _write_targets(folder: Path, body: str, header: str | None = None) -> Path:
    path = folder / "targets.toml"
    header = header if header is not None else (
        'name = "tiny_targets"\ncalibrated_base = "tiny.toml"\n')
    path.write_text(header + body, encoding="utf-8")
    return path


def _good_body() -> str:
    return (PARAMETERS
            + _target_toml("share", "revenue_share", "tiny.toml", 0.3, 0.2, 0.4)
            + _target_toml("domestic", "domestic_chips", "tiny_denied.toml", 5e4, 1e4, 2e5))


# ----- targets files ---------------------------------------------------------------------


def test_published_targets_load_with_sources_and_windows():
    target_set = load_targets(PUBLISHED)
    assert target_set.fit_targets and target_set.parameters
    for target in target_set.targets:
        assert target.source.startswith("docs/sources.md §")
        assert target.low <= target.value <= target.high
        assert target.scenario.is_file()
        assert target.role in ("fit", "check")
    for target in target_set.targets:
        if target.role == "check":
            assert target.note, f"{target.name}: a check target must say why"


def test_published_targets_read_one_history_and_hold_figures_out():
    target_set = load_targets(PUBLISHED)
    history = (REPO / "scenarios" / "history.toml").resolve()
    assert {t.scenario.resolve() for t in target_set.targets} == {history}
    held_out = [t for t in target_set.targets
                if t.role == "check" and t.note.startswith("Held out")]
    assert len(held_out) >= 2


def test_tiny_targets_load(tiny: Path):
    target_set = load_targets(_write_targets(tiny, _good_body()))
    assert [p.key for p in target_set.parameters] == ["countries.CHN.demand_scale",
                                                      "market.substitution_share"]
    assert target_set.parameters[0].scale == "log"
    assert target_set.targets[1].scenario == tiny / "tiny_denied.toml"
    assert target_set.scenarios == (tiny / "tiny.toml", tiny / "tiny_denied.toml")


GOOD_TARGET = _target_toml("share", "revenue_share", "tiny.toml", 0.3, 0.2, 0.4)

BAD_FILES = [
    ("malformed", PARAMETERS + GOOD_TARGET + "[[targets]\n", ""),
    ("unknown top key", "nmae = 1\n" + PARAMETERS + GOOD_TARGET, "nmae"),
    ("unknown statistic", PARAMETERS + GOOD_TARGET.replace("revenue_share", "revenue"),
     "targets.0.statistic"),
    ("unknown target key", PARAMETERS + GOOD_TARGET.replace("role =", "rol ="), "targets.0.rol"),
    ("unknown parameter key",
     PARAMETERS.replace("market.substitution_share", "market.substitution_shar") + GOOD_TARGET,
     "parameters.1.key"),
    ("bounds reversed", PARAMETERS.replace("low = 0.05", "low = 1.5") + GOOD_TARGET,
     "parameters.1.high"),
    ("log bound not positive", PARAMETERS.replace("low = 0.5", "low = 0.0") + GOOD_TARGET,
     "parameters.0.low"),
    ("bound out of the field's range", PARAMETERS.replace("high = 1.0", "high = 1.5")
     + GOOD_TARGET, "parameters.1.high"),
    ("value outside range", PARAMETERS + GOOD_TARGET.replace("value = 0.3", "value = 0.5"),
     "targets.0.value"),
    ("window outside the scenario",
     PARAMETERS + GOOD_TARGET.replace('"2024-06"]', '"2024-09"]'), "targets.0.window"),
    ("window reversed", PARAMETERS + GOOD_TARGET.replace('["2024-01", "2024-06"]',
                                                         '["2024-06", "2024-01"]'),
     "targets.0.window"),
    ("country not modelled", PARAMETERS + GOOD_TARGET.replace('["CHN"]', '["FRA"]'),
     "targets.0.countries"),
    ("missing scenario", PARAMETERS + GOOD_TARGET.replace("tiny.toml", "nowhere.toml"),
     "targets.0.scenario"),
    ("duplicate name", PARAMETERS + GOOD_TARGET + GOOD_TARGET, "targets.1.name"),
    ("no fit target", PARAMETERS + GOOD_TARGET.replace('role = "fit"', 'role = "check"'),
     "targets"),
    ("wrong type", PARAMETERS.replace("high = 8.0", 'high = "8"') + GOOD_TARGET,
     "parameters.0.high"),
    ("no parameters", GOOD_TARGET, "parameters"),
    ("unknown input key", PARAMETERS + GOOD_TARGET.replace(
        'role = "fit"', 'role = "fit"\ninput = "diversion.initial_premum"'), "targets.0.input"),
    ("window with a superscript digit", PARAMETERS + GOOD_TARGET.replace('"2024-06"]',
                                                                          '"2024-0²"]'),
     "targets.0.window"),
    ("window with full-width digits", PARAMETERS + GOOD_TARGET.replace('"2024-01"',
                                                                        '"２０２４-01"'),
     "targets.0.window"),
    ("name not ASCII", PARAMETERS + GOOD_TARGET.replace('name = "share"', 'name = "shäre"'),
     "targets.0.name"),
    ("country listed twice", PARAMETERS + GOOD_TARGET.replace('["CHN"]', '["CHN", "CHN"]'),
     "targets.0.countries"),
    ("bound too long for a float", PARAMETERS.replace("high = 8.0", "high = " + "9" * 400)
     + GOOD_TARGET, "parameters.0.high"),
    ("empty parameters", "parameters = []\n" + GOOD_TARGET, "parameters"),
    ("missing label", PARAMETERS.replace('label = "substitution share"\n', "") + GOOD_TARGET,
     "parameters.1.label"),
    ("deep nesting", "x = " + "[" * 3000 + "]" * 3000 + "\n" + PARAMETERS + GOOD_TARGET, ""),
]


@pytest.mark.parametrize(("case", "body", "key"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_targets_file_names_file_and_key(tiny: Path, case: str, body: str, key: str):
    path = _write_targets(tiny, body)
    with pytest.raises(TargetsError) as caught:
        load_targets(path)
    assert caught.value.file == str(path), case
    assert caught.value.key == key, str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_targets_file_names_it(tmp_path: Path):
    with pytest.raises(TargetsError) as caught:
        load_targets(tmp_path / "none.toml")
    assert caught.value.file == str(tmp_path / "none.toml")


# ----- statistics on hand-built results --------------------------------------------------


def _results(metrics: dict[str, np.ndarray], premium: np.ndarray) -> Results:
    """Two runs, three months (2024-01..03), countries CHN, HKG, USA."""
    full = {name: np.zeros((2, 3, 3), dtype=np.int64) for name in COUNTRY_METRICS}
    full.update(metrics)
    full["grey_premium"] = premium
    return Results(scenario_name="hand", digest="0", seeds=np.array([0, 1]),
                   countries=("CHN", "HKG", "USA"), tiers=(3, 3, 1),
                   dates=("2024-01", "2024-02", "2024-03"), metrics=full,
                   scenario={"market": {"domestic_chip": "ASCEND_910C"}}, version="test")


def _flow(values_by_country: dict[int, list[int]]) -> np.ndarray:
    """The same monthly flows in both runs, second run doubled."""
    array = np.zeros((2, 3, 3), dtype=np.int64)
    for country, months in values_by_country.items():
        array[0, :, country] = months
    array[1] = 2 * array[0]
    return array


def test_statistics_on_hand_built_results():
    h = H100E_TPP
    results = _results({
        "diverted_received_tpp": _flow({0: [h, 2 * h, 4 * h], 1: [h, 0, 0], 2: [7 * h, 0, 0]}),
        "delivered_tpp": _flow({0: [h, h, h], 2: [100 * h, 100 * h, 100 * h]}),
        "substituted_tpp": _flow({0: [12_800, 0, 25_600]}),
        "revenue_usd": _flow({0: [10, 10, 10], 1: [0, 10, 0], 2: [30, 30, 30]}),
        "rented_tpp": _flow({0: [3 * h, 0, 0]}),
    }, premium=np.array([[1.2, 1.4, 1.9], [1.0, 1.0, 1.0]]))
    china, window = ("CHN", "HKG"), ("2024-02", "2024-03")
    # CHN + HKG, Feb-Mar: 2 + 4 + 0 + 0 = 6 H100e (run 2 doubled).
    np.testing.assert_allclose(STATISTICS["diverted_h100e"].compute(results, china, window),
                               [6.0, 12.0])
    # Ascend 910C is 12,800 TPP: Feb-Mar 25,600 TPP = 2 chips.
    np.testing.assert_allclose(STATISTICS["domestic_chips"].compute(results, ("CHN",), window),
                               [2.0, 4.0])
    # Revenue Feb-Mar: CHN 20 + HKG 10 of 30 + 80 total: 30 / 90.
    np.testing.assert_allclose(STATISTICS["revenue_share"].compute(results, china, window),
                               [1 / 3, 1 / 3])
    # Jan only: 3 H100e rented by CHN.
    np.testing.assert_allclose(
        STATISTICS["rented_h100e"].compute(results, china, ("2024-01", "2024-01")), [3.0, 6.0])
    # Diverted 6h of 6h + 2h delivered + 25,600 substituted TPP.
    expected = 6 * h / (6 * h + 2 * h + 25_600)
    np.testing.assert_allclose(
        STATISTICS["diverted_share_of_additions"].compute(results, china, window),
        [expected, expected])
    np.testing.assert_allclose(
        STATISTICS["grey_premium_mean"].compute(results, (), window), [1.65, 1.0])


def test_statistics_guard_against_nothing_to_divide():
    results = _results({}, premium=np.ones((2, 3)))
    window = ("2024-01", "2024-03")
    assert STATISTICS["revenue_share"].compute(results, ("CHN",), window).tolist() == [0, 0]
    assert STATISTICS["diverted_share_of_additions"].compute(
        results, ("CHN",), window).tolist() == [0, 0]
    with pytest.raises(ValueError, match="outside the run"):
        STATISTICS["diverted_h100e"].compute(results, ("CHN",), ("2025-01", "2025-02"))
    with pytest.raises(ValueError, match="not modelled"):
        STATISTICS["diverted_h100e"].compute(results, ("FRA",), window)


def test_smuggling_statistics_count_both_routes_and_the_catches():
    h = H100E_TPP
    results = _results({
        "diverted_received_tpp": _flow({0: [h, 2 * h, 4 * h]}),
        "redirected_received_tpp": _flow({0: [0, 3 * h, 0], 1: [0, 0, h]}),
        "delivered_tpp": _flow({0: [h, h, h]}),
        "diversion_seized_tpp": _flow({2: [0, h, 0], 1: [0, h, 0]}),
        "redirect_seized_tpp": _flow({2: [0, 0, 2 * h]}),
    }, premium=np.ones((2, 3)))
    china, window = ("CHN", "HKG"), ("2024-02", "2024-03")
    # Redirected Feb-Mar: CHN 3 + HKG 1 = 4 H100e; smuggled adds 2 + 4 diverted.
    np.testing.assert_allclose(STATISTICS["redirected_h100e"].compute(results, china, window),
                               [4.0, 8.0])
    np.testing.assert_allclose(STATISTICS["smuggled_h100e"].compute(results, china, window),
                               [10.0, 20.0])
    # Smuggled 10h of 10h + 2h delivered acquired.
    np.testing.assert_allclose(
        STATISTICS["smuggled_share_of_additions"].compute(results, china, window),
        [10 / 12, 10 / 12])
    # Caught wherever the broker or subsidiary sits (HKG 1, USA 1 + 2 H100e),
    # whatever countries the target names.
    for countries in ((), ("USA",)):
        np.testing.assert_allclose(
            STATISTICS["seized_h100e"].compute(results, countries, window), [4.0, 8.0])


def test_nvidia_revenue_counts_only_nvidia_chips_at_their_market_price():
    results = _results({}, premium=np.ones((2, 3)))
    shipped = np.zeros((2, 3, 3, 2), dtype=np.int64)          # (R, T, C, K): H100, MI300X
    shipped[:, :, 0, 0] = 1                                   # CHN: one H100 a month
    shipped[:, :, 2, 0] = 3                                   # USA: three H100 a month
    shipped[:, :, 0, 1] = 100                                 # CHN: AMD chips, not Nvidia's
    price = np.zeros((2, 3, 2))
    price[0, :, 0] = [1e9, 2e9, 4e9]                          # run 0's H100 price per month
    price[1, :, 0] = 1e9
    price[:, :, 1] = 1e9
    results = replace(results, chips=("H100", "MI300X"), metrics={
        **results.metrics, "shipped_chips": shipped, "market_price_usd": price})
    window = ("2024-02", "2024-03")
    # Run 0, Feb-Mar: (1 + 3) x (2 + 4) = 24 billion; run 1: 4 x 2 = 8 billion.
    np.testing.assert_allclose(STATISTICS["nvidia_revenue_bn"].compute(results, (), window),
                               [24.0, 8.0])
    np.testing.assert_allclose(
        STATISTICS["nvidia_revenue_share"].compute(results, ("CHN", "HKG"), window),
        [0.25, 0.25])


# ----- distance and priors ---------------------------------------------------------------


def _target(value: float, low: float, high: float) -> Target:
    return Target(name="t", label="t", statistic="diverted_h100e", scenario=Path("x"),
                  countries=("CHN",), window=("2024-01", "2024-12"), value=value, low=low,
                  high=high, unit="", source="", range_note="", note="", role="fit", input="")


@given(st.floats(1.0, 1e5), st.floats(1.01, 100.0), st.floats(1.01, 100.0),
       st.floats(0.01, 1e4))
def test_standardised_residual_is_within_one_exactly_inside_the_range(value, below, above,
                                                                      ratio):
    target = _target(value, value / below, value * above)
    statistic = max(value * ratio, target.low / 10)
    z = standardised_residuals(np.array([[statistic]]), [target])[0, 0]
    inside = target.low <= statistic <= target.high
    assert (abs(z) <= 1 + 1e-9) == inside or math.isclose(abs(z), 1, rel_tol=1e-9)


def test_distance_is_zero_at_the_figure_and_one_at_the_ends():
    target = _target(140_000, 10_000, 300_000)
    stats = np.array([[[140_000.0]], [[10_000.0]], [[300_000.0]]])
    np.testing.assert_allclose(distance(stats, [target]), [0.0, 1.0, 1.0])


def test_prior_maps_unit_cube_to_bounds_and_back():
    log = Parameter("a", 10.0, 1000.0, log=True, label="a")
    whole = Parameter("b", 0.0, 10.0, integer=True, label="b")
    unit = np.array([[0.0, 0.0], [0.5, 0.52], [1.0, 1.0]])
    values = from_unit([log, whole], unit)
    np.testing.assert_allclose(values[:, 0], [10.0, 100.0, 1000.0])
    assert values[:, 1].tolist() == [0.0, 5.0, 10.0]
    np.testing.assert_allclose(to_unit([log, whole], values)[:, 0], unit[:, 0], atol=1e-12)
    draws = from_unit([log, whole], sobol_unit(100, 2, np.random.default_rng(3)))
    assert draws.shape == (100, 2)
    assert (draws[:, 0] >= 10).all() and (draws[:, 0] <= 1000).all()


# ----- ABC on synthetic data generated by the model -----------------------------------------


TRUTH = {"countries.CHN.demand_scale": 2.0, "market.substitution_share": 0.6}


def _synthetic_targets(tiny: Path, settings: AbcSettings) -> Path:
    """Targets whose 'published' figures are the model's own output at TRUTH (+-10%)."""
    placeholder = load_targets(_write_targets(tiny, _good_body()))
    truth = np.array([TRUTH[p.key] for p in placeholder.parameters])
    observed = simulate_draw(placeholder.parameters, placeholder.targets, truth,
                             settings.seeds).mean(axis=1)
    body = PARAMETERS + "".join(
        _target_toml(t.name, t.statistic, t.scenario.name, v, 0.9 * v, 1.1 * v)
        for t, v in zip(placeholder.targets, observed, strict=True))
    return _write_targets(tiny, body)


def test_abc_recovers_parameters_from_the_models_own_output(tiny: Path):
    settings = AbcSettings(draws=64, accept=16, rounds=3, replicates=2, seed=0)
    target_set = load_targets(_synthetic_targets(tiny, settings))
    posterior = run_abc(target_set, settings)
    summary = posterior.summary().set_index("parameter")
    for key, true in TRUTH.items():
        row = summary.loc[key]
        assert row["p05"] <= true <= row["p95"], (key, row.to_dict())
        assert row["shrinkage"] < 0.5, (key, row.to_dict())
    assert summary.loc["countries.CHN.demand_scale", "median"] == pytest.approx(2.0, rel=0.15)
    assert summary.loc["market.substitution_share", "median"] == pytest.approx(0.6, abs=0.1)
    assert posterior.rounds[-1].epsilon < posterior.rounds[0].epsilon


def test_rejection_abc_keeps_the_closest_prior_draws(tiny: Path):
    settings = AbcSettings(draws=32, accept=0.25, rounds=0, replicates=1, seed=1)
    posterior = run_abc(load_targets(_synthetic_targets(tiny, settings)), settings)
    assert len(posterior.values) == 8
    assert np.all(np.diff(posterior.distances) >= 0)
    prior_distance = np.sort(distance(posterior.prior_statistics,
                                      posterior.target_set.fit_targets))
    np.testing.assert_allclose(posterior.distances, prior_distance[:8])


def test_abc_is_deterministic_given_the_seed(tiny: Path):
    path = _write_targets(tiny, _good_body())
    target_set = load_targets(path)
    settings = AbcSettings(draws=16, accept=4, rounds=2, replicates=1, seed=5)
    first, again = run_abc(target_set, settings), run_abc(target_set, settings)
    np.testing.assert_array_equal(first.values, again.values)
    np.testing.assert_array_equal(first.distances, again.distances)
    other = run_abc(target_set, AbcSettings(draws=16, accept=4, rounds=2, replicates=1, seed=6))
    assert not np.array_equal(first.prior_values, other.prior_values)


@pytest.mark.parametrize(("acceptance", "expected"), [
    (None, 20),   # the first round: the most it may take
    (0.5, 7),     # 0.5**7 < 0.01 <= 0.5**6
    (0.35, 11),   # log 0.01 / log 0.65 = 10.7
    (0.01, 20),   # would need 459: capped at moves
    (0.0, 20),
    (0.999, 1),
    (1.0, 1),
])
def test_stay_probability_sets_the_steps_from_the_last_acceptance(acceptance, expected):
    settings = AbcSettings(moves=20, stay_probability=0.01)
    moves = settings.moves_after(acceptance)
    assert moves == expected
    if acceptance is not None and 0 < acceptance < 1 and moves < settings.moves:
        assert (1 - acceptance) ** moves <= 0.01 < (1 - acceptance) ** (moves - 1)
    assert AbcSettings(moves=3).moves_after(acceptance) == 3  # without it: always moves


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.5, 2.0])
def test_stay_probability_outside_the_open_interval_is_refused(bad):
    with pytest.raises(ValueError, match="stay_probability"):
        AbcSettings(stay_probability=bad)


def test_more_steps_leave_fewer_duplicates_in_the_population(tiny: Path):
    """One step per copy leaves refused copies as duplicates; the rule moves them on."""
    plain = AbcSettings(draws=32, accept=8, rounds=2, replicates=1, seed=3, moves=1)
    target_set = load_targets(_synthetic_targets(tiny, plain))
    adaptive = replace(plain, moves=6, stay_probability=0.05)
    one, many = run_abc(target_set, plain), run_abc(target_set, adaptive)
    distinct = [len(np.unique(p.values, axis=0)) for p in (one, many)]
    assert distinct[1] > distinct[0], distinct
    steps = [r.simulations // (plain.draws - plain.n_kept) for r in many.rounds[1:]]
    assert steps[0] == 6 and all(1 <= k <= 6 for k in steps), steps


# ----- the command line ------------------------------------------------------------------


def test_calibrate_writes_the_expected_files(tiny: Path, tmp_path: Path, capsys):
    targets = _write_targets(tiny, _good_body())
    out = tmp_path / "out"
    status = main(["calibrate", str(targets), "--out", str(out), "--draws", "16", "--accept",
                   "4", "--rounds", "1", "--replicates", "1", "--seed", "2"])
    assert status == 0
    for name in ("accepted.csv", "prior_draws.csv", "posterior.csv", "rounds.csv",
                 "calibrated.toml", "calibration.json", "posterior.png",
                 "posterior_pairs.png", "targets.png"):
        assert (out / name).is_file(), name
    accepted = pd.read_csv(out / "accepted.csv")
    assert len(accepted) == 16 and "distance" in accepted
    assert len(pd.read_csv(out / "prior_draws.csv")) == 16
    posterior = pd.read_csv(out / "posterior.csv").set_index("parameter")
    scenario = sim.load_scenario(out / "calibrated.toml")
    assert scenario.countries["CHN"].demand_scale == pytest.approx(
        posterior.loc["countries.CHN.demand_scale", "calibrated"])
    assert scenario.market.substitution_share == pytest.approx(
        posterior.loc["market.substitution_share", "calibrated"])
    text = (out / "calibrated.toml").read_text()
    assert "python -m sim calibrate" in text and "--seed 2" in text
    tomllib.loads(text)
    assert "accepted" in capsys.readouterr().out


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_calibrate_bad_targets_file_exits_2(tiny: Path, tmp_path: Path, capsys):
    targets = _write_targets(tiny, PARAMETERS.replace("low = 0.05", "low = 1.5") + GOOD_TARGET)
    assert main(["calibrate", str(targets), "--out", str(tmp_path / "o")]) == 2
    assert f"{targets}: parameters.1.high:" in _one_error_line(capsys)


def test_calibrate_unknown_metric_exits_2(tiny: Path, tmp_path: Path, capsys):
    targets = _write_targets(tiny, PARAMETERS + GOOD_TARGET.replace("revenue_share", "nope"))
    assert main(["calibrate", str(targets), "--out", str(tmp_path / "o")]) == 2
    assert "targets.0.statistic" in _one_error_line(capsys)


def test_calibrate_unwritable_out_exits_2(tiny: Path, tmp_path: Path, capsys):
    targets = _write_targets(tiny, _good_body())
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["calibrate", str(targets), "--out", str(blocker / "out")]) == 2
    assert str(blocker / "out") in _one_error_line(capsys)


def test_calibrate_fixing_a_calibrated_key_exits_2(tiny: Path, tmp_path: Path, capsys):
    targets = _write_targets(tiny, _good_body())
    assert main(["calibrate", str(targets), "--out", str(tmp_path / "o"),
                 "--set", "market.substitution_share=0.3"]) == 2
    assert "market.substitution_share" in _one_error_line(capsys)


def test_calibrate_accepting_more_than_drawn_exits_2(tiny: Path, tmp_path: Path, capsys):
    targets = _write_targets(tiny, _good_body())
    assert main(["calibrate", str(targets), "--out", str(tmp_path / "o"), "--draws", "8",
                 "--accept", "9"]) == 2
    assert "--accept" in _one_error_line(capsys)


@pytest.mark.parametrize("option", [["--accept", "1.5"], ["--accept", "0"], ["--draws", "0"],
                                    ["--rounds", "-1"], ["--min-acceptance", "2"],
                                    ["--stay-probability", "0"], ["--stay-probability", "1"]])
def test_calibrate_bad_option_exits_2(tiny: Path, option: list[str], capsys):
    with pytest.raises(SystemExit) as caught:
        main(["calibrate", str(_write_targets(tiny, _good_body())), *option])
    assert caught.value.code == 2
    _one_error_line(capsys)


def test_negative_calibration_seed_is_one_line_exit_2(tmp_path, capsys) -> None:
    import pytest

    from sim.cli import main

    with pytest.raises(SystemExit) as ended:
        main(["calibrate", "scenarios/targets/published.toml", "--out", str(tmp_path),
              "--seed", "-1"])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--seed" in err


# ----- executors, failures and the output folder -----------------------------------------


def test_posterior_is_bit_identical_in_process_and_on_local_processes(tiny: Path):
    # and on a Dask LocalCluster: see the --scheduler local test below
    target_set = load_targets(_write_targets(tiny, _good_body()))
    settings = AbcSettings(draws=20, accept=5, rounds=1, replicates=2, seed=3)
    reference = run_abc(target_set, settings, executor=InProcessExecutor())
    local = LocalProcessExecutor(2)
    try:
        posterior = run_abc(target_set, settings, executor=local)
    finally:
        local.close()
    for name in ("values", "statistics", "distances", "prior_values", "prior_statistics"):
        np.testing.assert_array_equal(getattr(posterior, name), getattr(reference, name),
                                      err_msg=name)
    assert posterior.rounds == reference.rounds


def _calibrate(targets: Path, out: Path, *options: str) -> int:
    return main(["calibrate", str(targets), "--out", str(out), "--draws", "8", "--accept", "2",
                 "--rounds", "0", "--replicates", "1", *options])


def test_a_programming_error_in_a_calibration_chunk_is_raised(tiny: Path, tmp_path: Path,
                                                              monkeypatch):
    import sim.calibration.simulate as simulate

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug in a statistic")

    monkeypatch.setattr(simulate, "_measure", broken)  # where a chunk computes the statistics
    with pytest.raises(ChunkError, match="ZeroDivisionError: a bug in a statistic") as caught:
        _calibrate(_write_targets(tiny, _good_body()), tmp_path / "o")
    assert "in broken" in str(caught.value.__cause__)  # the worker's traceback


def test_a_user_mistake_in_a_calibration_chunk_is_exit_2(tiny: Path, tmp_path: Path,
                                                         monkeypatch, capsys):
    import sim.calibration.simulate as simulate

    def refused(*args, **kwargs):
        raise sim.ScenarioError("tiny.toml", "market.substitution_share",
                                "expected a number in [0, 1], found 1.5")

    monkeypatch.setattr(simulate, "resolve_points", refused)  # loading a chunk's draws
    assert _calibrate(_write_targets(tiny, _good_body()), tmp_path / "o") == 2
    assert "tiny.toml: market.substitution_share: expected" in _one_error_line(capsys)


def test_calibrate_refuses_a_foreign_folder_and_another_commands_folder(tiny: Path,
                                                                        tmp_path: Path,
                                                                        capsys):
    targets = _write_targets(tiny, _good_body())
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "thesis.tex").write_text("\\documentclass{article}")
    assert _calibrate(targets, thesis) == 2
    assert "expected an empty folder or one written by `sim calibrate`" in _one_error_line(
        capsys)
    assert sorted(p.name for p in thesis.iterdir()) == ["thesis.tex"]
    run_folder = prepare_output(tmp_path / "run", "run")
    assert _calibrate(targets, run_folder) == 2
    assert "a folder written by `sim run`" in _one_error_line(capsys)


def test_calibrate_on_a_dask_local_cluster_matches_in_process_and_reruns(tiny: Path,
                                                                         tmp_path: Path):
    targets = _write_targets(tiny, _good_body())
    out = tmp_path / "out"
    assert _calibrate(targets, out, "--rounds", "1") == 0
    files = ("accepted.csv", "prior_draws.csv", "posterior.csv")
    in_process = {name: pd.read_csv(out / name) for name in files}
    # a rerun into the same folder, on Dask: refused without --force, replaced whole with it
    assert _calibrate(targets, out, "--rounds", "1", "--scheduler", "local",
                      "--workers", "2") == 2
    assert _calibrate(targets, out, "--rounds", "1", "--scheduler", "local",
                      "--workers", "2", "--force") == 0
    for name in files:  # written with every digit, so equal frames are equal numbers
        pd.testing.assert_frame_equal(pd.read_csv(out / name), in_process[name],
                                      check_exact=True)
    assert json.loads((out / MARKER).read_text())["kind"] == "calibrate"


def test_calibrate_unreachable_scheduler_exits_2(tiny: Path, tmp_path: Path, monkeypatch,
                                                 capsys):
    import sim.experiment.executors as executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "1s")
    assert _calibrate(_write_targets(tiny, _good_body()), tmp_path / "o", "--scheduler",
                      "tcp://127.0.0.1:9") == 2
    assert "expected a reachable Dask scheduler" in _one_error_line(capsys)


def test_a_target_set_in_another_checkout_is_the_same_set_relative_to_its_root(tmp_path):
    root = Path(__file__).resolve().parent.parent
    shutil.copytree(root / "scenarios", tmp_path / "scenarios")  # another checkout
    here = load_targets(root / "scenarios" / "targets" / "published.toml")
    there = load_targets(tmp_path / "scenarios" / "targets" / "published.toml")
    assert here != there  # absolute paths: what --reuse compared before
    assert here.relative_to(root) == there.relative_to(tmp_path)
    assert here.relative_to(root).file == Path("scenarios/targets/published.toml")
    changed = replace(there, targets=there.targets[1:])
    assert here.relative_to(root) != changed.relative_to(tmp_path)


# ----- A chunk of draws in one batch (sim.core.run_points) ----------------------------------


def test_a_chunk_of_draws_runs_as_one_batch_with_each_draws_own_numbers(monkeypatch):
    """The published targets' keys are all run-level (China's demand scale too, which
    splits the pools by size differently in every draw): a chunk's draws run together."""
    from sim.calibration import simulate

    target_set = load_targets(PUBLISHED)
    parameters, targets = target_set.parameters, target_set.targets
    rows = from_unit(parameters, sobol_unit(3, len(parameters), np.random.default_rng(5)))
    seeds = np.arange(2)
    batches = []
    together = simulate.run_points

    def counted(scenarios, seeds_):
        batches.append(len(scenarios))
        return together(scenarios, seeds_)

    monkeypatch.setattr(simulate, "run_points", counted)
    found = simulate.simulate_draws(parameters, targets, rows, seeds)
    assert batches == [3]  # one scenario (the history), its three draws in one batch
    alone = np.stack([simulate_draw(parameters, targets, row, seeds) for row in rows])
    assert batches == [3]  # one draw at a time runs on its own
    np.testing.assert_array_equal(found, alone)
    assert len({tuple(np.round(f[:, 0], 9)) for f in found}) == 3  # the draws differ


def test_draws_of_a_key_that_is_not_run_level_each_run_alone(tiny: Path, monkeypatch):
    from sim.calibration import simulate

    parameters = [Parameter("time.months", low=3, high=6, integer=True)]
    target_set = load_targets(_write_targets(tiny, _good_body()))
    monkeypatch.setattr(simulate, "run_points", lambda *_: pytest.fail("batched"))
    found = simulate.simulate_draws(parameters, target_set.targets,
                                    np.array([[3.0], [6.0]]), np.arange(2))
    assert found.shape == (2, len(target_set.targets), 2)
