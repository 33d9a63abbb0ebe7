"""Headline outcomes of a set of runs, by tier, in H100-equivalents."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.reference import H100E_TPP
from sim.results import Results

__all__ = ["summarise_by_tier", "tier_total_h100e"]

_TOTALS = {
    "shipped (H100e)": "shipped_tpp",
    "diverted in (H100e)": "diverted_received_tpp",
    "substituted (H100e)": "substituted_tpp",
    "unmet (H100e)": "unmet_tpp",
    "seized in transit (H100e)": "diversion_seized_tpp",
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


def summarise_by_tier(results: Results) -> pd.DataFrame:
    """Return mean outcomes per tier over runs (totals over the window, H100e).

    Parameters
    ----------
    results : Results

    Returns
    -------
    DataFrame
        One row per tier (1, 2, 3); columns are the headline outcomes and the
        installed stock at the end of the window, each the mean over runs.
    """
    tiers = np.asarray(results.tiers)
    rows = {}
    for tier in (1, 2, 3):
        mask = tiers == tier
        row = {label: tier_total_h100e(results, name, tier).mean()
               for label, name in _TOTALS.items()}
        final_stock = results.metric("stock_tpp")[:, -1, mask].sum(axis=1)
        row["stock at end (H100e)"] = final_stock.mean() / H100E_TPP
        row["countries"] = int(mask.sum())
        rows[f"Tier {tier}"] = row
    frame = pd.DataFrame(rows).T
    return frame[["countries", "stock at end (H100e)", *_TOTALS]]
