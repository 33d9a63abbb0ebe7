"""The numbers a ``sim view`` page shows, read from a run's :class:`~sim.results.Results`.

Everything the page prints about a month comes from ``model.results()`` through
these functions, so the page shows the numbers ``ExportControlModel(...).results()``
gives for the same scenario and seed. Quantities stay exact integers (TPP);
:func:`h100e` writes them for a reader, and :func:`country_table_html` carries
the exact value beside the written one (``data-tpp``), for a check to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np

from sim.reference import H100E_TPP
from sim.results import Results

__all__ = ["COLUMNS", "CountryRow", "country_rows", "country_table_html", "h100e"]

COLUMNS = {
    "shipped_month": "shipped this month",
    "shipped_total": "shipped so far",
    "quota_used": "quota used",
    "quota_remaining": "quota remaining",
    "attempted_total": "diversion attempted so far",
    "seized_total": "diversion seized so far",
}
"""Each column of the country table (a :class:`CountryRow` field) and its heading.
Diversion is booked by transit country; quota is the cap period's, at the month's end."""


@dataclass(frozen=True)
class CountryRow:
    """One country's numbers at the end of a month, TPP (int)."""

    country: str
    tier: int
    shipped_month: int
    shipped_total: int
    quota_used: int
    quota_remaining: int
    attempted_total: int
    seized_total: int


def country_rows(results: Results, step: int, tiers: list[int]) -> list[CountryRow]:
    """Return each country's row at the end of month ``step`` (0-based) of a one-run result.

    Parameters
    ----------
    results : Results
        One run (``model.results()``), at least ``step + 1`` months long.
    step : int
        The month, 0-based.
    tiers : list of int, (n_countries,)
        Each country's tier in force that month.
    """
    def through(name: str) -> np.ndarray:
        return results.metric(name)[0, : step + 1].sum(axis=0)

    shipped = results.metric("shipped_tpp")[0, step]
    used = results.metric("quota_used_tpp")[0, step]
    remaining = results.metric("quota_remaining_tpp")[0, step]
    shipped_total = through("shipped_tpp")
    attempted, seized = through("diversion_attempted_tpp"), through("diversion_seized_tpp")
    return [
        CountryRow(code, int(tiers[c]), int(shipped[c]), int(shipped_total[c]), int(used[c]),
                   int(remaining[c]), int(attempted[c]), int(seized[c]))
        for c, code in enumerate(results.countries)
    ]


def h100e(tpp: int) -> str:
    """Write TPP as whole H100-equivalents with thousands separators (``12,345``)."""
    return f"{tpp / H100E_TPP:,.0f}"


def country_table_html(rows: list[CountryRow]) -> str:
    """Return the country table as HTML: H100e written, exact TPP in ``data-tpp``.

    A bar under "shipped so far" shows each country's share of the largest.
    """
    top = max((r.shipped_total for r in rows), default=0) or 1
    head = "".join(f"<th>{escape(title)}</th>" for title in ("country", "tier", *COLUMNS.values()))
    body = []
    for row in rows:
        cells = [f'<td class="country">{escape(row.country)}</td>', f"<td>{row.tier}</td>"]
        for name in COLUMNS:
            tpp = getattr(row, name)
            bar = (f'<div class="bar" style="width:{100 * tpp / top:.0f}%"></div>'
                   if name == "shipped_total" else "")
            cells.append(f'<td data-column="{name}" data-tpp="{tpp}">{h100e(tpp)}{bar}</td>')
        body.append(f'<tr data-country="{escape(row.country)}">{"".join(cells)}</tr>')
    return (f'<table class="sim-countries"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')
