"""Sweep enforcement against the Tier 2 cap size and draw the response surface.

Runs ``scenarios/sweeps/enforcement_vs_cap.toml`` (a 6 x 5 grid, resumable)
and draws heatmaps of the mean outcome at each (detection, cap) pair:
compute reaching Tier 3 by diversion, diversion seized, and the share of the
Tier 2 cap used. Writes ``enforcement_vs_cap.png`` beside the sweep's own
``responses.png``.

Usage::

    python experiments/enforcement_vs_cap.py --out results/enforcement_vs_cap
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from sim.cli import main as sim_main
from sim.experiment.outcomes import OUTCOMES
from sim.plots import save_figure
from sim.plots.style import readable_axis
from sim.reference import H100E_TPP

SWEEPS = Path(__file__).resolve().parent.parent / "scenarios" / "sweeps"
SWEEP = SWEEPS / "enforcement_vs_cap.toml"
PANELS = ("tier3_diverted_h100e", "diversion_seized_h100e", "tier2_cap_utilisation")
ROWS, COLUMNS = "enforcement.detection", "rules.cap_tpp"


def plot_surface(summary: pd.DataFrame, path: Path) -> Path:
    """Heatmaps of each panel's mean outcome over the (detection, cap) grid."""
    fig, axes = plt.subplots(1, len(PANELS), figsize=(5.6 * len(PANELS), 4.8))
    for ax, outcome in zip(axes, PANELS, strict=True):
        grid = summary.pivot(index=ROWS, columns=COLUMNS, values=outcome).sort_index(
            ascending=False)
        values = grid.to_numpy()
        image = ax.imshow(values, aspect="auto", cmap="viridis")
        ax.set_xticks(range(grid.shape[1]),
                      [f"{c / H100E_TPP:,.0f}" for c in grid.columns], fontsize=8)
        ax.set_yticks(range(grid.shape[0]), [f"{r:.2f}" for r in grid.index], fontsize=8)
        ax.set_xlabel("Tier 2 cap per country (H100e, 2025-2027)")
        ax.set_ylabel("detection (catch probability, average country)")
        ax.set_title(OUTCOMES[outcome], fontsize=10)
        bright = image.norm(values) > 0.6  # dark text on the yellow end of viridis
        for (i, j), value in pd.DataFrame(values).stack().items():
            text = f"{value:.2f}" if outcome == "tier2_cap_utilisation" else f"{value:,.0f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=6.5,
                    color="black" if bright[i, j] else "white")
        readable_axis(fig.colorbar(image, ax=ax, shrink=0.85).ax.yaxis)
    fig.suptitle("AI diffusion framework: enforcement against the Tier 2 cap "
                 "(mean over replicates per cell)")
    fig.tight_layout()
    return save_figure(fig, path)


def main() -> int:
    """Run the sweep (any further options go to ``sim sweep``) and draw the surface."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", default=str(SWEEP), help="sweep file (a detection x cap grid)")
    parser.add_argument("--out", default="results/enforcement_vs_cap", help="output folder")
    options, sweep_options = parser.parse_known_args()  # e.g. --workers 2, --scheduler local
    status = sim_main(["sweep", options.sweep, "--out", options.out, *sweep_options])
    if status:
        return status
    summary = pd.read_csv(Path(options.out) / "summary.csv")
    print(f"figure: {plot_surface(summary, Path(options.out) / 'enforcement_vs_cap.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
