"""Regions: the partition of the importers, ``[regions.NAME]`` overrides, summaries by region.

``sim/reference/regions.csv`` puts every importer in exactly one of twelve
regions (docs/sources.md §21); a scenario sets country keys for a region
(own key > region > ``[country_defaults]``); ``sim run`` writes
``summary_by_region.csv`` and ``by_region.png``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from testbase import TEST_BASE, extending

import sim
from sim.cli import main
from sim.experiment.folders import COMPLETE
from sim.experiment.reductions import RunReductions
from sim.experiment.summary import UNASSIGNED, summarise_by_region, summarise_by_tier
from sim.reference import H100E_TPP, REGIONS, importers, region_members, region_of
from sim.reference.regions import REGION_COLUMNS, parse_regions, region_rows
from sim.scenario import ScenarioError
from sim.world.metrics import COUNTRY_METRICS

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
HEADER = ",".join(REGION_COLUMNS)

# A small world across five regions, and Greenland: an ISO 3166 code that is no importer.
WORLD = """
name = "regions"
description = "countries in EU, ASEAN, Gulf, North America and none"
[countries.USA]
[countries.DEU]
[countries.FRA]
enforcement = 4.0
[countries.SGP]
[countries.MYS]
transit = 5.0
[countries.ARE]
[countries.GRL]
"""


def _write(tmp_path: Path, body: str, name: str = "scenario.toml",
           parent: Path = TEST_BASE) -> Path:
    path = tmp_path / name
    path.write_text(extending(parent, body), encoding="utf-8")
    return path


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- the partition ---------------------------------------------------------------------------

def test_every_importer_is_in_exactly_one_region():
    rows = region_rows()
    assert set(rows) == importers() and len(rows) == len(importers()) == 196
    members = region_members()
    assert list(members) == list(REGIONS)
    assert sum(len(codes) for codes in members.values()) == 196
    assert frozenset().union(*members.values()) == importers()
    for code in importers():
        assert [r for r, codes in members.items() if code in codes] == [region_of(code)]


def test_treaty_regions_hold_their_members():
    members = region_members()
    assert len(members["EU"]) == 27 and {"DEU", "FRA", "IRL", "CYP", "HRV"} <= members["EU"]
    assert members["Gulf"] == {"SAU", "ARE", "KWT", "QAT", "BHR", "OMN"}
    assert members["ASEAN"] == {"BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA",
                                "VNM", "TLS"}
    assert "GBR" in members["Other_Europe"] and "CYP" not in members["MENA"]
    assert all(len(codes) > 0 for codes in members.values())
    assert region_of("GRL") is None  # an ISO code that is not an importer


def test_every_row_cites_a_source():
    assert all(row.source and "sources.md §21" in row.source for row in region_rows().values())


def _table(edit):
    rows = [f"{r.iso3},{r.region},{json.dumps(r.source)}" for r in region_rows().values()]
    return "\n".join([HEADER, *edit(rows)])


@pytest.mark.parametrize(("edit", "fragment"), [
    (lambda rows: [*rows, rows[0]], "listed twice"),
    (lambda rows: rows[1:], "no row for 1 importers"),
    (lambda rows: [*rows, 'GRL,EU,"x"'], "GRL is not an importer"),
    (lambda rows: [rows[0].replace(",South_Asia,", ",Asia,"), *rows[1:]], "region must be one"),
    (lambda rows: [rows[0].split(",")[0] + ",South_Asia,", *rows[1:]], "source must not"),
    (lambda rows: [r.replace("Central_Asia", "South_Asia") for r in rows], "none in Central"),
])
def test_a_malformed_table_is_one_line_naming_it(edit, fragment):
    with pytest.raises(sim.errors.UserError) as info:
        parse_regions(_table(edit))
    assert fragment in str(info.value) and "regions.csv" in str(info.value)


# --- [regions.NAME] in a scenario --------------------------------------------------------------

def test_precedence_country_over_region_over_defaults(tmp_path):
    path = _write(tmp_path, WORLD + """
[regions.EU]
enforcement = 2.5
firms = { broker = 3 }
[regions.ASEAN]
transit = 2.0
[regions.Central_Asia]
transit = 9.0
""")
    defaults = sim.load_scenario(_write(tmp_path, WORLD, "plain.toml"))
    scenario = sim.load_scenario(path)
    countries = scenario.countries
    assert countries["DEU"].enforcement == 2.5  # region over [country_defaults]
    assert countries["FRA"].enforcement == 4.0  # the country's own key over its region's
    assert countries["DEU"].firms.broker == countries["FRA"].firms.broker == 3
    assert countries["DEU"].firms.buyer == defaults.countries["DEU"].firms.buyer  # table merged
    assert countries["SGP"].transit == 2.0 and countries["MYS"].transit == 5.0
    for untouched in ("USA", "ARE", "GRL"):  # in no region set, or in no region at all
        assert countries[untouched] == defaults.countries[untouched]
    assert sorted(countries) == sorted(defaults.countries)  # Central_Asia adds no country


def test_region_override_on_the_command_line(tmp_path):
    path = _write(tmp_path, WORLD)
    scenario = sim.load_scenario(path, {"regions.EU.enforcement": "3", "regions.Gulf.g2g": "true",
                                        "regions.EU.firms.broker": "2",
                                        "countries.DEU.enforcement": "7"})
    assert scenario.countries["FRA"].enforcement == 4.0  # own key in the file beats --set region
    assert scenario.countries["DEU"].enforcement == 7.0  # --set country beats everything
    assert scenario.countries["ARE"].g2g is True and scenario.countries["SGP"].g2g is False
    assert scenario.countries["DEU"].firms.broker == 2


def test_regions_merge_through_extends(tmp_path):
    parent = _write(tmp_path, WORLD + "[regions.EU]\nenforcement = 2.5\ntransit = 1.5\n",
                    "parent.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\nname = "child"\n[regions.EU]\ntransit = 6.0\n',
                     encoding="utf-8")
    assert parent.exists()
    deu = sim.load_scenario(child).countries["DEU"]
    assert (deu.enforcement, deu.transit) == (2.5, 6.0)


@pytest.mark.parametrize(("body", "key", "fragment"), [
    ("[regions.Europe]\nenforcement = 2.0\n", "regions.Europe", "Other_Europe"),
    ("[regions.EU]\nenforcment = 2.0\n", "regions.EU.enforcment", "did you mean"),
    ("[regions.Gulf]\nenforcement = -1.0\n", "regions.Gulf.enforcement", "expected a number"),
    ("regions = 3\n", "regions", "expected a table"),
    ('[[timeline]]\ndate = "2025-06"\nsource = "x"\nset = { "regions.EU.enforcement" = 2.0 }\n',
     'timeline[0].set."regions.EU.enforcement"', "countries.<code>.enforcement"),
])
def test_bad_region_is_one_line_exit_2(tmp_path, capsys, body, key, fragment):
    top_level = not body.startswith("[")  # a bare key before the first table
    path = _write(tmp_path, body + WORLD if top_level else WORLD + body)
    with pytest.raises(ScenarioError):
        sim.load_scenario(path)
    assert main(["check", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"{path}: {key}: " in line and fragment in line, line
    if key == "regions.Europe":
        assert all(region in line for region in REGIONS)  # lists the valid regions


def test_timeline_region_key_names_the_countries_to_set(tmp_path):
    path = _write(tmp_path, WORLD + '[[timeline]]\ndate = "2025-06"\nsource = "x"\n'
                  'set = { "regions.EU.enforcement" = 2.0 }\n')
    with pytest.raises(ScenarioError, match=r"modelled countries \(DEU, FRA\)"):
        sim.load_scenario(path)


@pytest.mark.parametrize(("override", "fragment"), [
    ("regions.EUR.enforcement=2", "expected a region of sim/reference/regions.csv"),
    ("regions.EU=2", "expected regions.NAME.KEY=VALUE"),
    ("regions.EU.enforcement=abc", "expected a number"),
])
def test_bad_region_override_is_one_line_exit_2(tmp_path, capsys, override, fragment):
    assert main(["check", str(_write(tmp_path, WORLD)), "--set", override]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("error: <override>: regions.") and fragment in line, line


def test_unknown_country_names_the_importers_and_a_near_code(tmp_path, capsys):
    path = _write(tmp_path, WORLD + "[countries.SGX]\n")
    assert main(["check", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "countries.SGX" in line and "196 importers" in line and "'SGP'" in line
    assert main(["check", str(_write(tmp_path, WORLD, "ok.toml")), "--set",
                 "countries.SGX.enforcement=2"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "the scenario models: ARE, DEU, FRA, GRL, MYS, SGP, USA" in line


# --- summaries by region -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def diffusion_runs():
    return sim.run_batch(sim.load_scenario(SCENARIOS / "strict_enforcement.toml"), np.arange(3))


def test_summary_by_region_is_the_sum_of_its_countries(diffusion_runs):
    results = diffusion_runs
    summary = summarise_by_region(results)
    tier = summarise_by_tier(results)
    assert list(summary.columns) == list(tier.columns) and summary.index.name == "region"
    regions = np.array([region_of(c) or UNASSIGNED for c in results.countries])
    assert list(summary.index) == [r for r in REGIONS if r in regions]
    columns = {"stock_end_h100e": "stock_tpp", "shipped_h100e": "shipped_tpp",
               "diverted_in_h100e": "diverted_received_tpp", "substituted_h100e": "substituted_tpp",
               "unmet_h100e": "unmet_tpp", "seized_in_transit_h100e": "diversion_seized_tpp"}
    for region, row in summary.iterrows():
        mask = regions == region
        assert row["countries"] == mask.sum()
        for column, metric in columns.items():
            values = results.metric(metric)[:, :, mask]
            total = values[:, -1].sum() if column == "stock_end_h100e" else values.sum()
            assert row[column] == int(total) / results.n_runs / H100E_TPP, (region, column)
    assert summary["countries"].sum() == len(results.countries)
    assert summary["seized_in_transit_h100e"].sum() > 0  # the check above sees real values


def test_summary_by_region_is_the_same_from_streamed_chunks(diffusion_runs):
    scenario = sim.load_scenario(SCENARIOS / "strict_enforcement.toml")
    reduced = RunReductions()
    for seeds in (np.arange(0, 1), np.arange(1, 3)):
        reduced.add(sim.run_batch(scenario, seeds))
    assert summarise_by_region(reduced).equals(summarise_by_region(diffusion_runs))


def test_a_country_in_no_region_is_unassigned(tmp_path):
    results = sim.run_batch(sim.load_scenario(_write(tmp_path, WORLD)), np.arange(1))
    summary = summarise_by_region(results)
    assert summary.loc[UNASSIGNED, "countries"] == 1 and summary.index[-1] == UNASSIGNED
    assert summary.loc["EU", "countries"] == 2 and "Central_Asia" not in summary.index


def test_run_writes_the_region_table_and_figure(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "oct2023.toml"), "--runs", "2", "--out", str(out),
                 "--set", "regions.ASEAN.enforcement=2"]) == 0
    printed = capsys.readouterr().out
    by_tier = pd.read_csv(out / "summary_by_tier.csv", index_col="tier")
    for tier, n in by_tier["countries"].items():
        assert f"Tier {tier} ({n} countries)" in printed
    table = pd.read_csv(out / "summary_by_region.csv", index_col="region")
    assert list(table.columns) == list(by_tier.columns)
    assert table["countries"].sum() == by_tier["countries"].sum()
    assert f"ASEAN ({table.loc['ASEAN', 'countries']} countries)" in printed
    assert f"European Union ({table.loc['EU', 'countries']} countries)" in printed
    by_country = pd.read_csv(out / "by_country.csv")
    eu = by_country[by_country["country"].isin(region_members()["EU"])]
    assert abs(table.loc["EU", "shipped_h100e"] - eu["shipped_h100e"].sum()) <= 0.05 * len(eu)
    assert (out / "by_region.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    record = json.loads((out / COMPLETE).read_text())["files"]
    assert {"summary_by_region.csv", "by_region.png"} <= set(record)
    assert sim.load_results(out / "results.parquet").scenario["countries"]["SGP"][
        "enforcement"] == 2.0


def test_country_metrics_stay_per_country(diffusion_runs):
    assert diffusion_runs.metric(COUNTRY_METRICS[0]).shape[2] == len(diffusion_runs.countries)
