"""``sim run``: one scenario, many seeds, results on disk and a summary table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from sim.experiment.errors import OutputError
from sim.experiment.summary import summarise_by_tier
from sim.results import Results
from sim.scenario import Scenario, load_scenario

__all__ = ["prepare_output", "run_command", "run_scenario"]


def run_scenario(scenario: Scenario, seeds: np.ndarray) -> Results:
    """Run ``scenario`` once per seed with the vectorised core."""
    from sim.core import run_batch

    return run_batch(scenario, seeds)


def prepare_output(out: Path) -> Path:
    """Create ``out`` (and parents) or raise :class:`OutputError`."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"{out}: expected a writable output folder ({exc.strerror})") from None
    return out


def run_command(path: Path, runs: int, seed: int, out: Path,
                overrides: Mapping[str, str]) -> int:
    """Load, run, save ``results.parquet`` and print the summary; return 0."""
    scenario = load_scenario(path, overrides)
    prepare_output(out)
    seeds = np.arange(seed, seed + runs, dtype=np.int64)
    results = run_scenario(scenario, seeds)
    target = results.save(out / "results.parquet")
    table = summarise_by_tier(results)
    table.to_csv(out / "summary_by_tier.csv")
    print(f"{scenario.name}: {runs} run(s), seeds {seed}..{seed + runs - 1}, "
          f"{len(results.dates)} months from {results.dates[0]}")
    print(table.to_string(float_format=lambda v: f"{v:,.0f}"))
    print(f"results: {target}")
    return 0
