"""Streamed results (issue 19 part 3): chunks as they finish, the same bits, bounded memory."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core import iter_batch, run_batch
from sim.core.batch import _chunks, bytes_per_run
from sim.core.layout import Layout
from sim.errors import UserError
from sim.experiment.capacity import Need, check_capacity
from sim.experiment.chips import chip_windows
from sim.experiment.reductions import RunReductions
from sim.experiment.run import run_to_folder
from sim.experiment.summary import summarise_by_country, summarise_by_tier
from sim.results import Results, load_results, save_chunks
from sim.scenario import load_scenario
from sim.world import World

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "ai_diffusion_2025.toml"


def _budget(runs_per_chunk: int) -> int:
    layout = Layout.from_world(World.from_scenario(load_scenario(SCENARIO)))
    return runs_per_chunk * bytes_per_run(layout)


def _same_metrics(a: Results, b: Results) -> None:
    assert a.metrics.keys() == b.metrics.keys()
    for name in a.metrics:
        assert a.metrics[name].dtype == b.metrics[name].dtype, name
        np.testing.assert_array_equal(a.metrics[name], b.metrics[name], err_msg=name)
    np.testing.assert_array_equal(a.seeds, b.seeds)


@pytest.fixture
def seeds(global_random_seed):
    return np.arange(global_random_seed, global_random_seed + 11)


@pytest.fixture
def whole(seeds):
    return run_batch(SCENARIO, seeds)


@pytest.fixture
def chunks(seeds):
    return list(iter_batch(SCENARIO, seeds, memory_budget_bytes=_budget(4)))


def test_iter_batch_chunks_are_run_batch_bit_for_bit(whole, chunks):
    assert [c.n_runs for c in chunks] == [4, 4, 3]
    _same_metrics(Results.concat(chunks), whole)


def test_save_chunks_writes_the_file_save_writes(tmp_path, whole, chunks, seeds):
    whole.save(tmp_path / "whole.parquet")
    save_chunks(tmp_path / "streamed.parquet", iter(chunks), seeds)
    assert pq.read_schema(tmp_path / "whole.parquet").equals(
        pq.read_schema(tmp_path / "streamed.parquet"), check_metadata=True)
    assert pq.ParquetFile(tmp_path / "streamed.parquet").num_row_groups == len(chunks)
    _same_metrics(load_results(tmp_path / "streamed.parquet"), whole)


def test_save_chunks_refuses_chunks_that_are_not_the_seeds_and_leaves_no_file(tmp_path, chunks,
                                                                              seeds):
    with pytest.raises(ValueError, match="runs"):
        save_chunks(tmp_path / "r.parquet", iter(chunks[:2]), seeds)
    with pytest.raises(ValueError, match="seeds"):
        save_chunks(tmp_path / "r.parquet", iter(chunks[1:]), seeds[4:] + 1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("summary", [summarise_by_tier, summarise_by_country, chip_windows])
def test_summaries_of_streamed_reductions_are_those_of_all_runs(whole, chunks, summary):
    reduced = RunReductions()
    for chunk in chunks:
        reduced.add(chunk)
    assert summary(reduced).equals(summary(whole))
    assert summary(RunReductions.of(whole)).equals(summary(whole))


def test_run_to_folder_streams_the_runs_run_batch_gives(tmp_path, whole, seeds):
    saved = run_to_folder(SCENARIO, runs=len(seeds), seed=int(seeds[0]), out=tmp_path / "run",
                          memory_budget_bytes=_budget(3))
    _same_metrics(load_results(saved.results_file), whole)
    assert saved.summary.equals(summarise_by_tier(whole))
    assert saved.dates == whole.dates and saved.market_chips == whole.chips


def _traced_peak(runs: int, streamed: bool, out: Path) -> int:
    tracemalloc.start()
    try:
        if streamed:
            run_to_folder(SCENARIO, runs=runs, seed=0, out=out, memory_budget_bytes=_budget(8))
        else:
            run_batch(SCENARIO, np.arange(runs)).save(out / "results.parquet")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streamed_peak_memory_does_not_grow_with_runs(tmp_path):
    run_batch(SCENARIO, [0])  # caches and imports outside the measurement
    # whole chunks of 8 in both (chunks are as even as can be: 12 runs would be two of 6)
    small, large = (_traced_peak(n, True, tmp_path / f"s{n}") for n in (16, 48))
    assert large < 1.25 * small, (small, large)
    # the control: held in memory, three times the runs costs well over twice the memory
    held_small, held_large = (_traced_peak(n, False, tmp_path / f"m{n}") for n in (16, 48))
    assert held_large > 2 * held_small, (held_small, held_large)


def test_a_request_that_cannot_fit_is_refused_naming_runs(tmp_path):
    with pytest.raises(UserError, match=r"^--runs: expected at most about 500 runs here, found "
                                        r"1,000: they need about .* of disk"):
        check_capacity(Need(memory=10, disk=2000), 1000, tmp_path, memory=100, disk=1000)
    with pytest.raises(UserError, match="of memory"):
        check_capacity(Need(memory=200, disk=10), 1000, tmp_path, memory=100, disk=1000)
    check_capacity(Need(memory=100, disk=1000), 1000, tmp_path, memory=100, disk=1000)


def test_sim_run_refuses_too_many_runs_up_front(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(SCENARIO), "--runs",
                           "10000000", "--out", str(out)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: --runs: expected at most about ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5000), st.integers(-3, 2000))
def test_chunks_are_the_fewest_and_as_even_as_can_be(n_runs, most):
    sizes = [part.stop - part.start for part in _chunks(n_runs, most)]
    assert sum(sizes) == n_runs and all(size >= 1 for size in sizes)
    limit = max(1, most)
    assert all(size <= limit for size in sizes)
    assert len(sizes) == -(-n_runs // limit)  # the fewest
    assert not sizes or max(sizes) - min(sizes) <= 1
