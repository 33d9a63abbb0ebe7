"""One scenario, many seeds: run it with the vectorised core and save the results.

:func:`run_to_folder` is what ``sim run`` does (the command line prints the
summary it returns). It streams: each chunk of runs
(:func:`sim.core.iter_batch`) is written to ``results.parquet``
(:func:`sim.results.save_chunks`) and reduced
(:class:`~sim.experiment.reductions.RunReductions`) as it finishes, then
dropped, so memory stays about one chunk whatever ``--runs`` is; a request
that cannot fit is refused first (:mod:`sim.experiment.capacity`).

With posterior draws (``--posterior``, :mod:`sim.experiment.posterior`) the
scenario runs once per draw on the same seeds, each draw's runs in
``draw=K/results.parquet``, and the summaries pool draws x seeds, as
``sim compare`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from sim.atomic import write_text_atomically
from sim.core import iter_batch, iter_point_runs
from sim.core.batch import DEFAULT_MEMORY_BUDGET
from sim.core.points import structural_difference
from sim.experiment.capacity import check_capacity, estimate_need
from sim.experiment.chips import chip_windows, regime_spans
from sim.experiment.export import tidy_for_csv
from sim.experiment.folders import finish_output, prepare_output
from sim.experiment.posterior import PosteriorDraws
from sim.experiment.reductions import RunReductions
from sim.experiment.summary import summarise_by_country, summarise_by_region, summarise_by_tier
from sim.results import Results, save_chunks
from sim.scenario import Scenario, load_scenario
from sim.world import World

__all__ = ["Reduction", "SavedRun", "reducing", "run_to_folder", "save_variants"]


class Reduction(Protocol):
    """What a streamed command keeps of its runs, fed chunk by chunk (:class:`RunReductions`)."""

    def add(self, chunk: Results) -> None:
        """Add a chunk's runs (the runs after those already added, in seed order)."""


@dataclass(frozen=True)
class SavedRun:
    """What :func:`run_to_folder` ran and wrote.

    Attributes
    ----------
    scenario : Scenario
    dates : tuple of str
        ``"YYYY-MM"`` of each month.
    market_chips : tuple of str
        The chips on the market (``Results.chips``).
    summary : DataFrame
        :func:`~sim.experiment.summary.summarise_by_tier` of the results.
    by_region : DataFrame
        :func:`~sim.experiment.summary.summarise_by_region` of the results.
    results_file, summary_file : Path
        ``results.parquet`` and ``summary_by_tier.csv``.
    files : tuple of Path
        Every file written, for the completion record
        (:func:`~sim.experiment.folders.finish_output`).
    chips : DataFrame
        :func:`~sim.experiment.chips.chip_windows` (also ``chips_by_destination.csv``).
    restricted : tuple of str
        Destinations the frontier chip is denied or embargoed to in some month.
    results_files : tuple of Path
        Every results file: ``results.parquet``, or one ``draw=K/results.parquet``
        per posterior draw (``results_file`` is the first).
    posterior : PosteriorDraws or None
        The parameter draws the scenario ran under, if any.
    """

    scenario: Scenario
    dates: tuple[str, ...]
    market_chips: tuple[str, ...]
    summary: pd.DataFrame
    by_region: pd.DataFrame
    results_file: Path
    summary_file: Path
    chips: pd.DataFrame
    restricted: tuple[str, ...]
    files: tuple[Path, ...]
    results_files: tuple[Path, ...] = ()
    posterior: PosteriorDraws | None = None


def run_to_folder(path: Path, runs: int, seed: int, out: Path,
                  overrides: Mapping[str, object] | None = None,
                  force: bool = False,
                  memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET,
                  finish: bool = True, posterior: PosteriorDraws | None = None) -> SavedRun:
    """Load a scenario, run it on seeds ``seed .. seed+runs-1`` and save into ``out``.

    The runs are streamed in chunks of about ``memory_budget_bytes``
    (:func:`sim.core.iter_batch`); a request that cannot fit in the memory
    available or the free disk is refused before anything runs or is written
    (:func:`~sim.experiment.capacity.check_capacity`).

    Writes ``results.parquet``, ``summary_by_tier.csv``, ``summary_by_region.csv``
    (:func:`~sim.experiment.summary.summarise_by_region`), ``by_country.csv``
    (every country metric per country and month, mean over runs, in H100e:
    :func:`~sim.experiment.summary.summarise_by_country`),
    ``chips_by_destination.csv`` and ``regimes.csv`` (each chip's regime per
    destination, as spans of months) into ``out``, the summaries rounded
    by :func:`~sim.experiment.export.tidy_for_csv`
    (prepared by :func:`~sim.experiment.folders.prepare_output`, which
    replaces an earlier ``sim run`` folder whole only if ``force``), each
    atomically, then the completion record
    (:func:`~sim.experiment.folders.finish_output`) unless ``finish`` is false:
    then the caller adds its own files (``sim run``'s figure) and writes the
    record with :attr:`SavedRun.files`.

    With ``posterior`` the scenario runs once per draw (the draw's values set
    after ``overrides``), each draw's runs in ``draw=K/results.parquet``, and
    ``posterior.csv`` lists the draws; the summaries pool every run.

    Raises
    ------
    ScenarioError
        For a bad scenario file or override, or a draw's key the scenario does
        not have.
    UserError
        Naming ``--runs``, for a request that cannot fit.
    OutputError
        For an output folder that is not writable, not a ``sim run`` folder,
        or holds an earlier run and ``force`` is false; or a full disk.
    """
    scenario = load_scenario(path, overrides)
    variants = ([scenario] if posterior is None else
                [load_scenario(path, {**dict(overrides or {}), **draw})
                 for draw in posterior.overrides()])
    world = World.from_scenario(scenario)
    check_capacity(estimate_need(world, runs * len(variants), RunReductions.bytes_per_run(),
                                 memory_budget_bytes), runs, out)
    prepare_output(out, "run", force=force)
    seeds = np.arange(seed, seed + runs, dtype=np.int64)
    reduced = RunReductions()
    results_files = save_variants(
        [out / (f"draw={k}" if posterior is not None else "") / "results.parquet"
         for k in range(len(variants))], variants, seeds, memory_budget_bytes, reduced)
    if posterior is not None:
        results_files += (write_text_atomically(out / "posterior.csv",
                                                posterior.table().to_csv(index=False)),)
    summary = summarise_by_tier(reduced)
    summary_file = write_text_atomically(out / "summary_by_tier.csv",
                                         tidy_for_csv(summary).to_csv())
    by_region = summarise_by_region(reduced)
    by_region_file = write_text_atomically(out / "summary_by_region.csv",
                                           tidy_for_csv(by_region).to_csv())
    by_country = tidy_for_csv(summarise_by_country(reduced), decimals={"h100e": 1})
    by_country_file = write_text_atomically(out / "by_country.csv",
                                            by_country.to_csv(index=False))
    chips = chip_windows(reduced)
    chips_file = write_text_atomically(out / "chips_by_destination.csv",
                                       chips.to_csv(index=False))
    regimes_file = write_text_atomically(out / "regimes.csv",
                                         regime_spans(world).to_csv(index=False))
    files = (*results_files, summary_file, by_region_file, by_country_file, chips_file,
             regimes_file)
    if finish:
        finish_output(out, "run", files)
    restricted = tuple(c for c, hit in zip(world.countries, world.market.restricted.any(axis=0),
                                           strict=True) if hit)
    return SavedRun(scenario, reduced.dates, reduced.chips, summary, by_region,
                    results_files[0], summary_file, chips, restricted, files,
                    results_files[:len(variants)], posterior)


def save_variants(paths: Sequence[Path], variants: Sequence[Scenario], seeds: np.ndarray,
                  memory_budget_bytes: int, *reductions: Reduction) -> tuple[Path, ...]:
    """Run each variant of a scenario on ``seeds`` into its results file, as chunks finish.

    A posterior's draws differ from each other in the draws' keys alone;
    where those are all run-level (:func:`sim.core.points.is_run_level`, as
    the shipped posterior's are), the draws run as one batch of points
    (:func:`sim.core.iter_point_runs`), and each file holds the rows its
    own batch would. Every chunk is added to each of ``reductions``.
    """
    if len(variants) > 1 and structural_difference(variants) is None:
        parts = iter_point_runs(variants, [seeds] * len(variants), memory_budget_bytes)
        return tuple(save_chunks(paths[k], reducing((r for _, r in runs), *reductions), seeds)
                     for k, runs in groupby(parts, key=lambda part: part[0]))
    return tuple(save_chunks(path, reducing(iter_batch(variant, seeds, memory_budget_bytes),
                                            *reductions), seeds)
                 for path, variant in zip(paths, variants, strict=True))


def reducing(chunks: Iterable[Results], *reductions: Reduction) -> Iterator[Results]:
    """Pass ``chunks`` through, adding each to every one of ``reductions`` first."""
    for chunk in chunks:
        for reduction in reductions:
            reduction.add(chunk)
        yield chunk
