"""Headline outcomes per run, and their mean and 90% interval per scenario.

Outcomes are totals over the window in H100-equivalents (TPP / 15,832), so a
reader can compare them with chip counts, except the installed stock (at the
end of the window, H100e), the cap utilisation (a share), the grey premium (a
multiple of list price) and vendor revenue (billion USD at the market price).

Compute *received* by a tier is what arrived there and was installed: shipped
legally to its buyers (brokers excluded), diverted in, and domestic
substitutes (``delivered_tpp + diverted_received_tpp + substituted_tpp``, what
adds to ``stock_tpp``). The named destinations of :data:`DESTINATIONS` get
the diversion reaching each.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Protocol

import numpy as np
import pandas as pd

from sim.experiment.summary import tier_total_h100e
from sim.reference import H100E_TPP
from sim.results import Results

__all__ = [
    "DESTINATIONS",
    "OUTCOMES",
    "RunOutcomes",
    "outcomes_per_run",
    "run_outcomes",
    "summarise_outcomes",
    "tier2_cap_share_over_time",
    "tier2_cap_utilisation",
    "tier2_caps_tpp",
]

OUTCOMES = {
    "tier3_legal_h100e": "compute shipped legally to Tier 3 (H100e)",
    "tier3_diverted_h100e": "compute reaching Tier 3 by diversion (H100e)",
    "tier3_substituted_h100e": "domestic substitute chips in Tier 3 (H100e)",
    "diversion_seized_h100e": "diversion seized in transit (H100e)",
    "tier2_cap_utilisation": "share of the Tier 2 cap used, mean over Tier 2 countries",
    "unmet_h100e": "demand given up unserved, all countries (H100e, summed over months; "
                   "each request counted once, when dropped)",
    "grey_premium_end": "grey-market premium at the end (x market price)",
    "tier1_received_h100e": "compute received by Tier 1: shipped, diverted in, domestic (H100e)",
    "tier2_received_h100e": "compute received by Tier 2: shipped, diverted in, domestic (H100e)",
    "tier3_received_h100e": "compute received by Tier 3: shipped, diverted in, domestic (H100e)",
    "diverted_to_chn_h100e": "diversion reaching China (H100e)",
    "diverted_to_rus_h100e": "diversion reaching Russia (H100e)",
    "diverted_to_irn_h100e": "diversion reaching Iran (H100e)",
    "tier1_stock_end_h100e": "installed stock in Tier 1 at the end (H100e)",
    "tier2_stock_end_h100e": "installed stock in Tier 2 at the end (H100e)",
    "tier3_stock_end_h100e": "installed stock in Tier 3 at the end (H100e)",
    "vendor_revenue_bn_usd": "vendor revenue at the market price, all destinations (billion USD)",
    "tier3_rented_h100e": "compute Tier 3 rented remotely, the cloud route (H100e)",
    "tier3_redirected_h100e": "chips subsidiaries abroad redirected to Tier 3 headquarters (H100e)",
}

DESTINATIONS = {"CHN": "China", "RUS": "Russia", "IRN": "Iran"}
"""Restricted destinations whose diversion is a headline outcome (``diverted_to_XXX_h100e``)."""

_RECEIVED = ("delivered_tpp", "diverted_received_tpp", "substituted_tpp",
             "redirected_received_tpp")
"""What a tier installs; less what its subsidiaries redirect abroad (``redirected_tpp``)."""


def tier2_caps_tpp(results: Results) -> np.ndarray | None:
    """Return each Tier 2 country's cap (with its G2G multiplier) in each month, or ``None``.

    The rules in force each month are the scenario's own with its timeline
    applied (:meth:`Scenario.in_force`, on the recorded content); a month in
    which the tier rules do not bind has no cap (NaN).

    Returns
    -------
    ndarray of shape (n_steps, n_tier2), float64, or None
        ``None`` when no month of the scenario has binding tiered caps.
    """
    mask = np.asarray(results.tiers) == 2
    codes = np.asarray(results.countries)[mask]
    caps = np.full((len(results.dates), len(codes)), np.nan)
    for t, (date, scenario) in enumerate(zip(results.dates, _in_force_by_month(
            results.scenario, results.dates), strict=True)):
        rules = scenario["rules"]
        until = rules["tiers_until"] or "9999-12"
        if not (rules["tiered_caps"] and rules["tiers_from"] <= date < until):
            continue
        multiplier = [rules["g2g_multiplier"] if scenario["countries"][c]["g2g"] else 1.0
                      for c in codes]
        caps[t] = np.floor(rules["cap_tpp"] * np.asarray(multiplier))
    if not mask.any() or np.isnan(caps).all():
        return None
    return caps


def _in_force_by_month(content: dict, dates: tuple[str, ...]) -> list[dict]:
    """Return :func:`_in_force` for each of ``dates``, copying only when an entry takes effect.

    A copy of the whole content (every country's section) for each month cost
    about a sixth of the README's comparison; the months between two timeline
    dates share one (the callers only read it).
    """
    timeline = content.get("timeline", ())
    contents, applied = [], None
    for date in dates:
        taking = tuple(i for i, entry in enumerate(timeline) if entry["date"] <= date)
        if taking != applied:
            current, applied = _in_force(content, date), taking
        contents.append(current)
    return contents


def _in_force(content: dict, date: str) -> dict:
    """Return the recorded scenario content with every timeline entry up to ``date`` applied."""
    current = copy.deepcopy({k: v for k, v in content.items() if k != "timeline"})
    for entry in content.get("timeline", ()):
        if entry["date"] <= date:
            for key, value in entry["set"].items():
                *path, leaf = key.split(".")
                node = current
                for part in path:
                    node = node[part]
                node[leaf] = value
    return current


def tier2_cap_share_over_time(results: Results) -> np.ndarray | None:
    """Return quota used / cap, shaped (n_runs, n_steps, n_tier2); ``None`` without caps.

    NaN in months without a binding cap.
    """
    caps = tier2_caps_tpp(results)
    if caps is None:
        return None
    mask = np.asarray(results.tiers) == 2
    used = results.metric("quota_used_tpp")[:, :, mask]
    return np.where(np.isnan(caps), np.nan, used / np.where(caps > 0, caps, np.inf))


def tier2_cap_utilisation(results: Results) -> np.ndarray:
    """Return the largest share of its cap each Tier 2 country used.

    Returns
    -------
    ndarray of shape (n_runs, n_tier2), float64
        ``max over months of quota_used / cap``; NaN everywhere when the
        scenario has no tiered caps.
    """
    share = tier2_cap_share_over_time(results)
    if share is None:
        n_tier2 = int((np.asarray(results.tiers) == 2).sum())
        return np.full((results.n_runs, n_tier2), np.nan)
    return np.nanmax(share, axis=1)


def outcomes_per_run(results: Results) -> pd.DataFrame:
    """Return one row per run with the headline outcomes (columns of ``OUTCOMES``)."""
    utilisation = tier2_cap_utilisation(results)
    mean_utilisation = (utilisation.mean(axis=1) if utilisation.size
                        else np.full(results.n_runs, np.nan))
    return pd.DataFrame({
        "seed": results.seeds,
        "tier3_legal_h100e": tier_total_h100e(results, "delivered_tpp", 3),
        "tier3_diverted_h100e": tier_total_h100e(results, "diverted_received_tpp", 3),
        "tier3_substituted_h100e": tier_total_h100e(results, "substituted_tpp", 3),
        "diversion_seized_h100e": results.metric("diversion_seized_tpp").sum(axis=(1, 2))
        / H100E_TPP,
        "tier2_cap_utilisation": mean_utilisation,
        "unmet_h100e": results.metric("unmet_tpp").sum(axis=(1, 2)) / H100E_TPP,
        "grey_premium_end": results.metric("grey_premium")[:, -1],
        **{f"tier{tier}_received_h100e": sum(tier_total_h100e(results, metric, tier)
                                              for metric in _RECEIVED)
           - tier_total_h100e(results, "redirected_tpp", tier) for tier in (1, 2, 3)},
        **{f"diverted_to_{code.lower()}_h100e": _country_total_h100e(
            results, "diverted_received_tpp", code) for code in DESTINATIONS},
        **{f"tier{tier}_stock_end_h100e": _tier_stock_end_h100e(results, tier)
           for tier in (1, 2, 3)},
        "vendor_revenue_bn_usd": results.metric("revenue_usd").sum(axis=(1, 2)) / 1e9,
        "tier3_rented_h100e": tier_total_h100e(results, "rented_tpp", 3),
        "tier3_redirected_h100e": tier_total_h100e(results, "redirected_received_tpp", 3),
    })


def _country_total_h100e(results: Results, metric: str, code: str) -> np.ndarray:
    """Return each run's total of ``metric`` in one country (H100e); NaN if not modelled."""
    if code not in results.countries:
        return np.full(results.n_runs, np.nan)
    return results.metric(metric)[:, :, results.countries.index(code)].sum(axis=1) / H100E_TPP


def _tier_stock_end_h100e(results: Results, tier: int) -> np.ndarray:
    """Return each run's installed stock over one tier at the last month (H100e)."""
    mask = np.asarray(results.tiers) == tier
    return results.metric("stock_tpp")[:, -1, mask].sum(axis=1) / H100E_TPP


class RunOutcomes(Protocol):
    """One scenario's runs as a streamed comparison keeps them: digest and outcomes per run.

    What the summary and the paired differences read; e.g.
    :class:`~sim.experiment.compared.ComparedRuns`.
    """

    @property
    def digest(self) -> str:
        """The scenario's digest."""

    @property
    def outcomes(self) -> pd.DataFrame:
        """:func:`outcomes_per_run` of every run, in seed order."""


def run_outcomes(runs: Results | RunOutcomes) -> pd.DataFrame:
    """Return :func:`outcomes_per_run` of ``runs``, or the outcomes they keep."""
    return outcomes_per_run(runs) if isinstance(runs, Results) else runs.outcomes


def summarise_outcomes(per_scenario: Mapping[str, Results | RunOutcomes]) -> pd.DataFrame:
    """Return mean, 5th and 95th percentile of each outcome, one row per scenario.

    Each scenario's runs may be all of them or their outcomes
    (:class:`RunOutcomes`, of streamed runs): the same table, bit for bit.
    """
    rows = []
    for name, results in per_scenario.items():
        runs = run_outcomes(results)
        row: dict[str, object] = {"scenario": name, "digest": results.digest,
                                  "runs": len(runs)}
        for outcome in OUTCOMES:
            values = runs[outcome].to_numpy(dtype=np.float64)
            finite = values[np.isfinite(values)]
            row[f"{outcome}_mean"] = finite.mean() if finite.size else np.nan
            row[f"{outcome}_p05"] = np.percentile(finite, 5) if finite.size else np.nan
            row[f"{outcome}_p95"] = np.percentile(finite, 95) if finite.size else np.nan
        rows.append(row)
    return pd.DataFrame(rows)
