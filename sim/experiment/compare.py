"""Several scenarios on the same seeds: results per scenario and one summary.

:func:`compare_to_folder` is what ``sim compare`` does; the command line
prints the summary it returns and draws the figures
(:func:`sim.plots.compare.compare_figures`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiment.errors import OutputError
from sim.experiment.folders import prepare_output
from sim.experiment.outcomes import summarise_outcomes
from sim.experiment.run import run_scenario
from sim.results import Results
from sim.scenario import load_scenario

__all__ = ["Comparison", "compare_to_folder"]


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_to_folder` ran and wrote.

    Attributes
    ----------
    per_scenario : dict of str to Results
        Each scenario's runs, by scenario name, in the order given.
    summary : DataFrame
        :func:`~sim.experiment.outcomes.summarise_outcomes`, one row per scenario.
    files : list of Path
        Each scenario's ``NAME/results.parquet``, then ``summary.csv``.
    """

    per_scenario: dict[str, Results]
    summary: pd.DataFrame
    files: list[Path]


def compare_to_folder(paths: Sequence[Path], runs: int, seed: int, out: Path,
                      progress: bool = True) -> Comparison:
    """Run each scenario on seeds ``seed .. seed+runs-1``; save results and ``summary.csv``.

    Parameters
    ----------
    paths : sequence of Path
        Scenario files; their names must differ (each is a folder in ``out``).
    runs, seed : int
    out : Path
        Output folder (see :func:`~sim.experiment.folders.prepare_output`).
    progress : bool
        Write a line per scenario on stderr as it starts.

    Raises
    ------
    ScenarioError
        For a bad scenario file.
    OutputError
        For two scenarios of one name, or a folder that is not writable or
        not a ``sim compare`` folder.
    """
    scenarios = [load_scenario(path) for path in paths]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise OutputError(out, "", f"expected scenarios with distinct names, found {twice!r} "
                          "twice")
    prepare_output(out, "compare")
    seeds = np.arange(seed, seed + runs, dtype=np.int64)
    per_scenario: dict[str, Results] = {}
    files = []
    for number, scenario in enumerate(scenarios, start=1):
        if progress:
            print(f"[{number}/{len(scenarios)}] {scenario.name}: {runs} run(s)", file=sys.stderr)
        per_scenario[scenario.name] = run_scenario(scenario, seeds)
        files.append(per_scenario[scenario.name].save(out / scenario.name / "results.parquet"))
    summary = summarise_outcomes(per_scenario)
    summary.to_csv(out / "summary.csv", index=False)
    return Comparison(per_scenario, summary, [*files, out / "summary.csv"])
