"""Results: shapes, the tidy frame, and an exact Parquet round trip."""

import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

import sim
from sim.results import CHIP_METRICS, COUNTRY_METRICS, MARKET_METRICS, STEP_METRICS


@pytest.fixture(scope="module")
def results(shipped_scenarios):
    parts = [sim.ExportControlModel(shipped_scenarios["ai_diffusion_2025"], seed=s).run().results()
             for s in (3, 4)]
    return sim.Results.concat(parts)


def test_shapes_and_labels(results, shipped_scenarios):
    scenario = shipped_scenarios["ai_diffusion_2025"]
    n_steps, n_countries = scenario.time.months, len(scenario.countries)
    for name in COUNTRY_METRICS:
        assert results.metric(name).shape == (2, n_steps, n_countries)
        assert results.metric(name).dtype == np.int64
    assert results.metric("grey_premium").shape == (2, n_steps)
    assert results.metric("market_price_usd").shape == (2, n_steps, len(results.chips))
    assert results.metric("market_price_usd").dtype == np.float64
    assert results.dates[0] == "2025-01" and results.dates[-1] == "2027-12"
    assert list(results.seeds) == [3, 4]
    assert results.countries == scenario.country_codes
    with pytest.raises(KeyError, match="known"):
        results.metric("no_such_metric")


def test_tidy_frame(results):
    frame = results.to_frame()
    assert len(frame) == 2 * len(results.dates) * len(results.countries)
    row = frame[(frame.seed == 4) & (frame.step == 5) & (frame.country == "CHN")].iloc[0]
    index = results.countries.index("CHN")
    assert row["stock_tpp"] == results.metric("stock_tpp")[1, 5, index]
    assert row["grey_premium"] == results.metric("grey_premium")[1, 5]
    assert row["date"] == "2025-06" and row["tier"] == 3


def test_parquet_round_trip_is_exact(results, tmp_path):
    path = results.save(tmp_path / "out" / "results.parquet")
    loaded = sim.load_results(path)
    for name in (*COUNTRY_METRICS, *CHIP_METRICS, *STEP_METRICS, *MARKET_METRICS):
        assert np.array_equal(loaded.metric(name), results.metric(name)), name
        assert loaded.metric(name).dtype == results.metric(name).dtype
    assert loaded.digest == results.digest and loaded.version == sim.__version__
    assert loaded.countries == results.countries and loaded.dates == results.dates
    assert list(loaded.seeds) == [3, 4]
    assert [p.name for p in path.parent.iterdir()] == ["results.parquet"]


def test_metadata_names_scenario_digest_seeds_version(results, tmp_path):
    import json

    path = results.save(tmp_path / "r.parquet")
    header = json.loads(pq.read_schema(path).metadata[b"sim"])
    assert header["digest"] == results.digest and header["seeds"] == [3, 4]
    assert header["scenario"]["name"] == "ai_diffusion_2025" and header["version"]


def test_foreign_parquet_is_rejected(tmp_path):
    import pandas as pd

    path = tmp_path / "other.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(ValueError, match="not a results file"):
        sim.load_results(path)


def test_concat_refuses_different_scenarios(results, shipped_scenarios):
    other = sim.ExportControlModel(shipped_scenarios["oct2023"], seed=0)
    other.run()
    with pytest.raises(ValueError, match="different scenarios"):
        sim.Results.concat([results, other.results()])


@pytest.fixture(scope="module")
def batch(shipped_scenarios):
    return sim.run_batch(shipped_scenarios["ai_diffusion_2025"], [3, 4])


def test_to_xarray_holds_every_metric_on_named_axes(batch):
    dataset = batch.to_xarray()
    assert dict(dataset.sizes) == {"run": 2, "step": len(batch.dates),
                                   "country": len(batch.countries), "chip": len(batch.chips)}
    assert list(dataset["country"].values) == list(batch.countries)
    assert list(dataset["chip"].values) == list(batch.chips)
    assert list(dataset["seed"].values) == [3, 4]
    assert list(dataset["tier"].values) == list(batch.tiers)
    assert str(dataset["date"].values[5])[:7] == batch.dates[5]
    assert set(dataset.data_vars) == set(batch.metrics)
    for name, values in batch.metrics.items():
        variable = dataset[name]
        assert variable.dtype == values.dtype
        np.testing.assert_array_equal(variable.values, values)
    assert dataset["shipped_chips"].dims == ("run", "step", "country", "chip")
    assert dataset["grey_premium"].dims == ("run", "step")
    assert dataset["unmet_tpp"].attrs["units"] == "TPP"
    assert dataset["unmet_tpp"].attrs["kind"] == "flow"
    assert dataset["backlog_tpp"].attrs["kind"] == "stock"
    assert dataset.attrs["digest"] == batch.digest
    china = batch.countries.index("CHN")
    assert int(dataset["stock_tpp"].sel(country="CHN", run=1, step=7)) == (
        batch.metric("stock_tpp")[1, 7, china])


def test_to_xarray_without_xarray_says_how_to_install_it(batch, monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)  # import xarray fails
    with pytest.raises(ImportError, match="pip install xarray"):
        batch.to_xarray()
