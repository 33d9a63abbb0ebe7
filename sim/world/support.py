"""Where each metric can be non-zero: the countries (or country-chip pairs) a world allows.

Most of a world-scale result is zeros that the world's structure fixes before
any run: only countries that host brokers book diversion through them, only
subsidiaries' hosts and headquarters book redirected chips, only a country
with a domestic maker substitutes, only a licence against a payment books US
payments, and a (country, chip) pair that no firm orders ships no chip. A
metric's *support* is the flat index of the columns where it may be non-zero:
into the country axis (C,) of a country metric, into the flattened (C * K)
axis of a chip metric. Results store a supported metric on its support alone
(:class:`sim.metric_store.MetricStore`), and both implementations are checked
against it: a value outside its support is a programming error, raised.

The licensing paths and the cap's quota book only where some firm's regime
(its destination's, or its headquarters' under the headquarters rule) is
capped or case by case in some month; a request to a broker, and what
diversion delivers, only where some buyer is refused the month's chip.
A metric without an entry here is stored dense.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.world.codes import BROKER, CAPPED, NONE, VOLUME
from sim.world.market import NO_CHIP
from sim.world.metrics import CHIP_METRICS

if TYPE_CHECKING:
    from sim.world.world import World

__all__ = ["BROKER_METRICS", "metric_support"]

BROKER_METRICS = ("diversion_attempted_tpp", "diversion_seized_tpp", "diverted_tpp",
                  "entered_brokers", "listed_brokers", "active_brokers")
"""Booked by a broker's (transit) country: zero where no broker slot sits."""


def metric_support(world: World) -> dict[str, np.ndarray]:
    """Return the support of each sparse metric of ``world``.

    Returns
    -------
    dict of str to ndarray of int64
        Sorted flat column indices: (S,) into the country axis of a country
        metric, into the flattened (country, chip) axis of a chip metric.
        Metrics that may be non-zero in every column are left out.
    """
    firms, n_countries = world.firms, len(world.countries)
    brokers = np.unique(firms.country[firms.kind == BROKER])
    movers = world.redirect_to >= 0  # (T, F)
    hosts = np.unique(np.broadcast_to(firms.country, movers.shape)[movers])
    homes = np.unique(world.redirect_to[movers])
    domestic = np.flatnonzero((world.domestic_chips > 0).any(axis=0))
    paying = np.flatnonzero((world.market.payment_share > 0).any(axis=(0, 2)))
    regime = world.per_firm(world.regime, world.bound_regime)  # (T, F)
    capped, limited = regime == CAPPED, (regime == CAPPED) | (regime == VOLUME)
    veu = capped & (firms.status != NONE)
    restricted = world.per_firm(world.market.restricted, world.market.bound_restricted)
    asking = restricted & (firms.kind != BROKER)
    support = dict.fromkeys(BROKER_METRICS, brokers)
    support.update(lpp_tpp=_countries(firms.country, capped), quota_used_tpp=_countries(
        firms.country, capped), veu_tpp=_countries(firms.country, veu),
        licensed_tpp=_countries(firms.country, limited),
        quota_remaining_tpp=np.flatnonzero((world.regime == CAPPED).any(axis=0)),
        diversion_requested_tpp=_countries(firms.country, asking),
        diverted_received_tpp=_countries(firms.country, asking))
    support.update(redirected_tpp=hosts, redirect_seized_tpp=hosts,
                   redirected_received_tpp=homes, substituted_tpp=domestic,
                   us_payment_usd=paying)
    chip = world.firm_chip  # (T, F)
    ordering = chip != NO_CHIP
    cells = np.unique((np.broadcast_to(firms.country, chip.shape) * world.market.n_chips
                       + chip)[ordering])
    support.update(dict.fromkeys(CHIP_METRICS, cells))
    n_chip_columns = n_countries * world.market.n_chips
    return {name: columns.astype(np.int64) for name, columns in support.items()
            if columns.size < (n_chip_columns if name in CHIP_METRICS else n_countries)}


def _countries(country: np.ndarray, firms: np.ndarray) -> np.ndarray:
    """Countries of the firms that are ``True`` in some step of ``firms`` (T, F)."""
    return np.unique(country[firms.any(axis=0)])
