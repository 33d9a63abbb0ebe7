"""Faults a sweep must survive (issue 20): edited inputs, two sweeps, damaged parts, kills.

Each test stands for a family: the base scenario edited while a sweep runs;
two sweeps into one folder; a byte flipped anywhere in a finished part; the
main process killed with SIGKILL (its workers must go with it); a chunk that
kills its worker again and again (only it fails); and the Dask options.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pyarrow.parquet as pq
import pytest
from dying import Job, kills_its_worker

from sim.cli import main
from sim.experiment.executors import (
    CHUNK_RETRIES,
    LOST,
    ChunkFailure,
    InProcessExecutor,
    LocalProcessExecutor,
    run_in_order,
)
from sim.experiment.folders import prepare_output
from sim.sweep.design import design_points
from sim.sweep.errors import SweepError
from sim.sweep.runner import run_sweep
from sim.sweep.spec import load_sweep
from sim.sweep.store import INDEX_FILE, SweepStore

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"

SWEEP = '''
name = "faults"
scenario = "ai_diffusion_2025.toml"
[design]
kind = "lhs"
points = 6
replicates = 2
seed = 3
chunk_points = 1
[parameters]
"enforcement.detection" = { low = 0.1, high = 0.4 }
[set]
"time.months" = 8
'''
EDIT = ('tiers_from = "2025-05"', 'tiers_from = "2025-03"')


@pytest.fixture
def sweep_file(tmp_path: Path) -> Path:
    """A small sweep over private copies of the base scenario and its parent."""
    for name in ("ai_diffusion_2025.toml", "base.toml"):
        shutil.copy(SCENARIOS / name, tmp_path / name)
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP, encoding="utf-8")
    return path


def _edit(scenario: Path) -> None:
    text = scenario.read_text(encoding="utf-8")
    assert EDIT[0] in text
    scenario.write_text(text.replace(*EDIT), encoding="utf-8")


class _AfterFirstChunk(InProcessExecutor):
    """Run in this process; do ``action`` once the first chunk has finished."""

    def __init__(self, action) -> None:
        self.action = action

    def run(self, function, chunks):
        for n, pair in enumerate(super().run(function, chunks)):
            yield pair
            if n == 0:
                self.action()


# --- 1. workers get the fingerprinted content, never a path ---------------------------------


def test_editing_the_base_scenario_during_a_sweep_changes_no_point(sweep_file: Path,
                                                                   tmp_path: Path) -> None:
    reference = run_sweep(sweep_file, tmp_path / "reference", workers=1, progress=False)
    scenario = tmp_path / "ai_diffusion_2025.toml"
    spec = load_sweep(sweep_file)
    edited = run_sweep(spec, tmp_path / "edited", executor=_AfterFirstChunk(
        lambda: _edit(scenario)), progress=False)
    assert edited.complete
    pd.testing.assert_frame_equal(edited.runs, reference.runs)
    # the edit matters: a sweep of the edited file gives other outcomes
    changed = run_sweep(sweep_file, tmp_path / "changed", workers=1, progress=False)
    assert not changed.runs.equals(reference.runs)


def test_workers_read_no_scenario_file(sweep_file: Path, tmp_path: Path) -> None:
    # as on a cluster without a shared file system: the files are gone once work starts
    reference = run_sweep(sweep_file, tmp_path / "reference", workers=1, progress=False)
    spec = load_sweep(sweep_file)

    def remove() -> None:
        (tmp_path / "ai_diffusion_2025.toml").unlink()
        (tmp_path / "base.toml").unlink()

    report = run_sweep(spec, tmp_path / "out", executor=_AfterFirstChunk(remove),
                       progress=False)
    assert report.complete and not report.failed
    pd.testing.assert_frame_equal(report.runs, reference.runs)


def test_a_base_scenario_changed_since_the_sweep_was_loaded_is_refused(sweep_file: Path,
                                                                       tmp_path: Path) -> None:
    spec = load_sweep(sweep_file)
    _edit(tmp_path / "ai_diffusion_2025.toml")
    with pytest.raises(SweepError, match="found it changed") as caught:
        run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    assert caught.value.file == str(spec.scenario)
    assert not (tmp_path / "out" / "parts").exists()


# --- 2. one sweep per folder ----------------------------------------------------------------


def test_a_second_sweep_into_a_busy_folder_is_refused_and_touches_nothing(
        sweep_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    spec = load_sweep(sweep_file)
    first = SweepStore(prepare_output(out, "sweep"), spec).open(design_points(spec))
    in_progress = out / "parts" / ".chunk-000000.parquet.x1y2.tmp"  # the first one's
    in_progress.write_bytes(b"being written")
    try:
        assert main(["sweep", str(sweep_file), "--out", str(out), "--workers", "1"]) == 2
    finally:
        first.close()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "another sweep (pid" in err and ".sweep.lock" in err
    assert in_progress.exists() and not list((out / "parts").glob("chunk-*.parquet"))
    # once the first has ended, the folder is free again (and its leftovers are cleaned)
    assert main(["sweep", str(sweep_file), "--out", str(out), "--workers", "1"]) == 0
    assert not in_progress.exists()


# --- 3. checksummed parts -------------------------------------------------------------------


def test_every_single_byte_flip_in_a_finished_part_is_detected(sweep_file: Path,
                                                               tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    reference = run_sweep(sweep_file, out, workers=1, progress=False)
    spec = load_sweep(sweep_file)
    part = out / "parts" / "chunk-000002.parquet"
    index = out / "parts" / INDEX_FILE
    original, sums = part.read_bytes(), index.read_bytes()
    size = len(original)
    offsets = sorted({0, 1, 3, 4, 8, size // 5, size // 3, size // 2, 2 * size // 3,
                      size - 12, size - 8, size - 5, size - 4, size - 1})
    for offset in offsets:
        damaged = bytearray(original)
        damaged[offset] ^= 0x01
        part.write_bytes(bytes(damaged))
        capsys.readouterr()
        with SweepStore(out, spec).open(design_points(spec)) as store:
            finished = store.finished()
        assert 2 not in finished and len(finished) == spec.n_chunks - 1, offset
        assert not part.exists(), offset
        err = capsys.readouterr().err
        assert part.name in err and "damaged" in err and "run again" in err, offset
        part.write_bytes(original)
        index.write_bytes(sums)
    # a rerun recomputes only the damaged chunk, and gets the same outcomes
    part.write_bytes(original[:100] + b"\x00" + original[101:])
    rerun = run_sweep(sweep_file, out, workers=1, progress=False)
    assert rerun.ran == 1 and rerun.skipped == spec.n_chunks - 1
    pd.testing.assert_frame_equal(rerun.runs, reference.runs)
    assert pq.read_table(part).to_pandas().equals(
        reference.runs[reference.runs["point"] == 2].reset_index(drop=True))


# --- 4. workers die with their parent ---------------------------------------------------------


def _gone(pid: int) -> bool:
    """Whether ``pid`` has ended (an unreaped zombie counts: it holds no memory)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_until(condition, timeout: float, what: str) -> None:
    """Poll ``condition`` until true; fail naming ``what`` after a generous ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.parametrize("where", [["--workers", "2"], ["--scheduler", "local", "--workers", "2"]],
                         ids=["local processes", "Dask LocalCluster"])
def test_a_sigkilled_sweep_leaves_no_worker_and_no_resource_tracker(sweep_file: Path,
                                                                    tmp_path: Path,
                                                                    where: list[str]) -> None:
    long_sweep = sweep_file.read_text(encoding="utf-8").replace("points = 6", "points = 400")
    sweep_file.write_text(long_sweep.replace('"time.months" = 8', '"time.months" = 36'),
                          encoding="utf-8")
    command = [sys.executable, "-m", "sim", "sweep", str(sweep_file), "--out",
               str(tmp_path / "out"), *where]
    process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(REPO)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        parent = psutil.Process(process.pid)

        def helpers() -> list[psutil.Process]:
            return [p for p in parent.children(recursive=True)
                    if any(word in " ".join(p.cmdline()) for word in ("spawn_main",
                                                                       "resource_tracker"))]

        _wait_until(lambda: len(helpers()) >= 3 or process.poll() is not None, 120,
                    "the sweep started no workers")
        started = helpers()
        assert process.poll() is None, "the sweep ended before the kill; make it longer"
        assert any("resource_tracker" in " ".join(p.cmdline()) for p in started)
        process.send_signal(signal.SIGKILL)
        process.wait()
        # a worker checks every half second and the tracker goes after its last user:
        # a minute is generous
        _wait_until(lambda: all(_gone(p.pid) for p in started), 60,
                    "workers outlived their killed parent: "
                    + ", ".join(f"{p.pid}" for p in started if not _gone(p.pid)))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# --- 5. a chunk that kills its worker fails alone ---------------------------------------------


def test_a_chunk_that_keeps_killing_its_worker_fails_alone(tmp_path: Path) -> None:
    jobs = [Job(k) for k in range(8)]
    executor = LocalProcessExecutor(2)
    try:
        results = {chunk.index: result for chunk, result in executor.run(
            functools.partial(kills_its_worker, 0, str(tmp_path)), jobs)}
        attempts = [p.name.split("-")[0] for p in tmp_path.iterdir()]
        # and the executor serves the next run
        again = run_in_order(executor, functools.partial(kills_its_worker, -1, str(tmp_path)),
                             [Job(k) for k in range(3)])
    finally:
        executor.close()
    assert sorted(results) == list(range(8))
    failure = results.pop(0)
    assert results == {k: 10 * k for k in range(1, 8)}  # the others all finish
    assert isinstance(failure, ChunkFailure) and failure.kind == LOST
    assert f"died {CHUNK_RETRIES + 1} times" in failure.message
    assert attempts.count("0") == CHUNK_RETRIES + 1  # bounded
    assert all(attempts.count(str(k)) <= 2 for k in range(1, 8))  # an innocent: one retry
    assert again == [0, 10, 20]
