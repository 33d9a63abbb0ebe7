"""The Numba kernels behind :mod:`sim.kernels` (imported only on the Numba engine).

Plain loops over runs, then members: each is the NumPy expression it
replaces, element by element, in integer arithmetic (``uint64`` wraps
modulo 2**64 as NumPy's does; no ``fastmath``), so the bits are NumPy's.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["group_sum", "share_out", "take_support", "uniform_grid"]


@numba.njit(cache=True, nogil=True, boundscheck=False)
def group_sum(values, lone_groups, lone_columns, pooled_groups, pooled_bounds,  # noqa: D103
              pooled_columns, empty_groups, n_groups, weights):
    n_runs = values.shape[0]
    out = np.empty((n_runs, n_groups), dtype=np.int64)
    for r in range(n_runs):
        row, totals = values[r], out[r]
        for j in range(empty_groups.size):
            totals[empty_groups[j]] = 0
        if weights is None:  # resolved when compiled: two specialisations
            for j in range(lone_groups.size):
                totals[lone_groups[j]] = row[lone_columns[j]]
            for s in range(pooled_groups.size):
                total = np.int64(0)
                for i in range(pooled_bounds[s], pooled_bounds[s + 1]):
                    total += row[pooled_columns[i]]
                totals[pooled_groups[s]] = total
        else:
            for j in range(lone_groups.size):
                c = lone_columns[j]
                totals[lone_groups[j]] = row[c] * weights[c]
            for s in range(pooled_groups.size):
                total = np.int64(0)
                for i in range(pooled_bounds[s], pooled_bounds[s + 1]):
                    c = pooled_columns[i]
                    total += row[c] * weights[c]
                totals[pooled_groups[s]] = total
    return out


@numba.njit(cache=True, nogil=True, boundscheck=False)
def take_support(values, columns, out):  # noqa: D103
    n_runs, n_columns = values.shape
    inside = np.zeros(n_columns, dtype=np.bool_)
    for j in range(columns.size):
        inside[columns[j]] = True
    stray = 0
    for r in range(n_runs):
        row = values[r]
        for j in range(columns.size):
            out[r, j] = row[columns[j]]
        for c in range(n_columns):
            if row[c] != 0 and not inside[c]:
                stray += 1
    return stray


@numba.njit(cache=True, nogil=True, boundscheck=False)
def uniform_grid(prefix, agents, multiplier, golden, mix1, mix2):  # noqa: D103
    n_runs, n_agents = prefix.size, agents.size
    out = np.empty((n_runs, n_agents), dtype=np.float64)
    scale = 1.0 / 9007199254740992.0
    for r in range(n_runs):
        base = prefix[r] + golden
        for a in range(n_agents):
            x = base + agents[a] * multiplier
            x = x ^ (x >> np.uint64(30))
            x = x * mix1
            x = x ^ (x >> np.uint64(27))
            x = x * mix2
            x = x ^ (x >> np.uint64(31))
            out[r, a] = np.float64(x >> np.uint64(11)) * scale
    return out


@numba.njit(cache=True, nogil=True, boundscheck=False)
def share_out(requests, capacity, member_group, total):  # noqa: D103
    n_runs, n_members = requests.shape
    out = np.empty((n_runs, n_members), dtype=np.int64)
    for r in range(n_runs):
        for m in range(n_members):
            g = member_group[m]
            room, asked = capacity[r, g], total[r, g]
            if asked <= room:
                out[r, m] = requests[r, m]
            else:  # room < asked: min(room, asked) is room
                out[r, m] = requests[r, m] * room // max(asked, np.int64(1))
    return out
