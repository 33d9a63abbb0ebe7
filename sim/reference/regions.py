"""The reporting regions: every importer in exactly one, read from ``regions.csv``.

Twelve regions partition :func:`sim.reference.importers` (the 196 codes), so
results on every country stay readable by region (EU, Gulf, ASEAN, ...), and a
scenario can set a key for a whole region (``[regions.EU]``). Treaty
areas follow their treaty's member list (the European Union's 27, the Gulf
Cooperation Council's 6, ASEAN's members); every other region is a UN M49
region or sub-region, less the members of those treaty areas (docs/sources.md
§21). One row per country: ``iso3``, ``region`` (a key of :data:`REGIONS`) and
``source``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

from sim.errors import UserError
from sim.reference.countries import is_valid_iso3
from sim.reference.importer_table import parse_importer_rows

__all__ = [
    "REGIONS",
    "REGION_COLUMNS",
    "RegionRow",
    "parse_regions",
    "region_members",
    "region_of",
    "region_rows",
]

REGIONS: dict[str, str] = {
    "North_America": "North America",
    "EU": "European Union",
    "Other_Europe": "Other Europe",
    "Gulf": "Gulf Cooperation Council",
    "MENA": "Other Middle East & North Africa",
    "East_Asia": "East Asia",
    "ASEAN": "ASEAN",
    "South_Asia": "South Asia",
    "Central_Asia": "Central Asia",
    "Oceania": "Oceania",
    "Latin_America": "Latin America & Caribbean",
    "Sub_Saharan_Africa": "Sub-Saharan Africa",
}
"""Region key (what a scenario's ``[regions.KEY]`` and the summaries use) to its
display name, in the order tables and figures list them."""

REGION_COLUMNS = ("iso3", "region", "source")
"""Columns of ``regions.csv``, in order."""

_FILE = "sim/reference/regions.csv"


@dataclass(frozen=True, slots=True)
class RegionRow:
    """One country's region.

    Attributes
    ----------
    iso3 : str
        ISO 3166-1 alpha-3 code of an importer.
    region : str
        A key of :data:`REGIONS`.
    source : str
        Citation for the country's membership of the region.

    """

    iso3: str
    region: str
    source: str


def _parse_row(raw: dict[str, str], key: str) -> RegionRow:
    """Convert one CSV row, rejecting a bad code, an unknown region or no source."""
    iso3, region, source = (raw[column].strip() for column in REGION_COLUMNS)
    if not is_valid_iso3(iso3):
        raise UserError(_FILE, key, f"bad code {iso3!r} (expected an ISO 3166-1 alpha-3 code)")
    if region not in REGIONS:
        raise UserError(_FILE, key, f"{iso3}: region must be one of {', '.join(REGIONS)}, "
                        f"found {region!r}")
    if not source:
        raise UserError(_FILE, key, f"{iso3}: source must not be empty")
    return RegionRow(iso3, region, source)


def parse_regions(text: str) -> dict[str, RegionRow]:
    """Read and validate the text of ``regions.csv``.

    Parameters
    ----------
    text : str
        CSV with the columns :data:`REGION_COLUMNS`.

    Returns
    -------
    dict of str to RegionRow
        Rows keyed by alpha-3 code, in file order.

    Raises
    ------
    sim.errors.UserError
        One line naming the file, the row and what is expected: a wrong
        header, a malformed field, a code listed twice, a code that is not an
        importer, an importer without a row, or a region with no country.

    """
    rows = parse_importer_rows(text, _FILE, REGION_COLUMNS, _parse_row)
    empty = [region for region in REGIONS if all(r.region != region for r in rows.values())]
    if empty:
        raise UserError(_FILE, "region", f"every region needs a country, found none in "
                        f"{empty[0]}")
    return rows


@functools.cache
def region_rows() -> dict[str, RegionRow]:
    """Return every row of ``regions.csv``, validated (cached; do not mutate it)."""
    text = resources.files(__package__).joinpath("regions.csv").read_text(encoding="utf-8")
    return parse_regions(text)


def region_of(iso3: str) -> str | None:
    """Return the region key of a country, or None for a code that is not an importer."""
    row = region_rows().get(iso3)
    return row.region if row is not None else None


@functools.cache
def region_members() -> dict[str, frozenset[str]]:
    """Return each region's countries, keyed and ordered as :data:`REGIONS` (cached)."""
    rows = region_rows().values()
    return {region: frozenset(r.iso3 for r in rows if r.region == region) for region in REGIONS}
