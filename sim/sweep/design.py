"""Design points: the parameter settings a sweep runs, one mapping per point.

Continuous designs draw points in the unit hypercube (``scipy.stats.qmc``
Latin hypercube or scrambled Sobol, or SALib's Saltelli scheme) and map each
column through its :class:`~sim.sweep.spec.Parameter`; a grid is the product
of every parameter's levels. The design is a pure function of the sweep file,
so every executor, and every rerun, sees the same points.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
from scipy.stats import qmc

from sim.sweep.spec import SweepSpec

__all__ = ["design_points", "unit_design"]


def unit_design(spec: SweepSpec) -> np.ndarray:
    """Return the design in the unit hypercube, shaped (n_points, n_parameters).

    Not defined for a grid (whose levels need not be evenly spaced).
    """
    d = len(spec.parameters)
    rng = np.random.default_rng(spec.seed)
    if spec.design == "lhs":
        return qmc.LatinHypercube(d, rng=rng).random(spec.points)
    if spec.design == "sobol":
        return qmc.Sobol(d, scramble=True, rng=rng).random(spec.points)
    if spec.design == "saltelli":
        from SALib.sample import sobol as saltelli

        problem = {"num_vars": d, "names": list(spec.keys), "bounds": [[0.0, 1.0]] * d}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SALib warns about N, already checked
            return saltelli.sample(problem, spec.base_samples, calc_second_order=False,
                                   scramble=True, seed=spec.seed)
    raise ValueError(f"no unit-cube design for {spec.design!r}")


def design_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """Return each point's settings: a mapping from scenario key to value.

    Parameters
    ----------
    spec : SweepSpec

    Returns
    -------
    list of dict
        ``spec.points`` mappings, usable as ``load_scenario`` overrides.
    """
    if spec.design == "grid":
        levels = [p.grid() for p in spec.parameters]
        return [dict(zip(spec.keys, combination, strict=True))
                for combination in itertools.product(*levels)]
    unit = unit_design(spec)
    columns = [p.from_unit(unit[:, j]) for j, p in enumerate(spec.parameters)]
    return [dict(zip(spec.keys, row, strict=True)) for row in zip(*columns, strict=True)]
