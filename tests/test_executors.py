"""The one executor interface (sim/experiment/executors.py) for sweeps and calibration.

Any chunk with an ``index`` runs in this process, on local processes or on a
Dask ``LocalCluster``, and comes back with its result in order; what a chunk
raises comes back as a picklable :class:`ChunkFailure` that tells a user's
mistake from a programming error and keeps the traceback formatted in the
worker.
"""

from __future__ import annotations

import functools
import os
import pickle
import time
from dataclasses import dataclass

import pytest

from sim.errors import UserError
from sim.experiment.executors import (
    BUG,
    LOST,
    USER,
    AdaptiveExecutor,
    ChunkError,
    ChunkFailure,
    DaskExecutor,
    ExecutorError,
    InProcessExecutor,
    LocalProcessExecutor,
    make_executor,
    run_in_order,
)
from sim.scenario import ScenarioError


@dataclass(frozen=True)
class Job:
    """A chunk as the protocol asks: picklable, with an ``index``."""

    index: int
    payload: int


JOBS = [Job(k, 10 * k) for k in range(7)]


def _square(job: Job) -> int:
    return job.payload**2


def _fails_on(bad: int, mistake: bool, job: Job) -> int:
    if job.index == bad:
        if mistake:
            raise ScenarioError("point.toml", "enforcement.detection",
                                "expected a number in [0, 1], found 2")
        _broken_helper(job)
    return job.payload


def _broken_helper(job: Job) -> None:
    raise ZeroDivisionError(f"chunk {job.index} divided by zero")


def _pid(job: Job) -> int:
    return os.getpid()


@pytest.fixture(scope="module")
def executors():
    """This process, two local processes, a Dask LocalCluster of two (started once)."""
    local, dask = LocalProcessExecutor(2), DaskExecutor("local", workers=2)
    yield [InProcessExecutor(), local, dask]
    local.close()
    dask.close()


def test_results_come_back_in_order_on_every_executor(executors) -> None:
    for executor in executors:
        assert run_in_order(executor, _square, JOBS) == [100 * k * k for k in range(7)]


@pytest.mark.parametrize("mistake", [True, False], ids=["user mistake", "programming error"])
def test_a_failing_chunk_is_recorded_and_the_others_finish(executors, mistake: bool) -> None:
    for executor in executors:
        pairs = {chunk.index: result for chunk, result in
                 executor.run(functools.partial(_fails_on, 3, mistake), JOBS)}
        assert sorted(pairs) == list(range(7)), executor.description
        failure = pairs.pop(3)
        assert pairs == {k: 10 * k for k in pairs}
        assert isinstance(failure, ChunkFailure)
        if mistake:
            assert failure.kind == USER
            assert failure.message == ("point.toml: enforcement.detection: expected a "
                                       "number in [0, 1], found 2")
        else:
            assert failure.kind == BUG
            assert failure.message == "ZeroDivisionError: chunk 3 divided by zero"
            # formatted where it was raised, worker frames included
            assert failure.traceback.startswith("Traceback (most recent call last)")
            assert "_broken_helper" in failure.traceback
            assert "ZeroDivisionError: chunk 3 divided by zero" in failure.traceback


def test_a_failure_pickles_and_is_raised_again_as_what_it_was() -> None:
    def failure_of(function) -> ChunkFailure:
        [(_, result)] = InProcessExecutor().run(function, [Job(0, 0)])
        return result

    mistake = failure_of(functools.partial(_fails_on, 0, True))
    bug = failure_of(functools.partial(_fails_on, 0, False))
    for failure in (mistake, bug):
        assert pickle.loads(pickle.dumps(failure)) == failure
    again = mistake.exception("chunk 0")
    assert type(again) is ScenarioError and str(again) == mistake.message
    error = bug.exception("chunk 0")
    assert isinstance(error, ChunkError) and "ZeroDivisionError" in str(error)
    assert "_broken_helper" in str(error.__cause__)
    lost = ChunkFailure.lost(OSError("worker died")).exception("2 local processes: chunk 0")
    assert isinstance(lost, ExecutorError) and isinstance(lost, UserError)
    assert "a rerun can succeed" in str(lost) and "\n" not in str(lost)
    assert ChunkFailure.lost(OSError("x")).kind == LOST


def test_run_in_order_raises_a_user_mistake_as_itself_and_a_bug_loudly() -> None:
    executor = InProcessExecutor()
    with pytest.raises(ScenarioError, match=r"enforcement\.detection"):
        run_in_order(executor, functools.partial(_fails_on, 2, True), JOBS)
    with pytest.raises(ChunkError, match="chunk 2 raised ZeroDivisionError") as caught:
        run_in_order(executor, functools.partial(_fails_on, 2, False), JOBS)
    assert "_broken_helper" in str(caught.value.__cause__)


def test_keyboard_interrupt_is_not_recorded_as_a_failure() -> None:
    def interrupted(job: Job) -> int:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(InProcessExecutor().run(interrupted, JOBS))


def test_local_processes_serve_every_run_until_closed(executors) -> None:
    local = executors[1]
    first = set(run_in_order(local, _pid, JOBS))
    again = set(run_in_order(local, _pid, JOBS))
    # The same pool serves both: a new one would bring new processes (the pool may start its
    # workers lazily, so the first run alone need not have met them all).
    assert os.getpid() not in first | again
    assert len(first | again) <= local.workers


def _slow_pid(seconds: float, job: Job) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_the_default_keeps_a_small_job_in_this_process() -> None:
    adaptive = AdaptiveExecutor(2)
    try:
        assert set(run_in_order(adaptive, _pid, JOBS)) == {os.getpid()}
        assert run_in_order(adaptive, _square, JOBS) == [j.payload**2 for j in JOBS]
        assert adaptive.description.startswith("this process")
    finally:
        adaptive.close()


def test_the_default_starts_processes_for_a_long_job_and_keeps_them() -> None:
    # Seven chunks of 0.2 s: 1.2 s here after the first, against 0.6 s on two processes plus
    # a pool start taken as 0.1 s: the processes pay.
    adaptive = AdaptiveExecutor(2, pool_start_seconds=0.1)
    try:
        pids = run_in_order(adaptive, functools.partial(_slow_pid, 0.2), JOBS)
        assert pids[0] == os.getpid()  # the first chunk, timed here
        assert os.getpid() not in set(pids[1:])
        assert adaptive.description == "2 local processes"
        again = run_in_order(adaptive, _pid, JOBS)  # later calls go straight to the processes
        assert os.getpid() not in set(again)
    finally:
        adaptive.close()


def test_a_failing_first_chunk_comes_back_as_its_failure() -> None:
    adaptive = AdaptiveExecutor(2)
    with pytest.raises(ChunkError, match="chunk 0"):
        run_in_order(adaptive, functools.partial(_fails_on, 0, False), JOBS)
    with pytest.raises(UserError, match=r"enforcement\.detection"):
        run_in_order(adaptive, functools.partial(_fails_on, 3, True), JOBS)


def test_make_executor_follows_the_command_line() -> None:
    assert isinstance(make_executor(1, None), InProcessExecutor)
    default = make_executor(None, None)
    assert isinstance(default, AdaptiveExecutor if (os.cpu_count() or 1) > 1
                      else InProcessExecutor)
    assert isinstance(make_executor(3, None), LocalProcessExecutor)
    assert make_executor(3, None).workers == 3
    with pytest.raises(ExecutorError, match="--scheduler local"):
        make_executor(2, "tcp://127.0.0.1:9")
