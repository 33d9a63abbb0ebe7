"""Declarative value constraints, checked once when an input file is loaded.

Each schema field carries one constraint (in the manner of scikit-learn's
``_param_validation``). A constraint converts a raw TOML value into the
field's Python value or raises :class:`Invalid` with a description of what
was expected. Scenario, sweep and targets files share them.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

from sim.reference.chips import H100E_TPP, load_chips
from sim.reference.countries import country_groups, is_valid_iso3
from sim.reference.tiers import importers

__all__ = [
    "MAX_H100E",
    "MAX_QUANTITY",
    "AmountOrReference",
    "Assignments",
    "Bool",
    "ChipId",
    "ChipIds",
    "Constraint",
    "Countries",
    "Country",
    "CountryAmounts",
    "Float",
    "FloatOrWord",
    "Int",
    "IntList",
    "Invalid",
    "Month",
    "MonthWindow",
    "Name",
    "Number",
    "OneOf",
    "Table",
    "Text",
]

MAX_QUANTITY = 10**15
"""Largest TPP or chip quantity a scenario may state.

Products of two quantities in the model stay below 2**63 only if each stays
far below it; 10**15 TPP is about 63 billion H100-equivalents, a million
times the Tier 2 cap, so the bound rejects only typos.
"""
MAX_H100E = MAX_QUANTITY // H100E_TPP
"""Largest quantity a scenario may state in H100-equivalents: converted to
TPP it stays within :data:`MAX_QUANTITY`."""


class Invalid(Exception):
    """Raised by a constraint with the text of what was expected."""


@dataclass(frozen=True)
class Constraint:
    """Base: ``convert`` returns the checked value or raises ``Invalid``."""

    def convert(self, value: Any) -> Any:
        """Return ``value`` checked and converted, or raise ``Invalid``."""
        raise NotImplementedError


@dataclass(frozen=True)
class Int(Constraint):
    """An integer in ``[low, high]`` (booleans are not integers here)."""

    low: int = 0
    high: int = MAX_QUANTITY

    def convert(self, value: Any) -> int:
        """Check an integer and its range."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"an integer in [{self.low}, {self.high}]")
        if not self.low <= value <= self.high:
            raise Invalid(f"an integer in [{self.low}, {self.high}]")
        return value


@dataclass(frozen=True)
class AmountOrReference(Constraint):
    """An integer in ``[0, high]``, or ``"reference"``: a schedule of ``supply.csv``."""

    high: int = MAX_QUANTITY

    def convert(self, value: Any) -> int | str:
        """Check the amount, or accept the word ``"reference"``."""
        if value == "reference":
            return "reference"
        try:
            return Int(0, self.high).convert(value)
        except Invalid:
            raise Invalid(f'an integer in [0, {self.high}] or "reference" (the quarterly '
                          "schedule of sim/reference/supply.csv)") from None


@dataclass(frozen=True)
class Float(Constraint):
    """A real number in ``[low, high]``; TOML integers are accepted."""

    low: float = 0.0
    high: float = float("inf")

    def convert(self, value: Any) -> float:
        """Check a number and its range."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(f"a number in [{self.low}, {self.high}]")
        if not self.low <= value <= self.high:
            raise Invalid(f"a number in [{self.low}, {self.high}]")
        try:
            return float(value)
        except OverflowError:  # an integer beyond the largest float
            raise Invalid(f"a number in [{self.low}, {self.high}]") from None


@dataclass(frozen=True)
class FloatOrWord(Constraint):
    """A real number in ``[low, high]``, or one of a few words that name a rule."""

    words: tuple[str, ...]
    low: float = 0.0
    high: float = float("inf")
    meaning: str = ""

    def convert(self, value: Any) -> float | str:
        """Accept one of ``words``, or check the number and its range."""
        if isinstance(value, str) and value in self.words:
            return value
        try:
            return Float(self.low, self.high).convert(value)
        except Invalid:
            named = " or ".join(f'"{w}"' for w in self.words)
            raise Invalid(f"a number in [{self.low:g}, {self.high:g}] or {named}"
                          + (f" ({self.meaning})" if self.meaning else "")) from None


@dataclass(frozen=True)
class Number(Constraint):
    """Any finite real number; TOML integers are accepted (and made floats)."""

    def convert(self, value: Any) -> float:
        """Check a finite number."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid("a finite number")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond the largest float
            raise Invalid("a finite number") from None
        if not math.isfinite(number):
            raise Invalid("a finite number")
        return number


@dataclass(frozen=True)
class Bool(Constraint):
    """``true`` or ``false``."""

    def convert(self, value: Any) -> bool:
        """Check a boolean."""
        if not isinstance(value, bool):
            raise Invalid("true or false")
        return value


@dataclass(frozen=True)
class Text(Constraint):
    """Any string; with ``nonempty`` one that is not blank."""

    nonempty: bool = False

    def convert(self, value: Any) -> str:
        """Check a string."""
        if not isinstance(value, str):
            raise Invalid("a non-empty string" if self.nonempty else "a string")
        if self.nonempty and not value.strip():
            raise Invalid("a non-empty string")
        return value


@dataclass(frozen=True)
class Name(Constraint):
    """A name of ASCII letters, digits and underscores, not starting with a digit."""

    def convert(self, value: Any) -> str:
        """Check an identifier."""
        if not isinstance(value, str) or not value.isascii() or not value.isidentifier():
            raise Invalid("a name of letters, digits and underscores")
        return value


@dataclass(frozen=True)
class Table(Constraint):
    """A table of anything (its keys and values are checked elsewhere)."""

    def convert(self, value: Any) -> dict[str, Any]:
        """Check a table."""
        if not isinstance(value, dict):
            raise Invalid("a table")
        return value


@dataclass(frozen=True)
class OneOf(Constraint):
    """One of a fixed set of strings."""

    options: tuple[str, ...]

    def convert(self, value: Any) -> str:
        """Check membership."""
        if value not in self.options:
            raise Invalid("one of " + ", ".join(repr(o) for o in self.options))
        return value


# ASCII digits only, and no trailing newline: months are compared as text.
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])", re.ASCII)


@dataclass(frozen=True)
class Month(Constraint):
    """A calendar month ``"YYYY-MM"`` (ASCII digits); with ``optional`` also ``""`` (never)."""

    optional: bool = False

    def convert(self, value: Any) -> str:
        """Check the month format."""
        if self.optional and value == "":
            return value
        if not isinstance(value, str) or not _MONTH.fullmatch(value):
            raise Invalid('a month "YYYY-MM"' + (' or "" for never' if self.optional else ""))
        return value


@dataclass(frozen=True)
class MonthWindow(Constraint):
    """Two months ``["YYYY-MM", "YYYY-MM"]``, the first no later than the last."""

    def convert(self, value: Any) -> tuple[str, str]:
        """Check both months and their order."""
        if not isinstance(value, list) or len(value) != 2:
            raise Invalid('two months ["YYYY-MM", "YYYY-MM"]')
        try:
            first, last = (Month().convert(v) for v in value)
        except Invalid:
            raise Invalid('two months ["YYYY-MM", "YYYY-MM"]') from None
        if last < first:
            raise Invalid(f"a first month no later than the last, {first} > {last}")
        return first, last


@dataclass(frozen=True)
class Country(Constraint):
    """An ISO 3166-1 alpha-3 country code."""

    def convert(self, value: Any) -> str:
        """Check the code against ISO 3166 (pycountry)."""
        if not isinstance(value, str) or not is_valid_iso3(value):
            near = difflib.get_close_matches(str(value).upper(), sorted(importers()), n=1,
                                             cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise Invalid(f"an ISO 3166 alpha-3 country code (sim/reference/regions.csv lists "
                          f"the {len(importers())} importers{hint})")
        return value


@dataclass(frozen=True)
class ChipId(Constraint):
    """The identifier of a chip in the catalogue (``sim/reference/chips.csv``)."""

    origin: str = ""
    """If set, the chip must have this origin (``"us_controlled"``, ``"domestic_china"``)."""
    optional: bool = False
    """The empty string ("none") is allowed."""

    def convert(self, value: Any) -> str:
        """Check the identifier against the catalogue."""
        if self.optional and value == "":
            return value
        catalogue = load_chips()
        chips = [c for c, chip in catalogue.items()
                 if not self.origin or chip.origin == self.origin]
        if not isinstance(value, str) or value not in chips:
            kind = {"us_controlled": "a US-controlled chip", "domestic_china": "a domestic chip"}
            raise Invalid(f"{kind.get(self.origin, 'a chip')} of the catalogue "
                          f"({', '.join(chips)})")
        return value


@dataclass(frozen=True)
class ChipIds(Constraint):
    """A list of distinct catalogue chip identifiers (may be empty)."""

    def convert(self, value: Any) -> tuple[str, ...]:
        """Check each identifier; reject duplicates."""
        if not isinstance(value, list):
            raise Invalid("a list of catalogue chip identifiers, e.g. [\"H20\"]")
        checked = tuple(ChipId().convert(v) for v in value)
        if len(set(checked)) < len(checked):
            raise Invalid("distinct chip identifiers")
        return checked


@dataclass(frozen=True)
class Countries(Constraint):
    """A list of distinct ISO3 codes, or (with ``groups``) the name of a reference group.

    A group name is resolved to its members on :data:`~sim.reference.REFERENCE_DAY`;
    with ``dated`` it is kept as the name, so that its members can be read on
    each day (``TiersConfig.members``).
    """

    groups: bool = True
    dated: bool = False

    def convert(self, value: Any) -> tuple[str, ...] | str:
        """Resolve (or keep) a group name, or check each code; reject duplicates."""
        if isinstance(value, str) and self.groups:
            groups = country_groups()
            if value not in groups:
                raise Invalid("a list of ISO3 codes or a group in " + ", ".join(sorted(groups)))
            return value if self.dated else tuple(sorted(groups[value]))
        if not isinstance(value, list):
            raise Invalid("a list of ISO3 codes" + (" or a reference group name"
                                                    if self.groups else ""))
        bad = [v for v in value if not isinstance(v, str) or not is_valid_iso3(v)]
        if bad:
            raise Invalid(f"a list of ISO 3166 alpha-3 codes ({bad[0]!r} is not one)")
        twice = sorted({v for v in value if value.count(v) > 1})
        if twice:
            raise Invalid(f"distinct ISO3 codes ({twice[0]!r} is listed twice)")
        return tuple(value)


@dataclass(frozen=True)
class IntList(Constraint):
    """A non-empty list of integers in ``[low, high]``."""

    low: int = 0
    high: int = MAX_QUANTITY

    def convert(self, value: Any) -> tuple[int, ...]:
        """Check every element."""
        expected = f"a non-empty list of integers in [{self.low}, {self.high}]"
        if not isinstance(value, list) or not value:
            raise Invalid(expected)
        try:
            return tuple(Int(self.low, self.high).convert(v) for v in value)
        except Invalid:
            raise Invalid(expected) from None


@dataclass(frozen=True)
class Assignments(Constraint):
    """A non-empty table of dotted scenario keys and raw values, in file order.

    ``{ "rules.chip_rule" = "oct2023" }`` and ``{ rules.chip_rule = "oct2023" }``
    (which TOML nests) both give ``{"rules.chip_rule": "oct2023"}``. The values
    are checked later against the constraint of their key.
    """

    def convert(self, value: Any) -> dict[str, Any]:
        """Flatten nested tables into dotted keys."""
        if not isinstance(value, dict) or not value:
            raise Invalid('a non-empty table of dotted keys, e.g. { "rules.chip_rule" = '
                          '"oct2023" }')
        flat: dict[str, Any] = {}
        stack = [("", value)]
        while stack:
            prefix, table = stack.pop(0)
            for key, item in table.items():
                dotted = f"{prefix}{key}"
                if isinstance(item, dict):
                    stack.append((f"{dotted}.", item))
                elif dotted in flat:
                    raise Invalid(f"each key once ({dotted!r} is set twice)")
                else:
                    flat[dotted] = item
        return flat


@dataclass(frozen=True)
class CountryAmounts(Constraint):
    """A table from ISO3 code to a number in ``[0, high]``, sorted by code."""

    high: float = 1e9

    def convert(self, value: Any) -> dict[str, float]:
        """Check every code and amount."""
        expected = f"a non-empty table of ISO3 code = number in [0, {self.high}]"
        if not isinstance(value, dict) or not value:
            raise Invalid(expected)
        checked = {}
        for code, amount in sorted(value.items()):
            try:
                checked[Country().convert(code)] = Float(0.0, self.high).convert(amount)
            except Invalid:
                raise Invalid(f"{expected} ({code!r} = {amount!r} is not one)") from None
        return checked
