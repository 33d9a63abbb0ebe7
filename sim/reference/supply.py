"""Accelerator supply per vendor, chip and quarter, read from ``supply.csv``.

One row per chip and calendar quarter (``"2024Q3"``), 2021Q1 to 2027Q4 where
a figure exists: chips produced (shipped) per month in that quarter, a range
(``low``, ``high``), how the figure was obtained (``basis``), the arithmetic
(``derivation``) and the citations (``source``). A chip with no row for a
quarter produces nothing in it. Sources and assumptions: docs/sources.md §17
and ``docs/reference-data.md``.

A scenario reads it through ``capacity_chips = "reference"``
(:func:`monthly_supply`), ``countries.CHN.domestic_capacity_h100e =
"reference"`` (:func:`domestic_supply_tpp`) and ``market.world_demand_h100e =
"reference"`` (:func:`world_shipments_tpp`).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from sim.reference.chips import load_chips

__all__ = [
    "BASES",
    "BOUNDS",
    "EQUIPMENT_RULE_MONTH",
    "FIRST_QUARTER",
    "HBM_RULE_MONTH",
    "LAST_QUARTER",
    "SupplyRow",
    "domestic_supply_tpp",
    "load_supply",
    "monthly_supply",
    "quarter_of",
    "shipment_trend_tpp",
    "supply_chips",
    "world_shipments_tpp",
]

BASES = ("reported", "estimated_from_revenue", "analyst_estimate", "assumption")
"""Valid values of :attr:`SupplyRow.basis`."""

BOUNDS = ("central", "low", "high")
"""Which figure of a row :func:`monthly_supply` returns."""

FIRST_QUARTER = "2021Q1"
LAST_QUARTER = "2027Q4"
"""The span the table may cover (the 2021-2027 history, docs/sources.md §16)."""

EQUIPMENT_RULE_MONTH = "2023-09"
"""The Dutch controls on ASML's advanced immersion DUV tools took effect on 1 Sep 2023,
after Japan's on 23 Jul 2023 (docs/sources.md §8): the month from which a domestic schedule
made under the allied equipment controls would have grown faster without them."""

HBM_RULE_MONTH = "2024-12"
"""The BIS rule of 2 Dec 2024 controls HBM for D:5 and Macau (docs/sources.md §20): a
window that starts with ``rules.hbm_controls`` in force counts its stockpile lag from here."""

_FILE = "supply.csv"
_COLUMNS = ("vendor", "chip", "quarter", "chips_per_month", "low", "high", "basis",
            "derivation", "source")
_QUARTER = re.compile(r"([0-9]{4})Q([1-4])")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class SupplyRow:
    """Output of one chip in one calendar quarter.

    Attributes
    ----------
    vendor : str
        Designer of the chip, as in ``chips.csv``.
    chip : str
        Identifier in ``chips.csv``.
    quarter : str
        Calendar quarter, ``"YYYYQn"``.
    chips_per_month : int
        Central estimate of chips produced (shipped) per month of the quarter.
    low, high : int
        Range where sources or assumptions disagree; ``low <= chips_per_month <= high``.
    basis : str
        One of :data:`BASES`.
    derivation : str
        How the figure was obtained, with its numbers.
    source : str
        Citations (publication, date, URL), or the fact sheet section for an assumption.

    """

    vendor: str
    chip: str
    quarter: str
    chips_per_month: int
    low: int
    high: int
    basis: str
    derivation: str
    source: str


def _quarter_index(quarter: str) -> int:
    """Quarters since year 0: ``"2021Q1"`` -> 8084."""
    match = _QUARTER.fullmatch(quarter)
    if match is None:
        raise ValueError(f"not a quarter 'YYYYQn': {quarter!r}")
    return int(match[1]) * 4 + int(match[2]) - 1


def quarter_of(month: str) -> str:
    """Return the calendar quarter of a ``"YYYY-MM"`` month, e.g. ``"2024-05"`` -> ``"2024Q2"``.

    Raises
    ------
    ValueError
        If ``month`` is not ``"YYYY-MM"``.

    """
    match = _MONTH.fullmatch(month)
    if match is None:
        raise ValueError(f"not a month 'YYYY-MM': {month!r}")
    return f"{match[1]}Q{(int(match[2]) - 1) // 3 + 1}"


def _count(row: dict[str, str], key: str, where: str) -> int:
    text = row[key].strip()
    if not text.isdigit():
        raise ValueError(f"{where}: {key} must be a whole number of chips >= 0, found {text!r}")
    return int(text)


def _parse_row(row: dict[str, str], line: int) -> SupplyRow:
    """Convert one CSV row into a :class:`SupplyRow`, rejecting malformed data."""
    where = f"{_FILE}: line {line}"
    if any(row.get(key) is None for key in _COLUMNS):
        raise ValueError(f"{where}: expected the columns {', '.join(_COLUMNS)}")
    chips = load_chips()
    chip, quarter = row["chip"], row["quarter"]
    if chip not in chips:
        raise ValueError(f"{where}: chip {chip!r} is not in chips.csv")
    if row["vendor"] != chips[chip].vendor:
        raise ValueError(f"{where}: vendor of {chip} must be {chips[chip].vendor!r} (chips.csv), "
                         f"found {row['vendor']!r}")
    if not _QUARTER.fullmatch(quarter) or not FIRST_QUARTER <= quarter <= LAST_QUARTER:
        raise ValueError(f"{where}: quarter must be 'YYYYQn' from {FIRST_QUARTER} to "
                         f"{LAST_QUARTER}, found {quarter!r}")
    value, low, high = (_count(row, key, where) for key in ("chips_per_month", "low", "high"))
    if not low <= value <= high:
        raise ValueError(f"{where}: need low <= chips_per_month <= high, found "
                         f"{low} <= {value} <= {high}")
    if row["basis"] not in BASES:
        raise ValueError(f"{where}: basis must be one of {BASES}, found {row['basis']!r}")
    if not row["derivation"].strip():
        raise ValueError(f"{where}: derivation must say how the figure was obtained")
    if not row["source"].strip() and row["basis"] != "assumption":
        raise ValueError(f"{where}: source is required unless basis is 'assumption'")
    return SupplyRow(vendor=row["vendor"], chip=chip, quarter=quarter, chips_per_month=value,
                     low=low, high=high, basis=row["basis"], derivation=row["derivation"],
                     source=row["source"])


@functools.cache
def load_supply() -> dict[tuple[str, str], SupplyRow]:
    """Return every row of ``supply.csv``, keyed by ``(chip, quarter)``.

    Returns
    -------
    dict of (str, str) to SupplyRow
        Rows in file order. The result is cached; do not mutate it.

    Raises
    ------
    ValueError
        If a row is malformed (one line naming the file, the line and what is
        expected), names a chip missing from ``chips.csv``, or repeats a chip
        and quarter.

    """
    return _parse_table(resources.files(__package__).joinpath(_FILE).read_text(encoding="utf-8"))


def _parse_table(text: str) -> dict[tuple[str, str], SupplyRow]:
    """Parse the text of ``supply.csv`` (see :func:`load_supply`)."""
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise ValueError(f"{_FILE}: header must be {','.join(_COLUMNS)}")
    rows: dict[tuple[str, str], SupplyRow] = {}
    for line, raw in enumerate(reader, start=2):
        row = _parse_row(raw, line)
        key = (row.chip, row.quarter)
        if key in rows:
            raise ValueError(f"{_FILE}: line {line}: {row.chip} {row.quarter} is listed twice")
        rows[key] = row
    return rows


def supply_chips() -> tuple[str, ...]:
    """Return the chips that have at least one row, in file order."""
    return tuple(dict.fromkeys(chip for chip, _ in load_supply()))


def monthly_supply(chips: Sequence[str], start: str, months: int,
                   bound: str = "central") -> np.ndarray:
    """Chips produced per month, month by month, for the given chips.

    Each month takes its quarter's figure; a quarter without a row gives 0
    (the chip is not made, or not yet, or no longer).

    Parameters
    ----------
    chips : sequence of str
        ``K`` chip identifiers from ``chips.csv`` (a chip without rows gives zeros).
    start : str
        First month, ``"YYYY-MM"``.
    months : int
        Number of months ``T`` (>= 0).
    bound : str
        ``"central"`` (``chips_per_month``), ``"low"`` or ``"high"``.

    Returns
    -------
    numpy.ndarray
        ``int64`` array of shape ``(T, K)``: chips produced in month ``t`` of chip ``k``.

    Raises
    ------
    ValueError
        If a chip is not in ``chips.csv`` or repeats, ``start`` is not a month, ``months``
        is negative or ``bound`` is unknown.

    """
    if bound not in BOUNDS:
        raise ValueError(f"bound must be one of {BOUNDS}, found {bound!r}")
    if months < 0:
        raise ValueError(f"months must be >= 0, found {months}")
    known = load_chips()
    unknown = [chip for chip in chips if chip not in known]
    if unknown:
        raise ValueError(f"chips not in chips.csv: {unknown}")
    if len(set(chips)) != len(chips):
        raise ValueError(f"chips must not repeat: {list(chips)}")
    first = _quarter_index(quarter_of(start)) * 3 + (int(start[5:7]) - 1) % 3
    quarter = (first + np.arange(months)) // 3                    # (T,) absolute quarter index
    base = _quarter_index(FIRST_QUARTER)
    span = _quarter_index(LAST_QUARTER) - base + 1
    table = np.zeros((span + 2, len(chips)), dtype=np.int64)       # rows 0 and -1: outside the span
    field = {"central": "chips_per_month", "low": "low", "high": "high"}[bound]
    column = {chip: k for k, chip in enumerate(chips)}
    for (chip, q), row in load_supply().items():
        if chip in column:
            table[_quarter_index(q) - base + 1, column[chip]] = getattr(row, field)
    position = np.clip(quarter - base + 1, 0, span + 1)
    return table[position]


def domestic_supply_tpp(start: str, months: int, bound: str = "central") -> np.ndarray:
    """China's domestic accelerator output a month in TPP: every Huawei Ascend row, added up.

    The chips of origin ``domestic_china`` in ``chips.csv`` that have rows
    here (the Ascend 910B and 910C), each month's chips times each chip's TPP.

    Returns
    -------
    numpy.ndarray
        ``int64`` array of shape ``(T,)``.
    """
    catalogue = load_chips()
    chips = [c for c in supply_chips() if catalogue[c].origin == "domestic_china"]
    tpp = np.array([catalogue[c].tpp for c in chips], dtype=np.int64)
    return monthly_supply(chips, start, months, bound) @ tpp


def shipment_trend_tpp(months: Sequence[str]) -> np.ndarray:
    """Return the trend of world shipments around each month: a centred 12-month mean, TPP.

    The mean of :func:`world_shipments_tpp` over the twelve months from six
    before to five after each month, counting only the months the table
    covers (``FIRST_QUARTER`` to ``LAST_QUARTER``), so a chip's launch ramp
    is spread over its year. Beyond the table the trend continues at the
    growth of its first or last twelve months (``growth_per_year =
    "reference"``, :mod:`sim.scenario.demand_growth`; docs/sources.md §22).

    Parameters
    ----------
    months : sequence of str
        ``"YYYY-MM"``, in any order.

    Returns
    -------
    ndarray of shape (len(months),), float64
    """
    first = _quarter_index(FIRST_QUARTER) * 3
    span = (_quarter_index(LAST_QUARTER) + 1) * 3 - first
    shipped = _world_monthly_tpp(span).astype(np.float64)
    window = np.ones(12)
    sums = np.convolve(shipped, window, mode="full")[5:5 + span]     # months k-6 .. k+5
    counts = np.convolve(np.ones(span), window, mode="full")[5:5 + span]
    trend = sums / counts
    index = np.array([int(m[:4]) * 12 + int(m[5:7]) - 1 - first for m in months], dtype=np.int64)
    inside = np.clip(index, 0, span - 1)
    rate = np.where(index < 0, trend[12] / trend[0], trend[-1] / trend[-13]) ** (1 / 12)
    return trend[inside] * rate ** (index - inside)


@functools.cache
def _world_monthly_tpp(span: int) -> np.ndarray:
    """World shipments in TPP for each of the table's ``span`` months, (span,) int64."""
    catalogue = load_chips()
    chips = [c for c in supply_chips() if catalogue[c].origin != "domestic_china"]
    tpp = np.array([catalogue[c].tpp for c in chips], dtype=np.int64)
    start = f"{FIRST_QUARTER[:4]}-{(int(FIRST_QUARTER[5]) - 1) * 3 + 1:02d}"
    return monthly_supply(chips, start, span) @ tpp


def world_shipments_tpp(month: str) -> int:
    """World shipments of traded accelerators in one month, in TPP (central figures).

    Every row of a chip that is not of origin ``domestic_china`` (Nvidia's and
    AMD's data-centre chips), its quarter's chips a month times the chip's
    TPP, added up: the published level that ``market.world_demand_h100e =
    "reference"`` anchors demand to (docs/sources.md §22).

    Parameters
    ----------
    month : str
        ``"YYYY-MM"``; a month outside the table's span gives 0.
    """
    first = _quarter_index(FIRST_QUARTER) * 3
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 - first
    span = (_quarter_index(LAST_QUARTER) + 1) * 3 - first
    return int(_world_monthly_tpp(span)[index]) if 0 <= index < span else 0
