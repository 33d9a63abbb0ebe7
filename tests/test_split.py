"""A destination's buyers share the chips that serve them (sim/world/split.py), and
"reference" outputs come from supply.csv."""

from __future__ import annotations

import numpy as np
from conftest import SCENARIOS

import sim
from sim.reference import load_chips, monthly_supply
from sim.world import World
from sim.world.codes import BROKER, REGIME_NAMES


def _history(**overrides: object) -> World:
    return World.from_scenario(sim.load_scenario(SCENARIOS / "history.toml", overrides=overrides))


def test_reference_output_is_the_supply_schedule_from_launch():
    world = _history()
    chips = load_chips()
    launched = np.array([[chips[k].launch <= d for k in world.market.names] for d in world.dates])
    schedule = monthly_supply(world.market.names, world.dates[0], world.n_steps)
    assert np.array_equal(world.market.capacity, np.where(launched, schedule, 0))
    assert world.market.capacity.sum() > 0.95 * schedule.sum()  # little is made before launch
    half = _history(**{"market.supply_scale": 0.5})
    assert np.array_equal(half.market.capacity,
                          np.where(launched, np.floor(schedule * 0.5), 0).astype(np.int64))


def test_us_buyers_share_the_chips_in_proportion_to_output_and_brokers_keep_the_choice():
    world = _history()
    market, firms = world.market, world.firms
    t, usa = world.dates.index("2025-06"), world.countries.index("USA")
    pool = np.flatnonzero(market.pool[t, usa])
    assert {market.names[k] for k in pool} >= {"B200", "H200", "MI300X"}
    buyers = np.flatnonzero((firms.country == usa) & (firms.kind != BROKER))
    chips = world.firm_chip[t, buyers]
    assert set(chips) <= set(pool) and len(set(chips)) >= 2
    size = np.bincount(chips, weights=firms.median_h100e[buyers], minlength=market.n_chips)
    output = market.capacity[t] * market.tpp
    shares = size[pool] / size[pool].sum()
    assert np.allclose(shares, output[pool] / output[pool].sum(), atol=0.1)
    brokers = np.flatnonzero(firms.kind == BROKER)
    bound = world.headquarters_bound[t, brokers]
    expected = market.choice[t, firms.country[brokers]]
    assert np.array_equal(world.firm_chip[t, brokers][~bound], expected[~bound])


def test_variants_go_only_where_nothing_else_serves():
    world = _history()
    market = world.market
    t = world.dates.index("2023-06")  # the 2022 rule: China may not buy the H100
    china, usa = world.countries.index("CHN"), world.countries.index("USA")
    names = market.names
    assert {names[k] for k in np.flatnonzero(market.pool[t, china])} == {"H800", "A800"}
    assert not market.pool[t, usa, [names.index("H800"), names.index("A800")]].any()
    open_world = _history(**{"market.variants": []})
    assert open_world.market.pool[t, usa, names.index("H800")]


def test_one_chip_where_the_choice_is_capped_or_alone():
    """Capped destinations (Tier 2 under the framework) order only their choice: no pool."""
    world = World.from_scenario(sim.load_scenario(SCENARIOS / "ai_diffusion_2025.toml"))
    capped = world.regime == REGIME_NAMES.index("capped")                     # (T, C)
    assert capped.any()
    assert np.all(world.market.pool.sum(axis=-1)[capped] <= 1)
    firm_capped = capped[:, world.firms.country]                              # (T, F)
    chosen = world.market.choice[:, world.firms.country]
    keep = firm_capped & ~world.headquarters_bound
    assert np.array_equal(world.firm_chip[keep], chosen[keep])
    # where several chips serve a free destination, its buyers do share them
    free = world.regime == REGIME_NAMES.index("free")
    assert (world.market.pool.sum(axis=-1)[free] >= 2).any()


def _split_pair_by_pair(market, firms, bound):
    """The module docstring's split, one (month, destination) at a time: the reference."""
    country = firms.country
    chips = np.where(bound, market.bound_choice[:, country], market.choice[:, country])
    output = market.capacity * market.tpp
    for t, c in zip(*np.nonzero(market.pool.sum(axis=-1) >= 2), strict=True):
        members = np.flatnonzero((firms.kind != BROKER) & (country == c) & ~bound[t])
        if members.size == 0:
            continue
        pool = np.flatnonzero(market.pool[t, c])
        pool = pool[np.argsort(output[t, pool], kind="stable")]
        members = members[np.argsort(firms.median_h100e[members], kind="stable")]
        edges = np.cumsum(output[t, pool]) / output[t, pool].sum()
        size = firms.median_h100e[members]
        middle = (np.cumsum(size) - size / 2) / max(size.sum(), 1e-300)
        chips[t, members] = pool[np.minimum(np.searchsorted(edges, middle, side="right"),
                                            len(pool) - 1)]
    return chips


def test_the_split_of_every_pair_at_once_is_the_split_pair_by_pair():
    """Random firm sizes (with ties) and a random headquarters rule, on the history world."""
    from dataclasses import replace

    from sim.world.split import firm_chips

    world = _history()
    rng = np.random.default_rng(7)
    for _ in range(3):
        sizes = rng.choice([1.0, 2.0, 50.0, 3e3], size=world.firms.median_h100e.shape)
        firms = replace(world.firms, median_h100e=sizes)
        bound = rng.random(world.headquarters_bound.shape) < 0.2
        expected = _split_pair_by_pair(world.market, firms, bound)
        got = firm_chips(world.market, firms, bound)
        assert np.array_equal(got, expected)
        assert (got != world.market.choice[:, firms.country]).any()  # the split did something
