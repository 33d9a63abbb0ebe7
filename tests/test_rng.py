"""The counter-based stream: locked by known answers, checked against a
pure-Python re-implementation, and independent of batch shape."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.rng import hash_key, uniform

KNOWN = json.loads((Path(__file__).parent / "data" / "rng_known_answers.json").read_text())
MASK = (1 << 64) - 1
MULTIPLIERS = (0xD1B54A32D192ED03, 0xAEF17502108EF2D9, 0xDB4F0B9175AE2165, 0xCB24D0A5C88C35B3)


def reference_hash(*words: int) -> int:
    """SplitMix64-style key folding in plain Python integers (the documented algorithm)."""
    state = 0
    for word, multiplier in zip(words, MULTIPLIERS, strict=True):
        x = (state + 0x9E3779B97F4A7C15 + (word & MASK) * multiplier) & MASK
        x ^= x >> 30
        x = (x * 0xBF58476D1CE4E5B9) & MASK
        x ^= x >> 27
        x = (x * 0x94D049BB133111EB) & MASK
        state = x ^ (x >> 31)
    return state


@pytest.mark.parametrize("case", KNOWN, ids=lambda c: f"{c['seed']}-{c['step']}-{c['stream']}")
def test_known_answers_lock_the_stream(case):
    key = (case["seed"], case["step"], case["stream"], case["agent"])
    assert int(hash_key(*key)[0]) == case["hash"]
    assert float(uniform(*key)[0]) == float.fromhex(case["uniform"])


@given(st.integers(0, 2**62), st.integers(0, 10_000), st.integers(0, 8), st.integers(0, 2**40))
def test_matches_pure_python_reference(seed, step, stream, agent):
    assert int(hash_key(seed, step, stream, agent)[0]) == reference_hash(seed, step, stream, agent)
    expected = (reference_hash(seed, step, stream, agent) >> 11) / 2.0**53
    assert float(uniform(seed, step, stream, agent)[0]) == expected


def test_a_number_does_not_depend_on_its_batch():
    seeds = np.arange(500)
    agents = np.arange(300)
    batch = uniform(seeds[:, None], 7, 1, agents[None, :])
    shuffled = np.random.default_rng(0).permutation(500)
    assert np.array_equal(uniform(seeds[shuffled][:, None], 7, 1, agents[None, :]), batch[shuffled])
    assert uniform(123, 7, 1, 45)[0] == batch[123, 45]


def test_uniform_is_in_unit_interval_and_roughly_uniform():
    u = uniform(3, np.arange(20_000), 2, 5)
    assert u.min() >= 0.0 and u.max() < 1.0
    counts, _ = np.histogram(u, bins=10, range=(0, 1))
    assert counts.min() > 1_800 and counts.max() < 2_200


def test_streams_and_steps_are_distinct():
    base = uniform(1, 0, 0, np.arange(1000))
    assert not np.array_equal(base, uniform(1, 0, 1, np.arange(1000)))
    assert not np.array_equal(base, uniform(1, 1, 0, np.arange(1000)))
    assert not np.array_equal(base, uniform(2, 0, 0, np.arange(1000)))


@given(st.lists(st.integers(0, 2**40), min_size=1, max_size=4),
       st.lists(st.integers(0, 1_000), min_size=1, max_size=3),
       st.integers(0, 3),
       st.lists(st.integers(0, 10_000), min_size=1, max_size=5))
def test_folding_a_key_prefix_first_gives_the_bits_of_the_broadcast_keys(seeds, steps, stream,
                                                                         agents):
    """The hash folds seed, step and stream at their own shapes before the agent: the
    bits equal those of the keys broadcast to the full shape first."""
    seed = np.array(seeds)[:, None, None]
    step = np.array(steps)[None, :, None]
    agent = np.array(agents)[None, None, :]
    full = np.broadcast_arrays(seed, step, np.array(stream), agent)
    found = hash_key(seed, step, stream, agent)
    assert found.shape == full[0].shape
    assert np.array_equal(found, hash_key(*(np.ascontiguousarray(k) for k in full)))
    assert np.array_equal(found.ravel(), [hash_key(*(int(k.flat[i]) for k in full))[0]
                                          for i in range(found.size)])


@given(st.integers(-(2**63), 2**63 - 1), st.integers(0, 10_000), st.integers(0, 8),
       st.integers(0, 2**40))
def test_one_key_gives_the_bits_of_the_array_path(seed, step, stream, agent):
    # uniform() of four integers takes a path in Python integers (the agent model's draws)
    one = uniform(seed, step, stream, agent)
    batch = uniform(np.array([seed]), step, stream, np.array([agent, agent]))
    assert one.shape == (1,) and one.dtype == np.float64
    assert one[0] == batch[0] == batch[1]
    assert uniform(np.int64(seed), np.int64(step), stream, np.int64(agent))[0] == one[0]
