"""What the comparison figures draw of one scenario's runs, reduced chunk by chunk.

``sim compare`` streams its runs (:func:`sim.core.iter_batch`) and keeps of
them only :class:`Panels`: for each row of ``outcomes_over_time.png``
(:data:`PANELS`) the monthly mean over runs, the 5th to 95th percentile band
and the mean window total or end value (:class:`Band`); the mean cap use
of each Tier 2 country by month (``cap_utilisation.png``); the mean window
totals of diversion by transit country (``diversion_by_transit.png``); and
each chip's mean market price, orders and shipments by month
(``market.png``). The figures (:mod:`sim.plots.compare`) draw these and
nothing else, so a figure of streamed runs is the figure of all runs at
once, byte for byte: the bands are made from every run's monthly values
(:class:`PanelReductions` keeps them while one scenario runs, a float per
run, month and row, then drops them) and the means by
:class:`~sim.experiment.running.RunningMean`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.experiment.outcomes import tier2_cap_share_over_time
from sim.experiment.running import RunningMean
from sim.reference import H100E_TPP
from sim.results import Results

__all__ = ["DIVERSION", "MARKET", "PANELS", "Band", "PanelReductions", "Panels"]

Series = Callable[[Results], np.ndarray]


def _tier_monthly(metric: str, tier: int) -> Series:
    def series(results: Results) -> np.ndarray:
        mask = np.asarray(results.tiers) == tier
        return results.metric(metric)[:, :, mask].sum(axis=2) / H100E_TPP
    return series


def _all_monthly(metric: str) -> Series:
    return lambda results: results.metric(metric).sum(axis=2) / H100E_TPP


def _cap_used_share(results: Results) -> np.ndarray:
    share = tier2_cap_share_over_time(results)
    if share is None:
        return np.full((results.n_runs, len(results.dates)), np.nan)
    return share.mean(axis=2)


def _received(tier: int) -> Series:
    parts = [_tier_monthly(m, tier) for m in ("delivered_tpp", "diverted_received_tpp",
                                               "substituted_tpp")]
    return lambda results: sum(part(results) for part in parts)


def _cumulative(series: Series) -> Series:
    return lambda results: np.cumsum(series(results), axis=1)


PANELS: tuple[tuple[str, str, Series, str], ...] = (
    ("Received by Tier 1 (all sources)", "H100e per month", _received(1), "total"),
    ("Received by Tier 2 (all sources)", "H100e per month", _received(2), "total"),
    ("Legal shipments to Tier 3", "H100e per month", _tier_monthly("delivered_tpp", 3), "total"),
    ("Diverted into Tier 3", "H100e per month", _tier_monthly("diverted_received_tpp", 3),
     "total"),
    ("Diversion seized in transit, so far", "H100e, cumulative",
     _cumulative(_all_monthly("diversion_seized_tpp")), "total"),
    ("Tier 2 cap used (mean over Tier 2)", "share of cap", _cap_used_share, ""),
    ("Demand waiting in Tier 3 (backlog)", "H100e at month end", _tier_monthly("backlog_tpp", 3),
     ""),
    ("Grey-market premium", "x market price", lambda r: r.metric("grey_premium"), "end"),
)
"""Rows of ``outcomes_over_time.png``: title, unit, the (n_runs, n_steps) series, and what
each panel states, the mean over runs (as in ``summary.csv``) of: ``total`` the sum over the
window (the last month of a cumulative series), ``end`` the last month, ``""`` nothing."""

DIVERSION = ("diversion_attempted_tpp", "diversion_seized_tpp", "diverted_tpp")
"""The metrics of ``diversion_by_transit.png``: attempted, seized, delivered (by transit)."""
MARKET = ("market_price_usd", "ordered_chips", "shipped_chips")
"""The metrics of ``market.png``: each chip's market price, and chips ordered and shipped."""


@dataclass(frozen=True)
class Band:
    """One row of ``outcomes_over_time.png`` for one scenario.

    Attributes
    ----------
    mean, low, high : ndarray of shape (n_steps,), float64
        Mean, 5th and 95th percentile over runs per month (NaN in a month
        without a value, e.g. without a cap).
    whole : float
        Mean over runs of the window total (a row "per month") or of the
        last month (any other row); NaN if every value is NaN.
    empty : bool
        No run has a value in any month (the row says "none").
    """

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    whole: float
    empty: bool

    @classmethod
    def of(cls, values: np.ndarray, unit: str) -> Band:
        """Return the band of ``values``, shape (n_runs, n_steps), a row of :data:`PANELS`."""
        months = ~np.isnan(values).all(axis=0)
        mean, low, high = np.full((3, values.shape[1]), np.nan)
        if not months.any():
            return cls(mean, low, high, float("nan"), True)
        mean[months] = np.nanmean(values[:, months], axis=0)
        low[months], high[months] = np.nanpercentile(values[:, months], [5, 95], axis=0)
        whole = np.nansum(values, axis=1) if "per month" in unit else values[:, -1]
        return cls(mean, low, high, float(whole.mean()), False)


@dataclass(frozen=True)
class Panels:
    """What the comparison figures draw of one scenario's runs.

    Attributes
    ----------
    n_runs : int
    dates, countries, tiers, chips : tuple
        As in :class:`~sim.results.Results`.
    over_time : tuple of Band
        One per row of :data:`PANELS`.
    cap_share : ndarray of shape (n_steps, n_tier2), float64, or None
        Mean over runs of each Tier 2 country's share of its cap used
        (:func:`~sim.experiment.outcomes.tier2_cap_share_over_time`); None
        without tiered caps.
    diversion : dict of str to ndarray of shape (n_countries,), float64
        Each metric of :data:`DIVERSION`: mean over runs of its window total
        by transit country, H100e.
    market : dict of str to ndarray of shape (n_steps, n_chips), float64
        Each metric of :data:`MARKET`, mean over runs (chips summed over
        destinations).
    """

    n_runs: int
    dates: tuple[str, ...]
    countries: tuple[str, ...]
    tiers: tuple[int, ...]
    chips: tuple[str, ...]
    over_time: tuple[Band, ...]
    cap_share: np.ndarray | None
    diversion: dict[str, np.ndarray]
    market: dict[str, np.ndarray]

    @classmethod
    def of(cls, results: Results) -> Panels:
        """Return the panels of ``results`` taken as one chunk."""
        reductions = PanelReductions()
        reductions.add(results)
        return reductions.panels()


@dataclass
class PanelReductions:
    """:class:`Panels` fed one chunk of runs at a time, in seed order.

    Memory: one run's means, plus :meth:`bytes_per_run` for each run until
    :meth:`panels`.
    """

    n_runs: int = 0
    _labels: tuple[tuple, ...] = ()
    _series: list[list[np.ndarray]] = field(default_factory=lambda: [[] for _ in PANELS])
    _cap_share: RunningMean | None = None
    _means: dict[str, RunningMean] = field(
        default_factory=lambda: {name: RunningMean() for name in (*DIVERSION, *MARKET)})

    @staticmethod
    def bytes_per_run(n_steps: int) -> int:
        """Bytes kept per run until :meth:`panels`: each row's monthly values, twice when joined."""
        return 2 * 8 * len(PANELS) * n_steps

    def add(self, chunk: Results) -> None:
        """Add a chunk's runs (the runs after those already added, in seed order)."""
        if not self.n_runs:
            self._labels = (chunk.dates, chunk.countries, chunk.tiers, chunk.chips)
        for kept, (_title, _unit, series, _stated) in zip(self._series, PANELS, strict=True):
            kept.append(series(chunk))
        share = tier2_cap_share_over_time(chunk)
        if share is not None:
            if self._cap_share is None:
                self._cap_share = RunningMean()
            self._cap_share.add(share)
        for name in DIVERSION:
            self._means[name].add(chunk.metric(name).sum(axis=1))
        self._means["market_price_usd"].add(chunk.metric("market_price_usd"))
        for name in MARKET[1:]:
            self._means[name].add(chunk.metric(name).sum(axis=2))
        self.n_runs += chunk.n_runs

    def panels(self) -> Panels:
        """Return the panels of the runs added (at least one chunk); drop the per-run values."""
        if not self.n_runs:
            raise ValueError("no runs added")
        bands = []
        for kept, (_title, unit, _series, _stated) in zip(self._series, PANELS, strict=True):
            values = np.concatenate(kept)
            kept.clear()
            bands.append(Band.of(values, unit))
            del values
        dates, countries, tiers, chips = self._labels
        return Panels(
            n_runs=self.n_runs, dates=dates, countries=countries, tiers=tiers, chips=chips,
            over_time=tuple(bands),
            cap_share=None if self._cap_share is None else self._cap_share.mean(),
            diversion={name: self._means[name].mean() / H100E_TPP for name in DIVERSION},
            market={name: self._means[name].mean() for name in MARKET})
