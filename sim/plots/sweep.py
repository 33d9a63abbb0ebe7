"""Figures of a finished sweep: responses to each parameter, Sobol indices.

Units follow :data:`sim.experiment.outcomes.OUTCOMES` (H100-equivalents, a
share of the cap, or a multiple of list price).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.experiment.outcomes import OUTCOMES
from sim.experiment.parameters import Parameter
from sim.plots.style import save_figure, wrap
from sim.reference import H100E_TPP
from sim.sweep.analysis import varying_outcomes
from sim.sweep.runner import SweepReport
from sim.sweep.spec import SweepSpec

__all__ = ["plot_responses", "plot_sensitivity", "sweep_figures"]

_BINS = 8


def sweep_figures(report: SweepReport, out: str | Path) -> list[Path]:
    """Draw the figures of a complete sweep into ``out``; return the files written.

    ``responses.png`` if any outcome varies across points; for a
    ``saltelli`` design also ``sobol_indices.png`` (if any index was computed).

    Raises
    ------
    ValueError
        If the sweep is not complete (``report.failed`` is not empty).
    """
    out = Path(out)
    if report.runs is None or report.means is None:
        raise ValueError("a sweep's figures need every point; this sweep has failed chunks")
    files = []
    outcomes = varying_outcomes(report.means)
    if outcomes:
        files.append(plot_responses(report.runs, report.means, report.spec, outcomes,
                                    out / "responses.png"))
    if report.indices is not None:
        figure = plot_sensitivity(report.indices, report.spec, out / "sobol_indices.png")
        if figure is not None:
            files.append(figure)
    return files


def plot_responses(runs: pd.DataFrame, means: pd.DataFrame, spec: SweepSpec,
                   outcomes: list[str], path: Path) -> Path:
    """Plot each outcome against each swept parameter.

    Every run is a faint dot and every point's mean over replicates a dot;
    the line is the mean response at each level (a grid or a list) or in
    each of eight equal-count bins (a continuous design), with the band
    between the 5th and 95th percentile of point means there.
    """
    n_rows, n_cols = len(outcomes), len(spec.parameters)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.6 * n_cols + 1.2, 2.5 * n_rows + 1.0),
                             squeeze=False, sharex="col")
    for col, parameter in enumerate(spec.parameters):
        for row, outcome in enumerate(outcomes):
            _response_panel(axes[row, col], runs, means, parameter, outcome)
            if col == 0:
                axes[row, col].set_ylabel(wrap(OUTCOMES[outcome]), fontsize=8)
            if row == 0:
                axes[row, col].set_title(parameter.key, fontsize=10)
            if row == n_rows - 1:
                axes[row, col].set_xlabel(parameter.key + (" (log scale)" if parameter.log
                                                           else ""), fontsize=8)
    fig.suptitle(f"Sweep {spec.name}: outcomes against each parameter "
                 f"({spec.points} points x {spec.replicates} replicates, {spec.design} design)")
    handles = [plt.Line2D([], [], ls="", marker=".", color="0.6", label="one run"),
               plt.Line2D([], [], ls="", marker="o", color="C0", label="point mean"),
               plt.Line2D([], [], color="C3", label="mean response"),
               plt.Rectangle((0, 0), 1, 1, color="C3", alpha=0.2,
                             label="5-95% of point means")]
    fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return save_figure(fig, path)


def _response_panel(ax: plt.Axes, runs: pd.DataFrame, means: pd.DataFrame,
                    parameter: Parameter, outcome: str) -> None:
    categorical = not parameter.is_range or not all(
        isinstance(v, int | float) for v in means[parameter.key])
    if categorical:
        labels = [_level_label(parameter.key, v) for v in parameter.grid()]
        position = {label: i for i, label in enumerate(labels)}
        def place(values: pd.Series) -> np.ndarray:
            return np.array([position[_level_label(parameter.key, v)] for v in values], float)

        x_runs, x_means = place(runs[parameter.key]), place(means[parameter.key])
        ax.set_xticks(range(len(labels)), labels, fontsize=7, rotation=20)
    else:
        x_runs = runs[parameter.key].to_numpy(dtype=float)
        x_means = means[parameter.key].to_numpy(dtype=float)
        if parameter.log:
            ax.set_xscale("log")
    ax.plot(x_runs, runs[outcome].to_numpy(dtype=float), ".", color="0.75", ms=2, zorder=1)
    ax.plot(x_means, means[outcome].to_numpy(dtype=float), "o", color="C0", ms=3, alpha=0.7,
            zorder=2)
    centre, mid, low, high = _binned(x_means, means[outcome].to_numpy(dtype=float),
                                     by_level=categorical or parameter.levels > 0)
    ax.plot(centre, mid, "-", color="C3", lw=1.8, zorder=3)
    ax.fill_between(centre, low, high, color="C3", alpha=0.2, lw=0, zorder=0)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def _level_label(key: str, value: object) -> str:
    """Return a tick label: numbers with separators, TPP also in H100e."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    text = f"{value:,.6g}" if isinstance(value, float) else f"{value:,}"
    if key.endswith("_tpp"):
        text += f"\n({value / H100E_TPP:,.0f} H100e)"
    return text


def _binned(x: np.ndarray, y: np.ndarray,
            by_level: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return centre, mean, 5th and 95th percentile of ``y`` per level or bin of ``x``."""
    finite = np.isfinite(x) & np.isfinite(y)
    x, y = x[finite], y[finite]
    if by_level:
        groups = [x == level for level in np.unique(x)]
    else:
        edges = np.quantile(x, np.linspace(0, 1, min(_BINS, max(len(x), 1)) + 1))
        index = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        groups = [index == b for b in range(len(edges) - 1)]
    groups = [g for g in groups if g.any()]
    stats = np.array([(x[g].mean(), y[g].mean(), np.percentile(y[g], 5),
                       np.percentile(y[g], 95)) for g in groups]).reshape(-1, 4)
    return stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]


def plot_sensitivity(indices: pd.DataFrame, spec: SweepSpec, path: Path) -> Path | None:
    """Bar chart of first-order and total Sobol indices with 95% intervals, per outcome."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    if not outcomes:
        return None
    n_cols = min(3, len(outcomes))
    n_rows = -(-len(outcomes) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.8 * n_cols, 3.4 * n_rows + 0.8),
                             squeeze=False, sharey=True)
    keys = list(spec.keys)
    x = np.arange(len(keys))
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        table = indices[indices["outcome"] == outcome].set_index("parameter").loc[keys]
        ax.bar(x - 0.18, table["S1"], 0.36, yerr=table["S1_conf"], capsize=3,
               label="first order S1", color="C0")
        ax.bar(x + 0.18, table["ST"], 0.36, yerr=table["ST_conf"], capsize=3,
               label="total ST", color="C1")
        ax.set_xticks(x, [k.split(".", 1)[-1] for k in keys], fontsize=7, rotation=25,
                      ha="right")
        ax.set_title(wrap(OUTCOMES[outcome], 45), fontsize=9)
        ax.axhline(0, color="0.3", lw=0.8)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.flat[len(outcomes):]:
        ax.set_visible(False)
    for row in axes[:, 0]:
        row.set_ylabel("Sobol index (share of variance)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
    fig.suptitle(f"Sweep {spec.name}: Sobol sensitivity indices with 95% bootstrap intervals "
                 f"(Saltelli design, N = {spec.base_samples}, {spec.replicates} replicates "
                 "averaged per point)", fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    return save_figure(fig, path)
