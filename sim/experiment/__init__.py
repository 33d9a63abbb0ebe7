"""Experiments: running scenarios, summarising and writing their results.

* :mod:`~sim.experiment.run`, :mod:`~sim.experiment.compare`: one scenario on
  many seeds, several scenarios on the same seeds;
* :mod:`~sim.experiment.outcomes`, :mod:`~sim.experiment.summary`: headline
  outcomes and their summaries;
* :mod:`~sim.experiment.executors`: where chunks of work run (this process,
  local processes, Dask), for sweeps and calibration alike;
* :mod:`~sim.experiment.folders`: the output folder of every command.

Sweeps (:mod:`sim.sweep`) and calibration (:mod:`sim.calibration`) are
siblings in this layer.
"""
