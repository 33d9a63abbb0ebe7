"""Run a sweep on a SLURM cluster through dask-jobqueue.

Each SLURM job starts Dask workers that connect back to the scheduler this
script starts; chunks run wherever a worker is free, and this process writes
every finished chunk to the output folder as it arrives (workers need to read
the scenario files, so put the project on a shared filesystem, but they never
write). Kill the script or lose jobs and the same command resumes: finished
points are skipped. For PBS use ``dask_jobqueue.PBSCluster`` with the same
arguments.

Usage::

    pip install -e ".[cluster]"
    python experiments/cluster_sweep.py scenarios/sweeps/diversion_sensitivity.toml \\
        --out results/diversion_sensitivity --queue normal --account my-project --jobs 8
    python experiments/cluster_sweep.py SWEEP.toml --dry-run   # print the job script only
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.sweep import report_failures
from sim.errors import UserError
from sim.experiment.executors import DaskExecutor
from sim.plots.sweep import sweep_figures
from sim.sweep import SweepError, load_sweep, run_sweep


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", help="sweep TOML file")
    parser.add_argument("--out", default="results/cluster_sweep", help="output folder")
    parser.add_argument("--queue", help="SLURM partition")
    parser.add_argument("--account", help="SLURM account to charge")
    parser.add_argument("--jobs", type=int, default=4, help="SLURM jobs (each one worker node)")
    parser.add_argument("--cores", type=int, default=8, help="cores per job")
    parser.add_argument("--processes", type=int, default=8,
                        help="Dask worker processes per job (one core each suits the core)")
    parser.add_argument("--memory", default="16GB", help="memory per job")
    parser.add_argument("--walltime", default="02:00:00", help="wall time per job")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the SLURM job script and exit without submitting")
    return parser.parse_args(argv)


def make_cluster(options: argparse.Namespace) -> Any:
    """Return a ``SLURMCluster`` with one single-threaded worker per core."""
    try:
        from dask_jobqueue import SLURMCluster  # deferred: an optional dependency ([cluster])
    except ImportError:
        sys.exit("error: this script needs dask-jobqueue: pip install -e '.[cluster]'")
    return SLURMCluster(
        queue=options.queue, account=options.account, cores=options.cores,
        processes=options.processes, memory=options.memory, walltime=options.walltime,
        job_name="sim-sweep",
        # numpy's own threads would fight the worker processes for cores
        job_script_prologue=["export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1"],
    )


def main(argv: list[str] | None = None) -> int:
    """Start the cluster, run the sweep on it, and report; return the exit status."""
    options = parse_arguments(argv)
    try:
        spec = load_sweep(options.sweep)  # a bad sweep file fails here, before any job
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cluster = make_cluster(options)
    if options.dry_run:
        print(cluster.job_script())
        cluster.close()
        return 0
    from distributed import Client  # deferred with dask_jobqueue (an optional dependency)

    out = Path(options.out)
    cluster.scale(jobs=options.jobs)
    try:
        with Client(cluster) as client:
            executor = DaskExecutor(cluster.scheduler_address, client=client)
            try:
                report = run_sweep(spec, out, executor=executor)
            finally:
                cluster.close()
        if report.failed:
            return report_failures(report, out)  # 1 for a programming error, with traceback
    except UserError as exc:  # a damaged folder, a mistake a chunk ran into, dead workers
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sweep_figures(report, out)
    print(f"sweep {spec.name} complete: {options.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
