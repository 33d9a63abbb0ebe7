"""The ``global_random_seed`` fixture: its environment variable and its parametrization."""

from __future__ import annotations

from pathlib import Path

import pytest
from seeds import DEFAULT_SEED, SEED_VARIABLE, parse_seeds

CONFTEST = Path(__file__).resolve().parent / "conftest.py"


@pytest.mark.parametrize(("text", "seeds"), [
    (None, [DEFAULT_SEED]), ("", [DEFAULT_SEED]), ("7", [7]), (" 8 ", [8]), ("0", [0]),
    ("99", [99]), ("3-5", [3, 4, 5]), ("4-4", [4]), ("0-99", list(range(100))),
    ("all", list(range(100))), ("007", [7]),
])
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["100", "-1", "5-2", "0-100", "1.5", "abc", "ALL", "any",
                                  "1_0", "3-", "-3", "1,2", "1 - 3", "\u0663", "2**3"])
def test_bad_value_is_a_usage_error_naming_the_variable(text):
    with pytest.raises(pytest.UsageError) as info:
        parse_seeds(text)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{SEED_VARIABLE}={text.strip()!r}: expected a seed in [0, 99]")


def test_default_seed_is_in_range():
    assert 0 <= DEFAULT_SEED <= 99


# ----- through pytest, with the suite's own conftest -----------------------------------

TAKES_SEED = """
def test_seed(global_random_seed):
    assert isinstance(global_random_seed, int)

def test_no_seed():
    pass
"""


@pytest.fixture
def with_conftest(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(TAKES_SEED)
    monkeypatch.delenv(SEED_VARIABLE, raising=False)
    return pytester


@pytest.mark.parametrize(("value", "ids", "header"), [
    (None, ["42"], "42 (the default; set SIM_TESTS_GLOBAL_RANDOM_SEED to change it)"),
    ("11", ["11"], "11"), ("97-99", ["97", "98", "99"], "97-99"),
    ("all", [str(seed) for seed in range(100)], "0-99"),
])
def test_fixture_is_parametrized_over_the_selected_seeds(with_conftest, monkeypatch, value,
                                                         ids, header):
    if value is not None:
        monkeypatch.setenv(SEED_VARIABLE, value)
    result = with_conftest.runpytest("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=len(ids) + 1)  # and test_no_seed once, unparametrized
    result.stdout.fnmatch_lines([f"*::test_seed[[]{seed}[]] PASSED*" for seed in ids])
    result.stdout.fnmatch_lines(["*::test_no_seed PASSED*"])
    assert f"global_random_seed: {header}" in result.stdout.lines


@pytest.mark.parametrize("value", ["100", "0-100", "seven"])
def test_bad_value_stops_pytest_with_a_usage_error(with_conftest, monkeypatch, value):
    monkeypatch.setenv(SEED_VARIABLE, value)
    result = with_conftest.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {SEED_VARIABLE}='{value}': expected a seed in*"])
    result.stdout.no_fnmatch_line("*passed*")
