"""Tests for sim.reference.supply: the supply schedule against its sources (docs/sources.md §17)."""

from __future__ import annotations

import csv
from collections import Counter
from importlib import resources

import numpy as np
import pytest

from sim.reference import load_chips, load_supply, monthly_supply, quarter_of
from sim.reference.supply import (
    BASES,
    FIRST_QUARTER,
    LAST_QUARTER,
    _parse_table,
    supply_chips,
)

HEADER = "vendor,chip,quarter,chips_per_month,low,high,basis,derivation,source"
GOOD = "NVIDIA,H100,2024Q1,100,80,120,reported,x,y"

# Nvidia data-centre segment revenue per fiscal year, $ billion (docs/sources.md §17,
# Nvidia's releases; FY2023 not confirmed by search). Fiscal year N runs Feb N-1 to Jan N.
NVIDIA_DC_REVENUE = {2022: 10.61, 2023: 15.01, 2024: 47.5, 2025: 115.2, 2026: 193.7}

# TechInsights (docs/sources.md §17): Nvidia data-centre GPUs shipped per calendar year, all
# models (A10/T4/L4-class inference cards included).
TECHINSIGHTS_UNITS = {2022: 2_640_000, 2023: 3_760_000}


def _raw_rows() -> list[dict[str, str]]:
    text = resources.files("sim.reference").joinpath("supply.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _quarter_index(quarter: str) -> int:
    return int(quarter[:4]) * 4 + int(quarter[5]) - 1


def _launch_quarter(chip: str) -> str:
    return quarter_of(load_chips()[chip].launch)


def _nvidia_chips() -> list[str]:
    chips = load_chips()
    return [chip for chip in supply_chips() if chips[chip].vendor == "NVIDIA"]


def test_every_row_has_a_source_or_says_assumption():
    rows = _raw_rows()
    assert rows
    unsourced = [(r["chip"], r["quarter"]) for r in rows
                 if not r["source"].strip() and r["basis"] != "assumption"]
    assert unsourced == []
    assert all(r["basis"] in BASES and r["derivation"].strip() for r in rows)


def test_assumption_rows_say_what_they_would_be_calibrated_to():
    rows = [r for r in _raw_rows() if r["basis"] == "assumption"]
    assert rows
    # "calibrate to ..." or "so that ... continues": the derivation names its target.
    vague = [(r["chip"], r["quarter"]) for r in rows
             if "ASSUMPTION" not in r["derivation"]
             or not any(word in r["derivation"].lower() for word in ("calibrate", "ends in"))]
    assert vague == []


def test_sourced_rows_cite_the_fact_sheet_and_a_publication():
    rows = [r for r in _raw_rows() if r["basis"] != "assumption"]
    assert all(r["source"].startswith("docs/sources.md §17") for r in rows)
    assert all("http" in r["source"] for r in rows)


def test_quarters_are_valid_and_listed_once_per_chip():
    rows = _raw_rows()
    counts = Counter((r["chip"], r["quarter"]) for r in rows)
    assert [key for key, n in counts.items() if n > 1] == []
    assert all(FIRST_QUARTER <= r["quarter"] <= LAST_QUARTER for r in rows)
    assert len(load_supply()) == len(rows)


def test_chips_and_vendors_are_in_the_catalogue():
    chips = load_chips()
    assert {r["chip"] for r in _raw_rows()} <= set(chips)
    assert all(row.vendor == chips[row.chip].vendor for row in load_supply().values())
    assert {chips[chip].vendor for chip in supply_chips()} == {"NVIDIA", "AMD", "Huawei"}


def test_history_chips_all_have_a_schedule():
    history = {"B200", "H200", "H100", "H800", "MI300X", "A100", "A800", "H20",
               "ASCEND_910B", "ASCEND_910C"}
    assert history <= set(supply_chips())


def test_range_contains_the_central_figure():
    bad = [(r.chip, r.quarter) for r in load_supply().values()
           if not 0 <= r.low <= r.chips_per_month <= r.high]
    assert bad == []


def test_nothing_is_made_before_launch():
    early = [(r.chip, r.quarter) for r in load_supply().values()
             if r.high > 0 and r.quarter < _launch_quarter(r.chip)]
    assert early == []


def test_each_chip_schedule_has_no_gaps():
    """Every quarter from a chip's first row to its last is listed (a stop is an explicit 0)."""
    by_chip: dict[str, list[int]] = {}
    for chip, quarter in load_supply():
        by_chip.setdefault(chip, []).append(_quarter_index(quarter))
    gaps = {chip: sorted(q) for chip, q in by_chip.items()
            if sorted(q) != list(range(min(q), max(q) + 1))}
    assert gaps == {}


@pytest.mark.parametrize("bound", ["central", "low", "high"])
def test_quarter_total_is_three_months(bound):
    chips = list(supply_chips())
    monthly = monthly_supply(chips, "2021-01", 84, bound)
    assert monthly.shape == (84, len(chips)) and monthly.dtype == np.int64
    field = {"central": "chips_per_month", "low": "low", "high": "high"}[bound]
    for (chip, quarter), row in load_supply().items():
        t = (_quarter_index(quarter) - _quarter_index("2021Q1")) * 3
        k = chips.index(chip)
        assert monthly[t:t + 3, k].sum() == 3 * getattr(row, field)
        assert (monthly[t:t + 3, k] == getattr(row, field)).all()


def test_months_outside_the_table_and_unlisted_chips_give_zero():
    monthly = monthly_supply(["H100", "L40S"], "2019-11", 120)   # Nov 2019 to Oct 2029
    assert monthly.shape == (120, 2)
    assert (monthly[:14, 0] == 0).all()          # 2019-11 to 2020-12: before the table
    assert (monthly[-22:, 0] == 0).all()         # 2028-01 onwards: after it
    assert (monthly[:, 1] == 0).all()            # L40S has no schedule
    assert monthly[:, 0].max() > 0


def test_a_window_starting_mid_quarter_is_aligned():
    whole = monthly_supply(["B200", "ASCEND_910C"], "2021-01", 84)
    part = monthly_supply(["ASCEND_910C", "B200"], "2024-11", 7)
    start = (2024 - 2021) * 12 + 10
    assert (part == whole[start:start + 7, ::-1]).all()
    assert monthly_supply(["B200"], "2024-11", 0).shape == (0, 1)


@pytest.mark.parametrize("fiscal_year", sorted(NVIDIA_DC_REVENUE))
def test_nvidia_rows_imply_its_data_centre_revenue(fiscal_year):
    """Units x catalogue price, over Nvidia's fiscal year, against its reported DC revenue.

    Tolerance: the implied revenue must be 50% to 90% of the reported segment. The
    catalogue chips are only the flagship GPUs: networking (10-20% of the segment,
    docs/sources.md §17), L4/L40S-class cards, Grace CPUs, system content and software
    are in the segment but not in the table, so the ratio is below 1 by construction
    (0.58 to 0.85 of the segment is assigned to catalogue chips). Mapping fiscal to
    calendar quarters shifts the window by one month, which adds up to ~10% in a year
    of fast growth. A wrong price, decimal or quarter in the table moves the ratio out of
    the band; the band does not test the revenue shares themselves (assumptions).
    """
    chips = _nvidia_chips()
    prices = np.array([load_chips()[chip].price_usd for chip in chips], dtype=float)
    monthly = monthly_supply(chips, f"{fiscal_year - 1}-02", 12)
    implied = float((monthly * prices).sum()) / 1e9
    assert 0.5 <= implied / NVIDIA_DC_REVENUE[fiscal_year] <= 0.9


@pytest.mark.parametrize("year", sorted(TECHINSIGHTS_UNITS))
def test_nvidia_units_fit_inside_techinsights_totals(year):
    """The flagship chips are a part of all Nvidia data-centre GPUs shipped (TechInsights).

    At least a fifth of the units (the flagship GPUs were ~60-75% of the revenue at a
    price 2-3x the average: docs/sources.md §17), never more than all of them, even at
    the high end of each row's range.
    """
    chips = _nvidia_chips()
    central = int(monthly_supply(chips, f"{year}-01", 12).sum())
    high = int(monthly_supply(chips, f"{year}-01", 12, "high").sum())
    assert 0.2 * TECHINSIGHTS_UNITS[year] <= central <= high <= TECHINSIGHTS_UNITS[year]


def test_huawei_2025_spans_the_published_estimates():
    """US estimate <= 200,000 Ascend in 2025; SemiAnalysis ~805,000; analysts ~1M (§12, §17)."""
    ascend = ["ASCEND_910B", "ASCEND_910C"]
    low, central, high = (int(monthly_supply(ascend, "2025-01", 12, b).sum())
                          for b in ("low", "central", "high"))
    assert low <= 200_000 < central < 805_000 <= high <= 1_000_000


def test_huawei_2026_follows_bloombergs_plan():
    """Bloomberg: ~600,000 910C in 2026, up to 1.6M dies (two per 910C); SemiAnalysis ~300,000."""
    year = monthly_supply(["ASCEND_910B", "ASCEND_910C"], "2026-01", 12)
    assert year[:, 1].sum() == pytest.approx(600_000, rel=0.01)
    assert year[:, 0].sum() + 2 * year[:, 1].sum() <= 1_600_000
    assert monthly_supply(["ASCEND_910C"], "2026-01", 12, "low").sum() == pytest.approx(300_000,
                                                                                       rel=0.01)


def test_china_variants_stop_when_the_2023_rule_binds():
    """A800 and H800 were caught by the Oct 2023 rule (effective 17 Nov 2023): none from 2024."""
    after = monthly_supply(["A800", "H800"], "2024-01", 48, "high")
    before = monthly_supply(["A800", "H800"], "2023-01", 12)
    assert (after == 0).all() and (before.sum(axis=0) > 0).all()


def test_quarter_of():
    assert [quarter_of(m) for m in ("2024-01", "2024-03", "2024-04", "2024-12")] == [
        "2024Q1", "2024Q1", "2024Q2", "2024Q4"]
    with pytest.raises(ValueError, match="YYYY-MM"):
        quarter_of("2024-13")


@pytest.mark.parametrize(("chips", "start", "months", "bound", "match"), [
    (["H999"], "2024-01", 3, "central", "not in chips.csv"),
    (["H100", "H100"], "2024-01", 3, "central", "repeat"),
    (["H100"], "2024-1", 3, "central", "YYYY-MM"),
    (["H100"], "2024-01", -1, "central", "months"),
    (["H100"], "2024-01", 3, "median", "bound"),
])
def test_monthly_supply_rejects_bad_arguments(chips, start, months, bound, match):
    with pytest.raises(ValueError, match=match):
        monthly_supply(chips, start, months, bound)


@pytest.mark.parametrize(("line", "match"), [
    ("NVIDIA,H999,2024Q1,100,80,120,reported,x,y", "chip 'H999' is not in chips.csv"),
    ("AMD,H100,2024Q1,100,80,120,reported,x,y", "vendor of H100 must be 'NVIDIA'"),
    ("NVIDIA,H100,2024Q5,100,80,120,reported,x,y", "quarter must be 'YYYYQn'"),
    ("NVIDIA,H100,2028Q1,100,80,120,reported,x,y", "quarter must be 'YYYYQn'"),
    ("NVIDIA,H100,2024Q1,100,110,120,reported,x,y", "low <= chips_per_month <= high"),
    ("NVIDIA,H100,2024Q1,1e5,80,120,reported,x,y", "chips_per_month must be a whole number"),
    ("NVIDIA,H100,2024Q1,100,-1,120,reported,x,y", "low must be a whole number"),
    ("NVIDIA,H100,2024Q1,100,80,120,guess,x,y", "basis must be one of"),
    ("NVIDIA,H100,2024Q1,100,80,120,reported,,y", "derivation must say"),
    ("NVIDIA,H100,2024Q1,100,80,120,reported,x,", "source is required"),
    ("NVIDIA,H100,2024Q1,100,80,120", "expected the columns"),
])
def test_a_bad_row_is_one_line_naming_file_line_and_key(line, match):
    with pytest.raises(ValueError, match=match) as caught:
        _parse_table(f"{HEADER}\n{GOOD.replace('2024Q1', '2023Q4')}\n{line}\n")
    message = str(caught.value)
    assert message.startswith("supply.csv: line 3: ") and "\n" not in message


def test_duplicates_and_bad_headers_are_rejected():
    with pytest.raises(ValueError, match="line 3: H100 2024Q1 is listed twice"):
        _parse_table(f"{HEADER}\n{GOOD}\n{GOOD}\n")
    with pytest.raises(ValueError, match="header must be"):
        _parse_table(f"{HEADER.replace('low', 'minimum')}\n{GOOD}\n")
    assert _parse_table(f"{HEADER}\n{GOOD}\n")[("H100", "2024Q1")].chips_per_month == 100
    row = "NVIDIA,H100,2024Q1,100,80,120,assumption,x,"
    assert _parse_table(f"{HEADER}\n{row}\n")[("H100", "2024Q1")].source == ""
