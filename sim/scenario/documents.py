"""Raw scenario documents: TOML reading, the ``extends`` chain, overrides.

A document is the plain dict TOML gives, plus a provenance map from each
key path to the file (and key path within it) that set it, so that an error
found after merging still names the file the user must edit.
"""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.scenario.errors import ScenarioError

__all__ = ["MAX_DEPTH", "OVERRIDE_SOURCE", "Document", "check_depth", "read_chain"]

OVERRIDE_SOURCE = "<override>"

MAX_DEPTH = 16
"""Deepest nesting of tables and arrays a scenario may use.

The schema needs four levels (``countries.USA.firms.buyer``); the bound
keeps absurdly nested input away from the recursive code that merges and
reports values, so it fails with a :class:`ScenarioError`, not a
``RecursionError``.
"""

KeyPath = tuple[str, ...]


@dataclass
class Document:
    """A merged document and where each of its values came from."""

    data: dict[str, Any]
    origin: dict[KeyPath, tuple[str, KeyPath]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    """Files of the ``extends`` chain in merge order, the base first."""

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

    def error(self, path: KeyPath, problem: str) -> ScenarioError:
        """Build a :class:`ScenarioError` for the value at ``path``."""
        file, shown = self.source_of(path)
        return ScenarioError(file, ".".join(map(str, shown)), problem)


def check_depth(data: Any, file: str, at: KeyPath = ()) -> None:
    """Raise :class:`ScenarioError` if ``data`` nests deeper than :data:`MAX_DEPTH`.

    Iterative, so that the check itself cannot exhaust the stack.
    """
    stack: list[tuple[Any, KeyPath]] = [(data, at)]
    while stack:
        node, path = stack.pop()
        if len(path) - len(at) > MAX_DEPTH:
            raise ScenarioError(
                file, ".".join(path[: len(at) + MAX_DEPTH + 1]),
                f"expected tables and arrays nested at most {MAX_DEPTH} deep, found deeper",
            )
        if isinstance(node, dict):
            stack.extend((value, (*path, str(key))) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*path, str(i))) for i, value in enumerate(node))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            str(path), "", "expected an existing scenario file, found none"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), "", f"expected a readable UTF-8 file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ScenarioError(
            str(path), "", f"malformed TOML: expected at most {MAX_DEPTH} levels of nesting"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "", f"malformed TOML: {exc}") from None
    except ValueError as exc:  # an integer too long for Python to convert
        reason = str(exc).split(";")[0]
        problem = f"malformed TOML: expected shorter numbers ({reason})"
        raise ScenarioError(str(path), "", problem) from None
    check_depth(data, str(path))
    return data


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
    except (OSError, RuntimeError) as exc:  # RuntimeError: symlink loop before Python 3.13
        file, key = (str(child), "extends") if child is not None else (str(path), "")
        raise ScenarioError(file, key, f"expected a file that can be resolved ({exc})") from None


def read_chain(path: Path) -> Document:
    """Read ``path`` and the files it ``extends``, parents first, merged.

    Raises
    ------
    ScenarioError
        On a missing or malformed file, a non-string ``extends``, or a cycle.

    """
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: list[Path] = []
    current: Path | None = path
    while current is not None:
        resolved = _resolve(current, chain[-1][0] if chain else None)
        if resolved in seen:
            cycle = " -> ".join(p.name for p in [*seen, resolved])
            raise ScenarioError(str(chain[-1][0]), "extends", f"expected no cycle, found {cycle}")
        seen.append(resolved)
        data = _read_toml(current)
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
    for file, data in reversed(chain):
        merge_into(document, data, str(file))
    return document
