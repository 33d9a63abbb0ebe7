"""Output folders (issue 17, part 4): one folder, one run; ``--force`` replaces ours whole.

Every command writes a fresh, complete folder or refuses with one line; a
rerun into a folder of its own kind needs ``--force`` and then replaces it
whole, so no folder ever mixes two runs; ``--force`` never touches a folder
another command or someone else wrote. ``sim sweep`` resumes its own folder
(the same sweep) and ``--force`` starts it afresh. Also: ``compare``'s own
default folder, ``--set`` on ``compare``, defaults in every ``--help``, and
``sim check`` on every kind of input file.
"""

from __future__ import annotations

import argparse
import fcntl
import json
from pathlib import Path

import pytest

import sim
from sim.cli import build_parser, main
from sim.experiment.compare import default_folder
from sim.experiment.errors import OutputError
from sim.experiment.folders import COMPLETE, MARKER, prepare_output

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "small"
CAP, FREE = SMALL / "cap.toml", SMALL / "free.toml"
TARGETS = ROOT / "scenarios" / "targets" / "published.toml"
SWEEP = ROOT / "scenarios" / "sweeps" / "quick.toml"


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _compare(out: Path | None, *paths: Path, more: tuple[str, ...] = ()) -> int:
    where = [] if out is None else ["--out", str(out)]
    return main(["compare", *map(str, paths), "--runs", "1", *where, *more])


# --- a rerun: refused without --force, replaced whole with it -------------------------------


def test_compare_rerun_is_refused_and_force_replaces_the_folder_whole(tmp_path, capsys):
    out = tmp_path / "out"
    assert _compare(out, CAP, FREE) == 0
    assert (out / "scenario=free" / "results.parquet").is_file()
    before = _tree(out)
    capsys.readouterr()
    # a second comparison of other scenarios: refused, the first left as it was
    assert _compare(out, CAP) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(out) in line and "earlier `sim compare`" in line and "--force" in line
    assert _tree(out) == before
    # with --force: replaced whole, so the stale scenario folder is gone
    assert _compare(out, CAP, more=("--force",)) == 0
    capsys.readouterr()
    assert not (out / "scenario=free").exists()
    assert sorted(p.parent.name for p in out.glob("*/results.parquet")) == ["scenario=cap"]
    record = json.loads((out / COMPLETE).read_text())
    assert "scenario=free/results.parquet" not in record["files"]
    assert json.loads((out / MARKER).read_text())["kind"] == "compare"


def test_an_unfinished_folder_of_ours_needs_force_too(tmp_path, capsys):
    out = prepare_output(tmp_path / "out", "run")
    (out / "results.parquet").write_bytes(b"half")  # a writer stopped before the record
    assert main(["run", str(CAP), "--runs", "1", "--out", str(out)]) == 2
    assert "unfinished results of an earlier `sim run`" in _one_line(capsys.readouterr().err)
    assert main(["run", str(CAP), "--runs", "1", "--out", str(out), "--force"]) == 0
    capsys.readouterr()
    assert sim.load_results(out / "results.parquet").seeds.tolist() == [0]
    assert (out / COMPLETE).is_file()


def test_a_folder_holding_only_the_marker_counts_as_empty(tmp_path, capsys):
    out = prepare_output(tmp_path / "out", "run")  # a run that stopped right after it began
    assert main(["run", str(CAP), "--runs", "1", "--out", str(out)]) == 0
    capsys.readouterr()


def test_calibrate_rerun_is_refused_before_any_work(tmp_path, capsys):
    out = prepare_output(tmp_path / "out", "calibrate")
    (out / "accepted.csv").write_text("x\n")
    assert main(["calibrate", str(TARGETS), "--out", str(out), "--draws", "4"]) == 2
    assert "earlier `sim calibrate`" in _one_line(capsys.readouterr().err)
    assert (out / "accepted.csv").read_text() == "x\n"


# --- --force never takes a folder that is not its own ---------------------------------------


@pytest.mark.parametrize("command", ["run", "compare", "calibrate", "sweep"])
def test_force_never_replaces_someone_elses_folder(tmp_path, capsys, command):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    inputs = {"run": [str(CAP), "--runs", "1"], "compare": [str(CAP), "--runs", "1"],
              "calibrate": [str(TARGETS)], "sweep": [str(SWEEP)]}[command]
    assert main([command, *inputs, "--out", str(out), "--force"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"one written by `sim {command}`" in line
    assert _tree(out) == {"thesis.tex": b"years of work"}


@pytest.mark.parametrize(("command", "other"), [("run", "compare"), ("compare", "run"),
                                                ("sweep", "run"), ("calibrate", "sweep")])
def test_force_never_replaces_another_commands_folder(tmp_path, capsys, command, other):
    out = prepare_output(tmp_path / "out", other)
    (out / "summary.csv").write_text("kept\n")
    inputs = {"run": [str(CAP), "--runs", "1"], "compare": [str(CAP), "--runs", "1"],
              "calibrate": [str(TARGETS)], "sweep": [str(SWEEP)]}[command]
    assert main([command, *inputs, "--out", str(out), "--force"]) == 2
    assert f"found a folder written by `sim {other}`" in _one_line(capsys.readouterr().err)
    assert (out / "summary.csv").read_text() == "kept\n"


# --- sweeps: resumable; --force starts afresh -----------------------------------------------


def test_a_sweep_folder_is_resumed_without_force_and_emptied_with_it(tmp_path):
    out = prepare_output(tmp_path / "out", "sweep")
    (out / "manifest.json").write_text("{}")
    assert prepare_output(out, "sweep") == out  # resumed: the store decides what is reusable
    assert (out / "manifest.json").is_file()
    prepare_output(out, "sweep", force=True)
    assert sorted(p.name for p in out.iterdir()) == [MARKER]


def test_force_waits_for_no_one_and_never_empties_a_folder_being_written(tmp_path):
    out = prepare_output(tmp_path / "out", "sweep")
    (out / "outcomes.parquet").write_bytes(b"rows")
    with open(out / ".sweep.lock", "a+", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running sweep holds it
        with pytest.raises(OutputError, match="held by a running one"):
            prepare_output(out, "sweep", force=True)
    assert (out / "outcomes.parquet").read_bytes() == b"rows"
    prepare_output(out, "sweep", force=True)  # released: now it is emptied
    assert not (out / "outcomes.parquet").exists()


# --- compare: its own default folder, and --set ---------------------------------------------


def test_compare_without_out_gets_its_own_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _compare(None, CAP, FREE) == 0
    printed = capsys.readouterr().out
    folder = Path("results") / "compare-cap-vs-free"
    assert (folder / "summary.csv").is_file() and (folder / COMPLETE).is_file()
    assert not Path("results/compare").exists()  # the README's main job keeps its folder
    assert str(folder / "summary.csv") in printed
    assert _compare(None, CAP) == 0  # another comparison: another folder, no refusal
    capsys.readouterr()
    assert (Path("results") / "compare-cap" / "summary.csv").is_file()


def test_default_folder_rule():
    assert default_folder(["no_controls", "ai_diffusion_2025"]) == Path(
        "results/compare-no_controls-vs-ai_diffusion_2025")
    many = [f"scenario_number_{k}" for k in range(7)]
    assert default_folder(many) == Path("results/compare-scenario_number_0-and-6-more")
    assert default_folder(["../x y"], Path("r")) == Path("r/compare-x_y")


def test_compare_accepts_set_for_every_scenario(tmp_path, capsys):
    out = tmp_path / "out"
    assert _compare(out, CAP, FREE, more=("--set", "time.months=2")) == 0
    capsys.readouterr()
    for name in ("cap", "free"):
        assert len(sim.load_results(out / f"scenario={name}" / "results.parquet").dates) == 2


def test_compare_set_error_is_one_line(tmp_path, capsys):
    assert _compare(tmp_path / "out", CAP, more=("--set", "time.months=zero")) == 2
    assert "time.months" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


# --- every --help shows the defaults --------------------------------------------------------


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "calibrate", "check", "discover"])
def test_help_shows_every_default(command, capsys):
    sub = _subparsers()[command]
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for action in sub._actions:
        if not action.option_strings or argparse.SUPPRESS in (action.help, action.default):
            continue
        if isinstance(action.default, bool) or action.default in (None, []):
            if action.dest in ("out", "workers", "scheduler"):  # defaults set elsewhere
                assert "default" in (action.help or ""), action.dest
            continue
        assert f"(default: {action.default})" in text, (command, action.dest)


# --- sim check: scenario, sweep and targets files -------------------------------------------


def test_check_names_the_kind_of_each_file(capsys):
    scenario = ROOT / "scenarios" / "base.toml"
    assert main(["check", str(scenario), str(SWEEP), str(TARGETS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[2].split()[0] for line in lines] == ["scenario", "sweep", "targets"]
    assert "9 points x 4 replicates" in lines[1]
    assert "18 targets" in lines[2]


def test_check_reports_a_sweep_mistake_as_a_sweep_mistake(tmp_path, capsys):
    sweep = tmp_path / "bad_sweep.toml"
    sweep.write_text(SWEEP.read_text().replace("[design]", "[design]\nkindd = 'grid'")
                     .replace('"../ai_diffusion_2025.toml"',
                              f'"{ROOT / "scenarios" / "ai_diffusion_2025.toml"}"'))
    assert main(["check", str(sweep)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "bad_sweep.toml: design.kindd: unknown key" in line  # not "scenario: unknown key"


def test_check_refuses_set_on_a_sweep_file(capsys):
    assert main(["check", str(SWEEP), "--set", "enforcement.detection=0.3"]) == 2
    assert "[set] table" in _one_line(capsys.readouterr().err)


def test_check_applies_set_to_a_targets_file(capsys):
    assert main(["check", str(TARGETS), "--set", "rules.cap_tpp=-1"]) == 2
    assert "cap_tpp" in _one_line(capsys.readouterr().err)
