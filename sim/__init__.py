"""Tiered compute trade simulation: AI accelerator trade under export-control tiers.

The public API is what this module exports; everything else is private.
Names load on first use (PEP 562), so ``import sim.core`` does not load
Mesa and ``import sim`` loads almost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sim.version import __version__

if TYPE_CHECKING:
    from sim.core import run_batch, run_points
    from sim.errors import UserError
    from sim.model import ExportControlModel
    from sim.results import Results, ResultsError, load_results
    from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "ExportControlModel",
    "Results",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "UserError",
    "__version__",
    "load_results",
    "load_scenario",
    "run_batch",
    "run_points",
]

_HOMES = {
    "ExportControlModel": "sim.model",
    "Results": "sim.results",
    "ResultsError": "sim.results",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "UserError": "sim.errors",
    "load_results": "sim.results",
    "load_scenario": "sim.scenario",
    "run_batch": "sim.core",
    "run_points": "sim.core",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
