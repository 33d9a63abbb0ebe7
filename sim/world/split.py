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
    shared = market.pool.sum(axis=-1) >= 2  # (T, C)
    output = market.capacity * market.tpp  # (T, K), TPP made a month
    buyers = firms.kind != BROKER
    for t, c in zip(*np.nonzero(shared), strict=True):  # a static table: once per scenario
        members = np.flatnonzero(buyers & (country == c) & ~headquarters_bound[t])
        if members.size == 0:
            continue
        pool = np.flatnonzero(market.pool[t, c])
        pool = pool[np.argsort(output[t, pool], kind="stable")]  # the smallest output first
        members = members[np.argsort(firms.median_h100e[members], kind="stable")]
        edges = np.cumsum(output[t, pool]) / output[t, pool].sum()
        size = firms.median_h100e[members]
        middle = (np.cumsum(size) - size / 2) / max(size.sum(), 1e-300)
        chips[t, members] = pool[np.minimum(np.searchsorted(edges, middle, side="right"),
                                            len(pool) - 1)]
    return chips
