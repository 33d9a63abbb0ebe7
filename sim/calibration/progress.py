"""Progress of a calibration: round, tolerance, points done and time left, on one line.

The line is the sweeps' (:class:`sim.sweep.progress.Progress`: redrawn in
place on a terminal, a new line at most every 10 seconds in a log file), with
the round and its tolerance in the label::

    calibrate published: round 2/8, tolerance 1.84 [########................]
    1536/4096 points, 2:05 elapsed, ~3:28 left

(one line; cut here to fit).
A point is one parameter set simulated (over every replicate seed). The total
counts every round the settings allow; a calibration that stops early (too
few steps accepted) ends with the total set to what it did, and one that
fails ends without a last line (:func:`end_progress_line`). The bar advances
as each chunk of draws finishes, through :class:`CountingExecutor`, which
wraps whatever executor runs them (this process, local processes, Dask).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TextIO, TypeVar

from sim.calibration.simulate import DrawChunk
from sim.calibration.targets import TargetSet
from sim.experiment.executors import ChunkFailure, Executor
from sim.sweep.progress import Progress

__all__ = ["CountingExecutor", "calibration_progress", "end_progress_line", "round_label"]

ResultT = TypeVar("ResultT")


def round_label(target_set: TargetSet, index: int, rounds: int,
                epsilon: float | None = None) -> str:
    """Return the label of round ``index`` of ``rounds`` (0 is the prior draws)."""
    where = f"calibrate {target_set.name}: round {index}/{rounds}"
    return f"{where} (prior draws)" if epsilon is None else f"{where}, tolerance {epsilon:.3g}"


def calibration_progress(target_set: TargetSet, draws: int, refills: int, moves: int,
                         rounds: int, stream: TextIO) -> Progress:
    """Return the progress line of a calibration of at most ``draws + rounds*refills*moves`` sets.

    Parameters
    ----------
    target_set : TargetSet
    draws : int
        Prior draws of round 0.
    refills, moves : int
        Vectors refilled each later round, and the steps each makes.
    rounds : int
        Rounds after round 0 the settings allow.
    stream : text stream
        Where the line is drawn (standard error for the command line).
    """
    total = draws + (rounds * refills * moves if refills > 0 else 0)
    return Progress(round_label(target_set, 0, rounds), total, stream=stream)


def end_progress_line(stream: TextIO) -> None:
    """End a line left open on a terminal, so that an error message starts on its own.

    A calibration that fails draws no last progress line (in a log the error
    is then the last line, and for a mistake found before any work the only
    one); on a terminal the line drawn in place is ended instead.
    """
    if getattr(stream, "isatty", lambda: False)():
        stream.write("\n")
        stream.flush()


class CountingExecutor:
    """An executor that advances a progress line by the draws of each finished chunk.

    Parameters
    ----------
    executor : Executor
        The executor that runs the chunks (not closed by this one).
    advance : callable (int) -> None
        Called with each successful chunk's number of draws.
    """

    def __init__(self, executor: Executor, advance: Callable[[int], None]) -> None:
        self._executor = executor
        self._advance = advance
        self.description = executor.description

    def run(self, function: Callable[[DrawChunk], ResultT], chunks: Sequence[DrawChunk],
            ) -> Iterator[tuple[DrawChunk, ResultT | ChunkFailure]]:
        """Yield what the wrapped executor yields, counting each success."""
        finished = self._executor.run(function, chunks)
        try:
            for chunk, result in finished:
                if not isinstance(result, ChunkFailure):
                    self._advance(len(chunk.rows))
                yield chunk, result
        finally:
            close = getattr(finished, "close", None)
            if close is not None:
                close()  # the wrapped executor cancels what is still queued

    def close(self) -> None:
        """Leave the wrapped executor to its owner."""
