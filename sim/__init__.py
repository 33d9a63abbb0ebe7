"""Tiered compute trade simulation: AI accelerator trade under export-control tiers.

The public API is what this module exports; everything else is private.
"""

__version__ = "0.1.0"

from sim.core import run_batch
from sim.model import ExportControlModel
from sim.results import Results, ResultsError, load_results
from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "ExportControlModel",
    "Results",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "load_results",
    "load_scenario",
    "run_batch",
]
