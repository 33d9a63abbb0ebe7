"""Shared fixtures: the shipped scenarios, loaded once per session, and the global seed.

Hypothesis settings profiles. ``ci`` (the default, what CI runs) bounds every
property test to a fixed example budget with no deadline (the machine may be
slow or busy); tests that fuzz scale their own counts from its
``max_examples``. Select another with ``HYPOTHESIS_PROFILE=thorough`` (or
``pytest --hypothesis-profile=thorough``) for a long fuzzing session, or
``dev`` for a quick one.

The ``global_random_seed`` fixture, after scikit-learn's. A test that must hold
for every seed takes ``global_random_seed`` instead of a literal seed (a test
that covers a list of seeds keeps a short fixed list and adds it). By default
it is one fixed seed, 42, so the suite is deterministic. The environment
variable ``SIM_TESTS_GLOBAL_RANDOM_SEED`` selects others, and each such test
then runs once per seed::

    SIM_TESTS_GLOBAL_RANDOM_SEED=7 python -m pytest -q      # one seed
    SIM_TESTS_GLOBAL_RANDOM_SEED=0-9 python -m pytest -q    # seeds 0 to 9, both included
    SIM_TESTS_GLOBAL_RANDOM_SEED=all python -m pytest -q    # every seed, 0 to 99

Any other value, or a seed outside 0-99, stops pytest with a usage error
(tests/seeds.py parses the variable; tests/test_seeds.py tests it).
"""

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings
from seeds import DEFAULT_SEED, SEED_VARIABLE, parse_seeds

import sim
from sim.scenario.confinement import ALLOW_ANYWHERE

# Test scenarios are written to tmp_path and extend tests/data/test_base.toml, which lies
# outside their (non-)project: the suite lifts the extends confinement, for subprocesses too.
# tests/test_hardening_security.py removes the variable to test the confinement itself.
os.environ[ALLOW_ANYWHERE] = "1"

pytest_plugins = ["pytester"]  # tests/test_seeds.py runs pytest on this file

settings.register_profile(
    "ci", max_examples=100, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", settings.get_profile("ci"), max_examples=20)
settings.register_profile("thorough", settings.get_profile("ci"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"


def benchmark_module(name: str) -> ModuleType:
    """Load ``benchmarks/NAME.py`` (benchmarks/ is scripts, not a package)."""
    path = REPO / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
SHIPPED = (
    "no_controls", "oct2022", "oct2023", "ai_diffusion_2025", "diffusion_rescinded_2025",
    "allied_coordination", "strict_enforcement", "history", "history_framework_kept",
    "history_no_controls",
)
GLOBAL_SEEDS = pytest.StashKey[list[int]]()


def pytest_configure(config: pytest.Config) -> None:
    """Read the global seeds once; a bad value is a usage error before any test runs."""
    config.stash[GLOBAL_SEEDS] = parse_seeds(os.environ.get(SEED_VARIABLE))


def pytest_report_header(config: pytest.Config) -> str:
    seeds = config.stash[GLOBAL_SEEDS]
    shown = str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}-{seeds[-1]}"
    hint = f" (the default; set {SEED_VARIABLE} to change it)" if seeds == [DEFAULT_SEED] else ""
    return f"global_random_seed: {shown}{hint}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes ``global_random_seed`` once per selected seed."""
    if "global_random_seed" in metafunc.fixturenames:
        metafunc.parametrize("global_random_seed", metafunc.config.stash[GLOBAL_SEEDS])


@pytest.fixture(scope="session")
def shipped_scenarios():
    """Every shipped scenario, loaded, by name."""
    return {name: sim.load_scenario(SCENARIOS / f"{name}.toml") for name in SHIPPED}
