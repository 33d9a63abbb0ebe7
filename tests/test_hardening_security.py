"""Issue 20 (Hardening II), security: where ``extends`` may lead, and what an error shows.

``extends`` stays inside the loaded scenario's project (the nearest folder
holding ``pyproject.toml`` or ``scenarios/``) or the shipped ``scenarios/``,
unless ``SIM_ALLOW_EXTENDS_ANYWHERE=1``; a file reached through ``extends``
that is not a scenario is refused naming the file only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.confinement import ALLOW_ANYWHERE

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "scenarios" / "ai_diffusion_2025.toml"
SECRET = "hunter2-do-not-show"


@pytest.fixture
def confined(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default: the suite lifts the confinement (tests/conftest.py); put it back."""
    monkeypatch.delenv(ALLOW_ANYWHERE, raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project: pyproject.toml, scenarios/, and a valid scenario outside it."""
    folder = tmp_path / "project"
    (folder / "scenarios" / "sub").mkdir(parents=True)
    (folder / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "outside.toml").write_text(_extends(SHIPPED, 'name = "outside"\n'))
    return folder


def _extends(parent: Path | str, body: str = "") -> str:
    return f"extends = {json.dumps(str(parent))}\n{body}"


def _check(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``sim check`` on ``path``: exit 2 and one line; return that line."""
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("named", ["../../outside.toml", "ABSOLUTE"])
def test_extends_cannot_leave_the_project(confined: None, project: Path, named: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    named = str(project.parent / "outside.toml") if named == "ABSOLUTE" else named
    child = project / "scenarios" / "child.toml"
    child.write_text(_extends(named))
    err = _check(child, capsys)
    assert f"{child}: extends: " in err and "leads outside" in err and ALLOW_ANYWHERE in err


def test_a_symlink_out_of_the_project_is_followed_and_refused(confined: None, project: Path,
                                                             capsys) -> None:
    (project / "scenarios" / "link.toml").symlink_to(project.parent / "outside.toml")
    child = project / "scenarios" / "child.toml"
    child.write_text(_extends("link.toml"))
    assert "leads outside" in _check(child, capsys)


def test_extends_may_reach_anywhere_in_the_project_and_the_shipped_scenarios(
        confined: None, project: Path) -> None:
    (project / "common").mkdir()
    (project / "common" / "parent.toml").write_text(_extends(SHIPPED, 'name = "parent"\n'))
    child = project / "scenarios" / "sub" / "child.toml"
    child.write_text(_extends("../../common/parent.toml", 'description = "c"\n'))
    assert load_scenario(child).name == "parent"
    loose = project.parent / "loose.toml"  # no project at all: the shipped ones still
    loose.write_text(_extends(SHIPPED, 'name = "loose"\n'))
    assert load_scenario(loose).name == "loose"


def test_the_documented_variable_lifts_the_confinement(confined: None, project: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    child = project / "scenarios" / "child.toml"
    child.write_text(_extends("../../outside.toml"))
    with pytest.raises(ScenarioError, match="leads outside"):
        load_scenario(child)
    monkeypatch.setenv(ALLOW_ANYWHERE, "1")
    assert load_scenario(child).name == "outside"


@pytest.mark.parametrize(("name", "text"), [
    ("secrets.toml", f'password = "{SECRET}"\n'),
    ("pyproject.toml", f'[project]\nname = "{SECRET}"\n'),
    ("notes.txt", f'name = "{SECRET}"\n'),
    ("data.toml", f'[[rows]]\nvalue = "{SECRET}"\n'),
], ids=["secrets", "pyproject", "not-toml", "data"])
def test_a_file_that_is_not_a_scenario_is_named_and_nothing_of_it_shown(
        confined: None, project: Path, name: str, text: str, capsys) -> None:
    target = project / "scenarios" / name if name != "pyproject.toml" else project / name
    target.write_text(text)
    child = project / "scenarios" / "child.toml"
    child.write_text(_extends(Path("..", name) if name == "pyproject.toml" else name))
    err = _check(child, capsys)
    assert f"{target}: expected a scenario file (extended by child.toml)" in err
    assert SECRET not in err and "password" not in err and "rows" not in err


def test_a_system_file_is_refused_without_a_word_of_it(confined: None, project: Path,
                                                       capsys, monkeypatch) -> None:
    child = project / "scenarios" / "child.toml"
    child.write_text(_extends("/etc/passwd"))
    assert "leads outside" in _check(child, capsys)
    monkeypatch.setenv(ALLOW_ANYWHERE, "1")  # even when allowed: not a scenario
    err = _check(child, capsys)
    assert "/etc/passwd: expected a scenario file" in err and "root" not in err
