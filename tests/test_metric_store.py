"""Metrics held on their supports: exact dense reads, loud errors, and the bytes saved."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.core import run_batch
from sim.core.batch import _empty_metrics, step
from sim.core.books import collect
from sim.core.layout import HeldColumns, Layout
from sim.core.state import initial_state
from sim.metric_store import MetricStore
from sim.world import World
from sim.world.codes import BROKER
from sim.world.metrics import CHIP_METRICS
from sim.world.support import BROKER_METRICS, metric_support


@st.composite
def sparse_arrays(draw):
    """A dense (R, T, C) int64 array that is zero outside a drawn (T, C) mask, and the mask."""
    runs, steps, columns = (draw(st.integers(1, 4)), draw(st.integers(1, 5)),
                            draw(st.integers(1, 9)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    mask = rng.random((steps, columns)) < draw(st.floats(0, 1))
    values = rng.integers(-10**12, 10**12, (runs, steps, columns))
    return np.where(mask, values, 0), mask


@settings(max_examples=60, deadline=None)
@given(sparse_arrays(), st.integers(1, 3))
def test_a_compacted_metric_reads_back_exactly_and_joins(drawn, parts):
    dense, mask = drawn
    store = MetricStore.compact({"m": dense}, {"m": mask})
    np.testing.assert_array_equal(store["m"], dense)
    held, support = store.stored("m")
    assert held.shape == (len(dense), np.count_nonzero(mask))
    np.testing.assert_array_equal(support, mask)
    np.testing.assert_array_equal(store.sum_over_runs("m"), dense.sum(axis=0))
    joined = MetricStore.concat([store] * parts)
    np.testing.assert_array_equal(joined["m"], np.concatenate([dense] * parts))
    assert joined.stored("m")[1] is not None  # still on its support
    mixed = MetricStore.concat([store, MetricStore({"m": dense})])  # e.g. a loaded file
    np.testing.assert_array_equal(mixed["m"], np.concatenate([dense, dense]))


def test_a_value_outside_the_support_is_refused():
    dense = np.zeros((1, 2, 3, 2), dtype=np.int64)
    dense[0, 1, 2, 1] = 7
    mask = np.zeros((2, 3, 2), dtype=bool)
    mask[0, 2, 1] = mask[1, 0, 0] = True  # the same pair, but in the other month
    with pytest.raises(ValueError, match=r"non-zero at \(1, 2, 1\)"):
        MetricStore.compact({"m": dense}, {"m": mask})
    mask[1, 2, 1] = True
    store = MetricStore.compact({"m": dense}, {"m": mask})
    np.testing.assert_array_equal(store["m"], dense)
    assert store.nbytes == 3 * 8


@pytest.fixture(scope="module")
def history_world():
    return World.from_scenario(sim.load_scenario("scenarios/history.toml"))


def test_supports_follow_the_world(history_world):
    world = history_world
    support = metric_support(world)
    hosts = np.unique(world.firms.country[world.firms.kind == BROKER])
    for name in BROKER_METRICS:
        for month in support[name]:
            np.testing.assert_array_equal(np.flatnonzero(month), hosts)
    assert 0 < len(hosts) < len(world.countries)
    cells = support[CHIP_METRICS[0]].reshape(world.n_steps, -1)
    chip, n_chips = world.firm_chip, world.market.n_chips
    for t in (0, world.n_steps // 2, world.n_steps - 1):  # the chips firms order that month
        ordered = np.unique((world.firms.country * n_chips + chip[t])[chip[t] >= 0])
        np.testing.assert_array_equal(np.flatnonzero(cells[t]), ordered)
    assert not np.array_equal(cells[0], cells[-1])  # the chips on the market change


def test_world_scale_results_hold_far_fewer_bytes_than_dense(history_world):
    results = run_batch(history_world.scenario, [1, 2])
    dense = sum(results.metrics[name].nbytes for name in results.metrics)
    assert results.metrics.nbytes < 0.35 * dense  # 1.5 of 5.7 MB a run
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
    narrowed = layout.metric_support[name].copy()
    narrowed[:, busy] = False
    layout = Layout(**{**layout.__dict__,
                       "metric_support": {**layout.metric_support, name: narrowed},
                       "held": {**layout.held, name: HeldColumns.from_mask(narrowed)}})
    out[name] = np.zeros((1, np.count_nonzero(narrowed)), dtype=np.int64)
    with pytest.raises(RuntimeError, match="outside its support"):
        collect(layout, state, t, out)


def test_a_run_stopped_early_takes_the_first_months_of_its_support():
    mask = np.array([[True, False], [False, True], [True, True]])
    dense = np.array([[[5, 0], [0, 6]]])  # the live view's model after two of three months
    store = MetricStore.compact({"m": dense}, {"m": mask})
    np.testing.assert_array_equal(store["m"], dense)
    assert store.nbytes == 2 * 8
    with pytest.raises(ValueError, match="shaped"):
        MetricStore.compact({"m": np.zeros((1, 2, 3), dtype=np.int64)}, {"m": mask})
