"""What a finished sweep says: per-point means and Sobol sensitivity indices.

Pure functions over the combined runs table (one row per point and
replicate, as :meth:`SweepStore.combine` returns it).
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pandas as pd

from sim.experiment.outcomes import OUTCOMES
from sim.sweep.spec import SweepSpec

__all__ = ["NEAR_CONSTANT", "near_constant", "noise_range", "point_means", "replicate_sd",
           "sobol_indices", "varying_outcomes"]

NEAR_CONSTANT = 1e-3
"""An outcome whose standard deviation across points is below this share of its mean
magnitude is near-constant: its Sobol indices apportion a variance too small to matter
(assumption: 0.1%, e.g. 36 H100e on 36,000; the figure says so instead of drawing bars)."""


def point_means(runs: pd.DataFrame, spec: SweepSpec) -> pd.DataFrame:
    """Return one row per point: its settings and the mean of each outcome over replicates."""
    columns = ["point", *spec.keys]
    means = runs.groupby("point", sort=True)[list(OUTCOMES)].mean()
    settings = runs.drop_duplicates("point").set_index("point")[list(spec.keys)]
    return settings.join(means).reset_index()[[*columns, *OUTCOMES]]


def varying_outcomes(means: pd.DataFrame) -> list[str]:
    """Return the outcomes that are finite everywhere and not constant across points."""
    chosen = []
    for outcome in OUTCOMES:
        values = means[outcome].to_numpy(dtype=np.float64)
        if np.isfinite(values).all() and np.ptp(values) > 1e-12 * max(1.0, np.abs(values).max()):
            chosen.append(outcome)
    return chosen


def near_constant(values: np.ndarray) -> bool:
    """Return whether ``values`` vary by less than :data:`NEAR_CONSTANT` of their magnitude.

    Parameters
    ----------
    values : ndarray of shape (n_points,), float64
        An outcome's point means (finite).
    """
    return bool(np.std(values) <= NEAR_CONSTANT * np.mean(np.abs(values)))


@cache
def noise_range(groups: int, level: float = 0.95) -> float:
    """Return the ``level`` quantile of the range of ``groups`` independent N(0, 1) draws.

    A response whose range over ``groups`` levels (or bins), each a mean
    with standard error ``se``, is below ``noise_range(groups) * se`` is
    what noise alone would give in 95% of sweeps (the studentized range at
    infinite degrees of freedom: 2.77 for 2 groups, 3.31 for 3, 4.29 for 8).
    Estimated from 200,000 seeded draws, so the same on every machine.
    """
    draws = np.random.default_rng(0).standard_normal((200_000, max(groups, 2)))
    return float(np.quantile(np.ptp(draws, axis=1), level))


def replicate_sd(runs: pd.DataFrame) -> pd.Series:
    """Return each outcome's run-to-run standard deviation, pooled over points.

    The square root of the mean over points of the variance across a point's
    replicates (``ddof=1``): the noise a response must exceed to be one.

    Returns
    -------
    Series
        Indexed by outcome (``OUTCOMES``); NaN with one replicate per point.
    """
    variances = runs.groupby("point", sort=True)[list(OUTCOMES)].var(ddof=1)
    return np.sqrt(variances.mean(axis=0, skipna=True))


def sobol_indices(means: pd.DataFrame, spec: SweepSpec, seed: int | None = None) -> pd.DataFrame:
    """Return first-order and total Sobol indices of each varying outcome.

    Parameters
    ----------
    means : DataFrame
        :func:`point_means` of a ``saltelli`` sweep, in point order.
    spec : SweepSpec
    seed : int, optional
        Seed of SALib's bootstrap for the confidence intervals (default: the
        sweep's seed).

    Returns
    -------
    DataFrame
        Columns ``outcome``, ``parameter``, ``S1``, ``S1_conf``, ``ST``,
        ``ST_conf`` (half-widths of 95% bootstrap intervals), ``outcome_sd``
        (standard deviation of the outcome's point means, its unit) and
        ``near_constant`` (:func:`near_constant`: the indices share out a
        negligible variance and are not to be read as effects).
    """
    from SALib.analyze import sobol  # deferred: slow to import, needed for saltelli only

    if spec.design != "saltelli":
        raise ValueError("Sobol indices need a saltelli design")
    d = len(spec.parameters)
    problem = {"num_vars": d, "names": list(spec.keys), "bounds": [[0.0, 1.0]] * d}
    rows = []
    for outcome in varying_outcomes(means):
        y = means[outcome].to_numpy(dtype=np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = sobol.analyze(problem, y, calc_second_order=False, conf_level=0.95,
                                   seed=spec.seed if seed is None else seed)
        spread, flat = float(np.std(y)), near_constant(y)
        for j, key in enumerate(spec.keys):
            rows.append({"outcome": outcome, "parameter": key,
                         "S1": result["S1"][j], "S1_conf": result["S1_conf"][j],
                         "ST": result["ST"][j], "ST_conf": result["ST_conf"][j],
                         "outcome_sd": spread, "near_constant": flat})
    return pd.DataFrame(rows, columns=["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf",
                                       "outcome_sd", "near_constant"])
