"""The whole world: ``world.countries = "reference"`` (sim/scenario/world.py, issue 14 parts 1-3).

Every importer is simulated in its framework tier, its demand is its
reference share of the world's, brokers sit where ``transit_hubs.csv``
documents diversion, and a country's own key beats its region's, which beats
the reference data, which beats ``[country_defaults]``.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from testbase import TEST_BASE, extending

import sim
from sim.cli import main
from sim.errors import UserError
from sim.reference import demand_shares, framework_tiers, importers, transit_hubs
from sim.reference.transit import HUB_COLUMNS, parse_transit_hubs
from sim.scenario.demand_level import country_demand_h100e
from sim.scenario.world import apportion, reference_countries
from sim.world import World
from sim.world.codes import BROKER, CHAMPION, RESEARCH
from sim.world.population import expected_demand_by_country, firm_table

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
WORLD_SCALE = ("base", "ai_diffusion_2025", "history")


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "world.toml"
    path.write_text(extending(TEST_BASE, body), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", WORLD_SCALE)
def test_every_importer_is_simulated_in_its_framework_tier(name):
    scenario = sim.load_scenario(SCENARIOS / f"{name}.toml")
    world = World.from_scenario(scenario)
    assert set(scenario.country_codes) == importers()
    expected = framework_tiers("2025-01-13")
    assert dict(zip(scenario.country_codes, world.tier.tolist(), strict=True)) == expected
    counts = np.bincount(world.tier, minlength=4)
    assert len(scenario.countries) >= 190 and counts[2] >= 120  # issue 14's done-when


def test_listed_world_models_only_the_countries_named(tmp_path):
    path = _write(tmp_path, 'name = "w"\ndescription = "d"\n[countries.USA]\n[countries.CHN]\n')
    assert sim.load_scenario(path).country_codes == ("CHN", "USA")
    world = sim.load_scenario(path, {"world.countries": "reference"})
    assert set(world.country_codes) == importers()


def test_precedence_own_over_region_over_reference_over_defaults(tmp_path):
    body = ('name = "w"\ndescription = "d"\n[world]\ncountries = "reference"\n'
            "[regions.ASEAN]\ntransit = 5.0\n[countries.SGP]\ntransit = 7.0\n")
    scenario = sim.load_scenario(_write(tmp_path, body))
    hubs = transit_hubs()
    assert scenario.countries["SGP"].transit == 7.0            # own
    assert scenario.countries["MYS"].transit == 5.0            # region over reference (3.0)
    assert hubs["MYS"].transit != 5.0
    assert scenario.countries["ARE"].transit == hubs["ARE"].transit  # reference over defaults
    assert scenario.countries["FRA"].transit == 1.0            # defaults (test_base)
    assert scenario.countries["SGP"].firms.broker == hubs["SGP"].brokers  # reference firms
    region_firms = sim.load_scenario(_write(tmp_path, body), {"regions.ASEAN.firms.broker": 9})
    assert region_firms.countries["SGP"].firms.broker == 9
    assert region_firms.countries["ARE"].firms.broker == hubs["ARE"].brokers


def test_demand_shares_are_recomputed_from_the_firm_table():
    # China's calibrated demand scale set back to 1: each share as published.
    scenario = sim.load_scenario(SCENARIOS / "base.toml", {"countries.CHN.demand_scale": 1.0})
    demand = dict(zip(scenario.country_codes, expected_demand_by_country(scenario), strict=True))
    shares = demand_shares()
    named = dict.fromkeys(demand, 0.0)
    for firm in scenario.firms:
        for host, h100e in firm.hosts.items():
            named[host] += h100e
    level = 512_230.42294087925  # supply.csv, Jan 2025 (tests/test_demand_level.py)
    assert math.isclose(math.fsum(demand.values()), level, rel_tol=1e-9)  # the level holds
    held = {code for code in demand if named[code] > 0 and math.isclose(demand[code],
                                                                        named[code])}
    assert held and len(held) < 10  # a few countries whose named firms exceed their share
    rest = level - math.fsum(named[code] for code in held)
    free = math.fsum(shares[code].share for code in demand if code not in held)
    for code, value in demand.items():
        share = rest * shares[code].share / free  # the country's part of what is not held
        if code in held:
            assert named[code] > share, code  # held only where its named firms exceed it
        else:
            assert math.isclose(value, share, rel_tol=1e-9), code
    total = math.fsum(demand.values())
    assert abs(demand["USA"] / total - 0.75) < 0.01 and abs(demand["CHN"] / total - 0.15) < 0.01


def test_listed_world_scales_typed_sizes_by_the_level(tmp_path):
    body = ('name = "w"\ndescription = "d"\n[countries.USA]\ndemand_scale = 2.0\n'
            "firms = { buyer = 3, research = 1, champion = 0, broker = 1 }\n"
            "[countries.DEU]\nfirms = { buyer = 2, research = 0, champion = 1, broker = 0 }\n")
    typed = sim.load_scenario(_write(tmp_path, body))
    level = sim.load_scenario(_write(tmp_path, body), {"market.world_demand_h100e": 1000})
    factor = 1000 / math.fsum(expected_demand_by_country(typed))
    old, new = firm_table(typed), firm_table(level)
    buyer = old.kind != BROKER
    assert np.allclose(new.median_h100e[buyer] / old.median_h100e[buyer], factor, rtol=1e-12)
    assert np.array_equal(new.median_h100e[~buyer], old.median_h100e[~buyer]) and (~buyer).any()
    assert math.isclose(math.fsum(expected_demand_by_country(level)), 1000, rel_tol=1e-12)


def test_demand_scale_multiplies_the_reference_share():
    base = sim.load_scenario(SCENARIOS / "base.toml")
    scale = base.countries["CHN"].demand_scale  # the calibrated scale
    doubled = sim.load_scenario(SCENARIOS / "base.toml",
                                {"countries.CHN.demand_scale": 2.0 * scale})
    before, after = country_demand_h100e(base), country_demand_h100e(doubled)
    assert math.isclose(after["CHN"] / after["USA"], 2 * before["CHN"] / before["USA"],
                        rel_tol=1e-9)
    assert math.isclose(after["USA"] / after["JPN"], before["USA"] / before["JPN"], rel_tol=1e-9)
    assert math.isclose(math.fsum(after.values()), math.fsum(before.values()), rel_tol=1e-12)


def test_brokers_only_where_the_hubs_table_or_the_scenario_puts_them():
    scenario = sim.load_scenario(SCENARIOS / "base.toml")
    table = firm_table(scenario)
    codes = scenario.country_codes
    with_brokers = {codes[c] for c in table.country[table.kind == BROKER]}
    assert with_brokers == {code for code, hub in transit_hubs().items() if hub.brokers > 0}
    added = sim.load_scenario(SCENARIOS / "base.toml", {"countries.FRA.firms.broker": 2})
    table = firm_table(added)
    assert {codes[c] for c in table.country[table.kind == BROKER]} == with_brokers | {"FRA"}
    generated_champions = table.generated & (table.kind == CHAMPION)
    assert {codes[c] for c in table.country[generated_champions]} == {"CHN"}  # base.toml sets it


def test_generated_firm_counts_follow_the_shares_with_a_minimum():
    scenario = sim.load_scenario(SCENARIOS / "base.toml")
    world = scenario.world
    reference = reference_countries(dataclasses.asdict(world))
    buyers = {c: r["firms"]["buyer"] for c, r in reference.items()}
    assert sum(buyers.values()) == max(world.total_buyers, world.min_buyers * len(buyers))
    assert min(buyers.values()) == world.min_buyers
    assert sum(r["firms"]["research"] for r in reference.values()) == world.total_research
    assert buyers["USA"] > buyers["CHN"] > buyers["JPN"] >= buyers["FRA"] >= buyers["TUV"]
    for code, country in scenario.countries.items():  # base.toml sets only China's buyers
        expected = 20 if code == "CHN" else buyers[code]
        assert country.firms.buyer == expected, code
        assert country.firms.research == reference[code]["firms"]["research"], code
    table = firm_table(scenario)
    assert table.n_firms <= 2 * 289  # at most twice the 26-country world's firms
    assert np.count_nonzero(table.kind == RESEARCH) == world.total_research


@pytest.mark.parametrize(("shares", "total", "minimum", "expected"), [
    ([0.5, 0.3, 0.2], 10, 0, [5, 3, 2]),
    ([0.5, 0.3, 0.2], 10, 2, [4, 3, 3]),     # 4 left: 2, 1.2, 0.8 -> 2, 1, 1
    ([0.5, 0.25, 0.25], 3, 0, [1, 1, 1]),    # 1.5, 0.75, 0.75: the larger remainders
    ([0.5, 0.5], 1, 0, [1, 0]),              # remainders tie: the earlier country
    ([0.9, 0.1], 1, 2, [2, 2]),              # fewer than the minimum: each keeps it
    ([0.0, 0.0], 5, 1, [1, 1]),              # no weight: only the minimum
])
def test_apportion(shares, total, minimum, expected):
    assert apportion(shares, total, minimum) == expected


def test_hubs_table_rows_cite_a_case_and_say_what_is_assumed():
    hubs = transit_hubs()
    assert {"SGP", "MYS", "ARE", "HKG", "THA", "IDN", "TWN", "IND", "TUR"} <= set(hubs)
    for hub in hubs.values():
        assert hub.source.startswith("Case") and "assumption" in hub.source, hub.iso3


@pytest.mark.parametrize(("text", "problem"), [
    ("iso3,brokers,source\nSGP,1,x\n", "header"),
    ("{h}\nSGP,-1,1.0,x\n", "brokers must be an integer"),
    ("{h}\nSGP,1,fast,x\n", "transit must be a number"),
    ("{h}\nSGP,1,1.0,\n", "source must not be empty"),
    ("{h}\nSGP,1,1.0,x\nSGP,2,1.0,y\n", "listed twice"),
    ("{h}\nGRL,1,1.0,x\n", "not an importer"),
])
def test_bad_hubs_table_is_one_line(text, problem):
    with pytest.raises(UserError, match=problem) as caught:
        parse_transit_hubs(text.format(h=",".join(HUB_COLUMNS)))
    assert "\n" not in str(caught.value) and "transit_hubs.csv" in str(caught.value)


@pytest.mark.parametrize(("args", "expected"), [
    (["--set", "world.countries=everyone"], "world.countries"),
    (["--set", "world.countrys=reference"], "did you mean 'world.countries'"),
    (["--set", "world.min_buyers=-1"], "world.min_buyers"),
])
def test_bad_world_value_is_one_line_exit_2(tmp_path, capsys, args, expected):
    path = _write(tmp_path, 'name = "w"\ndescription = "d"\n[countries.USA]\n')
    assert main(["check", str(path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and expected in err, err


def test_world_table_in_a_file_is_checked(tmp_path, capsys):
    path = _write(tmp_path, 'name = "w"\ndescription = "d"\nworld = 3\n[countries.USA]\n')
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "world" in err and "table" in err, err
