"""The one Parameter (sim/experiment/parameters.py) of sweeps and calibration priors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.experiment.parameters import Parameter


def test_a_linear_range_maps_the_ends_to_its_bounds() -> None:
    p = Parameter("enforcement.detection", 0.1, 0.4)
    assert p.from_unit([0.0, 0.5, 1.0]).tolist() == pytest.approx([0.1, 0.25, 0.4])
    assert p.scale == "linear" and p.is_range


def test_a_log_range_is_even_in_the_logarithm_and_inverts() -> None:
    p = Parameter("rules.cap_tpp", 10.0, 1000.0, log=True)
    values = p.from_unit([0.0, 0.5, 1.0])
    np.testing.assert_allclose(values, [10.0, 100.0, 1000.0])
    np.testing.assert_allclose(p.to_unit(values), [0.0, 0.5, 1.0], atol=1e-12)
    assert p.scale == "log"


def test_integers_round_half_to_even_then_clip_to_the_range() -> None:
    p = Parameter("k", 0.5, 2.5, integer=True)
    # 0.5 -> 0 (half to even) -> clipped to ceil(0.5) = 1; 1.5 -> 2; 2.5 -> 2
    assert p.from_unit([0.0, 0.5, 1.0]).tolist() == [1.0, 2.0, 2.0]
    assert p.overrides([0.0, 0.5, 1.0]) == [1, 2, 2]
    assert all(type(v) is int for v in p.overrides([0.25]))


@given(low=st.floats(-1e6, 1e6), width=st.floats(1.0, 1e6), unit=st.floats(0.0, 1.0),
       log=st.booleans())
def test_an_integer_draw_stays_a_whole_number_inside_the_range(low, width, unit, log) -> None:
    if log:
        low = abs(low) + 1.0
    p = Parameter("k", low, low + width, log=log, integer=True)
    [value] = p.overrides([unit])
    assert np.ceil(low) <= value <= np.floor(low + width)


def test_a_list_maps_equal_slices_and_is_its_own_grid() -> None:
    p = Parameter("rules.allocation", values=("pro_rata", "first_come"))
    assert p.overrides([0.0, 0.49, 0.5, 1.0]) == ["pro_rata", "pro_rata", "first_come",
                                                   "first_come"]
    assert p.grid() == p.extremes() == ("pro_rata", "first_come") and p.n_levels == 2
    listed = Parameter("tiers.tier1", values=(["USA"], ["USA", "JPN"]))
    assert listed.overrides([0.9]) == [["USA", "JPN"]]
    with pytest.raises(ValueError, match="no unit scale"):
        p.to_unit([0.5])


def test_grid_levels_are_even_steps_and_extremes_the_ends() -> None:
    p = Parameter("enforcement.detection", 0.0, 0.5, levels=6)
    assert p.grid() == pytest.approx((0.0, 0.1, 0.2, 0.3, 0.4, 0.5)) and p.n_levels == 6
    assert p.extremes() == (0.0, 0.5)


def test_describe_is_the_sweep_manifest_record() -> None:
    p = Parameter("k", 1.0, 2.0, levels=3, label="a label")
    assert p.describe() == {"key": "k", "low": 1.0, "high": 2.0, "values": [], "levels": 3,
                            "log": False, "integer": False}


@pytest.mark.parametrize("kwargs", [
    {"low": 2.0, "high": 1.0}, {"low": 1.0}, {"low": 0.0, "high": 1.0, "log": True},
    {"values": (1, 2), "low": 0.0}, {"values": (1, 2), "levels": 2},
])
def test_an_invalid_parameter_is_a_programming_error(kwargs) -> None:
    with pytest.raises(ValueError):
        Parameter("k", **kwargs)
