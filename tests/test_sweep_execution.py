"""The same sweep gives the same Parquet wherever and however it runs.

In-process, two local processes and a real Dask ``LocalCluster`` of two
worker processes; a sweep killed with SIGKILL at random moments and rerun; a
worker process killed mid-sweep (local pool and Dask). Each ends with every
point exactly once and contents identical to an uninterrupted run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pyarrow.parquet as pq
import pytest

from sim.experiment.executors import DaskExecutor, LocalProcessExecutor
from sim.sweep.runner import run_sweep

REPO = Path(__file__).resolve().parent.parent
SMALL_SWEEP = REPO / "tests" / "data" / "sweeps" / "small.toml"


def _outcomes(out: Path) -> pd.DataFrame:
    return pq.read_table(out / "outcomes.parquet").to_pandas()


def _parts(out: Path) -> dict[str, pd.DataFrame]:
    return {p.name: pq.read_table(p).to_pandas() for p in sorted((out / "parts").glob("*.parquet"))}


def _assert_same_sweep(out: Path, reference: Path) -> None:
    """Identical combined table and identical parts, every point exactly once."""
    combined = _outcomes(out)
    assert not combined.duplicated(["point", "replicate"]).any()
    pd.testing.assert_frame_equal(combined, _outcomes(reference))
    assert pq.read_table(out / "outcomes.parquet").equals(
        pq.read_table(reference / "outcomes.parquet"))
    parts, expected = _parts(out), _parts(reference)
    assert parts.keys() == expected.keys()
    for name, frame in parts.items():
        pd.testing.assert_frame_equal(frame, expected[name])


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small sweep, uninterrupted, in this process."""
    out = tmp_path_factory.mktemp("reference")
    report = run_sweep(SMALL_SWEEP, out, workers=1, progress=False)
    assert report.complete
    return out


@pytest.fixture(scope="module")
def slow_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A longer variant (one point per chunk, 36 months) that runs for several seconds."""
    folder = tmp_path_factory.mktemp("slow")
    text = SMALL_SWEEP.read_text().replace("points = 16", "points = 24")
    text = text.replace("chunk_points = 2", "chunk_points = 1")
    text = text.replace('"time.months" = 12', '"time.months" = 36')
    text = text.replace('scenario = "../../../scenarios/',
                        f'scenario = "{REPO.as_posix()}/scenarios/')
    path = folder / "slow.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def slow_reference(slow_sweep: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("slow_reference")
    assert run_sweep(slow_sweep, out, workers=1, progress=False).complete
    return out


def test_two_local_processes_match_in_process(reference: Path, tmp_path: Path) -> None:
    report = run_sweep(SMALL_SWEEP, tmp_path, workers=2, progress=False)
    assert report.complete and report.ran == report.spec.n_chunks
    _assert_same_sweep(tmp_path, reference)


def test_dask_local_cluster_with_two_workers_matches_in_process(reference: Path,
                                                               tmp_path: Path) -> None:
    executor = DaskExecutor("local", workers=2)
    try:
        assert len(executor.client.scheduler_info()["workers"]) == 2
        report = run_sweep(SMALL_SWEEP, tmp_path, executor=executor, progress=False)
    finally:
        executor.close()
    assert report.complete
    _assert_same_sweep(tmp_path, reference)


def test_sweep_killed_at_random_moments_then_rerun_is_complete_and_identical(
        slow_sweep: Path, slow_reference: Path, tmp_path: Path) -> None:
    """Killed four times, each time at a random moment after it made progress.

    Waiting for a new part before the kill (not a fixed delay) makes every
    attempt end killed however fast or loaded the machine is: the 24-chunk
    sweep cannot finish within one chunk and a fraction of a second.
    """
    command = [sys.executable, "-m", "sim", "sweep", str(slow_sweep), "--out", str(tmp_path),
               "--workers", "1"]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    delays = random.Random(20250113).sample([x / 100 for x in range(0, 25)], 4)
    killed = 0
    for delay in delays:
        before = len(list((tmp_path / "parts").glob("chunk-*.parquet")))
        process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        _wait_for_parts(tmp_path, before + 1, process)
        time.sleep(delay)  # a random moment: mid-chunk, mid-write or between chunks
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
    assert killed == len(delays), "the sweep finished within one attempt; make it longer"
    finished_before = len(list((tmp_path / "parts").glob("chunk-*.parquet")))
    rerun = subprocess.run(command, env=environment, capture_output=True, text=True,
                           timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{finished_before} chunks reused" in rerun.stdout
    assert not list((tmp_path / "parts").glob(".*.tmp"))
    _assert_same_sweep(tmp_path, slow_reference)


def _wait_for_parts(out: Path, count: int, process: subprocess.Popen,
                    timeout: float = 120.0) -> None:
    """Wait until ``out`` holds ``count`` finished parts (or the process has ended)."""
    deadline = time.monotonic() + timeout
    while len(list((out / "parts").glob("chunk-*.parquet"))) < count:
        if process.poll() is not None:
            return
        assert time.monotonic() < deadline, "no chunk finished in time"
        time.sleep(0.02)


def _wait_for_first_part(out: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not list((out / "parts").glob("chunk-*.parquet")):
        assert time.monotonic() < deadline, "no chunk finished in time"
        time.sleep(0.05)


def test_local_worker_process_killed_mid_sweep_is_retried(slow_sweep: Path,
                                                         slow_reference: Path,
                                                         tmp_path: Path) -> None:
    outcome: dict[str, object] = {}
    executor = LocalProcessExecutor(2)

    def sweep() -> None:
        try:
            outcome["report"] = run_sweep(slow_sweep, tmp_path, executor=executor,
                                          progress=False)
        finally:
            executor.close()

    thread = threading.Thread(target=sweep)
    thread.start()
    _wait_for_first_part(tmp_path)
    workers = [p for p in psutil.Process().children(recursive=True)
               if "spawn_main" in " ".join(p.cmdline())]
    assert workers, "no worker processes found"
    assert not (tmp_path / "outcomes.parquet").exists(), "sweep ended before the kill"
    workers[0].send_signal(signal.SIGKILL)
    thread.join(timeout=300)
    report = outcome["report"]
    assert report.complete and not report.failed  # type: ignore[attr-defined]
    _assert_same_sweep(tmp_path, slow_reference)


def test_dask_worker_killed_mid_sweep_is_rescheduled(slow_sweep: Path, slow_reference: Path,
                                                    tmp_path: Path) -> None:
    executor = DaskExecutor("local", workers=2)
    outcome: dict[str, object] = {}

    def sweep() -> None:
        outcome["report"] = run_sweep(slow_sweep, tmp_path, executor=executor, progress=False)

    try:
        thread = threading.Thread(target=sweep)
        thread.start()
        _wait_for_first_part(tmp_path)
        pids = executor.client.run(os.getpid)
        assert len(pids) == 2
        assert not (tmp_path / "outcomes.parquet").exists(), "sweep ended before the kill"
        os.kill(next(iter(pids.values())), signal.SIGKILL)
        thread.join(timeout=300)
    finally:
        executor.close()
    report = outcome["report"]
    assert report.complete and not report.failed  # type: ignore[attr-defined]
    _assert_same_sweep(tmp_path, slow_reference)
