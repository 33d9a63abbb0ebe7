"""``sim check FILE...``: validate scenario, sweep and targets files, one line per file.

Each file's kind is read from its top-level keys (:func:`file_kind`): a
``[design]`` table or a ``scenario = "..."`` path makes a sweep file
(:func:`sim.sweep.load_sweep`); ``[[targets]]``, ``[[parameters]]`` or
``calibrated_base`` a targets file
(:func:`sim.calibration.targets.load_targets`); anything else a scenario
(:func:`sim.scenario.load_scenario`). The line says which kind was found, so
a sweep file is never judged by the scenario schema.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.calibration.targets import load_targets
from sim.cli.arguments import EXIT_OK, EXIT_USAGE, UsageError, add_overrides, parse_overrides
from sim.errors import UserError, shown
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.reading import read_toml
from sim.sweep import load_sweep

__all__ = ["KINDS", "add_arguments", "execute", "file_kind"]

KINDS = ("scenario", "sweep", "targets")
"""The kinds of input file ``sim check`` recognises."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``check`` command's arguments to ``parser``."""
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="scenario, sweep or targets TOML files (the kind is detected)")
    add_overrides(parser, "override a scenario value before validating (scenario and "
                  "targets files)")


def file_kind(path: str | Path) -> str:
    """Return the kind of input file ``path`` is, one of :data:`KINDS`.

    Raises
    ------
    ScenarioError
        For a file that cannot be read as TOML at all.
    """
    document = read_toml(path, ScenarioError, "scenario, sweep or targets file")
    if "design" in document or isinstance(document.get("scenario"), str):
        return "sweep"
    if ("targets" in document or "calibrated_base" in document
            or isinstance(document.get("parameters"), list)):
        return "targets"
    return "scenario"


def _check(path: str, overrides: dict[str, str]) -> str:
    """Validate one file; return what its ``ok`` line says after the path."""
    kind = file_kind(path)
    if kind == "sweep":
        if overrides:
            raise UsageError("--set", "", f"expected no --set for the sweep file {path} (a "
                             "sweep fixes values in its own [set] table)")
        spec = load_sweep(path)
        return (f"sweep {shown(spec.name)}, {spec.points} points x {spec.replicates} "
                f"replicates of {shown(spec.scenario.name)}")
    if kind == "targets":
        target_set = load_targets(path, overrides)
        return (f"targets {shown(target_set.name)}, {len(target_set.targets)} targets, "
                f"{len(target_set.parameters)} parameters")
    scenario = load_scenario(path, overrides)
    return f"scenario {shown(scenario.name)}, digest {scenario.digest()[:12]}"


def execute(args: argparse.Namespace) -> int:
    """Validate each file; one line per file, errors on stderr."""
    overrides = parse_overrides(args.set)
    failed = 0
    for path in args.files:
        try:
            found = _check(path, overrides)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"ok  {shown(path)}  {found}")
    return EXIT_USAGE if failed else EXIT_OK
