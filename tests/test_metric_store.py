"""Metrics held on their supports: exact dense reads, loud errors, and the bytes saved."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.core import run_batch
from sim.core.batch import _empty_metrics, step
from sim.core.books import collect
from sim.core.layout import Layout
from sim.core.state import initial_state
from sim.metric_store import MetricStore
from sim.world import World
from sim.world.codes import BROKER
from sim.world.metrics import CHIP_METRICS
from sim.world.support import BROKER_METRICS, metric_support


@st.composite
def sparse_arrays(draw):
    """A dense (R, T, C) int64 array that is zero outside a drawn support, and the support."""
    runs, steps, columns = (draw(st.integers(1, 4)), draw(st.integers(1, 5)),
                            draw(st.integers(1, 9)))
    support = np.array(sorted(draw(st.sets(st.integers(0, columns - 1), max_size=columns))),
                       dtype=np.int64)
    seed = draw(st.integers(0, 2**32 - 1))
    values = np.random.default_rng(seed).integers(-10**12, 10**12, (runs, steps, columns))
    dense = np.zeros_like(values)
    dense[..., support] = values[..., support]
    return dense, support


@settings(max_examples=60, deadline=None)
@given(sparse_arrays(), st.integers(1, 3))
def test_a_compacted_metric_reads_back_exactly_and_joins(drawn, parts):
    dense, support = drawn
    store = MetricStore.compact({"m": dense}, {"m": support}, {"m": dense.shape[2:]})
    np.testing.assert_array_equal(store["m"], dense)
    held, columns = store.stored("m")
    assert held.shape == (*dense.shape[:2], len(support))
    np.testing.assert_array_equal(columns, support)
    joined = MetricStore.concat([store] * parts)
    np.testing.assert_array_equal(joined["m"], np.concatenate([dense] * parts))
    assert joined.stored("m")[1] is not None  # still on its support
    mixed = MetricStore.concat([store, MetricStore({"m": dense})])  # e.g. a loaded file
    np.testing.assert_array_equal(mixed["m"], np.concatenate([dense, dense]))


def test_a_value_outside_the_support_is_refused():
    dense = np.zeros((1, 2, 3, 2), dtype=np.int64)
    dense[0, 1, 2, 1] = 7  # flat column 5
    with pytest.raises(ValueError, match="column 5, outside its support"):
        MetricStore.compact({"m": dense}, {"m": np.array([0, 1, 4])}, {"m": (3, 2)})
    store = MetricStore.compact({"m": dense}, {"m": np.array([0, 5])}, {"m": (3, 2)})
    np.testing.assert_array_equal(store["m"], dense)


@pytest.fixture(scope="module")
def history_world():
    return World.from_scenario(sim.load_scenario("scenarios/history.toml"))


def test_supports_follow_the_world(history_world):
    world = history_world
    support = metric_support(world)
    hosts = np.unique(world.firms.country[world.firms.kind == BROKER])
    for name in BROKER_METRICS:
        np.testing.assert_array_equal(support[name], hosts)
    assert 0 < len(hosts) < len(world.countries)
    layout = Layout.from_world(world)
    cells = support[CHIP_METRICS[0]]
    for queue, slots in zip(layout.vendor_queues, layout.cell_slots, strict=True):
        np.testing.assert_array_equal(cells[slots], queue.cell_index)  # every cell is held


def test_world_scale_results_hold_far_fewer_bytes_than_dense(history_world):
    results = run_batch(history_world.scenario, [1, 2])
    dense = sum(results.metrics[name].nbytes for name in results.metrics)
    assert results.metrics.nbytes < 0.7 * dense
    model = sim.ExportControlModel(history_world.scenario, seed=2).run().results()
    assert model.metrics.nbytes == results.metrics.nbytes // 2  # the same supports


def test_the_core_refuses_a_flow_outside_its_support(history_world):
    layout = Layout.from_world(history_world)
    name = "diversion_attempted_tpp"
    state = initial_state(layout, np.array([0]))
    out = _empty_metrics(layout, 1)
    for t in range(history_world.n_steps):
        state = step(layout, state, t)
        attempted = state.books[name]
        if attempted.any():
            break
    else:
        pytest.fail("no diversion was attempted in the history run")
    busy = int(np.flatnonzero(attempted[0])[0])
    columns = layout.metric_support[name]
    narrowed = columns[columns != busy]
    layout = Layout(**{**layout.__dict__,
                       "metric_support": {**layout.metric_support, name: narrowed},
                       "metric_outside": {**layout.metric_outside,
                                          name: np.setdiff1d(np.arange(layout.n_countries),
                                                             narrowed)}})
    out[name] = np.zeros((*out[name].shape[:2], len(narrowed)), dtype=np.int64)
    with pytest.raises(RuntimeError, match="outside its support"):
        collect(layout, state, t, out)
