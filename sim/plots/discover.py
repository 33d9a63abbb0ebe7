"""Figures of scenario discovery: PRIM's coverage/density trade-off and the chosen box.

``tradeoff.png`` draws every box of the peeling trajectory, coverage against
density, coloured by how many swept keys it limits, as EMA Workbench's
``show_tradeoff`` does; the chosen box is ringed. ``box.png`` draws each swept
key's full range in grey and the chosen box's limits over it, with the limits'
quasi-p-values.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm
from matplotlib.ticker import PercentFormatter

from sim.plots.style import save_figure, wrap
from sim.sweep.discovery import Discovery, number, selection

__all__ = ["discover_figures", "plot_box", "plot_tradeoff"]


def discover_figures(found: Discovery, out: Path) -> list[Path]:
    """Draw ``tradeoff.png`` and ``box.png`` into ``out``; return the files written."""
    return [plot_tradeoff(found, out / "tradeoff.png"), plot_box(found, out / "box.png")]


def plot_tradeoff(found: Discovery, path: Path) -> Path:
    """Draw coverage against density of every box, coloured by the number of limited keys."""
    s, b = found.stats, found.chosen
    restricted = found.trajectory.restricted.sum(axis=1)
    most = max(int(restricted.max()), 1)
    cmap = plt.get_cmap("viridis", most + 1)
    norm = BoundaryNorm(np.arange(-0.5, most + 1.5), cmap.N)
    fig, ax = plt.subplots(figsize=(7.0, 5.0))
    points = ax.scatter(s["coverage"], s["density"], c=restricted, cmap=cmap, norm=norm,
                        s=28, edgecolors="none", zorder=2)
    ax.plot(s["coverage"], s["density"], color="0.8", lw=0.8, zorder=1)
    ax.scatter([s["coverage"][b]], [s["density"][b]], s=180, facecolors="none",
               edgecolors="crimson", linewidths=1.8, zorder=3)
    ax.annotate(f"chosen: box {b}\ncoverage {s['coverage'][b]:.0%}, density "
                f"{s['density'][b]:.0%}", (s["coverage"][b], s["density"][b]),
                xytext=(-14, -14), textcoords="offset points", ha="right", va="top",
                color="crimson",
                fontsize=9)
    ax.axvline(found.coverage_min, color="0.6", lw=0.8, ls="--")
    ax.text(found.coverage_min, 0.02, f" least coverage {found.coverage_min:.0%}",
            transform=ax.get_xaxis_transform(), fontsize=8, color="0.4")
    bar = fig.colorbar(points, ax=ax, ticks=np.arange(most + 1))
    bar.set_label("swept keys limited by the box")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1.02)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("coverage: share of the runs of interest inside the box")
    ax.set_ylabel("density: share of the box's runs that are of interest")
    ax.grid(alpha=0.3)
    ax.set_title(wrap(f"PRIM peeling trajectory: {selection(found)} ({len(s['n'])} boxes, "
                      "the first is the whole sweep)", 80), fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_box(found: Discovery, path: Path) -> Path:
    """Draw the chosen box's limits over each swept key's full range, with quasi-p-values."""
    t, b, s = found.trajectory, found.chosen, found.stats
    d = len(found.keys)
    fig, ax = plt.subplots(figsize=(9.0, 1.4 + 0.75 * d))
    for j in range(d):
        row = d - 1 - j
        scale = np.log if found.log[j] else (lambda v: v)
        low, high = scale(t.initial_lower[j]), scale(t.initial_upper[j])
        span = high - low

        def place(v: float, low: float = low, span: float = span, scale=scale) -> float:
            return float((scale(v) - low) / span)

        ax.barh(row, 1.0, left=0.0, height=0.5, color="0.88", zorder=1)
        start, end = place(t.lower[b, j]), place(t.upper[b, j])
        limited = bool(t.restricted[b, j])
        ax.barh(row, end - start, left=start, height=0.5, zorder=2,
                color="tab:blue" if limited else "0.65")
        ax.text(-0.02, row, number(t.initial_lower[j]), ha="right", va="center", fontsize=8)
        ax.text(1.02, row, number(t.initial_upper[j]), ha="left", va="center", fontsize=8)
        for value, where, p in ((t.lower[b, j], start, found.p_lower[b, j]),
                                (t.upper[b, j], end, found.p_upper[b, j])):
            if np.isfinite(p):
                ax.text(where, row + 0.32, f"{number(value)}\nquasi-p {p:.2g}",
                        ha="center", va="bottom", fontsize=8, color="tab:blue")
    ax.set_yticks(range(d), [k + ("\n(log scale)" if found.log[j] else "")
                             for j, k in reversed(list(enumerate(found.keys)))])
    ax.set_ylim(-0.5, d - 0.1)
    ax.set_xlim(-0.15, 1.15)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("light grey: the key's range in the sweep; blue: the chosen box "
                  "(dark grey: not limited)", fontsize=9)
    ax.set_title(wrap(f"Chosen box {b}: {selection(found)} in {s['density'][b]:.0%} of its "
                      f"{s['n'][b]} runs ({s['mass'][b]:.0%} of the sweep, "
                      f"{s['coverage'][b]:.0%} of such runs)", 70), fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
