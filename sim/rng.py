"""Counter-based random numbers: each number is a pure function of its key.

A uniform number is ``uniform(seed, step, stream, agent)``: the same key
gives the same bits whether one run is simulated or ten thousand, in any
order, on any worker. Nothing here holds state.

Algorithm (stream-compatibility policy: changing it is a breaking change,
and ``tests/data/rng_known_answers.json`` fails if it changes): the four
key words are folded into one 64-bit word, each after multiplication by an
odd constant, with a SplitMix64 finaliser (Steele, Lea & Flood 2014) after
each word; the top 53 bits of the final word, times 2**-53, are the uniform
number in [0, 1). All arithmetic is on ``uint64`` and wraps modulo 2**64.
Where the compiled kernels run (:mod:`sim.kernels`), the last word of a
(run, agent) grid of keys is folded there, in one pass: the same bits.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sim.kernels import uniform_grid

__all__ = [
    "STREAM_CATCH",
    "STREAM_DEMAND",
    "STREAM_ENTRY",
    "STREAM_PRIORITY",
    "STREAM_REDIRECT",
    "STREAM_REFORM",
    "STREAM_SIZE",
    "hash_key",
    "uniform",
]

STREAM_SIZE = 0
"""Firm sizes, drawn once at set-up (with step 0)."""
STREAM_DEMAND = 1
"""Monthly demand noise, one number per firm and step."""
STREAM_PRIORITY = 2
"""First-come priority, one number per firm and step."""
STREAM_CATCH = 3
"""Whether a diversion shipment is caught, one number per broker and step."""
STREAM_ENTRY = 4
"""Whether a dormant front company enters, one number per broker slot and step."""
STREAM_REFORM = 5
"""Whether a listed network re-forms as a new broker, one number per broker and step."""
STREAM_REDIRECT = 6
"""Whether a subsidiary's redirected chips are caught, one number per firm and step."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_KEY_MULTIPLIERS = (
    np.uint64(0xD1B54A32D192ED03),
    np.uint64(0xAEF17502108EF2D9),
    np.uint64(0xDB4F0B9175AE2165),
    np.uint64(0xCB24D0A5C88C35B3),
)


def _finalise(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


def hash_key(seed: ArrayLike, step: ArrayLike, stream: ArrayLike, agent: ArrayLike) -> np.ndarray:
    """Return the 64-bit hash of each key, broadcasting the four arguments.

    The words are folded in key order, each into the state of the words
    before it, so a prefix of the key is hashed at its own shape and only the
    last words reach the full broadcast shape: ``uniform(seeds[:, None], t,
    stream, agents)`` hashes seed, step and stream once per run, then the
    agent once per (run, agent). The bits are those of folding the broadcast
    words one by one.

    Parameters
    ----------
    seed, step, stream, agent : int or array of int
        Non-negative integers (negative values are taken modulo 2**64).

    Returns
    -------
    ndarray of uint64
        Shape of the broadcast arguments (at least 1-D).
    """
    words = _words(seed, step, stream, agent)
    shape = np.broadcast_shapes(*(word.shape for word in words))
    state = _fold(words)
    return np.broadcast_to(state, shape).copy() if state.shape != shape else state


def _words(*key: ArrayLike) -> list[np.ndarray]:
    return [np.atleast_1d(np.asarray(k, dtype=np.int64)).astype(np.uint64) for k in key]


def _fold(words: list[np.ndarray]) -> np.ndarray:
    """Fold key words into the hash state, each at the shape it broadcasts to so far."""
    with np.errstate(over="ignore"):
        state = np.zeros(1, dtype=np.uint64)
        for word, multiplier in zip(words, _KEY_MULTIPLIERS[:len(words)], strict=True):
            state = _finalise(state + _GOLDEN + word * multiplier)
    return state


_WORD = (1 << 64) - 1
_GOLDEN_WORD, _MIX1_WORD, _MIX2_WORD = int(_GOLDEN), int(_MIX1), int(_MIX2)
_MULTIPLIER_WORDS = tuple(int(m) for m in _KEY_MULTIPLIERS)


def _hash_word(seed: int, step: int, stream: int, agent: int) -> int:
    """:func:`hash_key` of one key in Python integers (the same bits, without arrays).

    The agent model draws one number at a time; on Python integers masked to
    64 bits this is about twenty times faster than on one-element arrays.
    ``tests/test_rng.py`` holds it equal to the array path.
    """
    state = 0
    for word, multiplier in zip((seed, step, stream, agent), _MULTIPLIER_WORDS, strict=True):
        x = (state + _GOLDEN_WORD + (word & _WORD) * multiplier) & _WORD
        x ^= x >> 30
        x = (x * _MIX1_WORD) & _WORD
        x ^= x >> 27
        x = (x * _MIX2_WORD) & _WORD
        state = x ^ (x >> 31)
    return state


def _is_word(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def uniform(seed: ArrayLike, step: ArrayLike, stream: ArrayLike, agent: ArrayLike) -> np.ndarray:
    """Return uniform numbers in [0, 1), one per broadcast key.

    Parameters
    ----------
    seed, step, stream, agent : int or array of int
        The key; arrays broadcast against each other, e.g. seeds shaped
        ``(n_runs, 1)`` against agents shaped ``(n_agents,)`` give an array of
        shape ``(n_runs, n_agents)``.

    Returns
    -------
    ndarray of float64
        Multiples of 2**-53 in [0, 1).
    """
    key = (seed, step, stream, agent)
    if all(_is_word(k) for k in key):  # one key: the agent model's draws
        bits_word = _hash_word(*(int(k) for k in key)) >> 11
        return np.array([bits_word * (1.0 / 9007199254740992.0)])
    words = _words(*key)
    prefix_shape = np.broadcast_shapes(*(word.shape for word in words[:3]))
    if words[3].ndim == 1 and len(prefix_shape) <= 2 and prefix_shape[-1] == 1:
        # A grid of (run, agent) keys, as the core draws: compiled where Numba runs.
        grid = uniform_grid(_fold(words[:3]).reshape(-1), words[3], _KEY_MULTIPLIERS[3],
                            _GOLDEN, _MIX1, _MIX2)
        if grid is not None:
            return grid.reshape(np.broadcast_shapes(prefix_shape, words[3].shape))
    shape = np.broadcast_shapes(prefix_shape, words[3].shape)
    bits = np.broadcast_to(_fold(words), shape) >> np.uint64(11)
    return bits.astype(np.float64) * (1.0 / 9007199254740992.0)
