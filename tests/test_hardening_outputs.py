"""Issue 20, outputs: names stay inside --out, every file is atomic, umask, full disk."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest

import sim
import sim.atomic
from sim.cli import main
from sim.experiment.compare import folder_names
from sim.experiment.folders import COMPLETE, MARKER

ROOT = Path(__file__).resolve().parent.parent
CAP = ROOT / "tests" / "data" / "small" / "cap.toml"


def _named(tmp_path: Path, name: str, index: int = 0) -> Path:
    """A scenario extending tests/data/small/cap.toml under another name (a TOML string)."""
    path = tmp_path / f"s{index}.toml"
    path.write_text(f"extends = {json.dumps(str(CAP))}\nname = {json.dumps(name)}\n")
    return path


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if not line.startswith("[")]  # no progress
    assert len(lines) == 1, err
    return lines[0]


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", ["../../x", "/tmp/abs-x", "summary.csv", ".sim-output",
                                  "a" * 300, "nul\u0000name", "..", "  "])
def test_compare_names_stay_inside_out(tmp_path, capsys, name):
    out = tmp_path / "deep" / "er" / "out"
    scenario = _named(tmp_path, name)
    outside = _files(tmp_path)
    assert main(["compare", str(scenario), "--runs", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    created = _files(tmp_path) - outside
    assert created and all(out in p.parents for p in created), created
    results = [p for p in created if p.name == "results.parquet"]
    assert len(results) == 1 and results[0].parent.parent == out
    assert results[0].parent.name.startswith("scenario=")
    assert len(results[0].parent.name.removeprefix("scenario=")) <= 64
    assert sim.load_results(results[0]).scenario_name == name
    assert (out / "summary.csv").is_file() and (out / COMPLETE).is_file()


def test_names_differing_in_case_get_distinct_folders(tmp_path, capsys):
    paths = [_named(tmp_path, n, i) for i, n in enumerate(["Strict", "strict", "a b", "a_b"])]
    out = tmp_path / "out"
    assert main(["compare", *map(str, paths), "--runs", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    folders = sorted(p.parent.name for p in out.glob("*/results.parquet"))
    assert folders == ["scenario=Strict", "scenario=a_b", "scenario=a_b-2", "scenario=strict-2"]


def test_folder_names_rule():
    assert folder_names(["ai_diffusion_2025", "../../x", "", "v1.2", "a=b"]) == [
        "scenario=ai_diffusion_2025", "scenario=x", "scenario=scenario", "scenario=v1_2",
        "scenario=a_b"]


def test_same_name_twice_is_refused_before_writing(tmp_path, capsys):
    paths = [_named(tmp_path, "../x", i) for i in range(2)]
    out = tmp_path / "out"
    assert main(["compare", *map(str, paths), "--runs", "1", "--out", str(out)]) == 2
    assert "twice" in _one_line(capsys.readouterr().err)
    assert not out.exists()


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_written_files_respect_the_umask(tmp_path, capsys, umask):
    previous = os.umask(umask)
    try:
        out = tmp_path / "out"
        assert main(["compare", str(CAP), "--runs", "1", "--out", str(out)]) == 0
    finally:
        os.umask(previous)
    capsys.readouterr()
    files = _files(out)
    assert {p.name for p in files} >= {MARKER, COMPLETE, "summary.csv", "results.parquet",
                                       "outcomes_over_time.png"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path


def _full_disk_on(monkeypatch, suffix: str) -> None:
    """Make every atomic write of a file whose name ends in ``suffix`` hit ENOSPC."""
    real = sim.atomic._write_and_replace

    def write(path, fill):
        if not path.name.endswith(suffix):
            return real(path, fill)

        def fill_then_fail(handle):
            fill(handle)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, fill_then_fail)
    monkeypatch.setattr(sim.atomic, "_write_and_replace", write)


@pytest.mark.parametrize(("command", "suffix"), [
    ("run", "results.parquet"), ("run", "summary_by_tier.csv"), ("compare", "summary.csv"),
    ("compare", ".png"), ("compare", "results.parquet")])
def test_full_disk_is_one_line_and_no_partial_file(tmp_path, capsys, monkeypatch, command,
                                                   suffix):
    _full_disk_on(monkeypatch, suffix)
    out = tmp_path / "out"
    assert main([command, str(CAP), "--runs", "1", "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert suffix in line and "no space left" in line
    assert not [p for p in _files(out) if p.name.endswith((suffix, ".tmp"))]
    assert not (out / COMPLETE).exists()  # visibly incomplete


def test_empty_marker_of_our_folder_is_repaired(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(CAP), "--runs", "1", "--out", str(out)]) == 0
    (out / MARKER).write_bytes(b"")  # as a full disk left it before markers were atomic
    assert main(["run", str(CAP), "--runs", "1", "--out", str(out), "--force"]) == 0
    assert json.loads((out / MARKER).read_text())["kind"] == "run"
    capsys.readouterr()


def test_empty_marker_beside_foreign_files_says_how_to_fix(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_bytes(b"")
    (out / "thesis.tex").write_text("x")
    assert main(["run", str(CAP), "--runs", "1", "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"delete {out / MARKER}" in line
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "thesis.tex"]


def test_rerun_removes_the_completion_record_first(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert main(["run", str(CAP), "--runs", "1", "--out", str(out)]) == 0
    record = json.loads((out / COMPLETE).read_text())
    assert record["files"] == ["results.parquet", "summary_by_tier.csv", "summary_by_region.csv",
                               "by_country.csv", "chips_by_destination.csv", "regimes.csv",
                               "by_region.png"]
    _full_disk_on(monkeypatch, "summary_by_tier.csv")
    assert main(["run", str(CAP), "--runs", "1", "--out", str(out), "--force"]) == 2
    assert not (out / COMPLETE).exists()
    capsys.readouterr()


def test_a_sweep_folder_is_complete_only_once_its_last_output_is_written(tmp_path, capsys,
                                                                         monkeypatch):
    sweep = tmp_path / "tiny.toml"
    sweep.write_text(f'scenario = "{CAP.as_posix()}"\nname = "tiny"\n'
                     '[parameters."enforcement.detection"]\nvalues = [0.1, 0.5]\n'
                     '[design]\nkind = "grid"\nreplicates = 1\nseed = 3\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--out", str(out), "--workers", "1"]) == 0
    record = json.loads((out / COMPLETE).read_text())
    assert {"outcomes.parquet", "summary.csv"} <= set(record["files"])
    capsys.readouterr()
    _full_disk_on(monkeypatch, "summary.csv")
    assert main(["sweep", str(sweep), "--out", str(out), "--workers", "1", "--force"]) == 2
    assert not (out / COMPLETE).exists()  # visibly unfinished
