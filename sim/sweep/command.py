"""``sim sweep``: run or resume a sweep from the command line and report."""

from __future__ import annotations

import sys
from pathlib import Path

from sim.sweep.errors import SweepError
from sim.sweep.runner import run_sweep

__all__ = ["sweep_command"]


def sweep_command(path: Path, out: Path, workers: int | None, scheduler: str | None) -> int:
    """Run the sweep in ``path`` into ``out``; return 0, or raise on failed chunks.

    Raises
    ------
    SweepError
        For bad input, and (after every other chunk has finished and been
        saved) when chunks failed: one line naming ``failures.json``.
    """
    try:
        report = run_sweep(path, out, workers=workers, scheduler=scheduler)
    except KeyboardInterrupt:
        print(f"\ninterrupted; finished chunks are saved in {out}; rerun the same command to "
              "resume", file=sys.stderr)
        return 130
    if report.failed:
        first = min(report.failed)
        raise SweepError(out / "failures.json", "", f"{len(report.failed)} chunk(s) failed "
                         f"(first: chunk {first}, {report.failed[first]}); the "
                         f"{report.skipped + report.ran} finished chunks are saved; rerun the "
                         "same command to retry the failed ones")
    spec = report.spec
    print(f"sweep {spec.name}: {spec.points} points x {spec.replicates} replicates complete "
          f"({report.skipped} chunks reused, {report.ran} run now)")
    for file in report.files:
        print(f"wrote: {file}")
    return 0
