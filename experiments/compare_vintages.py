"""Compare the rule vintages: no controls, Oct 2022, Oct 2023, the 2025 framework, rescinded.

Runs each scenario on the same seeds with the vectorised core and writes
results, ``summary.csv`` and figures (outcomes over time, Tier 2 cap use,
diversion by transit country), and how each rule set differs from no controls,
run by run with intervals (``--baseline``: ``differences.csv`` and
``differences.png``). Copy and edit the scenario list to compare your own rule
sets.

Usage::

    python experiments/compare_vintages.py --runs 100 --out results/vintages
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import main

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
VINTAGES = ("no_controls", "oct2022", "oct2023", "ai_diffusion_2025", "diffusion_rescinded_2025")
BASELINE = "no_controls"
"""The scenario every other is compared with (its name, as ``--baseline`` takes it)."""


def parse_arguments() -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="replicates per scenario")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--out", default="results/vintages", help="output folder")
    parser.add_argument("--baseline", default=BASELINE,
                        help="scenario the others are compared with (a name in VINTAGES)")
    return parser.parse_args()


if __name__ == "__main__":
    options = parse_arguments()
    paths = [str(SCENARIOS / f"{name}.toml") for name in VINTAGES]
    # --force: this script owns its folder and regenerates it whole on every run
    raise SystemExit(main(["compare", *paths, "--runs", str(options.runs), "--seed",
                           str(options.seed), "--out", options.out, "--baseline",
                           options.baseline, "--force"]))
