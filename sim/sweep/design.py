"""Design points: the parameter settings a sweep runs, one mapping per point.

A grid is the product of every parameter's levels; the other designs are
drawn in the unit hypercube by :mod:`sim.experiment.sampling` and mapped
through each column's :class:`~sim.experiment.parameters.Parameter`. The
design is a pure function of the sweep file, so every executor, and every
rerun, sees the same points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.experiment.sampling import grid_points, unit_sample
from sim.sweep.spec import SweepSpec

__all__ = ["design_points", "unit_design"]


def unit_design(spec: SweepSpec) -> np.ndarray:
    """Return the design in the unit hypercube, shaped (n_points, n_parameters).

    Not defined for a grid (whose levels need not be evenly spaced).
    """
    if spec.design == "grid":
        raise ValueError("a grid has no unit-cube design")
    return unit_sample(spec.design, spec.base_samples, len(spec.parameters), spec.seed)


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
        return [dict(zip(spec.keys, combination, strict=True))
                for combination in grid_points(spec.parameters)]
    unit = unit_design(spec)
    columns = [p.overrides(unit[:, j]) for j, p in enumerate(spec.parameters)]
    return [dict(zip(spec.keys, row, strict=True)) for row in zip(*columns, strict=True)]
