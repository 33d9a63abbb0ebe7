"""Exact, hand-computed checks of every licensing path of the Mesa model.

Each test runs a small scenario from ``tests/data/small`` (over the test base:
named firms only, no demand noise, constant demand, no backlog, no brokers) and
asserts integers worked out by hand in the comments from the rules in docs/sources.md and
the arithmetic the model documents. Nothing here re-runs the model's own
helpers to get an expected value. The seed moves nothing in these scenarios (no
noise, no generated firms, pro rata), so the tests run on the global seed
(tests/conftest.py); only the first-come test pins seed 0, whose priorities it uses.

Units: one H100 = one H100e = 15,832 TPP. A named firm's monthly demand is
``int(hosts * 15,832)`` TPP and it orders ``demand // 15,832`` H100s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim.rng import STREAM_PRIORITY, uniform
from sim.world import CAPPED, DENIED, FREE, LICENSED
from sim.world.market import NO_CHIP

SMALL = Path(__file__).resolve().parent / "data" / "small"
H100E = 15_832


def _model(name: str, seed: int,
           overrides: dict[str, Any] | None = None) -> sim.ExportControlModel:
    return sim.ExportControlModel(sim.load_scenario(SMALL / f"{name}.toml", overrides), seed=seed)


def _run(name: str, seed: int, overrides: dict[str, Any] | None = None) -> sim.Results:
    return _model(name, seed, overrides).run().results()


def _series(results: sim.Results, metric: str, country: str) -> list[int]:
    """One country's metric over the steps, as plain ints."""
    column = results.countries.index(country)
    return [int(v) for v in results.metric(metric)[0, :, column]]


def _firm(model: sim.ExportControlModel, label: str):
    return next(f for f in model.firms if f.label == label)


# ----- 1. no licence needed -------------------------------------------------------------


def test_tier1_destination_ships_whole_chips_without_licence(global_random_seed):
    # free.toml: "US Buyer" in USA (Tier 1), 100.5 H100e a month, tiers active from month 1.
    # demand = int(100.5 x 15,832) = 1,591,116 TPP; chips = 1,591,116 // 15,832 = 100
    # (100 x 15,832 = 1,583,200, 7,916 TPP left over, dropped since backlog_months = 0).
    # Tier 1 is FREE: shipped = 1,583,200 TPP, nothing on LPP, VEU or the cap.
    results = _run("free", global_random_seed)
    assert results.countries == ("IND", "USA")
    assert _series(results, "demand_tpp", "USA") == [1_591_116] * 3
    assert _series(results, "shipped_tpp", "USA") == [1_583_200] * 3
    assert _series(results, "delivered_tpp", "USA") == [1_583_200] * 3
    for metric in ("lpp_tpp", "veu_tpp", "licensed_tpp", "quota_used_tpp", "quota_remaining_tpp"):
        assert _series(results, metric, "USA") == [0, 0, 0], metric
    # revenue: 100 chips x $25,000
    assert _series(results, "revenue_usd", "USA") == [2_500_000] * 3


def test_no_controls_rule_leaves_tier2_free(global_random_seed):
    # Same file with chip_rule = "none": the H100 is not controlled, so every regime is
    # FREE even with tiered_caps on. IND (Tier 2) ships 100 chips = 1,583,200 TPP a month
    # on the free path: no LPP, no cap.
    model = _model("free", global_random_seed, {"rules.chip_rule": "none"})
    assert model.world.regime.tolist() == [[FREE, FREE]] * 3
    results = model.run().results()
    assert _series(results, "shipped_tpp", "IND") == [1_583_200] * 3
    assert _series(results, "lpp_tpp", "IND") == [0, 0, 0]
    assert _series(results, "licensed_tpp", "IND") == [0, 0, 0]
    assert _series(results, "quota_used_tpp", "IND") == [0, 0, 0]


# ----- 2. low processing performance (LPP) exception ---------------------------------


def test_lpp_covers_small_tier2_buyer_without_touching_the_cap(global_random_seed):
    # free.toml, "IND Buyer" in IND (Tier 2, CAPPED): 100 chips a month (as above).
    # LPP headroom = 26,900,000 // 15,832 = 1,699 chips (1,699 x 15,832 = 26,898,568).
    # Month 1: 100 <= 1,699 -> all 100 on LPP; used 1,583,200.
    # Month 2: (26,900,000 - 1,583,200) // 15,832 = 1,599 >= 100 -> all on LPP.
    # Month 3: (26,900,000 - 3,166,400) // 15,832 = 1,499 >= 100 -> all on LPP.
    # LPP does not count against the country cap: quota used stays 0, remaining 790M.
    results = _run("free", global_random_seed)
    assert _series(results, "lpp_tpp", "IND") == [1_583_200] * 3
    assert _series(results, "shipped_tpp", "IND") == [1_583_200] * 3
    assert _series(results, "licensed_tpp", "IND") == [0, 0, 0]
    assert _series(results, "quota_used_tpp", "IND") == [0, 0, 0]
    assert _series(results, "quota_remaining_tpp", "IND") == [790_000_000] * 3


def test_lpp_remainder_then_country_cap(global_random_seed):
    # lpp.toml: "IND Big", 1,000 H100e a month = 15,832,000 TPP = 1,000 chips; cap 790M.
    # Month 1 (2025-05): LPP headroom 1,699 -> 1,000 on LPP (15,832,000 TPP); cap 0.
    # Month 2 (2025-06): remaining allowance 26,900,000 - 15,832,000 = 11,068,000 TPP
    #   -> 11,068,000 // 15,832 = 699 chips (699 x 15,832 = 11,066,568; 700 x = 11,082,400).
    #   LPP 699 chips = 11,066,568 TPP; the other 301 chips go to the cap:
    #   301 x 15,832 = 4,765,432 TPP licensed and counted in the quota.
    #   quota remaining = 790,000,000 - 4,765,432 = 785,234,568.
    model = _model("lpp", global_random_seed)
    model.step()
    firm = _firm(model, "IND Big @ IND")
    assert (firm.paths["lpp"], firm.paths["cap"]) == (1_000, 0)
    assert firm.lpp_used_tpp == 15_832_000
    model.step()
    assert (firm.paths["lpp"], firm.paths["cap"]) == (699, 301)
    assert firm.lpp_used_tpp == 26_898_568  # 1,699 chips: at most the allowance
    results = model.results()
    assert _series(results, "lpp_tpp", "IND") == [15_832_000, 11_066_568]
    assert _series(results, "licensed_tpp", "IND") == [0, 4_765_432]
    assert _series(results, "shipped_tpp", "IND") == [15_832_000, 15_832_000]
    assert _series(results, "quota_used_tpp", "IND") == [0, 4_765_432]
    assert _series(results, "quota_remaining_tpp", "IND") == [790_000_000, 785_234_568]


def test_lpp_allowance_resets_in_january(global_random_seed):
    # lpp.toml from 2025-12 for 2 months. Dec: 1,000 chips on LPP (used 15,832,000).
    # Jan 2026 starts a new calendar year: the allowance is back to 1,699 chips, so all
    # 1,000 chips again go on LPP and nothing on the cap. Without the reset Jan would be
    # 699 on LPP + 301 on the cap (4,765,432 TPP licensed).
    results = _run("lpp", global_random_seed, {"time.start": "2025-12"})
    assert results.dates == ("2025-12", "2026-01")
    assert _series(results, "lpp_tpp", "IND") == [15_832_000, 15_832_000]
    assert _series(results, "licensed_tpp", "IND") == [0, 0]
    assert _series(results, "quota_used_tpp", "IND") == [0, 0]


# ----- 3. country cap ---------------------------------------------------------------------


def test_country_cap_pro_rata_never_exceeds_cap(global_random_seed):
    # cap.toml: cap 158,320 TPP = 10 H100e, LPP 0 (everything goes to the cap).
    # IND A wants 30 chips, IND B 6 chips: 36 > room 10 -> pro rata, rounded down:
    #   A: 30 x 10 // 36 = 300 // 36 = 8;  B: 6 x 10 // 36 = 60 // 36 = 1.  Total 9.
    # Month 1 licensed = quota used = 9 x 15,832 = 142,488.
    # Month 2: room = (158,320 - 142,488) // 15,832 = 1 chip; A 30 // 36 = 0, B 6 // 36 = 0.
    #   Nothing more is granted (the rounding remainder stays in the cap), quota stays 142,488.
    model = _model("cap", global_random_seed)
    model.step()
    a, b = _firm(model, "IND A @ IND"), _firm(model, "IND B @ IND")
    assert (a.cap_request, b.cap_request) == (30, 6)
    assert (a.paths["cap"], b.paths["cap"]) == (8, 1)
    model.run()
    results = model.results()
    assert _series(results, "licensed_tpp", "IND") == [142_488, 0, 0]
    assert _series(results, "shipped_tpp", "IND") == [142_488, 0, 0]
    assert _series(results, "quota_used_tpp", "IND") == [142_488] * 3
    assert _series(results, "quota_remaining_tpp", "IND") == [15_832] * 3
    assert max(_series(results, "quota_used_tpp", "IND")) <= 158_320


def test_country_cap_doubled_under_g2g(global_random_seed):
    # G2G: cap = floor(158,320 x 2.0) = 316,640 TPP = 20 chips.
    #   A: 30 x 20 // 36 = 600 // 36 = 16;  B: 6 x 20 // 36 = 120 // 36 = 3.  Total 19.
    # Month 1 licensed = 19 x 15,832 = 300,808; month 2 room = 15,832 // 15,832 = 1 chip,
    # shared 30 // 36 = 0 and 6 // 36 = 0.
    model = _model("cap", global_random_seed, {"countries.IND.g2g": True})
    assert model.countries[0].cap_tpp == 316_640
    results = model.run().results()
    assert _series(results, "licensed_tpp", "IND") == [300_808, 0, 0]
    assert _series(results, "quota_used_tpp", "IND") == [300_808] * 3


def test_country_cap_first_come_follows_priority_stream():
    # first_come, annual cap, 2025-12 for 2 months. Priorities: uniform(0, step,
    # STREAM_PRIORITY, firm index); lower is served first.
    #   step 0: A (index 0) 0.2973 < B (index 1) 0.6888 -> A first: A min(30, 10) = 10, B 0.
    #   step 1 (Jan 2026, annual reset, room 10 again): A 0.9174 > B 0.3418 -> B first:
    #     B min(6, 10) = 6, then A min(30, 4) = 4.
    # Each month licensed = 10 chips = 158,320 TPP = the whole cap, never more.
    p0 = uniform(0, 0, STREAM_PRIORITY, [0, 1])
    p1 = uniform(0, 1, STREAM_PRIORITY, [0, 1])
    assert p0[0] < p0[1] and p1[1] < p1[0]
    model = _model("cap", 0, {"rules.allocation": "first_come", "rules.cap_period": "annual",
                              "time.start": "2025-12", "time.months": 2})
    a, b = model.firms
    model.step()
    assert (a.paths["cap"], b.paths["cap"]) == (10, 0)
    model.step()
    assert (a.paths["cap"], b.paths["cap"]) == (4, 6)
    results = model.results()
    assert _series(results, "licensed_tpp", "IND") == [158_320, 158_320]
    assert _series(results, "quota_used_tpp", "IND") == [158_320, 158_320]


@pytest.mark.parametrize(("period", "january_licensed", "january_used"),
                         [("annual", 142_488, 142_488), ("cumulative", 0, 142_488)])
def test_country_cap_annual_resets_in_january(period, january_licensed, january_used,
                                               global_random_seed):
    # cap.toml from 2025-12 for 2 months, pro rata. Dec: A 8, B 1 -> 142,488 (see above).
    # annual: Jan 2026 starts a new cap period: room 10 again -> A 8, B 1 -> 142,488,
    #   quota used restarts at 0 and ends the month at 142,488 (not 284,976).
    # cumulative: Jan room 1 chip -> A 0, B 0; quota used stays 142,488.
    results = _run("cap", global_random_seed, {"rules.cap_period": period,
                                               "time.start": "2025-12", "time.months": 2})
    assert _series(results, "licensed_tpp", "IND") == [142_488, january_licensed]
    assert _series(results, "quota_used_tpp", "IND") == [142_488, january_used]


# ----- 4. universal VEU -----------------------------------------------------------------


def test_uveu_single_tier2_country_share_limits_grant(global_random_seed):
    # uveu_share.toml: US-HQ UVEU "Hyperscaler S", 981 H100e/month in USA, 70 in IND.
    # Installed base at the start = 12 months of each host's demand:
    #   USA 12 x int(981 x 15,832) = 12 x 15,531,192 = 186,374,304
    #   IND 12 x int( 70 x 15,832) = 12 x  1,108,240 =  13,298,880; total 199,673,184.
    # Month 1, IND asks 70 chips (USA is Tier 1: free path, 981 chips).
    #   7% limit: floor(0.07 x 199,673,184) = floor(13,977,122.88) = 13,977,122;
    #     minus IND 13,298,880 = 678,242 TPP -> 678,242 // 15,832 = 42 chips
    #     (42 x 15,832 = 664,944; 43 x = 680,776).  clipped = min(70, 42) = 42.
    #   25% outside Tier 1: floor(0.25 x 199,673,184) = 49,918,296 - 13,298,880
    #     = 36,619,416 -> 2,313 chips.  50% US: 99,836,592 - 13,298,880 = 86,537,712
    #     -> 5,466 chips.  room = 2,313 >= 42, so 42 granted.
    #   The refused 28 chips do NOT go to LPP or the (10-chip) cap: licensed 0.
    # Month 2: installed USA 186,374,304 + 981 x 15,832 = 201,905,496;
    #   IND 13,298,880 + 664,944 = 13,963,824; total 215,869,320.
    #   7%: floor(15,110,852.4) = 15,110,852 - 13,963,824 = 1,147,028 -> 72 chips >= 70,
    #   so all 70 granted (25% room 2,526 and 50% room 5,935 chips do not bind).
    model = _model("uveu_share", global_random_seed)
    ind = _firm(model, "Hyperscaler S @ IND")
    usa = _firm(model, "Hyperscaler S @ USA")
    assert model.config.market.uveu_installed_months == 12
    assert (usa.uveu_installed_tpp, ind.uveu_installed_tpp) == (186_374_304, 13_298_880)
    model.step()
    assert ind.uveu_request == 70
    assert ind.paths == {"free": 0, "uveu": 42, "nveu": 0, "lpp": 0, "cap": 0}
    assert usa.paths["free"] == 981
    assert ind.uveu_installed_tpp == 13_963_824
    model.step()
    assert ind.paths["uveu"] == 70
    results = model.results()
    assert _series(results, "veu_tpp", "IND") == [664_944, 1_108_240]
    assert _series(results, "shipped_tpp", "IND") == [664_944, 1_108_240]
    assert _series(results, "unmet_tpp", "IND") == [443_296, 0]  # 28 x 15,832
    for metric in ("lpp_tpp", "licensed_tpp", "quota_used_tpp"):
        assert _series(results, metric, "IND") == [0, 0], metric
    assert _series(results, "shipped_tpp", "USA") == [15_531_192, 15_531_192]


def test_uveu_us_home_share_limits_grant(global_random_seed):
    # uveu_home.toml: 501 H100e/month in USA, 480 in DEU (Tier 1), 20 in IND.
    # Installed: USA 12 x 7,931,832 = 95,181,984; DEU 12 x 7,599,360 = 91,192,320;
    #   IND 12 x 316,640 = 3,799,680; total 190,173,984.
    # 7%: floor(13,312,178.88) - 3,799,680 = 9,512,498 -> 600 chips: clipped min(20, 600) = 20.
    # 25% outside Tier 1 (IND only): 47,543,496 - 3,799,680 = 43,743,816 -> 2,763 chips.
    # 50% in the US: floor(0.5 x 190,173,984) = 95,086,992 - abroad (DEU + IND) 94,992,000
    #   = 94,992 TPP -> exactly 6 chips.  Granted pro_rata([20], 6) = 20 x 6 // 20 = 6.
    model = _model("uveu_home", global_random_seed)
    model.step()
    ind = _firm(model, "Hyperscaler H @ IND")
    assert ind.paths == {"free": 0, "uveu": 6, "nveu": 0, "lpp": 0, "cap": 0}
    results = model.results()
    assert _series(results, "veu_tpp", "IND") == [94_992]
    assert _series(results, "licensed_tpp", "IND") == [0]
    assert _series(results, "quota_used_tpp", "IND") == [0]
    assert _series(results, "shipped_tpp", "DEU") == [7_599_360]


@pytest.mark.parametrize(("tier2_max", "granted"), [(1.0, 123), (0.07, 0)])
def test_uveu_tier1_share_limits_grant(tier2_max, granted, global_random_seed):
    # uveu_tier1.toml: 761 H100e/month in USA, 240 in IND.
    # Installed: USA 12 x 12,048,152 = 144,577,824; IND 12 x 3,799,680 = 45,596,160;
    #   total 190,173,984 (IND holds 24% of it).
    # With the single-country limit raised to 100%: per-country room
    #   190,173,984 - 45,596,160 = 144,577,824 -> 9,132 chips (no bind);
    #   25% outside Tier 1: 47,543,496 - 45,596,160 = 1,947,336 TPP = exactly 123 chips;
    #   50% US: 95,086,992 - 45,596,160 = 49,490,832 -> 3,126 chips.  Granted 123 of 240.
    # With the 7% limit: floor(13,312,178.88) - 45,596,160 < 0 -> 0 granted, and the
    #   whole refused order still does not fall back to LPP or the cap.
    model = _model("uveu_tier1", global_random_seed, {"rules.uveu_tier2_max_share": tier2_max})
    model.step()
    ind = _firm(model, "Hyperscaler T @ IND")
    assert ind.uveu_request == 240
    assert ind.paths["uveu"] == granted
    assert ind.paths["lpp"] == ind.paths["cap"] == 0
    results = model.results()
    assert _series(results, "veu_tpp", "IND") == [granted * H100E]
    assert _series(results, "licensed_tpp", "IND") == [0]


# ----- 5. national VEU ----------------------------------------------------------------


def test_nveu_cumulative_schedule_excess_to_country_cap(global_random_seed):
    # nveu.toml: NVEU champion in IND, 3 H100e/month, nveu_cap_h100e = [5, 8], tiers from
    # 2025-05 (rule year 0 = 2025), window 2025-11 .. 2026-01, country cap 790M.
    # Nov: cumulative cap 5 x 15,832 = 79,160; used 0 -> headroom 5 -> 3 chips NVEU
    #   (47,496 TPP), nothing to the cap.
    # Dec: headroom (79,160 - 47,496) // 15,832 = 2 -> 2 chips NVEU (31,664), the 3rd
    #   chip goes to the cap (15,832 licensed; not LPP).
    # Jan 2026: rule year 1, cap 8 x 15,832 = 126,656; used 79,160 -> headroom 3 -> 3 NVEU.
    model = _model("nveu", global_random_seed)
    assert model.world.nveu_cap_tpp.tolist() == [79_160, 79_160, 126_656]
    results = model.run().results()
    assert _series(results, "veu_tpp", "IND") == [47_496, 31_664, 47_496]
    assert _series(results, "licensed_tpp", "IND") == [0, 15_832, 0]
    assert _series(results, "lpp_tpp", "IND") == [0, 0, 0]
    assert _series(results, "quota_used_tpp", "IND") == [0, 15_832, 15_832]
    assert _series(results, "shipped_tpp", "IND") == [47_496] * 3
    assert _firm(model, "IND Champion @ IND").nveu_used_tpp == 8 * H100E


# ----- 6. presumption of denial -----------------------------------------------------------


def test_tier3_gets_compliant_chip_only_until_it_is_controlled(global_random_seed):
    # denied.toml: "CHN Buyer" in CHN (Tier 3), 100.5 H100e/month = 1,591,116 TPP.
    # No frontier chip on any path. Compliant chip (H20, 2,368 TPP, below 3A090 in 2023):
    #   int(1,591,116 x 0.4) = int(636,446.4) = 636,446 TPP -> 636,446 // 2,368 = 268 chips
    #   (268 x 2,368 = 634,624; 269 x = 636,992) while allowed (May, Jun 2025);
    #   none from 2025-07, when a timeline entry requires a licence for the H20.
    # unmet = 1,591,116 - 634,624 = 956,492 (no renting, no diversion, no domestic chips).
    model = _model("denied", global_random_seed)
    market = model.world.market
    assert market.names == ("H100", "H20")
    assert market.regime[:, 0].tolist() == [[DENIED, FREE], [DENIED, FREE], [DENIED, DENIED]]
    assert market.choice[:, 0].tolist() == [1, 1, NO_CHIP]  # the H20, then nothing
    assert market.restricted[:, 0].tolist() == [True] * 3
    model.step()
    buyer = _firm(model, "CHN Buyer @ CHN")
    assert (buyer.want, buyer.shipped) == (268, 268)
    model.run()
    results = model.results()
    assert _series(results, "shipped_tpp", "CHN") == [634_624, 634_624, 0]
    assert _series(results, "revenue_usd", "CHN") == [3_216_000, 3_216_000, 0]  # 268 x $12,000
    assert results.metric("shipped_chips")[0, :, 0].tolist() == [[0, 268], [0, 268], [0, 0]]
    assert _series(results, "unmet_tpp", "CHN") == [956_492, 956_492, 1_591_116]
    for metric in ("lpp_tpp", "veu_tpp", "licensed_tpp", "quota_used_tpp"):
        assert _series(results, metric, "CHN") == [0, 0, 0], metric


# ----- 7. vendor capacity ---------------------------------------------------------------


def test_vendor_capacity_cuts_approved_orders_pro_rata(global_random_seed):
    # vendor.toml: capacity 1,000 H100 a month. USA buyer 600 chips (free); IND buyer
    # 2,000 chips, approved as 1,699 LPP + 301 cap. Approved total 2,600 > 1,000:
    #   USA 600 x 1,000 // 2,600 = 230;  IND 2,000 x 1,000 // 2,600 = 769 (999 shipped).
    # IND's 769 chips count against the cheapest path first: all LPP (769 <= 1,699), so
    #   lpp = 769 x 15,832 = 12,174,808 and nothing is counted against the cap.
    model = _model("vendor", global_random_seed)
    model.step()
    us, ind = _firm(model, "US Buyer @ USA"), _firm(model, "IND Buyer @ IND")
    assert (us.shipped, ind.shipped) == (230, 769)
    assert ind.paths["lpp"] == 769 and ind.paths["cap"] == 0
    assert ind.lpp_used_tpp == 12_174_808
    results = model.results()
    assert _series(results, "shipped_tpp", "USA") == [3_641_360]
    assert _series(results, "shipped_tpp", "IND") == [12_174_808]
    assert _series(results, "lpp_tpp", "IND") == [12_174_808]
    assert _series(results, "licensed_tpp", "IND") == [0]
    assert _series(results, "quota_used_tpp", "IND") == [0]


# ----- 8. rules window --------------------------------------------------------------------


def test_tier_rules_only_bind_between_tiers_from_and_tiers_until(global_random_seed):
    # window.toml: 2025-05 .. 2025-08, tiers from 2025-06 until (exclusive) 2025-08, cap
    # 10 H100e, chip rule oct2023. Countries (ARE, CHN, IND, USA).
    # Outside the window the 2023 scope applies: ARE (D:4, not A:5/A:6: in scope) LICENSED,
    #   CHN DENIED, IND (A:5, not in scope) and USA FREE. Inside: ARE, IND CAPPED.
    # LICENSED means "licence required and granted": the order ships in full, like FREE.
    # Buyers of 2,000 chips in IND and ARE:
    #   May (free/licensed): 2,000 chips = 31,664,000 TPP each, no LPP used.
    #   Jun: LPP 1,699 (26,898,568) + cap room 10 chips (158,320) = 1,709 chips = 27,056,888.
    #   Jul: LPP headroom (26,900,000 - 26,898,568) // 15,832 = 0; cap room 0 -> nothing.
    #   Aug: rules lifted -> 2,000 chips again.
    model = _model("window", global_random_seed)
    outside = [LICENSED, DENIED, FREE, FREE]
    inside = [CAPPED, DENIED, CAPPED, FREE]
    h100 = model.world.market.regime[..., 0]  # the H100, first chip of the market
    assert h100.tolist() == [outside, inside, inside, outside]
    results = model.run().results()
    for code in ("IND", "ARE"):
        assert _series(results, "shipped_tpp", code) == [31_664_000, 27_056_888, 0, 31_664_000]
        assert _series(results, "lpp_tpp", code) == [0, 26_898_568, 0, 0]
        # (May/Aug licensed_tpp for ARE is not pinned: the model books LICENSED-regime
        # shipments on the free path, see the report; only the capped months are.)
        assert _series(results, "licensed_tpp", code)[1:3] == [158_320, 0]
        assert _series(results, "quota_used_tpp", code) == [0, 158_320, 158_320, 158_320]
        assert _series(results, "quota_remaining_tpp", code) == [0, 0, 0, 0]
    assert _series(results, "licensed_tpp", "IND") == [0, 158_320, 0, 0]
    # Under the 2022 rule only China (with Hong Kong) and Macau need a licence: ARE is FREE
    # outside the window.
    older = _model("window", global_random_seed, {"rules.chip_rule": "oct2022"})
    assert older.world.market.regime[:, 0, 0].tolist() == [FREE, CAPPED, CAPPED, FREE]
    assert np.array_equal(older.world.market.regime[:, 1, 0], [DENIED] * 4)
