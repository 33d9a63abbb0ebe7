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


# --- contradictory corners of a sweep, refused before any work ------------------------------

WINDOW = ('"rules.tiers_from" = { values = ["2025-03", "2026-06"] }\n'
          '"rules.tiers_until" = { values = ["2026-01", "2027-01"] }')
TIERS = ('"tiers.tier1" = { values = [["USA", "GBR"], ["USA", "SGP"]] }\n'
         '"tiers.tier3" = { values = [["CHN"], ["CHN", "SGP"]] }')


@pytest.mark.parametrize("design", ["grid", "lhs"])
@pytest.mark.parametrize(("parameters", "blamed"), [(WINDOW, "rules.tiers_until"),
                                                    (TIERS, "tiers.tier")],
                         ids=["tiers_from after tiers_until", "a country in two tiers"])
def test_a_contradictory_corner_is_refused_up_front(tmp_path: Path, parameters: str,
                                                    blamed: str, design: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = _sweep(tmp_path, parameters)
    if design != "grid":
        path.write_text(path.read_text().replace('kind = "grid"', f'kind = "{design}"\npoints = 8'))
    for number, one in enumerate(parameters.splitlines()):  # each parameter alone is fine
        (tmp_path / str(number)).mkdir()
        assert load_sweep(_sweep(tmp_path / str(number), one)).points == 2
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}: parameters" in err and blamed in err
    assert "combination" in err and "no point has run" in err
    assert not out.exists()


def test_corners_are_every_combination_of_the_bounds_that_matter() -> None:
    from sim.experiment.parameters import Parameter
    from sim.sweep.spec import MAX_CORNERS, corners

    numbers = Parameter(key="a", values=(3, 1, 2))
    months = Parameter(key="b", values=("2025-01", "2025-06", "2026-01"))
    span = Parameter(key="c", low=0.1, high=0.4)
    assert corners((numbers, months, span)) == [
        {"a": a, "b": b, "c": c} for a in (1, 3) for b in months.values for c in (0.1, 0.4)]
    many = tuple(Parameter(key=f"k{i}", low=0.0, high=1.0) for i in range(9))  # 512 corners
    pairs = corners(many)
    assert MAX_CORNERS < 2**9 and len(pairs) == 36 * 4
    assert {"k0": 0.0, "k8": 1.0} in pairs


def test_replicates_times_points_is_bounded_up_front(tmp_path: Path) -> None:
    path = _sweep(tmp_path, '"enforcement.detection" = { low = 0.1, high = 0.4, levels = '
                            '1000000 }')
    path.write_text(path.read_text().replace("replicates = 1", "replicates = 10000"))
    with pytest.raises(SweepError, match=r"design\.replicates: .*10,000,000 runs") as caught:
        load_sweep(path)  # (the old code went on to run 10**10 runs)
    assert "\n" not in str(caught.value)
    path.write_text(path.read_text().replace("replicates = 10000", "replicates = 10"))
    assert load_sweep(path).points == 10**6  # 10**7 runs in all: allowed


@pytest.mark.parametrize("command", ["run", "compare"])
def test_run_seed_plus_runs_stays_below_2_63(command: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([command, str(SHIPPED), "--seed", str(2**63 - 2), "--runs", "3",
              "--out", str(tmp_path / "out")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--seed" in err and "2**63" in err
    assert not (tmp_path / "out").exists()


# --- control characters in every one-line message ----------------------------------------------

CONTROLS = ["\x1b[31m", "\n", "\r", "\x00", "\x07", "\u202e", "\x9b"]


def _printable_line(text: str) -> bool:
    return text.count("\n") == 1 and text.endswith("\n") and text[:-1].isprintable()


@pytest.mark.parametrize("control", CONTROLS, ids=repr)
def test_every_one_line_error_escapes_control_characters(
        tmp_path: Path, control: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    toml_control = json.dumps(control)[1:-1]  # as a TOML basic string writes it
    bad_key = tmp_path / "key.toml"
    bad_key.write_text(extending(SHIPPED, f'"x{toml_control}y" = 1\n'), encoding="utf-8")
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(f'name = "s"\nscenario = {json.dumps(str(SHIPPED))}\n[design]\n'
                     'kind = "grid"\nreplicates = 1\nseed = 1\n[parameters]\n'
                     f'"rules.cap{toml_control}" = {{ values = [1, 2] }}\n', encoding="utf-8")
    cases = [
        ["check", str(bad_key)],
        ["run", str(bad_key), "--out", str(tmp_path / "o1")],
        ["run", str(tmp_path / f"missing{control}.toml"), "--out", str(tmp_path / "o2")],
        ["run", str(SHIPPED), "--set", f"rules.cap{control}=1", "--out", str(tmp_path / "o3")],
        ["compare", str(SHIPPED), str(bad_key), "--out", str(tmp_path / "o4")],
        ["sweep", str(sweep), "--out", str(tmp_path / "o5")],
        ["calibrate", str(tmp_path / f"targets{control}.toml"), "--out", str(tmp_path / "o6")],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        assert _printable_line(captured.err), (argv, captured.err)
        assert captured.err.startswith("error: ") and not captured.out


@pytest.mark.parametrize("control", CONTROLS, ids=repr)
def test_a_usage_error_escapes_control_characters(control: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["run", str(SHIPPED), f"extra{control}"],
                 ["run", str(SHIPPED), "--runs", f"3{control}"],  # int() took "3\n"
                 ["run", str(SHIPPED), "--runs", "\uff13"]):  # and a full-width 3
        with pytest.raises(SystemExit) as stop:
            main([*argv, "--out", str(tmp_path / "out")])
        assert stop.value.code == 2
        assert _printable_line(capsys.readouterr().err), argv


def test_a_scenario_name_is_printed_escaped(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "named.toml"
    path.write_text(extending(SHIPPED, 'name = "red\\u001b[31m\\nname"\n'), encoding="utf-8")
    assert main(["run", str(path), "--runs", "1", "--set", "time.months=1",
                 "--out", str(tmp_path / "out")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("red\\x1b[31m\\nname: 1 run(s)") and first.isprintable()
