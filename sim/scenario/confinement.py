"""Where ``extends`` may lead: the scenario's own project, and the shipped scenarios.

A scenario's ``extends`` is resolved (symlinks followed) and must land inside
the *project* of the file that was loaded, or inside the repository's own
``scenarios/`` folder. The project is the nearest folder, from the loaded
file's own upwards, that holds a ``pyproject.toml`` or a ``scenarios/``
folder (the file's own folder when none does). So a scenario given by
someone else cannot read ``/etc/...`` or ``../../secrets.toml`` through
``extends``. Setting the environment variable :data:`ALLOW_ANYWHERE` to
``1`` lifts the confinement (docs/contracts.md).

A file reached through ``extends`` that is not a scenario (its name does not
end in ``.toml``, or none of its top-level keys is a scenario key) is
refused naming the file only: no key or value of it is ever echoed.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from sim.scenario.errors import ScenarioError
from sim.scenario.schema import REGIONS_KEY, Scenario

__all__ = ["ALLOW_ANYWHERE", "SHIPPED_SCENARIOS", "check_inside", "check_is_scenario",
           "check_scenario_keys", "extends_roots"]

ALLOW_ANYWHERE = "SIM_ALLOW_EXTENDS_ANYWHERE"
"""Environment variable: ``1`` lets ``extends`` name any readable file."""
SHIPPED_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
"""The repository's own scenarios, which any scenario may extend."""
_FILE_KEYS = frozenset({"extends", "inherit_timeline", "country_defaults", REGIONS_KEY}
                       | {f.name for f in fields(Scenario)})


def extends_roots(loaded: Path) -> tuple[Path, ...] | None:
    """Return the folders ``extends`` may lead into from ``loaded``; ``None``: anywhere."""
    if os.environ.get(ALLOW_ANYWHERE) == "1":
        return None
    folder = loaded.parent
    project = next((p for p in (folder, *folder.parents) if _is_project(p)), folder)
    return project, SHIPPED_SCENARIOS


def _is_project(folder: Path) -> bool:
    try:
        return (folder / "pyproject.toml").is_file() or (folder / "scenarios").is_dir()
    except OSError:  # an unreadable ancestor is not a project root
        return False


def check_inside(resolved: Path, roots: tuple[Path, ...] | None, child: Path,
                 named: str) -> None:
    """Refuse a parent ``resolved`` (named ``named`` in ``child``) outside ``roots``."""
    if roots is None or any(resolved.is_relative_to(root) for root in roots):
        return
    raise ScenarioError(
        str(child), "extends",
        f"expected a scenario inside {roots[0]} (the project) or the shipped scenarios, "
        f"found {named!r}, which leads outside; set {ALLOW_ANYWHERE}=1 to allow any file")


def check_is_scenario(path: Path, child: Path) -> None:
    """Refuse, before reading it, a parent whose name is not a TOML file's."""
    if path.suffix != ".toml":
        raise _not_a_scenario(path, child)


def check_scenario_keys(data: dict[str, Any], path: Path, child: Path) -> None:
    """Refuse a parent none of whose top-level keys is a scenario's (naming no key)."""
    if data and not _FILE_KEYS & set(data):
        raise _not_a_scenario(path, child)


def _not_a_scenario(path: Path, child: Path) -> ScenarioError:
    return ScenarioError(str(path), "", f"expected a scenario file (extended by {child.name}), "
                                        "found a file that is not one")
