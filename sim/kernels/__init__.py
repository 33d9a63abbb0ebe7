"""Optional compiled kernels of the core's hottest primitives, bit for bit.

The NumPy code is the reference engine. Where Numba is installed (the
``fast`` extra), four primitives run compiled instead, with the same bits:

* :func:`group_sum`, the grouped integer sum behind
  :meth:`sim.core.allocation.Groups.sum` (per-country books, allocation
  totals): about a quarter of a world-scale run in NumPy, where
  ``np.add.reduceat`` pays per group about what it pays per member;
* :func:`uniform_grid`, the last word of the counter-based hash of
  :func:`sim.rng.uniform` and its conversion to a float, for a grid of
  (run, agent) keys: ten array passes in NumPy, one here;
* :func:`share_out`, pro-rata shares of a short group's capacity
  (:func:`sim.core.allocation.pro_rata`): a product and a floor division
  per member, in one pass instead of six;
* :func:`take_support`, a month of a metric held on its support
  (:mod:`sim.world.support`) copied into its slice while checking that
  nothing lies outside it: three passes in NumPy, one here.

All four are integer arithmetic (the uniform's float is an exact conversion
of a 53-bit integer and a multiplication by a power of two), so the
compiled engine and NumPy agree bit for bit by construction, and the
tests hold them equal (``tests/test_kernels.py``, and every agreement test
of the core against the agent model runs on the engine the machine has).

Which engine runs is read once from :data:`ENGINE_VARIABLE`: ``numpy``,
``numba``, or unset (Numba where it imports). Numba loads on the first
kernel call, not on import, so ``import sim`` and ``sim --help`` stay fast;
its machine code is cached on disk (``cache=True``), so only the first
process on a machine pays the compilation (a few seconds).

:mod:`sim.kernels.heap`, beside them, keeps the core's freed arrays in the
process (glibc's ``mallopt``) on either engine.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from types import ModuleType

import numpy as np

from sim.errors import UserError

__all__ = ["ENGINES", "ENGINE_VARIABLE", "engine", "group_sum", "share_out", "take_support",
           "uniform_grid", "use_engine"]

ENGINE_VARIABLE = "SIM_CORE_ENGINE"
"""Environment variable that picks the engine: ``numpy`` or ``numba``."""

ENGINES = ("numpy", "numba")

_chosen: str | None = None


def engine() -> str:
    """Return the engine this process runs: ``"numba"`` or ``"numpy"``.

    Raises
    ------
    UserError
        If :data:`ENGINE_VARIABLE` names no engine, or names ``numba`` where
        Numba is not installed.
    """
    global _chosen
    if _chosen is None:
        _chosen = _resolve(os.environ.get(ENGINE_VARIABLE, ""))
    return _chosen


def _resolve(requested: str) -> str:
    numba_found = importlib.util.find_spec("numba") is not None
    if not requested:
        return "numba" if numba_found else "numpy"
    if requested not in ENGINES:
        raise UserError(ENGINE_VARIABLE, "", f"expected one of {', '.join(ENGINES)}, "
                        f"got {requested!r}")
    if requested == "numba" and not numba_found:
        raise UserError(ENGINE_VARIABLE, "", "numba is not installed "
                        "(pip install -e '.[fast]'), or unset it to run the NumPy engine")
    return requested


@contextlib.contextmanager
def use_engine(name: str) -> Iterator[None]:
    """Run the block on engine ``name`` (for tests and the benchmark; not thread-safe)."""
    global _chosen
    previous, _chosen = _chosen, _resolve(name)
    try:
        yield
    finally:
        _chosen = previous


def _compiled() -> ModuleType | None:
    """Return the compiled kernels' module, or None on the NumPy engine."""
    if engine() != "numba":
        return None
    from sim.kernels import compiled  # loads Numba: only where it runs

    return compiled


def group_sum(values: np.ndarray, lone_groups: np.ndarray, lone_columns: np.ndarray,
              pooled_groups: np.ndarray, pooled_bounds: np.ndarray, pooled_columns: np.ndarray,
              empty_groups: np.ndarray, n_groups: int,
              weights: np.ndarray | None = None) -> np.ndarray | None:
    """Sum columns of ``values`` (times ``weights``) by group, compiled; None on NumPy's engine.

    Parameters
    ----------
    values : ndarray of shape (n_runs, n_columns)
        Only int64 is compiled (integer sums agree in any order); for any
        other array the answer is None and the caller sums it with NumPy.
    lone_groups, lone_columns : ndarray of shape (n_lone,), int64
        Groups of one member, and the column holding it.
    pooled_groups : ndarray of shape (n_pooled,), int64
        Groups of two or more members.
    pooled_bounds : ndarray of shape (n_pooled + 1,), int64
        Group ``pooled_groups[s]`` sums ``pooled_columns[pooled_bounds[s]:pooled_bounds[s + 1]]``.
    pooled_columns : ndarray of int64
    empty_groups : ndarray of int64
        Groups with no member: they sum to 0.
    n_groups : int
    weights : ndarray of shape (n_columns,), int64, optional
        Each column's multiplier: the sum of ``values * weights`` (wrapping
        modulo 2**64 as NumPy's product does), without that temporary.

    Returns
    -------
    ndarray of shape (n_runs, n_groups), int64, or None
    """
    kernels = _compiled()
    if kernels is None or values.dtype != np.int64 or values.ndim != 2:
        return None
    if weights is not None and (weights.dtype != np.int64 or weights.shape != values.shape[1:]):
        return None
    return kernels.group_sum(values, lone_groups, lone_columns, pooled_groups, pooled_bounds,
                             pooled_columns, empty_groups, n_groups, weights)


def take_support(values: np.ndarray, columns: np.ndarray, out: np.ndarray) -> int | None:
    """Copy ``values[:, columns]`` into ``out``; count non-zeros elsewhere. None on NumPy.

    Parameters
    ----------
    values : ndarray of shape (n_runs, n_columns), int64
    columns : ndarray of shape (n_inside,), int64
        The support's columns.
    out : ndarray of shape (n_runs, n_inside), int64
        Written in place (a slice of a metric held on its support).

    Returns
    -------
    int or None
        How many values outside ``columns`` are non-zero (0 unless a
        program is wrong); None if the arrays are not int64 or the engine is
        NumPy's, and nothing was written.
    """
    kernels = _compiled()
    if kernels is None or values.dtype != np.int64 or out.dtype != np.int64:
        return None
    return int(kernels.take_support(values, columns, out))


def uniform_grid(prefix: np.ndarray, agents: np.ndarray, multiplier: np.uint64,
                 golden: np.uint64, mix1: np.uint64, mix2: np.uint64) -> np.ndarray | None:
    """Fold the last key word into each run's hash and return uniforms; None on NumPy.

    Parameters
    ----------
    prefix : ndarray of shape (n_runs,), uint64
        Each run's hash state after its first three key words.
    agents : ndarray of shape (n_agents,), uint64
        The last key word.
    multiplier, golden, mix1, mix2 : numpy.uint64
        The constants of :mod:`sim.rng`'s fold.

    Returns
    -------
    ndarray of shape (n_runs, n_agents), float64, or None
        ``(finalise(prefix + golden + agent * multiplier) >> 11) * 2**-53``.
    """
    kernels = _compiled()
    if kernels is None:
        return None
    return kernels.uniform_grid(prefix, agents, multiplier, golden, mix1, mix2)


def share_out(requests: np.ndarray, capacity: np.ndarray, member_group: np.ndarray,
              total: np.ndarray) -> np.ndarray | None:
    """Grant each request, or ``request * capacity // total`` where its group is short.

    The caller has checked that every product fits in int64 (``total`` below
    ``sqrt(2**63)``, requests non-negative and at most their group's total).

    Parameters
    ----------
    requests : ndarray of shape (n_runs, n_members), int64
    capacity, total : ndarray of shape (n_runs, n_groups), int64
        Each group's capacity and its members' summed requests.
    member_group : ndarray of shape (n_members,), int64

    Returns
    -------
    ndarray of shape (n_runs, n_members), int64, or None on the NumPy engine
    """
    kernels = _compiled()
    if kernels is None or requests.dtype != np.int64 or capacity.dtype != np.int64:
        return None
    return kernels.share_out(requests, capacity, member_group, total)
