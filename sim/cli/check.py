"""``sim check SCENARIO...``: validate scenario files only, one line per file."""

from __future__ import annotations

import argparse
import sys

from sim.cli.arguments import EXIT_OK, EXIT_USAGE, parse_overrides
from sim.errors import shown
from sim.scenario import ScenarioError, load_scenario

__all__ = ["HELP", "add_arguments", "execute"]

HELP = "validate scenario files only"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``check`` command's arguments to ``parser``."""
    parser.add_argument("scenarios", nargs="+", help="scenario TOML files")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a value before validating")


def execute(args: argparse.Namespace) -> int:
    """Validate each scenario; one line per file, errors on stderr."""
    overrides = parse_overrides(args.set)
    failed = 0
    for path in args.scenarios:
        try:
            scenario = load_scenario(path, overrides)
        except ScenarioError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"ok  {shown(path)}  {shown(scenario.name)}  digest {scenario.digest()[:12]}")
    return EXIT_USAGE if failed else EXIT_OK
