"""Tables as they are written to CSV: units in the column names, rounded to what they can tell.

The CSV tables of ``sim run`` (``summary_by_tier.csv``, ``by_country.csv``)
and ``sim compare`` (``summary.csv``, through :func:`summary_for_csv`, which
also names each outcome's unit) go through :func:`tidy_for_csv`, so the rule
is in one place:

- a numeric column names its unit at the end of its name, before a
  statistic (``tier3_legal_h100e_mean``, ``revenue_usd``,
  ``tier2_cap_utilisation_share_p95``): one of :data:`UNIT_DECIMALS`;
- H100-equivalents and dollars are written as whole numbers: one H100e is
  about one chip, finer than any reading of the tables needs and, for most
  outcomes, finer than their run-to-run spread (a window total of millions
  of H100e); whole units also keep two equal outcomes visibly equal. Monthly
  per-country values (``by_country.csv``), whose smallest non-zero means are
  a few H100e, keep one decimal;
- shares and multiples of list price keep three decimals (0.1 percentage
  point);
- counts (``runs``, ``countries``) are integers; a missing value is an
  empty cell, never ``nan``.

A scenario's 64-character digest is provenance, not an outcome: ``sim
compare`` writes it to ``scenarios.csv`` (:func:`scenario_index`), one row
per scenario with its folder, seeds and package version, and leaves it out
of ``summary.csv``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiment.compared import ComparedRuns
from sim.results import Results

__all__ = ["COUNTS", "OUTCOME_UNITS", "UNIT_DECIMALS", "csv_name", "scenario_index",
           "summary_for_csv", "tidy_for_csv", "unit_of"]

UNIT_DECIMALS = {"h100e": 0, "usd": 0, "chips": 0, "brokers": 0, "share": 3, "x_list": 3}
"""Decimals written for each unit suffix (``_h100e``, ``_usd``, ``_chips``, ``_brokers``,
``_share``, ``_x_list``: a multiple of list price)."""
COUNTS = ("runs", "countries", "months", "tier", "seed", "step")
"""Columns that are counts or labels, written as integers without a unit."""
OUTCOME_UNITS = {"tier2_cap_utilisation": "share", "grey_premium_end": "x_list"}
"""Outcomes whose names carry no unit: the unit :func:`summary_for_csv` adds to their columns."""
_STATISTIC = r"(?:_(?:mean|p\d\d|median|sd|std|min|max|low|high|diff\w*))?"
_UNIT = re.compile(rf"_({'|'.join(UNIT_DECIMALS)}){_STATISTIC}$")


def unit_of(column: str) -> str | None:
    """Return the unit suffix a column name ends with (before a statistic), or ``None``."""
    found = _UNIT.search(column)
    return found.group(1) if found else None


def csv_name(outcome: str) -> str:
    """Return an outcome's name in ``summary.csv``: with its unit (:data:`OUTCOME_UNITS`).

    ``csv_name("tier2_cap_utilisation")`` is ``tier2_cap_utilisation_share``; an
    outcome that names its unit already (``tier3_legal_h100e``) keeps its name. Its
    columns are ``f"{csv_name(outcome)}_{statistic}"``.
    """
    if unit_of(outcome) or outcome not in OUTCOME_UNITS:
        return outcome
    return f"{outcome}_{OUTCOME_UNITS[outcome]}"


def tidy_for_csv(frame: pd.DataFrame,
                 decimals: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Return ``frame`` rounded column by column for writing (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
        Text columns pass through; each numeric column is a count of
        :data:`COUNTS` or names its unit (:func:`unit_of`).
    decimals : mapping of str to int, optional
        Decimals per unit, overriding :data:`UNIT_DECIMALS`.

    Returns
    -------
    DataFrame
        Whole-number columns as pandas ``Int64`` (missing values empty in CSV).

    Raises
    ------
    ValueError
        For a numeric column that names no unit (a programming error: name it).
    """
    places = {**UNIT_DECIMALS, **(decimals or {})}
    tidy = frame.copy()
    for column in tidy.columns:
        values = tidy[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        unit = unit_of(str(column))
        if unit is None and column not in COUNTS:
            raise ValueError(f"column {column!r} names no unit; end its name with one of "
                             f"{', '.join('_' + u for u in UNIT_DECIMALS)} (before a "
                             f"statistic) or list it in COUNTS")
        digits = 0 if unit is None else places[unit]
        rounded = values.astype(np.float64).round(digits)
        tidy[column] = rounded.astype("Int64") if digits == 0 else rounded
    return tidy


def summary_for_csv(summary: pd.DataFrame) -> pd.DataFrame:
    """Return ``sim compare``'s summary as ``summary.csv`` holds it.

    The digest is dropped (it is in ``scenarios.csv``); each outcome of
    :data:`OUTCOME_UNITS` gets its unit in its columns' names
    (``tier2_cap_utilisation_mean`` becomes ``tier2_cap_utilisation_share_mean``); then
    :func:`tidy_for_csv`.
    """
    renamed = {}
    for column in summary.columns:
        for outcome in OUTCOME_UNITS:
            if str(column).startswith(f"{outcome}_") and unit_of(str(column)) is None:
                renamed[column] = f"{csv_name(outcome)}{str(column)[len(outcome):]}"
    return tidy_for_csv(summary.drop(columns=["digest"], errors="ignore").rename(
        columns=renamed))


def scenario_index(per_scenario: Mapping[str, Results | ComparedRuns],
                   folders: Mapping[str, Path]) -> pd.DataFrame:
    """Return ``scenarios.csv``: each compared scenario's provenance, one row each.

    Columns ``scenario, folder, digest, runs, first_seed, last_seed, version``
    (``folder`` relative to the comparison, e.g. ``scenario=no_controls``).
    """
    rows = [{"scenario": name, "folder": folders[name].name, "digest": results.digest,
             "runs": results.n_runs, "first_seed": int(results.seeds.min()),
             "last_seed": int(results.seeds.max()), "version": results.version}
            for name, results in per_scenario.items()]
    return pd.DataFrame(rows, columns=["scenario", "folder", "digest", "runs", "first_seed",
                                       "last_seed", "version"])
