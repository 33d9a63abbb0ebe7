"""``sim run SCENARIO``: one scenario many times; results, and summaries by tier and region."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
from sim.experiment.folders import finish_output
from sim.experiment.run import run_to_folder

__all__ = ["add_arguments", "execute"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``run`` command's arguments to ``parser``."""
    parser.add_argument("scenario", help="scenario TOML file")
    parser.add_argument("--runs", type=COUNT, default=10, help="replicates")
    parser.add_argument("--seed", type=SEED, default=0, help="first seed")
    parser.add_argument("--out", default="results/run",
                        help="output folder: new or empty, or an earlier `sim run` with --force")
    add_posterior(parser, "the scenario")
    add_force(parser, "run")
    add_overrides(parser, "override a scenario value")


def execute(args: argparse.Namespace) -> int:
    """Run, save the results, summaries and ``by_region.png``; print the summaries."""
    out = Path(args.out)
    posterior = posterior_of(args)
    saved = run_to_folder(Path(args.scenario), runs=args.runs, seed=args.seed, out=out,
                          overrides=parse_overrides(args.set), force=args.force, finish=False,
                          posterior=posterior)
    dates = saved.dates
    last = args.seed + args.runs - 1
    draws = ("" if posterior is None else
             f" x {posterior.n_draws} posterior draws of {shown(str(posterior.source))}")
    runs = (f"{args.runs} run(s)" if posterior is None else
            f"{args.runs * posterior.n_draws} runs = {posterior.n_draws} posterior draws x "
            f"{args.runs} seeds")
    heading = (f"{shown(saved.scenario.name)}: {args.runs} run(s){draws}, seeds {args.seed}.."
               f"{last}, {len(dates)} months from {dates[0]}")
    # deferred: the figure loads Matplotlib, which every other command can skip
    from sim.plots.regions import plot_by_region, region_label

    figure = plot_by_region(saved.by_region, out / "by_region.png",
                            f"{saved.scenario.name}: mean of {runs}, {dates[0]} to {dates[-1]}")
    finish_output(out, "run", [*saved.files, figure])
    print(heading)
    print(_table(saved.summary, lambda tier, n: f"Tier {tier} ({_countries(n)})"))
    print()
    print(_table(saved.by_region, region_label))
    chips = saved.chips[saved.chips["country"].isin(saved.restricted)]
    if saved.restricted and len(saved.market_chips) > 1:
        print(f"\nchips reaching the destinations the rules restrict "
              f"({', '.join(saved.restricted)}); mean chips per run (all destinations: "
              f"chips_by_destination.csv; what the rules allowed, by chip and month: "
              f"regimes.csv)")
        print(chips.to_string(index=False, float_format=lambda v: f"{v:,.0f}") if len(chips)
              else "(none)")
    print(f"by country and month (H100e, mean over runs): {out / 'by_country.csv'}")
    print(f"by region: {out / 'summary_by_region.csv'}, figure: {figure}")
    print(f"results: {saved.results_file}" if posterior is None else
          f"results: {out}/draw=0..{posterior.n_draws - 1}/results.parquet, draws: "
          f"{out / 'posterior.csv'}")
    return EXIT_OK


def _countries(n: int) -> str:
    return f"{n} {'country' if n == 1 else 'countries'}"


def _table(summary: pd.DataFrame, label: Callable[[Any, int], str]) -> str:
    """Return a summary as a terminal table: rows named by ``label(key, countries)``."""
    named = summary.drop(columns="countries").rename_axis(None)
    named.index = [label(key, int(n)) for key, n in summary["countries"].items()]
    return named.to_string(float_format=lambda v: f"{v:,.0f}")
