"""Country codes, names and the country groups that export rules refer to.

Codes are ISO 3166-1 alpha-3 and names come from :mod:`pycountry`; the
groups (BIS Country Groups, rule tiers, allied coalitions, UN membership) are
read from ``country_groups.csv``, one row per membership with the day it began
and ended where a group changed (``added``, ``removed``), so every group can
be read on any day. What the groups mean for each destination under each rule
is :mod:`sim.reference.tiers`. Sources and doubtful memberships are listed in
``docs/reference-data.md``.
"""

from __future__ import annotations

import csv
import datetime
import functools
import re
from dataclasses import dataclass
from importlib import resources

import pycountry

from sim.errors import UserError

__all__ = [
    "GROUP_COLUMNS",
    "REFERENCE_DAY",
    "GroupRow",
    "all_iso3",
    "as_day",
    "country_groups",
    "country_name",
    "group_rows",
    "is_valid_iso3",
    "parse_group_rows",
]

GROUP_COLUMNS = ("group", "iso3", "added", "removed", "source")
"""Columns of ``country_groups.csv``, in order."""

REFERENCE_DAY = "2025-01-13"
"""The day groups are read on when no day is given: the January 2025 framework's
publication (docs/sources.md §5), the snapshot the scenarios were built on."""

_GROUPS_FILE = "sim/reference/country_groups.csv"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


@functools.cache
def all_iso3() -> frozenset[str]:
    """Return every ISO 3166-1 alpha-3 code known to pycountry."""
    return frozenset(country.alpha_3 for country in pycountry.countries)


def is_valid_iso3(code: str) -> bool:
    """Tell whether ``code`` is an ISO 3166-1 alpha-3 code (case-sensitive)."""
    return code in all_iso3()


def country_name(iso3: str) -> str:
    """Return the short English name of a country, e.g. ``"Taiwan"`` for TWN.

    Parameters
    ----------
    iso3 : str
        ISO 3166-1 alpha-3 code.

    Returns
    -------
    str
        pycountry's common name where it has one, else its official short name.

    Raises
    ------
    ValueError
        If the code is not a valid alpha-3 code.

    """
    if not is_valid_iso3(iso3):
        raise ValueError(f"not an ISO 3166-1 alpha-3 code: {iso3!r}")
    country = pycountry.countries.get(alpha_3=iso3)
    return getattr(country, "common_name", None) or country.name


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One membership of ``country_groups.csv``: a country in a group over a period.

    Attributes
    ----------
    group : str
        Group name, e.g. ``"D:5"`` or ``"tier1_2025"``.
    iso3 : str
        ISO 3166-1 alpha-3 code of the member.
    added : str
        ``"YYYY-MM-DD"`` from which it is a member; ``""`` for a member since
        before any date the model uses.
    removed : str
        ``"YYYY-MM-DD"`` from which it is no longer a member; ``""`` if it
        still is.
    source : str
        Citation for the membership and its dates.

    """

    group: str
    iso3: str
    added: str
    removed: str
    source: str

    def member_on(self, day: str) -> bool:
        """Tell whether the row holds on ``day`` (``added <= day < removed``)."""
        return (not self.added or self.added <= day) and (not self.removed or day < self.removed)


def _check_date(text: str, key: str, field: str) -> str:
    """Return ``text`` if it is blank or a real ``YYYY-MM-DD`` date."""
    if text and not (_DATE.fullmatch(text) and _is_real_date(text)):
        raise UserError(_GROUPS_FILE, key, f"{field} must be a date YYYY-MM-DD or blank, "
                        f"found {text!r}")
    return text


def _is_real_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse_group_rows(text: str) -> tuple[GroupRow, ...]:
    """Read and validate the text of ``country_groups.csv``.

    Parameters
    ----------
    text : str
        CSV with the header ``group,iso3,added,removed,source``.

    Returns
    -------
    tuple of GroupRow
        Rows in file order.

    Raises
    ------
    sim.errors.UserError
        On the first bad row, one line naming the file, the row and what is
        expected: an unknown column set, a bad code, a bad or reversed date,
        an empty source, or two rows for one country in one group whose
        periods overlap.

    """
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames != list(GROUP_COLUMNS):
        raise UserError(_GROUPS_FILE, "header", f"columns must be {','.join(GROUP_COLUMNS)}, "
                        f"found {','.join(reader.fieldnames or [])}")
    rows: list[GroupRow] = []
    for line, raw in enumerate(reader, start=2):
        key = f"line {line}"
        if None in raw or any(value is None for value in raw.values()):
            raise UserError(_GROUPS_FILE, key, f"{len(GROUP_COLUMNS)} fields expected")
        group, iso3 = raw["group"].strip(), raw["iso3"].strip()
        if not group:
            raise UserError(_GROUPS_FILE, key, "group must not be empty")
        if not is_valid_iso3(iso3):
            raise UserError(_GROUPS_FILE, key, f"{group}: bad code {iso3!r} "
                            "(expected an ISO 3166-1 alpha-3 code)")
        added = _check_date(raw["added"].strip(), key, "added")
        removed = _check_date(raw["removed"].strip(), key, "removed")
        if added and removed and removed <= added:
            raise UserError(_GROUPS_FILE, key, f"{group} {iso3}: removed {removed} must be "
                            f"after added {added}")
        if not raw["source"].strip():
            raise UserError(_GROUPS_FILE, key, f"{group} {iso3}: source must not be empty")
        row = GroupRow(group, iso3, added, removed, raw["source"].strip())
        for other in rows:
            if (other.group, other.iso3) == (group, iso3) and _overlap(other, row):
                raise UserError(_GROUPS_FILE, key, f"{group} lists {iso3} twice over "
                                "overlapping periods")
        rows.append(row)
    return tuple(rows)


def _overlap(a: GroupRow, b: GroupRow) -> bool:
    """Tell whether two membership periods share a day."""
    a_end, b_end = a.removed or "9999-12-31", b.removed or "9999-12-31"
    return (a.added or "") < b_end and (b.added or "") < a_end


@functools.cache
def group_rows() -> tuple[GroupRow, ...]:
    """Return every row of ``country_groups.csv``, validated (cached)."""
    text = resources.files(__package__).joinpath("country_groups.csv").read_text(encoding="utf-8")
    return parse_group_rows(text)


def as_day(on: str | datetime.date | None) -> str:
    """Return ``on`` as ``"YYYY-MM-DD"``: None is :data:`REFERENCE_DAY`, a month its first day.

    Parameters
    ----------
    on : str, datetime.date or None
        ``"YYYY-MM-DD"``, ``"YYYY-MM"`` (the first day of the month) or a date.

    Returns
    -------
    str
        The day in ISO form.

    Raises
    ------
    ValueError
        If the text is neither form.

    """
    if on is None:
        return REFERENCE_DAY
    if isinstance(on, datetime.date):
        return on.isoformat()
    day = f"{on}-01" if _MONTH.fullmatch(on) else on
    if not (_DATE.fullmatch(day) and _is_real_date(day)):
        raise ValueError(f"a date YYYY-MM-DD or a month YYYY-MM expected, found {on!r}")
    return day


@functools.cache
def _groups_on(day: str) -> dict[str, frozenset[str]]:
    members: dict[str, set[str]] = {}
    for row in group_rows():
        bucket = members.setdefault(row.group, set())
        if row.member_on(day):
            bucket.add(row.iso3)
    return {group: frozenset(codes) for group, codes in members.items()}


def country_groups(on: str | datetime.date | None = None) -> dict[str, frozenset[str]]:
    """Return each group in ``country_groups.csv`` as a set of alpha-3 codes on a day.

    Parameters
    ----------
    on : str, datetime.date or None
        The day (``"YYYY-MM-DD"``, or ``"YYYY-MM"`` for the first of the
        month). None means :data:`REFERENCE_DAY`, the day the January 2025
        framework was published, which is the snapshot the scenarios use.

    Returns
    -------
    dict of str to frozenset of str
        Group name (e.g. ``"tier1_2025"``, ``"D:5"``) to its members on that
        day; a group with no member that day maps to an empty set. Cached; do
        not mutate it.

    Raises
    ------
    sim.errors.UserError
        If the table is malformed (one line naming the row).
    ValueError
        If ``on`` is not a date.

    """
    return _groups_on(as_day(on))
