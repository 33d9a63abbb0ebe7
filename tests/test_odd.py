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
