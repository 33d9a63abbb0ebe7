"""Tests for sim.reference: chip classification and country groups against docs/sources.md."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import replace
from importlib import resources

import pytest

from sim.reference import (
    H100E_TPP,
    VINTAGES,
    Chip,
    all_iso3,
    classify_chip,
    country_groups,
    country_name,
    is_valid_iso3,
    load_chips,
    rule_scope,
)

# (chip, controlled under oct2022, controlled under oct2023), per docs/sources.md §2.
EXPECTED = [
    ("H100", True, True),
    ("H200", True, True),
    ("H800", False, True),  # 400 GB/s interconnect in 2022; TPP caught in 2023
    ("A100", True, True),  # exactly 600 GB/s: the 2022 test is >=
    ("A800", False, True),
    ("H20", False, False),  # TPP 2,368 < 4,800 and PD 2.9 < 5.92
    ("B200", True, True),
    ("B100", True, True),
    ("MI300X", True, True),
    ("L40S", False, True),  # PCIe only in 2022; TPP 5,864 in 2023
    ("RTX_4090", False, True),  # consumer, but TPP 5,286 >= 4,800
    ("RTX_4090D", False, False),  # consumer, TPP 4,707 < 4,800: designed to fall below
    ("ASCEND_910B", False, False),  # domestic: never US-controlled
    ("ASCEND_910C", False, False),
]


def _group_rows() -> list[dict[str, str]]:
    text = resources.files("sim.reference").joinpath("country_groups.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_every_domain_chip_is_listed_once():
    assert sorted(load_chips()) == sorted(chip for chip, _, _ in EXPECTED)


@pytest.mark.parametrize(("chip_id", "in_2022", "in_2023"), EXPECTED)
def test_classification_matches_domain(chip_id, in_2022, in_2023):
    chip = load_chips()[chip_id]
    assert classify_chip(chip, "none") is False
    assert classify_chip(chip, "oct2022") is in_2022
    assert classify_chip(chip, "oct2023") is in_2023


@pytest.mark.parametrize("chip", list(load_chips().values()), ids=lambda c: c.chip)
def test_chip_fields_are_typed(chip):
    assert isinstance(chip, Chip)
    assert isinstance(chip.tpp, int) and chip.tpp > 0
    assert isinstance(chip.interconnect_gbps, int) and chip.interconnect_gbps >= 0
    assert chip.performance_density is None or chip.performance_density > 0
    assert chip.source.startswith("docs/sources.md §2")


@pytest.mark.parametrize("chip", sorted(load_chips()))
def test_market_figures_are_plausible_and_sourced(chip):
    """Memory bandwidth, launch month and price: in range, and said where they came from."""
    found = load_chips()[chip]
    assert 100 <= found.memory_bandwidth_gbps <= 20_000
    assert "2019-01" <= found.launch <= "2026-12"
    assert found.price_usd is None or 500 <= found.price_usd <= 100_000
    assert "Market figures:" in found.note and found.source.strip()


def test_launch_order_matches_the_product_history():
    chips = load_chips()
    assert chips["A100"].launch < chips["A800"].launch < chips["H800"].launch
    assert chips["H100"].launch < chips["H800"].launch < chips["H20"].launch
    assert chips["H20"].launch < chips["H200"].launch < chips["B200"].launch
    assert chips["ASCEND_910B"].launch < chips["ASCEND_910C"].launch


def test_density_branch_catches_a_data_centre_chip_but_not_a_consumer_one():
    dense = replace(load_chips()["H20"], performance_density=6.0)
    assert classify_chip(dense, "oct2023") is True
    assert classify_chip(replace(dense, consumer=True), "oct2023") is False
    assert classify_chip(replace(dense, tpp=1_599), "oct2023") is False


def test_h100e_constant():
    assert H100E_TPP == 1979 * 8 == 15_832
    assert load_chips()["H100"].tpp == H100E_TPP


@pytest.mark.parametrize("vintage", ["2023", "Oct2023", ""])
def test_unknown_vintage_is_rejected(vintage):
    with pytest.raises(ValueError, match="oct2023"):
        classify_chip(load_chips()["H100"], vintage)
    with pytest.raises(ValueError, match="oct2022"):
        rule_scope(vintage)


def test_every_iso3_in_the_csv_is_valid():
    bad = [row["iso3"] for row in _group_rows() if not is_valid_iso3(row["iso3"])]
    assert bad == []


def test_no_group_lists_a_country_twice():
    # Every membership has one period here; a country that left and rejoined would need two.
    counts = Counter((row["group"], row["iso3"]) for row in _group_rows())
    assert [key for key, n in counts.items() if n > 1] == []


def test_every_row_cites_a_source():
    assert all(row["source"].strip() for row in _group_rows())


def test_expected_groups_are_present():
    expected = {"tier1_2025", "tier3_2025", "oct2022_scope", "D:1", "D:4", "D:5", "A:5", "A:6"}
    extra = {"chip4", "chip4_plus_nld", "E:1", "E:2", "un_member"}
    assert expected | extra == set(country_groups())


def test_tier1_is_the_us_and_18_partners():
    tier1 = country_groups()["tier1_2025"]
    assert len(tier1) == 19
    assert {"USA", "TWN", "KOR", "JPN", "NLD", "GBR"} <= tier1


def test_tiers_are_disjoint():
    groups = country_groups()
    assert groups["tier1_2025"].isdisjoint(groups["tier3_2025"])


def test_tier3_is_d5_plus_macau():
    groups = country_groups()
    assert groups["tier3_2025"] == groups["D:5"] | {"MAC"}


def test_chip4():
    groups = country_groups()
    assert groups["chip4"] == {"USA", "JPN", "KOR", "TWN"}
    assert groups["chip4_plus_nld"] == groups["chip4"] | {"NLD"}


@pytest.mark.parametrize("vintage", ["oct2022", "oct2023"])
def test_china_hong_kong_and_macau_are_in_every_scope(vintage):
    assert {"CHN", "HKG", "MAC"} <= rule_scope(vintage)


def test_no_controls_has_empty_scope():
    assert rule_scope("none") == frozenset()


@pytest.mark.parametrize("iso3", ["CHN", "MAC", "RUS", "IRN", "VNM", "SAU", "ARE"])
def test_oct2023_scope_includes(iso3):
    assert iso3 in rule_scope("oct2023")


@pytest.mark.parametrize("iso3", ["JPN", "DEU", "USA", "ISR", "IND", "SGP"])
def test_oct2023_scope_excludes(iso3):
    # ISR is in D:4 but also A:6, so the 2023 rule leaves it out.
    assert iso3 not in rule_scope("oct2023")


def test_scopes_are_subsets_of_valid_codes():
    for vintage in VINTAGES:
        assert rule_scope(vintage) <= all_iso3()


@pytest.mark.parametrize(
    ("iso3", "name"), [("TWN", "Taiwan"), ("MAC", "Macao"), ("DEU", "Germany")]
)
def test_country_name(iso3, name):
    assert country_name(iso3) == name


@pytest.mark.parametrize("code", ["XKX", "twn", "TW", ""])
def test_invalid_codes(code):
    assert not is_valid_iso3(code)
    with pytest.raises(ValueError, match="alpha-3"):
        country_name(code)
