"""``[world]``: every importing country from the reference data, or only the listed ones.

``world.countries = "listed"`` (the schema default) models the countries a
scenario names in ``[countries.X]`` tables, as before. ``"reference"``
models every importer of :func:`sim.reference.importers` (the UN members
plus Taiwan, Hong Kong and Macau), each in its tier from the country groups
(``tiers.tier1``, ``tiers.tier3``; Tier 2 is the rest), with:

- generated ordinary buyers: ``world.min_buyers`` each, and the rest of
  ``world.total_buyers`` shared by demand share (``demand_shares.csv``) by largest
  remainders; research buyers the same from ``world.total_research`` and
  ``world.min_research``; no generated champion (national champions are the
  named ``[[firms]]``, unless a country sets ``firms.champion``);
- brokers and transit from ``transit_hubs.csv`` where diversion through the
  country is documented; elsewhere no broker and transit 1.

These reference values sit between a country's region and
``[country_defaults]``: a country's own key beats its region's
(``[regions.NAME]``), which beats the reference, which beats the defaults.
Its demand is its share of the world's (:mod:`sim.scenario.demand_level`),
not a typed size. Both steps work on the merged document before the schema
is built, so every value is checked as if a file had set it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

from sim.reference.demand import demand_shares
from sim.reference.tiers import importers
from sim.reference.transit import transit_hubs
from sim.scenario.build import check_partial, describe_found
from sim.scenario.documents import Document, merge_into
from sim.scenario.schema import WorldConfig

__all__ = ["REFERENCE_SOURCE", "WORLD_KEY", "add_importers", "apply_reference",
           "apportion", "reference_countries"]

WORLD_KEY = "world"
REFERENCE_SOURCE = "sim/reference (world.countries = \"reference\")"
"""The origin recorded for a value the reference data gave a country."""

_DEFAULTS = {name: field.metadata["default"]
             for name, field in WorldConfig.__dataclass_fields__.items()}


def _world(doc: Document) -> dict[str, Any]:
    """Return the ``world`` table with its defaults, checked (keys and values)."""
    table = doc.data.get(WORLD_KEY, {})
    if not isinstance(table, dict):
        raise doc.error((WORLD_KEY,), f"expected a table, found {describe_found(table)}")
    check_partial(WorldConfig, doc, (WORLD_KEY,), table)
    return _DEFAULTS | table


def add_importers(doc: Document) -> None:
    """Under ``"reference"``, give every importer a (possibly empty) country table.

    Run before the region tables are expanded, so every importer takes its
    region's keys.
    """
    world = _world(doc)
    if world["countries"] != "reference":
        return
    countries = doc.data.setdefault("countries", {})
    if not isinstance(countries, dict):
        return  # the schema reports it
    for code in sorted(importers()):
        countries.setdefault(code, {})


def apply_reference(doc: Document) -> None:
    """Under ``"reference"``, merge each importer's reference values under its own keys.

    Run after the region tables are expanded and before ``[country_defaults]``,
    so the order is own > region > reference > defaults.
    """
    world = _world(doc)
    if world["countries"] != "reference":
        return
    countries = doc.data.get("countries", {})
    if not isinstance(countries, dict):
        return
    reference = reference_countries(world)
    for code, own in list(countries.items()):
        if code not in reference or not isinstance(own, dict):
            continue
        merged = Document(data=copy.deepcopy(reference[code]))
        merge_into(merged, own, "")
        countries[code] = merged.data
        _note_origins(doc, code, reference[code], ())


def _note_origins(doc: Document, code: str, table: Mapping[str, Any], at: tuple[str, ...]) -> None:
    for key, value in table.items():
        path = ("countries", code, *at, key)
        doc.origin.setdefault(path, (REFERENCE_SOURCE, path))
        if isinstance(value, Mapping):
            _note_origins(doc, code, value, (*at, key))


def reference_countries(world: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return each importer's reference country keys under the ``world`` settings.

    Parameters
    ----------
    world : mapping
        The ``world`` keys (``total_buyers``, ``min_buyers``, ``total_research``,
        ``min_research``), defaults filled in.

    Returns
    -------
    dict of str to dict
        Alpha-3 code to ``{"firms": {...}}``, plus ``"transit"`` for a hub
        of ``transit_hubs.csv``. Brokers are the hub's, 0 elsewhere.
    """
    codes = sorted(importers())
    shares = [demand_shares()[code].share for code in codes]
    buyers = apportion(shares, world["total_buyers"], world["min_buyers"])
    research = apportion(shares, world["total_research"], world["min_research"])
    hubs = transit_hubs()
    table: dict[str, dict[str, Any]] = {}
    for code, n_buyers, n_research in zip(codes, buyers, research, strict=True):
        hub = hubs.get(code)
        table[code] = {"firms": {"buyer": n_buyers, "research": n_research, "champion": 0,
                                 "broker": hub.brokers if hub else 0}}
        if hub:
            table[code]["transit"] = hub.transit
    return table


def apportion(shares: list[float], total: int, minimum: int) -> list[int]:
    """Share ``total`` items among countries: ``minimum`` each, the rest by largest remainder.

    Parameters
    ----------
    shares : list of float
        Non-negative weights, one per country (summing to a positive number).
    total : int
        Items in all; if fewer than ``minimum`` times the countries, each still
        gets ``minimum``.
    minimum : int
        Items every country gets first.

    Returns
    -------
    list of int
        Items per country: ``minimum`` plus the floor of its share of the
        rest, and one more for the largest remainders (ties to the earlier
        country), so the items sum to ``max(total, minimum x countries)``.
    """
    rest = max(total - minimum * len(shares), 0)
    weight = math.fsum(shares)
    quotas = [rest * share / weight if weight > 0 else 0.0 for share in shares]
    counts = [math.floor(q) for q in quotas]
    left = rest - sum(counts) if weight > 0 else 0
    order = sorted(range(len(shares)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[:left]:
        counts[i] += 1
    return [minimum + n for n in counts]
