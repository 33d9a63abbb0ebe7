"""Invariants of the agent model, checked after every step of several
scenarios and seeds: caps and allowances are never exceeded, chips are
conserved, nothing goes negative, listed brokers never buy again
(the checks live in tests/invariants.py)."""

import warnings

import numpy as np
import pytest
from invariants import check_results, run_checked

import sim
from sim.model.agents import Broker

NAMES = ["ai_diffusion_2025", "strict_enforcement", "oct2023", "diffusion_rescinded_2025",
         "no_controls"]
FIXED = [("ai_diffusion_2025", 7)]  # the frontier rule set on a second, fixed seed too


@pytest.mark.parametrize("name", NAMES)
def test_invariants_hold_every_step(shipped_scenarios, name, global_random_seed):
    model = run_checked(shipped_scenarios[name], global_random_seed)
    check_results(model.results(), model.world)


@pytest.mark.parametrize(("name", "seed"), FIXED)
def test_invariants_hold_every_step_on_fixed_seeds(shipped_scenarios, name, seed):
    model = run_checked(shipped_scenarios[name], seed)
    check_results(model.results(), model.world)


def test_catches_happen_and_list_brokers(shipped_scenarios, global_random_seed):
    scenario = shipped_scenarios["strict_enforcement"]
    model = sim.ExportControlModel(scenario, seed=global_random_seed).run()
    assert any(isinstance(b, Broker) and b.listed for b in model.brokers)
    assert model.results().metric("diversion_seized_tpp").sum() > 0


def test_mesa_conventions(shipped_scenarios, global_random_seed):
    model = sim.ExportControlModel(shipped_scenarios["oct2023"], seed=global_random_seed)
    assert len(model.agents) == len(model.countries) + len(model.firms) + len(
        model.vendors) + len(model.domestic_makers)
    model.run()
    assert model.steps == model.world.n_steps and not model.running
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == ["grey_premium", "rental_price_index", "market_price_usd"]
    assert len(frame) == model.world.n_steps


def test_agents_read_as_what_they_are(shipped_scenarios, global_random_seed):
    from sim.model.agents import Country

    model = sim.ExportControlModel(shipped_scenarios["ai_diffusion_2025"], seed=global_random_seed)
    model.run()
    china = next(c for c in model.countries if c.code == "CHN")
    assert repr(china) == "Country(CHN, tier 3)"
    broker = model.brokers[0]
    assert repr(broker) == f"Broker({broker.label!r}, broker, {broker.country.code})"
    kinds = {f.kind_name for f in model.firms}
    assert kinds == {"buyer", "research", "champion", "hyperscaler", "broker"}
    assert {f.status_name for f in model.firms} == {"none", "uveu", "nveu"}
    frame = model.datacollector.get_agenttype_vars_dataframe(Country).reset_index()
    by_code = frame.set_index(["Step", "country"])["stock_tpp"].unstack()
    assert list(by_code.columns) == sorted(model.world.countries)
    last = model.results().metric("stock_tpp")[0, -1]
    assert by_code.iloc[-1].tolist() == last.tolist()


def test_firm_reporters_add_up_to_the_country_books(shipped_scenarios, global_random_seed):
    model = sim.ExportControlModel(shipped_scenarios["ai_diffusion_2025"], seed=global_random_seed)
    model.run()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Mesa warns (3.3: raises) when no agent reporter exists
        frame = model.datacollector.get_agent_vars_dataframe().reset_index()
    firms = frame[frame["agent"].isin(["Firm", "Broker"])]
    assert len(firms) == len(model.firms) * model.world.n_steps
    assert set(firms["kind"]) == {"buyer", "research", "champion", "hyperscaler", "broker"}
    assert set(frame.loc[frame["agent"] == "Country", "country"]) == set(model.world.countries)
    results = model.results()
    codes = list(model.world.countries)
    for column in ("demand_tpp", "shipped_tpp", "rented_tpp", "unmet_tpp", "backlog_tpp",
                   "diversion_requested_tpp"):
        summed = firms.pivot_table(index="Step", columns="country", values=column,
                                   aggfunc="sum").reindex(columns=codes, fill_value=0)
        np.testing.assert_array_equal(summed.to_numpy(dtype=np.int64),
                                      results.metric(column)[0], err_msg=column)


def test_firm_reporters_can_be_left_out_without_changing_the_run(shipped_scenarios):
    scenario = shipped_scenarios["ai_diffusion_2025"]
    plain = sim.ExportControlModel(scenario, seed=4, agent_reporters=False).run()
    assert not plain.datacollector.agent_reporters
    full = sim.ExportControlModel(scenario, seed=4).run().results()
    for name, values in plain.results().metrics.items():
        np.testing.assert_array_equal(values, full.metrics[name], err_msg=name)
