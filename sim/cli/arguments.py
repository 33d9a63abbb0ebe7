"""What every command shares: argument types, the usage error, exit statuses.

Argument types give one-line errors naming the range and the text found; a
:class:`UsageError` is a mistake on the command line that argparse cannot
see (two options that contradict each other).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from typing import Any

from sim.errors import UserError

__all__ = [
    "COUNT",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "MAX_COUNT",
    "MAX_SEED",
    "POSITIVE",
    "SEED",
    "DefaultsFormatter",
    "UsageError",
    "add_cluster_arguments",
    "add_force",
    "add_overrides",
    "cluster_security",
    "integer_in",
    "parse_overrides",
]

EXIT_OK = 0
EXIT_ERROR = 1
"""A programming error (ours to fix): its traceback is printed."""
EXIT_USAGE = 2
"""A user's mistake: one line on stderr."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C); what finished is saved."""
MAX_SEED = 2**63 - 1
"""Seeds are int64 (and Mesa refuses negative ones)."""
MAX_COUNT = 10**7
"""Largest count an option takes (runs, draws, moves, replicates, rounds): a typo guard
that ends at once, not after memory runs out."""


_INTEGER = re.compile(r"-?[0-9]+")
class DefaultsFormatter(argparse.HelpFormatter):
    """Help that shows each option's default, as ``(default: VALUE)``.

    Like :class:`argparse.ArgumentDefaultsHelpFormatter`, except that it says
    nothing where the help already names the default (``--workers``: "one per
    core"), for a switch (``--force``) and for an option without a default
    (``None``, an empty ``--set`` list).
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if ("default" in text or default is None or default is argparse.SUPPRESS
                or isinstance(default, bool) or default == [] or not action.option_strings):
            return action.help
        return f"{text} (default: %(default)s)"


def add_force(parser: argparse.ArgumentParser, kind: str) -> None:
    """Add ``--force``: replace an earlier ``sim <kind>`` folder whole."""
    parser.add_argument("--force", action="store_true",
                        help=f"replace an earlier `sim {kind}` folder at --out whole (never a "
                             "folder another command or someone else wrote); without it such "
                             "a folder is refused")


def add_overrides(parser: argparse.ArgumentParser, what: str,
                  example: str = "enforcement.detection=0.3") -> None:
    """Add ``--set KEY=VALUE`` (repeatable): override a scenario value."""
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help=f"{what}, e.g. {example} (repeatable)")


class UsageError(UserError):
    """A mistake on the command line itself (not in a file).

    Constructed as :class:`~sim.errors.UserError` is, with the option as the
    file: ``UsageError("--accept", "", "expected ...")``.
    """


def integer_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """Return an argparse ``type`` accepting integers in ``[low, high]``.

    The error names the range and the text found, e.g. "expected a positive
    integer, found '0'".
    """
    if high is not None and low == 1:
        expected = f"a positive integer at most {high}"
    elif high is not None:
        expected = f"an integer in [{low}, {high}]"
    else:
        expected = "a positive integer" if low == 1 else f"an integer >= {low}"

    def parse(text: str) -> int:
        # ASCII digits only: int() also takes "3\n", " 3" and full-width or Arabic-Indic digits
        if not _INTEGER.fullmatch(text):
            raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}")
        number = int(text)
        if number < low or (high is not None and number > high):
            raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}")
        return number

    return parse


POSITIVE = integer_in(1)
COUNT = integer_in(1, MAX_COUNT)
"""A positive count, at most :data:`MAX_COUNT`."""
SEED = integer_in(0, MAX_SEED)


def add_cluster_arguments(parser: argparse.ArgumentParser, workers_help: str) -> None:
    """Add ``--workers``, ``--scheduler`` and ``--security`` (shared by sweep and calibrate)."""
    parser.add_argument("--workers", type=POSITIVE, help=workers_help)
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler address (tcp://host:8786, tls://host:8786), or "
                             "'local' for a Dask LocalCluster of --workers processes (default: "
                             "none, local processes)")
    parser.add_argument("--security", metavar="FILE",
                        help="TOML file with ca_file, cert (and key) for a tls:// scheduler; "
                             "default: Dask's own distributed.comm.tls configuration")


DEFAULT_DRAWS = 20
"""Posterior draws a ``--posterior`` command runs unless ``--draws`` says otherwise."""


def add_posterior(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--posterior FILE|DIR`` and ``--draws N`` (parameter uncertainty, issue 16)."""
    parser.add_argument("--posterior", metavar="FILE|DIR",
                        help=f"a calibration folder (sim calibrate --out) or its accepted.csv: "
                             f"run {what} once per posterior draw on the same seeds, so the "
                             "intervals include parameter uncertainty (default: the scenario's "
                             "own values only)")
    parser.add_argument("--draws", type=COUNT, default=DEFAULT_DRAWS,
                        help=f"posterior draws with --posterior (default: {DEFAULT_DRAWS})")


def posterior_of(args: argparse.Namespace) -> Any:
    """Return the draws ``--posterior``/``--draws`` ask for, or None (loaded only if asked)."""
    if args.posterior is None:
        return None
    from sim.experiment.posterior import load_posterior

    return load_posterior(args.posterior, args.draws)


def cluster_security(args: argparse.Namespace) -> Any:
    """Return the ``--security`` file as a ``distributed.Security`` (``None`` if not given).

    Checked before any work or output: only with a remote ``--scheduler``.

    Raises
    ------
    UsageError
        For ``--security`` without ``--scheduler`` or with ``--scheduler local``.
    ExecutorError
        For a security file that is missing or malformed.
    """
    if args.security is None:
        return None
    if args.scheduler in (None, "local"):
        raise UsageError("--security", "", "applies to a remote Dask scheduler; expected it "
                         "with --scheduler tls://host:8786")
    # deferred: only a cluster run needs it (and distributed is slow to import)
    from sim.experiment.dask_security import load_security

    return load_security(args.security)


def parse_overrides(assignments: Sequence[str]) -> dict[str, str]:
    """Return ``--set KEY=VALUE`` options as a mapping (values still text).

    Raises
    ------
    ScenarioError
        For an assignment without ``=`` or without a key.
    """
    from sim.scenario import parse_assignment  # deferred: `sim --help` loads no scenario code

    return dict(parse_assignment(text) for text in assignments)
