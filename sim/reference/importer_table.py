"""Reading a reference table that has exactly one row per importing country.

``demand_shares.csv``, ``regions.csv`` and ``transit_hubs.csv`` share the
rule: the header is fixed, every row parses, no code repeats and every code
is an importer (:func:`sim.reference.tiers.importers`); in the first two
every importer has a row. :func:`parse_importer_rows` checks it once for
all; each table adds its own checks on the rows it returns.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from sim.errors import UserError
from sim.reference.tiers import importers

__all__ = ["parse_importer_rows"]


class _Row(Protocol):
    iso3: str


Row = TypeVar("Row", bound=_Row)


def parse_importer_rows(text: str, file: str, columns: Sequence[str],
                        parse_row: Callable[[dict[str, str], str], Row],
                        complete: bool = True) -> dict[str, Row]:
    """Parse a table with at most one row per importer, keyed by alpha-3 code in file order.

    Parameters
    ----------
    text : str
        The CSV text.
    file : str
        The file's name in error messages.
    columns : sequence of str
        The header, in order.
    parse_row : callable
        ``parse_row(raw, key)`` returns one row (with an ``iso3`` attribute)
        or raises ``UserError`` naming ``key`` (``"line N"``).
    complete : bool, optional
        Whether every importer must have a row (default); ``transit_hubs.csv``
        lists only some.

    Raises
    ------
    sim.errors.UserError
        One line naming the file, the row and what is expected: a wrong
        header, a short row, a code listed twice, a code that is not an
        importer, or (``complete``) an importer without a row.
    """
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames != list(columns):
        raise UserError(file, "header", f"columns must be {','.join(columns)}, "
                        f"found {','.join(reader.fieldnames or [])}")
    rows: dict[str, Row] = {}
    for line, raw in enumerate(reader, start=2):
        key = f"line {line}"
        if None in raw or any(value is None for value in raw.values()):
            raise UserError(file, key, f"{len(columns)} fields expected")
        row = parse_row(raw, key)
        if row.iso3 in rows:
            raise UserError(file, key, f"{row.iso3} is listed twice")
        if row.iso3 not in importers():
            raise UserError(file, key, f"{row.iso3} is not an importer (UN member, TWN, HKG "
                            "or MAC)")
        rows[row.iso3] = row
    missing = sorted(importers() - set(rows))
    if complete and missing:
        raise UserError(file, "", f"no row for {len(missing)} importers, e.g. {missing[0]}")
    return rows
