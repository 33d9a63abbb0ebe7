"""``[regions.NAME]``: one table of country keys for every modelled country of a region.

A scenario may set any key a ``[countries.X]`` table takes for a whole region
of :data:`sim.reference.REGIONS` (``sim/reference/regions.csv``)::

    [regions.ASEAN]
    enforcement = 1.5

or on the command line, ``--set regions.ASEAN.enforcement=1.5``. Each
modelled country of the region takes the region's keys it does not set
itself, so a country's own key beats its region's, which beats
``[country_defaults]``. A region table adds no country to the scenario: a
region none of whose countries is modelled changes nothing (its keys are
still checked), and a modelled country in no region (a code that is not an
importer) is untouched. Region tables merge through ``extends`` as country
tables do. A ``[[timeline]]`` entry may not set a region's key
(:func:`sim.scenario.timeline.check_timeline` refuses it): dated changes
name each country.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any

from sim.reference.regions import REGIONS, region_of
from sim.scenario.build import check_partial, describe_found
from sim.scenario.documents import OVERRIDE_SOURCE, Document, KeyPath, merge_into
from sim.scenario.errors import ScenarioError
from sim.scenario.reading import check_depth
from sim.scenario.schema import REGIONS_KEY, CountryConfig

__all__ = ["apply_region_overrides", "expand_regions", "unknown_region"]


def unknown_region(name: str) -> str:
    """Return the problem text for a region key that is not a region (one line)."""
    near = difflib.get_close_matches(name, list(REGIONS), n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return (f"expected a region of sim/reference/regions.csv ({', '.join(REGIONS)}), found "
            f"{describe_found(name)}{hint}")


def apply_region_overrides(doc: Document, overrides: Mapping[str, Any],
                           parse: Any) -> None:
    """Merge the ``regions.NAME.KEY=VALUE`` overrides into ``doc`` (others are left alone).

    Parameters
    ----------
    doc : Document
        The merged ``extends`` chain; its ``regions`` table is created if
        absent.
    overrides : mapping of str to value
        Dotted keys; only those under ``regions`` are applied here.
    parse : callable (key path, raw) -> value
        Turns a command-line string into the type of the key's field.

    Raises
    ------
    ScenarioError
        Naming ``<override>`` and the key, for a region that does not exist or
        a key path with no country key after the region.
    """
    for dotted_key, raw in overrides.items():
        path = tuple(dotted_key.split("."))
        if path[0] != REGIONS_KEY:
            continue
        if len(path) < 3:
            raise ScenarioError(OVERRIDE_SOURCE, dotted_key, "expected regions.NAME.KEY=VALUE, "
                                "e.g. regions.EU.enforcement=1.5")
        if path[1] not in REGIONS:
            raise ScenarioError(OVERRIDE_SOURCE, dotted_key, unknown_region(path[1]))
        value = parse(path, raw)
        check_depth(value, OVERRIDE_SOURCE, path)
        merge_into(doc, {path[-1]: value}, OVERRIDE_SOURCE, path[:-1])


def expand_regions(doc: Document) -> None:
    """Check the ``regions`` table and give each modelled country its region's keys.

    Removes ``regions`` from ``doc.data``; each country's own keys are kept
    over its region's, and every value keeps the file (and key) that set it,
    so a bad region value is reported as ``regions.EU.enforcement``.

    Raises
    ------
    ScenarioError
        For a ``regions`` value that is not a table of tables, an unknown
        region (listing the regions), or a key or value a country table
        would refuse.
    """
    regions = doc.data.pop(REGIONS_KEY, {})
    if not isinstance(regions, dict):
        raise doc.error((REGIONS_KEY,), f"expected a table of regions, found "
                        f"{describe_found(regions)}")
    for name, table in regions.items():
        if name not in REGIONS:
            raise doc.error((REGIONS_KEY, name), unknown_region(name))
        check_partial(CountryConfig, doc, (REGIONS_KEY, name), table)
    countries = doc.data.get("countries", {})
    if not isinstance(countries, dict):
        return  # the schema reports it
    for code, own in list(countries.items()):
        region = region_of(code)
        if region in regions and isinstance(own, dict):
            countries[code] = _under(doc, regions[region], (REGIONS_KEY, region),
                                     ("countries", code), own)


def _under(doc: Document, table: dict[str, Any], region_path: KeyPath, country_path: KeyPath,
           own: dict[str, Any]) -> dict[str, Any]:
    """Return the region's ``table`` with the country's own keys merged over it, noting origins."""
    merged = Document(data=copy.deepcopy(table))
    for path, source in doc.origin.items():
        if path[:len(region_path)] == region_path:
            merged.origin[path[len(region_path):]] = source
    merge_into(merged, own, "")
    for path, source in doc.origin.items():
        if path[:len(country_path)] == country_path and len(path) > len(country_path):
            merged.origin[path[len(country_path):]] = source
    for path, source in merged.origin.items():
        if path:
            doc.origin.setdefault((*country_path, *path), source)
    return merged.data
