"""The ``[[timeline]]`` of a scenario: dated changes within one run, checked once.

A scenario may hold entries such as::

    [[timeline]]
    date = "2023-11"
    source = "BIS, 88 FR 73458 (17 Oct 2023), effective 17 Nov 2023"
    set = { "rules.chip_rule" = "oct2023", "countries.MYS.enforcement" = 2.0 }

From ``date`` on the keys of ``set`` take the new values; until the first
entry the scenario's own values apply (:meth:`Scenario.in_force`). Only the
keys the schema declares ``changeable`` may change (rules, enforcement,
tiers, a country's enforcement and G2G status, prices, diversion behaviour);
keys that fix the window or the population may not. Entries are in date
order inside the window, and one date sets a key at most once.

In an ``extends`` chain the timelines append, parents' entries first; a file
that says ``inherit_timeline = false`` starts from an empty timeline (and
its own entries, if any) instead.

Every error names the file and the entry as ``timeline[4].set."rules.chip_rule"``
(the entry's index in the file that wrote it).
"""

from __future__ import annotations

import difflib
from dataclasses import fields, replace
from typing import Any

from sim.scenario.build import declaration_at, describe_found
from sim.scenario.consistency import LAST_MONTH, check_consistency
from sim.scenario.constraints import Invalid
from sim.scenario.documents import Document, KeyPath, toml_key
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario, TimelineEntry

__all__ = ["changeable_keys", "check_timeline"]


def changeable_keys(cls: type = Scenario, prefix: str = "") -> tuple[str, ...]:
    """Return the dotted keys a timeline may change (``countries.*.X`` for every country)."""
    found: list[str] = []
    for declaration in fields(cls):
        meta, key = declaration.metadata, f"{prefix}{declaration.name}"
        if "section" in meta:
            found += changeable_keys(meta["section"], f"{key}.")
        elif "table" in meta:
            found += changeable_keys(meta["table"], f"{key}.*.")
        elif meta.get("changes"):
            found.append(key)
    return tuple(found)


def _where(doc: Document, index: int, *rest: str) -> tuple[str, str]:
    """Return (file, key text) of entry ``index`` as the file that wrote it numbers it."""
    file, shown = doc.source_of(("timeline", str(index)))
    number = shown[1] if len(shown) > 1 else str(index)
    text = f"timeline[{number}]"
    return file, f"{text}.{toml_key(rest)}" if rest else text


def _error(doc: Document, index: int, rest: tuple[str, ...], problem: str) -> ScenarioError:
    file, key = _where(doc, index, *rest)
    return ScenarioError(file, key, problem)


def _checked_value(scenario: Scenario, doc: Document, index: int, key: str, raw: Any) -> Any:
    """Return ``raw`` converted by the constraint of ``key``, or raise naming the entry."""
    path = tuple(key.split("."))
    here = ("set", key)
    schema_path: KeyPath = path
    if path[0] == "countries" and len(path) > 2:
        if path[1] not in scenario.countries:
            raise _error(doc, index, here, f"expected a modelled country, found {path[1]!r} "
                         f"(modelled: {', '.join(scenario.country_codes)})")
        schema_path = ("countries", "", *path[2:])
    meta = declaration_at(Scenario, schema_path)
    allowed = changeable_keys()
    if meta is None or "check" not in meta:
        shown = [k.replace("*", path[1]) if len(path) > 2 else k for k in allowed]
        near = difflib.get_close_matches(key, shown, n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise _error(doc, index, here, f"expected a scenario key, found {key!r}{hint}")
    if not meta.get("changes"):
        raise _error(doc, index, here, "expected a key that may change within a run (rules, "
                     "enforcement, tiers, prices, diversion behaviour, a country's enforcement "
                     "or g2g), found one that fixes the window or the population")
    try:
        return meta["check"].convert(raw)
    except Invalid as exc:
        raise _error(doc, index, here, f"expected {exc}, found {describe_found(raw)}") from None


def _check_date(scenario: Scenario, doc: Document, index: int, entry: TimelineEntry,
                previous: str, last: str) -> None:
    start = scenario.time.start
    if not start <= entry.date <= last:
        raise _error(doc, index, ("date",), f"expected a month inside the window ({start}.."
                     f"{last}), found {entry.date!r}")
    if entry.date < previous:
        raise _error(doc, index, ("date",), f"expected entries in date order, found "
                     f"{entry.date} after {previous}")


def _last_month(scenario: Scenario) -> str:
    """Return the window's last month (the window was checked to end by ``LAST_MONTH``)."""
    year, month = int(scenario.time.start[:4]), int(scenario.time.start[5:7])
    index = year * 12 + month - 1 + scenario.time.months - 1
    return min(f"{index // 12:04d}-{index % 12 + 1:02d}", LAST_MONTH)


def check_timeline(scenario: Scenario, doc: Document) -> Scenario:
    """Check every timeline entry; return the scenario with each value converted.

    Besides each entry's dates and keys, the scenario in force after each
    date must pass the cross-field checks (a country in two tiers, caps that
    would overflow, ...); a contradiction is blamed on the entry.

    Raises
    ------
    ScenarioError
        Naming the file, the entry and the key.
    """
    if not scenario.timeline:
        return scenario
    last = _last_month(scenario)
    entries, previous, seen = [], scenario.time.start, set()
    for index, entry in enumerate(scenario.timeline):
        _check_date(scenario, doc, index, entry, previous, last)
        converted = {}
        for key, raw in entry.set.items():
            if (entry.date, key) in seen:
                raise _error(doc, index, ("set", key), f"expected a key set once on "
                             f"{entry.date}, found it set by an earlier entry of that date")
            seen.add((entry.date, key))
            converted[key] = _checked_value(scenario, doc, index, key, raw)
        entries.append(replace(entry, set=converted))
        previous = entry.date
    scenario = replace(scenario, timeline=tuple(entries))
    for date in dict.fromkeys(entry.date for entry in entries):
        _check_in_force(scenario, doc, date)
    return scenario


def _check_in_force(scenario: Scenario, doc: Document, date: str) -> None:
    """Run the cross-field checks on the scenario in force at ``date``, blaming its entries."""
    epoch = Document(data=doc.data, origin=dict(doc.origin), files=doc.files)
    for index, entry in enumerate(scenario.timeline):
        if entry.date > date:
            break
        file, _ = _where(doc, index)
        for key in entry.set:
            _, text = _where(doc, index, "set", key)
            epoch.origin[tuple(key.split("."))] = (file, (text,))
    try:
        check_consistency(scenario.in_force(date), epoch)
    except ScenarioError as exc:
        raise ScenarioError(exc.file, exc.key, f"{exc.problem} (in force from {date})") from None
