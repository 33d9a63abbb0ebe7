"""Parameter uncertainty from a calibration: posterior draws applied as scenario overrides.

``sim calibrate`` writes ``accepted.csv`` (:mod:`sim.calibration.output`):
one accepted parameter set per row, closest first, a column per calibrated
key (dotted scenario keys such as ``enforcement.detection`` or
``country_defaults.growth_per_year``) beside the distance and each target's
mean. Those rows are draws from the approximate posterior, so running a
scenario once per row, on the same seeds, spreads its outcomes over the
parameters the published figures leave uncertain as well as over the
random numbers.

:func:`load_posterior` reads a calibration folder or such a CSV and picks
``draws`` rows: a fixed pseudo-random subset (seeded with
:data:`DRAW_SEED`, in file order), not the closest rows, which would narrow
the spread toward the best fit. Every scenario of a comparison gets the same
draws in the same order, so draw *k* of one scenario pairs with draw *k* of
another as seed *i* pairs with seed *i*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import UserError

__all__ = ["ACCEPTED_FILE", "DRAW_SEED", "PosteriorDraws", "load_posterior"]

ACCEPTED_FILE = "accepted.csv"
"""The accepted parameter sets in a calibration folder."""
DRAW_SEED = 20250113
"""Seed of the choice of rows (the framework's date; any fixed seed): the same draws everywhere."""
_OPTION = "--posterior"
_NOT_PARAMETERS = frozenset({"distance"})


@dataclass(frozen=True)
class PosteriorDraws:
    """Parameter sets to run every scenario under.

    Attributes
    ----------
    source : Path
        The CSV the draws come from.
    keys : tuple of str
        Dotted scenario keys, one per column of ``values``.
    rows : ndarray of shape (n_draws,), int64
        Each draw's row in ``source`` (0 = the closest accepted set).
    values : ndarray of shape (n_draws, n_keys), float64
    """

    source: Path
    keys: tuple[str, ...]
    rows: np.ndarray
    values: np.ndarray

    @property
    def n_draws(self) -> int:
        """The number of draws."""
        return len(self.rows)

    def overrides(self) -> list[dict[str, str]]:
        """Return each draw as ``--set`` values: the loader types them per key.

        A whole number is written without a decimal point, so an integer key
        (a capacity in H100e) takes it; a float key reads it just the same.
        """
        return [{key: _text(value) for key, value in zip(self.keys, row, strict=True)}
                for row in self.values]

    def table(self) -> pd.DataFrame:
        """Return the draws as a table: ``draw``, ``accepted_row`` and a column per key."""
        frame = pd.DataFrame(self.values, columns=list(self.keys))
        frame.insert(0, "accepted_row", self.rows)
        frame.insert(0, "draw", np.arange(self.n_draws))
        return frame


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def load_posterior(path: str | Path, draws: int) -> PosteriorDraws:
    """Read ``draws`` parameter sets from a calibration folder or its ``accepted.csv``.

    Parameters
    ----------
    path : str or Path
        A ``sim calibrate`` output folder (holding ``accepted.csv``) or a CSV
        with the same columns: parameter keys, optionally ``distance`` and
        ``... (mean)`` columns, which are ignored.
    draws : int
        How many rows to use (at least 1, at most the rows available).

    Returns
    -------
    PosteriorDraws

    Raises
    ------
    UserError
        Naming ``--posterior`` (a missing or unreadable file, no parameter
        column, a value that is not a finite number) or ``--draws`` (more
        draws than rows).
    """
    source = Path(path)
    if source.is_dir():
        source = source / ACCEPTED_FILE
    if not source.is_file():
        raise UserError(_OPTION, "", f"expected a calibration folder or its {ACCEPTED_FILE}, "
                        f"found no file {str(source)!r}")
    try:
        frame = pd.read_csv(source)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise UserError(_OPTION, "", f"expected a CSV of accepted parameter sets in "
                        f"{str(source)!r}, could not read it ({error})") from None
    keys = tuple(c for c in frame.columns
                 if c not in _NOT_PARAMETERS and not c.endswith("(mean)"))
    if not keys or frame.empty:
        raise UserError(_OPTION, "", f"expected rows of parameter columns (dotted scenario keys) "
                        f"in {str(source)!r}, found {'no rows' if keys else 'no such column'}")
    try:
        values = frame[list(keys)].to_numpy(dtype=np.float64)
    except ValueError:
        raise UserError(_OPTION, "", f"expected numbers in the parameter columns of "
                        f"{str(source)!r}") from None
    if not np.isfinite(values).all():
        raise UserError(_OPTION, "", f"expected finite numbers in {str(source)!r}, found NaN or "
                        "infinity")
    if not 1 <= draws <= len(frame) or not math.isfinite(draws):
        raise UserError("--draws", "", f"expected 1 to {len(frame)} draws (the rows of "
                        f"{str(source)!r}), found {draws}")
    rows = np.sort(np.random.default_rng(DRAW_SEED).choice(len(frame), size=draws,
                                                            replace=False))
    return PosteriorDraws(source=source, keys=keys, rows=rows.astype(np.int64),
                          values=values[rows])
