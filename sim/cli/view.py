"""``sim view SCENARIO [--seed S] [--port P]``: one run in the browser, month by month.

Checks the scenario and that the optional extra ``view`` is installed, then
serves :mod:`sim.view.app` with Solara (``solara run``) on ``--host`` and
``--port`` until interrupted. Nothing is written.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

from sim.cli.arguments import EXIT_OK, SEED, UsageError, integer_in

__all__ = ["add_arguments", "execute"]

DEFAULT_PORT = 8765
"""Solara's own default port."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``view`` command's arguments to ``parser``."""
    parser.add_argument("scenario", help="scenario TOML file")
    parser.add_argument("--seed", type=SEED, default=0, help="the run's seed")
    parser.add_argument("--port", type=integer_in(1, 65535), default=DEFAULT_PORT,
                        help="port of the page")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (0.0.0.0: every interface)")


def _check_extra() -> None:
    """Raise a one-line error unless Solara and Mesa's visualisation import."""
    try:
        import mesa.visualization  # noqa: F401
        import solara  # noqa: F401
    except ImportError as exc:
        raise UsageError("sim view", "", f"needs the optional extra 'view' ({exc.name} is "
                         "missing); install it: pip install -e '.[view]'") from None


def _check_port(host: str, port: int) -> None:
    """Raise a one-line error if ``host:port`` cannot be listened on."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError("--port", "", f"expected a port free on {host}, found {port}: "
                             f"{exc.strerror}") from None


def execute(args: argparse.Namespace) -> int:
    """Check the scenario, the extra and the port; serve the page until interrupted."""
    _check_extra()
    from sim.scenario import load_scenario  # deferred: `sim --help` loads no scenario code

    scenario = load_scenario(args.scenario)
    _check_port(args.host, args.port)
    from solara.__main__ import cli as solara_cli

    from sim.view.app import SCENARIO_VARIABLE, SEED_VARIABLE

    os.environ[SCENARIO_VARIABLE] = os.path.abspath(args.scenario)
    os.environ[SEED_VARIABLE] = str(args.seed)
    print(f"sim view: {scenario.name}, seed {args.seed}, on http://{args.host}:{args.port} "
          "(Ctrl-C stops it)", file=sys.stderr, flush=True)
    solara_cli.main(["run", "sim.view.app", "--host", args.host, "--port", str(args.port),
                     "--production", "--no-open", "--no-check-version", "--log-level", "warning"],
                    prog_name="solara", standalone_mode=False)
    return EXIT_OK
