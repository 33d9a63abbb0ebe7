"""What a finished sweep says: per-point means and Sobol sensitivity indices.

Pure functions over the combined runs table (one row per point and
replicate, as :meth:`SweepStore.combine` returns it).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sim.experiment.outcomes import OUTCOMES
from sim.sweep.spec import SweepSpec

__all__ = ["point_means", "sobol_indices", "varying_outcomes"]


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
        ``ST_conf`` (half-widths of 95% bootstrap intervals).
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
        for j, key in enumerate(spec.keys):
            rows.append({"outcome": outcome, "parameter": key,
                         "S1": result["S1"][j], "S1_conf": result["S1_conf"][j],
                         "ST": result["ST"][j], "ST_conf": result["ST_conf"][j]})
    return pd.DataFrame(rows, columns=["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"])
