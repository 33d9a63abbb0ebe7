"""The firm population: who exists (from the scenario) and how large (per seed).

The table of firms is fixed by the scenario: for each modelled country in
code order, its generated buyers, research buyers, champions and brokers,
then one firm per host country of each named firm, then the dormant broker
slots (``diversion.reserve_brokers`` per broker of each country, in country
order), which may enter later (``ExportControlModel.renew_brokers``). The
slots come last so that every other firm keeps its index, and with it its
random numbers, whether or not a scenario has them. Sizes of generated firms
are heavy-tailed and drawn per seed from the counter-based stream, through a
table of Pareto quantiles, so that both implementations read identical bits.
Every firm's size is its kind's median (or a named firm's ``hosts``) times a
seed-independent factor of its country (:func:`sim.scenario.demand_level.size_factors`):
for buyers, the demand level and ``demand_scale`` under ``world.countries =
"listed"``, or the country's share of world demand under ``"reference"``; a
broker's size is a purchasing capacity calibrated on its own, times its
country's ``transit``, and is not scaled by the level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.distributions import QUANTILE_BINS, pareto_quantiles
from sim.rng import STREAM_SIZE, uniform
from sim.scenario.demand_level import size_factors
from sim.scenario.schema import Scenario
from sim.world.codes import (
    BROKER,
    BUYER,
    CHAMPION,
    HYPERSCALER,
    KIND_NAMES,
    NONE,
    RESEARCH,
    STATUS_NAMES,
)

__all__ = ["FirmTable", "expected_demand_by_country", "firm_sizes_h100e", "firm_table"]

_STATUS = {name: code for code, name in enumerate(STATUS_NAMES)}
_GENERATED_KINDS = (BUYER, RESEARCH, CHAMPION, BROKER)


@dataclass(frozen=True)
class FirmTable:
    """Static description of every firm, arrays of shape (n_firms,).

    Attributes
    ----------
    kind, status : ndarray of int8
        Kind codes (``BUYER`` ... ``BROKER``) and VEU status (``NONE``, ``UVEU``, ``NVEU``).
    country : ndarray of int64
        Index of the firm's country in ``Scenario.country_codes``.
    parent : ndarray of int64
        Index of the named firm a subsidiary belongs to; -1 for generated firms.
    parent_hq : tuple of str
        Headquarters country of each named firm, by parent index.
    headquarters : tuple of str
        Headquarters country of each firm: its named firm's, or its own country.
    median_h100e : ndarray of float64
        Median monthly demand (generated firms) or the fixed demand (named firms),
        in the reference month, times its country's size factor.
    generated : ndarray of bool
        Whether the firm's size is drawn per seed.
    labels : tuple of str
        Human-readable names, e.g. ``"CHN buyer 3"`` or ``"Microsoft @ ARE"``.
    reserve : ndarray of bool
        Whether the firm is a dormant broker slot (a front company that may enter later).
    """

    kind: np.ndarray
    status: np.ndarray
    country: np.ndarray
    parent: np.ndarray
    parent_hq: tuple[str, ...]
    headquarters: tuple[str, ...]
    median_h100e: np.ndarray
    generated: np.ndarray
    labels: tuple[str, ...]
    reserve: np.ndarray

    @property
    def n_firms(self) -> int:
        """Number of firms."""
        return len(self.kind)


def firm_table(scenario: Scenario) -> FirmTable:
    """Build the static firm table of ``scenario`` (see the module docstring)."""
    codes = scenario.country_codes
    rows: list[tuple[int, int, int, int, float, bool, str]] = []
    medians = scenario.market.firm_demand_h100e
    factors = size_factors(scenario)
    for index, code in enumerate(codes):
        config = scenario.countries[code]
        for kind in _GENERATED_KINDS:
            name = KIND_NAMES[kind]
            scale = (factors.broker if kind == BROKER else factors.buyer)[code]
            for number in range(getattr(config.firms, name)):
                label = f"{code} {name} {number + 1}"
                size = getattr(medians, name) * scale
                rows.append((kind, NONE, index, -1, size, True, label))
    for parent, firm in enumerate(scenario.firms):
        kind = HYPERSCALER if firm.kind == "hyperscaler" else CHAMPION
        for host, demand in firm.hosts.items():
            label = f"{firm.name} @ {host}"
            status = _STATUS[firm.status]
            rows.append((kind, status, codes.index(host), parent, demand * factors.named, False,
                         label))
    n_active = len(rows)
    for index, code in enumerate(codes):
        slots = scenario.diversion.reserve_brokers * scenario.countries[code].firms.broker
        size = medians.broker * factors.broker[code]
        rows += [(BROKER, NONE, index, -1, size, True, f"{code} broker reserve {number + 1}")
                 for number in range(slots)]
    columns = list(zip(*rows, strict=True)) if rows else [()] * 7
    return FirmTable(
        kind=np.array(columns[0], dtype=np.int8),
        status=np.array(columns[1], dtype=np.int8),
        country=np.array(columns[2], dtype=np.int64),
        parent=np.array(columns[3], dtype=np.int64),
        parent_hq=tuple(firm.hq for firm in scenario.firms),
        headquarters=tuple(scenario.firms[parent].hq if parent >= 0 else codes[country]
                           for country, parent in zip(columns[2], columns[3], strict=True)),
        median_h100e=np.array(columns[4], dtype=np.float64),
        generated=np.array(columns[5], dtype=bool),
        labels=tuple(columns[6]),
        reserve=np.arange(len(rows)) >= n_active,
    )


def firm_sizes_h100e(table: FirmTable, alpha: float, seeds: np.ndarray,
                     median: np.ndarray | None = None) -> np.ndarray:
    """Return each firm's base monthly demand for each seed, in H100e.

    Parameters
    ----------
    table : FirmTable
    alpha : float
        Pareto tail index of generated firm sizes.
    seeds : ndarray of shape (n_runs,), int64
    median : ndarray of shape (n_runs, n_firms), float64, optional
        Each run's firm medians, where runs of one batch are different
        scenario points (``sim.core.points``); default ``table.median_h100e``.

    Returns
    -------
    ndarray of shape (n_runs, n_firms), float64
    """
    firms = np.arange(table.n_firms)
    u = uniform(np.asarray(seeds)[:, None], 0, STREAM_SIZE, firms[None, :])
    bins = (u * QUANTILE_BINS).astype(np.int64)
    median = table.median_h100e if median is None else median
    drawn = median * pareto_quantiles(alpha)[bins]
    return np.where(table.generated, drawn, median)


def expected_demand_by_country(scenario: Scenario) -> np.ndarray:
    """Return each country's expected buyer demand in the reference month, H100e (C,).

    Generated buyers at their median times the mean of the size table, named
    firms as typed; brokers (purchasing capacity, not demand) excluded.
    """
    table = firm_table(scenario)
    mean_draw = float(pareto_quantiles(scenario.market.size_tail_alpha).mean())
    expected = np.where(table.generated, table.median_h100e * mean_draw, table.median_h100e)
    buyers = table.kind != BROKER
    return np.bincount(table.country[buyers], weights=expected[buyers],
                       minlength=len(scenario.countries))
