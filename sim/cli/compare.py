"""``sim compare SCENARIO...``: the same seeds for each; summary table, summary.csv, figures."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from sim.cli.arguments import (
    COUNT,
    EXIT_OK,
    SEED,
    add_force,
    add_overrides,
    add_posterior,
    parse_overrides,
    posterior_of,
)
from sim.errors import shown
from sim.experiment.compare import PARTITION, compare_to_folder
from sim.experiment.folders import finish_output
from sim.experiment.numbers import compact
from sim.experiment.outcomes import OUTCOMES

__all__ = ["add_arguments", "execute", "fit_width", "format_differences", "format_summary"]


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
    add_posterior(parser, "every scenario")
    add_force(parser, "compare")
    add_overrides(parser, "override a value in every scenario")


def format_summary(summary: pd.DataFrame, width: int | None = None) -> str:
    """Return the summary as a terminal table: mean [5th, 95th percentile].

    One row per outcome, one column per scenario; counts are compact
    (``2.95M [1.96M, 4.73M]``), shares and the premium have two decimals. The
    scenarios are split into blocks that fit ``width`` characters (default:
    the terminal's width, 100 where there is none).
    """
    table = pd.DataFrame(index=list(OUTCOMES))
    for _, row in summary.iterrows():
        cells = []
        for outcome in OUTCOMES:
            values = [row[f"{outcome}_{s}"] for s in ("mean", "p05", "p95")]
            if outcome in ("tier2_cap_utilisation", "grey_premium_end"):
                text = [f"{v:.2f}" for v in values]
            else:
                text = [compact(v, digits=3) for v in values]
            cells.append("n/a" if np.isnan(values[0]) else f"{text[0]} [{text[1]}, {text[2]}]")
        table[row["scenario"]] = cells
    return fit_width(table, width)


def format_differences(differences: pd.DataFrame, width: int | None = None) -> str:
    """Return the paired differences as a terminal table: mean [95% interval of the mean].

    One row per outcome, one column per scenario other than the baseline;
    numbers are compact (``+1.2M``, ``-35k``); blocks fit ``width`` as in
    :func:`format_summary`.
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
    return fit_width(table, width)


def fit_width(table: pd.DataFrame, width: int | None = None) -> str:
    """Return ``table`` as text, its columns split into blocks no wider than ``width``.

    A block holds as many consecutive columns as fit beside the row labels
    (always at least one); blocks are separated by a blank line.
    """
    width = width or shutil.get_terminal_size((100, 24)).columns
    blocks: list[list[str]] = [[]]
    for column in table.columns:
        trial = [*blocks[-1], column]
        if blocks[-1] and _widest(table[trial]) > width:
            blocks.append([column])
        else:
            blocks[-1] = trial
    return "\n\n".join(table[block].to_string() for block in blocks)


def _widest(table: pd.DataFrame) -> int:
    return max(len(line) for line in table.to_string().splitlines())


def execute(args: argparse.Namespace) -> int:
    """Run each scenario on seeds ``seed .. seed+runs-1``; write results, summary, figures."""
    given = None if args.out is None else Path(args.out)  # None: results/compare-NAMES
    posterior = posterior_of(args)
    comparison = compare_to_folder([Path(p) for p in args.scenarios], runs=args.runs,
                                   seed=args.seed, out=given, overrides=parse_overrides(args.set),
                                   force=args.force, baseline=args.baseline,
                                   posterior=posterior)
    out = comparison.out
    # deferred: the figures load Matplotlib, which every other command can skip
    from sim.plots.compare import compare_figures

    figures = compare_figures(comparison.panels, out, comparison.differences,
                              comparison.runs_label)
    finish_output(out, "compare", [*comparison.files, *figures])
    draws = ("" if posterior is None else
             f" x {posterior.n_draws} posterior draws of {shown(str(posterior.source))}")
    print(f"{len(comparison.compared)} scenarios x {args.runs} run(s), seeds {args.seed}.."
          f"{args.seed + args.runs - 1}{draws}; mean [5th, 95th percentile] over runs:")
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
