"""The seeds of the ``global_random_seed`` fixture, read from the environment.

See tests/conftest.py for the fixture; this module only parses the variable.
"""

from __future__ import annotations

import re

import pytest

__all__ = ["DEFAULT_SEED", "SEED_RANGE", "SEED_VARIABLE", "parse_seeds"]

SEED_VARIABLE = "SIM_TESTS_GLOBAL_RANDOM_SEED"
DEFAULT_SEED = 42
SEED_RANGE = range(100)
_FORM = re.compile(r"([0-9]+)(?:-([0-9]+))?")


def parse_seeds(text: str | None) -> list[int]:
    """Return the seeds ``text`` selects: unset, ``"7"``, ``"0-99"`` or ``"all"``.

    Unset (or empty) selects :data:`DEFAULT_SEED`; a range includes both ends;
    ``"all"`` is every seed of :data:`SEED_RANGE`.

    Raises
    ------
    pytest.UsageError
        Naming the variable, what was found and what is expected, when ``text``
        is none of these forms or selects a seed outside :data:`SEED_RANGE`.

    """
    if text is None or not text.strip():
        return [DEFAULT_SEED]
    text = text.strip()
    if text == "all":
        return list(SEED_RANGE)
    form = _FORM.fullmatch(text)
    low = int(form[1]) if form else -1
    high = int(form[2]) if form and form[2] else low
    if not (SEED_RANGE.start <= low <= high < SEED_RANGE.stop):
        last = SEED_RANGE.stop - 1
        raise pytest.UsageError(
            f"{SEED_VARIABLE}={text!r}: expected a seed in [{SEED_RANGE.start}, {last}], "
            f"a range of them such as '{SEED_RANGE.start}-{last}' (low first), or 'all'"
        )
    return list(range(low, high + 1))
