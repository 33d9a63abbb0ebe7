"""Shared fixtures: the shipped scenarios, loaded once per session.

Also the hypothesis settings profiles. ``ci`` (the default, what CI runs)
bounds every property test to a fixed example budget with no deadline (the
machine may be slow or busy); tests that fuzz scale their own counts from
its ``max_examples``. Select another with ``HYPOTHESIS_PROFILE=thorough``
(or ``pytest --hypothesis-profile=thorough``) for a long fuzzing session,
or ``dev`` for a quick one.
"""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import sim

settings.register_profile(
    "ci", max_examples=100, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", settings.get_profile("ci"), max_examples=20)
settings.register_profile("thorough", settings.get_profile("ci"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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
