"""The firm layout of the core: firms sorted by country once, at start-up.

The core keeps every per-firm array in *layout order*: firms sorted by
country (stably, so by firm index within a country). A country's firms are
then one contiguous segment, and every per-country sum is one
``np.add.reduceat``. ``Layout.agent`` maps a layout position back to the
model's firm index, which keys the random numbers and breaks first-come
ties, so the layout changes no result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.core.allocation import Groups
from sim.core.point_chips import MonthCells, PointChips, cells_at_destination, chip_columns
from sim.core.points import PointTable
from sim.world import World
from sim.world.codes import BROKER, CAPPED, NVEU, TIER1, UVEU, VOLUME
from sim.world.market import NO_CHIP
from sim.world.metrics import CHIP_METRICS
from sim.world.support import metric_support

__all__ = ["HeldColumns", "Layout", "VendorQueue"]


@dataclass(frozen=True)
class VendorQueue:
    """Firms grouped by the chip they order in a month, for the vendors' allocation.

    Attributes
    ----------
    order : ndarray of shape (F,), int64
        Layout positions sorted by chip (stably): position ``i`` of a
        chip-sorted array holds firm ``order[i]``.
    position : ndarray of shape (F,), int64
        The inverse: where each layout position sits in chip order.
    groups : Groups
        ``K + 1`` groups in chip order; the last holds firms that order nothing.
    destination_order : ndarray of shape (D,), int64
        Layout positions of the firms that order a chip, sorted by (country,
        chip): ``D`` firms.
    cells : Groups
        Those firms by *cell*, a (country, chip) pair with at least one of
        them: ``N`` groups, in (country, chip) order.
    cell_country, cell_chip : ndarray of shape (N,), int64
        Each cell's country and chip.
    cell_index : ndarray of shape (N,), int64
        Each cell's position in a flattened (C, K) array.
    countries_of_cells : Groups
        The cells by country (C groups).
    n_countries, n_chips : int
    """

    order: np.ndarray
    position: np.ndarray
    groups: Groups
    destination_order: np.ndarray
    cells: Groups
    cell_country: np.ndarray
    cell_chip: np.ndarray
    cell_index: np.ndarray
    countries_of_cells: Groups
    n_countries: int
    n_chips: int

    @classmethod
    def from_chips(cls, chip: np.ndarray, n_chips: int, agent: np.ndarray, country: np.ndarray,
                   n_countries: int) -> VendorQueue:
        """Group layout positions by ``chip`` (``NO_CHIP`` last); ties by ``agent``."""
        label = np.where(chip == NO_CHIP, n_chips, chip)
        order = np.argsort(label, kind="stable").astype(np.int64)
        position = np.empty_like(order)
        position[order] = np.arange(len(order))
        ordering = np.flatnonzero(chip != NO_CHIP)
        cell = country[ordering] * n_chips + chip[ordering]
        ordering = ordering[np.argsort(cell, kind="stable")]
        cell_index, member_cell = np.unique(country[ordering] * n_chips + chip[ordering],
                                            return_inverse=True)
        cell_country = cell_index // n_chips
        return cls(order=order, position=position,
                   groups=Groups.from_members(label[order], n_chips + 1, tie_key=agent[order]),
                   destination_order=ordering.astype(np.int64),
                   cells=Groups.from_members(member_cell.reshape(-1), len(cell_index),
                                             tie_key=agent[ordering]),
                   cell_country=cell_country.astype(np.int64),
                   cell_chip=(cell_index % n_chips).astype(np.int64),
                   cell_index=cell_index.astype(np.int64),
                   countries_of_cells=Groups.from_members(cell_country, n_countries,
                                                          tie_key=np.arange(len(cell_index))),
                   n_countries=n_countries, n_chips=n_chips)

    def cell_sums(self, chips: np.ndarray) -> np.ndarray:
        """Sum per-firm chips by cell: (R, F) to (R, N), same dtype."""
        return self.cells.sum(chips, columns=self.destination_order)

    def at_destination(self, cells: np.ndarray, country: int) -> np.ndarray:
        """One destination's cell sums by chip: (R, N) to (R, K), zeros elsewhere."""
        return cells_at_destination(cells, self.cell_country, self.cell_chip, self.n_chips,
                                    country)

@dataclass(frozen=True)
class HeldColumns:
    """Where a metric held on its support (:mod:`sim.world.support`) writes each month.

    Attributes
    ----------
    start : ndarray of shape (T + 1,), int64
        Month ``t``'s values are ``stored[:, start[t]:start[t + 1]]`` of the
        metric's (R, S) array.
    columns : tuple of ndarray of int64
        Each month's columns in the support, increasing: into the country
        axis, or into the flattened (country, chip) axis of a chip metric.
    """

    start: np.ndarray
    columns: tuple[np.ndarray, ...]

    @classmethod
    def from_mask(cls, mask: np.ndarray) -> HeldColumns:
        """Lay out a (T, C) or (T, C, K) support month by month."""
        by_month = mask.reshape(len(mask), -1)
        counts = by_month.sum(axis=1)
        return cls(start=np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
                   columns=tuple(np.flatnonzero(row) for row in by_month))


@dataclass(frozen=True)
class Layout:
    """Seed-independent arrays of one scenario, in layout order.

    Shapes: ``F`` firms, ``C`` countries, ``T`` steps, ``B`` brokers, ``U``
    UVEU subsidiaries, ``P`` parents with UVEU subsidiaries.

    Attributes
    ----------
    world : World
    agent : ndarray of shape (F,), int64
        Firm index in the model (key of the random numbers).
    country : ndarray of shape (F,), int64
    is_broker, is_uveu, is_nveu, in_usa : ndarray of shape (F,), bool
    is_reserve : ndarray of shape (F,), bool
        A dormant broker slot at the start (``FirmTable.reserve``).
    regime : ndarray of shape (T, F), int8
        Regime of the chip the firm orders, in each step.
    limits_apply : ndarray of shape (T,), bool
        Some firm is capped or under a case-by-case volume limit in the step.
        Where none is, the limited paths (UVEU, NVEU, low-volume, cap) are
        closed: every firm's is 0, and the phases that fill them skip.
    restricted : ndarray of shape (T, F), bool
        The firm may not receive the month's frontier chip.
    chip : ndarray of shape (T, F), int64
        The chip the firm orders (``NO_CHIP``: none): its country's choice, or
        the choice of a firm bound by the headquarters rule there
        (``World.headquarters_bound``).
    chip_tpp : ndarray of shape (T, F), int64
        Its TPP (1 where there is none).
    order_tpp : ndarray of shape (T, F), int64
        Its TPP, and ``INT64_MAX`` where there is none: a request in TPP
        (non-negative, below ``INT64_MAX``) divided by it is the chips the firm
        orders, 0 where it orders no chip, without a select.
    full_need : ndarray of shape (T, F), bool
        The chip serves the full need (the partial-need rule).
    orders_frontier : ndarray of shape (T, F), bool
        The chip is the month's frontier chip.
    vendor_queues : tuple of VendorQueue
        The distinct groupings of firms by chip during the window.
    vendor_queue : ndarray of shape (T,), int64
        Index into ``vendor_queues`` of each step's grouping.
    redirect_to : ndarray of shape (T, F), int64
        ``World.redirect_to`` in layout order.
    growth : ndarray of shape (T, F), float64
    countries : Groups
        Firms by country (C groups).
    market : Groups
        All firms in one group, ties by firm index (the vendors' queue).
    brokers : ndarray of shape (B,), int64
        Layout positions of the brokers.
    broker_countries : Groups
        The brokers (positions in ``brokers``) by country (C groups).
    uveu : ndarray of shape (U,), int64
        Layout positions of UVEU subsidiaries, by parent then firm index.
    parents : Groups
        UVEU subsidiaries (positions in ``uveu``) by parent (P groups).
    uveu_tier1 : ndarray of shape (T, U), bool
        Subsidiary hosted in Tier 1 (under the tiers in force in each step).
    uveu_abroad : ndarray of shape (U,), bool
        Subsidiary hosted outside its parent's headquarters country.
    parent_home : ndarray of shape (T, P), bool
        Parent headquartered in the ``rules.uveu_home_country`` in force (the
        home-share rule applies).
    metric_support : dict of str to ndarray of bool
        :func:`sim.world.support.metric_support`: where each sparse metric may
        be non-zero, (T, C) or (T, C, K).
    held : dict of str to HeldColumns
        Where each sparse metric's month is written (``collect``).
    points : PointTable or None
        With a batch of several scenario points (:mod:`sim.core.points`),
        each point's values of the run-level keys in which they differ;
        ``None`` for one scenario. ``State.point`` says which point a run is.
    point_chips : PointChips or None
        Where the points order different chips (``PointTable.firm_chip``),
        each point's (:mod:`sim.core.point_chips`): the chip arrays above are
        then the first point's, ``vendor_queues`` holds every point's
        groupings, and the chip metrics' support is the union of the points'.
    """

    world: World
    agent: np.ndarray
    country: np.ndarray
    is_broker: np.ndarray
    is_uveu: np.ndarray
    is_nveu: np.ndarray
    in_usa: np.ndarray
    is_reserve: np.ndarray
    regime: np.ndarray
    limits_apply: np.ndarray
    restricted: np.ndarray
    chip: np.ndarray
    chip_tpp: np.ndarray
    order_tpp: np.ndarray
    full_need: np.ndarray
    orders_frontier: np.ndarray
    vendor_queues: tuple[VendorQueue, ...]
    vendor_queue: np.ndarray
    redirect_to: np.ndarray
    growth: np.ndarray
    countries: Groups
    market: Groups
    brokers: np.ndarray
    broker_countries: Groups
    uveu: np.ndarray
    parents: Groups
    uveu_tier1: np.ndarray
    uveu_abroad: np.ndarray
    parent_home: np.ndarray
    metric_support: dict[str, np.ndarray]
    held: dict[str, HeldColumns]
    points: PointTable | None = None
    point_chips: PointChips | None = None

    @classmethod
    def from_world(cls, world: World) -> Layout:
        """Sort the firms of ``world`` by country and precompute groups."""
        table = world.firms
        agent = np.argsort(table.country, kind="stable").astype(np.int64)
        country = table.country[agent]
        n_countries = len(world.countries)
        is_uveu = table.status[agent] == UVEU
        uveu, parent_of, parent_home = _uveu_layout(world, agent, is_uveu)
        codes = np.array(world.countries)
        hq = np.array(table.parent_hq, dtype=str)
        market = world.market
        brokers = np.flatnonzero(table.kind[agent] == BROKER)
        regime = world.per_firm(world.regime, world.bound_regime)[:, agent]

        def per_firm(destination: np.ndarray, headquarters: np.ndarray) -> np.ndarray:
            return world.per_firm(destination, headquarters)[:, agent]

        chip = world.firm_chip[:, agent]
        chips = chip_columns(market, chip)
        patterns, vendor_queue = np.unique(chip, axis=0, return_inverse=True)
        vendor_queues = tuple(VendorQueue.from_chips(p, market.n_chips, agent, country,
                                                     n_countries) for p in patterns)
        support = metric_support(world)
        held = {name: HeldColumns.from_mask(mask) for name, mask in support.items()}
        for name in CHIP_METRICS:
            if name in held and not all(
                    np.array_equal(held[name].columns[t], vendor_queues[q].cell_index)
                    for t, q in enumerate(vendor_queue.reshape(-1))):
                raise ValueError(f"the support of {name!r} is not the cells firms order")
        return cls(
            world=world,
            agent=agent,
            country=country,
            is_broker=table.kind[agent] == BROKER,
            is_uveu=is_uveu,
            is_nveu=table.status[agent] == NVEU,
            in_usa=codes[country] == "USA",
            is_reserve=table.reserve[agent],
            regime=regime,
            limits_apply=((regime == CAPPED) | (regime == VOLUME)).any(axis=1),
            restricted=per_firm(market.restricted, market.bound_restricted),
            **chips,
            full_need=per_firm(market.full_need, market.bound_full_need),
            vendor_queues=vendor_queues,
            vendor_queue=vendor_queue.reshape(-1).astype(np.int64),
            redirect_to=world.redirect_to[:, agent],
            growth=world.growth[:, country],
            countries=Groups.from_members(country, n_countries, tie_key=agent),
            market=Groups.from_members(np.zeros_like(agent), 1, tie_key=agent),
            brokers=brokers,
            broker_countries=Groups.from_members(country[brokers], n_countries,
                                                 tie_key=agent[brokers]),
            uveu=uveu,
            parents=Groups.from_members(parent_of, parent_home.shape[1], tie_key=agent[uveu]),
            uveu_tier1=world.tier_in_force[:, country[uveu]] == TIER1,
            uveu_abroad=codes[country[uveu]] != hq[table.parent[agent[uveu]]],
            parent_home=parent_home,
            metric_support=support,
            held=held,
        )

    def with_points(self, points: PointTable) -> Layout:
        """Return this layout (the first point's) for a batch of ``points``.

        Where the points order different chips (``points.firm_chip``), the
        layout also holds every point's (:class:`PointChips`), and the chip
        metrics are held on the union of the points' cells.
        """
        if points.firm_chip is None:
            return replace(self, points=points)
        market, n_countries = self.world.market, self.n_countries
        chip = points.firm_chip[:, :, self.agent]  # (P, T, F), layout order
        n_points, n_steps, n_firms = chip.shape
        patterns, number = np.unique(chip.reshape(-1, n_firms), axis=0, return_inverse=True)
        number = number.reshape(n_points, n_steps).astype(np.int64)
        queues = tuple(VendorQueue.from_chips(p, market.n_chips, self.agent, self.country,
                                              n_countries) for p in patterns)
        cells = tuple(MonthCells.union({int(q): queues[q] for q in np.unique(number[:, t])},
                                       n_countries) for t in range(n_steps))
        union = np.zeros((n_steps, n_countries * market.n_chips), dtype=bool)
        for t, month in enumerate(cells):
            union[t, month.cell_index] = True
        support = {name: mask for name, mask in self.metric_support.items()
                   if name not in CHIP_METRICS}
        held = {name: columns for name, columns in self.held.items() if name not in CHIP_METRICS}
        if not union.all():
            mask = np.ascontiguousarray(union.reshape(n_steps, n_countries, market.n_chips))
            support.update(dict.fromkeys(CHIP_METRICS, mask))
            held.update(dict.fromkeys(CHIP_METRICS, HeldColumns.from_mask(mask)))
        return replace(self, points=points, vendor_queues=queues, vendor_queue=number[0],
                       metric_support=support, held=held,
                       point_chips=PointChips(**chip_columns(market, chip), vendor_queue=number,
                                              cells=cells))

    def point_support(self, point: int) -> dict[str, np.ndarray]:
        """Point ``point``'s own ``metric_support`` (its chip metrics on its own cells)."""
        if self.point_chips is None:
            return self.metric_support
        support = {name: mask for name, mask in self.metric_support.items()
                   if name not in CHIP_METRICS}
        own = self.point_chips.own_cells(point)
        if not own.all():
            mask = np.ascontiguousarray(own.reshape(len(own), self.n_countries, -1))
            support.update(dict.fromkeys(CHIP_METRICS, mask))
        return support

    @property
    def n_firms(self) -> int:
        """Number of firms ``F``."""
        return len(self.agent)

    @property
    def n_countries(self) -> int:
        """Number of countries ``C``."""
        return len(self.world.countries)


def _uveu_layout(world: World, agent: np.ndarray,
                 is_uveu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of UVEU subsidiaries by (parent, firm index); dense parent groups."""
    positions = np.flatnonzero(is_uveu)
    parent = world.firms.parent[agent[positions]]
    positions = positions[np.lexsort((agent[positions], parent))]
    names, parent_of = np.unique(world.firms.parent[agent[positions]], return_inverse=True)
    hq = np.array([world.firms.parent_hq[p] for p in names], dtype=str).reshape(1, -1)
    home = np.array([world.at(t).rules.uveu_home_country for t in range(world.n_steps)],
                    dtype=str).reshape(-1, 1)
    return positions, parent_of.astype(np.int64), hq == home
