"""The month's books: per-country flows summed from per-firm quantities.

In the model each firm adds its flows to ``country.month`` as it goes
(``Firm.record_shipment``, ``Firm.respond``, ``Broker.divert``); the core
keeps the per-firm quantities and sums them by country with
``np.add.reduceat`` over the country-sorted layout. Integer sums, so the
order of summation does not matter.
"""

from __future__ import annotations

import numpy as np

from sim.core.layout import Layout
from sim.core.point_chips import cell_sums, month_cells, per_firm
from sim.core.state import State
from sim.kernels import take_support
from sim.world.codes import CAPPED
from sim.world.metrics import CHIP_METRICS, FLOWS, MARKET_METRICS, STEP_METRICS

__all__ = ["collect", "country_flows"]


def country_flows(layout: Layout, state: State, t: int) -> dict[str, np.ndarray]:
    """Return each flow of the month by country, (R, C) int64, and chips by cell (R, N).

    A *cell* is a (country, chip) pair that some firm orders this month
    (:class:`~sim.core.layout.VendorQueue`); every other pair is 0, and
    :func:`collect` writes only the cells.

    ``diversion_attempted/seized/diverted`` are by the broker's (transit)
    country; ``diverted_received_tpp`` is already by destination.

    Only brokers divert, so the three diversion flows are summed over the
    brokers' columns alone, and what buyers received is what was shipped
    less what brokers received. Revenue is each chip's shipments to the
    destination at its market price, truncated per destination and chip as
    ``Country.book_revenue`` does. Integer sums wrap the same way in any order
    (arithmetic modulo 2**64), so ``sum(a) - sum(b)`` is ``sum(a - b)`` bit
    for bit, ``sum(a) + sum(b)`` is ``sum(a + b)``, and ``sum(x) * s`` is
    ``sum(x * s)`` for a scalar ``s``.
    """
    world, brokers, countries = layout.world, layout.brokers, layout.countries
    tpp = per_firm(layout, state.point, t, "chip_tpp")  # (F,), or (R, F) by point
    shipment = state.shipped[:, brokers] * tpp[..., brokers]  # what brokers received, TPP
    by_transit = layout.broker_countries
    shipped = countries.sum(state.shipped, weights=tpp)
    attempted = by_transit.sum(shipment)
    seized = by_transit.sum(np.where(state.caught[:, brokers], shipment, 0))
    vendors = month_cells(layout, t)
    shipped_cells = state.shipped_cells  # (R, N): pairs some firm orders, summed by ship
    market_price = world.market.price[t] * state.price_index
    chip = vendors.cell_chip
    revenue = (shipped_cells * market_price[:, chip]).astype(np.int64)  # (R, N)
    payment = (revenue * world.market.payment_share[t, vendors.cell_country, chip]).astype(np.int64)
    by_country = vendors.countries_of_cells
    if layout.limits_apply[t]:
        lpp = countries.sum(state.path_lpp, weights=tpp)
        veu = countries.sum(state.path_uveu, weights=tpp) + countries.sum(state.path_nveu,
                                                                          weights=tpp)
        licensed = countries.sum(state.path_cap, weights=tpp)
    else:  # the limited paths are closed: every firm's is 0 (Layout.limits_apply)
        lpp = veu = licensed = np.zeros_like(shipped)  # shared: never written in place
    flows = {
        "demand_tpp": countries.sum(state.demand_tpp),
        "shipped_tpp": shipped,
        "delivered_tpp": shipped - attempted,
        "lpp_tpp": lpp,
        "veu_tpp": veu,
        "licensed_tpp": licensed,
        "diversion_requested_tpp": countries.sum(state.divert_request_tpp),
        "diversion_attempted_tpp": attempted,
        "diversion_seized_tpp": seized,
        "diverted_tpp": attempted - seized,
        "diverted_received_tpp": state.diverted_received_tpp,
        "redirected_tpp": state.redirected_tpp,
        "redirect_seized_tpp": state.redirect_seized_tpp,
        "redirected_received_tpp": state.redirected_received_tpp,
        "substituted_tpp": countries.sum(state.substituted_chips) * world.domestic_tpp[t],
        "rented_tpp": countries.sum(state.rented_tpp),
        "rented_out_tpp": state.rented_out_tpp,
        "unmet_tpp": countries.sum(state.unmet_tpp),
        "revenue_usd": by_country.sum(revenue),
        "us_payment_usd": by_country.sum(payment),
        "entered_brokers": by_transit.sum(state.entered[:, brokers].astype(np.int64)),
        "listed_brokers": by_transit.sum(state.caught[:, brokers].astype(np.int64)),
    }
    flows["shipped_chips"] = shipped_cells
    flows["ordered_chips"] = cell_sums(layout, state.point, t, state.ordered)
    return {name: flows[name] for name in (*FLOWS, *CHIP_METRICS)}


def collect(layout: Layout, state: State, t: int, out: dict[str, np.ndarray]) -> None:
    """Write step ``t``'s metrics into ``out`` (the model's data collector).

    Parameters
    ----------
    layout : Layout
    state : State
        After the month's last phase (its ``books`` hold the month's flows).
    t : int
    out : dict of str to ndarray
        Metric arrays of the chunk's runs, zero where not yet written: (R, T,
        C) or (R, T, C, K) int64, (R, T) or (R, T, K) float64, and (R, S)
        int64 for a metric held on its support (``Layout.held``); step ``t``
        is written (of the chip metrics, the month's cells).

    Raises
    ------
    RuntimeError
        If a sparse metric is non-zero outside its support (a programming error).
    """
    world = layout.world
    vendors = month_cells(layout, t)
    for name, values in state.books.items():
        if name not in CHIP_METRICS:
            _write(layout, out, name, t, values)
        elif name in layout.held:  # the month's cells, in the support's order
            held = layout.held[name]
            out[name][:, held.start[t]:held.start[t + 1]] = values
        else:  # dense: the month's cells; the other pairs stay 0
            month = out[name][:, t].reshape(len(values), -1)  # (R, C * K)
            if not np.shares_memory(month, out[name]):
                raise ValueError(f"metric array {name!r} must be C-contiguous within a run")
            month[:, vendors.cell_index] = values
    _write(layout, out, "quota_used_tpp", t, state.quota_used_tpp)
    capped = world.regime[t] == CAPPED
    remaining = np.maximum(0, world.cap_tpp[t] - state.quota_used_tpp)
    _write(layout, out, "quota_remaining_tpp", t, np.where(capped, remaining, 0))
    _write(layout, out, "stock_tpp", t, state.stock_tpp)
    _write(layout, out, "backlog_tpp", t, layout.countries.sum(state.backlog_tpp))
    active = ~(state.dormant | state.listed)[:, layout.brokers]
    _write(layout, out, "active_brokers", t, layout.broker_countries.sum(active.astype(np.int64)))
    premium, rental = STEP_METRICS
    out[premium][:, t] = state.premium
    out[rental][:, t] = state.rental_index
    (price,) = MARKET_METRICS
    out[price][:, t] = world.market.price[t] * state.price_index


def _write(layout: Layout, out: dict[str, np.ndarray], name: str, t: int,
           values: np.ndarray) -> None:
    """Write one country metric's month, (R, C), on its support where it has one."""
    held = layout.held.get(name)
    if held is None:
        out[name][:, t] = values
        return
    month = out[name][:, held.start[t]:held.start[t + 1]]
    stray = take_support(values, held.columns[t], month)
    if stray is None:  # the NumPy engine
        inside = values[:, held.columns[t]]
        stray = np.count_nonzero(values) - np.count_nonzero(inside)  # cheaper than outside
        month[...] = inside
    if stray:
        raise RuntimeError(f"metric {name!r} is non-zero outside its support in step {t}")
