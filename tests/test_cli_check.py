"""Tests for ``python -m sim check`` and the command line's handling of user mistakes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_scenario import BAD, BAD_CASES, BLAMED, ROOT, SHIPPED

from sim.cli import main


def _sim(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- subprocess: the real entry point -------------------------------------------------------


def test_check_shipped_scenarios_in_a_subprocess() -> None:
    result = _sim("check", *map(_relative, SHIPPED))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == len(SHIPPED)
    for line, path in zip(lines, SHIPPED, strict=True):
        assert line.startswith("ok")
        assert _relative(path) in line


def test_check_bad_file_in_a_subprocess() -> None:
    result = _sim("check", _relative(BAD / "typo_nested_key.toml"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert "typo_nested_key.toml" in line
    assert "rules.chip_rul" in line


def test_help_lists_the_commands_in_a_subprocess() -> None:
    result = _sim("--help")
    assert result.returncode == 0
    for command in ("run", "compare", "sweep", "check"):
        assert command in result.stdout


# --- in process ------------------------------------------------------------------------------


@pytest.mark.parametrize(("filename", "key", "fragment"), BAD_CASES, ids=lambda v: str(v))
def test_check_bad_file(
    filename: str, key: str | None, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["check", str(BAD / filename)])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    [line] = err.splitlines()
    assert line.startswith("error: ")
    assert BLAMED.get(filename, filename) in line
    assert filename in line
    assert fragment in line
    if key is not None:
        assert f": {key}: " in line


def test_good_file_still_reported_beside_a_bad_one(capsys: pytest.CaptureFixture[str]) -> None:
    good = SHIPPED[0]
    status = main(["check", str(BAD / "negative_cap.toml"), str(good)])
    out, err = capsys.readouterr()
    assert status == 2
    [ok] = out.splitlines()
    assert ok.startswith("ok") and str(good) in ok
    [line] = err.splitlines()
    assert "negative_cap.toml" in line and "rules.cap_tpp" in line


def test_check_applies_set(capsys: pytest.CaptureFixture[str]) -> None:
    base = str(ROOT / "scenarios" / "base.toml")
    assert main(["check", base]) == 0
    plain = capsys.readouterr().out
    assert main(["check", base, "--set", "enforcement.detection=0.3"]) == 0
    changed = capsys.readouterr().out
    assert plain.split("digest")[1] != changed.split("digest")[1]


def test_check_bad_set_value(capsys: pytest.CaptureFixture[str]) -> None:
    base = str(ROOT / "scenarios" / "base.toml")
    assert main(["check", base, "--set", "enforcement.detection=2"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert "<override>: enforcement.detection:" in line


def test_set_without_equals_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    shipped = [str(p) for p in SHIPPED[:2]]
    assert main(["check", *shipped, "--set", "enforcement.detection"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert "expected KEY=VALUE" in line


def test_unknown_subcommand_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert "frobnicate" in line


def test_missing_subcommand_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "command" in line


def test_check_without_files_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check"])
    assert info.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_check_a_folder_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(BAD)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert str(BAD) in line


def test_output_cut_short_by_a_closed_pipe_is_no_traceback():
    scenarios = sorted(str(p) for p in (Path(__file__).resolve().parent.parent
                                        / "scenarios").glob("*.toml"))
    reader, writer = os.pipe()
    os.close(reader)  # like `| head` that has stopped reading
    done = subprocess.run([sys.executable, "-m", "sim", "check", *scenarios * 50],
                          stdout=writer, stderr=subprocess.PIPE, text=True, check=False)
    os.close(writer)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1
