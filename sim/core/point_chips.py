"""Each point's chips, where the points of one batch split a pool of chips differently.

A country's demand scale (a calibration's China demand, :data:`sim.core.points.COUNTRY_KEYS`)
changes every firm's median size, and with it which chip of a pool some
firms order: the split by size (:mod:`sim.world.split`). Points of one batch
may then order different chips. The layout keeps the first point's chips as
before, and :class:`PointChips` every point's: the per-firm chip arrays, the
vendors' grouping of each point in each month (an index into
``Layout.vendor_queues``, which holds every point's groupings), and each
month's cells, the union of the points'. The phases read a per-firm chip
array through :func:`per_firm`: the shared (F,) row of one scenario, or one
row per run, (R, F), whose values are those of the run's point. A vendor
allocates each group of runs that shares a grouping (:func:`vendor_groups`:
one group, all runs, unless the points' chips differ that month), and a
month's cell sums are put in the union's columns (:func:`cell_sums`), zero
where the run's point orders nothing, so every run's bits are those of its
point run alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.core.allocation import Groups
from sim.world.market import NO_CHIP, ChipMarket

if TYPE_CHECKING:
    from sim.core.layout import Layout, VendorQueue

__all__ = ["MonthCells", "PointChips", "cell_sums", "cells_at_destination", "chip_columns",
           "month_cells", "per_firm", "vendor_groups"]

CHIP_ARRAYS = ("chip", "chip_tpp", "order_tpp", "orders_frontier")
"""The per-firm arrays of ``Layout`` that follow the chip each firm orders."""


def chip_columns(market: ChipMarket, chip: np.ndarray) -> dict[str, np.ndarray]:
    """Derive the per-firm chip arrays of ``Layout`` from the chip each firm orders.

    ``chip`` is (..., T, F) int64 (``NO_CHIP``: none); every array returned
    has its shape: ``chip``, ``chip_tpp`` (1 where there is none),
    ``order_tpp`` (``INT64_MAX`` where there is none) and ``orders_frontier``.
    """
    tpp = market.tpp[np.maximum(chip, 0)]
    frontier = market.frontier.reshape((1,) * (chip.ndim - 2) + (-1, 1))
    return {"chip": chip,
            "chip_tpp": np.where(chip == NO_CHIP, 1, tpp),
            "order_tpp": np.where(chip == NO_CHIP, np.iinfo(np.int64).max, tpp),
            "orders_frontier": (chip == frontier) & (chip != NO_CHIP)}


def cells_at_destination(cells: np.ndarray, cell_country: np.ndarray, cell_chip: np.ndarray,
                         n_chips: int, country: int) -> np.ndarray:
    """One destination's cell sums by chip: (R, N) to (R, K), zeros elsewhere."""
    mine = cell_country == country
    out = np.zeros((cells.shape[0], n_chips), dtype=cells.dtype)
    out[:, cell_chip[mine]] = cells[:, mine]
    return out


@dataclass(frozen=True)
class MonthCells:
    """The (country, chip) cells some point's firms order in one month: their union.

    Attributes
    ----------
    cell_index : ndarray of shape (N,), int64
        Each cell's position in a flattened (C, K) array, increasing.
    cell_country, cell_chip : ndarray of shape (N,), int64
    countries_of_cells : Groups
        The cells by country (C groups).
    n_chips : int
    columns : mapping of int to ndarray of int64
        For each grouping of the month (an index into ``Layout.vendor_queues``),
        where its own cells sit among these.
    """

    cell_index: np.ndarray
    cell_country: np.ndarray
    cell_chip: np.ndarray
    countries_of_cells: Groups
    n_chips: int
    columns: Mapping[int, np.ndarray]

    @classmethod
    def union(cls, queues: Mapping[int, VendorQueue], n_countries: int) -> MonthCells:
        """Gather the cells of the month's groupings (``queues``, by index), country by chip."""
        first = next(iter(queues.values()))
        n_chips = first.n_chips
        index = np.unique(np.concatenate([q.cell_index for q in queues.values()]))
        country = index // n_chips
        return cls(cell_index=index, cell_country=country, cell_chip=index % n_chips,
                   countries_of_cells=Groups.from_members(country, n_countries,
                                                          tie_key=np.arange(len(index))),
                   n_chips=n_chips,
                   columns={number: np.searchsorted(index, q.cell_index)
                            for number, q in queues.items()})

    def at_destination(self, cells: np.ndarray, country: int) -> np.ndarray:
        """One destination's cell sums by chip: (R, N) to (R, K), zeros elsewhere."""
        return cells_at_destination(cells, self.cell_country, self.cell_chip, self.n_chips,
                                    country)


@dataclass(frozen=True)
class PointChips:
    """Every point's chips, where a batch's points split a pool differently.

    Shapes: ``P`` points, ``T`` steps, ``F`` firms (layout order).

    Attributes
    ----------
    chip, chip_tpp, order_tpp : ndarray of shape (P, T, F), int64
    orders_frontier : ndarray of shape (P, T, F), bool
        Each point's ``Layout.chip``, ``chip_tpp``, ``order_tpp`` and
        ``orders_frontier``.
    vendor_queue : ndarray of shape (P, T), int64
        Each point's grouping in each month, into ``Layout.vendor_queues``.
    cells : tuple of MonthCells, (T,)
        Each month's cells: the union of its groupings'.
    """

    chip: np.ndarray
    chip_tpp: np.ndarray
    order_tpp: np.ndarray
    orders_frontier: np.ndarray
    vendor_queue: np.ndarray
    cells: tuple[MonthCells, ...]

    def own_cells(self, point: int) -> np.ndarray:
        """Return the cells point ``point``'s firms order, (T, C * K) bool (its chip support)."""
        n_steps = self.vendor_queue.shape[1]
        mask = np.zeros((n_steps, self.cells[0].n_chips * self.cells[0].countries_of_cells
                         .n_groups), dtype=bool)
        for t, month in enumerate(self.cells):
            mask[t, month.cell_index[month.columns[int(self.vendor_queue[point, t])]]] = True
        return mask


def per_firm(layout: Layout, point: np.ndarray, t: int, name: str) -> np.ndarray:
    """Return the per-firm chip array ``name`` of :data:`CHIP_ARRAYS` in month ``t``.

    The shared row, (F,), unless the batch's points order different chips:
    then one row per run, (R, F), its point's (``point`` is ``State.point``).
    Index its firms with ``[..., columns]`` to serve either.
    """
    chips = layout.point_chips
    if chips is None:
        return getattr(layout, name)[t]
    return getattr(chips, name)[point, t]


def vendor_groups(layout: Layout, point: np.ndarray,
                  t: int) -> Sequence[tuple[np.ndarray | None, VendorQueue]]:
    """Return the month's groupings of firms by chip, each with its runs (``None``: all)."""
    chips = layout.point_chips
    if chips is None:
        return [(None, layout.vendor_queues[layout.vendor_queue[t]])]
    queue = chips.vendor_queue[point, t]
    numbers = np.unique(queue)
    if len(numbers) == 1:
        return [(None, layout.vendor_queues[numbers[0]])]
    return [(np.flatnonzero(queue == number), layout.vendor_queues[number])
            for number in numbers]  # one per distinct grouping: at most one per point


def month_cells(layout: Layout, t: int) -> Any:
    """Return the month's cells: its grouping's (``VendorQueue``) or every point's (``MonthCells``).

    Either has ``cell_index``, ``cell_country``, ``cell_chip``,
    ``countries_of_cells`` and ``at_destination``; :func:`cell_sums` gives
    sums in its columns.
    """
    chips = layout.point_chips
    if chips is None:
        return layout.vendor_queues[layout.vendor_queue[t]]
    return chips.cells[t]


def cell_sums(layout: Layout, point: np.ndarray, t: int, values: np.ndarray) -> np.ndarray:
    """Sum per-firm chips by the month's cells (:func:`month_cells`): (R, F) to (R, N)."""
    chips = layout.point_chips
    if chips is None:
        return layout.vendor_queues[layout.vendor_queue[t]].cell_sums(values)
    cells = chips.cells[t]
    queue = chips.vendor_queue[point, t]
    out = np.zeros((len(values), len(cells.cell_index)), dtype=values.dtype)
    for number in np.unique(queue):
        rows = np.flatnonzero(queue == number)
        sums = layout.vendor_queues[number].cell_sums(values[rows])
        out[np.ix_(rows, cells.columns[int(number)])] = sums
    return out
