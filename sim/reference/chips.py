"""AI accelerators as reference data, read from ``chips.csv``.

One row per chip with its TPP (total processing performance), performance
density, chip-to-chip and memory bandwidth, launch month, typical price and
origin, each with a source (or "ASSUMPTION" in its note). The table is
read once through :mod:`importlib.resources`, so it also works from an
installed wheel. Sources and assumptions are listed in
``docs/reference-data.md``.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources

__all__ = ["H100E_TPP", "ORIGINS", "Chip", "load_chips"]

H100E_TPP = 15_832
"""TPP of one H100-equivalent: 1,979 dense FP8 TFLOPS x 8 (docs/sources.md §1)."""

ORIGINS = ("us_controlled", "domestic_china")
"""Valid values of :attr:`Chip.origin`."""

_BOOLS = {"true": True, "false": False}
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class Chip:
    """One accelerator model.

    Attributes
    ----------
    chip : str
        Short identifier, e.g. ``"H100"`` or ``"ASCEND_910C"``.
    name : str
        Marketing name.
    vendor : str
        Designer of the chip.
    tpp : int
        Total processing performance (2 x MacTOPS x bit length).
    performance_density : float or None
        TPP per mm² of die area; None where the die area is unknown.
    interconnect_gbps : int
        Chip-to-chip I/O bandwidth in GB/s; 0 for PCIe-only cards.
    memory_bandwidth_gbps : int
        DRAM (HBM or GDDR) bandwidth in GB/s.
    launch : str
        ``"YYYY-MM"`` of first volume availability (the note says how it was dated).
    price_usd : int or None
        Typical price of one chip in USD; None where none is published.
    origin : str
        ``"us_controlled"`` (subject to US rules) or ``"domestic_china"``.
    consumer : bool
        True for chips not designed for data centres (the density test
        of the 2023 rule does not apply to them).
    source : str
        Citation for the figures.
    note : str
        How figures were derived and what is assumed.

    """

    chip: str
    name: str
    vendor: str
    tpp: int
    performance_density: float | None
    interconnect_gbps: int
    memory_bandwidth_gbps: int
    launch: str
    price_usd: int | None
    origin: str
    consumer: bool
    source: str
    note: str

    @property
    def h100e(self) -> float:
        """TPP expressed in H100-equivalents."""
        return self.tpp / H100E_TPP


def _parse_row(row: dict[str, str]) -> Chip:
    """Convert one CSV row into a :class:`Chip`, rejecting malformed data."""
    if row["origin"] not in ORIGINS:
        raise ValueError(f"chips.csv: {row['chip']}: origin must be one of {ORIGINS}")
    if row["consumer"] not in _BOOLS:
        raise ValueError(f"chips.csv: {row['chip']}: consumer must be 'true' or 'false'")
    density = row["performance_density"].strip()
    launch, price = row["launch"].strip(), row["price_usd"].strip()
    if not _MONTH.fullmatch(launch):
        raise ValueError(f"chips.csv: {row['chip']}: launch must be YYYY-MM, found {launch!r}")
    return Chip(
        chip=row["chip"],
        name=row["name"],
        vendor=row["vendor"],
        tpp=int(row["tpp"]),
        performance_density=float(density) if density else None,
        interconnect_gbps=int(row["interconnect_gbps"]),
        memory_bandwidth_gbps=int(row["memory_bandwidth_gbps"]),
        launch=launch,
        price_usd=int(price) if price else None,
        origin=row["origin"],
        consumer=_BOOLS[row["consumer"]],
        source=row["source"],
        note=row["note"],
    )


@functools.cache
def load_chips() -> dict[str, Chip]:
    """Return every chip in ``chips.csv``, keyed by its short identifier.

    Returns
    -------
    dict of str to Chip
        Chips in file order. The result is cached; do not mutate it.

    Raises
    ------
    ValueError
        If a row is malformed or an identifier repeats.

    """
    text = resources.files(__package__).joinpath("chips.csv").read_text(encoding="utf-8")
    chips: dict[str, Chip] = {}
    for row in csv.DictReader(text.splitlines()):
        chip = _parse_row(row)
        if chip.chip in chips:
            raise ValueError(f"chips.csv: duplicate chip {chip.chip!r}")
        chips[chip.chip] = chip
    return chips
