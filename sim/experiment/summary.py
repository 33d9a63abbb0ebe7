"""Headline outcomes of a set of runs, by tier, by region and by country, in H100-equivalents."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiment.reductions import TIERS, RunReductions
from sim.reference import H100E_TPP, REGIONS, region_of
from sim.results import Results
from sim.world.metrics import COUNTRY_METRICS

__all__ = [
    "UNASSIGNED",
    "country_column",
    "country_regions",
    "summarise_by_country",
    "summarise_by_region",
    "summarise_by_tier",
    "tier_total_h100e",
]

UNASSIGNED = "Unassigned"
"""The row of :func:`summarise_by_region` for modelled countries that are not importers
(an ISO 3166 code outside ``sim/reference/regions.csv``); absent when there are none."""

_TOTALS = {
    "shipped_h100e": "shipped_tpp",
    "diverted_in_h100e": "diverted_received_tpp",
    "substituted_h100e": "substituted_tpp",
    "unmet_h100e": "unmet_tpp",
    "seized_in_transit_h100e": "diversion_seized_tpp",
}


def tier_total_h100e(results: Results, metric: str, tier: int) -> np.ndarray:
    """Return each run's total of a country metric over one tier and the window.

    Returns
    -------
    ndarray of shape (n_runs,), float64
        In H100-equivalents (TPP / 15,832).
    """
    mask = np.asarray(results.tiers) == tier
    return results.metric(metric)[:, :, mask].sum(axis=(1, 2)) / H100E_TPP


def summarise_by_tier(results: Results | RunReductions) -> pd.DataFrame:
    """Return mean outcomes per tier over runs (totals over the window, H100e).

    Parameters
    ----------
    results : Results or RunReductions
        The runs, or their reductions (what ``sim run`` keeps of streamed runs;
        the table is the same bit for bit).

    Returns
    -------
    DataFrame
        Indexed by ``tier`` (1, 2, 3); columns ``countries`` (int),
        ``stock_end_h100e`` (installed stock at the end of the window) and the
        window totals ``shipped_h100e``, ``diverted_in_h100e``,
        ``substituted_h100e``, ``unmet_h100e``, ``seized_in_transit_h100e``,
        each the mean over runs.
    """
    reduced = RunReductions.of(results) if isinstance(results, Results) else results
    tiers = np.asarray(reduced.tiers)
    rows = []
    for tier in TIERS:
        rows.append({"tier": tier, "countries": int((tiers == tier).sum()),
                     "stock_end_h100e": reduced.tier_end("stock_tpp", tier).mean() / H100E_TPP,
                     **{label: (reduced.tier_total(name, tier) / H100E_TPP).mean()
                        for label, name in _TOTALS.items()}})
    return pd.DataFrame(rows).set_index("tier")


def country_regions(countries: tuple[str, ...] | list[str]) -> list[str]:
    """Return each country's region key (:data:`sim.reference.REGIONS`), or :data:`UNASSIGNED`."""
    return [region_of(code) or UNASSIGNED for code in countries]


def summarise_by_region(results: Results | RunReductions) -> pd.DataFrame:
    """Return mean outcomes per region over runs (totals over the window, H100e).

    The columns of :func:`summarise_by_tier`, one row per region of
    :data:`sim.reference.REGIONS` holding a modelled country, in that order
    (then :data:`UNASSIGNED`, if a modelled country is in no region). Each
    value is the exact integer sum over runs, countries of the region and
    months (the last month for the stock), divided by the runs and then by
    :data:`~sim.reference.H100E_TPP`; so the table does not depend on how the
    runs were chunked, and ``results`` may be the runs or their reductions
    (the same table bit for bit). It reads only the sums over runs that
    :class:`~sim.experiment.reductions.RunReductions` keeps anyway: no memory
    per run.

    Returns
    -------
    DataFrame
        Indexed by ``region`` (a key of :data:`sim.reference.REGIONS`);
        columns ``countries`` (int, modelled countries in the region),
        ``stock_end_h100e`` and the window totals ``shipped_h100e``,
        ``diverted_in_h100e``, ``substituted_h100e``, ``unmet_h100e``,
        ``seized_in_transit_h100e``, each the mean over runs.
    """
    reduced = RunReductions.of(results) if isinstance(results, Results) else results
    regions = np.array(country_regions(reduced.countries))
    order = [r for r in (*REGIONS, UNASSIGNED) if (regions == r).any()]
    members = (regions[:, None] == np.array(order)[None, :]).astype(np.int64)  # (C, G)
    columns = {"countries": members.sum(axis=0),
               "stock_end_h100e": reduced.sums["stock_tpp"][-1] @ members}
    for label, name in _TOTALS.items():
        columns[label] = reduced.sums[name].sum(axis=0) @ members  # (G,) int64, exact
    return pd.DataFrame({label: values if label == "countries"
                         else values / reduced.n_runs / H100E_TPP
                         for label, values in columns.items()},
                        index=pd.Index(order, name="region"))


def country_column(metric: str) -> str:
    """Return a country metric's column in :func:`summarise_by_country` (``_tpp`` as ``_h100e``)."""
    return metric.removesuffix("_tpp") + "_h100e" if metric.endswith("_tpp") else metric


def summarise_by_country(results: Results | RunReductions) -> pd.DataFrame:
    """Return every country metric per country and month, mean over runs, in H100e.

    ``results`` may be the runs or their reductions (the same table bit for
    bit); the mean is the exact integer sum over runs divided by the runs.

    Returns
    -------
    DataFrame
        One row per (country, month): ``country`` (ISO3), ``tier``, ``region``
        (:func:`country_regions`), ``date`` (``YYYY-MM``), then one column per
        country metric in the order of :data:`~sim.world.metrics.COUNTRY_METRICS`, TPP
        metrics in H100-equivalents
        (``shipped_tpp`` as ``shipped_h100e``), dollars as they are
        (``revenue_usd``). Flows may be summed over months; stocks (``stock_h100e``,
        ``backlog_h100e``, ``quota_*``) may not (``sim metrics`` says which is which).
    """
    reduced = RunReductions.of(results) if isinstance(results, Results) else results
    n_steps, n_countries = len(reduced.dates), len(reduced.countries)
    frame = pd.DataFrame({
        "country": np.repeat(np.array(reduced.countries), n_steps),
        "tier": np.repeat(np.array(reduced.tiers, dtype=np.int64), n_steps),
        "region": np.repeat(np.array(country_regions(reduced.countries)), n_steps),
        "date": np.tile(np.array(reduced.dates), n_countries),
    })
    for name in COUNTRY_METRICS:
        mean = reduced.mean(name).T.reshape(-1)  # (C, T) country-major
        frame[country_column(name)] = mean / H100E_TPP if name.endswith("_tpp") else mean
    return frame
