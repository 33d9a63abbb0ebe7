"""``load_scenario``: the one front door from a TOML file to a checked Scenario."""

from __future__ import annotations

import copy
import difflib
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from os import PathLike
from pathlib import Path
from typing import Any

from sim.scenario.build import (
    build,
    check_partial,
    constraint_at,
    declaration_at,
    describe_found,
)
from sim.scenario.consistency import check_consistency
from sim.scenario.constraints import Countries, Country, Invalid, Month, OneOf, Text
from sim.scenario.documents import OVERRIDE_SOURCE, Document, KeyPath, merge_into, read_chain
from sim.scenario.errors import ScenarioError
from sim.scenario.reading import check_depth
from sim.scenario.regions import apply_region_overrides, expand_regions
from sim.scenario.schema import REGIONS_KEY, CountryConfig, Scenario
from sim.scenario.timeline import check_timeline, recheck_timeline
from sim.scenario.world import WORLD_KEY, add_importers, apply_reference

__all__ = ["load_scenario", "parse_assignment", "resolve_points", "resolve_scenario"]

DEFAULTS_KEY = "country_defaults"
_EARLY_KEYS = (DEFAULTS_KEY, WORLD_KEY)
"""Top-level tables an override sets before the country tables are expanded."""
_STRING_CONSTRAINTS = (Text, OneOf, Month, Country)


def parse_assignment(text: str) -> tuple[str, str]:
    """Split a command-line ``KEY=VALUE`` into its two halves.

    Raises
    ------
    ScenarioError
        When there is no ``=`` or the key is empty.

    """
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(
            OVERRIDE_SOURCE, text, "expected KEY=VALUE, e.g. enforcement.detection=0.3"
        )
    return key.strip(), raw.strip()


def _schema_path(key_path: KeyPath) -> KeyPath:
    """Return the schema path of a key (``country_defaults`` and region keys are country keys)."""
    if key_path[0] == DEFAULTS_KEY:
        return ("countries", "", *key_path[1:])
    if key_path[0] == REGIONS_KEY:
        return ("countries", "", *key_path[2:])
    return key_path


def _has_default(key_path: KeyPath) -> bool:
    """Tell whether the schema declares a default for the key (no file need set it)."""
    declaration = declaration_at(Scenario, _schema_path(key_path))
    return declaration is not None and "default" in declaration


def _parse_override(key_path: KeyPath, raw: Any) -> Any:
    """Parse a command-line string to the type the field at ``key_path`` takes."""
    if not isinstance(raw, str):
        return raw
    constraint = constraint_at(Scenario, _schema_path(key_path))
    if isinstance(constraint, _STRING_CONSTRAINTS):
        return raw
    if isinstance(constraint, Countries) and not raw.startswith("["):
        return raw
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except (ValueError, RecursionError):  # not TOML: the constraint reports the string
        return raw


def _apply_overrides(doc: Document, overrides: Mapping[str, Any], early: bool) -> None:
    for dotted, raw in overrides.items():
        path = tuple(dotted.split("."))
        if (path[0] in _EARLY_KEYS) != early or path[0] == REGIONS_KEY:
            continue
        node: Any = doc.data
        for depth, key in enumerate(path[:-1]):
            if not isinstance(node, dict) or key not in node:
                shown = ".".join(path[: depth + 1])
                models = (f" (the scenario models: {', '.join(sorted(node))})"
                          if path[:1] == ("countries",) and depth == 1 else "")
                raise ScenarioError(OVERRIDE_SOURCE, shown,
                                    f"unknown key in override '{dotted}'{models}")
            node = node[key]
        if not isinstance(node, dict) or (path[-1] not in node and not _has_default(path)):
            valid = sorted(set(node) | _declared(path[:-1])) if isinstance(node, dict) else []
            raise _override_unknown(path, dotted, valid)
        value = _parse_override(path, raw)
        check_depth(value, OVERRIDE_SOURCE, path)
        merge_into(doc, {path[-1]: value}, OVERRIDE_SOURCE, path[:-1])


def _declared(key_path: KeyPath) -> set[str]:
    """Return the keys the schema declares in the section at ``key_path`` (none if not one)."""
    if not key_path:
        return {f.name for f in fields(Scenario)}
    declaration = declaration_at(Scenario, _schema_path(key_path))
    if declaration is None or "section" not in declaration:
        return set()
    return {f.name for f in fields(declaration["section"])}


def _override_unknown(path: KeyPath, dotted: str, valid: list[str]) -> ScenarioError:
    near = difflib.get_close_matches(path[-1], valid, n=1, cutoff=0.5)
    hint = f"; did you mean '{'.'.join((*path[:-1], near[0]))}'?" if near else ""
    return ScenarioError(OVERRIDE_SOURCE, dotted, f"unknown key in override '{dotted}'{hint}")


def _expand_country_defaults(doc: Document) -> None:
    """Give every country the defaults it does not override itself."""
    defaults = doc.data.pop(DEFAULTS_KEY, {})
    if not isinstance(defaults, dict):
        raise doc.error((DEFAULTS_KEY,), f"expected a table, found {describe_found(defaults)}")
    check_partial(CountryConfig, doc, (DEFAULTS_KEY,), defaults)
    countries = doc.data.get("countries", {})
    if not isinstance(countries, dict):
        return
    default_origin = {path[1:]: source for path, source in doc.origin.items()
                      if path[:1] == (DEFAULTS_KEY,)}
    own_origin: dict[str, dict[KeyPath, Any]] = {}
    for path, source in doc.origin.items():  # grouped once: one pass, not one per country
        if path[:1] == ("countries",) and len(path) > 2:
            own_origin.setdefault(path[1], {})[path[2:]] = source
    for code, own in list(countries.items()):
        if not isinstance(own, dict):
            continue
        merged = Document(data=copy.deepcopy(defaults))
        merged.origin.update(default_origin)
        merge_into(merged, own, "")
        merged.origin.update(own_origin.get(code, {}))
        countries[code] = merged.data
        for path, source in merged.origin.items():
            doc.origin.setdefault(("countries", code, *path), source)


def resolve_points(document: Document, points: Sequence[Mapping[str, Any]],
                   is_point_key: Callable[[str], bool]) -> list[Scenario]:
    """Resolve many override sets of one document, most by setting a few values.

    A sweep's points differ from each other in a few keys, and resolving one
    in full (:func:`resolve_scenario`) costs some 18 ms on the history. The
    first point is resolved in full; a later point whose overrides differ
    from the first's only in keys ``is_point_key`` accepts is the first point's
    scenario with those values set (:meth:`Scenario.with_values`), each
    converted by its key's constraint, and only the cross-field checks that
    read them (:data:`sim.scenario.consistency.CHECKS`) run again, in every
    epoch of the timeline. Any other point, and any point whose values fail
    there, is resolved in full, so a bad value gets the error
    :func:`resolve_scenario` gives.

    ``is_point_key`` must accept only keys of plain values that the
    resolution copies into the scenario as they are (not a region, defaults
    or world key, nor one a resolution step derives other values from):
    ``sim.sweep`` and ``sim.calibration`` pass
    :func:`sim.core.points.is_run_level`, and ``tests/test_points.py`` holds
    each of those keys, derived, equal to its full resolution.
    """
    if not points:
        return []
    first_overrides = dict(points[0])
    first = resolve_scenario(document, first_overrides)
    return [first, *(_derived(document, first, first_overrides, dict(overrides), is_point_key)
                     or resolve_scenario(document, overrides) for overrides in points[1:])]


_UNSET = object()


def _derived(document: Document, first: Scenario, first_overrides: dict[str, Any],
             overrides: dict[str, Any], is_point_key: Callable[[str], bool]) -> Scenario | None:
    """Return the point as ``first`` with its own values set, or None to resolve it in full."""
    changed = {key for key in first_overrides.keys() | overrides.keys()
               if overrides.get(key, _UNSET) != first_overrides.get(key, _UNSET)}
    if not changed <= overrides.keys() or not all(is_point_key(key) for key in changed):
        return None
    if any(key.startswith("countries.") and key.split(".")[1] not in first.countries
           for key in changed):
        return None  # a country the scenario does not model: its full resolution says so
    values = {}
    for key in changed:
        path = tuple(key.split("."))
        constraint = constraint_at(Scenario, _schema_path(path))
        if constraint is None:
            return None
        try:
            values[key] = constraint.convert(_parse_override(path, overrides[key]))
        except Invalid:
            return None
    scenario = first.with_values(values)
    try:
        check_consistency(scenario, document, changed)
        recheck_timeline(scenario, document, changed)
    except ScenarioError:
        return None
    return scenario


def load_scenario(
    path: str | PathLike[str], overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Load, merge, override and validate a scenario file.

    Parameters
    ----------
    path : str or path-like
        A TOML scenario file; it may name a parent with ``extends = "base.toml"``
        (relative to itself), whose values it overrides table by table.
    overrides : mapping of str to value, optional
        Dotted keys to set after merging, e.g. ``{"enforcement.detection": 0.3}``,
        ``{"countries.SGP.enforcement": 2.0}`` or ``{"regions.ASEAN.enforcement":
        2.0}`` (every modelled ASEAN country that does not set the key itself:
        :mod:`sim.scenario.regions`). String values (from the command line) are
        parsed to the field's type.

    Returns
    -------
    Scenario
        Frozen and fully validated.

    Raises
    ------
    ScenarioError
        Naming the file, the key path, what was expected and what was found.

    """
    return resolve_scenario(read_chain(Path(path)), overrides)


def resolve_scenario(
    document: Document, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Override and validate an ``extends`` chain already read (no file is opened).

    :func:`load_scenario` is ``resolve_scenario(read_chain(path), overrides)``;
    a sweep reads the chain once and ships the document to its workers, so
    every point runs on the content that was fingerprinted. ``document`` is
    left unchanged.
    """
    doc = copy.deepcopy(document)
    overrides = dict(overrides or {})
    doc.data.setdefault(WORLD_KEY, {})
    _apply_overrides(doc, overrides, early=True)
    apply_region_overrides(doc, overrides, _parse_override)
    add_importers(doc)
    expand_regions(doc)
    apply_reference(doc)
    _expand_country_defaults(doc)
    _apply_overrides(doc, overrides, early=False)
    doc.data.setdefault("firms", [])
    scenario = build(Scenario, doc, (), doc.data)
    check_consistency(scenario, doc)
    return check_timeline(scenario, doc)
