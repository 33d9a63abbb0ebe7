"""Raw documents: the ``extends`` chain of a scenario, and where each value came from.

A document is the plain dict TOML gives, plus a provenance map from each
key path to the file (and key path within it) that set it, so that an error
found after merging still names the file the user must edit. A sweep or
targets file is a document of one file (:meth:`Document.of_file`) that
raises its own error type.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UserError
from sim.scenario.confinement import (
    check_inside,
    check_is_scenario,
    check_scenario_keys,
    extends_roots,
)
from sim.scenario.errors import ScenarioError
from sim.scenario.reading import ErrorType, read_toml

__all__ = ["OVERRIDE_SOURCE", "Document", "dotted", "read_chain", "toml_key"]

OVERRIDE_SOURCE = "<override>"

KeyPath = tuple[str, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def dotted(path: KeyPath) -> str:
    """Write a key path as the scenario messages do: ``countries.USA.firms``."""
    return ".".join(map(str, path))


def toml_key(path: KeyPath) -> str:
    """Write a key path as TOML does, quoting a part that is not a bare key.

    ``("parameters", "enforcement.detection", "low")`` becomes
    ``parameters."enforcement.detection".low``.
    """
    return ".".join(part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
                    for part in map(str, path))


@dataclass
class Document:
    """A merged document and where each of its values came from."""

    data: dict[str, Any]
    origin: dict[KeyPath, tuple[str, KeyPath]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    """Files of the ``extends`` chain in merge order, the base first."""
    error_type: ErrorType = ScenarioError
    """The error a mistake in the document raises (scenarios: :class:`ScenarioError`)."""
    key_text: Callable[[KeyPath], str] = dotted
    """How a message writes a key path."""

    @classmethod
    def of_file(cls, data: dict[str, Any], file: str, error_type: ErrorType,
                key_text: Callable[[KeyPath], str] = dotted) -> Document:
        """Return the document of one file (no ``extends``), raising ``error_type``."""
        return cls(data=data, origin={(): (file, ())}, files=[file], error_type=error_type,
                   key_text=key_text)

    def source_of(self, path: KeyPath) -> tuple[str, KeyPath]:
        """Return (file, key path in that file) for the value at ``path``."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.origin:
                file, shown = self.origin[path[:n]]
                return file, shown + path[n:]
        return OVERRIDE_SOURCE, path

    def latest(self, *paths: KeyPath) -> KeyPath:
        """Return the one of ``paths`` set last (an override, else the most derived file).

        Used to blame a cross-field contradiction on the file the user edited.
        """

        def rank(path: KeyPath) -> int:
            file = self.source_of(path)[0]
            if file == OVERRIDE_SOURCE:
                return len(self.files)
            return self.files.index(file) if file in self.files else -1

        return max(paths, key=rank)

    def error(self, path: KeyPath, problem: str) -> UserError:
        """Build the document's ``error_type`` for the value at ``path``, naming its file."""
        file, shown = self.source_of(path)
        return self.error_type(file, self.key_text(shown), problem)


def _record(origin: dict, data: Any, path: KeyPath, file: str, shown: KeyPath) -> None:
    origin[path] = (file, shown)
    if isinstance(data, dict):
        for key, sub in data.items():
            _record(origin, sub, (*path, key), file, (*shown, key))


def merge_into(target: Document, data: dict[str, Any], file: str, at: KeyPath = ()) -> None:
    """Deep-merge ``data`` into ``target`` at ``at``; tables merge, all else replaces."""
    node = target.data
    for key in at:
        node = node.setdefault(key, {})
    for key, new in data.items():
        path = (*at, key)
        if isinstance(new, dict) and isinstance(node.get(key), dict):
            merge_into(target, new, file, path)
        else:
            node[key] = copy.deepcopy(new)
            _record(target.origin, new, path, file, path)


def _is_file(path: Path) -> bool:
    """Tell whether ``path`` is a file; a name the system refuses is not one."""
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long, or holding a NUL byte
        return False


def _resolve(path: Path, child: Path | None) -> Path:
    """Return the absolute ``path``; a symlink loop is the user's mistake."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # RuntimeError: symlink loop before 3.13
        file, key = (str(child), "extends") if child is not None else (str(path), "")
        raise ScenarioError(file, key, f"expected a file that can be resolved ({exc})") from None


def read_chain(path: Path) -> Document:
    """Read ``path`` and the files it ``extends``, parents first, merged.

    Parents must lie inside the loaded file's project or the shipped
    scenarios, and be scenarios (:mod:`sim.scenario.confinement`).

    Raises
    ------
    ScenarioError
        On a missing or malformed file, a non-string ``extends``, a cycle,
        or a parent outside the allowed folders or that is not a scenario.

    """
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: list[Path] = []
    current: Path | None = path
    roots, parent = None, ""
    while current is not None:
        child = chain[-1][0] if chain else None
        resolved = _resolve(current, child)
        if child is None:
            roots = extends_roots(resolved)
        else:  # a parent: inside the project, and a scenario (else nothing of it is shown)
            check_inside(resolved, roots, child, parent)
            check_is_scenario(resolved, child)
        if resolved in seen:
            cycle = " -> ".join(p.name for p in [*seen, resolved])
            raise ScenarioError(str(chain[-1][0]), "extends", f"expected no cycle, found {cycle}")
        seen.append(resolved)
        data = read_toml(current, ScenarioError, "scenario file")
        if child is not None:
            check_scenario_keys(data, current, child)
        chain.append((current, data))
        parent = data.pop("extends", None)
        if parent is not None and (not isinstance(parent, str) or not parent.strip()):
            raise ScenarioError(str(current), "extends", f"expected a file name, found {parent!r}")
        current = Path(os.path.normpath(current.parent / parent)) if parent is not None else None
        if current is not None and not _is_file(current):
            raise ScenarioError(
                str(chain[-1][0]), "extends", f"expected an existing file, found {parent!r}"
            )
    document = Document(data={}, files=[str(file) for file, _ in reversed(chain)])
    document.origin[()] = (str(path), ())  # a key no file sets is missing from the file loaded
    for file, data in reversed(chain):
        _merge_timeline(document, data, str(file))
        merge_into(document, data, str(file))
    return document


def _merge_timeline(document: Document, data: dict[str, Any], file: str) -> None:
    """Merge the file's ``[[timeline]]`` into its parents' (removing it from ``data``).

    The file's entries, in date order, join its parents' and the whole is
    ordered by date (on one date, parents' entries first). With
    ``inherit_timeline = false`` the file's own entries replace the parents'
    (an empty timeline if it has none). Each entry keeps the file and index
    that wrote it, for error messages.
    """
    inherit = data.pop("inherit_timeline", True)
    if not isinstance(inherit, bool):
        raise ScenarioError(file, "inherit_timeline", f"expected true or false, found {inherit!r}")
    if "timeline" not in data and inherit:
        return
    own = data.pop("timeline", [])
    if not isinstance(own, list):
        raise ScenarioError(file, "timeline", "expected an array of tables ([[timeline]]), "
                            f"found {type(own).__name__}")
    entries = document.data.setdefault("timeline", []) if inherit else []
    document.data["timeline"] = entries
    document.origin[("timeline",)] = (file, ("timeline",))
    _check_own_order(own, file)
    for number, entry in enumerate(own):
        path = ("timeline", str(len(entries)))
        entries.append(copy.deepcopy(entry))
        _record(document.origin, entry, path, file, ("timeline", str(number)))
    _sort_by_date(document)


def _dated(entries: list[Any]) -> bool:
    return all(isinstance(e, dict) and isinstance(e.get("date"), str) for e in entries)


def _check_own_order(own: list[Any], file: str) -> None:
    """Require a file's own entries in date order (dates are checked in full later)."""
    if not _dated(own):
        return
    for number in range(1, len(own)):
        before, date = own[number - 1]["date"], own[number]["date"]
        if date < before:
            raise ScenarioError(file, f"timeline[{number}].date", "expected entries in date "
                                f"order, found {date} after {before}")


def _sort_by_date(document: Document) -> None:
    """Order the merged timeline by date, stably: on one date, parents' entries first.

    A child may add events anywhere in its parents' history (a counterfactual
    that keeps the history and adds one change); each file's own entries are
    already in date order.
    """
    entries = document.data["timeline"]
    if not _dated(entries):
        return
    order = sorted(range(len(entries)), key=lambda i: entries[i]["date"])
    if order == list(range(len(entries))):
        return
    document.data["timeline"] = [entries[i] for i in order]
    new_index = {str(old): str(new) for new, old in enumerate(order)}
    moved = {}
    for path in [p for p in document.origin if p[:1] == ("timeline",) and len(p) > 1]:
        moved[("timeline", new_index[path[1]], *path[2:])] = document.origin.pop(path)
    document.origin.update(moved)
