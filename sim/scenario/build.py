"""Turn a document into frozen dataclasses, checking every value against its declaration.

The walk is driven by the field declarations of :mod:`sim.scenario.schema`
(and of the sweep and targets files, declared the same way): unknown keys
(with the nearest valid key suggested), missing keys and values that fail
their constraint all raise the document's error type naming the file the
value came from. A key the file does not set takes its declared default, if
it has one.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import Field, fields
from typing import Any

from sim.scenario.constraints import Constraint, Invalid
from sim.scenario.documents import Document, KeyPath

__all__ = ["build", "check_partial", "constraint_at", "declaration_at", "describe_found"]


def describe_found(found: Any) -> str:
    """Return a short repr of a user's value for an error message."""
    if isinstance(found, int) and not isinstance(found, bool) and abs(found) >= 10**60:
        # repr would be long, and beyond 4300 digits Python refuses to write it at all
        return f"an integer of about {'-' if found < 0 else ''}2**{abs(found).bit_length()}"
    text = repr(found)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_key(doc: Document, path: KeyPath, key: str, valid: list[str]) -> Exception:
    near = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    shown = doc.source_of(path)[1] if path else ()
    hint = (
        f"; did you mean '{doc.key_text((*shown, near[0]))}'?"
        if near
        else f"; expected one of {', '.join(valid)}"
    )
    return doc.error((*path, key), "unknown key" + hint)


def _build_value(doc: Document, path: KeyPath, raw: Any, meta: dict[str, Any]) -> Any:
    if "section" in meta:
        return build(meta["section"], doc, path, raw)
    if "table" in meta:
        if not isinstance(raw, dict):
            raise doc.error(path, f"expected a table, found {describe_found(raw)}")
        table = {}
        for key in sorted(raw) if meta.get("sort_keys", True) else raw:
            try:
                checked = meta["key"].convert(key)
            except Invalid as exc:
                raise doc.error((*path, key), f"expected the key to be {exc}") from None
            table[checked] = build(meta["table"], doc, (*path, key), raw[key])
        return table
    if "array" in meta:
        if not isinstance(raw, list):
            raise doc.error(path, f"expected an array of tables, found {describe_found(raw)}")
        return tuple(build(meta["array"], doc, (*path, str(i)), r) for i, r in enumerate(raw))
    try:
        return meta["check"].convert(raw)
    except Invalid as exc:
        raise doc.error(path, f"expected {exc}, found {describe_found(raw)}") from None


def _default(doc: Document, path: KeyPath, meta: dict[str, Any]) -> Any:
    """Return the declared default of a key no file sets (``None``: absent)."""
    if meta["default"] is None:
        return None
    return _build_value(doc, path, copy.deepcopy(meta["default"]), meta)


def build(cls: type, doc: Document, path: KeyPath, raw: Any) -> Any:
    """Build dataclass ``cls`` from ``raw`` (found at ``path`` of ``doc``).

    Raises
    ------
    UserError
        The document's error type (for a scenario, ``ScenarioError``), for an
        unknown key, a missing key without a default, or a value failing its
        constraint.

    """
    declared = _declared_keys(cls, doc, path, raw)
    values = {}
    for name, declaration in declared.items():
        meta = dict(declaration.metadata)
        if name in raw:
            values[name] = _build_value(doc, (*path, name), raw[name], meta)
        elif "default" in meta:
            values[name] = _default(doc, (*path, name), meta)
        else:
            raise doc.error((*path, name), f"missing; expected {meta['doc']}")
    return cls(**values)


def _declared_keys(cls: type, doc: Document, path: KeyPath, raw: Any) -> dict[str, Field]:
    if not isinstance(raw, dict):
        raise doc.error(path, f"expected a table, found {describe_found(raw)}")
    declared = {f.name: f for f in fields(cls)}
    for key in raw:
        if key not in declared:
            raise _unknown_key(doc, path, key, sorted(declared))
    return declared


def check_partial(cls: type, doc: Document, path: KeyPath, raw: Any) -> None:
    """Check the keys ``raw`` has against ``cls`` without requiring the rest.

    Used for tables of defaults, which need not set every key.
    """
    declared = _declared_keys(cls, doc, path, raw)
    for name, value in raw.items():
        meta = dict(declared[name].metadata)
        if "section" in meta:
            check_partial(meta["section"], doc, (*path, name), value)
        else:
            _build_value(doc, (*path, name), value, meta)


def declaration_at(cls: type, path: KeyPath) -> dict[str, Any] | None:
    """Return the declaration (field metadata) at ``path`` below ``cls``, if any.

    A part of ``path`` below a table or an array (a country code, an index)
    may be anything.
    """
    declared = {f.name: dict(f.metadata) for f in fields(cls)}
    if not path or path[0] not in declared:
        return None
    meta = declared[path[0]]
    rest = path[1:]
    if not rest:
        return meta
    if "section" in meta:
        return declaration_at(meta["section"], rest)
    if "table" in meta:
        return declaration_at(meta["table"], rest[1:]) if rest[1:] else None
    if "array" in meta:
        return declaration_at(meta["array"], rest[1:]) if rest[1:] else None
    return None


def constraint_at(cls: type, path: KeyPath) -> Constraint | None:
    """Return the leaf constraint declared at ``path`` below ``cls``, if any."""
    meta = declaration_at(cls, path)
    return meta.get("check") if meta is not None else None
