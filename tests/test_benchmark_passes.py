"""benchmarks/passes.py counts full-array operations, and counting changes no bit."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from conftest import benchmark_module

import sim

ROOT = Path(__file__).resolve().parents[1]


passes = benchmark_module("passes")
Counting = passes.Counting


def _counted(fn) -> int:
    full = np.arange(12, dtype=np.int64).reshape(3, 4).view(Counting)
    Counting.counts, Counting.size_floor, Counting.phase = Counter(), full.size, "x"
    try:
        with passes._converters_keep_counting():
            fn(full)
    finally:
        Counting.size_floor = 0
    return Counting.counts["x"]


def test_an_operation_over_the_whole_array_counts_and_a_view_or_a_small_one_does_not():
    assert _counted(lambda a: a + 1) == 1
    assert _counted(lambda a: (a * 2 + 1) // 3) == 3
    assert _counted(lambda a: np.where(a > 3, a, 0)) == 2  # the comparison, then the where
    assert _counted(lambda a: a.sum(axis=1)) == 1  # a reduction reads the whole array
    assert _counted(lambda a: np.asarray(a, dtype=np.float64)) == 1  # a converting copy
    assert _counted(lambda a: a.astype(np.int32)) == 1
    assert _counted(lambda a: a[:, [0, 2, 3, 1]]) == 1  # a fancy index of every element
    assert _counted(lambda a: a[:, :2] + 1) == 0  # a slice is a view; half the array
    assert _counted(lambda a: a[:, 1:2] * a[:, 2:3]) == 0
    assert _counted(lambda a: np.broadcast_to(a[:, :1], a.shape)) == 0  # a view
    assert _counted(lambda a: np.empty_like(a)) == 0  # no memory touched
    assert _counted(lambda a: np.asarray(a)) == 0  # no copy


def test_every_month_of_a_scenario_is_counted_without_changing_a_bit():
    golden = ROOT / "tests" / "data" / "golden" / "scenario.toml"
    scenario = sim.load_scenario(golden)
    counts = passes.count_months(scenario, n_runs=4)  # raises if a bit changed
    assert len(counts["per_month"]) == scenario.time.months
    assert counts["max"] == max(counts["per_month"]) > 0
    assert counts["by_phase"]["demand"] > 0  # the random numbers' hash is seen
    months = scenario.time.months
    assert np.isclose(sum(counts["by_phase"].values()) * months, sum(counts["per_month"]))
