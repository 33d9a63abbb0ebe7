"""Parameter uncertainty in a comparison: ``sim compare --posterior FILE|DIR --draws N``
(sim.experiment.posterior, issue 16 part 4)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS

import sim
from sim.errors import UserError
from sim.experiment.compare import compare_to_folder
from sim.experiment.posterior import load_posterior
from sim.results import load_results

SEEDS = 3


def _accepted(folder, rows: int = 12):
    """A calibration-like folder: accepted.csv with a distance, two keys and a target mean."""
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({
        "distance": np.sort(rng.random(rows)),
        "enforcement.detection": np.geomspace(0.005, 0.3, rows),
        "countries.CHN.domestic_capacity_h100e": np.geomspace(2_000, 200_000, rows).round(),
        "smuggled_2024 (mean)": rng.random(rows),
    })
    frame.to_csv(folder / "accepted.csv", index=False)
    return folder, frame


def test_draws_are_a_fixed_subset_of_the_accepted_rows(tmp_path):
    folder, frame = _accepted(tmp_path / "cal")
    draws = load_posterior(folder, 5)
    assert draws.keys == ("enforcement.detection", "countries.CHN.domestic_capacity_h100e")
    assert draws.n_draws == 5 and len(set(draws.rows)) == 5
    assert np.all(np.diff(draws.rows) > 0) and not np.array_equal(draws.rows, np.arange(5))
    np.testing.assert_array_equal(draws.values, frame[list(draws.keys)].to_numpy()[draws.rows])
    again = load_posterior(folder / "accepted.csv", 5)
    np.testing.assert_array_equal(again.rows, draws.rows)
    first = draws.overrides()[0]
    assert first["countries.CHN.domestic_capacity_h100e"].isdigit()  # a whole number for an int key


@pytest.mark.parametrize(("setup", "draws", "option", "expected"), [
    ("missing", 3, "--posterior", "found no file"),
    ("no_keys", 3, "--posterior", "found no such column"),
    ("text", 3, "--posterior", "expected numbers"),
    ("ok", 13, "--draws", "expected 1 to 12 draws"),
])
def test_bad_posteriors_are_one_line_naming_the_option(tmp_path, setup, draws, option, expected):
    folder, frame = _accepted(tmp_path / "cal")
    if setup == "missing":
        folder = tmp_path / "nowhere"
    elif setup == "no_keys":
        frame[["distance"]].to_csv(folder / "accepted.csv", index=False)
    elif setup == "text":
        frame.assign(**{"enforcement.detection": "high"}).to_csv(folder / "accepted.csv",
                                                                  index=False)
    with pytest.raises(UserError, match=expected) as raised:
        load_posterior(folder, draws)
    assert raised.value.file == option
    assert "\n" not in str(raised.value)


@pytest.fixture(scope="module")
def posterior_comparison(tmp_path_factory):
    root = tmp_path_factory.mktemp("posterior")
    folder, _ = _accepted(root / "cal")
    draws = load_posterior(folder, 4)
    paths = [SCENARIOS / "oct2023.toml", SCENARIOS / "strict_enforcement.toml"]
    with_draws = compare_to_folder(paths, runs=SEEDS, seed=0, out=root / "with", progress=False,
                                   baseline="oct2023", posterior=draws)
    seeds_only = compare_to_folder(paths, runs=SEEDS * draws.n_draws, seed=0,
                                   out=root / "without", progress=False)
    return draws, with_draws, seeds_only


def test_each_draw_runs_every_scenario_on_the_same_seeds(posterior_comparison):
    draws, comparison, _ = posterior_comparison
    seeds = np.arange(SEEDS)
    for runs in comparison.compared.values():
        assert runs.n_runs == SEEDS * draws.n_draws
        np.testing.assert_array_equal(runs.seeds, np.tile(seeds, draws.n_draws))
    path = SCENARIOS / "oct2023.toml"
    for k, override in enumerate(draws.overrides()):
        saved = load_results(comparison.folders["oct2023"] / f"draw={k}" / "results.parquet")
        expected = sim.run_batch(sim.load_scenario(path, override), seeds)
        for metric in ("diversion_seized_tpp", "shipped_tpp", "stock_tpp"):
            np.testing.assert_array_equal(saved.metric(metric), expected.metric(metric))
    table = pd.read_csv(comparison.out / "posterior.csv")
    assert list(table["accepted_row"]) == list(draws.rows)
    assert comparison.runs_label == f"{SEEDS * draws.n_draws} runs = 4 posterior draws x 3 seeds"


def test_parameter_uncertainty_widens_the_intervals(posterior_comparison):
    """Domestic capacity over 2,000-200,000 H100e spreads China's substitutes far wider."""
    _, with_draws, seeds_only = posterior_comparison
    for summary in (with_draws.summary, seeds_only.summary):
        assert set(summary["scenario"]) == {"oct2023", "strict_enforcement"}
    wide = with_draws.summary.set_index("scenario")
    narrow = seeds_only.summary.set_index("scenario")
    outcome = "tier3_substituted_h100e"
    width = wide[f"{outcome}_p95"] - wide[f"{outcome}_p05"]
    seed_width = narrow[f"{outcome}_p95"] - narrow[f"{outcome}_p05"]
    assert (width > 2 * seed_width).all()
    assert with_draws.differences is not None and len(with_draws.differences)


def test_the_command_reads_a_posterior_and_refuses_a_bad_one(tmp_path):
    folder, _ = _accepted(tmp_path / "cal")
    done = subprocess.run([sys.executable, "-m", "sim", "compare", str(SCENARIOS / "oct2023.toml"),
                           "--runs", "2", "--posterior", str(folder), "--draws", "2",
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "x 2 posterior draws" in done.stdout
    assert (tmp_path / "out" / "scenario=oct2023" / "draw=1" / "results.parquet").is_file()
    bad = subprocess.run([sys.executable, "-m", "sim", "compare", str(SCENARIOS / "oct2023.toml"),
                          "--runs", "2", "--posterior", str(tmp_path / "nothing"),
                          "--out", str(tmp_path / "out2")],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "--posterior" in bad.stderr
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    pd.DataFrame({"enforcement.detectoin": [0.1, 0.2]}).to_csv(unknown / "accepted.csv",
                                                               index=False)
    typo = subprocess.run([sys.executable, "-m", "sim", "compare",
                           str(SCENARIOS / "oct2023.toml"), "--runs", "2", "--posterior",
                           str(unknown), "--draws", "1", "--out", str(tmp_path / "out3")],
                          capture_output=True, text=True, check=False)
    assert typo.returncode == 2 and "detectoin" in typo.stderr
    assert len(typo.stderr.strip().splitlines()) == 1


def test_a_run_pools_every_draw_and_keeps_each_draws_file(tmp_path):
    from sim.experiment.run import run_to_folder

    folder, _ = _accepted(tmp_path / "cal")
    draws = load_posterior(folder, 3)
    path = SCENARIOS / "oct2023.toml"
    saved = run_to_folder(path, runs=2, seed=5, out=tmp_path / "run", posterior=draws)
    assert saved.posterior is draws and len(saved.results_files) == 3
    pooled = []
    for k, override in enumerate(draws.overrides()):
        assert saved.results_files[k] == tmp_path / "run" / f"draw={k}" / "results.parquet"
        expected = sim.run_batch(sim.load_scenario(path, override), np.arange(5, 7))
        np.testing.assert_array_equal(load_results(saved.results_files[k]).metric("stock_tpp"),
                                      expected.metric("stock_tpp"))
        pooled.append(expected)
    by_country = pd.read_csv(tmp_path / "run" / "by_country.csv")
    china = by_country[(by_country["country"] == "CHN")]
    stock = np.concatenate([r.metric("stock_tpp")[:, -1, r.countries.index("CHN")]
                            for r in pooled]).mean() / sim.reference.H100E_TPP
    last = china[china["date"] == china["date"].max()]
    assert float(last["stock_h100e"].iloc[0]) == pytest.approx(stock, abs=0.06)
    assert (tmp_path / "run" / "posterior.csv").is_file()


def test_a_sweep_runs_every_point_under_every_draw_and_resumes_only_with_them(tmp_path):
    from sim.experiment.executors import InProcessExecutor
    from sim.sweep import SweepError, load_sweep, run_sweep
    from sim.sweep.task import run_seeds

    folder, _ = _accepted(tmp_path / "cal")
    draws = load_posterior(folder, 2)
    sweep = tmp_path / "tiny.toml"
    sweep.write_text(f'name = "tiny"\ndescription = "two points"\n'
                     f'scenario = "{(SCENARIOS / "oct2023.toml").as_posix()}"\n'
                     '[design]\nkind = "grid"\nreplicates = 2\nseed = 7\n'
                     '[parameters]\n"diversion.divert_share" = { values = [0.3, 0.6] }\n')
    report = run_sweep(sweep, tmp_path / "out", executor=InProcessExecutor(), progress=False,
                       posterior=draws)
    assert report.complete and len(report.runs) == 2 * 2 * 2  # points x replicates x draws
    assert (tmp_path / "out" / "posterior.csv") in report.files
    row = report.runs[(report.runs["point"] == 1) & (report.runs["draw"] == 1)]
    seeds = run_seeds(7, 1, 2)
    np.testing.assert_array_equal(row["seed"], seeds)
    scenario = sim.load_scenario(SCENARIOS / "oct2023.toml",
                                 {**draws.overrides()[1], "diversion.divert_share": 0.6})
    expected = sim.run_batch(scenario, seeds)
    seized = expected.metric("diversion_seized_tpp").sum(axis=(1, 2)) / sim.reference.H100E_TPP
    np.testing.assert_allclose(row["diversion_seized_h100e"], seized, rtol=1e-12)
    again = run_sweep(sweep, tmp_path / "out", executor=InProcessExecutor(), progress=False,
                      posterior=draws)
    assert again.ran == 0 and again.complete
    with pytest.raises(SweepError, match="digest"):
        run_sweep(sweep, tmp_path / "out", executor=InProcessExecutor(), progress=False,
                  posterior=load_posterior(folder, 3))
    assert "posterior" not in load_sweep(sweep).describe()  # no draws: the digest as before


def test_no_shipped_scenario_pins_a_value_a_posterior_draw_sets():
    """A draw overrides each calibrated key; a scenario that set one itself would lose it."""
    calibrated = set(load_posterior(SCENARIOS / "posterior", 1).overrides()[0])
    assert "enforcement.detection" in calibrated
    base = sim.load_scenario(SCENARIOS / "base.toml")
    for path in sorted(SCENARIOS.glob("*.toml")):
        scenario = sim.load_scenario(path)
        for key in calibrated:
            section, *rest = key.split(".")
            value, expected = getattr(scenario, section), getattr(base, section)
            for leaf in rest:
                value, expected = _lookup(value, leaf), _lookup(expected, leaf)
            assert value == expected, f"{path.name} sets {key} to {value}, base.toml {expected}"
    strict = sim.load_scenario(SCENARIOS / "strict_enforcement.toml")
    assert strict.enforcement.measures_multiplier == 3 * 1.5


def _lookup(node, leaf):
    return node[leaf] if isinstance(node, dict) or hasattr(node, "keys") else getattr(node, leaf)


def test_the_shipped_posteriors_draws_run_as_one_batch_each_into_its_own_file(
        tmp_path, monkeypatch):
    """Its keys are all run-level (China's demand scale too): one batch of points, and each
    draw's file holds the rows that draw's own batch gives."""
    from sim.experiment import run

    batches = []
    together = run.iter_point_runs

    def counted(variants, *args):
        batches.append(len(variants))
        return together(variants, *args)

    monkeypatch.setattr(run, "iter_point_runs", counted)
    draws = load_posterior(SCENARIOS / "posterior", 3)
    path = SCENARIOS / "ai_diffusion_2025.toml"
    saved = run.run_to_folder(path, runs=2, seed=5, out=tmp_path / "run", posterior=draws,
                              memory_budget_bytes=1)  # one run a chunk: parts cut at draws
    assert batches == [3]
    for k, override in enumerate(draws.overrides()):
        expected = sim.run_batch(sim.load_scenario(path, override), np.arange(5, 7))
        found = load_results(saved.results_files[k])
        assert found.digest == expected.digest
        for name in expected.metrics:
            np.testing.assert_array_equal(found.metric(name), expected.metric(name), name)
