"""Where each metric can be non-zero: the countries (or country-chip pairs) a world allows.

Most of a world-scale result is zeros that the world's structure fixes before
any run: only countries that host brokers book diversion through them, only
subsidiaries' hosts and headquarters book redirected chips, only a country
with a domestic maker substitutes, only a licence against a payment books US
payments, and a (country, chip) pair that no firm orders ships no chip. A
metric's *support* says in which months and columns it may be non-zero: a
mask shaped like one run's array, (T, C) for a country metric, (T, C, K) for
a chip metric. It can change month by month: the chips firms
order change (H100 to H200 to B200), and so do the regimes. Results store a
supported metric on its support alone (:class:`sim.metric_store.MetricStore`),
and both implementations are checked against it: a value outside its support
is a programming error, raised.

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
    """Return where each sparse metric of ``world`` may be non-zero, month by month.

    Returns
    -------
    dict of str to ndarray of bool
        (T, C) for a country metric, (T, C, K) for a chip metric: ``True``
        where the metric may be non-zero in that month. Metrics that may be
        non-zero everywhere are left out.
    """
    firms, n_steps = world.firms, world.n_steps
    on = _Countries(firms.country, len(world.countries))
    regime = world.per_firm(world.regime, world.bound_regime)  # (T, F)
    capped, limited = regime == CAPPED, (regime == CAPPED) | (regime == VOLUME)
    restricted = world.per_firm(world.market.restricted, world.market.bound_restricted)
    asking = restricted & (firms.kind != BROKER)
    movers = world.redirect_to >= 0  # (T, F)
    homes = np.zeros((n_steps, len(world.countries)), dtype=bool)
    homes[np.nonzero(movers)[0], world.redirect_to[movers]] = True
    brokers = on.ever(np.broadcast_to(firms.kind == BROKER, movers.shape))
    support = dict.fromkeys(BROKER_METRICS, brokers)
    support.update(
        lpp_tpp=on.each(capped), veu_tpp=on.each(capped & (firms.status != NONE)),
        licensed_tpp=on.each(limited),
        quota_used_tpp=on.ever(capped),  # carried: what was used stays after a rule ends
        quota_remaining_tpp=world.regime == CAPPED,
        diversion_requested_tpp=on.each(asking),
        diverted_received_tpp=on.ever(asking),  # served from last month's requests
        redirected_tpp=on.each(movers), redirect_seized_tpp=on.each(movers),
        redirected_received_tpp=homes, substituted_tpp=world.domestic_chips > 0,
        us_payment_usd=(world.market.payment_share > 0).any(axis=2),
        rented_out_tpp=np.zeros_like(homes) if world.scenario.market.cloud_share == "unlimited"
        else ~world.market.restricted)  # renting from installed capacity, where allowed
    chip, n_chips = world.firm_chip, world.market.n_chips  # (T, F)
    cells = np.zeros((n_steps, len(world.countries) * n_chips), dtype=bool)
    months, slots = np.nonzero(chip != NO_CHIP)
    cells[months, firms.country[slots] * n_chips + chip[months, slots]] = True
    support.update(dict.fromkeys(CHIP_METRICS, cells.reshape(n_steps, -1, n_chips)))
    return {name: np.ascontiguousarray(mask) for name, mask in support.items()
            if not mask.all()}


class _Countries:
    """Per-firm (T, F) conditions read by country: in each month, or in any."""

    def __init__(self, country: np.ndarray, n_countries: int) -> None:
        self.country, self.n_countries = country, n_countries

    def each(self, firms: np.ndarray) -> np.ndarray:
        """(T, C): some firm of the country meets the condition in that month."""
        mask = np.zeros((firms.shape[0], self.n_countries), dtype=bool)
        months, slots = np.nonzero(firms)
        mask[months, self.country[slots]] = True
        return mask

    def ever(self, firms: np.ndarray) -> np.ndarray:
        """(T, C): some firm of the country meets it in some month (the same every month)."""
        return np.broadcast_to(self.each(firms).any(axis=0), (firms.shape[0], self.n_countries))
