"""Figures for scenario comparisons: outcomes over time, cap use, diversion routes.

Every figure is in H100-equivalents (or a share, or a multiple of list price),
has a title, axis labels with units and a legend, and is written as a PNG.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from sim.experiment.outcomes import tier2_cap_share_over_time
from sim.plots.style import save_figure
from sim.reference import H100E_TPP
from sim.results import Results

__all__ = [
    "compare_figures", "plot_cap_utilisation", "plot_diversion_by_transit",
    "plot_outcomes_over_time",
]

Series = Callable[[Results], np.ndarray]


def _tier_monthly(metric: str, tier: int) -> Series:
    def series(results: Results) -> np.ndarray:
        mask = np.asarray(results.tiers) == tier
        return results.metric(metric)[:, :, mask].sum(axis=2) / H100E_TPP
    return series


def _all_monthly(metric: str) -> Series:
    return lambda results: results.metric(metric).sum(axis=2) / H100E_TPP


def _cap_used_share(results: Results) -> np.ndarray:
    share = tier2_cap_share_over_time(results)
    if share is None:
        return np.full((results.n_runs, len(results.dates)), np.nan)
    return share.mean(axis=2)


PANELS: tuple[tuple[str, str, Series], ...] = (
    ("Legal shipments to Tier 3", "H100e per month", _tier_monthly("delivered_tpp", 3)),
    ("Diverted into Tier 3", "H100e per month", _tier_monthly("diverted_received_tpp", 3)),
    ("Diversion seized in transit", "H100e per month", _all_monthly("diversion_seized_tpp")),
    ("Tier 2 cap used (mean over Tier 2)", "share of cap", _cap_used_share),
    ("Demand waiting in Tier 3 (backlog)", "H100e at month end", _tier_monthly("backlog_tpp", 3)),
    ("Grey-market premium", "x list price", lambda r: r.metric("grey_premium")),
)


def compare_figures(per_scenario: dict[str, Results], out: str | Path) -> list[Path]:
    """Draw every comparison figure into ``out``; return the files written.

    ``outcomes_over_time.png`` always; ``cap_utilisation.png`` if a scenario
    has tiered caps, ``diversion_by_transit.png`` if one has diversion.
    """
    out = Path(out)
    figures = [plot_outcomes_over_time(per_scenario, out / "outcomes_over_time.png"),
               plot_cap_utilisation(per_scenario, out / "cap_utilisation.png"),
               plot_diversion_by_transit(per_scenario, out / "diversion_by_transit.png")]
    return [figure for figure in figures if figure is not None]


def plot_outcomes_over_time(per_scenario: dict[str, Results], path: Path) -> Path:
    """Plot the headline outcomes month by month: median and 5-95% band over runs."""
    fig, axes = plt.subplots(2, 3, figsize=(16, 8.5), sharex=True)
    colours = plt.colormaps["tab10"]
    for number, (name, results) in enumerate(per_scenario.items()):
        dates = pd.to_datetime(list(results.dates))
        for axis, (_title, _unit, series) in zip(axes.flat, PANELS, strict=True):
            values = series(results)
            if np.isnan(values).all():
                continue
            low, mid, high = np.full((3, values.shape[1]), np.nan)
            months = ~np.isnan(values).all(axis=0)  # e.g. months without a binding cap: a gap
            low[months], mid[months], high[months] = np.nanpercentile(
                values[:, months], [5, 50, 95], axis=0)
            axis.plot(dates, mid, color=colours(number), label=name, linewidth=1.6)
            axis.fill_between(dates, low, high, color=colours(number), alpha=0.18, linewidth=0)
    for axis, (title, unit, _series) in zip(axes.flat, PANELS, strict=True):
        axis.set_title(title, fontsize=11)
        axis.set_ylabel(unit)
        if "H100e" in unit:  # whole H100e with thousands separators, never a 1e6 offset
            axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        axis.grid(alpha=0.3)
        axis.tick_params(axis="x", labelrotation=30)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), frameon=False)
    runs = max(r.n_runs for r in per_scenario.values())
    fig.suptitle(f"Outcomes by scenario (median of {runs} runs, band = 5th-95th percentile)")
    fig.tight_layout(rect=(0, 0.07, 1, 0.96))
    return save_figure(fig, path)


def plot_cap_utilisation(per_scenario: dict[str, Results], path: Path) -> Path | None:
    """Heatmaps of each Tier 2 country's cap use over time, one per capped scenario.

    Returns ``None`` (and writes nothing) when no scenario has tiered caps.
    """
    shares = {n: tier2_cap_share_over_time(r) for n, r in per_scenario.items()}
    capped = {n: r for n, r in per_scenario.items() if shares[n] is not None}
    if not capped:
        return None
    fig, axes = plt.subplots(1, len(capped), figsize=(6.5 * len(capped), 6), squeeze=False,
                             layout="constrained")
    image = None
    for axis, (name, results) in zip(axes[0], capped.items(), strict=True):
        mask = np.asarray(results.tiers) == 2
        share = shares[name].mean(axis=0)
        image = axis.imshow(share.T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
        axis.set_yticks(range(int(mask.sum())), np.asarray(results.countries)[mask])
        ticks = range(0, len(results.dates), 6)
        axis.set_xticks(list(ticks), [results.dates[t] for t in ticks], rotation=30)
        axis.set_title(f"{name}: Tier 2 cap used")
        axis.set_xlabel("month")
    fig.colorbar(image, ax=axes[0].tolist(), label="share of country cap used (mean over runs)")
    return save_figure(fig, path)


def plot_diversion_by_transit(per_scenario: dict[str, Results], path: Path) -> Path | None:
    """Bars of diversion attempted, seized and delivered by transit country, per scenario.

    Returns ``None`` (and writes nothing) when no scenario has any diversion.
    """
    labels = (("diversion_attempted_tpp", "attempted"), ("diversion_seized_tpp", "seized"),
              ("diverted_tpp", "delivered"))
    totals = {name: {label: r.metric(m).sum(axis=1).mean(axis=0) / H100E_TPP
                     for m, label in labels} for name, r in per_scenario.items()}
    active = {n: t for n, t in totals.items() if t["attempted"].sum() > 0}
    if not active:
        return None
    countries = np.asarray(next(iter(per_scenario.values())).countries)
    used = np.any([t["attempted"] > 0 for t in active.values()], axis=0)
    n_cols = min(3, len(active))
    n_rows = -(-len(active) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.6 * n_cols, 4.2 * n_rows), sharex=True,
                             sharey=True, squeeze=False)
    positions = np.arange(int(used.sum()))
    colours = {"attempted": "#999999", "seized": "#d62728", "delivered": "#1f77b4"}
    for axis in axes.flat[len(active):]:
        axis.set_visible(False)
    for axis, (name, total) in zip(axes.flat, active.items(), strict=False):
        for offset, (_metric, label) in zip((-0.27, 0.0, 0.27), labels, strict=True):
            axis.barh(positions + offset, total[label][used], height=0.26, label=label,
                      color=colours[label])
        axis.set_title(name, fontsize=10)
        axis.set_xlabel("H100e over the window (mean of runs)")
        axis.grid(axis="x", alpha=0.3)
    for axis in axes[:, 0]:
        axis.set_yticks(positions, countries[used])
        axis.set_ylabel("transit country")
    axes[0][0].legend(loc="lower right")
    fig.suptitle("Diversion through transit countries")
    fig.tight_layout()
    return save_figure(fig, path)
