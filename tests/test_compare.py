"""``sim compare``: summary.csv, the terminal table, figures, and the outcome arithmetic."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.experiment.export import csv_name
from sim.experiment.outcomes import OUTCOMES, outcomes_per_run, tier2_cap_utilisation
from sim.reference import H100E_TPP

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    names = ("no_controls", "ai_diffusion_2025", "strict_enforcement")
    files = [SCENARIOS / f"{n}.toml" for n in names]
    status = main(["compare", *map(str, files), "--runs", "3", "--out", str(out)])
    assert status == 0
    return out


def test_summary_has_every_outcome_with_interval(compared):
    summary = pd.read_csv(compared / "summary.csv")
    assert list(summary["scenario"]) == ["no_controls", "ai_diffusion_2025", "strict_enforcement"]
    for outcome in OUTCOMES:
        for stat in ("mean", "p05", "p95"):
            assert f"{csv_name(outcome)}_{stat}" in summary.columns
    finite = summary.dropna(subset=["tier3_legal_h100e_mean"])
    assert (finite["tier3_legal_h100e_p05"] <= finite["tier3_legal_h100e_mean"]).all()
    assert (finite["tier3_legal_h100e_mean"] <= finite["tier3_legal_h100e_p95"]).all()
    by_name = summary.set_index("scenario")
    assert by_name.loc["no_controls", "tier3_legal_h100e_mean"] > by_name.loc[
        "ai_diffusion_2025", "tier3_legal_h100e_mean"]
    assert np.isnan(by_name.loc["no_controls", "tier2_cap_utilisation_share_mean"])
    assert 0 < by_name.loc["ai_diffusion_2025", "tier2_cap_utilisation_share_mean"] <= 1


def test_results_and_figures_are_written(compared):
    for name in ("no_controls", "ai_diffusion_2025", "strict_enforcement"):
        assert sim.load_results(compared / f"scenario={name}" / "results.parquet").n_runs == 3
    for figure in ("outcomes_over_time.png", "cap_utilisation.png", "diversion_by_transit.png"):
        data = (compared / figure).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, figure


def test_outcome_arithmetic(shipped_scenarios):
    results = sim.ExportControlModel(shipped_scenarios["ai_diffusion_2025"], seed=2).run().results()
    runs = outcomes_per_run(results)
    tiers = np.asarray(results.tiers)
    diverted = results.metric("diverted_received_tpp")[0][:, tiers == 3].sum() / H100E_TPP
    assert runs.loc[0, "tier3_diverted_h100e"] == pytest.approx(diverted)
    utilisation = tier2_cap_utilisation(results)
    index = results.countries.index("IND")
    column = int((tiers[:index] == 2).sum())
    used = results.metric("quota_used_tpp")[0, :, index].max()
    assert utilisation[0, column] == pytest.approx(used / 790_000_000)
    are = int((tiers[: results.countries.index("ARE")] == 2).sum())
    are_used = results.metric("quota_used_tpp")[0, :, results.countries.index("ARE")].max()
    assert utilisation[0, are] == pytest.approx(are_used / 1_580_000_000)  # G2G doubles it


def test_duplicate_scenario_names_are_exit_2(tmp_path, capsys):
    file = str(SCENARIOS / "oct2023.toml")
    assert main(["compare", file, file, "--runs", "1", "--out", str(tmp_path / "o")]) == 2
    assert "twice" in capsys.readouterr().err
