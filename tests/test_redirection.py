"""Subsidiaries abroad of Tier 3-headquartered firms redirect chips home (CNAS's pathway 2).

``diversion.subsidiary_redirect_share`` (0 in every shipped scenario): a
named firm's host abroad, outside Tier 3, of a parent headquartered in
Tier 3 sends that share of what it receives on to its headquarters country,
caught at its host's catch probability. ``tests/invariants.py`` holds every
random scenario to "each redirected chip is seized or received at home" and
to the stock balance with redirection. The core is used except where the
point is agreement.
"""

from __future__ import annotations

import numpy as np
from conftest import SCENARIOS
from test_phase_agreement import assert_agree_after_every_phase

import sim
from sim.reference import H100E_TPP
from sim.world import World

SEEDS = np.arange(40)
REDIRECT = {"diversion.subsidiary_redirect_share": 0.5, "time.months": 14}


def _scenario(overrides: dict) -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / "ai_diffusion_2025.toml", overrides)


def test_only_subsidiaries_abroad_of_a_tier3_parent_can_redirect():
    world = World.from_scenario(_scenario({}))
    movers = np.flatnonzero((world.redirect_to >= 0).any(axis=0))
    assert movers.size > 0
    china = world.countries.index("CHN")
    for firm in movers:
        assert world.firms.headquarters[firm] == "CHN", world.firms.labels[firm]
        assert world.firms.country[firm] != china
    assert set(world.redirect_to[world.redirect_to >= 0]) == {china}
    assert np.all(world.redirect_to[:, world.firms.parent < 0] == -1)


def test_redirected_chips_reach_the_headquarters_and_leave_the_host():
    plain = sim.run_batch(_scenario({"time.months": 14}), SEEDS)
    sent = sim.run_batch(_scenario(REDIRECT), SEEDS)
    codes = list(sent.countries)
    china = codes.index("CHN")
    assert not plain.metric("redirected_tpp").any()
    received = sent.metric("redirected_received_tpp")
    assert received[..., china].sum() > 0 and received.sum() == received[..., china].sum()
    hosts = sent.metric("redirected_tpp").sum(axis=(0, 1)) > 0
    assert {codes[c] for c in np.flatnonzero(hosts)} <= {"MYS", "SGP"}
    # The host keeps less installed compute, the headquarters more, by what arrived.
    stock_gain = sent.metric("stock_tpp")[:, -1, china] - plain.metric("stock_tpp")[:, -1, china]
    assert np.all(stock_gain >= 0) and stock_gain.sum() > 0


def test_redirection_agrees_after_every_phase():
    scenario = _scenario(REDIRECT)
    assert assert_agree_after_every_phase(scenario, seed=8) > 0
    assert sim.run_batch(scenario, [8]).metric("redirected_tpp").sum() > 0


def test_the_comparison_outcomes_count_redirected_chips_where_they_are_installed():
    from sim.experiment.outcomes import outcomes_per_run

    scenario = _scenario(REDIRECT)
    sent = sim.run_batch(scenario, SEEDS[:10])
    outcomes = outcomes_per_run(sent)
    tiers = np.asarray(sent.tiers)
    arrived_home = sent.metric("redirected_received_tpp")[..., tiers == 3].sum(axis=(1, 2))
    assert arrived_home.sum() > 0
    assert np.allclose(outcomes["tier3_redirected_h100e"], arrived_home / H100E_TPP)
    # What a tier received is what it installed: arrivals read back from the stock balance.
    stock, life = sent.metric("stock_tpp"), scenario.market.depreciation_months
    before = np.zeros_like(stock)
    before[:, 1:] = stock[:, :-1]
    installed = stock - before + before // life
    for tier in (1, 2, 3):
        expected = installed[..., tiers == tier].sum(axis=(1, 2)) / H100E_TPP
        assert np.allclose(outcomes[f"tier{tier}_received_h100e"], expected), tier
