"""What a run's summaries need from its runs, reduced chunk by chunk.

``sim run`` streams its runs (:func:`sim.core.iter_batch`) to disk and keeps
only :class:`RunReductions`: for every integer metric (any family of
:mod:`sim.world.metrics`: country, chip, or one added later) its sum over
runs, shaped like one run's array, and per run the window total and the
last month of each country metric over each tier. Integer sums are exact
and do not depend on how the runs were chunked, and per-run values are
concatenated in seed order, so a summary made from the reductions of the
chunks is bit for bit the one made from all runs at once
(:meth:`RunReductions.of` a whole :class:`~sim.results.Results`: the one
code path both take). Float metrics (the grey premium) are not reduced:
no summary of ``sim run`` reads them.

Memory: one run's integer metrics (the sums) plus
:meth:`RunReductions.bytes_per_run` for each run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.results import Results
from sim.world.metrics import COUNTRY_METRICS

__all__ = ["TIERS", "RunReductions"]

TIERS = (1, 2, 3)
"""The tiers summaries are given by."""


@dataclass
class RunReductions:
    """Sums over runs and per-run tier totals, fed one chunk of runs at a time.

    Attributes
    ----------
    countries, tiers, dates, chips : tuple
        As in :class:`~sim.results.Results` (from the first chunk).
    n_runs : int
        Runs added so far.
    sums : dict of str to ndarray
        Each integer metric summed over runs, int64, shaped like one run's
        array (e.g. (n_steps, n_countries)).
    """

    countries: tuple[str, ...] = ()
    tiers: tuple[int, ...] = ()
    dates: tuple[str, ...] = ()
    chips: tuple[str, ...] = ()
    n_runs: int = 0
    sums: dict[str, np.ndarray] = field(default_factory=dict)
    _tier_totals: list[np.ndarray] = field(default_factory=list)
    _tier_ends: list[np.ndarray] = field(default_factory=list)

    @classmethod
    def of(cls, results: Results) -> RunReductions:
        """Return the reductions of ``results`` taken as one chunk."""
        reductions = cls()
        reductions.add(results)
        return reductions

    @staticmethod
    def bytes_per_run() -> int:
        """Bytes the reductions keep per run: tier totals and ends of every country metric."""
        return 2 * 8 * len(TIERS) * len(COUNTRY_METRICS)

    def add(self, chunk: Results) -> None:
        """Add a chunk's runs (the runs after those already added, in seed order)."""
        if not self.n_runs:
            self.countries, self.tiers = chunk.countries, chunk.tiers
            self.dates, self.chips = chunk.dates, chunk.chips
        for name in chunk.metrics:
            if chunk.metrics.stored(name)[0].dtype.kind != "i":
                continue
            total = chunk.metrics.sum_over_runs(name)
            self.sums[name] = total if name not in self.sums else self.sums[name] + total
        masks = np.asarray(chunk.tiers)[None, :] == np.asarray(TIERS)[:, None]  # (3, C)
        totals = np.empty((chunk.n_runs, len(TIERS), len(COUNTRY_METRICS)), dtype=np.int64)
        ends = np.empty_like(totals)
        for m, name in enumerate(COUNTRY_METRICS):
            values = chunk.metric(name)
            by_country = values.sum(axis=1)  # (R, C)
            totals[:, :, m] = by_country @ masks.T.astype(np.int64)
            ends[:, :, m] = values[:, -1, :] @ masks.T.astype(np.int64)
        self._tier_totals.append(totals)
        self._tier_ends.append(ends)
        self.n_runs += chunk.n_runs

    def mean(self, name: str) -> np.ndarray:
        """Return an integer metric's mean over runs, float64, shaped like one run's array."""
        return self.sums[name] / self.n_runs

    def tier_total(self, name: str, tier: int) -> np.ndarray:
        """Return each run's window total of a country metric over one tier, shape (n_runs,)."""
        return self._per_run(self._tier_totals, name, tier)

    def tier_end(self, name: str, tier: int) -> np.ndarray:
        """Return each run's last-month value of a country metric over one tier, (n_runs,)."""
        return self._per_run(self._tier_ends, name, tier)

    def _per_run(self, parts: list[np.ndarray], name: str, tier: int) -> np.ndarray:
        if len(parts) > 1:  # join once, then keep the joined array
            parts[:] = [np.concatenate(parts)]
        return parts[0][:, TIERS.index(tier), COUNTRY_METRICS.index(name)]
