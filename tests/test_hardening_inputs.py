"""Issue 20 (Hardening II): inputs accepted silently, echoed raw, or unbounded.

Months are ASCII ``YYYY-MM`` on every path; sweep values are scalars of one
type (or the kinds the key's schema allows); ``sim check`` prints a scenario
name escaped, one line per file; counts on the command line are bounded up
front with one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testbase import extending

from sim.cli import main
from sim.scenario import ScenarioError, load_scenario
from sim.sweep.errors import SweepError
from sim.sweep.spec import load_sweep

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "scenarios" / "ai_diffusion_2025.toml"

BAD_MONTHS = ["２０２５-05", "٢٠٢٥-05", "2025-05\n", "2025-0²", " 2025-05", "2025-5", "2025-05-01"]


@pytest.mark.parametrize("month", BAD_MONTHS)
@pytest.mark.parametrize("key", ["time.start", "rules.tiers_from", "rules.tiers_until"])
def test_set_refuses_a_month_that_is_not_ascii_yyyy_mm(key: str, month: str) -> None:
    with pytest.raises(ScenarioError, match="YYYY-MM"):
        load_scenario(SHIPPED, {key: month})


@pytest.mark.parametrize("month", BAD_MONTHS)
def test_a_timeline_date_or_value_must_be_an_ascii_month(tmp_path: Path, month: str) -> None:
    for entry in (f'date = {month!r}\nset = {{ "enforcement.detection" = 0.3 }}',
                  f'date = "2025-06"\nset = {{ "rules.tiers_from" = {month!r} }}'):
        path = tmp_path / "s.toml"
        body = f'[[timeline]]\nsource = "test"\n{entry}\n'.replace("'", '"').replace("\n\"", '\\n"')
        path.write_text(extending(SHIPPED, body), encoding="utf-8")
        with pytest.raises(ScenarioError, match="YYYY-MM"):
            load_scenario(path)


def _sweep(tmp_path: Path, parameters: str, extra: str = "") -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(
        f'name = "t"\nscenario = {str(SHIPPED)!r}\n[design]\nkind = "grid"\nreplicates = 1\n'
        f'seed = 1\n[parameters]\n{parameters}\n{extra}'.replace("'", '"'), encoding="utf-8")
    return path


@pytest.mark.parametrize("values", [
    '[[0.1, 0.2], [0.3, 0.4]]', '[{ a = 1 }, { a = 2 }]', '[0.1, "0.2"]', '[0.1, true]',
    '["2025-05", 3]'])
def test_sweep_values_must_be_scalars_of_one_type(tmp_path: Path, values: str) -> None:
    key = '"enforcement.detection"' if "2025" not in values else '"rules.tiers_from"'
    path = _sweep(tmp_path, f"{key} = {{ values = {values} }}")
    with pytest.raises(SweepError, match="values"):
        load_sweep(path)


def test_sweep_values_may_be_lists_where_the_schema_takes_lists(tmp_path: Path) -> None:
    path = _sweep(tmp_path, '"tiers.tier3" = { values = [["CHN"], ["CHN", "RUS"]] }')
    assert load_sweep(path).points == 2


def test_set_table_values_must_be_scalars(tmp_path: Path) -> None:
    path = _sweep(tmp_path, '"enforcement.detection" = { values = [0.1, 0.2] }',
                  '[set]\n"enforcement.measures_multiplier" = [1.0, 2.0]\n')
    with pytest.raises(SweepError, match="set"):
        load_sweep(path)


@pytest.mark.parametrize("name", ["a\nb", "x\x1b[31mred", "nul\x00x", "bell\x07"])
def test_check_escapes_the_scenario_name(tmp_path: Path, name: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.toml"
    path.write_text(extending(SHIPPED, f"name = {json.dumps(name)}\n"), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert all(c == "\n" or c.isprintable() for c in out)


@pytest.mark.parametrize("argv", [
    ["run", str(SHIPPED), "--runs", str(10**12)],
    ["compare", str(SHIPPED), "--runs", str(10**12)],
    ["calibrate", "x.toml", "--draws", str(10**9)],
    ["calibrate", "x.toml", "--moves", str(10**9)],
    ["calibrate", "x.toml", "--replicates", str(10**9)],
    ["calibrate", "x.toml", "--rounds", str(10**9)],
])
def test_counts_are_bounded_up_front(argv: list[str], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--out", str(tmp_path / "out")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "10000000" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_calibrate_seed_plus_replicates_stays_in_int64(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    targets = ROOT / "scenarios" / "targets"
    target = next(iter(sorted(targets.glob("*.toml"))))
    status = main(["calibrate", str(target), "--seed", str(2**63 - 2), "--replicates", "3",
                   "--out", str(tmp_path / "out")])
    assert status == 2
    err = capsys.readouterr().err
    assert "--seed" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
