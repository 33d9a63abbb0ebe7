"""The scripts in experiments/ run as a user would run them, on small inputs."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
EXPERIMENTS = REPO / "experiments"
SWEEPS = REPO / "tests" / "data" / "sweeps"


def _run_script(name: str, *arguments: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", [name, *arguments])
    with pytest.raises(SystemExit) as ended:
        runpy.run_path(str(EXPERIMENTS / name), run_name="__main__")
    return ended.value.code


def test_compare_vintages_writes_summary_and_figures(tmp_path: Path, monkeypatch) -> None:
    assert _run_script("compare_vintages.py", "--runs", "2", "--out", str(tmp_path),
                       monkeypatch=monkeypatch) == 0
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert list(summary["scenario"]) == ["no_controls", "oct2022", "oct2023",
                                         "ai_diffusion_2025", "diffusion_rescinded_2025"]
    assert (tmp_path / "outcomes_over_time.png").stat().st_size > 10_000
    differences = pd.read_csv(tmp_path / "differences.csv")
    assert set(differences["baseline"]) == {"no_controls"}
    assert (tmp_path / "differences.png").stat().st_size > 10_000


def test_enforcement_vs_cap_draws_the_surface(tmp_path: Path, monkeypatch) -> None:
    quick = REPO / "scenarios" / "sweeps" / "quick.toml"
    assert _run_script("enforcement_vs_cap.py", "--sweep", str(quick), "--out", str(tmp_path),
                       "--workers", "1", monkeypatch=monkeypatch) == 0
    assert (tmp_path / "enforcement_vs_cap.png").stat().st_size > 10_000


def test_hub_displacement_prints_the_balance_and_draws_the_figure(tmp_path: Path, monkeypatch,
                                                                  capsys) -> None:
    assert _run_script("hub_displacement.py", "--runs", "2", "--factors", "1", "10",
                       "--out", str(tmp_path), monkeypatch=monkeypatch) == 0
    out = capsys.readouterr().out
    assert "SGP enforcement x10" in out and "brokers entered" in out
    assert (tmp_path / "hub_displacement.png").stat().st_size > 10_000


def test_hub_displacement_refuses_an_unknown_hub_in_one_line(monkeypatch, capsys) -> None:
    assert _run_script("hub_displacement.py", "--hub", "XXX", "--runs", "1",
                       monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--hub XXX" in err


def test_diversion_sensitivity_ranks_parameters(tmp_path: Path, monkeypatch, capsys) -> None:
    assert _run_script("diversion_sensitivity.py", "--sweep", str(SWEEPS / "tiny_saltelli.toml"),
                       "--out", str(tmp_path), "--workers", "1", monkeypatch=monkeypatch) == 0
    out = capsys.readouterr().out
    assert "enforcement.detection" in out and "diversion.broker_appetite" in out
    assert (tmp_path / "sobol_indices.png").exists()


def test_cluster_sweep_dry_run_prints_a_slurm_job_script(monkeypatch, capsys) -> None:
    assert _run_script("cluster_sweep.py", str(SWEEPS / "small.toml"), "--dry-run",
                       "--queue", "normal", "--account", "proj-42", "--cores", "4",
                       "--processes", "4", monkeypatch=monkeypatch) == 0
    script = capsys.readouterr().out
    assert "#SBATCH -p normal" in script and "#SBATCH -A proj-42" in script
    assert "--nworkers 4" in script and "OMP_NUM_THREADS=1" in script


def test_cluster_sweep_refuses_a_bad_sweep_before_submitting(tmp_path: Path, monkeypatch,
                                                             capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n')
    assert _run_script("cluster_sweep.py", str(bad), "--dry-run", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(bad) in err


def test_parameter_uncertainty_runs_seeds_and_draws_and_draws_both(tmp_path: Path, monkeypatch,
                                                                  capsys) -> None:
    assert _run_script("parameter_uncertainty.py", "--runs", "4", "--draws", "2",
                       "--scenarios", "oct2023", "--out", str(tmp_path),
                       monkeypatch=monkeypatch) == 0
    table = pd.read_csv(tmp_path / "intervals.csv")
    assert set(table["runs"]) == {"seeds only (calibrated defaults)", "posterior draws x seeds"}
    kinds = table.groupby("runs")["n"].unique()
    assert list(kinds["seeds only (calibrated defaults)"]) == [4]
    assert list(kinds["posterior draws x seeds"]) == [8]  # 2 draws x the same 4 seeds
    assert (table["p05"] <= table["median"]).all() and (table["median"] <= table["p95"]).all()
    assert (tmp_path / "parameter_uncertainty.png").stat().st_size > 10_000
    assert "as wide" in capsys.readouterr().out


def test_parameter_uncertainty_refuses_a_bad_scenario_in_one_line(monkeypatch, capsys) -> None:
    assert _run_script("parameter_uncertainty.py", "--scenarios", "nope", "--runs", "2",
                       "--draws", "1", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scenarios" in err and "'nope'" in err


def test_validate_reuse_matches_a_posterior_pickled_in_another_checkout(tmp_path: Path) -> None:
    import shutil

    from sim.calibration.targets import load_targets

    validate = runpy.run_path(str(EXPERIMENTS / "validate.py"), run_name="validate")
    shutil.copytree(REPO / "scenarios", tmp_path / "scenarios")
    there = load_targets(tmp_path / "scenarios" / "targets" / "published.toml")
    here = load_targets(validate["TARGETS"])
    assert validate["_in_checkout"](there) == here.relative_to(REPO)
    assert validate["_in_checkout"](here) == here.relative_to(REPO)
