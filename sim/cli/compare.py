"""``sim compare SCENARIO...``: the same seeds for each; summary table, summary.csv, figures."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from sim.cli.arguments import COUNT, EXIT_OK, SEED, add_force, add_overrides, parse_overrides
from sim.errors import shown
from sim.experiment.compare import PARTITION, compare_to_folder
from sim.experiment.folders import finish_output
from sim.experiment.numbers import compact
from sim.experiment.outcomes import OUTCOMES

__all__ = ["HELP", "add_arguments", "execute", "format_differences", "format_summary"]

HELP = "compare scenarios: results, summary.csv, figures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``compare`` command's arguments to ``parser``."""
    parser.add_argument("scenarios", nargs="+", help="scenario TOML files")
    parser.add_argument("--runs", type=COUNT, default=10, help="replicates per scenario")
    parser.add_argument("--seed", type=SEED, default=0, help="first seed")
    parser.add_argument("--out", help="output folder: new or empty, or an earlier `sim compare` "
                                      "with --force (default: results/compare-NAMES, the "
                                      "scenario names joined by -vs-)")
    parser.add_argument("--baseline", metavar="NAME",
                        help="a compared scenario's name: also write differences.csv and "
                             "differences.png, each scenario's paired difference from it "
                             "(default: none)")
    add_force(parser, "compare")
    add_overrides(parser, "override a value in every scenario")


def format_summary(summary: pd.DataFrame) -> str:
    """Return the summary as a terminal table: mean [5th, 95th percentile]."""
    table = pd.DataFrame(index=summary["scenario"])
    for outcome in OUTCOMES:
        cells = []
        for _, row in summary.iterrows():
            mean, low, high = (row[f"{outcome}_{s}"] for s in ("mean", "p05", "p95"))
            digits = 2 if outcome in ("tier2_cap_utilisation", "grey_premium_end") else 0
            cells.append("n/a" if np.isnan(mean) else
                         f"{mean:,.{digits}f} [{low:,.{digits}f}, {high:,.{digits}f}]")
        table[outcome] = cells
    return table.T.to_string()


def format_differences(differences: pd.DataFrame) -> str:
    """Return the paired differences as a terminal table: mean [95% interval of the mean].

    One row per outcome, one column per scenario other than the baseline;
    numbers are compact (``+1.2M``, ``-35k``).
    """
    baseline = differences["baseline"].iloc[0]
    others = differences[differences["scenario"] != baseline]
    if others.empty:
        return "(no scenario besides the baseline)"
    table = pd.DataFrame(index=list(dict.fromkeys(others["outcome"])))
    for scenario, rows in others.groupby("scenario", sort=False):
        table[scenario] = [
            "n/a" if np.isnan(row.difference_mean) else
            f"{compact(row.difference_mean, signed=True)} "
            f"[{compact(row.difference_mean_ci_low, signed=True)}, "
            f"{compact(row.difference_mean_ci_high, signed=True)}]"
            for row in rows.itertuples()]
    return table.to_string()


def execute(args: argparse.Namespace) -> int:
    """Run each scenario on seeds ``seed .. seed+runs-1``; write results, summary, figures."""
    given = None if args.out is None else Path(args.out)  # None: results/compare-NAMES
    comparison = compare_to_folder([Path(p) for p in args.scenarios], runs=args.runs,
                                   seed=args.seed, out=given, overrides=parse_overrides(args.set),
                                   force=args.force, baseline=args.baseline)
    out = comparison.out
    # deferred: the figures load Matplotlib, which every other command can skip
    from sim.plots.compare import compare_figures

    figures = compare_figures(comparison.per_scenario, out, comparison.differences)
    finish_output(out, "compare", [*comparison.files, *figures])
    print(f"{len(comparison.per_scenario)} scenarios x {args.runs} run(s), seeds {args.seed}.."
          f"{args.seed + args.runs - 1}; mean [5th, 95th percentile] over runs:")
    print(format_summary(comparison.summary))
    if comparison.differences is not None:
        print(f"\ndifference from '{shown(comparison.baseline)}', run by run on the same seeds: "
              "mean [95% bootstrap interval of the mean]:")
        print(format_differences(comparison.differences))
    for name, folder in comparison.folders.items():
        if folder.name != f"{PARTITION}={name}":  # a name made safe: say where it went
            print(f"results of {name!r}: {folder / 'results.parquet'}")
    print(f"summary: {out / 'summary.csv'}")
    if comparison.differences is not None:
        print(f"differences: {out / 'differences.csv'}")
    for figure in figures:
        print(f"figure:  {figure}")
    return EXIT_OK
