"""Each importing country's share of AI-compute demand, read from ``demand_shares.csv``.

One row per country in :func:`sim.reference.importers`, each with its share of
world AI-compute demand in the reference year, the basis of the share and its
source (docs/sources.md §18):

``epoch_headline``
    The United States and China: Epoch AI's published shares of GPU-cluster
    performance in May 2025 (about three quarters and 15%).
``epoch_clusters``
    Every other country with a cluster in Epoch AI's GPU Clusters dataset:
    its summed 16-bit performance (``cluster_flops``) as a share of the
    performance of all such countries, scaled into what the headline leaves.
``proxy_gdp``
    Every country the dataset does not cover: its GDP (``gdp_usd``, World
    Bank) times the covered countries' performance per dollar of GDP, scaled
    into the same remainder.

:func:`derive_shares` is that method; the table stores its inputs beside
each share, so a test recomputes every share from its own row.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from sim.errors import UserError
from sim.reference.countries import is_valid_iso3
from sim.reference.importer_table import parse_importer_rows

__all__ = [
    "BASES",
    "DEMAND_COLUMNS",
    "SUM_TOLERANCE",
    "DemandShare",
    "demand_shares",
    "derive_shares",
    "parse_demand_shares",
]

DEMAND_COLUMNS = ("iso3", "share", "year", "basis", "cluster_flops", "gdp_usd", "gdp_year",
                  "source")
"""Columns of ``demand_shares.csv``, in order."""

BASES = ("epoch_headline", "epoch_clusters", "proxy_gdp")
"""Valid values of :attr:`DemandShare.basis`."""

SUM_TOLERANCE = 1e-9
"""How far the shares may sum from 1."""

_FILE = "sim/reference/demand_shares.csv"


@dataclass(frozen=True, slots=True)
class DemandShare:
    """One country's share of world AI-compute demand.

    Attributes
    ----------
    iso3 : str
        ISO 3166-1 alpha-3 code.
    share : float
        Share of world demand in ``year``, in [0, 1]; the shares sum to 1.
    year : int
        Reference year of the share.
    basis : str
        One of :data:`BASES`.
    cluster_flops : float or None
        Summed 16-bit FLOP/s of the country's clusters in Epoch AI's dataset;
        None for ``proxy_gdp`` rows.
    gdp_usd : float
        GDP in current US dollars.
    gdp_year : int
        Year of ``gdp_usd``.
    source : str
        Citation for the share and its inputs.

    """

    iso3: str
    share: float
    year: int
    basis: str
    cluster_flops: float | None
    gdp_usd: float
    gdp_year: int
    source: str


def _number(text: str, key: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise UserError(_FILE, key, f"{field} must be a non-negative number, found {text!r}")
    return value


def _year(text: str, key: str, field: str) -> int:
    if not (text.isdigit() and 1990 <= int(text) <= 2100):
        raise UserError(_FILE, key, f"{field} must be a year 1990-2100, found {text!r}")
    return int(text)


def _parse_row(raw: dict[str, str], key: str) -> DemandShare:
    """Convert one CSV row, rejecting malformed fields."""
    iso3 = raw["iso3"].strip()
    if not is_valid_iso3(iso3):
        raise UserError(_FILE, key, f"bad code {iso3!r} (expected an ISO 3166-1 alpha-3 code)")
    share = _number(raw["share"].strip(), key, "share")
    if share > 1:
        raise UserError(_FILE, key, f"{iso3}: share must be at most 1, found {share}")
    basis = raw["basis"].strip()
    if basis not in BASES:
        raise UserError(_FILE, key, f"{iso3}: basis must be one of {', '.join(BASES)}, "
                        f"found {basis!r}")
    flops_text = raw["cluster_flops"].strip()
    if (basis == "proxy_gdp") == bool(flops_text):
        raise UserError(_FILE, key, f"{iso3}: cluster_flops must be "
                        + ("blank for proxy_gdp" if flops_text else f"given for {basis}"))
    flops = _number(flops_text, key, "cluster_flops") if flops_text else None
    gdp = _number(raw["gdp_usd"].strip(), key, "gdp_usd")
    if gdp <= 0 or (flops is not None and flops <= 0):
        raise UserError(_FILE, key, f"{iso3}: gdp_usd and cluster_flops must be positive")
    source = raw["source"].strip()
    if not source:
        raise UserError(_FILE, key, f"{iso3}: source must not be empty")
    return DemandShare(iso3, share, _year(raw["year"].strip(), key, "year"), basis, flops,
                       gdp, _year(raw["gdp_year"].strip(), key, "gdp_year"), source)


def parse_demand_shares(text: str) -> dict[str, DemandShare]:
    """Read and validate the text of ``demand_shares.csv``.

    Parameters
    ----------
    text : str
        CSV with the columns :data:`DEMAND_COLUMNS`.

    Returns
    -------
    dict of str to DemandShare
        Rows keyed by alpha-3 code, in file order.

    Raises
    ------
    sim.errors.UserError
        One line naming the file, the row and what is expected: a wrong
        header, a malformed field, a repeated code, a code that is not an
        importer, an importer without a row, or shares that do not sum to 1
        within :data:`SUM_TOLERANCE`.

    """
    rows = parse_importer_rows(text, _FILE, DEMAND_COLUMNS, _parse_row)
    total = math.fsum(row.share for row in rows.values())
    if abs(total - 1) > SUM_TOLERANCE:
        raise UserError(_FILE, "share", f"shares must sum to 1, found {total!r}")
    return rows


@functools.cache
def demand_shares() -> dict[str, DemandShare]:
    """Return every row of ``demand_shares.csv``, validated (cached; do not mutate it)."""
    text = resources.files(__package__).joinpath("demand_shares.csv").read_text(encoding="utf-8")
    return parse_demand_shares(text)


def derive_shares(rows: Mapping[str, DemandShare]) -> dict[str, float]:
    """Recompute every share from the inputs in its row (the table's method).

    The ``epoch_headline`` shares are kept; what they leave is divided among
    the other rows in proportion to a weight: an ``epoch_clusters`` row's
    ``cluster_flops`` over the sum of them, a ``proxy_gdp`` row's ``gdp_usd``
    over the covered rows' summed GDP. A country outside the dataset so gets
    the covered countries' cluster performance per dollar of GDP.

    Parameters
    ----------
    rows : mapping of str to DemandShare
        Rows keyed by alpha-3 code; at least one ``epoch_clusters`` row.

    Returns
    -------
    dict of str to float
        Alpha-3 code to share, summing to 1.

    """
    headline = {code: row.share for code, row in rows.items() if row.basis == "epoch_headline"}
    covered = [row for row in rows.values() if row.basis == "epoch_clusters"]
    flops = math.fsum(row.cluster_flops or 0.0 for row in covered)
    covered_gdp = math.fsum(row.gdp_usd for row in covered)
    weight = {row.iso3: (row.cluster_flops or 0.0) / flops if row.basis == "epoch_clusters"
              else row.gdp_usd / covered_gdp
              for row in rows.values() if row.basis != "epoch_headline"}
    rest, total = 1 - math.fsum(headline.values()), math.fsum(weight.values())
    return headline | {code: rest * value / total for code, value in weight.items()}
