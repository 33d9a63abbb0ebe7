"""Figures: of scenario comparisons, sweeps and calibrations, all written as PNG files.

The command line draws them after the experiment layer has computed and saved
the data; scripts do the same:

* :func:`~sim.plots.compare.compare_figures` for :func:`sim.experiment.compare.compare_to_folder`;
* :func:`~sim.plots.sweep.sweep_figures` for :func:`sim.sweep.run_sweep`;
* :func:`~sim.plots.calibration.calibration_figures` for :func:`sim.calibration.run_abc`.

Importing this package (or any module in it) loads Matplotlib and selects its
file-only ``Agg`` backend first, so figures are drawn without a display (on a
cluster node too) and no window ever opens.
"""

import matplotlib

matplotlib.use("Agg")  # before any module of this package imports pyplot

from sim.plots.calibration import calibration_figures
from sim.plots.compare import compare_figures
from sim.plots.style import save_figure
from sim.plots.sweep import sweep_figures

__all__ = ["calibration_figures", "compare_figures", "save_figure", "sweep_figures"]
