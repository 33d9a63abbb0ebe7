"""``sim run``: results on disk, a summary by tier, one-line errors."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.cli import main

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"


def test_run_writes_results_and_prints_tiers(tmp_path, capsys):
    out = tmp_path / "run"
    status = main(["run", str(SCENARIOS / "ai_diffusion_2025.toml"), "--runs", "1", "--seed", "5",
                   "--out", str(out), "--set", "enforcement.detection=0.2"])
    assert status == 0
    printed = capsys.readouterr().out
    for tier in ("Tier 1", "Tier 2", "Tier 3"):
        assert tier in printed
    results = sim.load_results(out / "results.parquet")
    assert list(results.seeds) == [5]
    assert results.scenario["enforcement"]["detection"] == 0.2
    assert (out / "summary_by_tier.csv").read_text().startswith("tier,countries,")
    direct = sim.ExportControlModel(
        sim.load_scenario(SCENARIOS / "ai_diffusion_2025.toml", {"enforcement.detection": 0.2}),
        seed=5).run().results()
    assert np.array_equal(direct.metric("diverted_tpp"), results.metric("diverted_tpp"))


def test_unwritable_output_is_one_line_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(SCENARIOS / "oct2023.toml"), "--runs", "1",
         "--out", str(blocker / "sub")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert str(blocker / "sub") in done.stderr


def test_bad_override_is_exit_2(capsys):
    status = main(["run", str(SCENARIOS / "oct2023.toml"), "--runs", "1",
                   "--set", "enforcement.detectoin=0.2"])
    assert status == 2
    err = capsys.readouterr().err
    assert "enforcement.detectoin" in err and "did you mean" in err


def test_zero_runs_is_a_usage_error(capsys):
    try:
        main(["run", str(SCENARIOS / "oct2023.toml"), "--runs", "0"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("expected exit 2")
    assert "positive integer" in capsys.readouterr().err


@pytest.mark.parametrize("arguments", [["--seed", "-1"], ["--seed", "x"],
                                       ["--seed", str(2**63 - 1), "--runs", "2"]])
def test_seeds_outside_int64_are_one_line_exit_2(tmp_path, capsys, arguments) -> None:
    scenario = str(Path(__file__).resolve().parent.parent / "scenarios" / "no_controls.toml")
    with pytest.raises(SystemExit) as ended:
        main(["run", scenario, "--out", str(tmp_path / "o"), *arguments])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--seed" in err
