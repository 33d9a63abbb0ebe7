"""``sim run SCENARIO``: one scenario many times; results, and a summary by tier."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.arguments import COUNT, EXIT_OK, SEED, add_force, add_overrides, parse_overrides
from sim.errors import shown
from sim.experiment.run import run_to_folder

__all__ = ["add_arguments", "execute"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``run`` command's arguments to ``parser``."""
    parser.add_argument("scenario", help="scenario TOML file")
    parser.add_argument("--runs", type=COUNT, default=10, help="replicates")
    parser.add_argument("--seed", type=SEED, default=0, help="first seed")
    parser.add_argument("--out", default="results/run",
                        help="output folder: new or empty, or an earlier `sim run` with --force")
    add_force(parser, "run")
    add_overrides(parser, "override a scenario value")


def execute(args: argparse.Namespace) -> int:
    """Run, save ``results.parquet`` and ``summary_by_tier.csv``, print the summary."""
    saved = run_to_folder(Path(args.scenario), runs=args.runs, seed=args.seed,
                          out=Path(args.out), overrides=parse_overrides(args.set),
                          force=args.force)
    dates = saved.dates
    last = args.seed + args.runs - 1
    print(f"{shown(saved.scenario.name)}: {args.runs} run(s), seeds {args.seed}..{last}, "
          f"{len(dates)} months from {dates[0]}")
    by_tier = saved.summary.rename(index=lambda tier: f"Tier {tier}").rename_axis(None)
    print(by_tier.to_string(float_format=lambda v: f"{v:,.0f}"))
    chips = saved.chips[saved.chips["country"].isin(saved.restricted)]
    if saved.restricted and len(saved.market_chips) > 1:
        print(f"\nchips reaching the destinations the rules restrict "
              f"({', '.join(saved.restricted)}); mean chips per run (all destinations: "
              f"chips_by_destination.csv; what the rules allowed, by chip and month: "
              f"regimes.csv)")
        print(chips.to_string(index=False, float_format=lambda v: f"{v:,.0f}") if len(chips)
              else "(none)")
    print(f"by country and month (H100e, mean over runs): "
          f"{saved.results_file.parent / 'by_country.csv'}")
    print(f"results: {saved.results_file}")
    return EXIT_OK
