"""Tiers and rule scopes follow the dated country groups month by month (sim/world/world.py).

``country_groups.csv`` dates two changes inside the history's window:
Nicaragua joins D:1 and D:5 on 15 March 2024 (FR Doc 2024-05696) and
Cambodia leaves D:5 on 3 February 2026 (RIN 0694-AK41), keeping D:1. Tier 3
of the framework is D:5 plus Macau, the 2023 rule needs a licence for D:1,
D:4 and D:5 (presumed denied for Tier 3) and its headquarters rule binds
firms headquartered in D:5 or Macau. A month reads the groups on its last
day, as a timeline entry holds from the month its rule took effect. So:

- Nicaragua: Tier 2 and outside the 2023 scope in February 2024; Tier 3,
  denied and headquarters-bound from March 2024.
- Cambodia: Tier 3 and denied in January 2026; from February 2026 Tier 2,
  still in the 2023 scope by D:1 so licensed (capped where the framework is
  kept), and no longer headquarters-bound.
"""

import functools
from pathlib import Path

import numpy as np
import pytest
from test_core_agreement import assert_agree

import sim
from sim.reference import country_groups, importers
from sim.world import World
from sim.world.codes import CAPPED, DENIED, FREE, LICENSED, TIER2, TIER3

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@functools.cache
def world(name: str, **overrides) -> World:
    return World.from_scenario(sim.load_scenario(SCENARIOS / f"{name}.toml", overrides or None))


def tier(w: World, code: str, month: str) -> int:
    return int(w.tier_in_force[w.dates.index(month), w.countries.index(code)])


def frontier_regime(w: World, code: str, month: str) -> int:
    """Regime of the month's frontier chip for the destination."""
    t = w.dates.index(month)
    return int(w.market.regime[t, w.countries.index(code), w.market.frontier[t]])


def test_nicaragua_joins_tier_3_and_the_2023_scope_in_march_2024():
    w = world("history")
    assert (tier(w, "NIC", "2024-02"), tier(w, "NIC", "2024-03")) == (TIER2, TIER3)
    assert frontier_regime(w, "NIC", "2024-02") == FREE        # not yet in D:1 or D:5
    assert frontier_regime(w, "NIC", "2024-03") == DENIED      # D:5: presumed denied
    t = w.dates.index("2024-02")
    assert "NIC" not in w.market.headquarters_scope[t]
    assert "NIC" in w.market.headquarters_scope[t + 1]


def test_cambodia_leaves_tier_3_in_february_2026_and_stays_licensed_by_d1():
    w = world("history")
    assert (tier(w, "KHM", "2026-01"), tier(w, "KHM", "2026-02")) == (TIER3, TIER2)
    assert frontier_regime(w, "KHM", "2026-01") == DENIED
    assert frontier_regime(w, "KHM", "2026-02") == LICENSED    # D:1 keeps it in scope
    t = w.dates.index("2026-01")
    assert "KHM" in w.market.headquarters_scope[t]
    assert "KHM" not in w.market.headquarters_scope[t + 1]


def test_where_the_framework_is_kept_cambodia_goes_from_denied_to_capped():
    w = world("history_framework_kept")
    assert frontier_regime(w, "KHM", "2026-01") == DENIED
    assert frontier_regime(w, "KHM", "2026-02") == CAPPED


def test_only_those_two_countries_change_tier_within_the_history():
    w = world("history")
    changed = np.flatnonzero((w.tier_in_force != w.tier_in_force[-1]).any(axis=0))
    assert {w.countries[i] for i in changed} == {"KHM", "NIC"}
    # The reporting tier is the framework's own, on its publication day.
    assert int(w.tier[w.countries.index("KHM")]) == int(w.tier[w.countries.index("NIC")]) == TIER3


@pytest.mark.parametrize("month", ["2021-06", "2023-11", "2024-03", "2025-05", "2026-02",
                                   "2027-12"])
def test_tier_3_of_the_reference_group_is_d5_with_macau_on_every_month(month):
    w = world("history")
    day = f"{month}-28"
    groups = country_groups(day)
    tier3 = {c for c, t in zip(w.countries, w.tier_in_force[w.dates.index(month)], strict=True)
             if t == TIER3}
    assert tier3 == (groups["D:5"] | {"MAC"}) & importers()


def test_a_scenario_that_lists_its_tiers_keeps_them_for_the_whole_run():
    listed = sorted((country_groups("2025-01-13")["tier3_2025"] - {"NIC"}) | {"KHM"})
    w = World.from_scenario(sim.load_scenario(SCENARIOS / "history.toml",
                                              {"tiers.tier3": listed}))
    assert {tier(w, "KHM", m) for m in w.dates} == {TIER3}
    assert {tier(w, "NIC", m) for m in w.dates} == {TIER2}
    # The rule's own scope still follows the groups: Nicaragua needs a licence
    # from March 2024, granted outside Tier 3.
    assert frontier_regime(w, "NIC", "2024-02") == FREE
    assert frontier_regime(w, "NIC", "2024-03") == LICENSED


@pytest.mark.parametrize(("name", "start"), [("history", "2024-01"),
                                             ("history_framework_kept", "2025-12")])
def test_model_and_core_agree_across_a_change_of_membership(name, start):
    scenario = sim.load_scenario(SCENARIOS / f"{name}.toml",
                                 {"time.start": start, "time.months": 4})
    assert_agree(scenario, [3, 4])
