"""Approximate Bayesian computation (ABC) over the vectorised core.

The sampler is replenishment ABC-SMC (Drovandi and Pettitt 2011,
*Biometrics* 67; the MCMC-move form of ABC-SMC of Del Moral, Doucet and
Jasra 2012). With ``rounds = 0`` it is plain rejection ABC with quantile
acceptance (Pritchard et al. 1999; Beaumont et al. 2002).

* Round 0: ``draws`` parameter vectors from the prior (scrambled Sobol'
  points, :mod:`sim.experiment.sampling`), each run over the same
  ``replicates`` seeds and scored by :func:`~sim.calibration.distance.distance`.
* Each round keeps the ``accept`` closest vectors; the tolerance
  ``epsilon`` is the largest kept distance. The population is refilled to
  ``draws`` with copies of kept vectors (picked uniformly), and each copy
  makes ``moves`` Metropolis-Hastings steps targeting the ABC posterior at
  ``epsilon`` (or, with ``stay_probability``, enough steps that a copy stays
  unmoved only with that probability: Drovandi and Pettitt's rule): a
  Gaussian step with ``2.38**2 / d`` times the kept vectors' covariance
  (Roberts, Gelman and Gilks 1997), reflected at the prior's
  bounds, is accepted if its distance is at most ``epsilon`` (the prior is
  uniform and the reflected step symmetric, so that is the whole acceptance
  rule).
* The rounds stop after ``rounds`` rounds, or once fewer than
  ``min_acceptance`` of a round's steps are accepted (the tolerance can
  hardly fall further).

The accepted parameter sets are the final population: equally weighted, each
within the final tolerance (rejection ABC: the ``accept`` closest draws).
Proposals are made in the unit cube of the prior, where the prior is uniform
(log-uniform parameters are uniform in their logarithm). Everything is a
pure function of the targets, the settings and the seed, whatever executor
runs the simulations (this process, local processes or a Dask cluster).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np
import pandas as pd

from sim.calibration.distance import distance
from sim.calibration.progress import (
    CountingExecutor,
    calibration_progress,
    end_progress_line,
    round_label,
)
from sim.calibration.simulate import simulate_draws
from sim.calibration.targets import TargetSet
from sim.experiment.executors import Executor, make_executor
from sim.experiment.sampling import from_unit, sobol_unit, to_unit
from sim.sweep.progress import Progress

STEP_SCALE = 2.38
"""Random-walk step: ``STEP_SCALE**2 / d`` times the kept vectors' covariance
(the optimal scaling of Roberts, Gelman and Gilks 1997)."""

__all__ = ["AbcSettings", "Posterior", "Round", "round_significant", "run_abc"]


@dataclass(frozen=True)
class AbcSettings:
    """Settings of one ABC run.

    Attributes
    ----------
    draws : int
        Population size; round 0 draws this many vectors from the prior.
    accept : float
        Vectors kept each round: below 1 a fraction of ``draws``, from 1 up a count.
    rounds : int
        Largest number of SMC rounds after round 0 (0: rejection ABC).
    moves : int
        Metropolis-Hastings steps per refilled vector and round; with
        ``stay_probability``, the most a round takes.
    stay_probability : float or None
        ``None``: every round takes ``moves`` steps. A value ``c`` in (0, 1):
        each round takes ``ceil(log c / log(1 - a))`` steps, at least 1 and at
        most ``moves``, ``a`` being the share of the previous round's steps
        accepted (the first round takes ``moves``), so a copy is left unmoved,
        a duplicate of the set it copied, with probability about ``c``
        (Drovandi and Pettitt 2011 take c = 0.01). With one step and a third
        accepted, two copies in three stay duplicates, and over the rounds the
        population piles onto a few sets.
    min_acceptance : float
        Stop once a round accepts fewer than this share of its steps.
    replicates : int
        Runs (seeds ``seed, seed + 1, ...``) per vector.
    seed : int
        Seeds the prior's scramble, the moves and the replicates.
    workers : int
        Local worker processes for the simulations when :func:`run_abc` is
        given no executor (1: this process); results do not depend on it.
    """

    draws: int = 512
    accept: float = 0.25
    rounds: int = 8
    moves: int = 1
    stay_probability: float | None = None
    min_acceptance: float = 0.05
    replicates: int = 16
    seed: int = 0
    workers: int = 1

    def __post_init__(self) -> None:
        if self.stay_probability is not None and not 0 < self.stay_probability < 1:
            raise ValueError(f"stay_probability must be in (0, 1) or None, "
                             f"found {self.stay_probability!r}")

    @property
    def n_kept(self) -> int:
        """Vectors kept each round (at least one, at most ``draws``)."""
        count = self.accept * self.draws if self.accept < 1 else self.accept
        return int(min(self.draws, max(1, round(count))))

    @property
    def seeds(self) -> np.ndarray:
        """Replicate seeds ``seed, seed + 1, ...`` (as ``sim run`` numbers runs)."""
        return np.arange(self.seed, self.seed + self.replicates, dtype=np.int64)

    def moves_after(self, acceptance: float | None) -> int:
        """Return the steps per copy after a round that accepted ``acceptance`` of its steps.

        ``acceptance`` is ``None`` for the first round. Without
        ``stay_probability`` the answer is always ``moves``.
        """
        if self.stay_probability is None or acceptance is None:
            return self.moves
        if acceptance <= 0:
            return self.moves
        if acceptance >= 1:
            return 1
        needed = math.ceil(math.log(self.stay_probability) / math.log(1.0 - acceptance))
        return int(min(self.moves, max(1, needed)))


def round_significant(value: float, digits: int = 3) -> float:
    """Round ``value`` to ``digits`` significant figures (for a readable scenario file)."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


@dataclass(frozen=True)
class Round:
    """One round: its tolerance, the share of steps accepted, the vectors simulated."""

    epsilon: float
    acceptance: float
    simulations: int


@dataclass(frozen=True)
class _Population:
    """Vectors in the unit cube, their statistics and distances (row-aligned)."""

    unit: np.ndarray
    statistics: np.ndarray
    distances: np.ndarray

    def take(self, index: np.ndarray) -> _Population:
        return _Population(self.unit[index], self.statistics[index], self.distances[index])

    def closest(self, n: int) -> _Population:
        """Return the ``n`` closest members, closest first (stable: ties keep order)."""
        return self.take(np.argsort(self.distances, kind="stable")[:n])

    def join(self, other: _Population) -> _Population:
        return _Population(np.concatenate([self.unit, other.unit]),
                           np.concatenate([self.statistics, other.statistics]),
                           np.concatenate([self.distances, other.distances]))


@dataclass(frozen=True)
class Posterior:
    """The result of one ABC run.

    Attributes
    ----------
    target_set : TargetSet
    settings : AbcSettings
    values : ndarray of shape (n_accepted, d), float64
        Accepted parameter vectors, closest first, in the order of
        ``target_set.parameters``.
    statistics : ndarray of shape (n_accepted, k, n_runs), float64
        Each target's statistic (check targets too) per accepted vector and
        replicate: the posterior predictive distribution.
    distances : ndarray of shape (n_accepted,), float64
    prior_values : ndarray of shape (draws, d), float64
        Round 0's draws from the prior.
    prior_statistics : ndarray of shape (draws, k, n_runs), float64
        Their statistics (the prior predictive distribution).
    rounds : tuple of Round
        Round 0 first.
    overrides : dict
        Fixed scenario overrides (``--set``) every run used.
    """

    target_set: TargetSet
    settings: AbcSettings
    values: np.ndarray
    statistics: np.ndarray
    distances: np.ndarray
    prior_values: np.ndarray
    prior_statistics: np.ndarray
    rounds: tuple[Round, ...]
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def epsilon(self) -> float:
        """The final tolerance: the largest accepted distance."""
        return float(self.distances.max())

    @property
    def simulations(self) -> int:
        """Parameter vectors simulated in all rounds."""
        return sum(r.simulations for r in self.rounds)

    @property
    def n_distinct(self) -> int:
        """Distinct accepted vectors (a refilled copy that never moved repeats one)."""
        return len(np.unique(self.values, axis=0))

    @property
    def medoid(self) -> int:
        """Index of the accepted vector closest to the marginal medians.

        Each parameter's gap to its median is measured on the prior's unit
        scale in units of the posterior's interquartile range there, so the
        parameters the targets pin down weigh most; the gaps are summed, and
        ties go to the closer fit. Unlike the vector of marginal medians, the
        medoid is a parameter set the model was run with and accepted: where
        the targets leave parameters on a ridge, medians taken one by one can
        combine into a set that fits nothing.
        """
        unit = to_unit(self.target_set.parameters, self.values)
        q25, median, q75 = np.percentile(unit, [25, 50, 75], axis=0)
        spread = np.maximum(q75 - q25, 1e-9)
        return int(np.argmin((np.abs(unit - median) / spread).sum(axis=1)))

    def calibrated(self) -> dict[str, float | int]:
        """Return the medoid's values, rounded to 3 significant figures."""
        row = self.values[self.medoid]
        return {p.key: round(float(v)) if p.integer else round_significant(float(v))
                for p, v in zip(self.target_set.parameters, row, strict=True)}

    def summary(self) -> pd.DataFrame:
        """Return one row per parameter: prior, posterior quantiles, shrinkage.

        ``shrinkage`` is the width of the posterior's 90% interval over the
        prior's, on the prior's scale: near 1 the targets say little about
        the parameter.
        """
        parameters = self.target_set.parameters
        p05, median, p95 = np.percentile(self.values, [5, 50, 95], axis=0)
        unit = to_unit(parameters, np.stack([p05, p95]))
        calibrated = self.calibrated()
        return pd.DataFrame([
            {"parameter": p.key, "label": p.label, "unit": p.unit, "scale": p.scale,
             "prior_low": p.low, "prior_high": p.high, "p05": p05[j], "median": median[j],
             "p95": p95[j], "calibrated": calibrated[p.key],
             "shrinkage": (unit[1, j] - unit[0, j]) / 0.9}
            for j, p in enumerate(parameters)])


def _simulate(target_set: TargetSet, settings: AbcSettings, unit: np.ndarray,
              overrides: dict[str, Any], executor: Executor) -> _Population:
    """Measure every target (check targets too, for the record); score the fit targets."""
    targets = target_set.targets
    fit = [i for i, t in enumerate(targets) if t.role == "fit"]
    statistics = simulate_draws(target_set.parameters, targets,
                                from_unit(target_set.parameters, unit), settings.seeds,
                                overrides, executor)
    return _Population(unit, statistics, distance(statistics[:, fit], target_set.fit_targets))


def _reflect(unit: np.ndarray) -> np.ndarray:
    """Fold points back into [0, 1] (a reflected random walk stays symmetric)."""
    folded = np.mod(unit, 2.0)
    return np.where(folded > 1.0, 2.0 - folded, folded)


def _refill(kept: _Population, n: int, epsilon: float, moves: int,
            rng: np.random.Generator, simulate: Callable[[np.ndarray], _Population],
            ) -> tuple[_Population, int]:
    """Copy ``n`` kept vectors and move each by ``moves`` MH steps; return them, steps accepted."""
    copies = kept.take(rng.integers(len(kept.distances), size=n))
    d = kept.unit.shape[1]
    covariance = np.atleast_2d(np.cov(kept.unit, rowvar=False)) * STEP_SCALE**2 / d
    chol = np.linalg.cholesky(covariance + 1e-12 * np.eye(d))
    accepted = 0
    for _ in range(moves):
        moved = simulate(_reflect(copies.unit + rng.standard_normal((n, d)) @ chol.T))
        ok = moved.distances <= epsilon
        copies = _Population(np.where(ok[:, None], moved.unit, copies.unit),
                             np.where(ok[:, None, None], moved.statistics, copies.statistics),
                             np.where(ok, moved.distances, copies.distances))
        accepted += int(ok.sum())
    return copies, accepted


def run_abc(target_set: TargetSet, settings: AbcSettings,
            overrides: Mapping[str, Any] | None = None,
            executor: Executor | None = None, progress: TextIO | None = None) -> Posterior:
    """Estimate the parameters of ``target_set`` from its fit targets.

    Parameters
    ----------
    target_set : TargetSet
    settings : AbcSettings
    overrides : mapping, optional
        Fixed scenario overrides for every run.
    executor : Executor, optional
        Where the simulations run (a :class:`~sim.experiment.executors.DaskExecutor`
        for a cluster); default ``settings.workers`` local processes, or this
        process for one. An executor given here is not closed.
    progress : text stream, optional
        Draw a progress line there (round, tolerance, parameter sets done,
        time left; :mod:`sim.calibration.progress`); default none.

    Returns
    -------
    Posterior
        The same for the same targets, settings and overrides, whatever the
        executor.

    Raises
    ------
    UserError
        For a mistake in the input that a simulation ran into, or dead workers.
    ChunkError
        For a programming error in a simulation (its traceback is the cause).
    """
    fixed = dict(overrides or {})
    owned = make_executor(settings.workers, None) if executor is None else None
    runner = executor if owned is None else owned
    bar = None if progress is None else calibration_progress(
        target_set, settings.draws, settings.draws - settings.n_kept, settings.moves,
        settings.rounds, progress)
    try:
        if bar is not None:
            runner = CountingExecutor(runner, bar.advance)
        posterior = _run(target_set, settings, fixed, runner, bar)
        if bar is not None:
            bar.close()
        return posterior
    except BaseException:
        if progress is not None and bar is not None and bar.done:  # a line was drawn
            end_progress_line(progress)  # no last line: the error is the last one shown
        raise
    finally:
        if owned is not None:
            owned.close()


def _run(target_set: TargetSet, settings: AbcSettings, fixed: dict[str, Any],
         executor: Executor, bar: Progress | None) -> Posterior:
    rng = np.random.default_rng(settings.seed)
    parameters = target_set.parameters

    def simulate(unit: np.ndarray) -> _Population:
        return _simulate(target_set, settings, unit, fixed, executor)

    prior = simulate(sobol_unit(settings.draws, len(parameters), rng))
    population = prior.closest(settings.n_kept)
    rounds = [Round(float(population.distances.max()), settings.n_kept / settings.draws,
                    settings.draws)]
    n_refill = settings.draws - settings.n_kept
    acceptance = None
    for index in range(settings.rounds if n_refill > 0 else 0):
        if index:
            population = population.closest(settings.n_kept)
        epsilon = float(population.distances.max())
        if bar is not None:
            bar.label = round_label(target_set, index + 1, settings.rounds, epsilon)
        moves = settings.moves_after(acceptance)
        copies, accepted = _refill(population, n_refill, epsilon, moves, rng, simulate)
        population = population.join(copies)
        acceptance = accepted / (n_refill * moves)
        rounds.append(Round(epsilon, acceptance, n_refill * moves))
        if acceptance < settings.min_acceptance:
            break
    population = population.closest(len(population.distances))
    if bar is not None:  # the last line: what was done, at the final tolerance
        bar.total = bar.done
        bar.label = (f"calibrate {target_set.name}: {len(rounds) - 1} round(s) done, "
                     f"tolerance {float(population.distances.max()):.3g}")
    return Posterior(
        target_set=target_set, settings=settings, values=from_unit(parameters, population.unit),
        statistics=population.statistics, distances=population.distances,
        prior_values=from_unit(parameters, prior.unit), prior_statistics=prior.statistics,
        rounds=tuple(rounds), overrides=fixed)
