"""Streamed ``sim compare`` (issue 19 part 3): the files of all runs at once, byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim.experiment.differences as differences_module
from sim.cli import main
from sim.core import run_batch
from sim.core.batch import bytes_per_run
from sim.core.layout import Layout
from sim.experiment.compare import compare_need, compare_to_folder
from sim.experiment.compared import ComparedRuns
from sim.experiment.differences import bootstrap_mean_interval, paired_differences
from sim.experiment.export import scenario_index, summary_for_csv
from sim.experiment.outcomes import summarise_outcomes
from sim.experiment.running import RunningMean
from sim.plots.compare import compare_figures
from sim.results import load_results
from sim.scenario import load_scenario
from sim.world import World

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
NAMES = ("no_controls", "ai_diffusion_2025", "strict_enforcement")


@pytest.mark.parametrize("shape", [(23, 36, 5), (17, 2), (9, 4, 3, 2)])
def test_running_mean_of_chunks_is_the_mean_of_all_runs_bit_for_bit(shape, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    floats = rng.standard_normal(shape) * 10.0 ** rng.uniform(-8, 8, shape)
    integers = rng.integers(0, 10**12, size=shape)
    for values in (floats, integers):
        running = RunningMean()
        for part in np.array_split(values, [1, 4, 11]):
            running.add(part)
        assert running.n_runs == shape[0]
        assert running.mean().dtype == np.float64
        np.testing.assert_array_equal(running.mean(), values.mean(axis=0))
        assert running.mean().tobytes() == values.mean(axis=0).tobytes()


def _bootstrap_at_once(values, resamples, seed, level=0.95):
    """The interval as it was drawn before blocks: every resample in one array."""
    picks = np.random.default_rng(seed).integers(0, len(values), size=(resamples, len(values)))
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(values[picks].mean(axis=1), [tail, 100.0 - tail])
    return float(low), float(high)


@pytest.mark.parametrize("n", [1, 2, 7, 101])
@pytest.mark.parametrize("block", [1, 50, 333, 10**9])
def test_bootstrap_in_blocks_is_the_bootstrap_at_once(monkeypatch, global_random_seed, n, block):
    values = np.random.default_rng(global_random_seed).normal(3.0, 2.0, n)
    monkeypatch.setattr(differences_module, "BOOTSTRAP_BLOCK", block)
    got = bootstrap_mean_interval(values, resamples=257, seed=global_random_seed)
    assert got == _bootstrap_at_once(values, 257, global_random_seed)


def _budget(runs_per_chunk: int, paths: list[Path]) -> int:
    return runs_per_chunk * max(bytes_per_run(Layout.from_world(World.from_scenario(
        load_scenario(path)))) for path in paths)


@pytest.fixture(scope="module")
def streamed_and_held(tmp_path_factory):
    """A streamed comparison in chunks of 3 runs, and the same runs held whole, drawn apart."""
    paths = [SCENARIOS / f"{name}.toml" for name in NAMES]
    runs, seed = 7, 11
    out = tmp_path_factory.mktemp("streamed")
    comparison = compare_to_folder(paths, runs=runs, seed=seed, out=out, progress=False,
                                   baseline="no_controls", memory_budget_bytes=_budget(3, paths))
    compare_figures(comparison.panels, out, comparison.differences)
    held = {name: run_batch(path, np.arange(seed, seed + runs)) for name, path
            in zip(NAMES, paths, strict=True)}
    whole = tmp_path_factory.mktemp("held")
    (whole / "summary.csv").write_text(summary_for_csv(summarise_outcomes(held)).to_csv(
        index=False))
    (whole / "scenarios.csv").write_text(scenario_index(held, comparison.folders).to_csv(
        index=False))
    (whole / "differences.csv").write_text(paired_differences(held, "no_controls").to_csv(
        index=False))
    compare_figures(held, whole, paired_differences(held, "no_controls"))
    return comparison, held, out, whole


def test_streamed_comparison_writes_every_csv_and_figure_of_the_held_runs(streamed_and_held):
    _comparison, _held, out, whole = streamed_and_held
    files = sorted(p.name for p in whole.iterdir())
    assert files == ["cap_utilisation.png", "differences.csv", "differences.png",
                     "diversion_by_transit.png", "market.png", "outcomes_over_time.png",
                     "scenarios.csv", "summary.csv"]
    for name in files:
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def test_streamed_comparison_saves_every_run_in_chunks(streamed_and_held):
    import pyarrow.parquet as pq

    comparison, held, _out, _whole = streamed_and_held
    for name in NAMES:
        file = comparison.folders[name] / "results.parquet"
        assert pq.ParquetFile(file).num_row_groups == 3  # 3 + 3 + 1 runs
        saved = load_results(file)
        for metric, values in held[name].metrics.items():
            np.testing.assert_array_equal(saved.metric(metric), values, err_msg=metric)
        kept = comparison.compared[name]
        assert kept.n_runs == 7 and kept.digest == held[name].digest
        assert kept.outcomes.equals(ComparedRuns.of(held[name]).outcomes)


def test_compare_refuses_a_request_that_cannot_fit_naming_runs(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["compare", str(SCENARIOS / "no_controls.toml"), str(SCENARIOS / "oct2022.toml"),
                 "--runs", "10000000", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --runs: expected at most about ") and err.count("\n") == 1
    assert not out.exists()


def test_compare_need_counts_every_scenario_disk_and_the_outcomes_kept():
    scenarios = [load_scenario(SCENARIOS / f"{name}.toml") for name in NAMES]
    one, three = compare_need(scenarios[:1], 1000), compare_need(scenarios, 1000)
    assert three.disk == pytest.approx(3 * one.disk, rel=0.01)
    assert one.memory < three.memory < 2 * one.memory  # one scenario's chunk at a time
    assert compare_need(scenarios, 2000).memory > three.memory
