"""Calibration targets and uncertain parameters, read from a TOML file.

A targets file (``scenarios/targets/*.toml``) states the published figures
the model should reproduce, each with its range, its source and the scenario
window it is compared under, and the behavioural parameters to estimate,
each with the bounds of its prior. The file's keys are declared below as the
scenario schema declares its own (:class:`TargetsFile`, :class:`PriorTable`,
:class:`TargetTable`, walked by :func:`sim.scenario.build.build`); what spans
several keys, and the target scenarios at each bound, is checked by the small
functions after them. A mistake raises
:class:`~sim.calibration.errors.TargetsError` naming the file and the key (a
mistake in a target's scenario file stays a
:class:`~sim.scenario.ScenarioError` naming that file).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sim.calibration.errors import TargetsError
from sim.calibration.statistics import STATISTICS
from sim.experiment.parameters import Parameter
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.build import build
from sim.scenario.constraints import Bool, Countries, MonthWindow, Name, Number, OneOf, Text
from sim.scenario.documents import OVERRIDE_SOURCE, Document
from sim.scenario.reading import read_toml
from sim.scenario.schema import Scenario, array_of, value
from sim.world import month_labels

__all__ = ["ROLES", "SCALES", "Target", "TargetSet", "load_targets"]

ROLES = ("fit", "check")
"""``fit``: the target enters the ABC distance; ``check``: it is only reported."""
SCALES = ("linear", "log")
"""Prior scales: uniform, or uniform in the logarithm."""


# --- the file's declaration -----------------------------------------------------------------


@dataclass(frozen=True)
class PriorTable:
    """One ``[[parameters]]`` entry: a scenario key and the bounds of its prior."""

    key: str = value(Text(), "the scenario key, e.g. enforcement.detection")
    label: str = value(Text(), "what the parameter is")
    low: float = value(Number(), "the prior's low bound")
    high: float = value(Number(), "the prior's high bound")
    scale: str = value(OneOf(SCALES), "the prior's scale", default="linear")
    integer: bool = value(Bool(), "round draws to whole numbers", default=False)
    unit: str = value(Text(), "the unit", default="")
    note: str = value(Text(), "why these bounds", default="")


@dataclass(frozen=True)
class TargetTable:
    """One ``[[targets]]`` entry: a published figure and how the model measures it."""

    name: str = value(Name(), "an identifier")
    label: str = value(Text(), "a title for a reader")
    statistic: str = value(OneOf(tuple(STATISTICS)), "what the model measures")
    scenario: str = value(Text(), "the scenario file, relative to the targets file")
    countries: tuple[str, ...] = value(Countries(groups=False), "ISO3 codes summed over",
                                       default=[])
    window: tuple[str, str] = value(MonthWindow(), "first and last month")
    low: float = value(Number(), "the low end of its range")
    high: float = value(Number(), "the high end of its range")
    unit: str = value(Text(), "the unit", default="")
    source: str = value(Text(), "the citation")
    range_note: str = value(Text(), "where the range comes from", default="")
    note: str = value(Text(), "remarks", default="")
    role: str = value(OneOf(ROLES), "fit or check", default="fit")
    input: str = value(Text(), "a scenario key this figure already sets", default="")
    # Last: once declared, the name ``value`` hides the declaring function in this class body.
    value: float = value(Number(), "the published figure")


@dataclass(frozen=True)
class TargetsFile:
    """A targets file as written, each key checked on its own."""

    name: str = value(Name(), "an identifier")
    description: str = value(Text(), "what the targets are", default="")
    calibrated_base: str = value(Text(), "the scenario a calibrated scenario extends")
    parameters: tuple[PriorTable, ...] = array_of(PriorTable, "the priors [[parameters]]")
    targets: tuple[TargetTable, ...] = array_of(TargetTable, "the figures [[targets]]")


# --- what loading returns -------------------------------------------------------------------


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
        The priors: ranges, with label, unit and note.
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

    def relative_to(self, root: str | os.PathLike[str]) -> TargetSet:
        """Return the set with its file paths relative to ``root`` (paths outside it kept).

        Two checkouts of one repository give equal sets this way, though
        their absolute paths differ (``experiments/validate.py --reuse``).
        """
        def relative(path: Path) -> Path:
            return path.relative_to(root) if path.is_relative_to(root) else path

        return replace(self, file=relative(self.file),
                       calibrated_base=relative(self.calibrated_base),
                       targets=tuple(replace(t, scenario=relative(t.scenario))
                                     for t in self.targets))


# --- loading and the checks that span keys --------------------------------------------------


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
    TargetsError
        Naming the targets file and the key.
    ScenarioError
        Naming a target's scenario file, for a mistake in it.
    """
    file = Path(path)
    doc = Document.of_file(read_toml(file, TargetsError, "targets file"), str(file),
                           TargetsError)
    declared: TargetsFile = build(TargetsFile, doc, (), doc.data)
    for array in ("parameters", "targets"):
        if not getattr(declared, array):
            raise doc.error((array,), f"expected a non-empty array of tables ([[{array}]])")
    parameters = tuple(_parameter(doc, i, table) for i, table in enumerate(declared.parameters))
    targets = tuple(_target(doc, i, table, file.parent)
                    for i, table in enumerate(declared.targets))
    _check_unique(doc, "parameters", [p.key for p in parameters], "key")
    _check_unique(doc, "targets", [t.name for t in targets], "name")
    if not any(t.role == "fit" for t in targets):
        raise doc.error(("targets",), "expected at least one target with role = 'fit'")
    target_set = TargetSet(
        file=file, name=declared.name, description=declared.description,
        calibrated_base=_relative_file(doc, ("calibrated_base",), file.parent,
                                       declared.calibrated_base),
        parameters=parameters, targets=targets)
    _check_against_scenarios(doc, target_set, dict(overrides or {}))
    return target_set


def _relative_file(doc: Document, key: tuple[str, ...], base: Path, name: str) -> Path:
    path = Path(os.path.normpath(base / name))
    if not path.is_file():
        raise doc.error(key, f"expected an existing scenario file, found {name!r}")
    return path


def _parameter(doc: Document, index: int, table: PriorTable) -> Parameter:
    where = ("parameters", str(index))
    if not table.low < table.high:
        raise doc.error((*where, "high"), f"expected a bound above low ({table.low:g}), "
                                          f"found {table.high:g}")
    if table.scale == "log" and table.low <= 0:
        raise doc.error((*where, "low"), "expected a positive bound on a log scale, found "
                                         f"{table.low:g}")
    return Parameter(key=table.key, low=table.low, high=table.high, log=table.scale == "log",
                     integer=table.integer, label=table.label, unit=table.unit, note=table.note)


def _target(doc: Document, index: int, table: TargetTable, base: Path) -> Target:
    where = ("targets", str(index))
    scenario = _relative_file(doc, (*where, "scenario"), base, table.scenario)
    if not (0 < table.low <= table.value <= table.high and table.low < table.high):
        raise doc.error((*where, "value"), "expected 0 < low <= value <= high and low < high, "
                        f"found {table.low:g}, {table.value:g}, {table.high:g}")
    if STATISTICS[table.statistic].needs_countries and not table.countries:
        raise doc.error((*where, "countries"),
                        f"expected the countries statistic {table.statistic!r} sums over")
    return Target(
        name=table.name, label=table.label, statistic=table.statistic, scenario=scenario,
        countries=table.countries, window=table.window, value=table.value, low=table.low,
        high=table.high, unit=table.unit, source=table.source, range_note=table.range_note,
        note=table.note, role=table.role, input=table.input)


def _check_unique(doc: Document, array: str, names: list[str], key: str) -> None:
    for index, name in enumerate(names):
        if name in names[:index]:
            raise doc.error((array, str(index), key),
                            f"expected a unique {key}, found {name!r} twice")


def _check_against_scenarios(doc: Document, target_set: TargetSet,
                             overrides: dict[str, Any]) -> None:
    """Load every target scenario with all parameters at their low, then their high ends."""
    loaded: dict[Path, Scenario] = {}
    for path in dict.fromkeys((target_set.calibrated_base, *target_set.scenarios)):
        for end, bound in enumerate(("low", "high")):
            chosen = {p.key: p.extremes()[end] for p in target_set.parameters}
            try:
                loaded[path] = load_scenario(path, {**overrides, **chosen})
            except ScenarioError as exc:
                raise _blame(doc, target_set, exc, bound) from None
    known = loaded[target_set.calibrated_base].to_dict()
    for index, target in enumerate(target_set.targets):
        if target.input and not _has_key(known, target.input):
            raise doc.error(("targets", str(index), "input"),
                            f"expected a scenario key, found {target.input!r}")
        scenario = loaded[target.scenario]
        dates = month_labels(scenario.time.start, scenario.time.months)
        _check_target_fits(doc, ("targets", str(index)), target, scenario.countries, dates)


def _check_target_fits(doc: Document, where: tuple[str, ...], target: Target,
                       countries: Mapping[str, Any], dates: tuple[str, ...]) -> None:
    name = target.scenario.name
    for code in target.countries:
        if code not in countries:
            raise doc.error((*where, "countries"),
                            f"expected countries modelled in {name}, found {code!r}")
    if target.window[0] < dates[0] or target.window[1] > dates[-1]:
        raise doc.error((*where, "window"), f"expected months inside {name} "
                        f"({dates[0]}..{dates[-1]}), found {target.window[0]}.."
                        f"{target.window[1]}")


def _has_key(data: Mapping[str, Any], dotted: str) -> bool:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _blame(doc: Document, target_set: TargetSet, exc: ScenarioError,
           bound: str) -> ScenarioError | TargetsError:
    """Turn an error in a parameter's override into one naming the targets file and key."""
    if exc.file != OVERRIDE_SOURCE:
        return exc
    for index, parameter in enumerate(target_set.parameters):
        if parameter.key == exc.key or parameter.key.startswith(exc.key + "."):
            field = "key" if "unknown key" in exc.problem else bound
            problem = exc.problem if field == "key" else f"{parameter.key}: {exc.problem}"
            error = doc.error(("parameters", str(index), field), problem)
            assert isinstance(error, TargetsError)
            return error
    return exc
