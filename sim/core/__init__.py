"""The vectorised core: many runs of the agent model at once, bit for bit.

State arrays are shaped (runs, firms) or (runs, countries); each phase of
``ExportControlModel.step`` is one function over them (:mod:`sim.core.orders`,
:mod:`sim.core.licensing`, :mod:`sim.core.shipping`,
:mod:`sim.core.diversion`), with grouped allocation in
:mod:`sim.core.allocation` and the loop over months in :mod:`sim.core.batch`.
"""

from sim.core.batch import iter_batch, iter_point_runs, iter_points, run_batch, run_points

__all__ = ["iter_batch", "iter_point_runs", "iter_points", "run_batch", "run_points"]
