"""The UVEU keys added with schema defaults change both implementations alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_core_agreement import assert_same_bits

import sim

SCENARIO = Path(__file__).resolve().parent / "data" / "small" / "uveu_home.toml"


def _both(overrides: dict) -> tuple[sim.Results, sim.Results]:
    scenario = sim.load_scenario(SCENARIO, overrides)
    return (sim.ExportControlModel(scenario, seed=0).run().results(),
            sim.run_batch(scenario, [0]))


@pytest.mark.parametrize("overrides", [
    {"rules.uveu_home_country": "IND"},  # the home-share rule no longer binds the US parent
    {"market.uveu_installed_months": 1},  # a smaller installed base: tighter share limits
])
def test_key_changes_the_run_in_model_and_core_alike(overrides):
    default_model, default_core = _both({})
    model, core = _both(overrides)
    assert_same_bits(core, [model])
    assert_same_bits(default_core, [default_model])
    assert not np.array_equal(core.metric("veu_tpp"), default_core.metric("veu_tpp"))
