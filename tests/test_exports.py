"""Tidy exports: units in column names, rounding, provenance, per-country CSV, one-glob reads."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb  # in the dev extra (and the analysis extra)
import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.experiment.export import (
    OUTCOME_UNITS,
    csv_name,
    summary_for_csv,
    tidy_for_csv,
    unit_of,
)
from sim.experiment.outcomes import OUTCOMES, outcomes_per_run
from sim.reference import H100E_TPP

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
COMPARED = ("no_controls", "ai_diffusion_2025")


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """``sim compare`` of two scenarios into a fresh ``results/compare`` (the README path)."""
    root = tmp_path_factory.mktemp("readme")
    out = root / "results" / "compare"
    files = [str(SCENARIOS / f"{n}.toml") for n in COMPARED]
    assert main(["compare", *files, "--runs", "2", "--seed", "7", "--out", str(out)]) == 0
    return root


@pytest.fixture(scope="module")
def direct(compared):
    """The same runs from the core, read by nobody's CSV."""
    return {n: sim.run_batch(sim.load_scenario(SCENARIOS / f"{n}.toml"), [7, 8])
            for n in COMPARED}


def test_every_outcome_names_its_unit_in_the_csv():
    for outcome in OUTCOMES:
        assert unit_of(csv_name(outcome)) is not None, outcome
    assert csv_name("tier3_legal_h100e") == "tier3_legal_h100e"
    assert csv_name("tier2_cap_utilisation") == "tier2_cap_utilisation_share"
    assert set(OUTCOME_UNITS) <= set(OUTCOMES)


def test_summary_csv_is_rounded_by_unit_and_carries_no_digest(compared, direct):
    text = (compared / "results" / "compare" / "summary.csv").read_text()
    summary = pd.read_csv(compared / "results" / "compare" / "summary.csv")
    assert "digest" not in summary.columns and not re.search(r"[0-9a-f]{64}", text)
    assert "nan" not in text.lower()
    for column in summary.columns[2:]:
        assert unit_of(column) is not None, column
    for name, results in direct.items():
        runs = outcomes_per_run(results)
        row = summary.set_index("scenario").loc[name]
        assert row["runs"] == 2
        legal = runs["tier3_legal_h100e"].mean()
        assert row["tier3_legal_h100e_mean"] == round(legal)  # whole H100e, as the core says
        premium = runs["grey_premium_end"].to_numpy()
        assert row["grey_premium_end_x_list_p95"] == pytest.approx(
            round(np.percentile(premium, 95), 3), abs=1e-9)
    first = text.splitlines()[1].split(",")
    h100e = [k for k, c in enumerate(summary.columns) if unit_of(c) == "h100e"]
    assert all(re.fullmatch(r"-?[0-9]*", first[k]) for k in h100e)  # no decimal point


def test_scenarios_csv_keeps_the_provenance(compared, direct):
    index = pd.read_csv(compared / "results" / "compare" / "scenarios.csv")
    assert list(index["scenario"]) == list(COMPARED)
    assert list(index["digest"]) == [direct[n].digest for n in COMPARED]
    assert list(index["folder"]) == [f"scenario={n}" for n in COMPARED]
    assert (index["first_seed"] == 7).all() and (index["last_seed"] == 8).all()


def test_tidy_for_csv_rounds_by_unit_and_refuses_a_column_without_one():
    frame = pd.DataFrame({"scenario": ["a", "b"], "runs": [3.0, 4.0],
                          "x_h100e_mean": [1234.56, np.nan], "y_share_p05": [0.123456, 1.0],
                          "revenue_usd": [10.4, 2.5]})
    tidy = tidy_for_csv(frame)
    assert tidy.to_csv(index=False).splitlines() == [
        "scenario,runs,x_h100e_mean,y_share_p05,revenue_usd", "a,3,1235,0.123,10", "b,4,,1.0,2"]
    with pytest.raises(ValueError, match="names no unit"):
        tidy_for_csv(frame.assign(utilisation=[0.5, 0.6]))
    with pytest.raises(ValueError, match="names no unit"):
        summary_for_csv(frame.assign(new_outcome_mean=[0.5, 0.6]))


def test_readme_duckdb_query_reads_the_whole_comparison(compared, direct, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [query] = [q for q in re.findall(r'duckdb\.sql\("""(.*?)"""\)', readme, re.DOTALL)
               if "results/compare/*/results.parquet" in q]
    monkeypatch.chdir(compared)  # the README's relative path
    found = duckdb.sql(query).df()
    for name, results in direct.items():
        tier3 = np.asarray(results.tiers) == 3
        diverted = results.metric("diverted_received_tpp")[:, :, tier3].sum(axis=(0, 1))
        expected = dict(zip(np.asarray(results.countries)[tier3], diverted / H100E_TPP / 2,
                            strict=True))
        rows = found[found["scenario"] == name]
        assert dict(zip(rows["country"], rows["diverted_h100e"], strict=True)) == (
            pytest.approx(expected))
    assert set(found["scenario"]) == set(COMPARED)


def test_sim_run_writes_by_country_in_h100e(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "ai_diffusion_2025.toml"), "--runs", "2", "--seed", "3",
                 "--out", str(out)]) == 0
    assert "by_country.csv" in capsys.readouterr().out
    results = sim.load_results(out / "results.parquet")
    table = pd.read_csv(out / "by_country.csv")
    assert len(table) == len(results.countries) * len(results.dates)
    assert set(table["country"]) == set(results.countries)
    assert all(re.fullmatch(r"[A-Z]{3}", c) for c in table["country"])
    assert list(table.columns[:4]) == ["country", "tier", "region", "date"]
    regions = dict(zip(table["country"], table["region"], strict=False))
    assert regions["CHN"] == "East_Asia" and regions["SGP"] == "ASEAN"
    assert regions["DEU"] == "EU" and regions["ARE"] == "Gulf"
    row = table[(table["country"] == "CHN") & (table["date"] == results.dates[10])].iloc[0]
    china = results.countries.index("CHN")
    for metric in ("diverted_received_tpp", "stock_tpp", "unmet_tpp"):
        mean = results.metric(metric)[:, 10, china].mean() / H100E_TPP
        column = metric.removesuffix("_tpp") + "_h100e"
        assert row[column] == pytest.approx(round(mean, 1), abs=1e-9)
    assert row["revenue_usd"] == round(results.metric("revenue_usd")[:, 10, china].mean())
    assert row["tier"] == 3
    by_tier = pd.read_csv(out / "summary_by_tier.csv", index_col="tier")
    assert list(by_tier.index) == [1, 2, 3] and by_tier["countries"].dtype == np.int64
    shipped = table.groupby("tier")["shipped_h100e"].sum()  # flows add up over months
    assert np.allclose(shipped, by_tier["shipped_h100e"], atol=0.05 * len(results.dates) * 26)
