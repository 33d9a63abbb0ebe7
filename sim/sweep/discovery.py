"""Scenario discovery on a finished sweep: which parameter ranges make an outcome high or low.

A finished ``sim sweep`` folder (its completion record ``.sim-complete`` of
kind ``sweep``, ``sweep.json`` naming the swept keys, and
``outcomes.parquet``) is read; each run is of interest or not by a rule on
one outcome of :data:`~sim.experiment.outcomes.OUTCOMES`; PRIM
(:mod:`sim.sweep.prim`) finds boxes over the swept keys where such runs are
dense. The chosen box is the densest box of the trajectory whose coverage is
at least ``coverage_min`` (0.5 by default: a box holding at least half of the
runs of interest; ties go to more coverage).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiment.folders import COMPLETE
from sim.experiment.numbers import compact
from sim.experiment.outcomes import OUTCOMES
from sim.sweep.errors import SweepError
from sim.sweep.prim import (
    PrimSettings,
    Trajectory,
    box_statistics,
    chosen_box,
    peeling_trajectory,
    quasi_p_values,
)

__all__ = ["COVERAGE_MIN", "RULES", "Discovery", "Question", "boxes_table", "describe",
           "discover", "read_sweep"]

COVERAGE_MIN = 0.5
"""Default least coverage of the chosen box (assumption: half of the runs of interest;
docs/sources.md §19 for coverage and density)."""
RULES = ("above", "below", "top-share")
"""How a run is of interest: outcome > X, outcome < X, or in the top Q share of runs."""


@dataclass(frozen=True)
class Question:
    """Which runs are of interest.

    Attributes
    ----------
    outcome : str
        One of :data:`~sim.experiment.outcomes.OUTCOMES`.
    rule : str
        One of :data:`RULES`.
    value : float
        The threshold (``above``, ``below``) or the share Q in (0, 1) (``top-share``).
    """

    outcome: str
    rule: str
    value: float

    @property
    def option(self) -> str:
        """The command-line option that set the rule, e.g. ``--above``."""
        return f"--{self.rule}"


@dataclass(frozen=True)
class Discovery:
    """PRIM's answer on one sweep.

    Attributes
    ----------
    question : Question
    keys : tuple of str
        The swept keys (PRIM's dimensions), in the sweep file's order.
    log : ndarray of shape (n_params,), bool
        Keys best drawn on a log scale (a log range, or listed values spanning 10x or more).
    x : ndarray of shape (n_runs, n_params), float64
    y : ndarray of shape (n_runs,), bool
        Runs of interest.
    threshold : float
        The outcome's threshold (for ``top-share``, the value the top share reaches).
    trajectory : Trajectory
    stats : dict of ndarray of shape (n_boxes,)
        :func:`~sim.sweep.prim.box_statistics` of every box.
    chosen : int
        Index of the chosen box.
    coverage_min : float
    p_lower, p_upper : ndarray of shape (n_boxes, n_params), float64
        Quasi-p-values of each box's limits (NaN for an unrestricted limit).
    """

    question: Question
    keys: tuple[str, ...]
    log: np.ndarray
    x: np.ndarray
    y: np.ndarray
    threshold: float
    trajectory: Trajectory
    stats: dict[str, np.ndarray]
    chosen: int
    coverage_min: float
    p_lower: np.ndarray
    p_upper: np.ndarray


def read_sweep(folder: Path) -> tuple[pd.DataFrame, tuple[str, ...], np.ndarray]:
    """Return a finished sweep's runs, its swept keys and which keys read best on a log scale.

    Raises
    ------
    SweepError
        One line naming the file, when ``folder`` is not a finished ``sim sweep`` folder.
    """
    expected = (f"expected a finished `sim sweep` folder (with {COMPLETE}, sweep.json and "
                "outcomes.parquet)")
    if not folder.is_dir():
        raise SweepError(folder, "", f"{expected}, found no such folder")
    try:
        record = json.loads((folder / COMPLETE).read_text(encoding="utf-8"))
        kind = record["kind"]
    except FileNotFoundError:
        raise SweepError(folder / COMPLETE, "", f"{expected}; this file is missing (an "
                         "unfinished sweep: rerun `sim sweep` into the folder)") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise SweepError(folder / COMPLETE, "", f"{expected}; this record is unreadable") \
            from None
    if kind != "sweep":
        raise SweepError(folder / COMPLETE, "kind", f"{expected}, found a `sim {kind}` folder")
    try:
        header = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
        parameters = header["spec"]["parameters"]
        keys = tuple(str(p["key"]) for p in parameters)
    except (OSError, ValueError, KeyError, TypeError):
        raise SweepError(folder / "sweep.json", "", f"{expected}; this manifest is missing "
                         "or unreadable") from None
    try:
        runs = pd.read_parquet(folder / "outcomes.parquet")
    except (OSError, ValueError):
        raise SweepError(folder / "outcomes.parquet", "", f"{expected}; this table is "
                         "missing or unreadable") from None
    missing = [k for k in keys if k not in runs.columns]
    if missing or not keys:
        raise SweepError(folder / "outcomes.parquet", "", f"expected a column for each swept "
                         f"key of sweep.json, found none for {', '.join(missing) or 'any key'}")
    log = np.array([bool(p.get("log")) or _wide_list(p.get("values") or []) for p in parameters])
    return runs, keys, log


def _wide_list(values: list[object]) -> bool:
    """Whether listed values are all positive numbers spanning a factor of 10 or more."""
    numbers = [float(v) for v in values if isinstance(v, int | float)]
    return len(numbers) == len(values) > 1 and min(numbers) > 0 \
        and max(numbers) >= 10 * min(numbers)


def classify(values: np.ndarray, question: Question) -> tuple[np.ndarray, float]:
    """Return which runs are of interest and the threshold.

    ``above``: outcome > X; ``below``: outcome < X; ``top-share`` Q: outcome at
    least its (1 - Q) quantile (an observed value; ties at it are included).

    Raises
    ------
    SweepError
        Naming the option, when the rule selects no run or every run, or Q is not in (0, 1).
    """
    v = question.value
    if question.rule == "top-share":
        if not 0 < v < 1:
            raise SweepError(question.option, "", f"expected a share between 0 and 1 "
                             f"(e.g. 0.1 for the top tenth of runs), found {v:g}")
        threshold = float(np.quantile(values, 1 - v, method="higher"))
        y = values >= threshold
    elif question.rule == "above":
        threshold, y = v, values > v
    else:
        threshold, y = v, values < v
    if not 0 < y.sum() < len(y):
        which = "no run" if y.sum() == 0 else "every run"
        raise SweepError(question.option, "", f"selects {which} of the sweep; expected a "
                         f"threshold inside the range of {question.outcome}, "
                         f"{compact(float(values.min()), digits=3)} to "
                         f"{compact(float(values.max()), digits=3)}")
    return y, threshold


def discover(folder: Path, question: Question, coverage_min: float = COVERAGE_MIN,
             settings: PrimSettings | None = None) -> Discovery:
    """Read a finished sweep and run PRIM on the runs ``question`` marks.

    Raises
    ------
    SweepError
        One line: not a finished sweep, an unknown outcome (the valid ones
        listed), an outcome undefined in some run, or a rule selecting no run
        or every run.
    """
    if question.outcome not in OUTCOMES:
        raise SweepError("--outcome", "", f"expected one of {', '.join(OUTCOMES)}; found "
                         f"{question.outcome!r}")
    if not 0 <= coverage_min <= 1:
        raise SweepError("--coverage-min", "", f"expected a share between 0 and 1, found "
                         f"{coverage_min:g}")
    runs, keys, log = read_sweep(folder)
    if question.outcome not in runs.columns:
        raise SweepError(folder / "outcomes.parquet", "", f"expected a column "
                         f"{question.outcome}; the sweep was written by another version")
    values = runs[question.outcome].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise SweepError("--outcome", "", f"{question.outcome} is undefined in "
                         f"{int((~np.isfinite(values)).sum())} of {len(values)} runs; expected "
                         "an outcome every run has")
    y, threshold = classify(values, question)
    x = runs[list(keys)].to_numpy(dtype=np.float64)
    trajectory = peeling_trajectory(x, y, settings or PrimSettings())
    stats = box_statistics(x, y, trajectory.lower, trajectory.upper)
    chosen = chosen_box(stats["coverage"], stats["density"], coverage_min)
    p = [quasi_p_values(x, y, lo, hi, trajectory.initial_lower, trajectory.initial_upper)
         for lo, hi in zip(trajectory.lower, trajectory.upper, strict=True)]  # a few dozen boxes
    return Discovery(question, keys, log, x, y, threshold, trajectory, stats, chosen,
                     coverage_min, np.array([a for a, _ in p]), np.array([b for _, b in p]))


def boxes_table(found: Discovery) -> pd.DataFrame:
    """Return the peeling trajectory as ``boxes.csv``: one row per box.

    Columns: ``box`` (0 holds every run), ``phase`` (``start``, ``peel`` or
    ``paste``), ``chosen``, ``coverage``, ``density``, ``mass``, ``runs``,
    ``runs_of_interest``, ``restricted`` (number of limited keys), then per
    swept key ``KEY.low``, ``KEY.high``, ``KEY.p_low``, ``KEY.p_high`` (the
    limits, inclusive, and their quasi-p-values; empty where unrestricted).
    """
    t, s = found.trajectory, found.stats
    count = len(t.lower)
    phase = np.where(np.arange(count) >= t.pasted, "paste", "peel")
    phase[0] = "start"
    table = pd.DataFrame({
        "box": np.arange(count), "phase": phase, "chosen": np.arange(count) == found.chosen,
        "coverage": s["coverage"], "density": s["density"], "mass": s["mass"],
        "runs": s["n"], "runs_of_interest": s["k"], "restricted": t.restricted.sum(axis=1),
    })
    for j, key in enumerate(found.keys):
        table[f"{key}.low"] = t.lower[:, j]
        table[f"{key}.high"] = t.upper[:, j]
        table[f"{key}.p_low"] = found.p_lower[:, j]
        table[f"{key}.p_high"] = found.p_upper[:, j]
    return table


def number(value: float) -> str:
    """Write a limit or threshold as an analyst reads it: ``0.025``, ``300k``, ``790M``."""
    return compact(value, digits=3)


def conditions(found: Discovery, box: int) -> list[str]:
    """Return the chosen limits of ``box`` as phrases, e.g. ``enforcement.detection < 0.05``."""
    t = found.trajectory
    phrases = []
    for j, key in enumerate(found.keys):
        low = t.lower[box, j] != t.initial_lower[j]
        high = t.upper[box, j] != t.initial_upper[j]
        lo, hi = number(t.lower[box, j]), number(t.upper[box, j])
        if low and high:
            phrases.append(f"{lo} <= {key} <= {hi}")
        elif low:
            phrases.append(f"{key} >= {lo}")
        elif high:
            phrases.append(f"{key} <= {hi}")
    return phrases


def selection(found: Discovery) -> str:
    """Say the rule in words, e.g. ``tier3_diverted_h100e above 300k``."""
    q = found.question
    if q.rule == "top-share":
        return (f"{q.outcome} in the top {q.value:.0%} of runs (at least "
                f"{number(found.threshold)})")
    return f"{q.outcome} {q.rule} {number(found.threshold)}"


def describe(found: Discovery) -> str:
    """Return the chosen box in a few lines an analyst reads."""
    b, s = found.chosen, found.stats
    phrases = conditions(found, b)
    n_runs, n_interest = len(found.y), int(found.y.sum())
    head = (f"{selection(found)}: {n_interest} of {n_runs} runs "
            f"({n_interest / n_runs:.0%}).")
    rule = (f"Chosen box {b} of the trajectory's {len(s['n'])} (box 0 is the whole sweep): "
            f"the densest with coverage >= {found.coverage_min:.0%}:")
    if not phrases:
        return (f"{head}\n{rule} the whole sweep; no range of the swept keys holds these "
                "runs more densely at that coverage (try a lower --coverage-min).")
    where = " and ".join(phrases)
    sentence = (f"{selection(found)} happens in {s['density'][b]:.0%} of the runs where "
                f"{where}; those runs ({s['n'][b]}) are {s['mass'][b]:.0%} of the sweep and "
                f"hold {s['coverage'][b]:.0%} of all such runs.")
    lines = [head, rule]
    for j, key in enumerate(found.keys):
        p = [f"{side} {v:.2g}" for side, v in (("lower", found.p_lower[b, j]),
                                                ("upper", found.p_upper[b, j]))
             if np.isfinite(v)]
        if p:
            lo, hi = found.trajectory.lower[b, j], found.trajectory.upper[b, j]
            lines.append(f"  {key}: {number(lo)} to {number(hi)} (quasi-p {', '.join(p)})")
    note = "(a limit with a quasi-p-value above 0.05 may be noise, not a cause)"
    return "\n".join([*lines, sentence, note])
