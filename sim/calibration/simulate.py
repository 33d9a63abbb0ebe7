"""Run the target scenarios for parameter draws and measure each target.

One draw loads each target scenario with the draw's values as overrides,
runs it over the replicate seeds with the vectorised core and computes the
statistic of every target compared under it. Where every calibrated key is
run-level (:func:`sim.core.points.is_run_level`: the shipped targets' are),
a chunk's draws run as one batch of points (:func:`sim.core.run_points`),
each draw's bits those of its own batch. Draws are independent, so they
are split into chunks of :data:`DRAWS_PER_CHUNK` that any
:class:`~sim.experiment.executors.Executor` may run (in this process, local
processes or a Dask cluster); results are put back in draw order, so they do
not depend on where or how.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.calibration.statistics import STATISTICS
from sim.calibration.targets import Target, TargetSet
from sim.core import run_batch, run_points
from sim.core.points import is_run_level
from sim.experiment.executors import Executor, InProcessExecutor, run_in_order
from sim.experiment.parameters import Parameter
from sim.experiment.sampling import as_overrides
from sim.results import Results
from sim.scenario import Scenario, load_scenario
from sim.scenario.documents import read_chain
from sim.scenario.loading import resolve_points

DRAWS_PER_CHUNK = 8
"""Draws sent to a worker at a time (small enough to balance, large enough to amortise)."""

__all__ = ["DrawChunk", "scenario_value", "shipped_values", "simulate_draw", "simulate_draws"]


@dataclass(frozen=True)
class DrawChunk:
    """Consecutive parameter draws simulated together.

    Attributes
    ----------
    index : int
        Chunk number, from 0 (its place among the draws).
    rows : ndarray of shape (n, d), float64
        The draws' parameter values.
    """

    index: int
    rows: np.ndarray


def scenario_value(scenario: Scenario, key: str) -> Any:
    """Return the value a dotted key has in a loaded scenario, or ``None``.

    ``country_defaults.X`` gives the value every country shares (``None`` if
    they differ, or the key is unknown).
    """
    head, _, rest = key.partition(".")
    if head == "country_defaults":
        found = [scenario_value(scenario, f"countries.{c}.{rest}") for c in scenario.countries]
        return found[0] if found and all(v == found[0] for v in found) else None
    node: Any = scenario.to_dict()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def shipped_values(target_set: TargetSet) -> dict[str, Any]:
    """Return each parameter's value in the targets file's ``calibrated_base`` scenario."""
    scenario = load_scenario(target_set.calibrated_base)
    values = {p.key: scenario_value(scenario, p.key) for p in target_set.parameters}
    return {key: value for key, value in values.items() if value is not None}


def simulate_draw(parameters: Sequence[Parameter], targets: Sequence[Target], row: np.ndarray,
                  seeds: np.ndarray, overrides: Mapping[str, Any] | None = None) -> np.ndarray:
    """Measure every target for one parameter vector.

    Parameters
    ----------
    parameters : sequence of Parameter, length d
    targets : sequence of Target, length k
    row : ndarray of shape (d,)
        Parameter values, in the order of ``parameters``.
    seeds : ndarray of shape (n_runs,), int64
        Replicate seeds (the same for every draw: common random numbers).
    overrides : mapping, optional
        Fixed scenario overrides, applied before the draw's values.

    Returns
    -------
    ndarray of shape (k, n_runs), float64
    """
    return _simulate_rows(parameters, targets, row.reshape(1, -1), seeds, overrides)[0]


def _simulate_rows(parameters: Sequence[Parameter], targets: Sequence[Target], rows: np.ndarray,
                   seeds: np.ndarray, overrides: Mapping[str, Any] | None) -> np.ndarray:
    """Measure every target for each draw of ``rows`` (n, d): shape (n, k, n_runs)."""
    draws = [{**dict(overrides or {}), **as_overrides(parameters, row)} for row in rows]
    together = len(draws) > 1 and all(is_run_level(p.key) for p in parameters)
    out = np.empty((len(draws), len(targets), len(seeds)), dtype=np.float64)
    for path in dict.fromkeys(t.scenario for t in targets):
        if together:  # the draws differ in run-level keys alone: one batch of points
            points = resolve_points(read_chain(Path(path)), draws, is_run_level)
            runs = run_points(points, [seeds] * len(points))
        else:
            runs = [run_batch(load_scenario(path, draw), seeds) for draw in draws]
        for measured, results in zip(out, runs, strict=True):
            _measure(results, targets, path, measured)
    return out


def _measure(results: Results, targets: Sequence[Target], path: Any, out: np.ndarray) -> None:
    """Write the statistic of every target read off scenario ``path`` into its row of ``out``."""
    for i, target in enumerate(targets):
        if target.scenario == path:
            statistic = STATISTICS[target.statistic]
            out[i] = statistic.compute(results, target.countries, target.window)


def _simulate_chunk(parameters: tuple[Parameter, ...], targets: tuple[Target, ...],
                    seeds: np.ndarray, overrides: dict[str, Any],
                    chunk: DrawChunk) -> np.ndarray:
    """Measure every target for each draw of ``chunk``: shape (n, k, n_runs)."""
    return _simulate_rows(parameters, targets, chunk.rows, seeds, overrides)


def simulate_draws(parameters: Sequence[Parameter], targets: Sequence[Target],
                   values: np.ndarray, seeds: np.ndarray,
                   overrides: Mapping[str, Any] | None = None,
                   executor: Executor | None = None) -> np.ndarray:
    """Measure every target for every draw.

    Parameters
    ----------
    values : ndarray of shape (n_draws, d)
    executor : Executor, optional
        Where the chunks of draws run; default this process.

    Returns
    -------
    ndarray of shape (n_draws, k, n_runs), float64
        The same numbers whatever the executor.

    Raises
    ------
    UserError
        A mistake in the input that a draw ran into (a scenario that does not
        load with the draw's values, say), or dead workers
        (:class:`~sim.experiment.executors.ExecutorError`).
    ChunkError
        For a programming error in a chunk (its traceback is the cause).
    """
    if len(values) == 0:
        return np.empty((0, len(targets), len(seeds)))
    function = functools.partial(_simulate_chunk, tuple(parameters), tuple(targets), seeds,
                                 dict(overrides or {}))
    chunks = [DrawChunk(index, values[start:start + DRAWS_PER_CHUNK])
              for index, start in enumerate(range(0, len(values), DRAWS_PER_CHUNK))]
    return np.concatenate(run_in_order(executor or InProcessExecutor(), function, chunks))
