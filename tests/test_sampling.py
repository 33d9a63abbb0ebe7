"""Samplers in the unit cube and their map through Parameters (sim/experiment/sampling.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import qmc

from sim.experiment.parameters import Parameter
from sim.experiment.sampling import (
    as_overrides,
    from_unit,
    grid_points,
    latin_hypercube_unit,
    saltelli_unit,
    sobol_unit,
    to_unit,
    unit_sample,
)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 16, 100])
def test_sobol_is_the_first_points_of_the_scrambled_sequence(n: int) -> None:
    drawn = sobol_unit(n, 3, np.random.default_rng(4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns for n not a power of 2
        expected = qmc.Sobol(3, scramble=True, rng=np.random.default_rng(4)).random(n)
    assert np.array_equal(drawn, expected)
    longer = sobol_unit(128, 3, np.random.default_rng(4))
    assert np.array_equal(drawn, longer[:n])


def test_sobol_of_a_power_of_two_is_balanced() -> None:
    unit = sobol_unit(64, 2, np.random.default_rng(0))
    for column in unit.T:
        assert np.bincount((column * 8).astype(int), minlength=8).tolist() == [8] * 8


def test_latin_hypercube_fills_every_stratum() -> None:
    unit = latin_hypercube_unit(20, 3, np.random.default_rng(1))
    for column in unit.T:
        assert sorted((column * 20).astype(int)) == list(range(20))


def test_saltelli_has_n_times_d_plus_2_rows() -> None:
    assert saltelli_unit(8, 3, seed=5).shape == (8 * (3 + 2), 3)


@pytest.mark.parametrize("kind", ["lhs", "sobol", "saltelli"])
def test_a_design_is_a_pure_function_of_its_seed(kind: str) -> None:
    first = unit_sample(kind, 8, 2, seed=11)
    assert np.array_equal(first, unit_sample(kind, 8, 2, seed=11))
    assert not np.array_equal(first, unit_sample(kind, 8, 2, seed=12))
    assert ((first >= 0) & (first <= 1)).all()


def test_a_grid_is_the_product_of_levels_last_fastest() -> None:
    a = Parameter("a", 0.0, 1.0, levels=2)
    b = Parameter("b", values=("x", "y", "z"))
    assert grid_points([a, b]) == [(0.0, "x"), (0.0, "y"), (0.0, "z"),
                                   (1.0, "x"), (1.0, "y"), (1.0, "z")]


def test_designs_map_through_parameters_and_back() -> None:
    parameters = [Parameter("a", 10.0, 1000.0, log=True), Parameter("b", 0.0, 10.0, integer=True)]
    unit = np.array([[0.0, 0.0], [0.5, 0.52], [1.0, 1.0]])
    values = from_unit(parameters, unit)
    assert values.dtype == np.float64 and values.shape == (3, 2)
    assert values[:, 1].tolist() == [0.0, 5.0, 10.0]
    np.testing.assert_allclose(to_unit(parameters, values)[:, 0], unit[:, 0], atol=1e-12)
    overrides = as_overrides(parameters, values[1])
    assert overrides == {"a": pytest.approx(100.0), "b": 5} and type(overrides["b"]) is int
