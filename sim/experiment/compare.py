"""``sim compare``: several scenarios, the same seeds, one summary and figures."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiment.errors import OutputError
from sim.experiment.outcomes import OUTCOMES, summarise_outcomes
from sim.experiment.run import prepare_output, run_scenario
from sim.results import Results
from sim.scenario import load_scenario

__all__ = ["compare_command", "format_summary"]


def format_summary(summary: pd.DataFrame) -> str:
    """Return the summary as a terminal table: mean [5th, 95th percentile]."""
    table = pd.DataFrame(index=summary["scenario"])
    for outcome in OUTCOMES:
        cells = []
        for _, row in summary.iterrows():
            mean, low, high = (row[f"{outcome}_{s}"] for s in ("mean", "p05", "p95"))
            digits = 2 if outcome in ("tier2_cap_utilisation", "grey_premium_end") else 0
            cells.append("n/a" if np.isnan(mean) else
                         f"{mean:,.{digits}f} [{low:,.{digits}f}, {high:,.{digits}f}]")
        table[outcome] = cells
    return table.T.to_string()


def compare_command(paths: Sequence[Path], runs: int, seed: int, out: Path) -> int:
    """Run each scenario on seeds ``seed .. seed+runs-1``; write results, summary, figures."""
    from sim.plots import plot_cap_utilisation, plot_diversion_by_transit, plot_outcomes_over_time

    scenarios = [load_scenario(path) for path in paths]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise OutputError(f"{out}: expected scenarios with distinct names, found {twice!r} twice")
    prepare_output(out, "compare")
    seeds = np.arange(seed, seed + runs, dtype=np.int64)
    per_scenario: dict[str, Results] = {}
    for number, scenario in enumerate(scenarios, start=1):
        print(f"[{number}/{len(scenarios)}] {scenario.name}: {runs} run(s)", file=sys.stderr)
        per_scenario[scenario.name] = run_scenario(scenario, seeds)
        per_scenario[scenario.name].save(out / scenario.name / "results.parquet")
    summary = summarise_outcomes(per_scenario)
    summary.to_csv(out / "summary.csv", index=False)
    figures = [plot_outcomes_over_time(per_scenario, out / "outcomes_over_time.png"),
               plot_cap_utilisation(per_scenario, out / "cap_utilisation.png"),
               plot_diversion_by_transit(per_scenario, out / "diversion_by_transit.png")]
    print(f"{len(scenarios)} scenarios x {runs} run(s), seeds {seed}..{seed + runs - 1}; "
          "mean [5th, 95th percentile] over runs:")
    print(format_summary(summary))
    print(f"summary: {out / 'summary.csv'}")
    for figure in figures:
        if figure is not None:
            print(f"figure:  {figure}")
    return 0
