"""Country codes, names and the country groups that export rules refer to.

Codes are ISO 3166-1 alpha-3 and names come from :mod:`pycountry`; the
groups (BIS Country Groups, rule tiers, allied coalitions) are read from
``country_groups.csv``. Sources and doubtful memberships are listed in
``docs/reference-data.md``.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources

import pycountry

from sim.reference.eccn import validate_vintage

__all__ = ["all_iso3", "country_groups", "country_name", "headquarters_scope", "is_valid_iso3",
           "rule_scope"]


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


@functools.cache
def country_groups() -> dict[str, frozenset[str]]:
    """Return each group in ``country_groups.csv`` as a set of alpha-3 codes.

    Returns
    -------
    dict of str to frozenset of str
        Group name (e.g. ``"tier1_2025"``, ``"D:5"``) to members. Cached;
        do not mutate it.

    Raises
    ------
    ValueError
        If a code is not a valid alpha-3 code.

    """
    text = resources.files(__package__).joinpath("country_groups.csv").read_text(encoding="utf-8")
    members: dict[str, set[str]] = {}
    for row in csv.DictReader(text.splitlines()):
        if not is_valid_iso3(row["iso3"]):
            raise ValueError(f"country_groups.csv: {row['group']}: bad code {row['iso3']!r}")
        members.setdefault(row["group"], set()).add(row["iso3"])
    return {group: frozenset(codes) for group, codes in members.items()}


def _oct2023_scope() -> frozenset[str]:
    """D:1, D:4 and D:5 except A:5 and A:6 members, plus Macau."""
    groups = country_groups()
    listed = groups["D:1"] | groups["D:4"] | groups["D:5"]
    return (listed - (groups["A:5"] | groups["A:6"])) | {"MAC"}


def rule_scope(vintage: str) -> frozenset[str]:
    """Return the destinations for which a rule vintage requires a licence.

    Parameters
    ----------
    vintage : str
        ``"none"`` (no destination), ``"oct2022"`` (China with Hong Kong,
        and Macau) or ``"oct2023"`` (D:1, D:4 and D:5 except members of
        A:5 or A:6, plus Macau: docs/sources.md §4).

    Returns
    -------
    frozenset of str
        Alpha-3 codes of the restricted destinations.

    Raises
    ------
    ValueError
        If the vintage is unknown.

    """
    validate_vintage(vintage)
    if vintage == "none":
        return frozenset()
    if vintage == "oct2022":
        return country_groups()["oct2022_scope"]
    return _oct2023_scope()


def headquarters_scope(vintage: str) -> frozenset[str]:
    """Return the headquarters countries whose firms need a licence wherever they buy.

    The October 2023 rule (in force 17 Nov 2023) requires a licence for
    controlled chips going to an entity headquartered in, or whose ultimate
    parent is headquartered in, Macau or a Country Group D:5 country, wherever
    the entity is (docs/sources.md §4). The 2022 rule has no such provision.

    Parameters
    ----------
    vintage : str
        ``"none"``, ``"oct2022"`` or ``"oct2023"``.

    Returns
    -------
    frozenset of str
        Alpha-3 codes: D:5 plus Macau for ``"oct2023"``, none otherwise.

    Raises
    ------
    ValueError
        If the vintage is unknown.

    """
    validate_vintage(vintage)
    if vintage != "oct2023":
        return frozenset()
    return country_groups()["D:5"] | {"MAC"}
