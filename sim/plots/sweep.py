"""Figures of a finished sweep: responses to each parameter, Sobol indices.

Units follow :data:`sim.experiment.outcomes.OUTCOMES` (H100-equivalents, a
share of the cap, or a multiple of list price).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.experiment.numbers import compact
from sim.experiment.outcomes import OUTCOMES
from sim.experiment.parameters import Parameter
from sim.plots.style import readable_axis, readable_log_axis, save_figure, wrap
from sim.reference import H100E_TPP
from sim.sweep.analysis import (
    NEAR_CONSTANT,
    near_constant,
    noise_range,
    replicate_sd,
    varying_outcomes,
)
from sim.sweep.runner import SweepReport
from sim.sweep.spec import SweepSpec

__all__ = ["plot_responses", "plot_sensitivity", "sweep_figures"]

_BINS = 8
_LEAST_SPAN = 0.02
"""A response panel's y axis spans at least this share of the outcome's level, so that noise
on a large, near-constant outcome is drawn flat (assumption: 2%, a change a reader would
not call a response)."""


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
    between the 5th and 95th percentile of point means there. A response
    whose range (of that line) noise alone would reach in 95% of sweeps
    (:func:`_responds`, :func:`~sim.sweep.analysis.noise_range`) is drawn
    grey and dashed and marked "no response beyond noise"; an outcome with no
    response beyond noise to any parameter gets no row, but is named at the
    foot. Y axes carry plain numbers (no offset) and span at least 2% of the
    outcome's level, so a tiny response on a large outcome stays flat.
    """
    runs_each = spec.runs_per_point  # with posterior draws, the noise carries their spread
    noise = replicate_sd(runs) if runs_each > 1 else pd.Series(np.nan, index=outcomes)
    point_se = noise / np.sqrt(runs_each)
    responding = {o: [not near_constant(means[o].to_numpy(dtype=float))
                      and _responds(means, p, o, float(point_se[o])) for p in spec.parameters]
                  for o in outcomes}
    shown_outcomes = [o for o in outcomes if any(responding[o])] or outcomes
    flat = [o for o in outcomes if o not in shown_outcomes]
    n_rows, n_cols = len(shown_outcomes), len(spec.parameters)
    width = 3.6 * n_cols + 1.2
    footer = wrap("No response beyond noise to any parameter, or near-constant (under "
                  f"{NEAR_CONSTANT:.1%} variation across points; not drawn): " + ", ".join(flat),
                  int(width * 13)) if flat else ""
    foot = 0.6 + 0.16 * (footer.count("\n") + 1) if flat else 0.6  # inches under the panels
    height = 2.5 * n_rows + 1.0 + foot
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(width, height), squeeze=False,
                             sharex="col")
    for col, parameter in enumerate(spec.parameters):
        for row, outcome in enumerate(shown_outcomes):
            _response_panel(axes[row, col], runs, means, parameter, outcome,
                            responds=responding[outcome][col])
            if col == 0:
                axes[row, col].set_ylabel(wrap(OUTCOMES[outcome]), fontsize=8)
            if row == 0:
                axes[row, col].set_title(parameter.key, fontsize=10)
            if row == n_rows - 1:
                axes[row, col].set_xlabel(parameter.key + (" (log scale)" if parameter.log
                                                           else ""), fontsize=8)
    fig.suptitle(f"Sweep {spec.name}: outcomes against each parameter "
                 f"({spec.points} points x {_runs_each(spec)}, {spec.design} design)")
    handles = [plt.Line2D([], [], ls="", marker=".", color="0.6", label="one run"),
               plt.Line2D([], [], ls="", marker="o", color="C0", label="point mean"),
               plt.Line2D([], [], color="C3", label="mean response"),
               plt.Rectangle((0, 0), 1, 1, color="C3", alpha=0.2,
                             label="5-95% of point means"),
               plt.Line2D([], [], color="0.5", ls="--",
                          label="no response beyond noise (a range noise alone gives in 95% "
                                "of sweeps)")]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=8)
    if flat:
        fig.text(0.5, 0.6 / height, footer, ha="center", va="bottom", fontsize=8)
    fig.tight_layout(rect=(0, foot / height, 1, 1 - 0.5 / height))
    return save_figure(fig, path)


def _responds(means: pd.DataFrame, parameter: Parameter, outcome: str,
              point_se: float) -> bool:
    """Return whether the mean response of ``outcome`` to ``parameter`` is more than noise.

    The range of the mean response over its k groups must reach
    ``noise_range(k)`` standard errors of a group's mean: from the spread of
    the point means within each group (it holds the run-to-run noise, less
    under common seeds, and the other parameters' effects), or, where every
    group has one point, ``point_se`` (a point mean's standard error from its
    replicates). Without either estimate a varying outcome responds.
    """
    x, _ = _positions(means, means, parameter)
    *_, mid, _low, _high, se = _binned(x, means[outcome].to_numpy(dtype=float),
                                       by_level=_by_level(means, parameter))
    if mid.size < 2:
        return False
    known = np.isfinite(se)
    noise = np.sqrt(np.mean(se[known] ** 2)) if known.any() else point_se
    return bool(not np.isfinite(noise) or np.ptp(mid) > noise_range(mid.size) * noise)


def _by_level(means: pd.DataFrame, parameter: Parameter) -> bool:
    return _categorical(means, parameter) or parameter.levels > 0


def _categorical(means: pd.DataFrame, parameter: Parameter) -> bool:
    return not parameter.is_range or not all(isinstance(v, int | float)
                                             for v in means[parameter.key])


def _positions(runs: pd.DataFrame, means: pd.DataFrame,
               parameter: Parameter) -> tuple[np.ndarray, np.ndarray]:
    """Return the x of every run and of every point mean (a level's index if categorical)."""
    if _categorical(means, parameter):
        labels = [_level_label(parameter.key, v) for v in parameter.grid()]
        position = {label: i for i, label in enumerate(labels)}

        def place(values: pd.Series) -> np.ndarray:
            return np.array([position[_level_label(parameter.key, v)] for v in values], float)

        return place(runs[parameter.key]), place(means[parameter.key])
    return (runs[parameter.key].to_numpy(dtype=float),
            means[parameter.key].to_numpy(dtype=float))


def _response_panel(ax: plt.Axes, runs: pd.DataFrame, means: pd.DataFrame,
                    parameter: Parameter, outcome: str, responds: bool = True) -> None:
    x_runs, x_means = _positions(runs, means, parameter)
    if _categorical(means, parameter):
        labels = [_level_label(parameter.key, v) for v in parameter.grid()]
        ax.set_xticks(range(len(labels)), labels, fontsize=7, rotation=20)
    elif parameter.log:
        ax.set_xscale("log")
        readable_log_axis(ax.xaxis)
    y_runs = runs[outcome].to_numpy(dtype=float)
    ax.plot(x_runs, y_runs, ".", color="0.75", ms=2, zorder=1)
    ax.plot(x_means, means[outcome].to_numpy(dtype=float), "o", color="C0", ms=3, alpha=0.7,
            zorder=2)
    centre, mid, low, high, _se = _binned(x_means, means[outcome].to_numpy(dtype=float),
                                     by_level=_by_level(means, parameter))
    if responds:
        ax.plot(centre, mid, "-", color="C3", lw=1.8, zorder=3)
        ax.fill_between(centre, low, high, color="C3", alpha=0.2, lw=0, zorder=0)
    else:
        ax.plot(centre, mid, "--", color="0.5", lw=1.4, zorder=3)
        ax.text(0.5, 0.94, "no response beyond noise",
                transform=ax.transAxes, ha="center", va="top", fontsize=7, color="0.3")
    _least_span(ax, y_runs)
    readable_axis(ax.yaxis, "compact")
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def _least_span(ax: plt.Axes, values: np.ndarray) -> None:
    """Widen the y axis to at least :data:`_LEAST_SPAN` of the values' level, centred."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return
    low, high = ax.get_ylim()
    level = float(np.abs(finite).mean())
    if high - low < _LEAST_SPAN * level:
        centre = (finite.min() + finite.max()) / 2
        ax.set_ylim(centre - _LEAST_SPAN * level / 2, centre + _LEAST_SPAN * level / 2)


def _level_label(key: str, value: object) -> str:
    """Return a tick label: numbers with separators, TPP also in H100e."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    text = f"{value:,.6g}" if isinstance(value, float) else f"{value:,}"
    if key.endswith("_tpp"):
        text += f"\n({value / H100E_TPP:,.0f} H100e)"
    return text


def _binned(x: np.ndarray, y: np.ndarray,
            by_level: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return centre, mean, 5th and 95th percentile, standard error of ``y`` per group of ``x``.

    A group is a level of ``x`` or one of eight equal-count bins; the standard
    error of its mean is NaN for a group of one point.
    """
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
                       np.percentile(y[g], 95),
                       y[g].std(ddof=1) / np.sqrt(g.sum()) if g.sum() > 1 else np.nan)
                      for g in groups]).reshape(-1, 5)
    return stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3], stats[:, 4]


def plot_sensitivity(indices: pd.DataFrame, spec: SweepSpec, path: Path) -> Path | None:
    """Bar chart of first-order and total Sobol indices with 95% intervals, per outcome.

    A near-constant outcome (``near_constant`` in ``indices``,
    :func:`~sim.sweep.analysis.near_constant`) gets no bars, only its
    standard deviation: shares of a negligible variance are not effects.
    """
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
        ax.set_xticks(x, [k.split(".", 1)[-1] for k in keys], fontsize=7, rotation=25,
                      ha="right")
        ax.set_title(wrap(OUTCOMES[outcome], 45), fontsize=9)
        ax.axhline(0, color="0.3", lw=0.8)
        if "near_constant" in table and table["near_constant"].all():
            ax.text(0.5, 0.55, wrap(f"no variance to apportion: near-constant (SD "
                                    f"{compact(float(table['outcome_sd'].iloc[0]))}, under "
                                    f"{NEAR_CONSTANT:.1%} of its level)", 30),
                    transform=ax.transAxes, ha="center", va="center", fontsize=8, color="0.3")
            continue
        ax.bar(x - 0.18, table["S1"], 0.36, yerr=table["S1_conf"], capsize=3,
               label="first order S1", color="C0")
        ax.bar(x + 0.18, table["ST"], 0.36, yerr=table["ST_conf"], capsize=3,
               label="total ST", color="C1")
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.flat[len(outcomes):]:
        ax.set_visible(False)
    for row in axes[:, 0]:
        row.set_ylabel("Sobol index (share of variance)")
    handles, labels = max((ax.get_legend_handles_labels() for ax in axes.flat),
                          key=lambda found: len(found[0]))  # a near-constant panel has none
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
    fig.suptitle(f"Sweep {spec.name}: Sobol sensitivity indices with 95% bootstrap intervals "
                 f"(Saltelli design, N = {spec.base_samples}, {_runs_each(spec)} "
                 "averaged per point)", fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    return save_figure(fig, path)


def _runs_each(spec: SweepSpec) -> str:
    """Return what each point's runs are: ``"4 replicates"`` (``" x 10 posterior draws"``)."""
    draws = f" x {len(spec.posterior)} posterior draws" if spec.posterior else ""
    return f"{spec.replicates} replicates{draws}"
