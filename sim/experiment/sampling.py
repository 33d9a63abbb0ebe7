"""Samplers: designs in the unit cube, and their map through Parameters.

One module for every design a sweep or a calibration draws:

* ``grid``: every combination of each parameter's levels (not in the unit
  cube: listed values need not be evenly spaced);
* ``lhs``: a Latin hypercube (``scipy.stats.qmc.LatinHypercube``);
* ``sobol``: the first ``n`` points of a scrambled Sobol' sequence
  (``scipy.stats.qmc.Sobol``), drawn as the next power of two so that scipy
  need not warn; for a power of two ``n`` that is the whole balanced set;
* ``saltelli``: SALib's design for first-order and total Sobol' indices,
  ``n * (d + 2)`` points from ``n`` base samples.

Each sampler is a pure function of its size, its dimension and its seed
(or ``numpy`` Generator), so every executor and every rerun sees the same
points. :func:`from_unit`, :func:`to_unit` and :func:`as_overrides` map whole
designs through their parameters (:class:`~sim.experiment.parameters.Parameter`).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from sim.experiment.parameters import Parameter

__all__ = [
    "SAMPLERS",
    "as_overrides",
    "from_unit",
    "grid_points",
    "latin_hypercube_unit",
    "saltelli_unit",
    "sobol_unit",
    "to_unit",
    "unit_sample",
]

SAMPLERS = ("grid", "lhs", "sobol", "saltelli")
"""The designs: a grid of levels; Latin hypercube and scrambled Sobol' points
from ``scipy.stats.qmc``; Saltelli: SALib's design for Sobol' indices."""


def latin_hypercube_unit(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` Latin hypercube points in ``[0, 1)^d``: ndarray (n, d), float64."""
    return qmc.LatinHypercube(d, rng=rng).random(n)


def sobol_unit(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """Return the first ``n`` points of a scrambled Sobol' sequence in ``[0, 1)^d``.

    The sequence is drawn to the next power of two (a power of two keeps it
    balanced) and cut; ``rng`` seeds the scramble.

    Returns
    -------
    ndarray of shape (n, d), float64
    """
    engine = qmc.Sobol(d=d, scramble=True, rng=rng)
    return engine.random_base2(max(0, math.ceil(math.log2(n))))[:n]


def saltelli_unit(n: int, d: int, seed: int) -> np.ndarray:
    """Return SALib's Saltelli design from ``n`` base samples (first-order and total indices).

    Returns
    -------
    ndarray of shape (n * (d + 2), d), float64
        Rows in SALib's order, as :func:`SALib.analyze.sobol.analyze` expects.
    """
    from SALib.sample import sobol as saltelli  # deferred: SALib is slow to import

    problem = {"num_vars": d, "names": [f"x{j}" for j in range(d)], "bounds": [[0.0, 1.0]] * d}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns about n, which the callers check
        return saltelli.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)


def unit_sample(kind: str, n: int, d: int, seed: int) -> np.ndarray:
    """Return design ``kind`` (``lhs``, ``sobol`` or ``saltelli``) in the unit cube.

    Parameters
    ----------
    kind : str
        One of :data:`SAMPLERS` but ``grid``.
    n : int
        Points (for ``saltelli``, base samples).
    d : int
        Dimensions.
    seed : int
        Seeds the design (``numpy.random.default_rng(seed)`` for scipy's).

    Returns
    -------
    ndarray of shape (n, d), or (n * (d + 2), d) for ``saltelli``; float64
    """
    if kind == "lhs":
        return latin_hypercube_unit(n, d, np.random.default_rng(seed))
    if kind == "sobol":
        return sobol_unit(n, d, np.random.default_rng(seed))
    if kind == "saltelli":
        return saltelli_unit(n, d, seed)
    raise ValueError(f"no unit-cube design {kind!r}")


def grid_points(parameters: Sequence[Parameter]) -> list[tuple[Any, ...]]:
    """Return every combination of the parameters' levels, the last varying fastest."""
    return list(itertools.product(*(p.grid() for p in parameters)))


def from_unit(parameters: Sequence[Parameter], unit: np.ndarray) -> np.ndarray:
    """Map points of the unit cube to the values of ranges.

    Parameters
    ----------
    parameters : sequence of Parameter, length d
        Ranges (not lists).
    unit : ndarray of shape (n, d), values in [0, 1]

    Returns
    -------
    ndarray of shape (n, d), float64
        Integer parameters are rounded (still stored as float64).
    """
    values = np.empty_like(unit, dtype=np.float64)
    for j, parameter in enumerate(parameters):
        values[:, j] = parameter.from_unit(unit[:, j])
    return values


def to_unit(parameters: Sequence[Parameter], values: np.ndarray) -> np.ndarray:
    """Map values of ranges back to the unit cube (the inverse of :func:`from_unit`).

    Returns
    -------
    ndarray of shape (n, d), float64
    """
    unit = np.empty_like(values, dtype=np.float64)
    for j, parameter in enumerate(parameters):
        unit[:, j] = parameter.to_unit(values[:, j])
    return unit


def as_overrides(parameters: Sequence[Parameter], row: Sequence[Any]) -> dict[str, Any]:
    """Return one point as scenario overrides (dotted key -> plain Python value)."""
    return {p.key: p.override(v) for p, v in zip(parameters, row, strict=True)}
