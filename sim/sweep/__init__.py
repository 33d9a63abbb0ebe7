"""Parameter sweeps: designs, chunks and a resumable Parquet store.

``run_sweep(sweep_file, out)`` is the Python entry point behind ``sim sweep``;
pass ``executor=DaskExecutor(...)`` (from :mod:`sim.experiment.executors`) to
run on a cluster, and :func:`sim.plots.sweep.sweep_figures` to draw its figures.
"""

from sim.sweep.errors import SweepError
from sim.sweep.runner import SweepReport, run_sweep
from sim.sweep.spec import SweepSpec, load_sweep

__all__ = [
    "SweepError",
    "SweepReport",
    "SweepSpec",
    "load_sweep",
    "run_sweep",
]
