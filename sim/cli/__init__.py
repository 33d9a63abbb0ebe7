"""The command line: ``python -m sim`` (also installed as ``sim``).

One module per command (:mod:`~sim.cli.run`, :mod:`~sim.cli.compare`,
:mod:`~sim.cli.sweep`, :mod:`~sim.cli.calibrate`, :mod:`~sim.cli.check`,
:mod:`~sim.cli.metrics`, :mod:`~sim.cli.discover`, :mod:`~sim.cli.view`), each with
``add_arguments(parser)`` and ``execute(args) -> exit status``; :data:`COMMANDS` names each
command's module and help line. The commands parse, call the experiment layer, draw the
figures and print; the work is done below them.

A command's module is imported only when that command runs (or shows its
``--help``), so ``sim --help`` loads neither the core, Mesa, pandas, SciPy
nor Matplotlib.

Every user mistake (a :class:`~sim.errors.UserError`) ends as one line on
stderr and exit status 2; programming errors stay loud (a traceback, exit 1),
because they are ours to fix.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from sim.cli.arguments import EXIT_USAGE, MAX_SEED, DefaultsFormatter, UsageError
from sim.errors import UserError, shown

__all__ = ["COMMANDS", "UsageError", "build_parser", "main"]

COMMANDS = {
    "run": ("sim.cli.run", "run one scenario many times; results and summary"),
    "compare": ("sim.cli.compare", "compare scenarios: results, summary.csv, scenarios.csv, "
                                   "figures (with --baseline: differences)"),
    "sweep": ("sim.cli.sweep", "resumable parameter sweep; a rerun skips finished points"),
    "calibrate": ("sim.cli.calibrate", "estimate behavioural parameters against published "
                                       "targets"),
    "check": ("sim.cli.check", "validate scenario, sweep and targets files only"),
    "metrics": ("sim.cli.metrics", "list every metric: flow or stock, unit, meaning"),
    "discover": ("sim.cli.discover", "scenario discovery (PRIM) on a finished sweep: boxes, "
                                     "trade-off and box figures"),
    "view": ("sim.cli.view", "one run of the agent model in the browser, month by month "
                             "(Mesa SolaraViz; needs the extra 'view')"),
}
"""Each command's module and help line, in the order ``--help`` lists them."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print one line and exit 2 (argparse prints the usage block too)."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {shown(message)} (see --help)\n")


def build_parser(command: str | None = None, *, every: bool = True) -> argparse.ArgumentParser:
    """Return the argument parser with the commands of DESIGN.md section 4.

    Parameters
    ----------
    command : str, optional
        Give this command its arguments (importing its module).
    every : bool
        Give every command its arguments (importing every module); the
        default. ``main`` passes ``every=False`` and the command it was given,
        so that only that command's module loads.
    """
    parser = _Parser(
        prog="sim",
        description="Simulate AI accelerator trade under tiered export-control rules.",
        formatter_class=DefaultsFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (module_name, help_line) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_line, description=help_line,
                                  formatter_class=DefaultsFormatter)
        if every or name == command:
            module = importlib.import_module(module_name)
            module.add_arguments(sub)
            sub.set_defaults(handler=module.execute)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """Return the command named in ``argv``: its first word that is one."""
    return next((word for word in argv if word in COMMANDS), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command(argv), every=False)
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
