"""Run the target scenarios for parameter draws and measure each target.

One draw loads each target scenario with the draw's values as overrides,
runs it over the replicate seeds with the vectorised core and computes the
statistic of every target compared under it. Draws are independent, so they
may be spread over worker processes; the result does not depend on how.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np

from sim.calibration.statistics import STATISTICS
from sim.calibration.targets import Target, TargetSet
from sim.experiment.parameters import Parameter
from sim.experiment.sampling import as_overrides
from sim.scenario import Scenario, load_scenario

DRAWS_PER_CHUNK = 8
"""Draws sent to a worker at a time (small enough to balance, large enough to amortise)."""

__all__ = ["scenario_value", "shipped_values", "simulate_draw", "simulate_draws", "worker_pool"]


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
    from sim.core import run_batch

    chosen = {**dict(overrides or {}), **as_overrides(parameters, row)}
    out = np.empty((len(targets), len(seeds)), dtype=np.float64)
    for path in dict.fromkeys(t.scenario for t in targets):
        results = run_batch(load_scenario(path, chosen), seeds)
        for i, target in enumerate(targets):
            if target.scenario == path:
                statistic = STATISTICS[target.statistic]
                out[i] = statistic.compute(results, target.countries, target.window)
    return out


def _chunk(args: tuple[Any, ...]) -> np.ndarray:
    parameters, targets, rows, seeds, overrides = args
    return np.stack([simulate_draw(parameters, targets, row, seeds, overrides) for row in rows])


def simulate_draws(parameters: Sequence[Parameter], targets: Sequence[Target],
                   values: np.ndarray, seeds: np.ndarray,
                   overrides: Mapping[str, Any] | None = None,
                   pool: Executor | None = None) -> np.ndarray:
    """Measure every target for every draw.

    Parameters
    ----------
    values : ndarray of shape (n_draws, d)
    pool : Executor, optional
        Worker processes (see :func:`worker_pool`); without one, draws run in
        this process.

    Returns
    -------
    ndarray of shape (n_draws, k, n_runs), float64
        The same numbers with or without a pool.
    """
    if len(values) == 0:
        return np.empty((0, len(targets), len(seeds)))
    fixed = dict(overrides or {})
    if pool is None:
        return _chunk((tuple(parameters), tuple(targets), values, seeds, fixed))
    n_chunks = -(-len(values) // DRAWS_PER_CHUNK)
    chunks = [(tuple(parameters), tuple(targets), rows, seeds, fixed)
              for rows in np.array_split(values, n_chunks) if len(rows)]
    return np.concatenate(list(pool.map(_chunk, chunks)))


@contextmanager
def worker_pool(workers: int) -> Iterator[Executor | None]:
    """Yield a pool of ``workers`` spawned processes, or ``None`` for one worker.

    Workers are spawned (not forked), so a script that uses more than one
    needs the ``if __name__ == "__main__":`` guard.
    """
    if workers <= 1:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield pool
