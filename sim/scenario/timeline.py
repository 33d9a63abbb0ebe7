"""The ``[[timeline]]`` of a scenario: dated changes within one run, checked once.

A scenario may hold entries such as::

    [[timeline]]
    date = "2023-11"
    source = "BIS, 88 FR 73458 (17 Oct 2023), effective 17 Nov 2023"
    set = { "rules.chip_rule" = "oct2023", "countries.MYS.enforcement" = 2.0 }

From ``date`` on the keys of ``set`` take the new values; until the first
entry the scenario's own values apply (:meth:`Scenario.in_force`). Only the
keys the schema declares ``changeable`` may change (rules and chip
measures, enforcement, tiers, a country's enforcement, G2G status and import
policy, each chip's output and price, the domestic chip, diversion
behaviour); keys that fix the window, the chips or the population may not.
A file's entries are in date order inside its window, and one file sets a
key at most once on one date. An entry names each country it changes: a
region's key (``regions.EU.enforcement``) is refused.

In an ``extends`` chain the timelines merge in date order, parents' entries
first on one date; a child's entry that sets a key on the same date as a
parent's replaces the parent's value (a counterfactual changes one event of
a history). A file that says ``inherit_timeline = false`` starts from an
empty timeline (and its own entries, if any) instead. A file that cuts a
shorter window out of its parent's keeps the parent's entries outside it:
those before its start are in force from the start, those after its end
never apply.

Every error names the file and the entry as ``timeline[4].set."rules.chip_rule"``
(the entry's index in the file that wrote it).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import fields, replace
from typing import Any

from sim.reference.chips import load_chips
from sim.reference.regions import REGIONS, region_of
from sim.scenario.build import declaration_at, describe_found
from sim.scenario.consistency import check_consistency, checks_reading, window_end
from sim.scenario.constraints import Invalid
from sim.scenario.documents import OVERRIDE_SOURCE, Document, KeyPath, toml_key
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import REGIONS_KEY, Scenario, TimelineEntry

__all__ = ["changeable_keys", "check_timeline", "recheck_timeline"]


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


def _schema_path(scenario: Scenario, doc: Document, index: int,
                 path: tuple[str, ...]) -> KeyPath:
    """Return ``path`` with each table key (a country, a chip) checked and blanked.

    ``countries.SGP.enforcement`` becomes ``("countries", "", "enforcement")``,
    the path of the declaration; a table key the scenario does not hold is an
    error. An unknown key is returned as it is (``declaration_at`` finds nothing).
    """
    cls: Any = Scenario
    config: Any = scenario
    found: list[str] = []
    position = 0
    while position < len(path):
        part = path[position]
        meta = {f.name: f.metadata for f in fields(cls)}.get(part) if cls else None
        found.append(part)
        position += 1
        if meta is None or not ("section" in meta or "table" in meta):
            cls = config = None
        elif "section" in meta:
            cls, config = meta["section"], getattr(config, part)
        elif position < len(path) - 1:
            table, key = getattr(config, part), path[position]
            if key not in table:
                what = ("a modelled country" if part == "countries"
                        else f"a key of {'.'.join(path[:position])}")
                raise _error(doc, index, ("set", ".".join(path)), f"expected {what}, found "
                             f"{key!r} (the scenario has: {', '.join(table) or 'none'})")
            found.append("")
            position += 1
            cls, config = meta["table"], table[key]
    return tuple(found)


def _checked_value(scenario: Scenario, doc: Document, index: int, key: str, raw: Any) -> Any:
    """Return ``raw`` converted by the constraint of ``key``, or raise naming the entry."""
    path = tuple(key.split("."))
    here = ("set", key)
    if path[0] == REGIONS_KEY:
        raise _error(doc, index, here, _region_refused(scenario, path))
    schema_path = _schema_path(scenario, doc, index, path)
    meta = declaration_at(Scenario, schema_path)
    allowed = changeable_keys()
    if meta is None or "check" not in meta:
        shown = [k.replace("*", path[1]) if len(path) > 2 else k for k in allowed]
        near = difflib.get_close_matches(key, shown, n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise _error(doc, index, here, f"expected a scenario key, found {key!r}{hint}")
    if not meta.get("changes"):
        raise _error(doc, index, here, "expected a key that may change within a run (rules, "
                     "enforcement, tiers, prices, supply, diversion behaviour, a country's "
                     "enforcement, g2g or import policy), found one that fixes the window or "
                     "the population")
    try:
        return meta["check"].convert(raw)
    except Invalid as exc:
        raise _error(doc, index, here, f"expected {exc}, found {describe_found(raw)}") from None


def _region_refused(scenario: Scenario, path: tuple[str, ...]) -> str:
    """Return why a timeline entry may not set a region's key, naming the countries to set."""
    rest = ".".join(path[2:]) or "KEY"
    if len(path) < 2 or path[1] not in REGIONS:
        return f"expected one country's key (countries.<code>.{rest}), found a region's"
    members = [code for code in scenario.countries if region_of(code) == path[1]]
    listed = (f"set each of its modelled countries ({', '.join(members)}) as countries."
              f"<code>.{rest}" if members else "none of its countries is modelled")
    return (f"expected one country's key, found region {path[1]}'s: a timeline entry sets "
            f"countries one by one; {listed}")


def _check_date(scenario: Scenario, doc: Document, index: int, entry: TimelineEntry,
                previous: str, last: str) -> None:
    start = scenario.time.start
    if not start <= entry.date <= last and not _window_changed_since(doc, index):
        raise _error(doc, index, ("date",), f"expected a month inside the window ({start}.."
                     f"{last}), found {entry.date!r}")
    if entry.date < previous:
        raise _error(doc, index, ("date",), f"expected entries in date order, found "
                     f"{entry.date} after {previous}")


def _window_changed_since(doc: Document, index: int) -> bool:
    """Tell whether a later file of the chain (or an override) set the window.

    A scenario that cuts a window out of a longer history keeps the history's
    timeline: entries before its start are in force from the start, entries
    after its end never apply. Only the file that wrote an entry, with the
    window it sees, must place the entry inside the window.
    """
    rank = {file: position for position, file in enumerate(doc.files)}
    rank[OVERRIDE_SOURCE] = len(doc.files)
    entry_file, _ = doc.source_of(("timeline", str(index)))
    window = max(rank.get(doc.source_of(("time", key))[0], -1) for key in ("start", "months"))
    return window > rank.get(entry_file, len(doc.files))


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
    last = window_end(scenario)
    entries: list[TimelineEntry] = []
    previous, seen = "", {}
    for index, entry in enumerate(scenario.timeline):
        _check_date(scenario, doc, index, entry, previous, last)
        file, _ = doc.source_of(("timeline", str(index)))
        converted = {}
        for key, raw in entry.set.items():
            if (entry.date, key) in seen:
                earlier, earlier_file = seen[(entry.date, key)]
                if earlier_file == file:
                    raise _error(doc, index, ("set", key), f"expected a key set once on "
                                 f"{entry.date}, found it set by an earlier entry of that date")
                del entries[earlier].set[key]  # a child's event replaces its parent's
            seen[(entry.date, key)] = (index, file)
            converted[key] = _checked_value(scenario, doc, index, key, raw)
            _check_launch(doc, index, entry.date, key, converted[key])
        entries.append(replace(entry, set=converted))
        previous = entry.date
    scenario = replace(scenario, timeline=tuple(entries))
    for date in dict.fromkeys(entry.date for entry in entries):
        _check_in_force(scenario, doc, date)
    return scenario


def _check_launch(doc: Document, index: int, date: str, key: str, new: Any) -> None:
    """Refuse an entry that puts a chip on sale before its launch month."""
    path = key.split(".")
    if path[:2] != ["market", "chips"] or path[3:] != ["capacity_chips"] or new == 0:
        return
    launch = load_chips()[path[2]].launch
    if date < launch:
        raise _error(doc, index, ("set", key), f"expected a chip on sale from its launch "
                     f"({path[2]}: {launch}), found capacity {new} from {date}")


def recheck_timeline(scenario: Scenario, doc: Document, changed: Collection[str]) -> None:
    """Rerun, at each entry's date, the cross-field checks that read ``changed`` keys.

    For a scenario that differs from a checked one (whose entries were
    converted by :func:`check_timeline`) only in the values of ``changed``,
    and whose own values have just passed ``check_consistency(scenario,
    doc, changed)``: a date is skipped where none of those checks reads a
    key the timeline has set by then, since the scenario in force there
    gives them the values they passed on.

    Raises
    ------
    ScenarioError
        As :func:`check_timeline` does.
    """
    needed = set(checks_reading(changed))
    if not needed:
        return
    for date in dict.fromkeys(entry.date for entry in scenario.timeline):
        set_by = {key for entry in scenario.timeline if entry.date <= date for key in entry.set}
        # a check that reads no key the timeline has set by then sees the scenario's own
        # values there (CHECKS lists what each reads), and passed on those just before
        if needed.intersection(checks_reading(set_by)):
            _check_in_force(scenario, doc, date, changed)


def _check_in_force(scenario: Scenario, doc: Document, date: str,
                    changed: Collection[str] | None = None) -> None:
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
        check_consistency(scenario.in_force(date), epoch, changed)
    except ScenarioError as exc:
        raise ScenarioError(exc.file, exc.key, f"{exc.problem} (in force from {date})") from None
