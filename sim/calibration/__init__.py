"""Calibration of behavioural parameters against published figures.

One concept per module:

* :mod:`~sim.calibration.targets`: the targets file (published figures with
  ranges and sources, priors of the parameters) and its checks, whose
  mistakes raise :class:`~sim.calibration.errors.TargetsError`;
* :mod:`~sim.calibration.statistics`: what each target measures in a run;
* prior draws: scrambled Sobol' points of :mod:`sim.experiment.sampling`, mapped
  through each :class:`~sim.experiment.parameters.Parameter`;
* :mod:`~sim.calibration.simulate`: running target scenarios for draws, on
  any :mod:`executor <sim.experiment.executors>`;
* :mod:`~sim.calibration.distance`: how far a run is from the figures;
* :mod:`~sim.calibration.abc`: the ABC sampler and its posterior;
* :mod:`~sim.calibration.output`: the data files of a calibration.

Its figures are in :mod:`sim.plots.calibration`; ``python -m sim calibrate``
is :mod:`sim.cli.calibrate`.
"""

from sim.calibration.abc import AbcSettings, Posterior, run_abc
from sim.calibration.errors import TargetsError
from sim.calibration.targets import TargetSet, load_targets

__all__ = ["AbcSettings", "Posterior", "TargetSet", "TargetsError", "load_targets", "run_abc"]
