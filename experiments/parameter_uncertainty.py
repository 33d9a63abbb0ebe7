"""How much wider a comparison's intervals get once parameter uncertainty is in them.

Runs each scenario on the same seeds twice:

* **seeds only**: the shipped scenario (base.toml's calibrated defaults, one
  parameter set) over ``--runs`` seeds, the intervals ``sim compare`` prints
  without ``--posterior``;
* **posterior draws x seeds**: ``--draws`` parameter sets drawn from the
  calibration's accepted sets (``scenarios/posterior/accepted.csv``, written
  by ``python experiments/validate.py``), each over the same ``--runs`` seeds,
  the runs and intervals of ``sim compare --posterior --runs R --draws D``.

Both kinds sample the seeds' noise alike, so what widens the second interval
is the parameters' uncertainty alone. (Splitting one budget of runs into draws
x fewer seeds made the heavy-tailed outcomes look *narrower* with draws: ten
seeds miss the tail that a hundred catch.)

Prints both intervals per scenario and outcome, writes them to
``intervals.csv`` and draws ``parameter_uncertainty.png``: one panel per
outcome, the two 5th-95th percentile intervals side by side per scenario.

Usage::

    python experiments/parameter_uncertainty.py --out results/parameter_uncertainty
    python experiments/parameter_uncertainty.py --figure docs/figures/parameter_uncertainty.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import sim
from sim.errors import UserError
from sim.experiment.outcomes import OUTCOMES, outcomes_per_run
from sim.experiment.posterior import load_posterior
from sim.plots import save_figure

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("oct2023", "ai_diffusion_2025", "diffusion_rescinded_2025", "strict_enforcement")
SHOWN = ("tier3_diverted_h100e", "tier2_received_h100e")
POSTERIOR = ROOT / "scenarios" / "posterior" / "accepted.csv"
SEEDS_ONLY, WITH_DRAWS = "seeds only (calibrated defaults)", "posterior draws x seeds"


def intervals(scenario_names: list[str], runs: int, draws: int, posterior: Path) -> pd.DataFrame:
    """5th, 50th and 95th percentiles per scenario, outcome and kind of run.

    Returns
    -------
    DataFrame
        Columns ``scenario``, ``outcome``, ``runs`` (the kind), ``p05``,
        ``median``, ``p95`` and ``n``.
    """
    chosen = load_posterior(posterior, draws)
    rows = []
    for name in scenario_names:
        path = ROOT / "scenarios" / f"{name}.toml"
        print(f"{name}: {runs} runs on the calibrated defaults, then {draws} draws x "
              f"the same {runs} seeds", file=sys.stderr)
        plain = outcomes_per_run(sim.run_batch(sim.load_scenario(path), np.arange(runs)))
        drawn = pd.concat([outcomes_per_run(sim.run_batch(sim.load_scenario(path, draw),
                                                          np.arange(runs)))
                           for draw in chosen.overrides()], ignore_index=True)
        for kind, frame in ((SEEDS_ONLY, plain), (WITH_DRAWS, drawn)):
            for outcome in SHOWN:
                low, median, high = np.percentile(frame[outcome], [5, 50, 95])
                rows.append({"scenario": name, "outcome": outcome, "runs": kind, "p05": low,
                             "median": median, "p95": high, "n": len(frame)})
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame, path: Path, draws: int, runs: int) -> Path:
    """Both intervals side by side, one panel per outcome."""
    names = list(dict.fromkeys(table["scenario"]))
    fig, axes = plt.subplots(1, len(SHOWN), figsize=(11, 1.4 + 0.75 * len(names)), sharey=True,
                             layout="constrained")
    colours = {SEEDS_ONLY: "0.55", WITH_DRAWS: "tab:blue"}
    for ax, outcome in zip(np.atleast_1d(axes), SHOWN, strict=True):
        for i, name in enumerate(names):
            for offset, kind in ((0.17, SEEDS_ONLY), (-0.17, WITH_DRAWS)):
                row = table[(table.scenario == name) & (table.outcome == outcome)
                            & (table.runs == kind)].iloc[0]
                y = i + offset
                ax.plot([row.p05 / 1e3, row.p95 / 1e3], [y, y], color=colours[kind], lw=5,
                        solid_capstyle="butt", label=kind if i == 0 else None)
                ax.plot(row["median"] / 1e3, y, "o", color="white", mec=colours[kind], ms=6)
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        ax.set_title(OUTCOMES[outcome].split(" (")[0].split(":")[0], fontsize=10)
        ax.set_xlabel("thousand H100e, 2025-2027", fontsize=9)
        ax.set_xlim(left=0)
        ax.grid(axis="x", alpha=0.3)
    fig.legend(*np.atleast_1d(axes)[0].get_legend_handles_labels(), loc="outside lower center",
               ncol=2, fontsize=9, frameon=False)
    fig.suptitle(f"5th-95th percentile (dot: median): {runs} seeds on one parameter set, "
                 f"against {draws} posterior draws x the same {runs} seeds", fontsize=10)
    return save_figure(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "parameter_uncertainty")
    parser.add_argument("--figure", type=Path, help="write the figure here instead of --out")
    parser.add_argument("--runs", type=int, default=100, help="seeds per parameter set")
    parser.add_argument("--draws", type=int, default=20, help="posterior draws")
    parser.add_argument("--posterior", type=Path, default=POSTERIOR,
                        help="accepted parameter sets (a calibration folder or its CSV)")
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS),
                        help="shipped scenario names")
    args = parser.parse_args(argv)
    try:
        if args.runs < 1 or args.draws < 1:
            raise UserError("--runs" if args.runs < 1 else "--draws", "",
                            f"expected at least 1, found {min(args.runs, args.draws)}")
        for name in args.scenarios:
            if not (ROOT / "scenarios" / f"{name}.toml").is_file():
                raise UserError("--scenarios", "", f"expected a shipped scenario name, found "
                                f"{name!r}")
        table = intervals(args.scenarios, args.runs, args.draws, args.posterior)
    except (UserError, sim.ScenarioError) as error:
        print(f"parameter_uncertainty: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "intervals.csv", index=False)
    figure = plot(table, args.figure or args.out / "parameter_uncertainty.png", args.draws,
                  args.runs)
    wide = table.pivot_table(index=["scenario", "outcome"], columns="runs",
                             values=["p05", "p95"])
    for (name, outcome), row in wide.iterrows():
        seed_width = row[("p95", SEEDS_ONLY)] - row[("p05", SEEDS_ONLY)]
        draw_width = row[("p95", WITH_DRAWS)] - row[("p05", WITH_DRAWS)]
        ratio = draw_width / seed_width if seed_width > 0 else float("inf")
        print(f"{name:26s} {outcome:22s} seeds only {row[('p05', SEEDS_ONLY)]:>10,.0f} to "
              f"{row[('p95', SEEDS_ONLY)]:>10,.0f}; with draws {row[('p05', WITH_DRAWS)]:>10,.0f}"
              f" to {row[('p95', WITH_DRAWS)]:>10,.0f} ({ratio:.1f}x as wide)")
    print(f"wrote {args.out / 'intervals.csv'} and {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
