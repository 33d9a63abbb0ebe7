"""Figures of a calibration: the posterior, its pairs, and the model against each target.

Every figure has a title, axis labels with units, and the published range
drawn as a band next to the model's distribution; each is written as a PNG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np

from sim.calibration.abc import Posterior
from sim.calibration.targets import Target
from sim.experiment.parameters import Parameter
from sim.plots.style import save_figure

__all__ = ["calibration_figures", "plot_pairs", "plot_posterior", "plot_targets"]

_HORIZONTAL = ({"orientation": "horizontal"}
               if tuple(int(v) for v in matplotlib.__version__.split(".")[:2]) >= (3, 10)
               else {"vert": False})
"""Horizontal box plots (``vert`` is deprecated from Matplotlib 3.10)."""

PRIOR_COLOUR = "#b8b8b8"
POSTERIOR_COLOUR = "#1f77b4"
BAND_COLOUR = "#f4a259"


def _save(fig: plt.Figure, path: Path, dpi: int = 110) -> Path:
    """Write ``fig`` as a PNG cropped to what is drawn, close it, return ``path``."""
    return save_figure(fig, path, dpi=dpi, bbox_inches="tight")


def calibration_figures(posterior: Posterior, out: str | Path,
                        shipped: Mapping[str, float] | None = None) -> list[Path]:
    """Draw the figures of a calibration into ``out``; return the files written.

    ``posterior.png`` (with ``shipped`` values, if given, as dashed lines),
    ``posterior_pairs.png`` and ``targets.png`` (prior and posterior
    predictive distributions against each published range).
    """
    out = Path(out)
    predictive = [{"prior predictive": posterior.prior_statistics[:, k].ravel(),
                   "posterior predictive": posterior.statistics[:, k].ravel()}
                  for k in range(len(posterior.target_set.targets))]
    return [plot_posterior(posterior, out / "posterior.png", shipped),
            plot_pairs(posterior, out / "posterior_pairs.png"),
            plot_targets(posterior.target_set.targets, predictive, out / "targets.png",
                         "Model against published figures (box: middle half of runs; "
                         "whiskers: 5th to 95th percentile)")]


def _bins(parameter: Parameter, n: int = 30) -> np.ndarray:
    if parameter.scale == "log":
        return np.geomspace(parameter.low, parameter.high, n + 1)
    return np.linspace(parameter.low, parameter.high, n + 1)


def _log_axis_labels(axis: matplotlib.axis.Axis, low: float, high: float,
                     crowded: bool = False) -> None:
    """Plain numbers on a log axis: 1, 2, 5 per decade on short spans, else 1 per decade."""
    few = crowded or high / low > 300
    axis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0,) if few else (1.0, 2.0, 5.0)))
    axis.set_major_formatter(mticker.FuncFormatter(_plain))
    axis.set_minor_formatter(mticker.NullFormatter())


def _plain(value: float, _position: object = None) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def _fractions(values: np.ndarray) -> np.ndarray:
    return np.full(len(values), 1.0 / max(1, len(values)))


def _legend_entries(axes: Sequence[plt.Axes]) -> tuple[list, list[str]]:
    """Legend handles and labels of all panels, each label once."""
    entries: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    return list(entries.values()), list(entries)


def _grid(n: int, columns: int, size: tuple[float, float]) -> tuple[plt.Figure, np.ndarray]:
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(size[0] * columns, size[1] * rows),
                             squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat[:n]


def plot_posterior(posterior: Posterior, path: Path,
                   shipped: Mapping[str, float] | None = None) -> Path:
    """Histogram of each parameter: prior draws, accepted draws, calibrated value.

    Parameters
    ----------
    posterior : Posterior
    path : Path
        PNG to write.
    shipped : mapping of key to value, optional
        Values the shipped scenario holds, drawn as dashed lines.
    """
    parameters = posterior.target_set.parameters
    calibrated = posterior.calibrated()
    fig, axes = _grid(len(parameters), 4, (3.6, 2.7))
    for j, (ax, p) in enumerate(zip(axes, parameters, strict=True)):
        bins = _bins(p)
        prior, accepted = posterior.prior_values[:, j], posterior.values[:, j]
        ax.hist(prior, bins=bins, weights=_fractions(prior), color=PRIOR_COLOUR,
                label="prior draws (round 0)")
        ax.hist(accepted, bins=bins, weights=_fractions(accepted), color=POSTERIOR_COLOUR,
                alpha=0.75, label="accepted (posterior)")
        ax.axvline(calibrated[p.key], color="black", lw=1.5, label="calibrated (medoid)")
        if shipped and p.key in shipped:
            ax.axvline(shipped[p.key], color="#d62728", lw=1.2, ls="--", label="shipped value")
        if p.scale == "log":
            ax.set_xscale("log")
            _log_axis_labels(ax.xaxis, p.low, p.high)
        ax.set_title(p.label, fontsize=10)
        ax.set_xlabel(p.unit, fontsize=8)
        ax.set_ylabel("share of sets", fontsize=8)
        ax.tick_params(labelsize=8)
    handles, labels = _legend_entries(axes)
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False,
               bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(f"Posterior of the behavioural parameters: {len(posterior.values)} accepted "
                 f"sets of {posterior.simulations} simulated (ABC, tolerance "
                 f"{posterior.epsilon:.2f})", fontsize=12)
    fig.tight_layout(rect=(0, 0.03, 1, 0.97))
    return _save(fig, path)


def plot_pairs(posterior: Posterior, path: Path) -> Path:
    """Scatter of every pair of parameters over the accepted sets (lower triangle)."""
    parameters = posterior.target_set.parameters
    d = len(parameters)
    fig, axes = plt.subplots(d, d, figsize=(1.45 * d, 1.45 * d), squeeze=False)
    colour = posterior.distances
    for i, pi in enumerate(parameters):
        for j, pj in enumerate(parameters):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                ax.hist(posterior.values[:, j], bins=_bins(pj, 20), color=POSTERIOR_COLOUR)
                ax.set_yticks([])
            else:
                ax.scatter(posterior.values[:, j], posterior.values[:, i], s=3, c=colour,
                           cmap="viridis")
                ax.set_ylim(pi.low, pi.high)
                if pi.scale == "log":
                    ax.set_yscale("log")
                    _log_axis_labels(ax.yaxis, pi.low, pi.high, crowded=True)
            ax.set_xlim(pj.low, pj.high)
            if pj.scale == "log":
                ax.set_xscale("log")
                _log_axis_labels(ax.xaxis, pj.low, pj.high, crowded=True)
            ax.tick_params(labelsize=5)
            if i == d - 1:
                ax.set_xlabel(pj.label, fontsize=7)
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(pi.label, fontsize=7)
            elif j > 0:
                ax.set_yticklabels([])
    fig.suptitle("Accepted parameter sets, pair by pair (colour: distance, darker = closer; "
                 "axes span the prior)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    return _save(fig, path, dpi=85)


def _log_axis(target: Target) -> bool:
    return target.high / target.low > 5


def plot_targets(targets: Sequence[Target], distributions: Sequence[Mapping[str, np.ndarray]],
                 path: Path, title: str) -> Path:
    """One panel per target: the published range as a band, the model as box plots.

    Parameters
    ----------
    targets : sequence of Target
    distributions : sequence of mapping of label to ndarray
        For each target, the model's values under each label (e.g. "prior
        predictive", "calibrated scenario"), drawn top to bottom.
    path : Path
    title : str
    """
    fig, axes = _grid(len(targets), 2, (6.4, 2.3))
    for ax, target, series in zip(axes, targets, distributions, strict=True):
        labels = list(series)
        ax.axvspan(target.low, target.high, color=BAND_COLOUR, alpha=0.35,
                   label="published range")
        ax.axvline(target.value, color=BAND_COLOUR, lw=2, label="published figure")
        data = [np.asarray(series[k], dtype=float) for k in labels]
        floor = target.low / 20 if _log_axis(target) else None
        shown = [np.maximum(v, floor) if floor else v for v in data]
        ax.boxplot(shown, **_HORIZONTAL, whis=(5, 95), showfliers=False, widths=0.55,
                   medianprops={"color": "black"},
                   boxprops={"facecolor": POSTERIOR_COLOUR, "alpha": 0.6},
                   patch_artist=True)
        ax.set_yticks(range(1, len(labels) + 1), labels, fontsize=8)
        ax.invert_yaxis()
        if _log_axis(target):
            ax.set_xscale("log")
            left, right = ax.get_xlim()
            _log_axis_labels(ax.xaxis, left, right)
        role = "fitted" if target.role == "fit" else "check only, not fitted"
        ax.set_title(f"{target.label} ({role})", fontsize=9.5)
        ax.set_xlabel(target.unit, fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
    handles, names = _legend_entries(axes)
    fig.legend(handles, names, loc="lower center", ncol=2, frameon=False,
               bbox_to_anchor=(0.5, -0.01))
    fig.suptitle(title, fontsize=12)
    fig.tight_layout(rect=(0, 0.025, 1, 0.98))
    return _save(fig, path)
