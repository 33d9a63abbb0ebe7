"""Distributions the model draws from, as tables of quantiles.

A draw is ``table[floor(u * QUANTILE_BINS)]`` for a counter-based uniform
``u`` (:mod:`sim.rng`), so both implementations read identical bits. The
tables depend on nothing but their parameters, which is why the scenario
checks (largest possible firm size) can use them too.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["QUANTILE_BINS", "pareto_quantiles", "size_quantile_max"]

QUANTILE_BINS = 1024
"""Resolution of the firm-size distribution (quantiles at bin mid-points)."""


@functools.cache
def pareto_quantiles(alpha: float) -> np.ndarray:
    """Return Pareto(alpha) quantiles with median 1 at ``QUANTILE_BINS`` mid-points.

    Parameters
    ----------
    alpha : float
        Tail index (> 1: finite mean).

    Returns
    -------
    ndarray of shape (QUANTILE_BINS,), float64
        Increasing; a size is ``median * table[floor(u * QUANTILE_BINS)]``.
    """
    p = (np.arange(QUANTILE_BINS) + 0.5) / QUANTILE_BINS
    table = (1.0 - p) ** (-1.0 / alpha) / 2.0 ** (1.0 / alpha)
    table.setflags(write=False)
    return table


def size_quantile_max(alpha: float) -> float:
    """Return the largest size multiple a generated firm can draw."""
    return float(pareto_quantiles(alpha)[-1])
