"""Market prices (ODD 6.2a): the adjustment rule, recomputed from the recorded metrics,
and demand that responds to the price."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.world import World


def _scenario(**overrides: object) -> sim.Scenario:
    return sim.load_scenario("scenarios/no_controls.toml", overrides=overrides)


@pytest.fixture(scope="module")
def scarce() -> tuple[sim.Results, World]:
    """No controls with a tenth of every chip's output: orders exceed it and prices move."""
    scenario = _scenario(**{"market.supply_scale": 0.1})
    return sim.run_batch(scenario, [0, 1, 2, 3]), World.from_scenario(scenario)


def test_each_month_applies_the_rule_to_last_months_orders(scarce):
    results, world = scarce
    config, market = world.scenario.market, world.market
    index = results.metric("market_price_usd") / market.price
    orders = results.metric("ordered_chips").sum(axis=2)  # (R, T, K)
    output = market.capacity
    for t in range(1, len(results.dates)):
        made = output[t - 1] > 0
        excess = np.minimum(orders[:, t - 1] / np.maximum(output[t - 1], 1) - 1.0, 1.0)
        expected = np.clip(index[:, t - 1] * (1.0 + config.price_adjustment * excess),
                           config.price_floor, config.price_ceiling)
        expected = np.where(made, expected, index[:, t - 1])
        assert np.allclose(index[:, t], expected, rtol=1e-12), t


def test_a_shortage_shows_as_a_higher_price(scarce):
    results, world = scarce
    b200 = world.market.names.index("B200")
    price = results.metric("market_price_usd")[..., b200]
    assert price[:, 0].tolist() == [40_000.0] * 4
    assert np.all(price[:, -1] > 2 * price[:, 0]), "a tenth of the output should raise the price"


def test_demand_falls_with_the_price_and_ignores_it_at_zero_elasticity():
    scarce = {"market.supply_scale": 0.1}
    runs = {e: sim.run_batch(_scenario(**scarce, **{"market.price_elasticity": e}), [0, 1])
            for e in (0.0, 1.0, 3.0)}
    demand = {e: r.metric("demand_tpp")[:, -12:].sum() for e, r in runs.items()}
    assert demand[3.0] < demand[1.0] < demand[0.0]
    # At zero elasticity demand is the same whatever the price: here, with ample output
    ample = sim.run_batch(_scenario(**{"market.price_elasticity": 0.0}), [0, 1])
    assert not np.allclose(ample.metric("market_price_usd"), runs[0.0].metric("market_price_usd"))
    assert np.array_equal(ample.metric("demand_tpp"), runs[0.0].metric("demand_tpp"))


@pytest.mark.parametrize("elasticity, floor", [(4.0, 0.7), (2.0, 0.5), (11.0, 0.9)])
def test_a_price_response_that_breaks_at_the_floor_is_refused_naming_the_key(elasticity,
                                                                             floor):
    with pytest.raises(sim.ScenarioError, match="price_elasticity") as error:
        _scenario(**{"market.price_elasticity": elasticity, "market.price_floor": floor})
    assert "below 1" in str(error.value) and "\n" not in str(error.value)


def test_a_price_response_just_inside_the_bound_loads():
    scenario = _scenario(**{"market.price_elasticity": 3.3, "market.price_floor": 0.7})
    assert scenario.market.price_elasticity * (1 - scenario.market.price_floor) < 1
