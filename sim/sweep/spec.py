"""A sweep file: a base scenario, the parameters to vary, a design and its size.

A sweep file is TOML::

    name = "enforcement_vs_cap"
    description = "Detection against the Tier 2 cap."
    scenario = "../ai_diffusion_2025.toml"   # relative to the sweep file

    [design]
    kind = "grid"          # grid | lhs | sobol | saltelli
    replicates = 4         # runs per point
    seed = 2025            # seeds derive from (seed, point, replicate)
    # common_seeds = true  # every point uses the same seeds (common random numbers)
    # points = 32          # lhs and sobol: points; saltelli: base samples N

    [parameters]
    "enforcement.detection" = { low = 0.05, high = 0.5, levels = 4 }
    "rules.cap_tpp" = { values = [395_000_000, 790_000_000, 1_580_000_000] }

    [set]                  # optional: fixed overrides for every point, as --set
    "time.months" = 24

A parameter is any scenario key that ``--set`` accepts. A range has ``low``
and ``high`` (and ``log = true`` for a log scale; ``levels`` for a grid); a
list has ``values``. The file's keys are declared below as the scenario
schema declares its own (:class:`SweepFile`, :class:`DesignTable`,
:class:`ParameterTable`, walked by :func:`sim.scenario.build.build`); what
spans several keys, and the base scenario at each bound, is checked by the
small functions after them. Everything is checked here, once, so a mistake
ends before any work starts.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.experiment.parameters import Parameter
from sim.experiment.sampling import SAMPLERS
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.build import build, constraint_at
from sim.scenario.constraints import (
    Bool,
    Constraint,
    Float,
    Int,
    Invalid,
    Number,
    OneOf,
    Table,
    Text,
)
from sim.scenario.documents import Document, read_chain, toml_key
from sim.scenario.loading import resolve_scenario
from sim.scenario.reading import read_toml
from sim.scenario.schema import Scenario, section, table_of, value
from sim.sweep.errors import SweepError

__all__ = ["DESIGNS", "MAX_CORNERS", "MAX_POINTS", "MAX_RUNS", "SweepSpec", "load_sweep"]

DESIGNS = SAMPLERS
"""Grid: every combination of levels; Latin hypercube and scrambled Sobol
points from ``scipy.stats.qmc``; Saltelli: SALib's design for Sobol indices."""

MAX_POINTS = 1_000_000
"""Largest number of design points a sweep may have (a typo guard)."""
MAX_REPLICATES = 10_000
"""Largest number of runs per point."""
MAX_RUNS = 10_000_000
"""Largest number of runs (points x replicates) in one sweep: the bound every
command's counts share (``sim.cli.arguments.MAX_COUNT``)."""
MAX_CORNERS = 256
"""Corners checked as a full product; beyond, every pair of parameters at
every pair of their corner values."""


# --- the file's declaration -----------------------------------------------------------------


@dataclass(frozen=True)
class Values(Constraint):
    """A non-empty list of distinct values (for ``values = [...]``)."""

    def convert(self, value: Any) -> tuple[Any, ...]:
        """Check the list."""
        if not isinstance(value, list) or not value:
            raise Invalid("a non-empty list of distinct values")
        if len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            raise Invalid("distinct values")
        kinds = {_kind(v) for v in value}
        if len(kinds) > 1:
            raise Invalid("values of one type (numbers, strings, booleans or lists), found "
                          + " and ".join(sorted(kinds)))
        if "table" in kinds:
            raise Invalid("scalar values (or lists where the key takes lists), found tables")
        return tuple(value)


def _kind(item: Any) -> str:
    """Name a TOML value's type; integers and floats are both numbers."""
    if isinstance(item, bool):
        return "booleans"
    if isinstance(item, int | float):
        return "numbers"
    if isinstance(item, str):
        return "strings"
    return "lists" if isinstance(item, list) else "table"


@dataclass(frozen=True)
class DesignTable:
    """The ``[design]`` table: which points, how many runs each, which seed."""

    kind: str = value(OneOf(DESIGNS), "the design, one of " + ", ".join(DESIGNS))
    replicates: int = value(Int(1, MAX_REPLICATES), "runs per point")
    seed: int = value(Int(0, 2**63 - 1), "the sweep seed")
    points: int | None = value(Int(1, MAX_POINTS), "points (lhs, sobol) or base samples "
                               "(saltelli)", default=None)
    chunk_points: int | None = value(Int(1, MAX_POINTS), "points per unit of work",
                                     default=None)
    common_seeds: bool = value(Bool(), "every point runs on the same seeds", default=False)


@dataclass(frozen=True)
class ParameterTable:
    """One ``[parameters]`` entry: ``{ low, high[, log][, levels] }`` or ``{ values }``."""

    low: float | None = value(Number(), "the low end of a range", default=None)
    high: float | None = value(Number(), "the high end of a range", default=None)
    levels: int | None = value(Int(2, MAX_POINTS), "grid levels of a range", default=None)
    log: bool | None = value(Bool(), "a log scale for a range", default=None)
    values: tuple[Any, ...] | None = value(Values(), "the values to try", default=None)


@dataclass(frozen=True)
class SweepFile:
    """A sweep file as written, each key checked on its own."""

    name: str = value(Text(nonempty=True), "the sweep's name")
    description: str = value(Text(), "what the sweep asks", default="")
    scenario: str = value(Text(nonempty=True), "the base scenario file")
    design: DesignTable = section(DesignTable, "the design table [design]")
    parameters: dict[str, ParameterTable] = table_of(
        ParameterTable, Text(), "the parameters to vary [parameters]", sort_keys=False)
    set: dict[str, Any] = value(Table(), "overrides fixed at every point", default={})


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep file.

    Attributes
    ----------
    file : Path
        The sweep file.
    name, description : str
    scenario : Path
        The base scenario file (resolved against the sweep file's folder).
    scenario_digest : str
        :meth:`Scenario.digest` of the base scenario.
    design : str
        One of :data:`DESIGNS`.
    points : int
        Number of design points (for ``saltelli``, ``N * (d + 2)``).
    base_samples : int
        SALib's ``N`` for ``saltelli``; equal to ``points`` otherwise.
    replicates : int
        Runs per point.
    seed : int
        Sweep seed; design and run seeds derive from it.
    common_seeds : bool
        Run every point on the same seeds, derived from (seed, replicate):
        common random numbers, so differences between points come from the
        parameters and not from noise (what Sobol indices need).
    chunk_points : int
        Points per unit of work (and per Parquet part).
    parameters : tuple of Parameter
    fixed : tuple of (str, value) pairs
        Overrides applied to every point (the file's ``[set]`` table).
    posterior : tuple of tuples of (str, str) pairs
        Posterior draws (``sim sweep --posterior``, :mod:`sim.experiment.posterior`):
        every point runs once per draw on its seeds, the draw's values under
        the point's own; empty without.
    """

    file: Path
    name: str
    description: str
    scenario: Path
    scenario_digest: str
    design: str
    points: int
    base_samples: int
    replicates: int
    seed: int
    chunk_points: int
    parameters: tuple[Parameter, ...]
    common_seeds: bool = False
    fixed: tuple[tuple[str, Any], ...] = ()
    posterior: tuple[tuple[tuple[str, str], ...], ...] = ()

    @property
    def runs_per_point(self) -> int:
        """Runs of one point: its replicates, times the posterior draws if any."""
        return self.replicates * max(1, len(self.posterior))

    @property
    def keys(self) -> tuple[str, ...]:
        """The swept scenario keys, in file order."""
        return tuple(p.key for p in self.parameters)

    @property
    def n_chunks(self) -> int:
        """Number of units of work."""
        return math.ceil(self.points / self.chunk_points)

    def describe(self) -> dict[str, Any]:
        """Return the sweep as plain data: what a finished part depends on.

        The posterior draws enter only when there are some, so a sweep without
        them keeps the digest it always had.
        """
        described = {
            "name": self.name, "scenario": str(self.scenario),
            "scenario_digest": self.scenario_digest, "design": self.design,
            "points": self.points, "base_samples": self.base_samples,
            "replicates": self.replicates, "seed": self.seed, "chunk_points": self.chunk_points,
            "common_seeds": self.common_seeds,
            "parameters": [p.describe() for p in self.parameters],
            "fixed": [list(pair) for pair in self.fixed],
        }
        if self.posterior:
            described["posterior"] = [[list(pair) for pair in draw] for draw in self.posterior]
        return described

    def digest(self) -> str:
        """Return a SHA-256 of :meth:`describe` (file paths excluded)."""
        content = {k: v for k, v in self.describe().items() if k != "scenario"}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file.

    Parameters
    ----------
    path : str or Path
        The sweep TOML file.

    Returns
    -------
    SweepSpec

    Raises
    ------
    SweepError
        One line naming the file, the key and what was expected, for any
        mistake: malformed TOML, unknown or missing keys, a bad design, a
        parameter the scenario does not have or a value it refuses.
    """
    path = Path(path)
    doc = Document.of_file(read_toml(path, SweepError, "sweep file"), str(path), SweepError,
                           toml_key)
    declared: SweepFile = build(SweepFile, doc, (), doc.data)
    scenario_path = _resolve_scenario(doc, path, declared.scenario)
    try:
        base = load_scenario(scenario_path)
    except ScenarioError as exc:
        raise doc.error(("scenario",), f"the base scenario does not load: {exc}") from None
    fixed = _fixed(doc, declared.set, scenario_path)
    parameters = _parameters(doc, declared, scenario_path, dict(fixed))
    design = declared.design
    points, base_samples = _design_size(doc, design, parameters)
    _check_runs(doc, points, design.replicates)
    _check_corners(doc, parameters, scenario_path, dict(fixed))
    chunk_points = design.chunk_points or _default_chunk_points(points, design.replicates)
    return SweepSpec(
        file=path, name=declared.name, description=declared.description,
        scenario=scenario_path, scenario_digest=base.digest(), design=design.kind,
        points=points, base_samples=base_samples, replicates=design.replicates,
        seed=design.seed, chunk_points=chunk_points, parameters=parameters,
        common_seeds=design.common_seeds, fixed=fixed,
    )


def _default_chunk_points(points: int, replicates: int) -> int:
    """Points per chunk: a few seconds of work, independent of the workers used."""
    runs_per_chunk = 64
    return max(1, min(points, runs_per_chunk // replicates, math.ceil(points / 8)))


# --- checks that span keys ------------------------------------------------------------------


def _resolve_scenario(doc: Document, path: Path, name: str) -> Path:
    """Return the base scenario's absolute path (relative to the sweep file's folder)."""
    try:
        return (path.parent / name).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # RuntimeError: a symlink loop
        raise doc.error(("scenario",), f"expected a file that can be resolved ({exc})") from None


def _design_size(doc: Document, design: DesignTable,
                 parameters: tuple[Parameter, ...]) -> tuple[int, int]:
    """Return (points, base samples); check the design's size against its kind."""
    if design.kind == "grid":
        return _grid_size(doc, design, parameters)
    for p in parameters:
        if p.levels:
            raise doc.error(("parameters", p.key, "levels"),
                            f"levels apply to a grid only, not to design.kind = {design.kind!r}")
    n = design.points
    if n is None:
        raise doc.error(("design", "points"), f"missing; a {design.kind} design needs an integer "
                                              f"in [1, {MAX_POINTS}]")
    if design.kind in ("sobol", "saltelli") and n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise doc.error(("design", "points"), f"a {design.kind} design needs a power of 2 (its "
                        f"balance properties hold only then), found {n}; try {below} or "
                        f"{below * 2}")
    points = n * (len(parameters) + 2) if design.kind == "saltelli" else n
    if points > MAX_POINTS:
        raise doc.error(("design", "points"), f"expected at most {MAX_POINTS:,} design points, "
                                              f"found {points:,}")
    return points, n


def _grid_size(doc: Document, design: DesignTable,
               parameters: tuple[Parameter, ...]) -> tuple[int, int]:
    """Return a grid's size, counted from the levels before any point is built."""
    if design.points is not None:
        raise doc.error(("design", "points"), "a grid takes its size from each parameter's "
                                              "levels or values; remove design.points")
    for p in parameters:
        if p.is_range and p.levels < 2:
            raise doc.error(("parameters", p.key, "levels"), "a range on a grid needs levels = 2 "
                                                             f"or more, found {p.levels or 'none'}")
    points = math.prod(p.n_levels for p in parameters)
    if points > MAX_POINTS:
        raise doc.error(("parameters",), f"expected at most {MAX_POINTS:,} grid points, "
                                         f"found {points:,}")
    return points, points


def _fixed(doc: Document, table: dict[str, Any], scenario: Path) -> tuple[tuple[str, Any], ...]:
    """Check the ``[set]`` overrides against the base scenario."""
    try:
        load_scenario(scenario, table)
    except ScenarioError as exc:
        raise doc.error(("set", exc.key), f"refused by {scenario.name}: {exc.problem}") from None
    return tuple(table.items())


def _parameters(doc: Document, declared: SweepFile, scenario: Path,
                fixed: dict[str, Any]) -> tuple[Parameter, ...]:
    if not declared.parameters:
        raise doc.error(("parameters",), "expected at least one parameter to sweep, found none")
    parameters = []
    for key, table in declared.parameters.items():
        parameter = _parameter(doc, key, table)
        if key in fixed:
            raise doc.error(("parameters", key), "this key is also fixed in [set]; expected it "
                                                 "in one of the two")
        _check_against_scenario(doc, parameter, scenario, fixed)
        parameters.append(parameter)
    return tuple(parameters)


def _parameter(doc: Document, key: str, table: ParameterTable) -> Parameter:
    """Build a Parameter from its table: a list of values or a range."""
    integer = _takes_integers(key)
    if table.values is not None:
        for extra in ("low", "high", "levels", "log"):
            if getattr(table, extra) is not None:
                raise doc.error(("parameters", key, extra),
                                "a list of values takes no low/high/levels/log")
        _check_value_kind(doc, key, table.values)
        return Parameter(key=key, values=table.values, integer=integer)
    for bound in ("low", "high"):
        if getattr(table, bound) is None:
            raise doc.error(("parameters", key, bound), "missing; expected a finite number (or "
                                                        "give values = [...] instead)")
    low, high, log = table.low, table.high, bool(table.log)
    assert low is not None and high is not None
    _check_range(doc, ("parameters", key), low, high, log, integer)
    return Parameter(key=key, low=low, high=high, levels=table.levels or 0, log=log,
                     integer=integer)


def _check_value_kind(doc: Document, key: str, values: tuple[Any, ...]) -> None:
    """Refuse strings for a key that takes no string: they would be recorded as text."""
    parts = tuple(key.split("."))
    schema_path = ("countries", "", *parts[1:]) if parts[0] == "country_defaults" else parts
    constraint = constraint_at(Scenario, schema_path)
    if isinstance(values[0], str) and isinstance(constraint, Int | Number | Float | Bool):
        raise doc.error(("parameters", key, "values"), f"expected values of the key's type, "
                        f"found strings ({values[0]!r})")


def _check_range(doc: Document, where: tuple[str, ...], low: float, high: float, log: bool,
                 integer: bool) -> None:
    if not low < high:
        raise doc.error((*where, "low"), f"expected low < high, found low = {low:g}, "
                                         f"high = {high:g}")
    if log and low <= 0:
        raise doc.error((*where, "low"), f"a log scale needs low > 0, found {low:g}")
    if integer and math.ceil(low) > math.floor(high):
        raise doc.error((*where, "low"), f"an integer key needs a whole number between low and "
                                         f"high, found none in [{low:g}, {high:g}]")


def _takes_integers(key: str) -> bool:
    parts = tuple(key.split("."))
    schema_path = ("countries", "", *parts[1:]) if parts[0] == "country_defaults" else parts
    return isinstance(constraint_at(Scenario, schema_path), Int)


def _check_against_scenario(doc: Document, parameter: Parameter, scenario: Path,
                            fixed: dict[str, Any]) -> None:
    """Load the base scenario at each bound (or listed value) of ``parameter``."""
    for tried in parameter.extremes():
        try:
            load_scenario(scenario, {**fixed, parameter.key: tried})
        except ScenarioError as exc:
            problem = exc.problem if exc.key == parameter.key else f"{exc.key}: {exc.problem}"
            raise doc.error(("parameters", parameter.key), f"value {tried!r} is refused by "
                                                           f"{scenario.name}: {problem}") from None


def _check_runs(doc: Document, points: int, replicates: int) -> None:
    """Refuse more than :data:`MAX_RUNS` runs in all, before any point is built."""
    if points * replicates > MAX_RUNS:
        raise doc.error(("design", "replicates"), f"expected at most {MAX_RUNS:,} runs in all "
                        f"(points x replicates), found {points:,} x {replicates:,} = "
                        f"{points * replicates:,}")


def corner_values(parameter: Parameter) -> tuple[Any, ...]:
    """Return the values of ``parameter`` whose combinations a check must try.

    Numbers (a range, or listed numbers): the smallest and the largest, since
    the scenario's joint limits (totals, windows) are monotone in them; any
    other list (months, options, country lists, booleans): every value.
    """
    values = parameter.extremes()
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return tuple(dict.fromkeys((min(values), max(values))))
    return values


def corners(parameters: tuple[Parameter, ...]) -> list[dict[str, Any]]:
    """Return the combinations of corner values a sweep is checked at, up front.

    Every combination of :func:`corner_values` when there are at most
    :data:`MAX_CORNERS` (every grid corner; for a sampler, every corner of
    the box its points fill); beyond, every pair of parameters at every pair
    of their corner values (what two-key contradictions need), the others at
    the base scenario's value.
    """
    keys = [p.key for p in parameters]
    values = [corner_values(p) for p in parameters]
    if math.prod(len(v) for v in values) <= MAX_CORNERS:
        return [dict(zip(keys, combination, strict=True))
                for combination in itertools.product(*values)]
    return [{keys[i]: a, keys[j]: b}
            for i, j in itertools.combinations(range(len(keys)), 2)
            for a, b in itertools.product(values[i], values[j])]


def _check_corners(doc: Document, parameters: tuple[Parameter, ...], scenario: Path,
                   fixed: dict[str, Any]) -> None:
    """Load the base scenario at every corner: a contradictory one is refused up front.

    Each parameter alone passed :func:`_check_against_scenario`; a corner can
    still contradict itself (``rules.tiers_from`` after ``rules.tiers_until``,
    a country in two tiers, totals that overflow only together). The checks
    are the scenario's own (:func:`~sim.scenario.loading.resolve_scenario`),
    on the chain read once.
    """
    if len(parameters) < 2:
        return
    document = read_chain(scenario)
    for corner in corners(parameters):
        try:
            resolve_scenario(document, {**fixed, **corner})
        except ScenarioError as exc:
            shown = ", ".join(f"{key} = {value!r}" for key, value in corner.items())
            blamed = exc.key if exc.key in corner else ""
            where = ("parameters", blamed) if blamed else ("parameters",)
            problem = exc.problem if blamed else f"{exc.key}: {exc.problem}"
            raise doc.error(where, f"the combination {shown} is refused by {scenario.name}: "
                            f"{problem}; expected parameters whose every combination loads "
                            "(no point has run)") from None
