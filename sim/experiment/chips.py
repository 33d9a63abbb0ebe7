"""Which chip reached which destination when, and what the rules allowed: two tidy tables.

:func:`chip_windows` reads ``shipped_chips`` of a result; :func:`regime_spans`
reads each chip's regime per destination and month from the world. ``sim run``
writes both next to its results and prints the first for the destinations the
rules restrict at some point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiment.reductions import RunReductions
from sim.results import Results
from sim.world import REGIME_NAMES, World

__all__ = ["chip_windows", "regime_spans", "revenue_by_chip"]


def chip_windows(results: Results | RunReductions) -> pd.DataFrame:
    """Per destination and chip: first and last month shipped, months, mean chips per run.

    ``results`` may be the runs or their reductions (the same table bit for
    bit). Only pairs that received a chip in some run appear. Shipments to a
    transit country include its brokers' purchases.

    Returns
    -------
    DataFrame
        Columns ``country, chip, first, last, months, chips_mean``; ``months``
        counts the months in which the mean over runs is above zero.
    """
    results = RunReductions.of(results) if isinstance(results, Results) else results
    shipped = results.mean("shipped_chips")  # (T, C, K), exact sum over runs / runs
    country_index, chip_index, _ = np.nonzero(shipped.transpose(1, 2, 0) > 0)
    rows = []
    for c, k in dict.fromkeys(zip(country_index, chip_index, strict=True)):
        active = np.flatnonzero(shipped[:, c, k] > 0)
        rows.append({"country": results.countries[c], "chip": results.chips[k],
                     "first": results.dates[active[0]], "last": results.dates[active[-1]],
                     "months": int(active.size), "chips_mean": float(shipped[:, c, k].sum())})
    return pd.DataFrame(rows, columns=["country", "chip", "first", "last", "months",
                                       "chips_mean"])


def revenue_by_chip(results: Results, world: World) -> tuple[np.ndarray, np.ndarray]:
    """Vendor revenue and payments to the US government by destination and chip, USD.

    Revenue is each chip's shipments times its market price, truncated to whole
    dollars per destination and chip; payments are that revenue times the
    chip's payment share there, truncated the same way. Both are booked so
    (``Country.book_revenue``), so they sum over chips to the recorded
    ``revenue_usd`` and ``us_payment_usd`` exactly.

    Returns
    -------
    revenue, payments : ndarray of shape (n_runs, n_steps, n_countries, n_chips), int64
    """
    price = results.metric("market_price_usd")[:, :, None, :]
    revenue = (results.metric("shipped_chips") * price).astype(np.int64)
    payments = (revenue * world.market.payment_share[None]).astype(np.int64)
    return revenue, payments


def regime_spans(world: World) -> pd.DataFrame:
    """Each chip's regime per destination as spans of months: what the rules allowed.

    Returns
    -------
    DataFrame
        Columns ``country, chip, from, until, regime``: from ``from`` to
        ``until`` (both inclusive) the chip had that regime there; a month
        before the chip's launch counts as ``not on sale``.
    """
    market = world.market
    on_sale = market.capacity > 0  # (T, K)
    rows = []
    for c, country in enumerate(world.countries):
        for k, chip in enumerate(market.names):
            labels = [REGIME_NAMES[r] if sold else "not on sale"
                      for r, sold in zip(market.regime[:, c, k], on_sale[:, k], strict=True)]
            start = 0
            for t in range(1, len(labels) + 1):
                if t == len(labels) or labels[t] != labels[start]:
                    rows.append({"country": country, "chip": chip, "from": world.dates[start],
                                 "until": world.dates[t - 1], "regime": labels[start]})
                    start = t
    return pd.DataFrame(rows, columns=["country", "chip", "from", "until", "regime"])
