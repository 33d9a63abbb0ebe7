"""The command line: ``python -m sim`` (also installed as ``sim``).

Every user mistake ends as one line on stderr and exit status 2; programming
errors stay loud (a traceback), because they are ours to fix.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from sim.argtypes import integer_in
from sim.errors import UserError
from sim.experiment.errors import OutputError
from sim.results import ResultsError
from sim.scenario import ScenarioError, load_scenario, parse_assignment

__all__ = ["main"]

EXIT_OK = 0
EXIT_USAGE = 2
MAX_SEED = 2**63 - 1
"""Seeds are int64 (and Mesa refuses negative ones)."""
_POSITIVE = integer_in(1)
_SEED = integer_in(0, MAX_SEED)


class UsageError(Exception):
    """A mistake on the command line itself (not in a file)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print one line and exit 2 (argparse prints the usage block too)."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _overrides(assignments: Sequence[str]) -> dict[str, str]:
    return dict(parse_assignment(text) for text in assignments)


def cmd_check(args: argparse.Namespace) -> int:
    """Validate each scenario; one line per file, errors on stderr."""
    overrides = _overrides(args.set)
    failed = 0
    for path in args.scenarios:
        try:
            scenario = load_scenario(path, overrides)
        except ScenarioError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"ok  {path}  {scenario.name}  digest {scenario.digest()[:12]}")
    return EXIT_USAGE if failed else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario ``--runs`` times and write results and a summary."""
    from sim.experiment.run import run_command

    return run_command(
        Path(args.scenario), runs=args.runs, seed=args.seed, out=Path(args.out),
        overrides=_overrides(args.set),
    )


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare scenarios on common seeds: results, summary.csv and figures."""
    from sim.experiment.compare import compare_command

    return compare_command([Path(p) for p in args.scenarios], runs=args.runs, seed=args.seed,
                           out=Path(args.out))


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or resume) a parameter sweep; results stream to Parquet parts."""
    from sim.sweep.command import sweep_command

    return sweep_command(Path(args.sweep_file), out=Path(args.out), workers=args.workers,
                         scheduler=args.scheduler)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Estimate behavioural parameters against published targets."""
    from sim.calibration.command import calibrate_command

    return calibrate_command(args)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with the commands of DESIGN.md section 4."""
    parser = _Parser(
        prog="sim",
        description="Simulate AI accelerator trade under tiered export-control rules.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="run one scenario many times; results and summary")
    run.add_argument("scenario", help="scenario TOML file")
    run.add_argument("--runs", type=_POSITIVE, default=10, help="replicates (default 10)")
    run.add_argument("--seed", type=_SEED, default=0, help="first seed (default 0)")
    run.add_argument("--out", default="results/run", help="output folder")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario value, e.g. enforcement.detection=0.3")
    run.set_defaults(handler=cmd_run)

    compare = commands.add_parser("compare", help="compare scenarios: results, summary.csv, "
                                                  "figures")
    compare.add_argument("scenarios", nargs="+", help="scenario TOML files")
    compare.add_argument("--runs", type=_POSITIVE, default=10, help="replicates per scenario")
    compare.add_argument("--seed", type=_SEED, default=0, help="first seed (default 0)")
    compare.add_argument("--out", default="results/compare", help="output folder")
    compare.set_defaults(handler=cmd_compare)

    sweep = commands.add_parser("sweep", help="resumable parameter sweep; a rerun skips "
                                              "finished points")
    sweep.add_argument("sweep_file", help="sweep TOML file (see scenarios/sweeps/)")
    sweep.add_argument("--out", default="results/sweep", help="output folder")
    sweep.add_argument("--workers", type=_POSITIVE,
                       help="local worker processes (default: one per core); 1 runs in-process")
    sweep.add_argument("--scheduler", metavar="ADDRESS",
                       help="Dask scheduler address (tcp://host:8786), or 'local' for a "
                            "Dask LocalCluster of --workers processes")
    sweep.set_defaults(handler=cmd_sweep)

    calibrate = commands.add_parser("calibrate", help="estimate behavioural parameters "
                                                      "against published targets")
    from sim.calibration.command import add_arguments as add_calibrate_arguments

    add_calibrate_arguments(calibrate)
    calibrate.set_defaults(handler=cmd_calibrate)

    check = commands.add_parser("check", help="validate scenario files only")
    check.add_argument("scenarios", nargs="+", help="scenario TOML files")
    check.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a value before validating")
    check.set_defaults(handler=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    last_seed = getattr(args, "seed", 0) + getattr(args, "runs", 1) - 1
    if last_seed > MAX_SEED:
        parser.error(f"argument --seed: seeds {args.seed}..{last_seed} run past 2**63 - 1; "
                     "expected a smaller --seed or fewer --runs")
    try:
        return args.handler(args)
    except (UserError, OutputError, ResultsError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
