"""``MetricStore``: metric arrays by name, each held dense or on its support; read dense.

A world-scale run is mostly zeros its world fixes in advance
(:mod:`sim.world.support`): diversion only in the countries that host brokers,
chips only on the (country, chip) pairs some firm orders. A store keeps such a
metric as (runs, steps, S), its values on the ``S`` columns of its support, and
hands out the dense array, (runs, steps, C) or (runs, steps, C, K), when read
(``store[name]``). Writing and holding half the bytes is what makes the core
fast at world scale: fresh memory is the dearest thing a run touches.

Reads build a new dense array each time; a caller that reads a metric often
keeps it. :meth:`MetricStore.stored` gives the compact form to code that can
reduce it as it is (a sum over runs is a sum on the support).
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
        Each metric as held: dense, or (runs, steps, S) on its support.
    support : mapping of str to ndarray of int64, optional
        For each metric held on a support, its sorted flat column indices (S,)
        into the flattened trailing axes of the dense array.
    shapes : mapping of str to tuple of int, optional
        For each metric held on a support, the dense array's trailing shape:
        ``(C,)`` or ``(C, K)``.
    """

    def __init__(self, stored: Mapping[str, np.ndarray],
                 support: Mapping[str, np.ndarray] | None = None,
                 shapes: Mapping[str, tuple[int, ...]] | None = None) -> None:
        self._stored = dict(stored)
        self._support = dict(support or {})
        self._shapes = {name: tuple(shape) for name, shape in (shapes or {}).items()}
        for name in self._support:
            if name not in self._stored or name not in self._shapes:
                raise ValueError(f"metric {name!r} has a support but no array or shape")
            if self._stored[name].shape[-1] != len(self._support[name]):
                raise ValueError(f"metric {name!r} holds {self._stored[name].shape[-1]} columns "
                                 f"for a support of {len(self._support[name])}")

    @classmethod
    def compact(cls, arrays: Mapping[str, np.ndarray], support: Mapping[str, np.ndarray],
                shapes: Mapping[str, tuple[int, ...]]) -> MetricStore:
        """Hold ``arrays`` on ``support`` where one is given, checking what is dropped.

        Each array is dense, with trailing shape ``shapes[name]``, or already on
        its support: (runs, steps, S).

        Raises
        ------
        ValueError
            If a dense array is non-zero outside its support: one of the two
            implementations booked a flow where the world allows none (a
            programming error).
        """
        stored, kept, dense_shapes = {}, {}, {}
        for name, values in arrays.items():
            columns = support.get(name)
            if columns is None:
                stored[name] = values
                continue
            kept[name] = columns
            shape = tuple(shapes[name])
            if values.shape[2:] != shape:  # already on its support
                stored[name], dense_shapes[name] = values, shape
                continue
            flat = values.reshape(*values.shape[:2], -1)
            outside = np.ones(flat.shape[-1], dtype=bool)
            outside[columns] = False
            if flat[..., outside].any():
                column = int(np.flatnonzero(flat[..., outside].any(axis=(0, 1)))[0])
                raise ValueError(f"metric {name!r} is non-zero in column "
                                 f"{int(np.flatnonzero(outside)[column])}, outside its support")
            stored[name], dense_shapes[name] = flat[..., columns], shape
        return cls(stored, kept, dense_shapes)

    def __getitem__(self, name: str) -> np.ndarray:
        values = self._stored[name]
        columns = self._support.get(name)
        if columns is None:
            return values
        shape = self._shapes[name]
        dense = np.zeros((*values.shape[:-1], int(np.prod(shape))), dtype=values.dtype)
        dense[..., columns] = values
        return dense.reshape(*values.shape[:-1], *shape)

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)

    def stored(self, name: str) -> tuple[np.ndarray, np.ndarray | None]:
        """Return a metric as held and its support (``None`` when held dense)."""
        return self._stored[name], self._support.get(name)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays as held."""
        return sum(values.nbytes for values in self._stored.values())

    @staticmethod
    def concat(stores: Sequence[MetricStore]) -> MetricStore:
        """Join stores of the same metrics along the runs axis.

        A metric held on one support in every store stays on it; otherwise
        it is joined dense.
        """
        first = stores[0]
        stored, support, shapes = {}, {}, {}
        for name in first:
            columns = first._support.get(name)
            if columns is not None and all(
                    s._support.get(name) is not None and np.array_equal(s._support[name], columns)
                    for s in stores):
                stored[name] = np.concatenate([s._stored[name] for s in stores])
                support[name], shapes[name] = columns, first._shapes[name]
            else:
                stored[name] = np.concatenate([s[name] for s in stores])
        return MetricStore(stored, support, shapes)
