"""The unit of work a sweep hands to a worker: a chunk of design points.

A worker receives the base scenario as content (:class:`BaseScenario`: its
``extends`` chain read once, in the process that owns the sweep, and checked
against the sweep's fingerprint), never as a path: editing the file during a
sweep cannot change later points, and a cluster needs no shared file system.
It applies each point's settings, runs the scenario with the vectorised core
on seeds derived from (sweep seed, point, replicate), streaming a point's
replicates chunk by chunk (:func:`sim.core.iter_batch`: memory is one chunk
of runs whatever the replicates), and returns one row per run with the
headline outcomes (computed run by run, so the same bits however the runs
were chunked). Seeds depend on nothing else, so
results do not depend on how points are grouped or where they run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.core import iter_batch, iter_points
from sim.core.points import is_run_level
from sim.experiment.outcomes import outcomes_per_run
from sim.scenario import Scenario
from sim.scenario.documents import Document, read_chain
from sim.scenario.loading import resolve_points, resolve_scenario

__all__ = ["BaseScenario", "Chunk", "make_chunks", "run_chunk", "run_seeds"]


@dataclass(frozen=True)
class BaseScenario:
    """A sweep's base scenario as read once: picklable content, no path to re-read.

    Attributes
    ----------
    document : Document
        The merged ``extends`` chain as read (before any override).
    digest : str
        :meth:`Scenario.digest` of the scenario it gives without overrides.
    """

    document: Document
    digest: str

    @classmethod
    def read(cls, path: str | Path) -> BaseScenario:
        """Read the scenario at ``path`` and its ``extends`` chain, once."""
        document = read_chain(Path(path))
        return cls(document, resolve_scenario(document).digest())

    def with_settings(self, overrides: dict[str, Any]) -> Scenario:
        """Return the scenario with ``overrides`` applied, checked (no file is opened)."""
        return resolve_scenario(self.document, overrides)

    def with_settings_of_points(self, points: list[dict[str, Any]]) -> list[Scenario]:
        """Return each point's scenario, as :meth:`with_settings` would.

        A point that differs from the first only in run-level keys
        (:func:`sim.core.points.is_run_level`) is the first point's
        scenario with its values set and checked (:func:`resolve_points`),
        at a fraction of the cost of resolving it.
        """
        return resolve_points(self.document, points, is_run_level)


@dataclass(frozen=True)
class Chunk:
    """Consecutive design points run together and stored in one Parquet part.

    Attributes
    ----------
    index : int
        Chunk number, from 0.
    points : tuple of int
        Design point numbers.
    settings : tuple of dict
        Each point's scenario overrides.
    """

    index: int
    points: tuple[int, ...]
    settings: tuple[dict[str, Any], ...]


def make_chunks(settings: list[dict[str, Any]], chunk_points: int) -> list[Chunk]:
    """Group design points into chunks of ``chunk_points`` consecutive points."""
    return [Chunk(index=k, points=tuple(range(start, min(start + chunk_points, len(settings)))),
                  settings=tuple(settings[start:start + chunk_points]))
            for k, start in enumerate(range(0, len(settings), chunk_points))]


def run_seeds(sweep_seed: int, point: int | None, replicates: int) -> np.ndarray:
    """Return the run seeds of one design point.

    Parameters
    ----------
    sweep_seed : int
    point : int or None
        The design point, or ``None`` for seeds common to every point
        (derived from ``(sweep_seed, replicate)`` alone).
    replicates : int

    Returns
    -------
    ndarray of shape (replicates,), int64
        Non-negative seeds from ``numpy.random.SeedSequence((sweep_seed,
        point, replicate))``, whose hashing NumPy keeps stable across versions.
    """
    keys = [(sweep_seed, r) if point is None else (sweep_seed, point, r)
            for r in range(replicates)]
    words = [np.random.SeedSequence(key).generate_state(1, np.uint64)[0] for key in keys]
    return (np.asarray(words, dtype=np.uint64) >> np.uint64(1)).astype(np.int64)


def run_chunk(base: BaseScenario, chunk: Chunk, replicates: int, sweep_seed: int,
              fixed: tuple[tuple[str, Any], ...] = (), common_seeds: bool = False,
              posterior: tuple[tuple[tuple[str, str], ...], ...] = (),
              ) -> pd.DataFrame:
    """Run every point of ``chunk``; return one row per (point, replicate).

    ``base`` is the content every point starts from; ``fixed`` overrides
    apply to every point, under the point's own settings; with
    ``common_seeds`` every point runs on the same seeds. With ``posterior``
    draws, every point runs once per draw on its seeds (the draw's values
    over ``fixed``, under the point's settings): replicate ``d x replicates
    + r`` is seed ``r`` under draw ``d``, and a ``draw`` column says which.

    Where the points (and draws) differ only in run-level keys
    (:func:`sim.core.points.is_run_level`), they run as one batch
    (:func:`sim.core.iter_points`), which costs about a tenth of a batch per
    point; the rows are the same bit for bit.

    Returns
    -------
    DataFrame
        Columns ``point``, ``replicate``, (``draw``,) ``seed``, the swept keys
        (as set) and the headline outcomes of :data:`sim.experiment.outcomes.OUTCOMES`.
    """
    draws = posterior or ((),)
    runs = [(point, number, {**dict(fixed), **dict(draw), **settings},
             run_seeds(sweep_seed, None if common_seeds else point, replicates))
            for point, settings in zip(chunk.points, chunk.settings, strict=True)
            for number, draw in enumerate(draws)]
    varied = {key for settings in chunk.settings for key in settings}
    varied |= {key for draw in draws for key, _ in draw}
    if len(runs) > 1 and all(is_run_level(key) for key in varied):
        outcomes = _outcomes_together(base, runs)
    else:
        outcomes = [_outcomes_alone(base, run) for run in runs]
    frames = []
    for (point, number, _, _), found, settings in zip(
            runs, outcomes, [s for s in chunk.settings for _ in draws], strict=True):
        labels = pd.DataFrame({
            "point": np.full(replicates, point, dtype=np.int64),
            "replicate": number * replicates + np.arange(replicates, dtype=np.int64)})
        if posterior:
            labels["draw"] = np.full(replicates, number, dtype=np.int64)
        for key, value in settings.items():
            labels[key] = value
        frames.append(pd.concat([labels, found], axis=1))
    return pd.concat(frames, ignore_index=True)


Run = tuple[int, int, dict[str, Any], np.ndarray]
"""A point's run under one draw: (point, draw number, its overrides, its seeds)."""


def _outcomes_alone(base: BaseScenario, run: Run) -> pd.DataFrame:
    """One point's per-run outcomes, run as its own batch."""
    scenario, seeds = base.with_settings(run[2]), run[3]
    return pd.concat([outcomes_per_run(part) for part in iter_batch(scenario, seeds)],
                     ignore_index=True)


def _outcomes_together(base: BaseScenario, runs: list[Run]) -> list[pd.DataFrame]:
    """Every point's per-run outcomes, the points run as one batch (:func:`sim.core.run_points`).

    The chunk's points differ only in run-level keys (``sim.core.points``), so
    each run's bits are those of its point run alone.
    """
    scenarios = base.with_settings_of_points([run[2] for run in runs])
    parts = [(point, outcomes_per_run(results))
             for point, results in iter_points(scenarios, [run[3] for run in runs])]
    point = np.concatenate([p for p, _ in parts])
    table = pd.concat([frame for _, frame in parts], ignore_index=True)
    return [table[point == p].reset_index(drop=True) for p in range(len(runs))]
