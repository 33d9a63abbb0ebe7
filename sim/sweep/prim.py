"""PRIM, the Patient Rule Induction Method: boxes in parameter space where a class of runs is dense.

Friedman and Fisher (1999), "Bump hunting in high-dimensional data",
Statistics and Computing 9, 123-143, as the EMA Workbench implements it for
scenario discovery (Kwakkel 2017, ``ema_workbench.analysis.prim``, version
2.5; the quasi-p-values of Bryant and Lempert 2010):

- **peeling**: starting from the box holding every run, each step considers,
  for every parameter, cutting off the ``peel_alpha`` share of the box's runs
  with the lowest values and the share with the highest; it takes the cut
  with the largest gain in density per run removed (EMA's ``LENIENT1``
  objective), preferring among equal gains the box with fewer restricted
  parameters, and stops when no cut raises the density or the next box would
  hold less than ``mass_min`` of the runs. A cut lies halfway between two
  distinct values, so a grid's level is cut off whole (EMA's ``get_quantile``).
- **pasting**: the last peeled box is then widened, one restricted limit at a
  time, by the ``paste_alpha`` share of the runs just outside it, while that
  raises its density.
- the **peeling trajectory** is every box on the way (the first holds every
  run), each with its coverage (share of the runs of interest inside),
  density (share of the box's runs that are of interest) and mass (share of
  all runs inside): the coverage/density trade-off an analyst chooses from.
- a **quasi-p-value** per restricted limit: the one-sided binomial test of
  the box's hits against the density of the box without that limit (small:
  the limit matters).

Pure NumPy functions over arrays (SciPy for the binomial tail); no pandas.
A test cross-checks the trajectory against EMA's where EMA installs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

__all__ = ["PrimSettings", "Trajectory", "box_statistics", "chosen_box", "in_boxes",
           "peeling_trajectory", "quasi_p_values"]


@dataclass(frozen=True)
class PrimSettings:
    """How PRIM peels and pastes (EMA Workbench's defaults, docs/sources.md §19).

    Attributes
    ----------
    peel_alpha : float
        Share of the box's runs a peel removes (0.05: Friedman and Fisher
        1999 recommend 0.05-0.1; EMA's default).
    paste_alpha : float
        Share of the box's runs a paste adds (0.05, EMA's default).
    mass_min : float
        Smallest share of all runs a box may hold (0.05, EMA's default).
    """

    peel_alpha: float = 0.05
    paste_alpha: float = 0.05
    mass_min: float = 0.05

    def __post_init__(self) -> None:
        """Refuse settings outside (0, 0.5) and (0, 1)."""
        for name in ("peel_alpha", "paste_alpha"):
            if not 0 < getattr(self, name) < 0.5:
                raise ValueError(f"{name} must be in (0, 0.5)")
        if not 0 < self.mass_min < 1:
            raise ValueError("mass_min must be in (0, 1)")


@dataclass(frozen=True)
class Trajectory:
    """The boxes PRIM went through, first (every run) to last (pasted).

    Attributes
    ----------
    lower, upper : ndarray of shape (n_boxes, n_params), float64
        Each box's inclusive limits.
    initial_lower, initial_upper : ndarray of shape (n_params,), float64
        The box holding every run (each parameter's smallest and largest value).
    pasted : int
        Index of the first box made by pasting (``n_boxes`` if none was).
    """

    lower: np.ndarray
    upper: np.ndarray
    initial_lower: np.ndarray
    initial_upper: np.ndarray
    pasted: int

    @property
    def restricted(self) -> np.ndarray:
        """Which parameters each box limits: ndarray of shape (n_boxes, n_params), bool."""
        return (self.lower != self.initial_lower) | (self.upper != self.initial_upper)


def in_boxes(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Return which runs lie in each box (limits inclusive).

    Parameters
    ----------
    x : ndarray of shape (n_runs, n_params), float64
    lower, upper : ndarray of shape (n_boxes, n_params) or (n_params,), float64

    Returns
    -------
    ndarray of shape (n_boxes, n_runs) or (n_runs,), bool
    """
    low, high = np.asarray(lower)[..., None, :], np.asarray(upper)[..., None, :]
    return ((x >= low) & (x <= high)).all(axis=-1)


def _cut(values: np.ndarray, quantile: float) -> np.ndarray:
    """Return EMA's ``get_quantile`` of each column: halfway to the next distinct value.

    Parameters
    ----------
    values : ndarray of shape (n, n_params), float64, n >= 1
    quantile : float in (0, 1)

    Returns
    -------
    ndarray of shape (n_params,), float64
        For a low quantile, halfway between the quantile's value and the next
        larger value in the column (the value itself if there is none); for a
        high one, halfway to the next smaller value.
    """
    ordered = np.sort(values, axis=0)
    position = (len(ordered) - 1) * quantile
    if quantile > 0.5:
        value = ordered[int(np.ceil(position))]
        other = np.where(ordered < value, ordered, -np.inf).max(axis=0)
    else:
        value = ordered[int(np.floor(position))]
        other = np.where(ordered > value, ordered, np.inf).min(axis=0)
    other = np.where(np.isfinite(other), other, value)
    return (value + other) / 2


def _gain(n_old: int, k_old: int, n_new: np.ndarray, k_new: np.ndarray) -> np.ndarray:
    """EMA's ``LENIENT1`` objective: change in density per run removed or added.

    Parameters
    ----------
    n_old, k_old : int
        Runs and runs of interest in the current box.
    n_new, k_new : ndarray of shape (n_candidates,), int
        The same in each candidate box.

    Returns
    -------
    ndarray of shape (n_candidates,), float64
    """
    mean_old = k_old / n_old
    mean_new = np.where(n_new > 0, k_new / np.maximum(n_new, 1), 0.0)
    change = np.abs(n_old - n_new)
    return np.where(mean_new != mean_old, (mean_new - mean_old) / np.maximum(change, 1), 0.0)


def _best(gain: np.ndarray, unrestricted: np.ndarray) -> int:
    """Index of the largest gain; ties go to more unrestricted parameters, then the first."""
    order = np.lexsort((np.arange(len(gain)), -unrestricted, -gain))
    return int(order[0])


def _peel(x: np.ndarray, y: np.ndarray, inside: np.ndarray, lower: np.ndarray,
          upper: np.ndarray, initial: tuple[np.ndarray, np.ndarray],
          settings: PrimSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Return the next peeled box (lower, upper, inside), or None when peeling stops."""
    xb, yb = x[inside], y[inside]
    n_old, k_old = len(yb), int(yb.sum())
    d = x.shape[1]
    cuts_high = _cut(xb, 1 - settings.peel_alpha)
    cuts_low = _cut(xb, settings.peel_alpha)
    # candidates in EMA's order: parameter 0 upper, parameter 0 lower, parameter 1 upper, ...
    keep = np.stack([xb <= cuts_high, xb >= cuts_low], axis=2).reshape(n_old, 2 * d)
    n_new = keep.sum(axis=0)
    k_new = (keep & yb[:, None]).sum(axis=0)
    lowers = np.repeat(lower[None, :], 2 * d, axis=0)
    uppers = np.repeat(upper[None, :], 2 * d, axis=0)
    dims = np.arange(d)
    uppers[2 * dims, dims] = cuts_high
    lowers[2 * dims + 1, dims] = cuts_low
    unrestricted = ((lowers == initial[0]) & (uppers == initial[1])).sum(axis=1)
    gain = _gain(n_old, k_old, n_new, k_new)
    best = _best(gain, unrestricted)
    if not (n_new[best] >= settings.mass_min * len(y) and n_new[best] < n_old
            and gain[best] > 0):
        return None
    inside = inside.copy()
    inside[inside] = keep[:, best]
    return lowers[best], uppers[best], inside


def _paste(x: np.ndarray, y: np.ndarray, inside: np.ndarray, lower: np.ndarray,
           upper: np.ndarray, initial: tuple[np.ndarray, np.ndarray],
           settings: PrimSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Return the next pasted box (lower, upper, inside), or None when pasting stops."""
    restricted = np.flatnonzero((lower != initial[0]) | (upper != initial[1]))
    if restricted.size == 0:
        return None
    xr = x[:, restricted]
    within = (xr >= lower[restricted]) & (xr <= upper[restricted])  # (n_runs, n_restricted)
    others = within.sum(axis=1)[:, None] - within == restricted.size - 1
    lowers, uppers, members = [], [], []
    for j, u in enumerate(restricted):  # a few parameters, each vectorised over runs
        for side in ("lower", "upper"):
            new_lower, new_upper = lower.copy(), upper.copy()
            if side == "lower":
                region = others[:, j] & (xr[:, j] <= lower[u])
                new_lower[u] = (_cut(x[region, u][:, None], 1 - settings.paste_alpha)[0]
                                if region.any() else initial[0][u])
            else:
                region = others[:, j] & (xr[:, j] >= upper[u])
                new_upper[u] = (_cut(x[region, u][:, None], settings.paste_alpha)[0]
                                if region.any() else initial[1][u])
            lowers.append(new_lower)
            uppers.append(new_upper)
            members.append(others[:, j] & (xr[:, j] >= new_lower[u]) & (xr[:, j] <= new_upper[u]))
    lowers_a, uppers_a, members_a = np.array(lowers), np.array(uppers), np.array(members)
    n_old, k_old = int(inside.sum()), int(y[inside].sum())
    n_new, k_new = members_a.sum(axis=1), (members_a & y).sum(axis=1)
    unrestricted = ((lowers_a == initial[0]) & (uppers_a == initial[1])).sum(axis=1)
    gain = _gain(n_old, k_old, n_new, k_new)
    best = _best(gain, unrestricted)
    if not (n_new[best] >= settings.mass_min * len(y) and n_new[best] > n_old
            and gain[best] > 0 and k_new[best] / n_new[best] > k_old / n_old):
        return None
    return lowers_a[best], uppers_a[best], members_a[best]


def peeling_trajectory(x: np.ndarray, y: np.ndarray,
                       settings: PrimSettings = PrimSettings()) -> Trajectory:
    """Peel, then paste; return every box on the way.

    Parameters
    ----------
    x : ndarray of shape (n_runs, n_params), float64
        Each run's parameter values (finite).
    y : ndarray of shape (n_runs,), bool
        Whether each run is of interest; at least one is, and not all.
    settings : PrimSettings

    Returns
    -------
    Trajectory
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=bool)
    if x.ndim != 2 or y.shape != (x.shape[0],) or not np.isfinite(x).all():
        raise ValueError("x must be finite, shape (n_runs, n_params), and y shape (n_runs,)")
    if not 0 < y.sum() < len(y):
        raise ValueError("y must mark some runs and not all")
    initial = (x.min(axis=0), x.max(axis=0))
    lowers, uppers = [initial[0]], [initial[1]]
    inside = np.ones(len(y), dtype=bool)
    pasted = -1
    for step in (_peel, _paste):
        if step is _paste:
            pasted = len(lowers)
        while (box := step(x, y, inside, lowers[-1], uppers[-1], initial, settings)) is not None:
            lowers.append(box[0])
            uppers.append(box[1])
            inside = box[2]
    return Trajectory(np.array(lowers), np.array(uppers), initial[0], initial[1], pasted)


def box_statistics(x: np.ndarray, y: np.ndarray, lower: np.ndarray,
                   upper: np.ndarray) -> dict[str, np.ndarray]:
    """Return each box's runs, runs of interest, coverage, density and mass.

    Parameters
    ----------
    x : ndarray of shape (n_runs, n_params), float64
    y : ndarray of shape (n_runs,), bool
    lower, upper : ndarray of shape (n_boxes, n_params), float64

    Returns
    -------
    dict of ndarray of shape (n_boxes,)
        ``n`` (runs inside), ``k`` (of interest inside), ``coverage``
        (``k`` over all runs of interest), ``density`` (``k / n``) and
        ``mass`` (``n`` over all runs).
    """
    inside = in_boxes(x, lower, upper)
    n = inside.sum(axis=1)
    k = (inside & np.asarray(y, dtype=bool)).sum(axis=1)
    return {"n": n, "k": k, "coverage": k / int(np.sum(y)),
            "density": k / np.maximum(n, 1), "mass": n / len(y)}


def quasi_p_values(x: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                   initial_lower: np.ndarray,
                   initial_upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the quasi-p-value of each restricted limit of one box (Bryant and Lempert 2010).

    For a limit, the one-sided binomial test (``P(X >= k)``, ``X ~ Binomial(n, p)``)
    of the box's ``k`` runs of interest out of ``n`` against ``p``, the
    density of the same box with that one limit set back to the full range,
    as EMA's ``_calculate_quasip``.

    Parameters
    ----------
    x : ndarray of shape (n_runs, n_params), float64
    y : ndarray of shape (n_runs,), bool
    lower, upper : ndarray of shape (n_params,), float64
        The box.
    initial_lower, initial_upper : ndarray of shape (n_params,), float64
        The box holding every run.

    Returns
    -------
    tuple of two ndarray of shape (n_params,), float64
        The quasi-p-values of the lower and the upper limits; NaN where a
        limit is the full range.
    """
    y = np.asarray(y, dtype=bool)
    inside = in_boxes(x, lower, upper)
    n, k = int(inside.sum()), int((inside & y).sum())
    d = len(lower)
    eye = np.eye(d, dtype=bool)
    # one box per limit: row j frees parameter j's lower limit, row d + j its upper one
    lowers = np.concatenate([np.where(eye, initial_lower, lower), np.tile(lower, (d, 1))])
    uppers = np.concatenate([np.tile(upper, (d, 1)), np.where(eye, initial_upper, upper)])
    freed = in_boxes(x, lowers, uppers)
    density = (freed & y).sum(axis=1) / np.maximum(freed.sum(axis=1), 1)
    p = binom.sf(k - 1, n, density)
    restricted = np.concatenate([lower != initial_lower, upper != initial_upper])
    p = np.where(restricted, p, np.nan)
    return p[:d], p[d:]


def chosen_box(coverage: np.ndarray, density: np.ndarray, coverage_min: float) -> int:
    """Return the densest box with coverage at least ``coverage_min``; ties: more coverage.

    Parameters
    ----------
    coverage, density : ndarray of shape (n_boxes,), float64
        Of a trajectory whose first box covers every run of interest.
    coverage_min : float in [0, 1]

    Returns
    -------
    int
        An index into the trajectory (the first box when no other qualifies).
    """
    eligible = coverage >= coverage_min - 1e-12
    score = np.where(eligible, density, -np.inf)
    order = np.lexsort((-coverage, -score))
    return int(order[0])
