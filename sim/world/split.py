"""Which chip each firm orders: its destination's share of the chips it may receive.

A destination's buyers order one chip when only one serves them (its *choice*,
:mod:`sim.world.market`). Where several chips on sale serve the full need in
the same free or licensed regime (``ChipMarket.pool``), vendors sell each of
them there too, so the destination's buyers share them in proportion to what
each chip's vendor makes that month, in TPP: the chips, smallest output first,
share a line in proportion to their output; the destination's firms, smallest
median size first (then by firm index), are laid along the same line by their
median sizes, and each firm takes the chip whose stretch holds the middle of
its own, so the small stretches are filled by small firms and one large firm
does not swamp a chip made in small numbers. The split is fixed by the
scenario, the same for every seed and in both implementations; the market price
then clears what it leaves unequal. Brokers buy the destination's choice, and a
firm bound by the headquarters rule its own (``ChipMarket.bound_choice``).
"""

from __future__ import annotations

import numpy as np

from sim.world.codes import BROKER
from sim.world.market import ChipMarket
from sim.world.population import FirmTable

__all__ = ["firm_chips"]


def firm_chips(market: ChipMarket, firms: FirmTable, headquarters_bound: np.ndarray) -> np.ndarray:
    """Return the chip each firm orders in each month, (T, F) int64 (``NO_CHIP``: none).

    Every (month, destination) whose buyers share a pool is split at once:
    ``S`` such pairs, the pool's chips in a row of ``K``; the pairs'
    firms are laid along their lines in blocks of pairs whose destinations
    hold as many firms (:func:`_middles`).

    Parameters
    ----------
    market : ChipMarket
    firms : FirmTable
    headquarters_bound : ndarray of bool, (T, F)
        Firms the headquarters rule binds (they order ``market.bound_choice``).
    """
    country = firms.country
    chips = np.where(headquarters_bound, market.bound_choice[:, country],
                     market.choice[:, country]).astype(np.int64)
    months, destinations = np.nonzero(market.pool.sum(axis=-1) >= 2)  # (S,) each
    if months.size == 0:
        return chips
    pair, slot, middle = _middles(firms, headquarters_bound, months, destinations,
                                  market.pool.shape[1])
    output = market.capacity[months] * market.tpp  # (S, K), TPP made a month
    pool, edges = _pool_edges(market.pool[months, destinations], output)
    stretch = (edges[pair] <= middle[:, None]).sum(axis=-1)  # searchsorted, right
    n_pool = np.count_nonzero(edges < np.inf, axis=-1)[pair]
    chosen = pool[pair, np.minimum(stretch, n_pool - 1)]
    chips[months[pair], slot] = chosen
    return chips


def _middles(firms: FirmTable, headquarters_bound: np.ndarray, months: np.ndarray,
             destinations: np.ndarray,
             n_countries: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lay each pair's firms that share its pool along a line by size; return their middles.

    Returns each such firm's pair (into ``months``), its firm index and the
    middle of its stretch, a share of the line: (n,) each. A pair's firms
    are a row of as many slots as its destination has firms; pairs of equal
    firm counts are done as one block (a few blocks: the distinct counts),
    so the many one-firm destinations of the whole world are not padded to
    the largest. A row's sums are its firms' in order, as in one padded row
    (the padding would add zeros at its end).
    """
    members = _members_by_size(firms.country, firms.median_h100e, n_countries)
    width = np.bincount(firms.country, minlength=n_countries)[destinations]
    found = []
    for n in np.unique(width):  # one block per distinct firm count, not per destination
        rows = np.flatnonzero(width == n)
        slot = members[destinations[rows], :n]  # (S_n, n), every slot a firm
        active = (firms.kind[slot] != BROKER) & ~headquarters_bound[months[rows, None], slot]
        size = np.where(active, firms.median_h100e[slot], 0.0)
        filled = np.cumsum(size, axis=-1)  # zeros between members add nothing
        middle = (filled - size / 2) / np.maximum(filled[:, -1:], 1e-300)
        found.append((rows[np.nonzero(active)[0]], slot[active], middle[active]))
    pair, slot, middle = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return pair, slot, middle


def _members_by_size(country: np.ndarray, median_h100e: np.ndarray,
                     n_countries: int) -> np.ndarray:
    """Each country's firms, smallest median size first (then by index), (C, M) (-1: none)."""
    order = np.lexsort((median_h100e, country))
    counts = np.bincount(country, minlength=n_countries)
    rank = np.arange(len(order)) - (np.cumsum(counts) - counts)[country[order]]
    members = np.full((n_countries, max(int(counts.max(initial=0)), 1)), -1, dtype=np.int64)
    members[country[order], rank] = order
    return members


def _pool_edges(pool: np.ndarray, output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order each pool's chips by output, smallest first; return them and their line's edges.

    Parameters
    ----------
    pool : ndarray of bool, (S, K)
    output : ndarray of int64, (S, K)
        TPP each chip's vendor makes that month.

    Returns
    -------
    chips : ndarray of int64, (S, K)
        The pool's chips first, by output (then by chip index).
    edges : ndarray of float64, (S, K)
        Cumulative share of the pool's output at the end of each chip's
        stretch; ``inf`` past the pool.
    """
    chips = np.lexsort((output, ~pool), axis=-1)
    inside = np.take_along_axis(pool, chips, axis=-1)
    made = np.where(inside, np.take_along_axis(output, chips, axis=-1), 0)
    line = np.cumsum(made, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        edges = line / line[:, -1:]
    return chips.astype(np.int64), np.where(inside, edges, np.inf)
