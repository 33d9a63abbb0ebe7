"""Prior draws of the uncertain parameters: scrambled Sobol' points mapped to bounds.

Each parameter's prior is uniform on ``[low, high]`` or, with
``scale = "log"``, uniform in the logarithm. Draws come from a scrambled
Sobol' sequence (``scipy.stats.qmc``), which covers the box more evenly than
independent uniform draws; the scramble is seeded, so a seed fixes every draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import qmc

from sim.calibration.targets import Parameter

__all__ = ["as_overrides", "from_unit", "sample_prior", "sobol_unit", "to_unit"]


def from_unit(parameters: Sequence[Parameter], unit: np.ndarray) -> np.ndarray:
    """Map points of the unit cube to parameter values.

    Parameters
    ----------
    parameters : sequence of Parameter, length d
    unit : ndarray of shape (n, d), values in [0, 1]

    Returns
    -------
    ndarray of shape (n, d), float64
        Integer parameters are rounded (still stored as float64).
    """
    values = np.empty_like(unit, dtype=np.float64)
    for j, p in enumerate(parameters):
        if p.scale == "log":
            values[:, j] = np.exp(math.log(p.low) + unit[:, j] * math.log(p.high / p.low))
        else:
            values[:, j] = p.low + unit[:, j] * (p.high - p.low)
        if p.integer:
            values[:, j] = np.clip(np.round(values[:, j]), math.ceil(p.low), math.floor(p.high))
    return values


def to_unit(parameters: Sequence[Parameter], values: np.ndarray) -> np.ndarray:
    """Map parameter values back to the unit cube (the inverse of :func:`from_unit`).

    Returns
    -------
    ndarray of shape (n, d), float64
    """
    unit = np.empty_like(values, dtype=np.float64)
    for j, p in enumerate(parameters):
        if p.scale == "log":
            unit[:, j] = np.log(values[:, j] / p.low) / math.log(p.high / p.low)
        else:
            unit[:, j] = (values[:, j] - p.low) / (p.high - p.low)
    return unit


def sobol_unit(n_draws: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """Return the first ``n_draws`` points of a scrambled Sobol' sequence in ``[0, 1]^d``.

    The sequence has the next power of two in length (a power of two keeps it
    balanced); ``rng`` seeds the scramble.

    Returns
    -------
    ndarray of shape (n_draws, d), float64
    """
    engine = qmc.Sobol(d=d, scramble=True, rng=rng)
    return engine.random_base2(max(0, math.ceil(math.log2(n_draws))))[:n_draws]


def sample_prior(parameters: Sequence[Parameter], n_draws: int, seed: int) -> np.ndarray:
    """Draw ``n_draws`` parameter vectors from the prior (seeded Sobol' points).

    Returns
    -------
    ndarray of shape (n_draws, d), float64
    """
    unit = sobol_unit(n_draws, len(parameters), np.random.default_rng(seed))
    return from_unit(parameters, unit)


def as_overrides(parameters: Sequence[Parameter], row: np.ndarray) -> dict[str, float | int]:
    """Return one draw as scenario overrides (dotted key -> value)."""
    return {p.key: int(v) if p.integer else float(v)
            for p, v in zip(parameters, row, strict=True)}
