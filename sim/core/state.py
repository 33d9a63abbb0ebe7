"""The state of many runs of the core: one frozen dataclass of arrays.

Per-firm arrays are shaped (n_runs, n_firms) in layout order (see
:mod:`sim.core.layout`), per-country arrays (n_runs, n_countries), per-run
arrays (n_runs,). Chips and TPP are int64; floats only where the model uses
them (firm sizes, the grey premium). A phase returns a new
state with the fields it decides replaced (``dataclasses.replace``); it
never writes into the arrays it was given.

The month's quantities mirror :class:`sim.model.agents.Firm` attributes of
the same names; each is recomputed in full by the phase that sets it, which
is how the core mirrors ``Firm.clear_month``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.core.layout import Layout
from sim.core.points import scenario_value
from sim.reference import H100E_TPP
from sim.world.population import firm_sizes_h100e

__all__ = ["PATHS", "State", "evolve", "initial_state"]

PATHS = ("path_free", "path_uveu", "path_nveu", "path_lpp", "path_cap")
"""Licensing paths of an order, cheapest first (``Firm.paths``)."""


@dataclass(frozen=True)
class State:
    """Arrays of ``R`` runs, ``F`` firms and ``C`` countries.

    Attributes
    ----------
    seeds : (R,) int64
    point : (R,) int64
        The scenario point each run is (``Layout.points``; 0 for one scenario).
    base_h100e : (R, F) float64
        Each firm's base monthly demand (a broker's purchasing capacity).
    backlog_tpp, lpp_used_tpp, nveu_used_tpp, uveu_installed_tpp : (R, F) int64
        Carried from month to month.
    listed : (R, F) bool
        Broker caught: buys nothing until its network re-forms as a new broker.
    dormant : (R, F) bool
        Broker slot that has not entered yet (``diversion.reserve_brokers``).
    listed_at : (R, F) int64
        Month a listed broker was caught; -1 for one that is not listed.
    quota_used_tpp, stock_tpp : (R, C) int64
    diversion_demand_tpp : (R, C) int64
        Last month's diversion requests by destination.
    vigilance : (R, C) float64
        What past seizures add to each country's catch strength, as a
        multiple of the rules' (``Country.vigilance``).
    us_shipped_chips : (R, K) int64
        Last month's shipments to the United States, by chip (case-by-case limits).
    premium : (R,) float64
        Grey-market price over the market price.
    price_index : (R, K) float64
        Each chip's market price over its list price, in force this month.
    vendor_orders_chips : (R, K) int64
        Approved orders each vendor received (this month's after ``ship``; last
        month's when ``set_prices`` reads them).
    rental_index : (R,) float64
        Rented remote compute's price over its price at the start, in force
        this month (1 while ``market.cloud_share = "unlimited"``).
    rent_requested_tpp, rent_offered_tpp : (R,) int64
        Rent requested by every buyer and compute offered for rent by every
        supplier (0 with no supplier): this month's after ``rent``, last
        month's when ``set_prices`` reads them.
    market_queue, country_queue : (R, F) int64
        This month's first-come serving order of firms (layout positions):
        by priority and firm index; for the country queue, country by country
        (``None`` under pro-rata allocation).
    demand_tpp ... residual_tpp : (R, F) int64
        This month's firm quantities (``Firm`` attributes of the same names;
        ``path_*`` are ``Firm.paths``; ``rented_tpp`` and ``unmet_tpp`` the
        amounts ``Firm.respond`` books; ``caught`` whether a broker's shipment
        was seized; ``entered`` whether a broker entered or re-formed at the
        start of the month).
    shipped_cells : (R, N) int64
        The month's chips shipped by cell, a (country, chip) pair some firm
        orders (:meth:`~sim.core.layout.VendorQueue.cell_sums`), summed once
        by ``ship`` for the US shipments and the books.
    shortfall_tpp : (R, F) int64
        What shipments and substitution left missing this month
        (``Firm.request_tpp - Firm.received_tpp - substituted TPP``), kept by
        ``allocate_domestic`` for ``rent`` and ``respond``, which both start
        from it.
    diverted_received_tpp : (R, C) int64
        Diverted compute shared out to destinations this month.
    rented_out_tpp : (R, C) int64
        Remote compute rented out from each country's installed base this month.
    redirected_tpp, redirect_seized_tpp : (R, C) int64
        Chips subsidiaries abroad sent on to their headquarters this month, and
        the part caught, by host country.
    redirected_received_tpp : (R, C) int64
        Redirected chips arriving, by headquarters country.
    diverted_chips : (R,) int64
        Diverted chips that reached a destination this month.
    books : dict of str to (R, C) or (R, N) int64, or None
        The month's flows by country (:data:`sim.world.metrics.FLOWS`) and
        chips by (country, chip) cell (:data:`sim.world.metrics.CHIP_METRICS`,
        :class:`~sim.core.layout.VendorQueue`), booked by ``deliver``;
        ``None`` before the first month ends.
    """

    seeds: np.ndarray
    point: np.ndarray
    base_h100e: np.ndarray
    backlog_tpp: np.ndarray
    lpp_used_tpp: np.ndarray
    nveu_used_tpp: np.ndarray
    uveu_installed_tpp: np.ndarray
    listed: np.ndarray
    dormant: np.ndarray
    listed_at: np.ndarray
    quota_used_tpp: np.ndarray
    stock_tpp: np.ndarray
    diversion_demand_tpp: np.ndarray
    vigilance: np.ndarray
    us_shipped_chips: np.ndarray
    premium: np.ndarray
    price_index: np.ndarray
    vendor_orders_chips: np.ndarray
    rental_index: np.ndarray
    rent_requested_tpp: np.ndarray
    rent_offered_tpp: np.ndarray
    market_queue: np.ndarray | None
    country_queue: np.ndarray | None
    demand_tpp: np.ndarray
    request_tpp: np.ndarray
    want: np.ndarray
    uveu_request: np.ndarray
    cap_request: np.ndarray
    path_free: np.ndarray
    path_uveu: np.ndarray
    path_nveu: np.ndarray
    path_lpp: np.ndarray
    path_cap: np.ndarray
    ordered: np.ndarray
    shipped: np.ndarray
    substitute_want: np.ndarray
    substituted_chips: np.ndarray
    rented_tpp: np.ndarray
    divert_request_tpp: np.ndarray
    unmet_tpp: np.ndarray
    residual_tpp: np.ndarray
    shipped_cells: np.ndarray
    shortfall_tpp: np.ndarray
    caught: np.ndarray
    entered: np.ndarray
    diverted_received_tpp: np.ndarray
    rented_out_tpp: np.ndarray
    redirected_tpp: np.ndarray
    redirect_seized_tpp: np.ndarray
    redirected_received_tpp: np.ndarray
    diverted_chips: np.ndarray
    books: dict[str, np.ndarray] | None = None

    @property
    def n_runs(self) -> int:
        """Number of runs ``R``."""
        return len(self.seeds)

    @property
    def approved_chips(self) -> np.ndarray:
        """Chips approved on every path, (R, F) int64."""
        return self.path_free + self.path_uveu + self.path_nveu + self.path_lpp + self.path_cap


def evolve(state: State, **changes: object) -> State:
    """Return ``state`` with ``changes``: ``dataclasses.replace`` without its ``__init__``.

    A phase changes a handful of a state's 40-odd arrays; ``replace`` re-runs
    the frozen dataclass's ``__init__`` over every field, which at world scale
    cost about 4% of a run (about 20 calls a month). The new state shares the
    unchanged arrays, as with ``replace`` (arrays are never written in place).

    Raises
    ------
    TypeError
        For a name that is not a field of :class:`State`.
    """
    unknown = changes.keys() - _FIELDS
    if unknown:
        raise TypeError(f"State has no field {', '.join(sorted(unknown))}")
    new = object.__new__(State)
    new.__dict__.update(state.__dict__)
    new.__dict__.update(changes)
    return new


N_FIRM_ARRAYS = sum(1 for f in fields(State) if f.name not in
                    {"seeds", "quota_used_tpp", "stock_tpp", "diversion_demand_tpp", "vigilance",
                     "us_shipped_chips", "premium", "price_index", "vendor_orders_chips",
                     "rental_index", "rent_requested_tpp", "rent_offered_tpp",
                     "diverted_received_tpp", "rented_out_tpp", "redirected_tpp",
                     "redirect_seized_tpp", "redirected_received_tpp", "diverted_chips", "books"})
"""Number of (R, F) arrays in a state (for the memory estimate)."""

_FIELDS = frozenset(f.name for f in fields(State))


def initial_state(layout: Layout, seeds: np.ndarray, point: np.ndarray | None = None) -> State:
    """Return the state before the first month: sizes drawn, UVEU bases installed.

    Parameters
    ----------
    layout : Layout
    seeds : ndarray of shape (R,), int64
    point : ndarray of shape (R,), int64, optional
        Each run's scenario point (``Layout.points``); default 0.
    """
    world = layout.world
    seeds = np.asarray(seeds, dtype=np.int64)
    n_runs, n_firms, n_countries = len(seeds), layout.n_firms, layout.n_countries
    point = np.zeros(n_runs, dtype=np.int64) if point is None else np.asarray(point, np.int64)
    points = layout.points
    median = None if points is None or points.median_h100e is None else points.median_h100e[point]
    sizes = firm_sizes_h100e(world.firms, world.scenario.market.size_tail_alpha, seeds, median)
    base = np.ascontiguousarray(sizes[:, layout.agent])
    months = world.scenario.market.uveu_installed_months
    installed = months * (base * H100E_TPP).astype(np.int64)

    def firms() -> np.ndarray:
        return np.zeros((n_runs, n_firms), dtype=np.int64)

    def countries() -> np.ndarray:
        return np.zeros((n_runs, n_countries), dtype=np.int64)

    return State(
        seeds=seeds, point=point, base_h100e=base, backlog_tpp=firms(), lpp_used_tpp=firms(),
        nveu_used_tpp=firms(), uveu_installed_tpp=np.where(layout.is_uveu, installed, 0),
        listed=np.zeros((n_runs, n_firms), dtype=bool),
        dormant=np.broadcast_to(layout.is_reserve, (n_runs, n_firms)).copy(),
        listed_at=np.full((n_runs, n_firms), -1, dtype=np.int64), quota_used_tpp=countries(),
        stock_tpp=countries(), diversion_demand_tpp=countries(),
        vigilance=np.zeros((n_runs, layout.n_countries), dtype=np.float64),
        us_shipped_chips=np.zeros((n_runs, world.market.n_chips), dtype=np.int64),
        premium=np.full(n_runs, scenario_value(layout, point, "diversion.initial_premium"),
                        dtype=np.float64),
        price_index=np.ones((n_runs, world.market.n_chips), dtype=np.float64),
        vendor_orders_chips=np.zeros((n_runs, world.market.n_chips), dtype=np.int64),
        rental_index=np.ones(n_runs, dtype=np.float64),
        rent_requested_tpp=np.zeros(n_runs, dtype=np.int64),
        rent_offered_tpp=np.zeros(n_runs, dtype=np.int64),
        market_queue=None, country_queue=None, demand_tpp=firms(), request_tpp=firms(),
        want=firms(), uveu_request=firms(),
        cap_request=firms(), path_free=firms(), path_uveu=firms(), path_nveu=firms(),
        path_lpp=firms(), path_cap=firms(),
        ordered=firms(), shipped=firms(), substitute_want=firms(),
        substituted_chips=firms(), rented_tpp=firms(), divert_request_tpp=firms(),
        unmet_tpp=firms(), residual_tpp=firms(), shortfall_tpp=firms(),
        shipped_cells=np.zeros((n_runs, 0), dtype=np.int64),
        caught=np.zeros((n_runs, n_firms), dtype=bool),
        entered=np.zeros((n_runs, n_firms), dtype=bool),
        diverted_received_tpp=countries(), rented_out_tpp=countries(),
        redirected_tpp=countries(), redirect_seized_tpp=countries(),
        redirected_received_tpp=countries(),
        diverted_chips=np.zeros(n_runs, dtype=np.int64),
    )
