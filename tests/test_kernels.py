"""The compiled kernels (sim/kernels) give the NumPy engine's bits, and choosing one is safe.

Every agreement test of the core against the agent model runs on the engine
the machine has (Numba under the dev extra); the tests here hold the two
engines equal, primitive by primitive on drawn inputs and run by run on
every shipped scenario, so the agent model agrees with both.
"""

import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim import kernels
from sim.core import run_batch
from sim.core.allocation import Groups, pro_rata
from sim.errors import UserError
from sim.rng import hash_key, uniform

numba = pytest.importorskip("numba", reason="the compiled engine needs numba (the fast extra)")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def both_engines(fn):
    """``fn()`` on the NumPy engine and on the compiled one."""
    with kernels.use_engine("numpy"):
        reference = fn()
    with kernels.use_engine("numba"):
        compiled = fn()
    return reference, compiled


@st.composite
def grouped_values(draw):
    """A group layout (empty, lone and pooled groups), int64 values, and a column order."""
    n_groups = draw(st.integers(1, 12))
    sizes = draw(st.lists(st.integers(0, 5), min_size=n_groups, max_size=n_groups))
    member_group = np.repeat(np.arange(n_groups), sizes)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    runs = draw(st.integers(1, 6))
    big = draw(st.sampled_from([10, 10**12, 2**62]))  # 2**62: sums wrap, in both engines
    values = rng.integers(-big, big, (runs, len(member_group) + draw(st.integers(0, 3))))
    values[rng.random(values.shape) < 0.3] = 0
    order = rng.permutation(values.shape[1])[:len(member_group)]
    return member_group, n_groups, values, order


@settings(max_examples=150, deadline=None)
@given(grouped_values())
def test_grouped_sums_match_numpy_in_every_layout(drawn):
    member_group, n_groups, values, order = drawn
    groups = Groups.from_members(member_group, n_groups, np.arange(len(member_group)))
    plain = values[:, :len(member_group)]
    reference, compiled = both_engines(lambda: (groups.sum(plain),
                                                groups.sum(values, columns=order)))
    for ref, got in zip(reference, compiled, strict=True):
        assert got.dtype == ref.dtype == np.int64
        np.testing.assert_array_equal(got, ref)
    with np.errstate(over="ignore"):  # the definition, member by member
        expected = np.zeros((len(values), n_groups), dtype=np.int64)
        np.add.at(expected.T, member_group, values[:, order].T)
    np.testing.assert_array_equal(compiled[1], expected)


@settings(max_examples=150, deadline=None)
@given(grouped_values(), st.sampled_from([1, 2**20, 2**40]), st.integers(0, 2**32 - 1))
def test_weighted_grouped_sums_match_numpy_and_the_definition(drawn, largest, seed):
    """``weights=`` (a firm's chip TPP) is the sum of the products, wrapping as NumPy's do."""
    member_group, n_groups, values, order = drawn
    groups = Groups.from_members(member_group, n_groups, np.arange(len(member_group)))
    weights = np.random.default_rng(seed).integers(0, largest, values.shape[1], endpoint=True)
    plain, plain_weights = values[:, :len(member_group)], weights[:len(member_group)]
    with np.errstate(over="ignore"):
        reference, compiled = both_engines(lambda: (
            groups.sum(plain, weights=plain_weights),
            groups.sum(values, columns=order, weights=weights)))
        expected = np.zeros((len(values), n_groups), dtype=np.int64)
        np.add.at(expected.T, member_group, (values * weights)[:, order].T)
    for ref, got in zip(reference, compiled, strict=True):
        assert got.dtype == ref.dtype == np.int64
        np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(compiled[1], expected)
    np.testing.assert_array_equal(reference[1], expected)


@settings(max_examples=150, deadline=None)
@given(grouped_values(), st.sampled_from([10**3, 10**9, 2**40]), st.floats(0, 1.5))
def test_pro_rata_shares_match_numpy(drawn, big, tightness):
    member_group, n_groups, _, _ = drawn
    rng = np.random.default_rng(len(member_group) * 7919 + n_groups)
    runs = 4
    groups = Groups.from_members(member_group, n_groups, np.arange(len(member_group)))
    requests = rng.integers(0, big, (runs, len(member_group)))  # 2**40: products overflow,
    totals = groups.sum(requests)  # so the exact Python-integer path runs on both engines
    capacity = (totals * tightness).astype(np.int64) + rng.integers(0, 3, totals.shape)
    reference, compiled = both_engines(lambda: pro_rata(requests, capacity, groups))
    np.testing.assert_array_equal(compiled, reference)
    assert np.all(groups.sum(compiled) <= np.maximum(capacity, totals))


def test_non_integer_sums_stay_on_numpy():
    groups = Groups.from_members(np.array([0, 0, 1]), 2, np.arange(3))
    floats = np.array([[0.1, 0.2, 0.3]])
    with kernels.use_engine("numba"):
        assert kernels.group_sum(floats, groups.lone_groups, groups.lone_members,
                                 groups.pooled_groups, groups.pooled_bounds, groups.pooled,
                                 groups.empty_groups, groups.n_groups) is None
        np.testing.assert_array_equal(groups.sum(floats), [[0.1 + 0.2, 0.3]])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-2**63, 2**63 - 1), min_size=1, max_size=5),
       st.integers(0, 2**31), st.integers(0, 9),
       st.lists(st.integers(0, 2**40), min_size=1, max_size=40))
def test_uniform_grids_match_numpy(seeds, step, stream, agents):
    seeds, agents = np.array(seeds, dtype=np.int64), np.array(agents, dtype=np.int64)
    reference, compiled = both_engines(lambda: (uniform(seeds[:, None], step, stream, agents),
                                                uniform(seeds[0], step, stream, agents)))
    for ref, got in zip(reference, compiled, strict=True):
        assert got.shape == ref.shape and got.dtype == np.float64
        np.testing.assert_array_equal(got.view(np.uint64), ref.view(np.uint64))
    bits = hash_key(seeds[:, None], step, stream, agents) >> np.uint64(11)  # the definition
    np.testing.assert_array_equal(compiled[0], bits.astype(np.float64) * 2.0**-53)


def test_take_support_copies_the_support_and_counts_strays():
    values = np.array([[5, 0, 7, 0], [1, 2, 3, 4]], dtype=np.int64)
    columns = np.array([0, 2])
    out = np.zeros((2, 2), dtype=np.int64)
    with kernels.use_engine("numba"):
        stray = kernels.take_support(values, columns, out)
    assert stray == 2  # row 1: columns 1 and 3
    np.testing.assert_array_equal(out, values[:, columns])
    with kernels.use_engine("numpy"):
        assert kernels.take_support(values, columns, out) is None


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_both_engines_give_the_same_runs_of_every_shipped_scenario(path):
    scenario = sim.load_scenario(path)
    reference, compiled = both_engines(lambda: run_batch(scenario, [3, 17, 2**40]))
    assert compiled.metrics.keys() == reference.metrics.keys()
    for name in reference.metrics:
        got, expected = compiled.metrics[name], reference.metrics[name]
        assert got.dtype == expected.dtype, name
        if got.dtype == np.float64:
            got, expected = got.view(np.int64), expected.view(np.int64)
        np.testing.assert_array_equal(got, expected, err_msg=name)


def test_an_unknown_engine_is_one_line_naming_the_variable(monkeypatch):
    monkeypatch.setattr(kernels, "_chosen", None)
    monkeypatch.setenv(kernels.ENGINE_VARIABLE, "fortran")
    with pytest.raises(UserError, match=r"^SIM_CORE_ENGINE: expected one of numpy, numba, "
                                        r"got 'fortran'$"):
        kernels.engine()


def test_numba_asked_for_but_missing_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(kernels.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UserError, match=r"numba is not installed \(pip install"):
        kernels._resolve("numba")
    assert kernels._resolve("") == "numpy"  # unset: NumPy alone, quietly


def test_the_default_is_numba_where_it_imports(monkeypatch):
    monkeypatch.setattr(kernels, "_chosen", None)
    monkeypatch.delenv(kernels.ENGINE_VARIABLE, raising=False)
    assert kernels.engine() == "numba"


def test_the_command_line_refuses_an_unknown_engine_in_one_line(tmp_path):
    env = {**os.environ, kernels.ENGINE_VARIABLE: "fortran"}
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" /
                           "oct2022.toml"), "--runs", "1", "--out", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == ("error: SIM_CORE_ENGINE: expected one of numpy, numba, "
                                   "got 'fortran'")


def test_import_sim_core_does_not_load_numba():
    code = ("import sys, sim.core, sim.rng; "
            "assert 'numba' not in sys.modules, 'numba loaded on import'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_heap_keeps_freed_arrays_on_glibc():
    from sim.kernels.heap import keep_freed_arrays

    assert keep_freed_arrays() is True  # every mallopt call accepted
    assert keep_freed_arrays() is True  # once a process: the answer is remembered
