"""Paired differences of each scenario's outcomes from a baseline scenario.

``sim compare`` runs every scenario on the same seeds, so run *i* of a
scenario and run *i* of the baseline share their random numbers: the
difference of their outcomes is the effect of the rule set on that run,
with the run-to-run noise they share taken out. For each scenario and each
outcome of :data:`~sim.experiment.outcomes.OUTCOMES` this module gives

* the mean of the per-run differences (``difference_mean``);
* a 95% percentile-bootstrap interval of that mean
  (``difference_mean_ci_low``, ``difference_mean_ci_high``;
  :data:`BOOTSTRAP_RESAMPLES` resamples of the runs, seeded with
  :data:`BOOTSTRAP_SEED`, so the file is the same on every machine, drawn
  in blocks of about :data:`BOOTSTRAP_BLOCK` picks, so its memory does not
  grow with the runs times the resamples): how well the runs pin the
  average effect down;
* the 5th and 95th percentile of the per-run differences
  (``difference_p05``, ``difference_p95``): how much the effect varies from
  run to run, the same 90% interval ``summary.csv`` gives of the outcomes.

A run whose outcome is undefined in either scenario (NaN, e.g. the cap use
of a scenario without caps) is left out of that outcome's difference; with
no run left, every column is NaN. The baseline's difference from itself is
exactly zero.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.experiment.outcomes import OUTCOMES, RunOutcomes, run_outcomes
from sim.results import Results

__all__ = ["BOOTSTRAP_BLOCK", "BOOTSTRAP_RESAMPLES", "BOOTSTRAP_SEED", "DIFFERENCE_COLUMNS",
           "bootstrap_mean_interval", "paired_differences"]

BOOTSTRAP_RESAMPLES = 2000
"""Resamples of the runs for the interval of the mean difference (assumption: enough for
two significant digits of a 95% interval's ends)."""
BOOTSTRAP_SEED = 20250113
"""Seed of the bootstrap's resampling (the framework's date, 13 January 2025; any fixed seed)."""
BOOTSTRAP_BLOCK = 2**21
"""Most resampled picks drawn at once (at least one resample): 16 MiB of indices and 16 MiB of
values (assumption: small beside a chunk of runs, large enough that NumPy's loops dominate).
The blocks continue one random stream, so the interval does not depend on them."""

DIFFERENCE_COLUMNS = ("baseline", "scenario", "outcome", "runs", "difference_mean",
                      "difference_mean_ci_low", "difference_mean_ci_high", "difference_p05",
                      "difference_p95")
"""The columns of ``differences.csv``, one row per scenario and outcome."""


def bootstrap_mean_interval(values: np.ndarray, level: float = 0.95,
                            resamples: int = BOOTSTRAP_RESAMPLES,
                            seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Return the percentile-bootstrap interval of the mean of ``values``.

    Parameters
    ----------
    values : ndarray of shape (n_runs,), float64
        Finite values, at least one.
    level : float
        Coverage of the interval (0.95: the 2.5th and 97.5th percentile of
        the resampled means).
    resamples, seed : int

    Returns
    -------
    tuple of float
        The interval's low and high end.
    """
    rng = np.random.default_rng(seed)
    rows = max(1, BOOTSTRAP_BLOCK // len(values))
    means = np.empty(resamples)
    for start in range(0, resamples, rows):  # the stream continues: as if drawn in one go
        block = means[start:start + rows]
        block[:] = values[rng.integers(0, len(values), size=(len(block), len(values)))].mean(
            axis=1)
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return float(low), float(high)


def paired_differences(per_scenario: Mapping[str, Results | RunOutcomes],
                       baseline: str) -> pd.DataFrame:
    """Return each scenario's paired difference from ``baseline``, for every outcome.

    Parameters
    ----------
    per_scenario : mapping of str to Results or RunOutcomes
        Each scenario's runs, all on the same seeds in the same order, or
        their outcomes (:class:`~sim.experiment.outcomes.RunOutcomes`, of
        streamed runs: the same table bit for bit).
    baseline : str
        The name of the scenario the others are compared with (a key of
        ``per_scenario``).

    Returns
    -------
    DataFrame
        :data:`DIFFERENCE_COLUMNS`; one row per scenario (in the order given,
        the baseline included) and outcome (in the order of ``OUTCOMES``).

    Raises
    ------
    ValueError
        If ``baseline`` is not a scenario, or two scenarios' seeds differ
        (the runs would not pair): a programming error, since ``sim compare``
        checks the name and runs every scenario on one set of seeds.
    """
    if baseline not in per_scenario:
        raise ValueError(f"baseline {baseline!r} is not one of {list(per_scenario)}")
    reference = run_outcomes(per_scenario[baseline])
    rows = []
    for name, results in per_scenario.items():
        runs = run_outcomes(results)
        if not np.array_equal(runs["seed"], reference["seed"]):
            raise ValueError(f"scenario {name!r} ran on other seeds than {baseline!r}")
        for outcome in OUTCOMES:
            difference = (runs[outcome].to_numpy(dtype=np.float64)
                          - reference[outcome].to_numpy(dtype=np.float64))
            rows.append({"baseline": baseline, "scenario": name, "outcome": outcome,
                         **_describe(difference[np.isfinite(difference)])})
    return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))


def _describe(difference: np.ndarray) -> dict[str, float | int]:
    """Return the runs, mean, bootstrap interval of the mean and 5-95% of ``difference``."""
    if not difference.size:
        return {"runs": 0, **dict.fromkeys(DIFFERENCE_COLUMNS[4:], np.nan)}
    low, high = bootstrap_mean_interval(difference)
    p05, p95 = np.percentile(difference, [5, 95])
    return {"runs": int(difference.size), "difference_mean": float(difference.mean()),
            "difference_mean_ci_low": low, "difference_mean_ci_high": high,
            "difference_p05": float(p05), "difference_p95": float(p95)}
