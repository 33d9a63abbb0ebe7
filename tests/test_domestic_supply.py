"""China's domestic output from the Huawei Ascend schedule: faster without the allied
equipment controls, cut by the HBM controls."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SCENARIOS

import sim
from sim.reference import H100E_TPP, domestic_supply_tpp, load_chips, monthly_supply
from sim.scenario import ScenarioError
from sim.world import World


def _china(path: str, **overrides: object) -> tuple[World, int]:
    world = World.from_scenario(sim.load_scenario(SCENARIOS / path, overrides=overrides))
    return world, world.countries.index("CHN")


def test_the_schedule_adds_up_every_ascend_row_in_tpp():
    chips = load_chips()
    made = monthly_supply(["ASCEND_910B", "ASCEND_910C"], "2021-01", 84)
    expected = made[:, 0] * chips["ASCEND_910B"].tpp + made[:, 1] * chips["ASCEND_910C"].tpp
    assert np.array_equal(domestic_supply_tpp("2021-01", 84), expected)
    assert expected[:24].sum() == 0 and expected[48:60].sum() > 0  # none before 2023; 2025 made


def test_history_follows_the_schedule_until_the_hbm_cut_binds_in_december_2025():
    world, china = _china("history.toml")
    dates = world.dates
    schedule = domestic_supply_tpp(dates[0], len(dates))
    output_tpp = world.domestic_chips[:, china] * world.domestic_tpp
    before = dates.index("2025-11")
    assert np.all(output_tpp[:before + 1] <= schedule[:before + 1])
    assert np.all(schedule[:before + 1] - output_tpp[:before + 1] < world.domestic_tpp[:before + 1])
    cut = (schedule * 0.5).astype(np.int64)
    after = dates.index("2025-12")
    assert np.all(np.abs(output_tpp[after:] - cut[after:]) < world.domestic_tpp[after:])


def test_without_the_hbm_rule_china_makes_more_from_2026():
    with_rule, china = _china("history.toml")
    # the same equipment controls as the history, no HBM rule
    without, _ = _china("history_no_controls.toml", **{"rules.equipment_controls": True})
    months = [with_rule.dates.index(d) for d in ("2026-01", "2027-06")]
    made = with_rule.domestic_chips[months, china] * with_rule.domestic_tpp[months]
    unmade = without.domestic_chips[months, china] * without.domestic_tpp[months]
    assert np.all(unmade > 1.8 * made)
    early = with_rule.dates.index("2025-06")
    assert with_rule.domestic_chips[early, china] == without.domestic_chips[early, china]


def test_without_the_equipment_controls_output_grows_faster_from_september_2023():
    world, china = _china("history_no_controls.toml")
    dates = world.dates
    schedule = domestic_supply_tpp(dates[0], len(dates)).astype(np.float64)
    output_tpp = world.domestic_chips[:, china] * world.domestic_tpp
    growth = 1 + world.scenario.market.domestic_equipment_growth
    months = np.maximum(0, np.arange(len(dates)) - dates.index("2023-09"))
    expected = schedule * growth ** (months / 12)
    ramp = dates.index("2024-01")
    assert growth > 1 and np.all(expected[ramp:] > schedule[ramp:])
    assert np.all(np.abs(output_tpp - expected) < world.domestic_tpp + 1)


def test_capacity_built_while_the_controls_were_lifted_stays_when_they_return():
    lifted = [{"date": "2026-01", "source": "test", "set": {"rules.equipment_controls": False}},
              {"date": "2026-07", "source": "test", "set": {"rules.equipment_controls": True}}]
    world, china = _china("oct2023.toml", timeline=lifted)
    base, _ = _china("oct2023.toml")
    ratio = (world.domestic_chips[:, china] * world.domestic_tpp
             / np.maximum(base.domestic_chips[:, china] * base.domestic_tpp, 1))
    dates = world.dates
    growth = 1 + world.scenario.market.domestic_equipment_growth
    assert np.allclose(ratio[:dates.index("2026-01")], 1.0)
    assert ratio[dates.index("2026-06")] == pytest.approx(growth ** (6 / 12), rel=1e-3)  # 6 months
    assert np.allclose(ratio[dates.index("2026-07"):], growth ** (6 / 12), rtol=1e-3)


def test_a_fixed_amount_is_that_many_h100e_every_month():
    world, china = _china("ai_diffusion_2025.toml",
                          **{"countries.CHN.domestic_capacity_h100e": 20_000})
    amount = world.scenario.countries["CHN"].domestic_capacity_h100e
    assert np.array_equal(world.domestic_chips[:, china],
                          amount * H100E_TPP // world.domestic_tpp)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("countries.IND.domestic_capacity_h100e", "reference", 'only for CHN'),
    ("countries.CHN.domestic_capacity_h100e", "plenty", 'or "reference"'),
])
def test_bad_domestic_supply_is_one_line(key, value, expected):
    with pytest.raises(ScenarioError, match=expected) as raised:
        sim.load_scenario(SCENARIOS / "history.toml", overrides={key: value})
    assert "\n" not in str(raised.value) and key.split(".")[-1] in str(raised.value)
