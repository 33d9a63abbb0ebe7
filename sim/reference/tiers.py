"""Each importing country's standing under each rule on a day, from the country groups.

The importers are the UN members plus Taiwan, Hong Kong and Macau
(docs/sources.md §18). For each of them and any day this module says which
tier of the January 2025 framework it is in (:func:`framework_tiers`),
whether a chip-rule vintage requires a licence for it (:func:`rule_scope`,
:func:`standing`) and whether it is embargoed (:func:`embargoed`). The groups
themselves are :func:`sim.reference.countries.country_groups`.
"""

from __future__ import annotations

import datetime
import functools

from sim.reference.countries import country_groups
from sim.reference.eccn import validate_vintage

__all__ = ["embargoed", "framework_tiers", "headquarters_scope", "importers", "rule_scope",
           "standing"]

_NON_MEMBER_IMPORTERS = frozenset({"TWN", "HKG", "MAC"})


@functools.cache
def importers() -> frozenset[str]:
    """Return every destination that can import chips: UN members plus TWN, HKG, MAC.

    The 193 UN member states (group ``un_member``) with Taiwan, Hong Kong and
    Macau, which ISO 3166-1 codes separately and export rules treat as
    destinations (docs/sources.md §18): 196 codes.
    """
    return country_groups()["un_member"] | _NON_MEMBER_IMPORTERS


def embargoed(on: str | datetime.date | None = None) -> frozenset[str]:
    """Return the embargoed destinations, Country Groups E:1 and E:2, on a day."""
    groups = country_groups(on)
    return groups["E:1"] | groups["E:2"]


def framework_tiers(on: str | datetime.date | None = None) -> dict[str, int]:
    """Return every importer's tier under the January 2025 framework on a day.

    Tier 1 is the US and its 18 partners (``tier1_2025``); Tier 3 is Country
    Group D:5 on that day plus Macau (docs/sources.md §6), so Nicaragua is in
    Tier 3 from 15 March 2024 and Cambodia leaves it on 3 February 2026; Tier
    2 is every other importer.

    Parameters
    ----------
    on : str, datetime.date or None
        The day, as for :func:`country_groups`.

    Returns
    -------
    dict of str to int
        Alpha-3 code to 1, 2 or 3, for every code in :func:`importers`, sorted
        by code.

    """
    groups = country_groups(on)
    tier1, tier3 = groups["tier1_2025"], groups["D:5"] | {"MAC"}
    return {code: 1 if code in tier1 else 3 if code in tier3 else 2
            for code in sorted(importers())}


def standing(vintage: str, on: str | datetime.date | None = None) -> dict[str, str]:
    """Return every importer's standing under a chip-rule vintage on a day.

    Parameters
    ----------
    vintage : str
        One of :data:`sim.reference.VINTAGES` (``"none"``, ``"oct2022"``,
        ``"oct2023"``).
    on : str, datetime.date or None
        The day, as for :func:`country_groups`.

    Returns
    -------
    dict of str to str
        Alpha-3 code to ``"embargoed"`` (E:1 or E:2), ``"licence"`` (in the
        vintage's scope, :func:`rule_scope`) or ``"open"``, for every code in
        :func:`importers`, sorted by code.

    Raises
    ------
    ValueError
        If the vintage is unknown.

    """
    scope, barred = rule_scope(vintage, on), embargoed(on)
    return {code: "embargoed" if code in barred else "licence" if code in scope else "open"
            for code in sorted(importers())}


def _oct2023_scope(on: str | datetime.date | None) -> frozenset[str]:
    """D:1, D:4 and D:5 except A:5 and A:6 members, plus Macau."""
    groups = country_groups(on)
    listed = groups["D:1"] | groups["D:4"] | groups["D:5"]
    return (listed - (groups["A:5"] | groups["A:6"])) | {"MAC"}


def rule_scope(vintage: str, on: str | datetime.date | None = None) -> frozenset[str]:
    """Return the destinations for which a rule vintage requires a licence.

    Parameters
    ----------
    vintage : str
        ``"none"`` (no destination), ``"oct2022"`` (China with Hong Kong,
        and Macau) or ``"oct2023"`` (D:1, D:4 and D:5 except members of
        A:5 or A:6, plus Macau: docs/sources.md §4).
    on : str, datetime.date or None
        The day whose country groups apply, as for :func:`country_groups`
        (None: :data:`REFERENCE_DAY`). Nicaragua, for example, is in the
        2023 scope only from 15 March 2024.

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
        return country_groups(on)["oct2022_scope"]
    return _oct2023_scope(on)


def headquarters_scope(vintage: str, on: str | datetime.date | None = None) -> frozenset[str]:
    """Return the headquarters countries whose firms need a licence wherever they buy.

    The October 2023 rule (in force 17 Nov 2023) requires a licence for
    controlled chips going to an entity headquartered in, or whose ultimate
    parent is headquartered in, Macau or a Country Group D:5 country, wherever
    the entity is (docs/sources.md §4). The 2022 rule has no such provision.

    Parameters
    ----------
    vintage : str
        ``"none"``, ``"oct2022"`` or ``"oct2023"``.
    on : str, datetime.date or None
        The day, as for :func:`country_groups`.

    Returns
    -------
    frozenset of str
        Alpha-3 codes: D:5 on that day plus Macau for ``"oct2023"``, none otherwise.

    Raises
    ------
    ValueError
        If the vintage is unknown.

    """
    validate_vintage(vintage)
    if vintage != "oct2023":
        return frozenset()
    return country_groups(on)["D:5"] | {"MAC"}
