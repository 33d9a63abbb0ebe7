"""docs/ODD.md keeps up with the code: every scenario key and every phase is described."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sim.scenario.parameter_table import BEGIN, END, parameter_table, rewrite, source_comments
from sim.scenario.schema import Scenario
from sim.world.phases import PHASES

ODD = (Path(__file__).resolve().parent.parent / "docs" / "ODD.md").read_text(encoding="utf-8")


def _leaf_keys(cls: type, prefix: str = "") -> list[str]:
    keys = []
    for declaration in dataclasses.fields(cls):
        meta, key = declaration.metadata, f"{prefix}{declaration.name}"
        if "section" in meta:
            keys += _leaf_keys(meta["section"], f"{key}.")
        elif "table" in meta:
            keys += _leaf_keys(meta["table"], f"{key}.X.")
        elif "array" not in meta:
            keys.append(key)
    return keys


def _described(key: str) -> bool:
    """The key in backticks, or as the sibling of a described key (`a.b.c` / `.d`)."""
    parent, _, leaf = key.rpartition(".")
    return f"`{key}`" in ODD or (f"`{parent}." in ODD and f"`.{leaf}`" in ODD) or (
        f"`{parent}.{leaf}`" in ODD)


@pytest.mark.parametrize("key", [k for k in _leaf_keys(Scenario)
                                 if k not in {"name", "description"}
                                 and not k.startswith("countries.X.firms.")])
def test_every_scenario_key_is_in_the_odd(key):
    assert _described(key), f"docs/ODD.md does not describe {key}"


@pytest.mark.parametrize("phase", PHASES)
def test_every_phase_is_in_the_odd(phase):
    assert f"`{phase}`" in ODD, f"docs/ODD.md section 3 does not name phase {phase}"


def test_the_timeline_and_named_firms_are_described():
    assert "[[timeline]]" in ODD and "[[firms]]" in ODD


def test_the_parameter_table_is_generated_from_the_shipped_scenarios():
    """Section 7's table is what the schema and the scenario files say, not typed."""
    assert BEGIN in ODD and END in ODD
    assert rewrite(ODD, parameter_table()) == ODD, (
        "docs/ODD.md's parameter table is stale: run python -m sim.scenario.parameter_table")


def test_the_table_reads_values_and_sources_from_the_files(tmp_path):
    """A changed value or comment in base.toml shows in the table (the check can fail)."""
    scenarios = Path(__file__).resolve().parent.parent / "scenarios"
    for path in scenarios.glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    base = tmp_path / "base.toml"
    text = base.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("premium_inertia"))
    base.write_text(text.replace(line, "premium_inertia = 0.6  # a test's own source"),
                    encoding="utf-8")
    row = next(r for r in parameter_table(tmp_path).splitlines()
               if r.startswith("| `diversion.premium_inertia`"))
    assert "| 0.6 | a test's own source |" in row
    assert source_comments("[diversion]\nx = 1  # why\n") == {("diversion", "x"): "why"}
    assert source_comments("[country_defaults]\ny = 2 # d\n") == {("countries", "X", "y"): "d"}


# ----- numbers in the simplifications section are checked against the code -----------------

REPO = Path(__file__).resolve().parent.parent


def _base() -> dict:
    import tomllib

    return tomllib.loads((REPO / "scenarios" / "base.toml").read_text(encoding="utf-8"))


def _proxy_countries() -> int:
    import csv

    with (REPO / "sim" / "reference" / "demand_shares.csv").open(encoding="utf-8") as rows:
        return sum(row["basis"] == "proxy_gdp" for row in csv.DictReader(rows))


SIMPLIFICATION_NUMBERS = {
    "163": lambda: _proxy_countries() == 163,
    "12": lambda: _base()["market"]["uveu_installed_months"] == 12,
    "10%": lambda: "10% a quarter" in (REPO / "sim" / "reference" / "supply.csv").read_text(),
    "2.3x": lambda: _base()["country_defaults"]["growth_per_year"] == 2.3,
    "90%": lambda: "vendors ship at least 90% in every year" in (
        REPO / "docs" / "validation.md").read_text(encoding="utf-8"),
}
"""Each number ODD section 10 states, and how the code or a generated page shows it."""

_NOT_QUANTITIES = (r"Tier \d", r"D:\d", r"§\d+", r"\b(19|20)\d\d(Q\d)?\b", r"3A090(\.b)?",
                   r"sections? \d+(\.\d+[a-z]?)?(, \d+(\.\d+[a-z]?)?)*( and \d+(\.\d+[a-z]?)?)?",
                   r"\(\d+\.\d+[a-z]?(, \d+\.\d+[a-z]?)*\)", r"\b\d+\.\d+[a-z]?\b(?=\))",
                   r"\b[A-Z]+\d+[A-Z]*\b")
"""Years, section and tier labels, chip and ECCN names: not quantities of the model."""


def _simplification_numbers() -> list[str]:
    import re

    section = ODD.split("### 10.", 1)[1].split("\n### ", 1)[0]
    text = re.sub(r"`[^`]*`", "", section)          # keys and formulas are checked elsewhere
    for pattern in _NOT_QUANTITIES:
        text = re.sub(pattern, "", text)
    return re.findall(r"(?<![\w.])(\d[\d,.]*%?x?)(?![\w])", text)


def test_every_number_in_the_simplifications_is_checked_against_the_code():
    found = _simplification_numbers()
    unchecked = sorted(set(found) - set(SIMPLIFICATION_NUMBERS))
    assert not unchecked, (f"docs/ODD.md section 10 states {unchecked}: add a check to "
                           "SIMPLIFICATION_NUMBERS or delete the number")
    wrong = [number for number in found if not SIMPLIFICATION_NUMBERS[number]()]
    assert not wrong, f"docs/ODD.md section 10 no longer matches the code for {wrong}"
