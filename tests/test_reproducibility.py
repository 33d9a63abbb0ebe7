"""Same seed, same bits; different seeds, different runs; scenario ordering."""

import numpy as np
import pytest

import sim
from sim.reference import H100E_TPP


def run(scenario, seed):
    return sim.ExportControlModel(scenario, seed=seed).run().results()


@pytest.mark.parametrize("name", ["ai_diffusion_2025", "oct2022"])
def test_same_seed_same_bits(shipped_scenarios, name, global_random_seed):
    scenario = shipped_scenarios[name]
    first, second = run(scenario, global_random_seed), run(scenario, global_random_seed)
    for metric, values in first.metrics.items():
        assert values.dtype == second.metrics[metric].dtype
        assert np.array_equal(values, second.metrics[metric]), metric


def test_different_seeds_differ(shipped_scenarios, global_random_seed):
    scenario = shipped_scenarios["ai_diffusion_2025"]
    a, b = run(scenario, global_random_seed), run(scenario, global_random_seed + 1)
    assert not np.array_equal(a.metric("demand_tpp"), b.metric("demand_tpp"))


def tier3_stock(results):
    """Mean over runs of Tier 3's installed stock at the end, H100e."""
    tiers = np.asarray(results.tiers)
    return results.metric("stock_tpp")[:, -1, tiers == 3].sum(axis=1).mean() / H100E_TPP


def test_no_controls_gives_tier3_the_most_compute(shipped_scenarios):
    # the ordering is the point, not the agent model (its agreement with the core is
    # tested after every phase), so the core runs the three seeds at once
    stock = {name: tier3_stock(sim.run_batch(s, np.arange(3)))
             for name, s in shipped_scenarios.items()}
    vintages = {k: v for k, v in stock.items() if not k.startswith("history")}  # 2025-2027
    others = {k: v for k, v in vintages.items() if k != "no_controls"}
    assert stock["no_controls"] > max(others.values()), stock
    histories = {k: v for k, v in stock.items() if k.startswith("history_")}
    assert stock["history_no_controls"] > max(stock["history"],
                                              stock["history_framework_kept"]), histories


def test_strict_enforcement_catches_a_larger_share(shipped_scenarios):
    def caught_share(name):
        r = sim.run_batch(shipped_scenarios[name], np.arange(3))  # the core: see above
        seized = r.metric("diversion_seized_tpp").sum()
        attempted = r.metric("diversion_attempted_tpp").sum()
        assert attempted > 0
        return seized / attempted

    assert caught_share("strict_enforcement") > caught_share("ai_diffusion_2025")


def test_caps_bind_only_under_the_framework(shipped_scenarios, global_random_seed):
    diffusion = run(shipped_scenarios["ai_diffusion_2025"], global_random_seed)
    oct2023 = run(shipped_scenarios["oct2023"], global_random_seed)
    assert diffusion.metric("quota_used_tpp").max() > 0
    assert oct2023.metric("quota_used_tpp").max() == 0
