"""The market year by year: demand, output, orders, shipments and revenue.

Two tables for docs/validation.md ("Market at real scale") and for anyone
asking whether a shortage shows as a price or as unmet demand:

:func:`market_by_year`
    Per calendar year, means over runs: new demand at the market price, the
    vendors' output, the orders they saw, what they shipped, the shares
    shipped of new demand and of orders, and vendor revenue.
:func:`revenue_by_fiscal_year`
    One vendor's revenue per fiscal year (Nvidia's ends in January: fiscal
    2024 is February 2023 to January 2024), summed over its chips at the
    market price, for the years the window covers whole.

Orders include re-orders: a buyer refused in one month orders again the next
(its backlog), so the share shipped of *orders* counts a waiting buyer once
a month; the share shipped of *new demand* counts each H100e of demand once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.reference import H100E_TPP
from sim.reference.chips import load_chips
from sim.results import Results
from sim.world import World

__all__ = ["FISCAL_YEAR_END_MONTH", "market_by_year", "revenue_by_fiscal_year"]

FISCAL_YEAR_END_MONTH = 1
"""Nvidia's fiscal year ends in late January (docs/sources.md §13): fiscal year N
runs February N-1 to January N."""


def market_by_year(results: Results, world: World) -> pd.DataFrame:
    """Return the market's yearly means over runs (see the module docstring).

    Parameters
    ----------
    results : Results
        Runs of ``world``'s scenario (``demand_tpp``, ``ordered_chips``,
        ``shipped_chips``, ``revenue_usd``; chips as ``world.market``).
    world : World
        Gives each chip's output per month (``market.capacity``, (T, K)).

    Returns
    -------
    DataFrame
        Indexed by ``year``; columns ``months``, ``demand_h100e_a_month``,
        ``output_h100e_a_month``, ``ordered_h100e_a_month``,
        ``shipped_h100e_a_month``, ``shipped_share_of_demand``,
        ``shipped_share_of_orders``, ``revenue_bn_usd``.
    """
    tpp = np.array([load_chips()[chip].tpp for chip in results.chips], dtype=np.float64)
    years = np.array([int(date[:4]) for date in results.dates])
    demand = results.metric("demand_tpp").sum(axis=2).mean(axis=0)               # (T,)
    ordered = results.metric("ordered_chips").sum(axis=2).mean(axis=0) @ tpp      # (T,)
    shipped = results.metric("shipped_chips").sum(axis=2).mean(axis=0) @ tpp      # (T,)
    output = world.market.capacity.astype(np.float64) @ tpp                       # (T,)
    revenue = results.metric("revenue_usd").sum(axis=2).mean(axis=0)             # (T,)
    rows = []
    for year in np.unique(years):
        month = years == year
        n = int(month.sum())
        total = {name: float(series[month].sum()) for name, series in
                 (("demand", demand), ("ordered", ordered), ("shipped", shipped),
                  ("output", output), ("revenue", revenue))}
        rows.append({
            "year": int(year), "months": n,
            "demand_h100e_a_month": total["demand"] / H100E_TPP / n,
            "output_h100e_a_month": total["output"] / H100E_TPP / n,
            "ordered_h100e_a_month": total["ordered"] / H100E_TPP / n,
            "shipped_h100e_a_month": total["shipped"] / H100E_TPP / n,
            "shipped_share_of_demand": _share(total["shipped"], total["demand"]),
            "shipped_share_of_orders": _share(total["shipped"], total["ordered"]),
            "revenue_bn_usd": total["revenue"] / 1e9,
        })
    return pd.DataFrame(rows).set_index("year")


def revenue_by_fiscal_year(results: Results, vendor: str = "NVIDIA") -> pd.Series:
    """Return ``vendor``'s mean revenue per whole fiscal year, in billions of USD.

    Each chip's shipments (all destinations) times its market price, summed
    over the vendor's chips and the fiscal year's twelve months
    (:data:`FISCAL_YEAR_END_MONTH`); a fiscal year the window does not cover
    whole is left out.

    Returns
    -------
    Series
        Indexed by ``fiscal_year`` (int, the calendar year it ends in).
    """
    catalogue = load_chips()
    own = np.array([catalogue[chip].vendor == vendor for chip in results.chips])
    shipped = results.metric("shipped_chips").sum(axis=2)                       # (R, T, K)
    price = results.metric("market_price_usd")                                  # (R, T, K)
    monthly = (shipped * price)[:, :, own].sum(axis=2).mean(axis=0)             # (T,)
    years = np.array([int(d[:4]) for d in results.dates])
    months = np.array([int(d[5:7]) for d in results.dates])
    fiscal = years + (months > FISCAL_YEAR_END_MONTH)
    whole = {y: float(monthly[fiscal == y].sum()) / 1e9
             for y in np.unique(fiscal) if (fiscal == y).sum() == 12}
    return pd.Series(whole, name="revenue_bn_usd", dtype=np.float64).rename_axis("fiscal_year")


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else float("nan")
