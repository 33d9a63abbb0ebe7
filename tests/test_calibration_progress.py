"""Progress lines of ``sim calibrate`` (issue 17, part 8): round, tolerance, time left.

The line is the sweeps' :class:`sim.sweep.progress.Progress`; these tests hold
that a calibration drives it (round by round, chunk by chunk), that drawing it
changes no number, and that the command line shows it on stderr.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from test_calibration import _calibrate, _good_body, _write_targets, tiny  # noqa: F401

from sim.calibration.abc import AbcSettings, run_abc
from sim.calibration.progress import CountingExecutor
from sim.calibration.simulate import DrawChunk
from sim.calibration.targets import load_targets
from sim.experiment.executors import ChunkFailure, InProcessExecutor

SETTINGS = AbcSettings(draws=8, accept=0.25, rounds=2, moves=1, replicates=1, workers=1,
                       min_acceptance=0.0)


class _Terminal(io.StringIO):
    """A text stream that says it is a terminal (the line is redrawn in place)."""

    def isatty(self) -> bool:
        return True


def test_the_line_names_each_round_its_tolerance_and_the_time_left(tiny):  # noqa: F811
    target_set = load_targets(_write_targets(tiny, _good_body()))
    terminal = _Terminal()
    posterior = run_abc(target_set, SETTINGS, progress=terminal)
    text = terminal.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1  # redrawn in place, ended once
    drawn = [line for line in text.strip().split("\r") if line]
    assert drawn[0].startswith("calibrate tiny_targets: round 0/2 (prior draws) [")
    labels = [line.split(" [")[0] for line in drawn]
    tolerances = [r.epsilon for r in posterior.rounds[1:]]
    for number, epsilon in enumerate(tolerances, start=1):
        assert f"calibrate tiny_targets: round {number}/2, tolerance {epsilon:.3g}" in labels
    assert any("left" in line for line in drawn[:-1])
    total = SETTINGS.draws + 2 * (SETTINGS.draws - SETTINGS.n_kept)
    assert f"/{total} points" in drawn[0]
    assert drawn[-1].startswith(f"calibrate tiny_targets: 2 round(s) done, tolerance "
                                f"{posterior.epsilon:.3g} [{'#' * 24}] {total}/{total} points")


def test_drawing_the_line_changes_no_number(tiny):  # noqa: F811
    target_set = load_targets(_write_targets(tiny, _good_body()))
    quiet = run_abc(target_set, SETTINGS)
    shown = run_abc(target_set, SETTINGS, progress=io.StringIO())
    np.testing.assert_array_equal(quiet.values, shown.values)
    np.testing.assert_array_equal(quiet.distances, shown.distances)


def test_an_early_stop_ends_the_line_at_what_was_done(tiny):  # noqa: F811
    target_set = load_targets(_write_targets(tiny, _good_body()))
    settings = AbcSettings(draws=8, accept=0.25, rounds=5, moves=1, replicates=1,
                           workers=1, min_acceptance=1.0)  # no round accepts every step
    log = io.StringIO()
    posterior = run_abc(target_set, settings, progress=log)
    done = 8 + 6 * (len(posterior.rounds) - 1)
    last = log.getvalue().splitlines()[-1]
    assert f"{len(posterior.rounds) - 1} round(s) done" in last
    assert f" {done}/{done} points" in last


def test_the_command_line_shows_the_line_on_stderr(tiny, tmp_path, capsys):  # noqa: F811
    targets = _write_targets(tiny, _good_body())
    assert _calibrate(targets, tmp_path / "out", "--rounds", "1") == 0
    err = capsys.readouterr().err
    assert "calibrate tiny_targets: round 0/1 (prior draws)" in err  # the first line
    assert err.splitlines()[-1].startswith("calibrate tiny_targets: 1 round(s) done, tolerance")


class _Recording:
    """An executor whose iterator records being closed, failing its second chunk."""

    description = "recording"

    def __init__(self) -> None:
        self.closed = False

    def run(self, function, chunks):
        try:
            for number, chunk in enumerate(chunks):
                yield chunk, (ChunkFailure.from_exception(ValueError("bad")) if number == 1
                              else function(chunk))
        finally:
            self.closed = True


def test_counting_executor_counts_successes_and_closes_what_it_wraps():
    counted: list[int] = []
    inner = _Recording()
    wrapper = CountingExecutor(inner, counted.append)
    chunks = [DrawChunk(k, np.zeros((n, 1))) for k, n in enumerate((3, 2, 4))]
    finished = wrapper.run(lambda chunk: chunk.index + 1, chunks)
    first = next(finished)
    assert first[1] == 1 and counted == [3]
    second = next(finished)
    assert isinstance(second[1], ChunkFailure) and counted == [3]  # a failure is not done
    finished.close()  # as run_in_order does on the first failure
    assert inner.closed
    assert CountingExecutor(InProcessExecutor(), counted.append).description == "this process"


def test_a_failed_calibration_draws_no_last_line(tiny, monkeypatch):  # noqa: F811
    import sim.calibration.simulate as simulate
    from sim.scenario import ScenarioError

    def refused(*args, **kwargs):
        raise ScenarioError("tiny.toml", "market.substitution_share", "expected a number")

    target_set = load_targets(_write_targets(tiny, _good_body()))
    monkeypatch.setattr(simulate, "resolve_points", refused)  # loading a chunk's draws
    log, terminal = io.StringIO(), _Terminal()
    for stream in (log, terminal):
        with pytest.raises(ScenarioError):
            run_abc(target_set, SETTINGS, progress=stream)
    assert log.getvalue() == terminal.getvalue() == ""  # the error will be the only line


def test_a_failure_after_some_work_ends_the_line_on_a_terminal(tiny, monkeypatch):  # noqa: F811
    import sim.calibration.simulate as simulate
    from sim.scenario import ScenarioError

    real, calls = simulate.simulate_draws, []

    def fails_second_time(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise ScenarioError("tiny.toml", "market.substitution_share", "expected a number")
        return real(*args, **kwargs)

    target_set = load_targets(_write_targets(tiny, _good_body()))
    import sim.calibration.abc as abc
    monkeypatch.setattr(abc, "simulate_draws", fails_second_time)
    terminal = _Terminal()
    with pytest.raises(ScenarioError):
        run_abc(target_set, SETTINGS, progress=terminal)
    text = terminal.getvalue()
    assert text.startswith("\rcalibrate tiny_targets: round 0/2") and text.endswith("\n")
    assert "round(s) done" not in text
