"""Documented diversion hubs, read from ``transit_hubs.csv``.

One row per importing country with a documented case of AI chips (or, for
Turkey, US-origin chips generally) diverted through it: the number of
generated brokers (front companies) a scenario of ``world.countries =
"reference"`` gives the country, its transit attractiveness (the multiplier
on a broker's size) and the case it rests on (docs/sources.md §9 and §23).
The cases are cited; the broker counts and multipliers themselves are
assumptions (no count of front companies is published), and each row says
so. Every importer not listed has no broker unless a scenario sets one, and
transit 1.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources

from sim.errors import UserError
from sim.reference.countries import is_valid_iso3
from sim.reference.importer_table import parse_importer_rows

__all__ = ["HUB_COLUMNS", "TransitHub", "parse_transit_hubs", "transit_hubs"]

HUB_COLUMNS = ("iso3", "brokers", "transit", "source")
"""Columns of ``transit_hubs.csv``, in order."""

_FILE = "sim/reference/transit_hubs.csv"
_MAX_BROKERS = 1000
_MAX_TRANSIT = 1000.0


@dataclass(frozen=True, slots=True)
class TransitHub:
    """One documented diversion hub.

    Attributes
    ----------
    iso3 : str
        ISO 3166-1 alpha-3 code of an importer.
    brokers : int
        Generated brokers in the country (an assumption).
    transit : float
        Multiplier on a broker's size (an assumption).
    source : str
        The documented case, and what is assumed.

    """

    iso3: str
    brokers: int
    transit: float
    source: str


def _parse_row(raw: dict[str, str], key: str) -> TransitHub:
    """Convert one CSV row, rejecting malformed fields."""
    iso3 = raw["iso3"].strip()
    if not is_valid_iso3(iso3):
        raise UserError(_FILE, key, f"bad code {iso3!r} (expected an ISO 3166-1 alpha-3 code)")
    text = raw["brokers"].strip()
    if not (text.isdigit() and int(text) <= _MAX_BROKERS):
        raise UserError(_FILE, key, f"{iso3}: brokers must be an integer 0-{_MAX_BROKERS}, "
                        f"found {text!r}")
    try:
        transit = float(raw["transit"])
    except ValueError:
        transit = math.nan
    if not 0 <= transit <= _MAX_TRANSIT:
        raise UserError(_FILE, key, f"{iso3}: transit must be a number 0-{_MAX_TRANSIT:g}, "
                        f"found {raw['transit'].strip()!r}")
    source = raw["source"].strip()
    if not source:
        raise UserError(_FILE, key, f"{iso3}: source must not be empty")
    return TransitHub(iso3, int(text), transit, source)


def parse_transit_hubs(text: str) -> dict[str, TransitHub]:
    """Read and validate the text of ``transit_hubs.csv``.

    Parameters
    ----------
    text : str
        CSV with the columns :data:`HUB_COLUMNS`.

    Returns
    -------
    dict of str to TransitHub
        Rows keyed by alpha-3 code, in file order.

    Raises
    ------
    sim.errors.UserError
        One line naming the file, the row and what is expected: a wrong
        header, a malformed field, a repeated code or a code that is not an
        importer.

    """
    return parse_importer_rows(text, _FILE, HUB_COLUMNS, _parse_row, complete=False)


@functools.cache
def transit_hubs() -> dict[str, TransitHub]:
    """Return every row of ``transit_hubs.csv``, validated (cached; do not mutate it)."""
    text = resources.files(__package__).joinpath("transit_hubs.csv").read_text(encoding="utf-8")
    return parse_transit_hubs(text)
