"""Calibration targets and uncertain parameters, read from a TOML file.

A targets file (``scenarios/targets/*.toml``) states the published figures
the model should reproduce, each with its range, its source and the scenario
window it is compared under, and the behavioural parameters to estimate,
each with the bounds of its prior. Loading checks every key once; a mistake
raises :class:`~sim.scenario.ScenarioError` naming the file and the key.
"""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.calibration.statistics import STATISTICS
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.documents import OVERRIDE_SOURCE

__all__ = ["ROLES", "SCALES", "Parameter", "Target", "TargetSet", "load_targets"]

ROLES = ("fit", "check")
"""``fit``: the target enters the ABC distance; ``check``: it is only reported."""
SCALES = ("linear", "log")
"""Prior scales: uniform, or uniform in the logarithm."""


@dataclass(frozen=True)
class Parameter:
    """An uncertain scenario value and the bounds of its prior.

    Attributes
    ----------
    key : str
        Dotted scenario key, e.g. ``"enforcement.detection"``.
    low, high : float
        Prior bounds, ``low < high``.
    scale : str
        ``"linear"`` (uniform prior) or ``"log"`` (log-uniform; ``low > 0``).
    integer : bool
        Round draws to whole numbers (for integer scenario fields).
    label, unit, note : str
        What it is, its unit, and why these bounds.
    """

    key: str
    low: float
    high: float
    scale: str
    integer: bool
    label: str
    unit: str
    note: str


@dataclass(frozen=True)
class Target:
    """A published figure, its range and how the model measures it.

    Attributes
    ----------
    name : str
        Identifier (used for columns and figure panels).
    label : str
        Title for a reader.
    statistic : str
        A key of :data:`sim.calibration.statistics.STATISTICS`.
    scenario : Path
        The scenario (window) the figure is compared under.
    countries : tuple of str
        Countries the statistic sums over (empty for the premium).
    window : tuple of (str, str)
        First and last month, ``"YYYY-MM"``, both included.
    value, low, high : float
        The published figure and its range, ``0 < low <= value <= high``,
        ``low < high``.
    unit, source, range_note, note : str
        Unit, citation, where the range comes from, and remarks.
    role : str
        ``"fit"`` or ``"check"`` (see :data:`ROLES`).
    input : str
        A scenario key this figure already sets as an input, or ``""``.
    """

    name: str
    label: str
    statistic: str
    scenario: Path
    countries: tuple[str, ...]
    window: tuple[str, str]
    value: float
    low: float
    high: float
    unit: str
    source: str
    range_note: str
    note: str
    role: str
    input: str


@dataclass(frozen=True)
class TargetSet:
    """Everything a targets file declares.

    Attributes
    ----------
    file : Path
        The targets file.
    name, description : str
    calibrated_base : Path
        The scenario file a calibrated scenario ``extends``.
    parameters : tuple of Parameter
    targets : tuple of Target
    """

    file: Path
    name: str
    description: str
    calibrated_base: Path
    parameters: tuple[Parameter, ...]
    targets: tuple[Target, ...]

    @property
    def fit_targets(self) -> tuple[Target, ...]:
        """The targets that enter the distance."""
        return tuple(t for t in self.targets if t.role == "fit")

    @property
    def scenarios(self) -> tuple[Path, ...]:
        """Distinct scenario files of the targets, in order of first use."""
        return tuple(dict.fromkeys(t.scenario for t in self.targets))


# --- checking one table ---------------------------------------------------------------------

Check = Callable[[Any], Any]


class _Invalid(Exception):
    """What a value was expected to be."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("a string")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.isidentifier():
        raise _Invalid("a name of letters, digits and underscores")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Invalid("a finite number")
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("true or false")
    return value


def _one_of(options: tuple[str, ...]) -> Check:
    def check(value: Any) -> str:
        if value not in options:
            raise _Invalid("one of " + ", ".join(repr(o) for o in options))
        return value
    return check


def _month(value: Any) -> str:
    if (not isinstance(value, str) or len(value) != 7 or value[4] != "-"
            or not (value[:4] + value[5:]).isdigit() or not 1 <= int(value[5:]) <= 12):
        raise _Invalid('a month "YYYY-MM"')
    return value


def _window(value: Any) -> tuple[str, str]:
    if not isinstance(value, list) or len(value) != 2:
        raise _Invalid('two months ["YYYY-MM", "YYYY-MM"]')
    first, last = (_month(v) for v in value)
    if last < first:
        raise _Invalid(f"a first month no later than the last, {first} > {last}")
    return first, last


def _codes(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid("a list of ISO3 codes")
    return tuple(value)


_REQUIRED = object()

_TOP = {"name": (_name, _REQUIRED), "description": (_text, ""),
        "calibrated_base": (_text, _REQUIRED), "parameters": (None, _REQUIRED),
        "targets": (None, _REQUIRED)}
_PARAMETER = {"key": (_text, _REQUIRED), "low": (_number, _REQUIRED),
              "high": (_number, _REQUIRED), "scale": (_one_of(SCALES), "linear"),
              "integer": (_bool, False), "label": (_text, _REQUIRED), "unit": (_text, ""),
              "note": (_text, "")}
_TARGET = {"name": (_name, _REQUIRED), "label": (_text, _REQUIRED),
           "statistic": (_one_of(tuple(STATISTICS)), _REQUIRED),
           "scenario": (_text, _REQUIRED), "countries": (_codes, ()),
           "window": (_window, _REQUIRED), "value": (_number, _REQUIRED),
           "low": (_number, _REQUIRED), "high": (_number, _REQUIRED),
           "unit": (_text, ""), "source": (_text, _REQUIRED), "range_note": (_text, ""),
           "note": (_text, ""), "role": (_one_of(ROLES), "fit"), "input": (_text, "")}


def _table(file: str, where: str, raw: Any, spec: Mapping[str, tuple[Check | None, Any]],
           ) -> dict[str, Any]:
    """Check ``raw`` against ``spec`` (key -> (check, default)); return the values."""
    if not isinstance(raw, dict):
        raise ScenarioError(file, where, "expected a table")
    for key in raw:
        if key not in spec:
            near = difflib.get_close_matches(key, list(spec), n=1, cutoff=0.5)
            hint = (f"; did you mean '{near[0]}'?" if near
                    else f"; expected one of {', '.join(spec)}")
            raise ScenarioError(file, _join(where, key), "unknown key" + hint)
    values = {}
    for key, (check, default) in spec.items():
        if key not in raw:
            if default is _REQUIRED:
                raise ScenarioError(file, _join(where, key), "missing required key")
            values[key] = default
            continue
        try:
            values[key] = raw[key] if check is None else check(raw[key])
        except _Invalid as exc:
            raise ScenarioError(file, _join(where, key),
                                f"expected {exc}, found {raw[key]!r}") from None
    return values


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _array(file: str, key: str, raw: Any) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(file, key, f"expected a non-empty array of tables ([[{key}]])")
    return raw


# --- the file -------------------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), "",
                            "expected an existing targets file, found none") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), "", f"expected a readable UTF-8 file ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "", f"malformed TOML: {exc}") from None


def _relative_file(file: str, key: str, base: Path, name: str) -> Path:
    path = Path(os.path.normpath(base / name))
    if not path.is_file():
        raise ScenarioError(file, key, f"expected an existing scenario file, found {name!r}")
    return path


def _parameter(file: str, index: int, raw: Any) -> Parameter:
    where = f"parameters.{index}"
    values = _table(file, where, raw, _PARAMETER)
    if not values["low"] < values["high"]:
        raise ScenarioError(file, f"{where}.high", f"expected a bound above low "
                            f"({values['low']:g}), found {values['high']:g}")
    if values["scale"] == "log" and values["low"] <= 0:
        raise ScenarioError(file, f"{where}.low", f"expected a positive bound on a log scale, "
                            f"found {values['low']:g}")
    return Parameter(**values)


def _target(file: str, index: int, raw: Any, base: Path) -> Target:
    where = f"targets.{index}"
    values = _table(file, where, raw, _TARGET)
    values["scenario"] = _relative_file(file, f"{where}.scenario", base, values["scenario"])
    if not (0 < values["low"] <= values["value"] <= values["high"]
            and values["low"] < values["high"]):
        raise ScenarioError(file, f"{where}.value", "expected 0 < low <= value <= high and "
                            "low < high, found "
                            f"{values['low']:g}, {values['value']:g}, {values['high']:g}")
    if STATISTICS[values["statistic"]].needs_countries and not values["countries"]:
        raise ScenarioError(file, f"{where}.countries",
                            f"expected the countries statistic {values['statistic']!r} sums over")
    return Target(**values)


def load_targets(path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None,
                 ) -> TargetSet:
    """Read and check a targets file.

    Besides each key's type, the check loads every target's scenario (with
    ``overrides`` and each parameter at each bound), so that a parameter key
    the scenarios lack, a bound outside a field's range, a country the
    scenario does not model or a window outside its months is found now.

    Parameters
    ----------
    path : str or path-like
        The targets TOML file. Scenario paths in it are relative to it.
    overrides : mapping, optional
        Fixed scenario overrides applied to every target scenario.

    Returns
    -------
    TargetSet

    Raises
    ------
    ScenarioError
        Naming the targets file (or a scenario file) and the key.
    """
    file = Path(path)
    shown, base = str(file), file.parent
    values = _table(shown, "", _read(file), _TOP)
    parameters = tuple(_parameter(shown, i, raw)
                       for i, raw in enumerate(_array(shown, "parameters", values["parameters"])))
    targets = tuple(_target(shown, i, raw, base)
                    for i, raw in enumerate(_array(shown, "targets", values["targets"])))
    _check_unique(shown, "parameters", [p.key for p in parameters], "key")
    _check_unique(shown, "targets", [t.name for t in targets], "name")
    if not any(t.role == "fit" for t in targets):
        raise ScenarioError(shown, "targets", "expected at least one target with role = 'fit'")
    target_set = TargetSet(
        file=file, name=values["name"], description=values["description"],
        calibrated_base=_relative_file(shown, "calibrated_base", base, values["calibrated_base"]),
        parameters=parameters, targets=targets)
    _check_against_scenarios(target_set, dict(overrides or {}))
    return target_set


def _check_unique(file: str, array: str, names: list[str], key: str) -> None:
    for index, name in enumerate(names):
        if name in names[:index]:
            raise ScenarioError(file, f"{array}.{index}.{key}",
                                f"expected a unique {key}, found {name!r} twice")


def _check_against_scenarios(target_set: TargetSet, overrides: dict[str, Any]) -> None:
    from sim.world import month_labels

    file = str(target_set.file)
    loaded = {}
    for path in dict.fromkeys((target_set.calibrated_base, *target_set.scenarios)):
        for bound in ("low", "high"):
            chosen = {p.key: _at(p, getattr(p, bound)) for p in target_set.parameters}
            try:
                loaded[path] = load_scenario(path, {**overrides, **chosen})
            except ScenarioError as exc:
                raise _blame(target_set, exc, bound) from None
    known = loaded[target_set.calibrated_base].to_dict()
    for index, target in enumerate(target_set.targets):
        if target.input and not _has_key(known, target.input):
            raise ScenarioError(file, f"targets.{index}.input",
                                f"expected a scenario key, found {target.input!r}")
        scenario = loaded[target.scenario]
        dates = month_labels(scenario.time.start, scenario.time.months)
        _check_target_fits(file, f"targets.{index}", target, scenario.countries, dates)


def _check_target_fits(file: str, where: str, target: Target, countries: Mapping[str, Any],
                       dates: tuple[str, ...]) -> None:
    name = target.scenario.name
    for code in target.countries:
        if code not in countries:
            raise ScenarioError(file, f"{where}.countries",
                                f"expected countries modelled in {name}, found {code!r}")
    if target.window[0] < dates[0] or target.window[1] > dates[-1]:
        raise ScenarioError(file, f"{where}.window", f"expected months inside {name} "
                            f"({dates[0]}..{dates[-1]}), found {target.window[0]}.."
                            f"{target.window[1]}")


def _has_key(data: Mapping[str, Any], dotted: str) -> bool:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _at(parameter: Parameter, value: float) -> float | int:
    return round(value) if parameter.integer else value


def _blame(target_set: TargetSet, exc: ScenarioError, bound: str) -> ScenarioError:
    """Turn an error in a parameter's override into one naming the targets file and key."""
    if exc.file != OVERRIDE_SOURCE:
        return exc
    for index, parameter in enumerate(target_set.parameters):
        if parameter.key == exc.key or parameter.key.startswith(exc.key + "."):
            field = "key" if "unknown key" in exc.problem else bound
            problem = exc.problem if field == "key" else f"{parameter.key}: {exc.problem}"
            return ScenarioError(str(target_set.file), f"parameters.{index}.{field}", problem)
    return exc
