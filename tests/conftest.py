"""Shared fixtures: the shipped scenarios, loaded once per session."""

from pathlib import Path

import pytest

import sim

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
SHIPPED = (
    "no_controls", "oct2022", "oct2023", "ai_diffusion_2025", "diffusion_rescinded_2025",
    "allied_coordination", "strict_enforcement",
)


@pytest.fixture(scope="session")
def shipped_scenarios():
    """Every shipped scenario, loaded, by name."""
    return {name: sim.load_scenario(SCENARIOS / f"{name}.toml") for name in SHIPPED}
