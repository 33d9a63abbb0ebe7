"""The 2021-2027 history (scenarios/history*.toml): what the rules allowed, chip by chip.

Run with the core on a few seeds; the facts are the issue's: China receives the
frontier chip before October 2022 and no controlled chip after; the A800 and
H800 until the 2023 rule takes effect (November 2023); the H20 from its launch,
none between its licence requirement (April 2025) and the licences of August
2025; Russia nothing from March 2022. The framework kept, its caps bind; with
no chip rules China buys the newest chip. The Mesa model agrees after every
phase of every month of the whole history.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SCENARIOS
from test_phase_agreement import assert_agree_after_every_phase

import sim
from sim.world import World
from sim.world.phases import PHASES

SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def history() -> tuple[sim.Results, World]:
    scenario = sim.load_scenario(SCENARIOS / "history.toml")
    return sim.run_batch(scenario, SEEDS), World.from_scenario(scenario)


def months_shipped(results: sim.Results, country: str, chip: str) -> list[str]:
    """Months in which every run shipped ``chip`` to ``country``."""
    chips = results.metric("shipped_chips")[:, :, results.countries.index(country),
                                            results.chips.index(chip)]
    return [d for d, shipped in zip(results.dates, (chips > 0).all(axis=0), strict=True)
            if shipped]


def between(results: sim.Results, first: str, last: str) -> list[str]:
    return [d for d in results.dates if first <= d <= last]


def test_china_gets_the_frontier_chip_until_october_2022_and_no_controlled_chip_after(history):
    results, _ = history
    assert months_shipped(results, "CHN", "A100") == between(results, "2021-01", "2022-09")
    china = results.metric("shipped_chips")[:, :, results.countries.index("CHN")]
    controlled = [results.chips.index(c) for c in ("B200", "H200", "H100", "MI300X", "A100")]
    after = results.dates.index("2022-10")
    assert not china[:, after:, controlled].any()


def test_the_china_variants_sell_until_the_2023_rule_takes_effect(history):
    results, _ = history
    # both variants serve China's full need (full_need_ratio 0.3), so China shares them
    assert months_shipped(results, "CHN", "A800") == between(results, "2022-11", "2023-10")
    assert months_shipped(results, "CHN", "H800") == between(results, "2023-03", "2023-10")


def test_the_h20_sells_from_launch_except_between_its_licence_and_the_august_licences(history):
    results, world = history
    assert months_shipped(results, "CHN", "H20") == [*between(results, "2024-04", "2025-03"),
                                                     "2025-08"]  # China blocks it from Sep
    august = results.dates.index("2025-08")
    china = results.countries.index("CHN")
    revenue = results.metric("revenue_usd")[:, august, china]
    h20 = results.chips.index("H20")
    assert np.array_equal(results.metric("us_payment_usd")[:, august, china],
                          (revenue * 0.15).astype(np.int64))  # only the H20 ships there
    h20_shipped = results.metric("shipped_chips")[:, august, china, h20]
    h20_price = results.metric("market_price_usd")[:, august, h20]
    assert np.array_equal(revenue, (h20_shipped * h20_price).astype(np.int64))
    regime = world.market.regime[:, china, world.market.names.index("H20")]
    assert [sim.world.REGIME_NAMES[r] for r in regime[[results.dates.index(d) for d in
            ("2024-06", "2025-05", "2025-08")]]] == ["free", "denied", "payment"]


def test_the_headquarters_rule_turns_chinese_firms_abroad_to_the_h20_from_november_2023(
        history):
    results, world = history
    # Only the China-headquartered firm in Malaysia orders the H20 there: the others may
    # buy controlled chips, capped under the framework.
    # (the H20 is made until September 2025, supply.csv)
    assert months_shipped(results, "MYS", "H20") == between(results, "2024-04", "2025-09")
    firm = [f for f, label in enumerate(world.firms.labels) if label == "China Cloud Abroad @ MYS"]
    bound = world.headquarters_bound[:, firm[0]]
    assert [d for d, b in zip(world.dates, bound, strict=True) if b] == between(
        results, "2023-11", "2027-12")
    malaysia, h100 = world.countries.index("MYS"), world.market.names.index("H100")
    november = world.dates.index("2023-11")
    assert sim.world.REGIME_NAMES[world.market.regime[november, malaysia, h100]] == "free"
    assert sim.world.REGIME_NAMES[world.market.bound_regime[november, malaysia, h100]] \
        == "denied"
    without = sim.run_batch(sim.load_scenario(SCENARIOS / "history.toml",
                                              {"rules.headquarters_rule": False}), SEEDS)
    assert months_shipped(without, "MYS", "H20") == []
    diverted = "diversion_requested_tpp"
    mys = results.countries.index("MYS")
    assert results.metric(diverted)[:, november:, mys].sum() \
        > without.metric(diverted)[:, november:, mys].sum()  # refused firms turn to brokers


def test_the_mesa_model_gives_a_firm_bound_by_the_headquarters_rule_no_chip_it_denies():
    scenario = sim.load_scenario(SCENARIOS / "history.toml")
    model = sim.ExportControlModel(scenario, seed=1)
    bound_months = 0
    while model.running and model.steps < model.world.n_steps:
        model.step()
        for firm in model.firms:
            if not firm.bound_by_headquarters_rule:
                continue
            bound_months += firm.country.code == "MYS"
            assert firm.shipped == 0 or firm.regime not in (sim.world.DENIED,
                                                            sim.world.EMBARGO), repr(firm)
    assert bound_months == 50  # Nov 2023 to Dec 2027: the rule binds the firm every month


def test_russia_receives_nothing_from_march_2022(history):
    results, _ = history
    russia = results.countries.index("RUS")
    march = results.dates.index("2022-03")
    assert results.metric("shipped_tpp")[:, :march, russia].all()
    assert not results.metric("shipped_tpp")[:, march:, russia].any()
    assert not results.metric("shipped_tpp")[:, :, results.countries.index("IRN")].any()


def test_the_h200_goes_to_hong_kong_case_by_case_within_half_of_us_b200(history):
    results, _ = history
    shipped = results.metric("shipped_chips")
    hkg, usa = results.countries.index("HKG"), results.countries.index("USA")
    h200, b200 = results.chips.index("H200"), results.chips.index("B200")
    january = results.dates.index("2026-01")
    limit = (0.5 * shipped[:, january - 1:-1, usa, b200]).astype(np.int64)
    assert np.all(shipped[:, january:, hkg, h200] <= limit)
    assert shipped[:, january:, hkg, h200].sum() > 0
    assert not shipped[:, :, results.countries.index("CHN"), h200].any()  # customs hold it


def test_keeping_the_framework_caps_tier_2_and_no_controls_open_china():
    kept = sim.run_batch(SCENARIOS / "history_framework_kept.toml", SEEDS)
    history = sim.run_batch(SCENARIOS / "history.toml", SEEDS)
    tier2 = np.array(history.tiers) == 2
    may = history.dates.index("2025-05")
    assert history.metric("quota_used_tpp")[:, :, tier2].sum() == 0
    assert kept.metric("quota_used_tpp")[:, may:, tier2].sum() > 0
    before = history.metric("shipped_tpp")[:, :may]
    assert np.array_equal(kept.metric("shipped_tpp")[:, :may], before)
    free = sim.run_batch(SCENARIOS / "history_no_controls.toml", SEEDS)
    assert months_shipped(free, "CHN", "B200") == between(free, "2024-12", "2027-12")


def test_the_model_and_the_core_agree_after_every_phase_of_the_whole_history():
    scenario = sim.load_scenario(SCENARIOS / "history.toml")
    assert assert_agree_after_every_phase(scenario, seed=7) == 84 * len(PHASES)


def test_revenue_and_payments_by_chip_add_up_and_follow_the_prices(history):
    from sim.experiment.chips import chip_windows, regime_spans, revenue_by_chip

    results, world = history
    revenue, payments = revenue_by_chip(results, world)
    assert np.array_equal(revenue.sum(axis=-1), results.metric("revenue_usd"))
    assert np.array_equal(payments.sum(axis=-1), results.metric("us_payment_usd"))
    shipped = results.metric("shipped_chips")
    at_list = shipped * world.market.price[None, :, None, :]
    index = results.metric("market_price_usd") / np.maximum(world.market.price, 1)
    assert np.all(revenue <= at_list * index.max() + 1) and np.all(revenue >= 0)
    assert np.array_equal(revenue == 0, shipped == 0)
    h20 = results.chips.index("H20")
    assert payments[..., h20].sum() > 0 and payments.sum() == payments[..., [
        h20, results.chips.index("H200")]].sum()  # only the two chips with paid licences
    windows = chip_windows(results)
    china_h800 = windows[(windows.country == "CHN") & (windows.chip == "H800")].iloc[0]
    assert (china_h800["first"], china_h800["last"]) == ("2023-03", "2023-10")
    spans = regime_spans(world)
    h20_china = spans[(spans.country == "CHN") & (spans.chip == "H20")]
    assert h20_china[["from", "regime"]].values.tolist() == [
        ["2021-01", "not on sale"], ["2024-04", "free"], ["2025-04", "denied"],
        ["2025-08", "payment"], ["2025-10", "not on sale"]]  # the last H20s: Sep 2025


BAD_CHIP_INPUT = [
    ('[[timeline]]\ndate = "2029-01"\nsource = "x"\nset = { "rules.chip_rule" = "none" }',
     'timeline[0].date', "inside the window"),
    ('[[timeline]]\ndate = "2026-03"\nsource = "x"\n'
     'set = { "rules.chip_measures.H9000.measure" = "rule" }',
     'timeline[0].set."rules.chip_measures.H9000.measure"', "expected a key of"),
    ('[[timeline]]\ndate = "2023-01"\nsource = "x"\n'
     'set = { "market.chips.B200.capacity_chips" = 5 }',
     'timeline[0].set."market.chips.B200.capacity_chips"', "on sale from its launch"),
    ('[[timeline]]\ndate = "2026-03"\nsource = "x"\n'
     'set = { "rules.chip_measures.H20.payment_share" = 1.5 }',
     'timeline[0].set."rules.chip_measures.H20.payment_share"', "[0.0, 1.0]"),
    ('[rules.chip_measures.H100]\nmeasure = "case_by_case"\nvolume_share = 0.5',
     "rules.chip_measures.H100.volume_reference", "volume limit"),
    ('[market]\npreference = ["B200", "H200"]', "market.preference", "every chip"),
    ('[market.chips.ASCEND_910C]\ncapacity_chips = 5\nprice_usd = 1',
     "market.chips.ASCEND_910C", "US-controlled chip"),
    ('[rules]\nembargoed = ["XXX"]', "rules.embargoed", "ISO 3166"),
]


@pytest.mark.parametrize(("text", "key", "fragment"), BAD_CHIP_INPUT)
def test_bad_chip_input_is_one_line_naming_file_entry_and_key(tmp_path, capsys, text, key,
                                                               fragment):
    from sim.cli import main

    path = tmp_path / "bad.toml"
    path.write_text(f'extends = "{(SCENARIOS / "history.toml").as_posix()}"\n{text}\n')
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith(f"error: {path}: {key}: ") and fragment in err, err
