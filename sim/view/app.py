"""The module ``solara run`` serves for ``sim view``: ``Page``, configured by the environment.

``sim view`` checks the scenario, then runs ``solara run sim.view.app`` with
the scenario file in ``SIM_VIEW_SCENARIO`` and the seed in ``SIM_VIEW_SEED``
(a Solara app takes no arguments of its own). Each browser session gets its
own model, so reloading the page starts the run again.
"""

from __future__ import annotations

import os

import solara

from sim.view.page import ViewPage

__all__ = ["SCENARIO_VARIABLE", "SEED_VARIABLE", "Page"]

SCENARIO_VARIABLE = "SIM_VIEW_SCENARIO"
SEED_VARIABLE = "SIM_VIEW_SEED"



@solara.component
def Page() -> solara.Element:
    """Draw the page of one browser session: a fresh run of the scenario with the seed."""
    return ViewPage(os.environ[SCENARIO_VARIABLE], int(os.environ.get(SEED_VARIABLE, "0")))
