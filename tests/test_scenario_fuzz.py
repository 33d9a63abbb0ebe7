"""Fuzzing the scenario loader: every input loads or raises ``ScenarioError``.

Four generators, beside the leaf-by-leaf mutation of base.toml in
tests/test_scenario.py:

* random TOML documents: random tables of random keys (schema names, typos,
  ISO3 codes, free text) and values (huge, negative, NaN and infinite
  numbers, strings, arrays, deep nesting), alone or extending base.toml;
* random text: fragments of TOML (headers, key = value lines, dates, unclosed
  brackets) glued at random, then truncated or not;
* random mutations of the shipped scenarios (scenarios/*.toml) and their
  ``extends`` chains, written to a temporary folder: values replaced by wrong
  types or out-of-range numbers, keys deleted, unknown keys added, countries
  renamed or listed twice, named firms duplicated, ``extends`` broken or
  made circular, values nested too deep, and text-level edits of the files
  (lines duplicated, deleted, garbage inserted, the file truncated);
* random ``--set KEY=VALUE`` overrides of the shipped scenarios.

The oracle: ``load_scenario`` returns a ``Scenario`` or raises
``ScenarioError`` whose message is one line that starts with the file it
blames (one of the files written, or ``<override>``); nothing else escapes.
``sim check`` on the same file exits 0 or 2 with one line on stderr. A
scenario that loads must also run: its first two months go through the agent
model and the core, which must agree bit for bit.

Example counts scale with the hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import json
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_core_agreement import agent_results, assert_same_bits
from test_scenario import _document, _leaves

from sim import Scenario, ScenarioError, load_scenario, run_batch
from sim.cli import main
from sim.scenario import parse_assignment

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASE = SCENARIOS / "base.toml"
SHIPPED_TEXT = {path.name: path.read_text(encoding="utf-8")
                for path in sorted(SCENARIOS.glob("*.toml"))}
SHIPPED_DATA = {name: tomllib.loads(text) for name, text in SHIPPED_TEXT.items()}
PROFILE_EXAMPLES = settings().max_examples  # 100 under the "ci" profile

# ----- values and keys -----------------------------------------------------------------

SCHEMA_KEYS = sorted({str(key) for path in _leaves(SHIPPED_DATA["base.toml"]) for key in path})
INTERESTING_STRINGS = [
    "", "USA", "usa", "XXX", "CHN", "tier1_2025", "chip4", "2025-13", "2026-01", "0000-01",
    "9999-12", "first_come", "pro_rata", "oct2023", "H20", "H100", "ASCEND_910C", "base.toml",
    "../base.toml", "nan", "inf", "1e999", "\n", "a.b", "-1",
]
KEYS = st.one_of(
    st.sampled_from(SCHEMA_KEYS), st.sampled_from(INTERESTING_STRINGS),
    # Within the BMP: test_scenario's serializer writes keys with JSON escapes, and TOML
    # has no surrogate-pair escapes.
    st.text(st.characters(max_codepoint=0xFFFF), max_size=6),
)
SCALARS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.integers(-3, 700),
    st.sampled_from([0, 1, 10**15, 10**15 + 1, 2**63 - 1, 2**63, -(2**63), 10**100]),
    st.floats(),
    st.sampled_from([0.0, -0.0, 1.0, 1.5, 1e9, 1e300, float("inf"), float("nan")]),
    st.booleans(),
    st.text(max_size=10),
    st.sampled_from(INTERESTING_STRINGS),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


def nested(value: Any, depth: int, table: bool) -> Any:
    """Wrap ``value`` in ``depth`` arrays or tables."""
    for _ in range(depth):
        value = {"x": value} if table else [value]
    return value


DEEP_VALUES = st.builds(nested, SCALARS, st.integers(10, 40), st.booleans())
ANY_VALUE = st.one_of(VALUES, DEEP_VALUES)

# ----- the oracle ----------------------------------------------------------------------


def check_outcome(path: Path, allowed_files: set[str],
                  overrides: dict[str, str] | None = None) -> Scenario | None:
    """Load ``path``: a Scenario, or a one-line ScenarioError blaming an allowed file."""
    try:
        scenario = load_scenario(path, overrides)
    except ScenarioError as error:
        message = str(error)
        event("ScenarioError" + (" (malformed TOML)" if "malformed TOML" in message else ""))
        assert "\n" not in message, message
        assert error.file in allowed_files | {"<override>"}, message
        assert message.startswith(f"{error.file}: "), message
        assert error.problem, message
        return None
    event("loads")
    assert re.fullmatch(r"[0-9a-f]{64}", scenario.digest())
    return scenario


def check_command(path: Path, loaded: bool) -> None:
    """``sim check`` agrees with the loader: exit 0, or exit 2 with one line on stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["check", str(path)])
    assert status == (0 if loaded else 2)
    if not loaded:
        [line] = err.getvalue().splitlines()
        assert line.startswith("error: ") and "Traceback" not in line


def check_runs(scenario: Scenario) -> None:
    """The first months of a scenario that loaded run, identically in both implementations."""
    short = dataclasses.replace(
        scenario, time=dataclasses.replace(scenario.time, months=min(2, scenario.time.months)))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        batch = run_batch(short, [0])
    assert_same_bits(batch, agent_results(short, [0]))
    assert all(re.fullmatch(r"\d{4}-\d{2}", date) for date in batch.dates)


# ----- random documents and text --------------------------------------------------------


@settings(max_examples=PROFILE_EXAMPLES * 2)
@given(data=st.dictionaries(KEYS, ANY_VALUE, max_size=8), extends_base=st.booleans())
def test_random_documents_load_or_raise_scenario_error(data, extends_base):
    if extends_base:
        data = {"extends": str(BASE), **data}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.toml"
        path.write_text(_document(data), encoding="utf-8")
        scenario = check_outcome(path, {str(path), str(BASE)})
    if scenario is not None:
        check_runs(scenario)


FRAGMENTS = st.one_of(
    st.sampled_from([
        "[time]\n", "[rules]\n", "[countries.USA]\n", "[countries.XXX]\n", "[[firms]]\n",
        "[market.firm_demand_h100e]\n", "[country_defaults]\n", "[tiers]\n", "[countries]\n",
        "[[countries]]\n", "[time.months]\n", f'extends = "{BASE.as_posix()}"\n',
        'extends = "nowhere.toml"\n', "months = 0\n", "months = 12\n", "start = 2025-01-01\n",
        "start = 1979-05-27T07:32:00Z\n", 'start = "2025-01"\n', "tier1 = [\"USA\", \"USA\"]\n",
        "tier3 = \"tier3_2025\"\n", "cap_tpp = -5\n", "cap_tpp = 9" + "9" * 30 + "\n",
        "detection = nan\n", "detection = inf\n", "buyer = 1e9\n", "hosts = { USA = 1.0 }\n",
        "a = [[[[[[\n", "b = {\n", "= 3\n", '"x\\ny" = 1\n', "c = 1\nc = 2\n", "\x00",
        "\ufeff", "d = '''\n", "e = 0x7fffffffffffffff\n", "f = 1_000\n", "g = 01\n",
    ]),
    st.text(max_size=20),
)


@settings(max_examples=PROFILE_EXAMPLES * 3)
@given(parts=st.lists(FRAGMENTS, max_size=12), cut=st.none() | st.integers(0, 400))
def test_random_text_loads_or_raises_scenario_error(parts, cut):
    text = "".join(parts)[:cut]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        scenario = check_outcome(path, {str(path), str(BASE)})
    if scenario is not None:
        check_runs(scenario)


# ----- mutations of the shipped scenarios -------------------------------------------------


def tables(node: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every table (dict) in ``node``, the root included."""
    found = [path] if isinstance(node, dict) else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += tables(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += tables(value, (*path, index))
    return found


def at(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


def typo(draw: st.DrawFn, key: str) -> str:
    """A near miss of ``key``: a letter dropped, doubled or changed, or a suffix."""
    if not key:
        return "x"
    i = draw(st.integers(0, len(key) - 1))
    return draw(st.sampled_from([key[:i] + key[i + 1:], key[:i] + key[i] + key[i:],
                                 key[:i] + "q" + key[i + 1:], key + "s", key.upper()])) or "x"


def some_path(draw: st.DrawFn, data: dict, with_tables: bool = True) -> tuple | None:
    """A random non-root key path of ``data`` (a leaf, or a table too), if any."""
    paths = [p for p in _leaves(data) + (tables(data) if with_tables else []) if p]
    return draw(st.sampled_from(paths)) if paths else None


def set_value(draw: st.DrawFn, data: dict) -> None:
    path = some_path(draw, data)
    if path:
        at(data, path[:-1])[path[-1]] = draw(ANY_VALUE)


def delete_key(draw: st.DrawFn, data: dict) -> None:
    path = some_path(draw, data)
    if path:
        parent = at(data, path[:-1])
        if isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])


def add_unknown_key(draw: st.DrawFn, data: dict) -> None:
    table = at(data, draw(st.sampled_from(tables(data))))
    near = [typo(draw, key) for key in list(table)[:1]]
    table[draw(st.sampled_from([*near, "horizon", "x"]) | KEYS)] = draw(ANY_VALUE)


def rename_key(draw: st.DrawFn, data: dict) -> None:
    table = at(data, draw(st.sampled_from(tables(data))))
    if table:
        key = draw(st.sampled_from(sorted(table)))
        new = draw(st.just(typo(draw, key)) | st.sampled_from(["FIN", "XXX", "usa", "CHN", "SGP"])
                   | KEYS)
        table[new] = table.pop(key)


def duplicate(draw: st.DrawFn, data: dict) -> None:
    """List a country twice in a tier, or repeat a named firm."""
    if draw(st.booleans()) and data.get("firms"):
        data["firms"].append(copy.deepcopy(draw(st.sampled_from(data["firms"]))))
    else:
        tiers = data.setdefault("tiers", {})
        tier = draw(st.sampled_from(["tier1", "tier3"]))
        codes = tiers.get(tier) if isinstance(tiers.get(tier), list) else ["USA"]
        tiers[tier] = [*codes, draw(st.sampled_from(codes or ["USA"]))]


def break_extends(draw: st.DrawFn, data: dict) -> None:
    data["extends"] = draw(st.sampled_from([
        "missing.toml", "base.toml", "ai_diffusion_2025.toml", "strict_enforcement.toml",
        "diffusion_rescinded_2025.toml", "oct2023.toml", "allied_coordination.toml", "", ".",
        "..", "a" * 300, "sub/../base.toml", 3, ["base.toml"], {"file": "base.toml"},
    ]))


def nest_deeper(draw: st.DrawFn, data: dict) -> None:
    path = some_path(draw, data, with_tables=False)
    if path:
        parent = at(data, path[:-1])
        parent[path[-1]] = nested(parent[path[-1]], draw(st.integers(2, 40)), draw(st.booleans()))


DATA_MUTATIONS = [set_value, delete_key, add_unknown_key, rename_key, duplicate, break_extends,
                  nest_deeper]


def edit_text(draw: st.DrawFn, text: str) -> str:
    """A text-level edit: a line duplicated, deleted or garbled, or the file truncated."""
    lines = text.splitlines(keepends=True) or [""]
    i = draw(st.integers(0, len(lines) - 1))
    kind = draw(st.sampled_from(["duplicate", "delete", "insert", "truncate"]))
    if kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "delete":
        del lines[i]
    elif kind == "insert":
        lines.insert(i, draw(FRAGMENTS))
    else:
        return text[: draw(st.integers(0, len(text)))]
    return "".join(lines)


def writable(data: Any) -> bool:
    """Tell whether ``_document`` can write ``data`` (no dates or times)."""
    if isinstance(data, dict):
        return all(writable(v) for v in data.values())
    if isinstance(data, list):
        return all(writable(v) for v in data)
    return isinstance(data, bool | int | float | str)


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A shipped scenario to load and the text of every shipped file, some mutated."""
    target = draw(st.sampled_from(sorted(SHIPPED_TEXT)))
    texts = dict(SHIPPED_TEXT)
    for _ in range(draw(st.integers(1, 3))):
        victim = draw(st.sampled_from([target, target, "base.toml", *sorted(SHIPPED_TEXT)]))
        if draw(st.integers(0, 3)) == 0:
            texts[victim] = edit_text(draw, texts[victim])
            continue
        try:
            data = tomllib.loads(texts[victim])
        except tomllib.TOMLDecodeError:
            continue  # already broken by a text edit
        if not writable(data):
            continue  # a date put in by a text edit: the serializer writes none
        draw(st.sampled_from(DATA_MUTATIONS))(draw, data)
        texts[victim] = _document(data)
    return target, texts


@settings(max_examples=PROFILE_EXAMPLES)  # each loaded example runs a world-scale scenario twice
@given(drawn=mutated_scenarios())
def test_mutated_shipped_scenarios_load_or_raise_scenario_error(drawn):
    target, texts = drawn
    with tempfile.TemporaryDirectory() as folder:
        written = set()
        for name, text in texts.items():
            (Path(folder) / name).write_text(text, encoding="utf-8")
            written.add(str(Path(folder) / name))
        path = Path(folder) / target
        scenario = check_outcome(path, written)
        check_command(path, loaded=scenario is not None)
    if scenario is not None:
        check_runs(scenario)


# ----- overrides ------------------------------------------------------------------------

OVERRIDE_KEYS = sorted({".".join(map(str, path)) for path in _leaves(SHIPPED_DATA["base.toml"])
                        if not any(isinstance(k, int) for k in path)})
RAW_VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["0", "-1", "1e999", "nan", "inf", "true", "[]", "[1, 2]", '"USA"', "{}",
                     "{a = 1}", "9" * 5000, "[" * 3000, "[" * 30 + "]" * 30, "2025-01",
                     "1979-05-27", "tier1_2025", '["USA", "USA"]', "0.5", "600", "601"]),
    SCALARS.map(json.dumps),
)


PLAUSIBLE_VALUES = st.sampled_from([
    "0", "1", "2", "12", "0.5", "0.25", "1.5", "true", "false", "2025-06", '"2025-06"', "",
    "first_come", "annual", "oct2022", "none", "A800", "chip4", '["USA", "JPN"]', "[1, 2]",
])


@st.composite
def override_texts(draw: st.DrawFn) -> list[str]:
    """``--set`` arguments: mostly known keys with plausible values, some near misses."""
    texts = []
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(OVERRIDE_KEYS))
        if draw(st.integers(0, 3)) == 0:
            key = draw(st.sampled_from([typo(draw, key), key + ".x", key.rsplit(".", 1)[0],
                                        "countries.FIN.enforcement", "", "=", " "])
                       | st.text(max_size=8))
        separator = draw(st.sampled_from(["=", "=", "=", " = ", ""]))
        value = draw(PLAUSIBLE_VALUES if draw(st.booleans()) else RAW_VALUES)
        texts.append(f"{key}{separator}{value}")
    return texts


@settings(max_examples=PROFILE_EXAMPLES * 2)
@given(target=st.sampled_from(sorted(SHIPPED_TEXT)), assignments=override_texts())
def test_random_overrides_load_or_raise_scenario_error(target, assignments):
    try:
        overrides = dict(parse_assignment(text) for text in assignments)
    except ScenarioError as error:
        event("ScenarioError (no '=')")
        assert error.file == "<override>" and "\n" not in str(error)
        return
    files = {str(SCENARIOS / name) for name in SHIPPED_TEXT}
    scenario = check_outcome(SCENARIOS / target, files, overrides)
    if scenario is not None:
        check_runs(scenario)
