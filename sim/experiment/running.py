"""A mean over runs fed one chunk of runs at a time, with the bits of the mean of all runs.

``sim compare`` streams its runs (:func:`sim.core.iter_batch`) and its
figures draw means over runs; :class:`RunningMean` keeps one run's array of
sums instead of every run. An integer array is summed exactly in int64, so
its mean does not depend on how the runs were chunked, and it is the mean
NumPy gives of all runs at once (``values.mean(axis=0)``, a float64 sum)
while the sums stay below 2**53 (a window total of a country in TPP over
10,000 runs is about 1e14). A float array is summed run after run in seed
order, the order in which NumPy reduces the first axis of a C-ordered array
whose other axes hold two or more values, so its mean is also the same bit
for bit (with a single value per run NumPy sums pairwise and the last bits
may differ).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RunningMean"]


class RunningMean:
    """The mean over runs of a per-run array, added chunk by chunk in seed order.

    Attributes
    ----------
    n_runs : int
        Runs added so far.
    total : ndarray or None
        Their sum, shaped like one run's array: int64 for integer values,
        float64 otherwise; None before the first chunk.
    """

    def __init__(self) -> None:
        self.n_runs = 0
        self.total: np.ndarray | None = None

    def add(self, values: np.ndarray) -> None:
        """Add the next chunk of runs.

        Parameters
        ----------
        values : ndarray of shape (n_runs, ...)
            One row per run, the runs after those already added.
        """
        if values.dtype.kind in "iub":
            total = values.sum(axis=0, dtype=np.int64)
            self.total = total if self.total is None else self.total + total
        else:  # continue the sum run by run: the earlier total is the first row
            rows = values if self.total is None else np.concatenate([self.total[None], values])
            self.total = rows.sum(axis=0)
        self.n_runs += len(values)

    def mean(self) -> np.ndarray:
        """Return the mean over the runs added, float64, shaped like one run's array."""
        if self.total is None:
            raise ValueError("no runs added")
        return self.total / self.n_runs
