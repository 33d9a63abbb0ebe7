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
list has ``values``. Everything is checked here, once, against the base
scenario, so a mistake ends before any work starts.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.scenario import ScenarioError, load_scenario
from sim.scenario.build import constraint_at
from sim.scenario.constraints import Int
from sim.scenario.schema import Scenario
from sim.sweep.errors import SweepError

__all__ = ["DESIGNS", "Parameter", "SweepSpec", "load_sweep"]

DESIGNS = ("grid", "lhs", "sobol", "saltelli")
"""Grid: every combination of levels; Latin hypercube and scrambled Sobol
points from ``scipy.stats.qmc``; Saltelli: SALib's design for Sobol indices."""

_TOP_KEYS = {"name", "description", "scenario", "design", "parameters", "set"}
_DESIGN_KEYS = {"kind", "points", "replicates", "seed", "chunk_points", "common_seeds"}
_PARAMETER_KEYS = {"low", "high", "levels", "log", "values"}
MAX_POINTS = 1_000_000
"""Largest number of design points a sweep may have (a typo guard)."""


@dataclass(frozen=True)
class Parameter:
    """One swept scenario key: a range (``low``..``high``) or a list of values.

    Attributes
    ----------
    key : str
        Dotted scenario key, e.g. ``"enforcement.detection"``.
    low, high : float or None
        Bounds of a range; ``None`` for a list.
    values : tuple
        The listed values; empty for a range.
    levels : int
        Grid levels of a range (0 when not on a grid).
    log : bool
        Spread a range evenly in log space.
    integer : bool
        The scenario key takes integers, so drawn values are rounded.
    """

    key: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] = ()
    levels: int = 0
    log: bool = False
    integer: bool = False

    @property
    def is_range(self) -> bool:
        """Whether the parameter is a range rather than a list."""
        return not self.values

    def grid(self) -> tuple[Any, ...]:
        """Return the grid levels: the listed values, or ``levels`` even steps."""
        if self.values:
            return self.values
        return tuple(self.from_unit(np.linspace(0.0, 1.0, self.levels)))

    def from_unit(self, unit: np.ndarray) -> list[Any]:
        """Map numbers in ``[0, 1]`` to parameter values.

        A range maps linearly (or log-linearly); a list maps ``[0, 1)`` onto
        its values in equal slices.
        """
        unit = np.clip(np.asarray(unit, dtype=np.float64), 0.0, 1.0)
        if self.values:
            index = np.minimum((unit * len(self.values)).astype(np.int64), len(self.values) - 1)
            return [self.values[i] for i in index]
        assert self.low is not None and self.high is not None
        if self.log:
            drawn = np.exp(np.log(self.low) + unit * (np.log(self.high) - np.log(self.low)))
        else:
            drawn = self.low + unit * (self.high - self.low)
        if self.integer:
            return [int(v) for v in np.rint(drawn)]
        return [float(v) for v in drawn]

    def describe(self) -> dict[str, Any]:
        """Return the parameter as plain data (for the manifest)."""
        return {"key": self.key, "low": self.low, "high": self.high, "values": list(self.values),
                "levels": self.levels, "log": self.log, "integer": self.integer}


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

    @property
    def keys(self) -> tuple[str, ...]:
        """The swept scenario keys, in file order."""
        return tuple(p.key for p in self.parameters)

    @property
    def n_chunks(self) -> int:
        """Number of units of work."""
        return math.ceil(self.points / self.chunk_points)

    def describe(self) -> dict[str, Any]:
        """Return the sweep as plain data: what a finished part depends on."""
        return {
            "name": self.name, "scenario": str(self.scenario),
            "scenario_digest": self.scenario_digest, "design": self.design,
            "points": self.points, "base_samples": self.base_samples,
            "replicates": self.replicates, "seed": self.seed, "chunk_points": self.chunk_points,
            "common_seeds": self.common_seeds,
            "parameters": [p.describe() for p in self.parameters],
            "fixed": [list(pair) for pair in self.fixed],
        }

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
    data = _read_toml(path)
    _only_keys(path, "", data, _TOP_KEYS)
    name = _text(path, data, "name")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise SweepError(path, "description", f"expected a string, found {description!r}")
    scenario_path = (path.parent / _text(path, data, "scenario")).resolve()
    try:
        base = load_scenario(scenario_path)
    except ScenarioError as exc:
        raise SweepError(path, "scenario", f"the base scenario does not load: {exc}") from None
    fixed = _fixed(path, data.get("set", {}), scenario_path)
    design = _table(path, data, "design")
    _only_keys(path, "design.", design, _DESIGN_KEYS)
    parameters = _parameters(path, _table(path, data, "parameters"), scenario_path, dict(fixed))
    kind = design.get("kind")
    if kind not in DESIGNS:
        raise SweepError(path, "design.kind", f"expected one of {', '.join(DESIGNS)}, "
                                              f"found {kind!r}")
    points, base_samples = _design_size(path, kind, design, parameters)
    replicates = _positive(path, design, "replicates", 10_000)
    seed = _positive(path, design, "seed", 2**63 - 1, low=0)
    common_seeds = design.get("common_seeds", False)
    if not isinstance(common_seeds, bool):
        raise SweepError(path, "design.common_seeds", f"expected true or false, found "
                                                      f"{common_seeds!r}")
    chunk_points = (_positive(path, design, "chunk_points", MAX_POINTS) if "chunk_points" in design
                    else _default_chunk_points(points, replicates))
    return SweepSpec(
        file=path, name=name, description=description, scenario=scenario_path,
        scenario_digest=base.digest(), design=kind, points=points, base_samples=base_samples,
        replicates=replicates, seed=seed, chunk_points=chunk_points, parameters=parameters,
        common_seeds=common_seeds, fixed=fixed,
    )


def _default_chunk_points(points: int, replicates: int) -> int:
    """Points per chunk: a few seconds of work, independent of the workers used."""
    runs_per_chunk = 64
    return max(1, min(points, runs_per_chunk // replicates, math.ceil(points / 8)))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SweepError(path, "", "expected a sweep TOML file, found no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepError(path, "", f"expected a readable UTF-8 sweep file ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(path, "", f"expected valid TOML ({exc})") from None


def _only_keys(path: Path, prefix: str, table: dict[str, Any], allowed: set[str]) -> None:
    import difflib

    for key in table:
        if key not in allowed:
            near = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
            hint = f"; did you mean '{prefix}{near[0]}'?" if near else ""
            raise SweepError(path, f"{prefix}{key}", f"unknown key; expected one of "
                                                     f"{', '.join(sorted(allowed))}{hint}")


def _text(path: Path, data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SweepError(path, key, f"expected a non-empty string, found {value!r}")
    return value


def _table(path: Path, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        found = "nothing" if value is None else repr(value)
        raise SweepError(path, key, f"expected a table [{key}], found {found}")
    return value


def _positive(path: Path, table: dict[str, Any], key: str, high: int, low: int = 1) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SweepError(path, f"design.{key}",
                         f"expected an integer in [{low}, {high}], found {value!r}")
    return value


def _design_size(path: Path, kind: str, design: dict[str, Any],
                 parameters: tuple[Parameter, ...]) -> tuple[int, int]:
    if kind == "grid":
        if "points" in design:
            raise SweepError(path, "design.points", "a grid takes its size from each "
                             "parameter's levels or values; remove design.points")
        for p in parameters:
            if p.is_range and p.levels < 2:
                raise SweepError(path, f'parameters."{p.key}".levels', "a range on a grid needs "
                                 f"levels = 2 or more, found {p.levels or 'none'}")
        points = math.prod(len(p.grid()) for p in parameters)
        if points > MAX_POINTS:
            raise SweepError(path, "parameters", f"expected at most {MAX_POINTS:,} grid points, "
                                                 f"found {points:,}")
        return points, points
    for p in parameters:
        if p.levels:
            raise SweepError(path, f'parameters."{p.key}".levels',
                             f"levels apply to a grid only, not to design.kind = {kind!r}")
    n = _positive(path, design, "points", MAX_POINTS)
    if kind in ("sobol", "saltelli") and n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise SweepError(path, "design.points", f"a {kind} design needs a power of 2 (its "
                         f"balance properties hold only then), found {n}; try {below} or "
                         f"{below * 2}")
    if kind == "saltelli":
        return n * (len(parameters) + 2), n
    return n, n


def _fixed(path: Path, table: Any, scenario: Path) -> tuple[tuple[str, Any], ...]:
    if not isinstance(table, dict):
        raise SweepError(path, "set", f"expected a table of scenario keys, found {table!r}")
    try:
        load_scenario(scenario, table)
    except ScenarioError as exc:
        raise SweepError(path, f'set."{exc.key}"', f"refused by {scenario.name}: "
                                                   f"{exc.problem}") from None
    return tuple(table.items())


def _parameters(path: Path, table: dict[str, Any], scenario: Path,
                fixed: dict[str, Any]) -> tuple[Parameter, ...]:
    if not table:
        raise SweepError(path, "parameters", "expected at least one parameter to sweep, "
                                             "found none")
    parameters = []
    for key, spec in table.items():
        where = f'parameters."{key}"'
        if not isinstance(spec, dict):
            raise SweepError(path, where, "expected a table such as { low = 0.1, high = 0.5 } "
                                          f"or {{ values = [...] }}, found {spec!r}")
        _only_keys(path, f"{where}.", spec, _PARAMETER_KEYS)
        parameter = _parameter(path, where, key, spec)
        if key in fixed:
            raise SweepError(path, where, "this key is also fixed in [set]; expected it in "
                                          "one of the two")
        _check_against_scenario(path, where, parameter, scenario, fixed)
        parameters.append(parameter)
    return tuple(parameters)


def _parameter(path: Path, where: str, key: str, spec: dict[str, Any]) -> Parameter:
    integer = _takes_integers(key)
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise SweepError(path, f"{where}.log", f"expected true or false, found {log!r}")
    levels = spec.get("levels", 0)
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 0:
        raise SweepError(path, f"{where}.levels", f"expected an integer >= 2, found {levels!r}")
    if "values" in spec:
        values = spec["values"]
        if set(spec) - {"values"}:
            extra = sorted(set(spec) - {"values"})[0]
            raise SweepError(path, f"{where}.{extra}", "a list of values takes no "
                                                       "low/high/levels/log")
        if not isinstance(values, list) or not values:
            raise SweepError(path, f"{where}.values", f"expected a non-empty list, found "
                                                      f"{values!r}")
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise SweepError(path, f"{where}.values", f"expected distinct values, found "
                                                      f"{values!r}")
        return Parameter(key=key, values=tuple(values), integer=integer)
    bounds = []
    for bound in ("low", "high"):
        value = spec.get(bound)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            raise SweepError(path, f"{where}.{bound}", f"expected a finite number, found "
                                                       f"{value!r}")
        bounds.append(float(value))
    low, high = bounds
    if not low < high:
        raise SweepError(path, f"{where}.low", f"expected low < high, found low = {low:g}, "
                                               f"high = {high:g}")
    if log and low <= 0:
        raise SweepError(path, f"{where}.low", f"a log scale needs low > 0, found {low:g}")
    return Parameter(key=key, low=low, high=high, levels=levels, log=log, integer=integer)


def _takes_integers(key: str) -> bool:
    parts = tuple(key.split("."))
    schema_path = ("countries", "", *parts[1:]) if parts[0] == "country_defaults" else parts
    return isinstance(constraint_at(Scenario, schema_path), Int)


def _check_against_scenario(path: Path, where: str, parameter: Parameter, scenario: Path,
                            fixed: dict[str, Any]) -> None:
    """Load the base scenario at each bound (or listed value) of ``parameter``."""
    tried = parameter.values or tuple(parameter.from_unit(np.array([0.0, 1.0])))
    for value in tried:
        try:
            load_scenario(scenario, {**fixed, parameter.key: value})
        except ScenarioError as exc:
            problem = exc.problem if exc.key == parameter.key else f"{exc.key}: {exc.problem}"
            raise SweepError(path, where, f"value {value!r} is refused by {scenario.name}: "
                                          f"{problem}") from None
