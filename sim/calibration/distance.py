"""How far a model run is from the published figures, in units of their ranges.

For target ``k`` and replicate ``r`` the standardised log residual is

``z = (log s - log value) / (log high - log value)`` if ``s > value``,
``z = (log s - log value) / (log value - log low)`` otherwise,

so ``|z| <= 1`` exactly when the replicate lands inside the published range,
whatever the target's unit, and a range that is lopsided around its central
figure (CNAS: 10,000 to 300,000 around 140,000) is respected. A parameter
vector's distance is the root mean square of ``z`` over targets and
replicates: replicates that scatter widely count against it, not only a
biased mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.calibration.targets import Target

__all__ = ["distance", "inside", "standardised_residuals"]


def standardised_residuals(statistics: np.ndarray, targets: Sequence[Target]) -> np.ndarray:
    """Return each statistic's log distance to its target in units of the range.

    Parameters
    ----------
    statistics : ndarray of shape (..., k, n_runs)
        One value per target ``k`` (in the order of ``targets``) and run.
    targets : sequence of Target, length k

    Returns
    -------
    ndarray of the same shape, float64
        ``|z| <= 1`` inside the published range. A statistic below a tenth
        of the range's low end counts as that (zero has no logarithm).
    """
    shape = (len(targets), 1)
    value = np.array([t.value for t in targets]).reshape(shape)
    low = np.array([t.low for t in targets]).reshape(shape)
    high = np.array([t.high for t in targets]).reshape(shape)
    half = np.log(high / low) / 2
    above = np.where(high > value, np.log(high / value), half)
    below = np.where(value > low, np.log(value / low), half)
    gap = np.log(np.maximum(statistics, low / 10)) - np.log(value)
    return gap / np.where(gap > 0, above, below)


def distance(statistics: np.ndarray, targets: Sequence[Target]) -> np.ndarray:
    """Return the root mean square standardised residual of each parameter vector.

    Parameters
    ----------
    statistics : ndarray of shape (n_draws, k, n_runs)

    Returns
    -------
    ndarray of shape (n_draws,), float64
    """
    z = standardised_residuals(statistics, targets)
    return np.sqrt(np.mean(z**2, axis=(1, 2)))


def inside(values: np.ndarray, target: Target) -> np.ndarray:
    """Return where ``values`` fall inside the target's published range (bool array)."""
    return (values >= target.low) & (values <= target.high)
