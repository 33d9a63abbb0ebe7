"""The public API of DESIGN.md section 4 is importable from ``sim``."""

import sim


def test_every_exported_name_resolves():
    for name in sim.__all__:
        assert getattr(sim, name) is not None, name


def test_contract_names_are_exported():
    contract = {"load_scenario", "run_batch", "ExportControlModel", "Results", "load_results",
                "ScenarioError", "Scenario"}
    assert contract <= set(sim.__all__)
    assert issubclass(sim.ScenarioError, ValueError)
