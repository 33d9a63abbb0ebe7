"""Several scenarios on the same seeds: results per scenario and one summary.

:func:`compare_to_folder` is what ``sim compare`` does; the command line
prints the summary it returns and draws the figures
(:func:`sim.plots.compare.compare_figures`).

Each scenario's results go to ``OUT/scenario=STEM/results.parquet``, a
hive-style partition, so DuckDB, polars or pyarrow read a whole comparison
with one glob (``OUT/*/results.parquet``) and get a ``scenario`` column from
the folder names. STEM is the scenario's name made safe by
:func:`folder_stems`: every run of characters other than ASCII letters,
digits, ``_`` and ``-`` becomes one ``_`` (so no ``/``, ``..``, dot, ``=``,
NUL or absolute path survives, and no folder can be named like a file of the
comparison), leading and trailing ``_`` and ``-`` are dropped, the result is
cut to :data:`MAX_FOLDER` characters (``scenario`` if nothing is left), and a
stem that equals an earlier one ignoring case gets ``-2``, ``-3``, ... .
``ai_diffusion_2025`` gives ``scenario=ai_diffusion_2025``; ``../../x`` gives
``scenario=x``. Two scenarios of the same name are refused before anything
is written. ``scenarios.csv`` maps each scenario name to its folder and
digest (:func:`~sim.experiment.export.scenario_index`).

With a baseline (``--baseline NAME``, a scenario's name) the comparison also
writes ``differences.csv``: each scenario's paired difference from the
baseline for every outcome (:func:`sim.experiment.differences.paired_differences`).
An unknown name is refused before anything runs.

With posterior draws (``--posterior FILE|DIR --draws N``,
:mod:`sim.experiment.posterior`) every scenario runs once per draw on the
same seeds, the draw's values set over the scenario's (after ``--set``), and
each draw's runs go to ``scenario=STEM/draw=K/results.parquet``; the
outcomes, summary, differences and figures then pool draws x seeds, draw by
draw in order, so their intervals carry the parameter uncertainty the
calibration left as well as the run-to-run noise. ``posterior.csv`` lists
the draws (``draw``, the accepted row, each key's value).

The runs are streamed (issue 19 part 3): each scenario's chunks of runs
(:func:`sim.core.iter_batch`) are appended to its ``results.parquet``
(:func:`sim.results.save_chunks`) as they finish and reduced to what the
tables and figures need (:class:`~sim.experiment.compared.ComparedRuns`:
each run's outcomes, and the figures'
:class:`~sim.experiment.panels.Panels`), then dropped; so memory is one
chunk plus a few hundred bytes per run and scenario (and, while a scenario
runs, its monthly values for the figures' bands), and every CSV and figure
is byte for byte the one made from all runs at once. A request that cannot
fit is refused before anything runs or is written, naming ``--runs``
(:mod:`sim.experiment.capacity`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.atomic import write_text_atomically
from sim.core.batch import DEFAULT_MEMORY_BUDGET
from sim.errors import UserError, shown
from sim.experiment.capacity import Need, check_capacity, estimate_need, one_after_another
from sim.experiment.compared import ComparedRuns, CompareReductions
from sim.experiment.differences import paired_differences
from sim.experiment.errors import OutputError
from sim.experiment.export import scenario_index, summary_for_csv
from sim.experiment.folders import prepare_output
from sim.experiment.outcomes import summarise_outcomes
from sim.experiment.panels import Panels
from sim.experiment.posterior import PosteriorDraws
from sim.experiment.run import save_variants
from sim.scenario import Scenario, load_scenario
from sim.world import World

__all__ = ["MAX_FOLDER", "PARTITION", "Comparison", "compare_need", "compare_to_folder",
           "default_folder", "folder_names", "folder_stems"]

MAX_FOLDER = 64
"""Longest stem made from a scenario name (characters, before a ``-N`` suffix)."""
PARTITION = "scenario"
"""The hive partition key of a comparison's folders: ``scenario=STEM``."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def folder_names(names: Sequence[str]) -> list[str]:
    """Return each scenario's results folder: ``scenario=STEM`` (hive-style).

    STEM is :func:`folder_stems`; see the module docstring.
    """
    return [f"{PARTITION}={stem}" for stem in folder_stems(names)]


def folder_stems(names: Sequence[str]) -> list[str]:
    """Return a safe, distinct (ignoring case) stem for each scenario name.

    See the module docstring for the rule; the mapping depends only on
    ``names`` and their order.
    """
    taken: set[str] = set()
    folders = []
    for name in names:
        stem = _UNSAFE.sub("_", name).strip("_-")[:MAX_FOLDER].rstrip("_-") or "scenario"
        folder, number = stem, 1
        while folder.casefold() in taken:
            number += 1
            folder = f"{stem}-{number}"
        taken.add(folder.casefold())
        folders.append(folder)
    return folders


def default_folder(names: Sequence[str], root: Path = Path("results")) -> Path:
    """Return ``sim compare``'s folder when no ``--out`` is given: ``root/compare-NAMES``.

    NAMES is the scenarios' stems (:func:`folder_stems`) joined by
    ``-vs-``, or the first one and ``-and-N-more`` past :data:`MAX_FOLDER`
    characters; so two different comparisons never share a default folder
    by accident, and none shares the README's ``results/compare``.
    """
    folders = folder_stems(names)
    joined = "-vs-".join(folders)
    if len(joined) > MAX_FOLDER:
        joined = f"{folders[0]}-and-{len(folders) - 1}-more"
    return root / f"compare-{joined}"


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_to_folder` ran and wrote.

    Attributes
    ----------
    compared : dict of str to ComparedRuns
        What the comparison kept of each scenario's runs (each run's
        outcomes and the figures' panels; the runs are in ``files``), by
        scenario name, in the order given.
    summary : DataFrame
        :func:`~sim.experiment.outcomes.summarise_outcomes`, one row per scenario.
    files : list of Path
        Each scenario's ``scenario=STEM/results.parquet``, then ``summary.csv``
        and ``scenarios.csv``.
    folders : dict of str to Path
        Each scenario's results folder, by scenario name (see :func:`folder_names`).
    out : Path
        The comparison's folder (``--out``, or :func:`default_folder`).
    baseline : str or None
        The baseline scenario's name, if one was given.
    differences : DataFrame or None
        :func:`~sim.experiment.differences.paired_differences` from the
        baseline (``differences.csv``), or None without a baseline.
    posterior : PosteriorDraws or None
        The parameter draws every scenario ran under, if any.
    """

    compared: dict[str, ComparedRuns]
    summary: pd.DataFrame
    files: list[Path]
    folders: dict[str, Path]
    out: Path
    baseline: str | None = None
    differences: pd.DataFrame | None = None
    posterior: PosteriorDraws | None = None

    @property
    def runs_label(self) -> str:
        """What each scenario's runs are: ``"100 runs"`` or ``"200 runs = 10 posterior ..."``."""
        runs = max(c.n_runs for c in self.compared.values())
        if self.posterior is None:
            return f"{runs} runs"
        draws = self.posterior.n_draws
        return f"{runs} runs = {draws} posterior draws x {runs // draws} seeds"

    @property
    def panels(self) -> dict[str, Panels]:
        """What the figures draw of each scenario (:func:`sim.plots.compare.compare_figures`)."""
        return {name: runs.panels for name, runs in self.compared.items()}


def compare_to_folder(paths: Sequence[Path], runs: int, seed: int, out: Path | None,
                      progress: bool = True, overrides: Mapping[str, object] | None = None,
                      force: bool = False, baseline: str | None = None,
                      memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET,
                      posterior: PosteriorDraws | None = None) -> Comparison:
    """Run each scenario on seeds ``seed .. seed+runs-1``; save results and summary.

    Writes ``scenario=STEM/results.parquet`` per scenario, ``summary.csv``
    (:func:`~sim.experiment.export.summary_for_csv` of the summary) and
    ``scenarios.csv`` (each scenario's folder, digest and seeds), and with a
    ``baseline`` ``differences.csv``.

    Parameters
    ----------
    paths : sequence of Path
        Scenario files; their names must differ (each gives a folder in ``out``,
        see :func:`folder_names`).
    runs, seed : int
    out : Path or None
        Output folder (see :func:`~sim.experiment.folders.prepare_output`);
        None for :func:`default_folder` of the scenarios' names.
    progress : bool
        Write a line per scenario on stderr as it starts.
    overrides : mapping, optional
        ``--set`` values applied to every scenario.
    force : bool
        Replace an earlier ``sim compare`` folder whole (see
        :func:`~sim.experiment.folders.prepare_output`).
    baseline : str, optional
        A scenario's name (``--baseline``): also write ``differences.csv``,
        every scenario's paired difference from it.
    memory_budget_bytes : int
        Working memory of one chunk of runs (:func:`sim.core.iter_batch`).
    posterior : PosteriorDraws, optional
        Run every scenario once per draw, on the same seeds (see the module
        docstring).

    Raises
    ------
    ScenarioError
        For a bad scenario file, or a draw's key the scenarios do not have.
    UserError
        For a ``baseline`` that is not one of the scenarios' names, or
        naming ``--runs`` for a request that cannot fit (before anything
        runs or is written).
    OutputError
        For two scenarios of one name, or a folder that is not writable, not
        a ``sim compare`` folder, or holds an earlier run and ``force`` is false.
    """
    scenarios = [load_scenario(path, overrides) for path in paths]
    draws = [{}] if posterior is None else posterior.overrides()
    variants = [[load_scenario(path, {**dict(overrides or {}), **draw}) for draw in draws]
                if posterior is not None else [scenario]
                for path, scenario in zip(paths, scenarios, strict=True)]
    names = [s.name for s in scenarios]
    out = default_folder(names) if out is None else out
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise OutputError(out, "", f"expected scenarios with distinct names, found {twice!r} "
                          "twice")
    if baseline is not None and baseline not in names:
        raise UserError("--baseline", "", "expected the name of a compared scenario ("
                        f"{', '.join(names)}), found {baseline!r}")
    folders = {n: out / f for n, f in zip(names, folder_names(names), strict=True)}
    check_capacity(compare_need(scenarios, runs * len(draws), memory_budget_bytes), runs, out)
    prepare_output(out, "compare", force=force)
    seeds = np.arange(seed, seed + runs, dtype=np.int64)
    compared: dict[str, ComparedRuns] = {}
    files = []
    for number, (scenario, under) in enumerate(zip(scenarios, variants, strict=True), start=1):
        if progress:
            times = f" x {len(draws)} posterior draws" if posterior is not None else ""
            print(f"[{number}/{len(scenarios)}] {shown(scenario.name)}: {runs} run(s){times}",
                  file=sys.stderr)
        reduced = CompareReductions()
        files += save_variants(
            [folders[scenario.name] / (f"draw={k}" if posterior is not None else "")
             / "results.parquet" for k in range(len(under))], under, seeds,
            memory_budget_bytes, reduced)
        compared[scenario.name] = reduced.compared()
    if posterior is not None:
        files.append(write_text_atomically(out / "posterior.csv",
                                           posterior.table().to_csv(index=False)))
    summary = summarise_outcomes(compared)
    files.append(write_text_atomically(out / "summary.csv",
                                       summary_for_csv(summary).to_csv(index=False)))
    files.append(write_text_atomically(out / "scenarios.csv", scenario_index(
        compared, folders).to_csv(index=False)))
    differences = None
    if baseline is not None:
        differences = paired_differences(compared, baseline)
        files.append(write_text_atomically(out / "differences.csv",
                                           differences.to_csv(index=False)))
    return Comparison(compared, summary, files, folders, out, baseline, differences, posterior)


def compare_need(scenarios: Sequence[Scenario], runs: int,
                 memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET) -> Need:
    """Estimate the memory and disk of comparing ``scenarios`` over ``runs`` streamed runs.

    Each scenario while it runs: one chunk, and per run its outcomes and
    monthly panel values (:meth:`~sim.experiment.compared.CompareReductions.bytes_per_run`);
    then its outcomes until the end (:func:`~sim.experiment.capacity.one_after_another`).
    """
    needs, kept = [], []
    for scenario in scenarios:
        world = World.from_scenario(scenario)
        keep, transient = CompareReductions.bytes_per_run(world.n_steps)
        needs.append(estimate_need(world, runs, keep + transient, memory_budget_bytes))
        kept.append(runs * keep)
    return one_after_another(needs, kept)
