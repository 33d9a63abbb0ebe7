"""Figures for scenario comparisons: outcomes over time, cap use, diversion routes.

Every figure is in H100-equivalents (or a share, or a multiple of list price),
has a title, axis labels with units and a legend, and is written as a PNG.
A figure takes each scenario's :class:`~sim.results.Results` or, from a
streamed comparison, its :class:`~sim.experiment.panels.Panels` (what the
figure draws of the runs): the same file either way, byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from sim.errors import shown
from sim.experiment.numbers import compact
from sim.experiment.outcomes import OUTCOMES
from sim.experiment.panels import DIVERSION, MARKET, PANELS, Panels
from sim.plots.style import figure_title, readable_axis, save_figure, wrap
from sim.results import Results

__all__ = [
    "compare_figures", "plot_cap_utilisation", "plot_differences", "plot_diversion_by_transit",
    "plot_market", "plot_outcomes_over_time",
]

Runs = Mapping[str, Results | Panels]
"""Each scenario's runs by name, in order: all of them, or their :class:`Panels` (streamed)."""


def _panels(per_scenario: Runs) -> dict[str, Panels]:
    return {name: runs if isinstance(runs, Panels) else Panels.of(runs)
            for name, runs in per_scenario.items()}


def compare_figures(per_scenario: Runs, out: str | Path,
                    differences: pd.DataFrame | None = None,
                    runs_label: str | None = None) -> list[Path]:
    """Draw every comparison figure into ``out``; return the files written.

    ``runs_label`` says in each title what the runs are (default ``"N runs"``;
    with posterior draws, :attr:`sim.experiment.compare.Comparison.runs_label`).

    ``outcomes_over_time.png`` and ``market.png`` always; ``cap_utilisation.png`` if a scenario
    has tiered caps, ``diversion_by_transit.png`` if one has diversion, and
    ``differences.png`` given the paired ``differences`` from a baseline
    (:func:`sim.experiment.differences.paired_differences`).
    """
    out, per_scenario = Path(out), _panels(per_scenario)
    baseline = None if differences is None else str(differences["baseline"].iloc[0])
    figures = [plot_outcomes_over_time(per_scenario, out / "outcomes_over_time.png", baseline,
                                       runs_label),
               plot_cap_utilisation(per_scenario, out / "cap_utilisation.png"),
               plot_diversion_by_transit(per_scenario, out / "diversion_by_transit.png",
                                         runs_label),
               plot_market(per_scenario, out / "market.png", runs_label)]
    if differences is not None:
        figures.append(plot_differences(differences, out / "differences.png", runs_label))
    return [figure for figure in figures if figure is not None]


def plot_outcomes_over_time(per_scenario: Runs, path: Path, baseline: str | None = None,
                            runs_label: str | None = None) -> Path:
    """Small multiples of the outcomes month by month: a row per outcome, a column per scenario.

    Each panel has one scenario's mean over runs (the statistic of
    ``summary.csv``) and a light band from the 5th to the 95th percentile;
    a row shares its y axis, so panels compare at a glance. The flow rows
    state the window total or the end value (mean over runs). Given a ``baseline``, its mean
    is drawn grey and dashed in every other scenario's panel.
    """
    per_scenario = _panels(per_scenario)
    names = list(per_scenario)
    n_rows, n_cols = len(PANELS), len(names)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.3 * n_cols + 1.6, 1.55 * n_rows + 1.4),
                             sharex=True, sharey="row", squeeze=False)
    means = {}
    for col, name in enumerate(names):
        panels = per_scenario[name]
        dates = pd.to_datetime(list(panels.dates))
        for row, ((_title, unit, _series, stated), band) in enumerate(
                zip(PANELS, panels.over_time, strict=True)):
            axis = axes[row, col]
            means[row, name] = (dates, band.mean)
            if band.empty:
                axis.text(0.5, 0.5, "none in force" if "share" in unit else "none",
                          transform=axis.transAxes, ha="center", va="center", fontsize=8,
                          color="0.4")
                continue
            axis.fill_between(dates, band.low, band.high, color=f"C{col % 10}", alpha=0.15,
                              linewidth=0)
            axis.plot(dates, band.mean, color=f"C{col % 10}", linewidth=1.6, zorder=3)
            if stated:
                axis.text(0.03, 0.95, f"{stated} {compact(band.whole)}",
                          transform=axis.transAxes,
                          ha="left", va="top", fontsize=8,
                          bbox={"facecolor": "white", "alpha": 0.7, "linewidth": 0, "pad": 1})
    if baseline in per_scenario:
        for row, name in means:
            if name != baseline and not np.isnan(means[row, baseline][1]).all():
                axes[row, names.index(name)].plot(*means[row, baseline], color="0.45",
                                                  linewidth=1.0, linestyle="--", zorder=2)
    for col, name in enumerate(names):
        axes[0, col].set_title(wrap(shown(name), 26), fontsize=9)
    for row, (title, unit, _series, _stated) in enumerate(PANELS):
        axes[row, 0].set_ylabel(f"{wrap(title, 20)}\n({unit})", fontsize=8)
        for axis in axes[row]:
            if "H100e" in unit:
                readable_axis(axis.yaxis)
            axis.set_ylim(bottom=0)
            axis.grid(alpha=0.3)
            axis.tick_params(labelsize=7)
    _year_ticks(axes[-1, 0], per_scenario[names[0]].dates)
    runs = runs_label or f"{max(p.n_runs for p in per_scenario.values())} runs"
    note = (f"; grey dashed: the baseline {shown(baseline)} (hidden where a scenario equals it)"
            if baseline in per_scenario else "")
    top = figure_title(fig, f"Outcomes by scenario over time: mean of {runs} (line) and "
                            "5th-95th percentile (band); totals are means over runs, as in "
                            f"summary.csv{note}")
    fig.tight_layout(rect=(0, 0, 1, top))
    return save_figure(fig, path)


def _year_ticks(axis: plt.Axes, dates: Sequence[str]) -> None:
    """Put a tick on January of every year (every second or third on long windows)."""
    years = len(dates) / 12
    axis.xaxis.set_major_locator(mdates.YearLocator(base=max(1, math.ceil(years / 3))))
    axis.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def plot_market(per_scenario: Runs, path: Path, runs_label: str | None = None) -> Path:
    """Each chip's market price, and the orders placed at it against what was shipped.

    A column per chip on the market (of the first scenario) that some
    scenario orders; a line per scenario, the mean over runs. The top row is
    the market price in USD (``market_price_usd``), drawn in the months the
    chip is ordered or shipped; the bottom row the chips ordered from the vendor
    with the licences they need (solid) and shipped (dotted), every
    destination together, so a shortage shows as a gap and a higher price.
    """
    per_scenario = _panels(per_scenario)
    names = list(per_scenario)
    traded = {chip for p in per_scenario.values() for k, chip in enumerate(p.chips)
              if (p.market["ordered_chips"][:, k] > 0).any()}
    chips = [c for c in per_scenario[names[0]].chips if c in traded] or list(
        per_scenario[names[0]].chips)
    fig, axes = plt.subplots(2, len(chips), figsize=(3.4 * len(chips) + 1.2, 5.6),
                             sharex=True, squeeze=False)
    for number, name in enumerate(names):
        panels, colour = per_scenario[name], f"C{number % 10}"
        dates = pd.to_datetime(list(panels.dates))
        price, ordered, shipped = (panels.market[m] for m in MARKET)
        for k, chip in enumerate(panels.chips):
            if chip not in chips:
                continue
            col = chips.index(chip)
            sold = (ordered[:, k] > 0) | (shipped[:, k] > 0)
            axes[0, col].plot(dates, np.where(sold, price[:, k], np.nan), color=colour,
                              linewidth=1.5,
                              label=shown(name))
            axes[1, col].plot(dates, ordered[:, k], color=colour, linewidth=1.5)
            axes[1, col].plot(dates, shipped[:, k], color=colour, linewidth=1.2, linestyle=":")
    for col, chip in enumerate(chips):
        axes[0, col].set_title(chip, fontsize=10)
        for row in (0, 1):
            axis = axes[row, col]
            readable_axis(axis.yaxis)
            axis.set_ylim(bottom=0)
            axis.grid(alpha=0.3)
            axis.tick_params(labelsize=7)
    axes[0, 0].set_ylabel("market price\n(USD a chip)", fontsize=8)
    axes[1, 0].set_ylabel("chips a month: ordered (solid)\nand shipped (dotted)", fontsize=8)
    _year_ticks(axes[-1, 0], per_scenario[names[0]].dates)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(names)), fontsize=8,
               frameon=False)
    runs = runs_label or f"{max(p.n_runs for p in per_scenario.values())} runs"
    top = figure_title(fig, f"The chip market by scenario: mean of {runs}; prices move "
                            "with last month's orders against output (docs/ODD.md 6.2a)")
    fig.tight_layout(rect=(0, 0.1 if len(names) > 4 else 0.06, 1, top))
    return save_figure(fig, path)


def plot_cap_utilisation(per_scenario: Runs, path: Path) -> Path | None:
    """Heatmaps of each Tier 2 country's cap use over time, one per capped scenario.

    Returns ``None`` (and writes nothing) when no scenario has tiered caps.
    """
    capped = {n: p for n, p in _panels(per_scenario).items() if p.cap_share is not None}
    if not capped:
        return None
    fig, axes = plt.subplots(1, len(capped), figsize=(6.5 * len(capped), 6), squeeze=False,
                             layout="constrained")
    image = None
    for axis, (name, panels) in zip(axes[0], capped.items(), strict=True):
        mask = np.asarray(panels.tiers) == 2
        image = axis.imshow(panels.cap_share.T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
        axis.set_yticks(range(int(mask.sum())), np.asarray(panels.countries)[mask])
        ticks = range(0, len(panels.dates), 6)
        axis.set_xticks(list(ticks), [panels.dates[t] for t in ticks], rotation=30)
        axis.set_title(f"{shown(name)}: Tier 2 cap used")
        axis.set_xlabel("month")
    fig.colorbar(image, ax=axes[0].tolist(), label="share of country cap used (mean over runs)")
    return save_figure(fig, path)


def plot_diversion_by_transit(per_scenario: Runs, path: Path,
                              runs_label: str | None = None) -> Path | None:
    """Bars of diversion that got through and that was seized, by transit country.

    A row per scenario with diversion; the two columns have their own
    scales, so seizures, often a small share, stay readable, and each bar
    states its value (seizures also as a share of what was attempted).
    Mean over runs of the totals over the window, in H100e.

    Returns ``None`` (and writes nothing) when no scenario has any diversion.
    """
    per_scenario = _panels(per_scenario)
    labels = dict(zip(DIVERSION, ("attempted", "seized", "delivered"), strict=True))
    totals = {name: {label: p.diversion[m] for m, label in labels.items()}
              for name, p in per_scenario.items()}
    active = {n: t for n, t in totals.items() if t["attempted"].sum() > 0}
    if not active:
        return None
    countries = np.asarray(next(iter(per_scenario.values())).countries)
    used = np.any([t["attempted"] > 0 for t in active.values()], axis=0)
    positions = np.arange(int(used.sum()))
    n_cols = len(active)
    fig, axes = plt.subplots(2, n_cols, figsize=(2.6 * n_cols + 1.2, 0.55 * len(positions) + 2.4),
                             sharex="row", sharey=True, squeeze=False)
    rows = (("delivered", "got through", "#1f77b4"), ("seized", "seized in transit", "#d62728"))
    for col, (name, total) in enumerate(active.items()):
        for row, (label, title, colour) in enumerate(rows):
            axis, values = axes[row, col], total[label][used]
            axis.barh(positions, values, height=0.7, color=colour)
            for y, value, tried in zip(positions, values, total["attempted"][used],
                                       strict=True):
                text = compact(value) if label == "delivered" or tried == 0 else (
                    f"{compact(value)} ({_share(value / tried)})")
                axis.annotate(text, (value, y), xytext=(2, 0), textcoords="offset points",
                              va="center", fontsize=7)
            axis.set_title(f"{wrap(shown(name), 26)}\n{title}", fontsize=9)
            axis.grid(axis="x", alpha=0.3)
            readable_axis(axis.xaxis, "compact")
            axis.xaxis.set_major_locator(MaxNLocator(3))
            axis.tick_params(labelsize=7)
    for row, (label, _title, _colour) in enumerate(rows):
        widest = max(total[label][used].max() for total in active.values())
        axes[row, 0].set_xlim(0, 1.55 * widest if widest > 0 else 1.0)  # room for the labels
        axes[row, 0].set_yticks(positions, countries[used], fontsize=8)
        axes[row, 0].set_ylabel("transit country", fontsize=8)
    axes[0, 0].invert_yaxis()
    runs = runs_label or f"{max(p.n_runs for p in per_scenario.values())} runs"
    fig.supxlabel("H100e over the window, mean of runs (each row has its own scale)",
                  fontsize=9)
    top = figure_title(fig, f"Diversion through transit countries ({runs}): what got "
                            "through (top) and was seized (bottom; in brackets, the share of "
                            "attempts seized)")
    fig.tight_layout(rect=(0, 0, 1, top))
    return save_figure(fig, path)


def _share(share: float) -> str:
    """Return a share as a percentage a reader can tell from zero: 3%, 0.4%, <0.1%."""
    if share >= 0.0095:  # rounds to 1% or more
        return f"{share:.0%}"
    return f"{share:.1%}" if share >= 0.00095 else ("0%" if share == 0 else "<0.1%")


def plot_differences(differences: pd.DataFrame, path: Path,
                     runs_label: str | None = None) -> Path | None:
    """One panel per outcome: each scenario's paired difference from the baseline.

    A dot is the mean difference over runs, the thick bar its 95% bootstrap
    interval, the thin line the 5th to 95th percentile of the per-run
    differences (:func:`sim.experiment.differences.paired_differences`).
    Returns ``None`` (and writes nothing) when the baseline is the only scenario.
    """
    baseline = str(differences["baseline"].iloc[0])
    others = differences[differences["scenario"] != baseline]
    if others.empty:
        return None
    outcomes = list(dict.fromkeys(others["outcome"]))
    scenarios = list(dict.fromkeys(others["scenario"]))
    n_cols = min(5, len(outcomes))
    n_rows = -(-len(outcomes) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.5 * n_cols + 1.2,
                                                      (0.3 * len(scenarios) + 1.1) * n_rows + 1.0),
                             sharey=True, squeeze=False)
    y = np.arange(len(scenarios))
    for axis, outcome in zip(axes.flat, outcomes, strict=False):
        rows = others[others["outcome"] == outcome].set_index("scenario").loc[scenarios]
        axis.axvline(0, color="0.3", linewidth=0.8)
        axis.set_title(wrap(OUTCOMES[outcome], 34), fontsize=8)
        if rows["difference_mean"].isna().all():
            axis.text(0.5, 0.5, "not defined: no value\nin the baseline or scenario",
                      transform=axis.transAxes, ha="center", va="center", fontsize=8,
                      color="0.4")
            axis.set_xticks([])
            continue
        axis.hlines(y, rows["difference_p05"], rows["difference_p95"], color="0.6", linewidth=1)
        axis.hlines(y, rows["difference_mean_ci_low"], rows["difference_mean_ci_high"],
                    color="C0", linewidth=4)
        axis.plot(rows["difference_mean"], y, "o", color="C3", markersize=4, zorder=3)
        readable_axis(axis.xaxis, "compact", signed=True)
        axis.xaxis.set_major_locator(MaxNLocator(4))
        axis.tick_params(labelsize=7)
        axis.grid(axis="x", alpha=0.3)
    for axis in axes.flat[len(outcomes):]:
        axis.set_visible(False)
    for axis in axes[:, 0]:
        axis.set_yticks(y, [shown(s) for s in scenarios], fontsize=8)
    axes[0, 0].invert_yaxis()
    runs = runs_label or f"{int(others['runs'].max()) if len(others) else 0} runs"
    top = figure_title(fig, f"Difference from the baseline {shown(baseline)}, run by run on the "
                            f"same seeds ({runs}): dot = mean, thick bar = its 95% bootstrap "
                            "interval, thin line = 5th-95th percentile of the runs' differences")
    fig.tight_layout(rect=(0, 0, 1, top))
    return save_figure(fig, path)
