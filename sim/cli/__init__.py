"""The command line: ``python -m sim`` (also installed as ``sim``).

One module per command (:mod:`~sim.cli.run`, :mod:`~sim.cli.compare`,
:mod:`~sim.cli.sweep`, :mod:`~sim.cli.calibrate`, :mod:`~sim.cli.check`,
:mod:`~sim.cli.metrics`),
each with its ``HELP`` line, ``add_arguments(parser)`` and
``execute(args) -> exit status``. The commands parse, call the experiment
layer, draw the figures and print; the work is done below them.

Every user mistake (a :class:`~sim.errors.UserError`) ends as one line on
stderr and exit status 2; programming errors stay loud (a traceback, exit 1),
because they are ours to fix.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from sim.cli import calibrate, check, compare, discover, metrics, run, sweep
from sim.cli.arguments import EXIT_USAGE, MAX_SEED, DefaultsFormatter, UsageError
from sim.errors import UserError, shown

__all__ = ["UsageError", "build_parser", "main"]

COMMANDS = {"run": run, "compare": compare, "sweep": sweep, "calibrate": calibrate,
            "check": check, "metrics": metrics, "discover": discover}
"""Each command's module, in the order ``--help`` lists them."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print one line and exit 2 (argparse prints the usage block too)."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {shown(message)} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with the commands of DESIGN.md section 4."""
    parser = _Parser(
        prog="sim",
        description="Simulate AI accelerator trade under tiered export-control rules.",
        formatter_class=DefaultsFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, module in COMMANDS.items():
        command = commands.add_parser(name, help=module.HELP, description=module.HELP,
                                      formatter_class=DefaultsFormatter)
        module.add_arguments(command)
        command.set_defaults(handler=module.execute)
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
    except UserError as exc:
        print(f"error: {shown(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head` and cut short: not our error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1  # as the Python documentation advises for a closed pipe (SIGPIPE)
