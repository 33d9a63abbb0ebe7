"""``sim discover SWEEP_DIR --outcome NAME (--above X | --below X | --top-share Q)``: PRIM boxes.

Scenario discovery on a finished sweep (:mod:`sim.sweep.discovery`): which
ranges of the swept keys hold the runs where an outcome is above or below a
threshold, or in its top share. Writes ``boxes.csv`` (the peeling trajectory),
``tradeoff.png`` and ``box.png`` into ``--out`` and prints the chosen box.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.atomic import write_text_atomically
from sim.cli.arguments import EXIT_OK, add_force
from sim.experiment.folders import finish_output, prepare_output
from sim.sweep.discovery import COVERAGE_MIN, Question, boxes_table, describe, discover

__all__ = ["add_arguments", "execute"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``discover`` command's arguments to ``parser``."""
    parser.add_argument("sweep_dir", help="a finished `sim sweep` folder")
    parser.add_argument("--outcome", required=True,
                        help="the outcome, a column of outcomes.parquet (e.g. "
                             "tier3_diverted_h100e; see docs/contracts.md)")
    rule = parser.add_mutually_exclusive_group(required=True)
    rule.add_argument("--above", type=float, metavar="X", help="runs of interest: outcome > X")
    rule.add_argument("--below", type=float, metavar="X", help="runs of interest: outcome < X")
    rule.add_argument("--top-share", type=float, metavar="Q",
                      help="runs of interest: the top Q share of runs, 0 < Q < 1 (outcome at "
                           "least its 1 - Q quantile)")
    parser.add_argument("--coverage-min", type=float, default=COVERAGE_MIN, metavar="C",
                        help="the chosen box is the densest with at least this coverage")
    parser.add_argument("--out", help="output folder: new or empty, or an earlier `sim "
                                      "discover` with --force (default: "
                                      "SWEEP_DIR/discover-OUTCOME)")
    add_force(parser, "discover")


def execute(args: argparse.Namespace) -> int:
    """Run PRIM, write the three files, print the chosen box."""
    rule = next(r for r in ("above", "below", "top_share") if getattr(args, r) is not None)
    question = Question(args.outcome, rule.replace("_", "-"), getattr(args, rule))
    sweep_dir = Path(args.sweep_dir)
    found = discover(sweep_dir, question, coverage_min=args.coverage_min)
    out = Path(args.out) if args.out else sweep_dir / f"discover-{args.outcome}"
    prepare_output(out, "discover", force=args.force)
    boxes = write_text_atomically(out / "boxes.csv", boxes_table(found).to_csv(index=False))
    # deferred: the figures load Matplotlib, which every other command can skip
    from sim.plots.discover import discover_figures

    files = [boxes, *discover_figures(found, out)]
    finish_output(out, "discover", files)
    print(describe(found))
    for file in files:
        print(f"wrote: {file}")
    return EXIT_OK
