"""Demand on the calendar: growth_per_year as a number or as the world's shipment trend
(sim.scenario.demand_growth, docs/sources.md §22, ODD 6.1)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import SCENARIOS

import sim
from sim.months import month_labels
from sim.reference.supply import shipment_trend_tpp, world_shipments_tpp
from sim.scenario.demand_growth import growth_path, largest_growth
from sim.world import World


def test_the_trend_is_the_centred_twelve_month_mean_of_world_shipments():
    for month in ("2023-01", "2024-07", "2026-02"):
        year, m = int(month[:4]), int(month[5:7])
        start = f"{year - (1 if m <= 6 else 0):04d}-{(m - 7) % 12 + 1:02d}"
        window = month_labels(start, 12)
        assert window[6] == month
        expected = np.mean([world_shipments_tpp(w) for w in window])
        assert shipment_trend_tpp([month])[0] == pytest.approx(expected, rel=1e-12)


def test_the_trend_counts_only_covered_months_and_continues_beyond_the_table():
    first = np.mean([world_shipments_tpp(w) for w in month_labels("2021-01", 6)])
    assert shipment_trend_tpp(["2021-01"])[0] == pytest.approx(first, rel=1e-12)
    edge, year_before = shipment_trend_tpp(["2027-12", "2026-12"])
    beyond = shipment_trend_tpp(["2028-12"])[0]
    assert beyond == pytest.approx(edge * edge / year_before, rel=1e-9)


def test_the_reference_path_is_one_in_the_reference_month_and_follows_the_trend():
    dates = month_labels("2021-01", 84)
    path = growth_path("reference", "2025-01", dates)
    assert path[dates.index("2025-01")] == 1.0
    trend = shipment_trend_tpp(dates)
    np.testing.assert_allclose(path, trend / trend[dates.index("2025-01")], rtol=1e-12)
    # 2023's jump is in the demand: more than twice 2022's growth
    assert path[dates.index("2024-01")] / path[dates.index("2023-01")] > 2 * (
        path[dates.index("2023-01")] / path[dates.index("2022-01")])


def test_a_number_is_a_constant_factor_a_year_from_the_reference_month():
    path = growth_path(2.0, "2025-01", ("2024-01", "2025-01", "2025-07", "2027-01"))
    np.testing.assert_allclose(path, [0.5, 1.0, 2 ** 0.5, 4.0], rtol=1e-12)


def test_the_largest_growth_bounds_every_month_of_the_window():
    dates = month_labels("2025-01", 36)
    path = growth_path("reference", "2025-01", dates)
    assert largest_growth("reference", "2025-01", "2027-12") == pytest.approx(path.max())
    assert largest_growth(0.5, "2025-01", "2027-12") == 1.0
    assert largest_growth(2.0, "2025-01", "2027-01") == pytest.approx(4.0)


def test_history_demand_grows_with_world_shipments_in_both_implementations():
    scenario = sim.load_scenario(SCENARIOS / "history.toml")
    assert {c.growth_per_year for c in scenario.countries.values()} == {"reference"}
    world = World.from_scenario(scenario)
    expected = growth_path("reference", "2025-01", world.dates)
    np.testing.assert_array_equal(world.growth, np.repeat(expected[:, None],
                                                          len(world.countries), axis=1))


def test_a_bad_growth_word_is_one_line_naming_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(f'extends = "{(SCENARIOS / "base.toml").as_posix()}"\n'
                    '[country_defaults]\ngrowth_per_year = "shipments"\n')
    done = subprocess.run([sys.executable, "-m", "sim", "check", str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "growth_per_year" in lines[0] and '"reference"' in lines[0]
