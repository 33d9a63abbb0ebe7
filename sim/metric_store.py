"""``MetricStore``: metric arrays by name, each held dense or on its support; read dense.

A world-scale run is mostly zeros its world fixes in advance
(:mod:`sim.world.support`): diversion only in the countries that host brokers,
chips only on the (country, chip) pairs firms order that month. A store keeps
such a metric as (runs, S), its values at the ``S`` places where its support
(a mask shaped like one run's array, (T, C) or (T, C, K)) is true, in C
order, and hands out the dense array, (runs, T, C) or (runs, T, C, K), when
read (``store[name]``). Writing and holding a quarter to a third of the bytes makes
the core fast at world scale: fresh memory is the dearest thing a run
touches.

Reads build a new dense array each time; a caller that reads a metric often
keeps it. :meth:`MetricStore.stored` gives the compact form, and
:meth:`MetricStore.sum_over_runs` sums on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

__all__ = ["MetricStore"]


class MetricStore(Mapping[str, np.ndarray]):
    """Metric arrays by name, in insertion order; dense on read.

    Parameters
    ----------
    stored : mapping of str to ndarray
        Each metric as held: dense, or (runs, S) on its support.
    support : mapping of str to ndarray of bool, optional
        For each metric held on a support, the mask of one run's dense
        array, with ``S`` true entries.
    """

    def __init__(self, stored: Mapping[str, np.ndarray],
                 support: Mapping[str, np.ndarray] | None = None) -> None:
        self._stored = dict(stored)
        self._support = dict(support or {})
        self._index = {name: np.flatnonzero(mask) for name, mask in self._support.items()}
        for name, index in self._index.items():
            held = self._stored.get(name)
            if held is None or held.ndim != 2 or held.shape[1] != index.size:
                raise ValueError(f"metric {name!r} is not held as (runs, {index.size}) on its "
                                 "support")

    @classmethod
    def compact(cls, arrays: Mapping[str, np.ndarray],
                support: Mapping[str, np.ndarray]) -> MetricStore:
        """Hold ``arrays`` on ``support`` where one is given, checking what is dropped.

        Each array is dense (its trailing shape is its mask's; a run stopped
        early, as in the live view, has fewer steps and takes the mask's
        first ones), or already held on its support: (runs, S).

        Raises
        ------
        ValueError
            If a dense array is non-zero outside its support: one of the two
            implementations booked a flow where the world allows none (a
            programming error).
        """
        stored, kept = {}, {}
        for name, values in arrays.items():
            mask = support.get(name)
            if mask is None:
                stored[name] = values
                continue
            if values.ndim != mask.ndim + 1:  # held already: (runs, S)
                stored[name], kept[name] = values, mask
                continue
            mask = mask[:values.shape[1]]  # a run stopped early has fewer steps
            if values.shape[1:] != mask.shape:
                raise ValueError(f"metric {name!r} is shaped {values.shape[1:]} a run, its "
                                 f"support {mask.shape}")
            flat = values.reshape(len(values), -1)
            inside = mask.reshape(-1)
            stray = flat[:, ~inside].any(axis=0)
            if stray.any():
                where = np.unravel_index(np.flatnonzero(~inside)[np.argmax(stray)], mask.shape)
                raise ValueError(f"metric {name!r} is non-zero at {tuple(map(int, where))} "
                                 "(step, column...), outside its support")
            stored[name], kept[name] = flat[:, inside], mask
        return cls(stored, kept)

    def __getitem__(self, name: str) -> np.ndarray:
        values = self._stored[name]
        mask = self._support.get(name)
        if mask is None:
            return values
        dense = np.zeros((len(values), mask.size), dtype=values.dtype)
        dense[:, self._index[name]] = values
        return dense.reshape(len(values), *mask.shape)

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)

    def sum_over_runs(self, name: str) -> np.ndarray:
        """Return an integer metric's sum over runs, int64, shaped like one run's array.

        Summed as held: on its support, then spread (integer sums are exact in
        any order, so this is the dense array's sum bit for bit).
        """
        values = self._stored[name]
        total = values.sum(axis=0, dtype=np.int64)
        mask = self._support.get(name)
        if mask is None:
            return total
        dense = np.zeros(mask.size, dtype=np.int64)
        dense[self._index[name]] = total
        return dense.reshape(mask.shape)

    def stored(self, name: str) -> tuple[np.ndarray, np.ndarray | None]:
        """Return a metric as held and its support mask (``None`` when held dense)."""
        return self._stored[name], self._support.get(name)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays as held."""
        return sum(values.nbytes for values in self._stored.values())

    @staticmethod
    def concat(stores: Sequence[MetricStore]) -> MetricStore:
        """Join stores of the same metrics along the runs axis.

        A metric held on the same support in every store stays on it;
        otherwise it is joined dense.
        """
        first = stores[0]
        stored, support = {}, {}
        for name in first:
            mask = first._support.get(name)
            if mask is not None and all(
                    s._support.get(name) is not None and np.array_equal(s._support[name], mask)
                    for s in stores):
                stored[name] = np.concatenate([s._stored[name] for s in stores])
                support[name] = mask
            else:
                stored[name] = np.concatenate([s[name] for s in stores])
        return MetricStore(stored, support)
