"""Bad input on every command: exit status 2 and one line on stderr, never a traceback.

Fills the gaps left by tests/test_scenario.py, tests/test_cli_check.py and
tests/test_cli_run.py (whose cases are not repeated here): mistakes at every
level of a scenario (unknown keys and wrong types in nested tables, country
tables and named firms, duplicated or unknown countries, broken ``extends``,
absurd nesting and numbers), each through ``sim check``, ``sim run`` and
``sim compare``; output folders that are unwritable or belong to something
else; and results files that are not results files (another format version,
corrupt or truncated Parquet).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from testbase import TEST_BASE, extending

import sim
from sim.cli import main
from sim.experiment.folders import MARKER
from sim.results import FORMAT_VERSION, ResultsError

ROOT = Path(__file__).resolve().parent.parent
BASE = (ROOT / "scenarios" / "base.toml").as_posix()
SMALL = ROOT / "tests" / "data" / "small"
CHILD = f'extends = "{BASE}"\n'

# The test base models no country: an empty [countries] over it leaves none.
EMPTY_COUNTRIES = extending(TEST_BASE, "[countries]\n")

# (scenario text, key the line must name ("" for a whole-file problem), fragment)
BAD_SCENARIOS = [
    pytest.param(CHILD + "[market.firm_demand_h100e]\nbroker = 1\nfrontier = 2\n",
                 "market.firm_demand_h100e.frontier", "unknown key", id="unknown-key-level-3"),
    pytest.param(CHILD + "[countries.USA]\ndemand_scal = 2\n", "countries.USA.demand_scal",
                 "did you mean 'countries.USA.demand_scale'?", id="unknown-key-in-country"),
    pytest.param(CHILD + "[countries.USA.firms]\nbuyers = 2\n", "countries.USA.firms.buyers",
                 "did you mean 'countries.USA.firms.buyer'?", id="unknown-key-level-4"),
    pytest.param(CHILD + "[country_defaults]\nenforcment = 2\n", "country_defaults.enforcment",
                 "did you mean", id="unknown-key-in-defaults"),
    pytest.param(CHILD + '[[firms]]\nname = "A"\nkind = "champion"\nhq = "IND"\n'
                 'status = "none"\nhosts = { IND = 1.0 }\nsize = 3\n', "firms.0.size",
                 "unknown key", id="unknown-key-in-named-firm"),
    pytest.param(CHILD + "time = 3\n", "time", "expected a table, found 3",
                 id="wrong-type-section"),
    pytest.param(CHILD + "[market]\nfirm_demand_h100e = 3\n", "market.firm_demand_h100e",
                 "expected a table", id="wrong-type-nested-section"),
    pytest.param(CHILD + "countries = []\n", "countries", "expected a table",
                 id="wrong-type-countries"),
    pytest.param(CHILD + "[countries]\nUSA = 3\n", "countries.USA", "expected a table",
                 id="wrong-type-country"),
    pytest.param(CHILD + "firms = 3\n", "firms", "expected an array of tables",
                 id="wrong-type-firms"),
    pytest.param(CHILD + "firms = [3]\n", "firms.0", "expected a table", id="wrong-type-firm"),
    pytest.param(CHILD + "[rules]\ntiered_caps = 1\n", "rules.tiered_caps", "true or false",
                 id="wrong-type-bool"),
    pytest.param(CHILD + "[rules]\nnveu_cap_h100e = []\n", "rules.nveu_cap_h100e",
                 "non-empty list", id="empty-list"),
    pytest.param(CHILD + "[rules]\nnveu_cap_h100e = [1, -2]\n", "rules.nveu_cap_h100e",
                 "found [1, -2]", id="negative-in-list"),
    pytest.param(CHILD + '[[firms]]\nname = "A"\nkind = "champion"\nhq = "IND"\n'
                 'status = "none"\nhosts = { IND = -1.0 }\n', "firms.0.hosts",
                 "'IND' = -1.0 is not", id="negative-host-demand"),
    pytest.param(CHILD + '[tiers]\ntier1 = ["USA", "JPN", "USA"]\n', "tiers.tier1",
                 "'USA' is listed twice", id="duplicated-country-in-tier"),
    pytest.param(CHILD + '[tiers]\ntier3 = "tier4_2025"\n', "tiers.tier3",
                 "a list of ISO3 codes or a group in", id="unknown-country-group"),
    pytest.param(CHILD + "[countries.USA]\ng2g = true\n[countries.USA]\ng2g = false\n", "",
                 "malformed TOML", id="duplicated-country-table"),
    pytest.param(CHILD + '[[firms]]\nname = "A"\nkind = "champion"\nhq = "IND"\n'
                 'status = "none"\nhosts = { IND = 1.0, IND = 2.0 }\n', "",
                 "malformed TOML", id="duplicated-host"),
    pytest.param(CHILD + '[[firms]]\nname = "A"\nkind = "champion"\nhq = "ZZZ"\n'
                 'status = "none"\nhosts = { IND = 1.0 }\n', "firms.0.hq",
                 "ISO 3166 alpha-3", id="unknown-country-hq"),
    pytest.param(EMPTY_COUNTRIES, "countries", "at least one modelled country", id="no-countries"),
    pytest.param('extends = "bad.toml"\nname = "self"\n', "extends", "expected no cycle",
                 id="extends-itself"),
    pytest.param('extends = ""\n', "extends", "expected a file name", id="extends-empty"),
    pytest.param('extends = "."\n', "extends", "expected an existing file", id="extends-folder"),
    pytest.param('extends = "' + "x" * 300 + '.toml"\n', "extends", "expected an existing file",
                 id="extends-name-too-long"),
    pytest.param(CHILD + "a = " + "[" * 50 + "]" * 50 + "\n", "", "nested at most",
                 id="nested-too-deep"),
    pytest.param(CHILD + "[time]\nmonths = " + "9" * 5000 + "\n", "", "malformed TOML",
                 id="integer-too-long-to-read"),
    pytest.param(CHILD + "[time]\nmonths = 99999999999999999999999\n", "time.months",
                 "[1, 600]", id="integer-beyond-int64"),
    pytest.param(CHILD + '[time]\nstart = "9999-12"\nmonths = 2\n', "time.start",
                 "ends by 9999-12", id="window-past-9999"),
    pytest.param(CHILD + "[enforcement]\ndetection = nan\n", "enforcement.detection",
                 "found nan", id="nan"),
]


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["check", "run", "compare"])
@pytest.mark.parametrize(("text", "key", "fragment"), BAD_SCENARIOS)
def test_bad_scenario_on_every_command(tmp_path, capsys, command, text, key, fragment):
    path = _write(tmp_path, text)
    out = tmp_path / "out"
    extra = [] if command == "check" else ["--runs", "1", "--out", str(out)]
    assert main([command, str(path), *extra]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"error: {path}: " in line  # names the file
    if key:
        assert f": {key}: " in line  # names the key
    assert fragment in line  # and what is expected:
    assert any(words in line for words in ("expected", "did you mean", "malformed TOML"))
    assert not out.exists()  # nothing written on bad input


def test_file_that_is_not_utf8(tmp_path, capsys):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    assert main(["check", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(path) in line and "UTF-8" in line


def test_bad_set_value_on_run(tmp_path, capsys):
    status = main(["run", str(SMALL / "cap.toml"), "--runs", "1", "--out", str(tmp_path / "o"),
                   "--set", "time.months=abc"])
    assert status == 2
    line = _one_line(capsys.readouterr().err)
    assert "<override>: time.months: expected an integer in [1, 600], found 'abc'" in line


# ----- output folders ----------------------------------------------------------------------


def _run(out: Path, *more: str) -> int:
    return main(["run", str(SMALL / "cap.toml"), "--runs", "1", "--out", str(out), *more])


def test_foreign_folder_is_refused_and_left_alone(tmp_path, capsys):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("precious")
    assert _run(out) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(out) in line
    assert "expected an empty folder or one written by `sim run`" in line
    assert "chapter1.tex" in line
    assert sorted(p.name for p in out.iterdir()) == ["chapter1.tex"]


@pytest.mark.parametrize("command", ["run", "compare"])
def test_foreign_folder_on_both_commands(tmp_path, capsys, command):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".hidden").write_text("")
    status = main([command, str(SMALL / "cap.toml"), "--runs", "1", "--out", str(out)])
    assert status == 2
    line = _one_line(capsys.readouterr().err)
    assert f"expected an empty folder or one written by `sim {command}`" in line


def test_empty_folder_is_accepted_and_a_rerun_needs_force(tmp_path, capsys):
    out = tmp_path / "empty"
    out.mkdir()
    assert _run(out) == 0
    marker = json.loads((out / MARKER).read_text())
    assert marker == {"kind": "run", "version": sim.__version__}
    first = (out / "results.parquet").read_bytes()
    capsys.readouterr()
    assert _run(out, "--seed", "3") == 2  # never two runs in one folder
    line = _one_line(capsys.readouterr().err)
    assert "earlier `sim run`" in line and "--force" in line
    assert (out / "results.parquet").read_bytes() == first  # untouched
    assert _run(out, "--seed", "3", "--force") == 0  # replaced whole
    assert sim.load_results(out / "results.parquet").seeds.tolist() == [3]
    assert json.loads((out / MARKER).read_text()) == marker
    capsys.readouterr()


def test_folder_of_another_command_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compare", str(SMALL / "cap.toml"), "--runs", "1", "--out", str(out)]) == 0
    assert json.loads((out / MARKER).read_text())["kind"] == "compare"
    capsys.readouterr()
    assert _run(out) == 2
    line = _one_line(capsys.readouterr().err)
    assert "expected an empty folder or one written by `sim run`" in line
    assert "found a folder written by `sim compare`" in line


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"version": "0.1.0"}'])
def test_unreadable_marker_is_refused(tmp_path, capsys, content):
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text(content)
    assert _run(out) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(out) in line and MARKER in line


@pytest.mark.parametrize("command", ["run", "compare"])
def test_output_path_that_is_a_file(tmp_path, capsys, command):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for out in (blocker, blocker / "sub"):
        status = main([command, str(SMALL / "cap.toml"), "--runs", "1", "--out", str(out)])
        assert status == 2
        line = _one_line(capsys.readouterr().err)
        assert str(out) in line and "expected a writable output folder" in line


# ----- results files -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def results_file(tmp_path_factory):
    scenario = sim.load_scenario(SMALL / "cap.toml")
    return sim.run_batch(scenario, [0, 1]).save(tmp_path_factory.mktemp("r") / "results.parquet")


def _with_header(source: Path, target: Path, edit) -> Path:
    table = pq.read_table(source)
    header = json.loads(table.schema.metadata[b"sim"])
    metadata = {**table.schema.metadata, b"sim": edit(header)}
    pq.write_table(table.replace_schema_metadata(metadata), target)
    return target


def _bad_results(kind: str, good: Path, tmp_path: Path) -> tuple[Path, str]:
    """Write a bad results file of ``kind``; return it and a fragment its error must show."""
    path = tmp_path / f"{kind}.parquet"
    data = good.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
        return path, "not Parquet or is damaged"
    if kind == "garbage":
        path.write_bytes(b"PAR1" + bytes(range(256)) * 8 + b"PAR1")
        return path, "not Parquet or is damaged"
    if kind == "text":
        path.write_text("seed,step\n1,2\n")
        return path, "not Parquet or is damaged"
    if kind == "empty":
        path.write_bytes(b"")
        return path, "not Parquet or is damaged"
    if kind == "missing":
        return tmp_path / "nowhere.parquet", "expected an existing results file"
    if kind == "no-metadata":
        pq.write_table(pa.table({"a": [1]}), path)
        return path, "without it (not a results file)"
    if kind == "other-version":
        edited = _with_header(good, path, lambda h: json.dumps(
            {**h, "format_version": FORMAT_VERSION + 1}).encode())
        return edited, f"expected results format {FORMAT_VERSION}, found {FORMAT_VERSION + 1}"
    if kind == "metadata-not-json":
        return _with_header(good, path, lambda h: b"{not json"), "expected JSON"
    if kind == "rows-missing":
        table = pq.read_table(good)
        pq.write_table(table.slice(0, table.num_rows - 1), path)
        return path, "matches its metadata"
    assert kind == "column-missing"
    table = pq.read_table(good)
    pq.write_table(table.drop_columns(["stock_tpp"]), path)
    return path, "matches its metadata"


RESULTS_KINDS = ["truncated", "garbage", "text", "empty", "missing", "no-metadata",
                 "other-version", "metadata-not-json", "rows-missing", "column-missing"]


@pytest.mark.parametrize("kind", RESULTS_KINDS)
def test_bad_results_file_raises_results_error(results_file, tmp_path, kind):
    path, fragment = _bad_results(kind, results_file, tmp_path)
    with pytest.raises(ResultsError) as info:
        sim.load_results(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ") and "expected" in message
    assert fragment in message, message


def test_results_error_is_a_value_error_exported_from_sim():
    assert issubclass(sim.ResultsError, ValueError) and "ResultsError" in sim.__all__


@pytest.mark.parametrize("kind", ["truncated", "other-version"])
def test_command_reading_bad_results_exits_2(results_file, tmp_path, capsys, monkeypatch, kind):
    """A command that reads a results file turns ResultsError into exit 2 and one line."""
    path, fragment = _bad_results(kind, results_file, tmp_path)
    import sim.cli.run

    def reads_results(*args, **kwargs):
        sim.load_results(path)
        return 0

    monkeypatch.setattr(sim.cli.run, "run_to_folder", reads_results)
    assert main(["run", str(SMALL / "cap.toml"), "--out", str(tmp_path / "o")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(path) in line and fragment in line


def test_good_results_file_still_loads(results_file):
    results = sim.load_results(results_file)
    assert results.seeds.tolist() == [0, 1] and results.metric("stock_tpp").shape[0] == 2


# --- every input file through the one reader, on its command --------------------------------

INPUT_COMMANDS = [
    pytest.param(["check"], id="check"),
    pytest.param(["run", "--runs", "1"], id="run"),
    pytest.param(["sweep"], id="sweep"),
    pytest.param(["calibrate"], id="calibrate"),
]


def _place(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "input.toml"
    if kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    elif kind == "too-large":
        path.write_text("#" * (1 << 20) + "\n", encoding="utf-8")
    else:  # too deep
        path.write_text("a = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", INPUT_COMMANDS)
@pytest.mark.parametrize("kind", ["device", "folder", "too-large", "too-deep"])
def test_an_unreadable_input_file_is_one_line_on_every_command(tmp_path, capsys, command, kind):
    path = _place(tmp_path, kind)
    out = tmp_path / "out"
    extra = [] if command[0] == "check" else ["--out", str(out)]
    assert main([command[0], str(path), *command[1:], *extra]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"error: {path}: " in line and "expected" in line
    assert not out.exists()
