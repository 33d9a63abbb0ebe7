"""Parameter sweeps: designs, executors and a resumable Parquet store.

``run_sweep(sweep_file, out)`` is the Python entry point behind ``sim sweep``;
pass ``executor=DaskExecutor(...)`` to run on a cluster.
"""

from sim.sweep.errors import SweepError
from sim.sweep.executors import DaskExecutor, InProcessExecutor, LocalProcessExecutor
from sim.sweep.runner import SweepReport, run_sweep
from sim.sweep.spec import SweepSpec, load_sweep

__all__ = [
    "DaskExecutor",
    "InProcessExecutor",
    "LocalProcessExecutor",
    "SweepError",
    "SweepReport",
    "SweepSpec",
    "load_sweep",
    "run_sweep",
]
