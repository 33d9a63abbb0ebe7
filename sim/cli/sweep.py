"""``sim sweep SWEEP.toml``: run or resume a sweep, draw its figures, and report.

Exit status 0 when every point is finished; 2 with one line for a user's
mistake (also one a chunk ran into) or chunks whose workers died (a rerun can
succeed); 1 with the traceback when a chunk hit a programming error. Failed
chunks never stop the others: everything finished is saved first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.arguments import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_cluster_arguments,
    add_posterior,
    cluster_security,
    posterior_of,
)
from sim.errors import shown
from sim.experiment.executors import BUG, USER
from sim.experiment.folders import finish_output, prepare_output
from sim.sweep import SweepError, SweepReport, run_sweep

__all__ = ["add_arguments", "execute", "report_failures"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``sweep`` command's arguments to ``parser``."""
    parser.add_argument("sweep_file", help="sweep TOML file (see scenarios/sweeps/)")
    parser.add_argument("--out", default="results/sweep",
                        help="output folder: new or empty, or the same sweep's (resumed)")
    parser.add_argument("--force", action="store_true",
                        help="start afresh: replace an earlier `sim sweep` folder at --out whole "
                             "(never a folder another command or someone else wrote)")
    add_cluster_arguments(parser, "local worker processes (default: this process if the "
                                  "first chunk says the sweep is short, else one per core); 1 "
                                  "runs in-process")
    add_posterior(parser, "every point")


def execute(args: argparse.Namespace) -> int:
    """Run the sweep into ``--out``; print what was written."""
    out = Path(args.out)
    security = cluster_security(args)
    posterior = posterior_of(args)
    if args.force:
        prepare_output(out, "sweep", force=True)
    try:
        report = run_sweep(Path(args.sweep_file), out, workers=args.workers,
                           scheduler=args.scheduler, security=security, posterior=posterior)
    except KeyboardInterrupt:
        print(f"\ninterrupted; finished chunks are saved in {shown(str(out))}; rerun the same "
              "command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if report.failed:
        return report_failures(report, out)
    # deferred: the figures load Matplotlib, which every other command can skip
    from sim.plots.sweep import sweep_figures

    files = [*report.files, *sweep_figures(report, out)]
    finish_output(out, "sweep", files)  # last: a folder without it is visibly unfinished
    spec = report.spec
    draws = f" x {len(spec.posterior)} posterior draws" if spec.posterior else ""
    print(f"sweep {spec.name}: {spec.points} points x {spec.replicates} replicates{draws} complete "
          f"({report.skipped} chunks reused, {report.ran} run now)")
    for file in files:
        print(f"wrote: {file}")
    return EXIT_OK


def report_failures(report: SweepReport, out: Path) -> int:
    """Report the failed chunks of a sweep whose other chunks are saved.

    A programming error in any chunk: print the first one's traceback and a
    line naming ``failures.json`` (where every traceback is), and return 1.

    Raises
    ------
    SweepError
        Otherwise, one line naming ``failures.json``: for a user's mistake a
        chunk ran into, or chunks whose workers died (rerunning retries them).
    """
    failures = out / "failures.json"
    saved = f"the {report.skipped + report.ran} finished chunks are saved"
    count = f"{len(report.failed)} chunk(s) failed"
    bugs = sorted(k for k, failure in report.failed.items() if failure.kind == BUG)
    if bugs:
        first = report.failed[bugs[0]]
        print(first.traceback, end="", file=sys.stderr)
        print(f"error: chunk {bugs[0]} raised a programming error ({shown(first.message)}; "
              f"traceback above); {count}, each listed with its traceback in {failures}; {saved}",
              file=sys.stderr)
        return EXIT_ERROR
    mistakes = sorted(k for k, failure in report.failed.items() if failure.kind == USER)
    if mistakes:
        first = report.failed[mistakes[0]]
        raise SweepError(failures, "", f"{count} on a mistake in the input (first: chunk "
                         f"{mistakes[0]}: {first.message}); {saved}; expected input every "
                         "point can run with (a corrected sweep needs a new --out folder, or "
                         "--force)")
    lost = min(report.failed)
    raise SweepError(failures, "", f"{count} (first: chunk {lost}, "
                     f"{report.failed[lost].message}); {saved}; their workers died, so a rerun "
                     "can succeed: rerun the same command to retry the failed ones")
