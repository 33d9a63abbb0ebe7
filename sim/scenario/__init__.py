"""Scenario files: schema, loading with ``extends`` and overrides, validation."""

from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario, parse_assignment
from sim.scenario.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario", "parse_assignment"]
