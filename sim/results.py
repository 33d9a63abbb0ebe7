"""``Results``: metrics of one or many runs, and their Parquet round trip.

Country metrics are int64 arrays shaped (n_runs, n_steps, n_countries) in TPP
(revenue and payments in USD); chip metrics (``shipped_chips``, ``ordered_chips``)
int64 arrays shaped (n_runs, n_steps, n_countries, n_chips); step metrics are
float64 arrays shaped (n_runs, n_steps); market metrics (``market_price_usd``)
float64 arrays shaped (n_runs, n_steps, n_chips).
On disk a result is one Parquet table, one row per (seed, step, country), a
chip or market metric as one column per chip (``shipped_chips.H100``; step
and market metrics repeat on each country's row of their step), with
the scenario, its digest, the seeds and the package version in the metadata;
it is written to a temporary file and renamed, so a killed write leaves no
half file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.atomic import make_folder, write_atomically
from sim.errors import UserError
from sim.metric_store import MetricStore
from sim.metric_table import metric_info
from sim.version import __version__
from sim.world.metrics import CHIP_METRICS, COUNTRY_METRICS, MARKET_METRICS, STEP_METRICS
from sim.world.support import metric_support

if TYPE_CHECKING:
    from sim.scenario import Scenario
    from sim.world import World

__all__ = [
    "CHIP_METRICS",
    "COUNTRY_METRICS",
    "FORMAT_VERSION",
    "MARKET_METRICS",
    "STEP_METRICS",
    "Results",
    "ResultsError",
    "load_results",
    "save_chunks",
]

FORMAT_VERSION = 4
"""2: chip metrics and the ``chips`` axis (model v2 market); 3: ``ordered_chips`` and the
market metrics (``market_price_usd``); 4: the adaptive-diversion metrics (brokers entered,
listed and active, redirects, compute rented out) and ``rental_price_index`` (issue 15)."""
_METADATA_KEY = b"sim"


class ResultsError(UserError):
    """A file given as results is not a results file this version reads.

    Constructed as :class:`~sim.errors.UserError` is: ``(file, key, problem)``;
    the message is one line naming the file and what was expected.
    """


@dataclass(frozen=True)
class Results:
    """Metrics of ``n_runs`` runs of one scenario.

    Attributes
    ----------
    scenario_name, digest : str
        The scenario's name and :meth:`Scenario.digest`.
    seeds : ndarray of shape (n_runs,), int64
    countries : tuple of str, (n_countries,)
    tiers : tuple of int, (n_countries,)
    dates : tuple of str, (n_steps,)
        ``"YYYY-MM"`` of each step.
    metrics : MetricStore
        Every metric by name, read dense (``metrics[name]`` is ``metric(name)``);
        a plain dict of dense arrays given here is wrapped in one. Metrics that
        the world keeps to a few columns are held on them
        (:mod:`sim.world.support`).
    scenario : dict
        The resolved scenario content (for the record).
    version : str
        Package version that produced the results.
    chips : tuple of str, (n_chips,)
        Chips on the market (``market.chips``), the last axis of chip metrics.
    """

    scenario_name: str
    digest: str
    seeds: np.ndarray
    countries: tuple[str, ...]
    tiers: tuple[int, ...]
    dates: tuple[str, ...]
    metrics: Mapping[str, np.ndarray]
    scenario: dict[str, Any]
    version: str
    chips: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.metrics, MetricStore):
            object.__setattr__(self, "metrics", MetricStore(self.metrics))

    @classmethod
    def from_arrays(
        cls, world: World, seeds: np.ndarray, metrics: Mapping[str, np.ndarray],
        support: Mapping[str, np.ndarray] | None = None, scenario: Scenario | None = None,
    ) -> Results:
        """Wrap metric arrays produced for ``world`` (either implementation).

        Each array is dense, or (runs, S) on its support (``support``, default
        :func:`sim.world.support.metric_support` of ``world``); dense ones with a
        support are checked to be zero outside it (``ValueError`` otherwise: a
        programming error) and kept on it. ``scenario`` (default
        ``world.scenario``) names the runs: one point of a batch of points that
        share ``world`` (:func:`sim.core.run_points`).
        """
        if support is None:
            support = metric_support(world)
        if scenario is None:
            scenario = world.scenario
        metrics = MetricStore.compact(metrics, support)
        return cls(
            scenario_name=scenario.name,
            digest=scenario.digest(),
            seeds=np.asarray(seeds, dtype=np.int64),
            countries=world.countries,
            tiers=tuple(int(t) for t in world.tier),
            dates=world.dates,
            metrics=metrics,
            scenario=scenario.to_dict(),
            version=__version__,
            chips=world.market.names,
        )

    def metric(self, name: str) -> np.ndarray:
        """Return one metric.

        Returns
        -------
        ndarray
            Shape (n_runs, n_steps, n_countries), int64, for a country metric;
            (n_runs, n_steps, n_countries, n_chips), int64, for a chip metric;
            (n_runs, n_steps), float64, for a step metric;
            (n_runs, n_steps, n_chips), float64, for a market metric.

        Raises
        ------
        KeyError
            For an unknown name, listing the known ones.
        """
        if name not in self.metrics:
            raise KeyError(f"unknown metric {name!r}; known: {', '.join(sorted(self.metrics))}")
        return self.metrics[name]

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return len(self.seeds)

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy frame: one row per (seed, step, country), one column per metric.

        Step metrics (the grey premium) and market metrics (one column per chip)
        repeat on each country's row of their step.
        """
        n_runs, n_steps, n_countries = self.n_runs, len(self.dates), len(self.countries)
        size = n_runs * n_steps * n_countries
        step = np.tile(np.repeat(np.arange(n_steps), n_countries), n_runs)
        country = np.tile(np.arange(n_countries), n_runs * n_steps)
        columns = {
            "seed": np.repeat(self.seeds, n_steps * n_countries),
            "step": step,
            # Strings are converted once per date and country, in the running pandas'
            # own string type, then taken by index: 20x faster than a column of Python
            # strings converted row by row (0.65 s for 100 runs of history), same dtype.
            "date": pd.Series(np.array(self.dates)).array.take(step),
            "country": pd.Series(np.array(self.countries)).array.take(country),
            "tier": np.array(self.tiers, dtype=np.int8)[country],
        }
        for name in COUNTRY_METRICS:
            held_dense = self.metrics.stored(name)[1] is None
            values = self.metrics[name].reshape(size)
            columns[name] = values.copy() if held_dense else values
        for name in CHIP_METRICS:
            values = self.metrics[name]  # one dense read, then a column per chip
            if self.metrics.stored(name)[1] is None:  # the held array itself
                values = values.copy()
            for k, chip in enumerate(self.chips):
                columns[f"{name}.{chip}"] = values[..., k].reshape(size)
        for name in STEP_METRICS:
            columns[name] = np.repeat(self.metrics[name].reshape(-1), n_countries)
        for name in MARKET_METRICS:
            values = self.metrics[name]
            for k, chip in enumerate(self.chips):
                columns[f"{name}.{chip}"] = np.repeat(values[..., k].reshape(-1), n_countries)
        # One constructor call, without copies (a column at a time was 4x slower); a
        # metric held dense reads as the held array itself, so its column is a copy.
        frame = pd.DataFrame(columns, copy=False)
        return frame

    def to_xarray(self) -> Any:
        """Return the metrics as an ``xarray.Dataset`` (xarray is an optional dependency).

        Returns
        -------
        xarray.Dataset
            One variable per metric: country metrics on dimensions
            ``(run, step, country)``, int64; ``shipped_chips`` on ``(run, step,
            country, chip)``, int64; ``grey_premium`` and ``rental_price_index`` on
            ``(run, step)``, float64; ``market_price_usd`` on ``(run, step, chip)``, float64.
            Coordinates: ``run`` (0 .. n_runs-1) with ``seed`` along it;
            ``step`` (0 .. n_steps-1) with ``date`` (``datetime64[ns]``, the first
            day of each month) along it; ``country`` (ISO3 codes) with ``tier``
            along it; ``chip`` (chip names). Each variable's attributes give its
            ``units``, ``kind`` (flow or stock) and ``description``
            (:mod:`sim.metric_table`); the dataset's give the scenario name, its
            digest and the package version.

        Raises
        ------
        ImportError
            If xarray is not installed (the message says how to install it).
        """
        try:
            import xarray as xr  # deferred: optional, ``pip install xarray``
        except ImportError:
            raise ImportError("Results.to_xarray needs xarray: pip install xarray (or "
                              "pip install 'tiered-compute-sim[analysis]')") from None

        axes = {"country": ("run", "step", "country"),
                "country, chip": ("run", "step", "country", "chip"), "step": ("run", "step"),
                "chip": ("run", "step", "chip")}
        variables = {}
        for name, values in self.metrics.items():
            info = metric_info(name)
            variables[name] = xr.Variable(axes[info.axes], values, attrs={
                "units": info.unit, "kind": info.kind, "description": info.meaning})
        coords = {
            "run": np.arange(self.n_runs), "seed": ("run", self.seeds),
            "step": np.arange(len(self.dates)),
            "date": ("step", np.array([f"{d}-01" for d in self.dates], dtype="datetime64[ns]")),
            "country": list(self.countries), "tier": ("country", np.array(self.tiers)),
            "chip": list(self.chips),
        }
        return xr.Dataset(variables, coords=coords, attrs={
            "scenario_name": self.scenario_name, "digest": self.digest,
            "version": self.version})

    def save(self, path: str | PathLike[str]) -> Path:
        """Write the results to one Parquet file, atomically; return its path.

        Raises
        ------
        OutputError
            For a full disk or a folder that is not writable (one line naming
            the file; no partial file is left).
        """
        import pyarrow.parquet as pq  # deferred: pyarrow is slow to import, needed only to save

        target = Path(path)
        make_folder(target.parent)
        table = self._table(self.seeds)
        return write_atomically(target, lambda handle: pq.write_table(table, handle))

    def _table(self, seeds: np.ndarray) -> Any:
        """Return the runs as a ``pyarrow.Table`` whose metadata names ``seeds`` as the file's."""
        import pyarrow as pa

        table = pa.Table.from_pandas(self.to_frame(), preserve_index=False)
        header = {**self._header(), "seeds": np.asarray(seeds, dtype=np.int64).tolist()}
        return table.replace_schema_metadata({
            **(table.schema.metadata or {}), _METADATA_KEY: json.dumps(header).encode()})

    def _header(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION, "scenario_name": self.scenario_name,
            "digest": self.digest, "seeds": self.seeds.tolist(), "countries": self.countries,
            "tiers": self.tiers, "dates": self.dates, "scenario": self.scenario,
            "version": self.version, "chips": self.chips,
        }

    @staticmethod
    def concat(parts: list[Results]) -> Results:
        """Join results of the same scenario run under different seeds."""
        first = parts[0]
        if any(p.digest != first.digest for p in parts):
            raise ValueError("cannot concatenate results of different scenarios")
        return Results(
            scenario_name=first.scenario_name, digest=first.digest,
            seeds=np.concatenate([p.seeds for p in parts]), countries=first.countries,
            tiers=first.tiers, dates=first.dates,
            metrics=MetricStore.concat([p.metrics for p in parts]),
            scenario=first.scenario, version=first.version, chips=first.chips,
        )


def save_chunks(path: str | PathLike[str], chunks: Iterable[Results],
                seeds: Sequence[int] | np.ndarray) -> Path:
    """Write runs to one Parquet file chunk by chunk, as they arrive; return its path.

    The streamed form of :meth:`Results.save`: each chunk (the runs of
    ``seeds`` in order, e.g. from :func:`sim.core.iter_batch`) is written as
    it comes and may then be dropped, so memory holds one chunk whatever the
    number of runs. The file is the one ``Results.concat(chunks).save(path)``
    writes (the same rows, schema and metadata, in more row groups), written
    atomically: an error or a kill leaves no file.

    Raises
    ------
    ValueError
        If the chunks' seeds are not ``seeds`` (a programming error).
    OutputError
        For a full disk or a folder that is not writable.
    """
    import pyarrow.parquet as pq

    target = Path(path)
    make_folder(target.parent)
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)

    def write(handle: Any) -> None:
        writer, done = None, 0
        try:
            for chunk in chunks:
                table = chunk._table(seeds if writer is None else chunk.seeds)  # header: once
                if writer is None:
                    writer = pq.ParquetWriter(handle, table.schema)
                if not np.array_equal(chunk.seeds, seeds[done:done + chunk.n_runs]):
                    raise ValueError(f"chunk seeds differ from seeds[{done}:]")
                writer.write_table(table)
                done += chunk.n_runs
                del table
            if done != len(seeds):
                raise ValueError(f"chunks hold {done} of {len(seeds)} runs")
        finally:
            if writer is not None:  # before the file closes; on an error it is removed
                writer.close()

    return write_atomically(target, write)


def load_results(path: str | PathLike[str]) -> Results:
    """Read results written by :meth:`Results.save`.

    Parameters
    ----------
    path : str or path-like
        A Parquet file written by :meth:`Results.save`.

    Returns
    -------
    Results

    Raises
    ------
    ResultsError
        If the file is missing, is not Parquet or is damaged, lacks the
        ``sim`` metadata, is of another ``FORMAT_VERSION``, or its table does
        not match its metadata.
    """
    import pyarrow as pa  # deferred: pyarrow is slow to import, needed only to load
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise ResultsError(path, "", "expected an existing results file, found none") from None
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ResultsError(path, "", "expected a Parquet results file written by sim, found a "
                           f"file that is not Parquet or is damaged ({_first_line(exc)})"
                           ) from None
    raw = (table.schema.metadata or {}).get(_METADATA_KEY)
    if raw is None:
        raise ResultsError(path, "", "expected a results file with "
                           f"'{_METADATA_KEY.decode()}' metadata, found a Parquet file without "
                           "it (not a results file)")
    try:
        header = json.loads(raw)
        version = header.get("format_version")
    except (ValueError, AttributeError):
        raise ResultsError(path, "", f"expected JSON '{_METADATA_KEY.decode()}' metadata, "
                           "found something else") from None
    if version != FORMAT_VERSION:
        raise ResultsError(path, "format_version", "expected results format "
                           f"{FORMAT_VERSION}, found {version!r} (written by another version "
                           "of sim)")
    try:
        return _from_table(table, header)
    except (KeyError, IndexError, ValueError, TypeError, pa.ArrowException) as exc:
        raise ResultsError(path, "", "expected a table that matches its metadata, found a "
                           f"mismatch ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _from_table(table: Any, header: dict[str, Any]) -> Results:
    """Rebuild :class:`Results` from a table and its metadata header."""
    n_runs, n_steps = len(header["seeds"]), len(header["dates"])
    n_countries = len(header["countries"])
    frame = table.to_pandas()
    metrics = {name: frame[name].to_numpy(dtype=np.int64).reshape(n_runs, n_steps, n_countries)
               for name in COUNTRY_METRICS}
    chips = tuple(header["chips"])
    for name in CHIP_METRICS:
        columns = [frame[f"{name}.{chip}"].to_numpy(dtype=np.int64) for chip in chips]
        metrics[name] = np.stack(columns, axis=-1).reshape(n_runs, n_steps, n_countries,
                                                           len(chips))
    for name in STEP_METRICS:
        metrics[name] = frame[name].to_numpy(dtype=np.float64).reshape(
            n_runs, n_steps, n_countries)[:, :, 0].copy()
    for name in MARKET_METRICS:
        columns = [frame[f"{name}.{chip}"].to_numpy(dtype=np.float64).reshape(
            n_runs, n_steps, n_countries)[:, :, 0] for chip in chips]
        metrics[name] = np.stack(columns, axis=-1).reshape(n_runs, n_steps, len(chips))
    return Results(
        scenario_name=header["scenario_name"], digest=header["digest"],
        seeds=np.array(header["seeds"], dtype=np.int64), countries=tuple(header["countries"]),
        tiers=tuple(header["tiers"]), dates=tuple(header["dates"]), metrics=metrics,
        scenario=header["scenario"], version=header["version"], chips=chips,
    )
