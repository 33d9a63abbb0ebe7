"""One varied scenario value: what sweeps and calibration priors are made of.

A :class:`Parameter` is a scenario key with a range (``low`` to ``high``,
optionally on a log scale) or a list of values. It maps points of the unit
interval to scenario values and back; :mod:`sim.experiment.sampling` maps
whole designs. Sweep files (:mod:`sim.sweep.spec`) and targets files
(:mod:`sim.calibration.targets`) build Parameters after checking their
tables, so a Parameter is valid when it exists.

Integer keys follow one rounding rule: the mapped value is rounded half to
even (``numpy.rint``) and then clipped to ``[ceil(low), floor(high)]``, so a
drawn integer never leaves the range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Parameter"]


@dataclass(frozen=True)
class Parameter:
    """One varied scenario key: a range (``low``..``high``) or a list of values.

    Attributes
    ----------
    key : str
        Dotted scenario key, e.g. ``"enforcement.detection"``.
    low, high : float or None
        Bounds of a range, ``low < high``; ``None`` for a list.
    values : tuple
        The listed values; empty for a range.
    levels : int
        Grid levels of a range (0 when not on a grid).
    log : bool
        Spread a range evenly in log space (``low > 0``).
    integer : bool
        The scenario key takes integers: mapped values are rounded (see the
        module docstring).
    label, unit, note : str
        What it is, its unit, and why these bounds (a calibration prior
        states them; a sweep parameter leaves them empty).
    """

    key: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] = ()
    levels: int = 0
    log: bool = False
    integer: bool = False
    label: str = ""
    unit: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.values:
            if self.low is not None or self.high is not None or self.log or self.levels:
                raise ValueError(f"{self.key}: a list of values takes no bounds, levels or log")
            return
        if self.low is None or self.high is None or not self.low < self.high:
            raise ValueError(f"{self.key}: a range needs low < high, found {self.low}, {self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"{self.key}: a log range needs low > 0, found {self.low}")

    @property
    def is_range(self) -> bool:
        """Whether the parameter is a range rather than a list."""
        return not self.values

    @property
    def scale(self) -> str:
        """``"log"`` or ``"linear"``: how a range is spread (a prior's scale)."""
        return "log" if self.log else "linear"

    @property
    def n_levels(self) -> int:
        """Values on a grid: the listed values, or the range's levels."""
        return len(self.values) if self.values else self.levels

    def from_unit(self, unit: ArrayLike) -> np.ndarray:
        """Map numbers in ``[0, 1]`` to parameter values.

        A range maps linearly (or log-linearly); a list maps ``[0, 1)`` onto
        its values in equal slices. Numbers outside ``[0, 1]`` are clipped.

        Parameters
        ----------
        unit : array_like of shape (n,)

        Returns
        -------
        ndarray of shape (n,)
            float64 for a range (integer keys rounded, still float64); an
            object array of the listed values for a list.
        """
        unit = np.clip(np.asarray(unit, dtype=np.float64), 0.0, 1.0)
        if self.values:
            index = np.minimum((unit * len(self.values)).astype(np.int64), len(self.values) - 1)
            listed = np.empty(len(index), dtype=object)
            for position, i in enumerate(index):
                listed[position] = self.values[i]
            return listed
        low, high = float(self.low), float(self.high)  # type: ignore[arg-type]
        if self.log:
            drawn = np.exp(np.log(low) + unit * (np.log(high) - np.log(low)))
        else:
            drawn = low + unit * (high - low)
        if self.integer:
            drawn = np.clip(np.rint(drawn), math.ceil(low), math.floor(high))
        return drawn

    def to_unit(self, values: ArrayLike) -> np.ndarray:
        """Map range values back to ``[0, 1]`` (the inverse of :meth:`from_unit`).

        Parameters
        ----------
        values : array_like of shape (n,)

        Returns
        -------
        ndarray of shape (n,), float64
        """
        if self.values:
            raise ValueError(f"{self.key}: a list of values has no unit scale")
        values = np.asarray(values, dtype=np.float64)
        low, high = float(self.low), float(self.high)  # type: ignore[arg-type]
        if self.log:
            return (np.log(values) - np.log(low)) / (np.log(high) - np.log(low))
        return (values - low) / (high - low)

    def override(self, value: Any) -> Any:
        """Return one value as a scenario override: ``int``, ``float`` or the listed value."""
        if self.values:
            return value
        return int(value) if self.integer else float(value)

    def overrides(self, unit: ArrayLike) -> list[Any]:
        """Map numbers in ``[0, 1]`` to scenario override values (plain Python)."""
        return [self.override(v) for v in self.from_unit(unit)]

    def grid(self) -> tuple[Any, ...]:
        """Return the grid levels: the listed values, or ``levels`` even steps."""
        if self.values:
            return self.values
        return tuple(self.overrides(np.linspace(0.0, 1.0, self.levels)))

    def extremes(self) -> tuple[Any, ...]:
        """Return the values a check must try: the listed values, or both ends of the range."""
        return self.values or tuple(self.overrides(np.array([0.0, 1.0])))

    def describe(self) -> dict[str, Any]:
        """Return the parameter as plain data (a sweep manifest's record of it)."""
        return {"key": self.key, "low": self.low, "high": self.high, "values": list(self.values),
                "levels": self.levels, "log": self.log, "integer": self.integer}
