"""Tests for sim.scenario: loading, ``extends``, overrides, digests and every error path."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Scenario, ScenarioError, load_scenario
from sim.reference import transit_hubs

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASE = SCENARIOS / "base.toml"
BAD = Path(__file__).resolve().parent / "data" / "bad"
SHIPPED = sorted(SCENARIOS.glob("*.toml"))

# (file in tests/data/bad, key path the message must name (None: whole file), expected fragment)
BAD_CASES = [
    ("malformed_toml.toml", None, "line 5"),
    ("unknown_top_key.toml", "horizon", "unknown key"),
    ("typo_nested_key.toml", "rules.chip_rul", "did you mean 'rules.chip_rule'?"),
    ("wrong_type.toml", "market.chips.H100.capacity_chips", "expected an integer"),
    ("probability_out_of_range.toml", "enforcement.detection", "[0.0, 1.0], found 1.5"),
    ("negative_cap.toml", "rules.cap_tpp", "found -5"),
    ("zero_months.toml", "time.months", "[1, 600], found 0"),
    ("unknown_country_key.toml", "countries.XXX", "ISO 3166 alpha-3"),
    ("unknown_tier_code.toml", "tiers.tier1", "'QQQ' is not one"),
    ("tier1_and_tier3.toml", "tiers.tier1", "CHN in both tier1 and tier3"),
    ("unknown_chip.toml", "market.domestic_chip", "found 'H9000'"),
    ("cycle_a.toml", "extends", "expected no cycle"),
    ("cycle_b.toml", "extends", "expected no cycle"),
    ("missing_parent.toml", "extends", "'no_such_parent.toml'"),
    ("extends_not_string.toml", "extends", "expected a file name, found 3"),
    ("bad_month.toml", "time.start", "found '2025-13'"),
    ("nveu_two_hosts.toml", "firms.0.hosts", "NVEU with one host"),
    ("host_not_modelled.toml", "firms.0.hosts.GRL", "expected a modelled country"),
    ("unknown_enum.toml", "rules.allocation", "found 'lottery'"),
    ("demand_overflow.toml", "market.firm_demand_h100e.buyer", "overflow"),
    ("bad_country_defaults.toml", "country_defaults.transit", "found -1.0"),
    ("duplicate_firm_name.toml", "firms.1.name", "found 'Twin' twice"),
]

# A cycle is blamed on the file whose ``extends`` closes it, not the one loaded.
BLAMED = {"cycle_a.toml": "cycle_b.toml", "cycle_b.toml": "cycle_a.toml"}


def _error(path: Path, overrides: dict[str, Any] | None = None) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return info.value


def _child(tmp_path: Path, body: str, name: str = "child.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{BASE.as_posix()}"\n{body}', encoding="utf-8")
    return path


# --- shipped scenarios ----------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.name == path.stem
    assert scenario.country_codes == tuple(sorted(scenario.countries))
    assert re.fullmatch(r"[0-9a-f]{64}", scenario.digest())


def test_shipped_scenarios_are_distinct() -> None:
    digests = {load_scenario(path).digest() for path in SHIPPED}
    assert len(digests) == len(SHIPPED)


# --- digest ---------------------------------------------------------------------------------


def test_digest_is_stable_across_loads() -> None:
    assert load_scenario(BASE).digest() == load_scenario(BASE).digest()


def test_digest_changes_with_an_override() -> None:
    plain = load_scenario(BASE).digest()
    assert load_scenario(BASE, {"enforcement.detection": 0.3}).digest() != plain


def test_digest_ignores_comments_and_file_name(tmp_path: Path) -> None:
    copy = tmp_path / "renamed.toml"
    text = BASE.read_text(encoding="utf-8")
    copy.write_text("# an added comment\n" + text.replace("\n[", "\n# another\n["), "utf-8")
    assert load_scenario(copy).digest() == load_scenario(BASE).digest()


def test_digest_ignores_the_extends_chain(tmp_path: Path) -> None:
    child = _child(tmp_path, "")
    assert load_scenario(child).digest() == load_scenario(BASE).digest()


# --- overrides ------------------------------------------------------------------------------


def test_override_with_a_float() -> None:
    scenario = load_scenario(BASE, {"enforcement.detection": 0.3})
    assert scenario.enforcement.detection == 0.3
    assert isinstance(scenario.enforcement.detection, float)


def test_integer_for_a_float_field_becomes_a_float(tmp_path: Path) -> None:
    scenario = load_scenario(BASE, {"enforcement.measures_multiplier": 2})
    assert scenario.enforcement.measures_multiplier == 2.0
    assert isinstance(scenario.enforcement.measures_multiplier, float)
    child = load_scenario(_child(tmp_path, "[enforcement]\ndetection = 0\n"))
    assert isinstance(child.enforcement.detection, float)


def test_override_string_is_parsed_to_the_field_type() -> None:
    scenario = load_scenario(BASE, {"enforcement.detection": "0.3", "time.months": "12"})
    assert scenario.enforcement.detection == 0.3
    assert isinstance(scenario.enforcement.detection, float)
    assert scenario.time.months == 12
    assert isinstance(scenario.time.months, int)


def test_override_of_one_country() -> None:
    scenario = load_scenario(BASE, {"countries.SGP.enforcement": "2.5"})
    assert scenario.countries["SGP"].enforcement == 2.5
    assert scenario.countries["MYS"].enforcement == 1.0


def test_override_of_country_defaults_reaches_countries_without_their_own() -> None:
    base = load_scenario(BASE)
    scenario = load_scenario(BASE, {"country_defaults.transit": "4.0"})
    # A country's own transit, or its row of transit_hubs.csv, beats the defaults.
    own = {code for code, c in base.countries.items() if c.transit != 1.0} | set(transit_hubs())
    assert own >= {"SGP", "MYS", "ARE"} and len(own) < len(base.countries)
    for code, country in scenario.countries.items():
        expected = base.countries[code].transit if code in own else 4.0
        assert country.transit == expected, code


def test_override_of_a_string_field_stays_a_string() -> None:
    scenario = load_scenario(BASE, {"rules.allocation": "first_come"})
    assert scenario.rules.allocation == "first_come"
    never = load_scenario(BASE, {"rules.tiers_until": ""})
    assert never.rules.tiers_until == ""


def test_override_of_a_country_list_by_group_name() -> None:
    scenario = load_scenario(BASE, {"tiers.tier1": "chip4"})
    assert scenario.tiers.tier1 == "chip4"          # kept by name, read on each day
    assert scenario.tiers.members()[0] == {"USA", "JPN", "KOR", "TWN"}
    embargo = load_scenario(BASE, {"rules.embargoed": "chip4"})
    assert embargo.rules.embargoed == ("JPN", "KOR", "TWN", "USA")  # other lists resolve


def test_unknown_override_key_suggests_the_nearest() -> None:
    error = _error(BASE, {"enforcement.detektion": 0.3})
    assert error.file == "<override>"
    assert "enforcement.detektion" in str(error)
    assert "did you mean 'enforcement.detection'?" in str(error)


def test_override_of_a_country_that_is_not_modelled_raises() -> None:
    # Greenland: an ISO 3166 code but not an importer, so base.toml's world lacks it.
    error = _error(BASE, {"countries.GRL.enforcement": "2.0"})
    assert error.file == "<override>"
    assert "countries.GRL" in str(error)


def test_bad_override_value_names_the_override() -> None:
    error = _error(BASE, {"enforcement.detection": "1.5"})
    assert str(error) == (
        "<override>: enforcement.detection: expected a number in [0.0, 1.0], found 1.5"
    )


def test_override_below_a_leaf_raises() -> None:
    error = _error(BASE, {"enforcement.detection.x": "1"})
    assert error.file == "<override>"


# --- extends --------------------------------------------------------------------------------


def test_extends_merges_tables_key_by_key(tmp_path: Path) -> None:
    base = load_scenario(BASE)
    child = load_scenario(_child(tmp_path, '[rules]\nallocation = "first_come"\n'))
    assert child.rules.allocation == "first_come"
    assert child.rules.cap_tpp == base.rules.cap_tpp
    assert child.rules.nveu_cap_h100e == base.rules.nveu_cap_h100e
    assert child.market == base.market


def test_extends_merges_a_country_with_the_defaults(tmp_path: Path) -> None:
    # GRL is no importer: the reference data gives it nothing, the defaults everything.
    child = load_scenario(_child(tmp_path, "[countries.GRL]\nfirms = { broker = 3 }\n"))
    assert child.countries["GRL"].firms.broker == 3
    defaults = tomllib.loads(BASE.read_text())["country_defaults"]
    assert child.countries["GRL"].firms.buyer == defaults["firms"]["buyer"]
    assert child.countries["GRL"].growth_per_year == defaults["growth_per_year"]


def test_extends_replaces_arrays_of_tables(tmp_path: Path) -> None:
    firm = '[[firms]]\nname = "Solo"\nkind = "champion"\nhq = "IND"\nstatus = "none"\n'
    child = load_scenario(_child(tmp_path, firm + "hosts = { IND = 5.0 }\n"))
    assert [f.name for f in child.firms] == ["Solo"]


def test_extends_is_relative_to_the_child(tmp_path: Path) -> None:
    shutil.copy(BASE, tmp_path / "base.toml")
    (tmp_path / "sub").mkdir()
    child = tmp_path / "sub" / "child.toml"
    child.write_text('extends = "../base.toml"\nname = "child"\n', encoding="utf-8")
    assert load_scenario(child).name == "child"


# --- the error type -------------------------------------------------------------------------


def test_scenario_error_is_value_and_type_error() -> None:
    assert issubclass(ScenarioError, ValueError)
    assert issubclass(ScenarioError, TypeError)
    with pytest.raises(ValueError, match=r"enforcement\.detection"):
        load_scenario(BAD / "probability_out_of_range.toml")
    with pytest.raises(TypeError, match=r"enforcement\.detection"):
        load_scenario(BAD / "probability_out_of_range.toml")


def test_error_for_a_value_in_a_parent_names_the_parent(tmp_path: Path) -> None:
    parent = _child(tmp_path, "[enforcement]\ndetection = 1.5\n", name="parent.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[rules]\nallocation = "first_come"\n', "utf-8")
    error = _error(child)
    assert error.file == str(parent)
    assert str(error).startswith(f"{parent}: enforcement.detection: ")
    assert "child.toml" not in str(error)


def test_error_in_country_defaults_names_the_defaults(tmp_path: Path) -> None:
    error = _error(_child(tmp_path, "[country_defaults]\ngrowth_per_year = -1\n"))
    assert error.key == "country_defaults.growth_per_year"
    assert error.file.endswith("child.toml")


def test_overflow_from_country_defaults_names_the_defaults(tmp_path: Path) -> None:
    body = "[time]\nmonths = 120\n[country_defaults]\ngrowth_per_year = 100.0\n"
    error = _error(_child(tmp_path, body))
    assert error.file.endswith("child.toml")
    assert error.key == "country_defaults.growth_per_year"
    assert "overflow" in str(error)


def test_error_is_one_line_for_a_key_with_a_line_break(tmp_path: Path) -> None:
    error = _error(_child(tmp_path, '[rules]\n"chip\\nrule" = 1\n'))
    assert "\n" not in str(error)
    assert "rules.chip\\nrule: unknown key" in str(error)


def test_missing_file_raises() -> None:
    error = _error(BAD / "does_not_exist.toml")
    assert "does_not_exist.toml" in str(error)
    assert "expected an existing scenario file" in str(error)


@pytest.mark.parametrize(("filename", "key", "fragment"), BAD_CASES, ids=lambda v: str(v))
def test_bad_file_raises_a_one_line_error(filename: str, key: str | None, fragment: str) -> None:
    error = _error(BAD / filename)
    message = str(error)
    assert "\n" not in message
    assert filename in message
    assert Path(error.file).name == BLAMED.get(filename, filename)
    assert message.startswith(error.file + ": ")
    assert fragment in message
    if key is None:
        assert error.key == ""
    else:
        assert error.key == key
        assert f": {key}: " in message


def test_every_bad_file_has_a_case() -> None:
    assert sorted(p.name for p in BAD.glob("*.toml")) == sorted(c[0] for c in BAD_CASES)
    assert len(BAD_CASES) >= 14


# --- fuzzing: a mutated base either loads or raises ScenarioError ---------------------------


def _toml(value: Any) -> str:
    """Serialize plain TOML data on one line (top-level tables as inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # 'nan', 'inf', '-inf' and exponents are TOML floats too
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    raise AssertionError(f"not TOML data: {value!r}")


def _document(data: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in data.items())


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, (*path, i))]
    return [path]


def _replace(data: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


BASE_DATA = tomllib.loads(BASE.read_text(encoding="utf-8"))
LEAVES = _leaves(BASE_DATA)
_SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-2, 700),
    st.floats(),
    st.floats(-1.0, 2.0),
    st.text(max_size=8),
    st.sampled_from(["USA", "XXX", "tier1_2025", "2025-13", "2026-01", "", "first_come", "H20"]),
    st.booleans(),
)
_VALUES = st.one_of(_SCALARS, st.lists(_SCALARS, max_size=4))


def test_serializer_round_trips_base() -> None:
    assert tomllib.loads(_document(BASE_DATA)) == BASE_DATA
    assert len(LEAVES) > 100


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leaf=st.sampled_from(LEAVES), value=_VALUES)
def test_mutated_base_loads_or_raises_scenario_error(leaf: tuple, value: Any) -> None:
    data = json.loads(json.dumps(BASE_DATA))  # a deep copy of plain data
    _replace(data, leaf, value)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutated.toml"
        path.write_text(_document(data), encoding="utf-8")
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            message = str(error)
            assert message.startswith(str(path))
            assert "\n" not in message
            return
    assert re.fullmatch(r"[0-9a-f]{64}", scenario.digest())
    if isinstance(value, float) and math.isnan(value):
        raise AssertionError(f"NaN accepted at {leaf}")


# --- schema defaults: keys added after v1 -------------------------------------------------


def _defaults(cls: type, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any, Any]]:
    """Every (key path, declared default, constraint) below ``cls``; countries as defaults."""
    found = []
    for declaration in dataclasses.fields(cls):
        meta, here = declaration.metadata, (*path, declaration.name)
        if "section" in meta:
            found += _defaults(meta["section"], here)
        elif "table" in meta and declaration.name == "countries":
            found += _defaults(meta["table"], ("country_defaults",))
        elif "table" in meta:  # chips: an entry's keys are stated only where it is written
            if "default" in meta:
                found.append((here, meta["default"], _EmptyTable()))
        elif "array" in meta:
            found += _defaults(meta["array"], (*here, "*"))
        elif "default" in meta:
            found.append((here, meta["default"], meta["check"]))
    return found


class _EmptyTable:
    """The constraint of a table's default, which is always the empty table."""

    def convert(self, value: Any) -> dict:
        assert value == {}
        return {}


SCHEMA_DEFAULTS = _defaults(Scenario)
BASE_DATA_RAW = tomllib.loads(BASE.read_text(encoding="utf-8"))
CALIBRATED = {tuple(p["key"].split(".")) for p in tomllib.loads(
    (BASE.parent / "targets" / "published.toml").read_text(encoding="utf-8"))["parameters"]}
"""Keys the calibration sets in base.toml (docs/validation.md); their schema default keeps
the behaviour of older and test scenarios that do not state them."""


def _base_value(path: tuple[str, ...]) -> Any:
    node: Any = BASE_DATA_RAW
    for key in path:
        node = node[key]
    return node


AWAY_FROM_DEFAULT = {("world", "countries"): "reference", ("diversion", "reserve_brokers"): 1,
                     **{path: _base_value(path) for path in CALIBRATED}}
"""Defaulted keys base.toml sets otherwise on purpose: older and test scenarios keep their
listed countries ("listed"), the shipped ones model every importer (docs/ODD.md section 4);
one dormant broker slot per broker (an assumption, docs/validation.md); and the calibrated
keys."""


def test_the_keys_added_with_a_default() -> None:
    assert {".".join(path) for path, _, _ in SCHEMA_DEFAULTS} >= {
        "market.uveu_installed_months", "rules.uveu_home_country"}


@pytest.mark.parametrize(("path", "default", "constraint"), SCHEMA_DEFAULTS,
                         ids=lambda v: ".".join(v) if isinstance(v, tuple) else None)
def test_every_schema_default_is_stated_in_base_toml(path, default, constraint) -> None:
    assert path[-2:-1] != ("*",), "a named firm's key cannot be stated once in base.toml"
    node: Any = BASE_DATA_RAW
    for key in path:
        assert key in node, f"base.toml must state {'.'.join(path)} = {default!r} with its source"
        node = node[key]
    stated = AWAY_FROM_DEFAULT.get(path, default)
    assert node == stated, f"base.toml and the schema disagree on {'.'.join(path)}"
    assert constraint.convert(copy.deepcopy(stated)) == constraint.convert(node)
    line = next(line for line in BASE.read_text(encoding="utf-8").splitlines()
                if line.startswith(f"{path[-1]} ="))
    assert "#" in line, f"base.toml must give the source of {'.'.join(path)}"


def _without(text: str, *keys: str) -> str:
    return "\n".join(line for line in text.splitlines()
                     if not line.startswith(tuple(f"{key} =" for key in keys))) + "\n"


@pytest.mark.parametrize(("path", "default", "constraint"),
                         [d for d in SCHEMA_DEFAULTS if d[0] not in AWAY_FROM_DEFAULT],
                         ids=lambda v: ".".join(v) if isinstance(v, tuple) else None)
def test_a_file_without_a_defaulted_key_loads_with_the_default(tmp_path: Path, path, default,
                                                                constraint) -> None:
    file = tmp_path / "older.toml"
    file.write_text(_without(BASE.read_text(encoding="utf-8"), path[-1]), encoding="utf-8")
    assert path[-1] not in file.read_text(encoding="utf-8")
    scenario = load_scenario(file)
    node: Any = scenario
    for key in path:
        node = getattr(node, key) if key != "country_defaults" else next(
            iter(scenario.countries.values()))
    assert node == constraint.convert(copy.deepcopy(default))
    assert scenario.digest() == load_scenario(BASE).digest()


def test_a_defaulted_key_no_file_sets_takes_an_override(tmp_path: Path) -> None:
    file = tmp_path / "older.toml"
    file.write_text(_without(BASE.read_text(encoding="utf-8"), "uveu_installed_months",
                             "uveu_home_country"), encoding="utf-8")
    scenario = load_scenario(file, {"market.uveu_installed_months": "6",
                                    "rules.uveu_home_country": "GBR"})
    assert (scenario.market.uveu_installed_months, scenario.rules.uveu_home_country) == (6, "GBR")
    error = _error(file, {"rules.uveu_home_country": "XXX"})
    assert (error.file, error.key) == ("<override>", "rules.uveu_home_country")
    assert "ISO 3166" in str(error)
    assert _error(file, {"market.uveu_installed_month": "6"}).key == (
        "market.uveu_installed_month")


def test_a_key_away_from_its_default_enters_the_digest() -> None:
    plain = load_scenario(BASE)
    moved = load_scenario(BASE, {"market.uveu_installed_months": 6})
    assert moved.digest() != plain.digest()
    assert load_scenario(BASE, {"market.uveu_installed_months": 12}).digest() == plain.digest()


@pytest.mark.parametrize("month", ["２０２５-05", "٢٠٢٥-05", "2025-05\n", "2025-5", " 2025-05"])
def test_a_month_is_ascii_yyyy_mm_only(tmp_path: Path, month: str) -> None:
    error = _error(BASE, {"time.start": month})
    assert error.key == "time.start" and 'a month "YYYY-MM"' in str(error)
    assert "\n" not in str(error)
