"""Count the core's full-array operations in a month, phase by phase.

Run from the repository root::

    PYTHONPATH=. python benchmarks/passes.py [--scenario PATH] [--runs R]

A *full-array operation* is one NumPy operation that reads or writes at least
``runs x firms`` elements: a ufunc call (``+``, ``<``, ``np.where``'s
arithmetic, a reduction such as ``.sum``) whose largest operand is that
big, an array function (``np.where``, ``np.concatenate``, ``np.zeros_like``;
not ``np.empty_like``, which touches no memory) or a copy, ``astype``,
fancy index or assignment whose result or operand is that big. Each is one pass
over (runs, firms) memory, the unit the core's cost is made of (the core is
bound by memory bandwidth: docs/performance.md), so fewer operations is a
faster month whatever the machine.

How: the month runs on the NumPy engine with every (runs, firms) array of the
``State`` and the ``Layout`` viewed as :class:`Counting`, an ``ndarray``
subclass whose ``__array_ufunc__`` and ``__array_function__`` count, then
defer to NumPy; results of counted operations stay :class:`Counting`, so what
a phase computes from them is counted too. Arrays a phase makes from nothing
(``np.zeros``) are counted once they meet a counted one. The month's results
are compared with a plain run of the same month, so the counting changes no
bit. The compiled engine is not counted: its kernels take the place of
several NumPy operations each.

``count_months`` is what ``benchmarks/bench_core.py`` records as
``full_array_ops_per_month``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

import sim
from sim import kernels
from sim.core.batch import PHASE_FUNCTIONS, PHASES, step
from sim.core.layout import Layout
from sim.core.state import State, initial_state
from sim.world import World

__all__ = ["Counting", "count_months"]


class Counting(np.ndarray):
    """An ``ndarray`` that counts the passes over at least ``Counting.size_floor`` elements."""

    size_floor: ClassVar[int] = 0
    counts: ClassVar[Counter[str]] = Counter()
    phase: ClassVar[str] = ""

    @classmethod
    def _count(cls, *arrays: Any) -> None:
        """Count one operation if any of ``arrays`` is at least the floor in size."""
        if cls.size_floor and max((np.size(a) for a in arrays if isinstance(a, np.ndarray)),
                                  default=0) >= cls.size_floor:
            cls.counts[cls.phase] += 1

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out", ())
        if out:
            kwargs["out"] = _unwrap(tuple(out))
        result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
        Counting._count(*inputs, *out, *_arrays(result))
        return _wrap(result)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        result = func(*_unwrap(args), **_unwrap(kwargs))
        inputs = _arrays(list(args)) + _arrays(list(kwargs.values()))
        made = [r for r in _arrays(result) if not _views(r, inputs)]
        if made and func not in UNWRITTEN:  # a view (broadcast_to, reshape) moves no data
            Counting._count(*made, *inputs)
        return _wrap(result)

    def __getitem__(self, key: Any) -> Any:
        result = self.view(np.ndarray)[_unwrap(key)]
        if isinstance(result, np.ndarray):
            if not _views(result, [self]):  # fancy or boolean indexing copies; a slice does not
                Counting._count(result, *_arrays(key))
            return result.view(Counting)
        return result

    def __setitem__(self, key: Any, value: Any) -> None:
        Counting._count(value, *_arrays(key))
        self.view(np.ndarray)[_unwrap(key)] = _unwrap(value)

    def astype(self, *args: Any, **kwargs: Any) -> Any:
        result = self.view(np.ndarray).astype(*args, **kwargs)
        if not _views(result, [self]):
            Counting._count(result)
        return result.view(Counting)

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        Counting._count(self)
        return self.view(np.ndarray).copy(*args, **kwargs).view(Counting)


UNWRITTEN = (np.empty, np.empty_like)
"""Array functions that allocate without touching the memory: not a pass."""

CONVERTERS = ("asarray", "array", "ascontiguousarray", "atleast_1d")
"""NumPy functions that do not dispatch to ``__array_function__`` for a subclass and return
a plain array: while counting, each keeps a counted input counted (and counts a copy)."""


@contextlib.contextmanager
def _converters_keep_counting() -> Iterator[None]:
    originals = {name: getattr(np, name) for name in CONVERTERS}

    def keeping(original: Any) -> Any:
        def convert(value: Any, *args: Any, **kwargs: Any) -> Any:
            if not isinstance(value, Counting):
                return original(value, *args, **kwargs)
            result = original(value.view(np.ndarray), *args, **kwargs)
            if isinstance(result, np.ndarray) and not _views(result, [value]):
                Counting._count(result)
            return _wrap(result)
        return convert

    for name, original in originals.items():
        setattr(np, name, keeping(original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(np, name, original)


def _views(result: np.ndarray, inputs: list[np.ndarray]) -> bool:
    """Whether ``result`` may be a view of one of ``inputs`` (a view moves no data)."""
    return any(np.may_share_memory(result.view(np.ndarray), a.view(np.ndarray))
               for a in inputs)


def _arrays(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, tuple | list):
        return [a for v in value for a in _arrays(v)]
    return []


def _unwrap(value: Any) -> Any:
    if isinstance(value, Counting):
        return value.view(np.ndarray)
    if isinstance(value, tuple):
        return tuple(_unwrap(v) for v in value)
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, np.ndarray) and not isinstance(value, Counting) and value.ndim:
        return value.view(Counting)
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    return value


def _counted(holder: Any) -> Any:
    """``holder`` (a State or Layout) with every array viewed as :class:`Counting`.

    Small arrays too: the random numbers' hash, for one, makes (runs, firms)
    arrays out of (runs, 1) seeds and (firms,) keys.
    """
    changes = {f.name: getattr(holder, f.name).view(Counting)
               for f in dataclasses.fields(holder)
               if isinstance(getattr(holder, f.name), np.ndarray)
               and getattr(holder, f.name).ndim}
    return dataclasses.replace(holder, **changes)


def _plain(state: State) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(state, f.name)).view(np.ndarray)
            for f in dataclasses.fields(state) if isinstance(getattr(state, f.name), np.ndarray)}


def count_months(scenario: sim.Scenario, n_runs: int = 64) -> dict[str, Any]:
    """Full-array operations of every month of ``n_runs`` runs.

    Returns ``per_month`` (each month's total), ``mean`` and ``max`` over the
    months, and ``by_phase`` (each phase's mean a month). Each month is run
    twice, counted and plain; raises ``AssertionError`` if the two differ in
    any bit.
    """
    layout = Layout.from_world(World.from_scenario(scenario))
    floor = n_runs * layout.n_firms
    counted_layout = _counted(layout)
    per_month, by_phase = [], Counter()
    with kernels.use_engine("numpy"):
        state = initial_state(layout, np.arange(n_runs, dtype=np.int64))
        for t in range(layout.world.n_steps):
            expected = step(layout, state, t)
            Counting.counts, Counting.size_floor = Counter(), floor
            counted = _counted(state)
            try:
                with _converters_keep_counting():
                    for name in PHASES:
                        Counting.phase = name
                        counted = PHASE_FUNCTIONS[name](counted_layout, counted, t)
            finally:
                Counting.size_floor = 0
            found, want = _plain(counted), _plain(expected)
            for name, array in want.items():
                assert np.array_equal(found[name], array), f"counting changed {name} at {t}"
            per_month.append(sum(Counting.counts.values()))
            by_phase.update(Counting.counts)
            state = expected
    months = len(per_month)
    return {"per_month": per_month, "mean": sum(per_month) / months, "max": max(per_month),
            "by_phase": {name: by_phase[name] / months for name in PHASES}}


def main(argv: Sequence[str] | None = None) -> int:
    """Print each phase's full-array operations a month, and the month's mean and largest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/history.toml")
    parser.add_argument("--runs", type=int, default=64)
    args = parser.parse_args(argv)
    counts = count_months(sim.load_scenario(args.scenario), args.runs)
    for name, n in counts["by_phase"].items():
        print(f"{name:<28}{n:>7.1f}")
    print(f"{'a month, mean':<28}{counts['mean']:>7.1f}\n{'a month, largest':<28}"
          f"{counts['max']:>7d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
