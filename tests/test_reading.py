"""The one TOML reader (sim/scenario/reading.py) behind scenario, sweep and targets files.

Every guard is tried through each of the three loaders: the mistake must end
in that loader's own error type (a ``UserError``), on one line that starts
with the file, never in a traceback, a hang or a huge read.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sim.calibration.errors import TargetsError
from sim.calibration.targets import load_targets
from sim.errors import UserError
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.reading import MAX_BYTES, MAX_DEPTH, read_toml
from sim.sweep.errors import SweepError
from sim.sweep.spec import load_sweep

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "base.toml"
SWEEP = ROOT / "tests" / "data" / "sweeps" / "small.toml"
TARGETS = ROOT / "scenarios" / "targets" / "published.toml"

# (loader, the error it raises, a good file it reads)
READERS = [
    pytest.param(load_scenario, ScenarioError, BASE, id="scenario"),
    pytest.param(load_sweep, SweepError, SWEEP, id="sweep"),
    pytest.param(load_targets, TargetsError, TARGETS, id="targets"),
]


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging (a named pipe opened for reading waits for a writer)."""

    def expire(signum: int, frame: object) -> None:
        raise AssertionError(f"still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _refused(load: Callable[[Path], object], error: type, path: Path, fragment: str) -> str:
    with _deadline(20), pytest.raises(error) as caught:
        load(path)
    message = str(caught.value)
    assert isinstance(caught.value, UserError)
    assert "\n" not in message
    assert message.startswith(f"{path}: "), message
    assert fragment in message, message
    return message


@pytest.mark.parametrize(("load", "error", "good"), READERS)
def test_a_missing_file(tmp_path, load, error, good) -> None:
    _refused(load, error, tmp_path / "none.toml", "found no such file")


@pytest.mark.parametrize(("load", "error", "good"), READERS)
def test_a_folder(tmp_path, load, error, good) -> None:
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    _refused(load, error, folder, "found a folder")


@pytest.mark.parametrize(("load", "error", "good"), READERS)
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path, load, error,
                                                              good) -> None:
    pipe = tmp_path / "pipe.toml"
    os.mkfifo(pipe)
    _refused(load, error, pipe, "found a named pipe")


@pytest.mark.parametrize(("load", "error", "good"), READERS)
def test_a_link_to_a_device_is_not_read(tmp_path, load, error, good) -> None:
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")
    _refused(load, error, link, "found a character device")


def test_a_link_to_a_regular_file_is_read(tmp_path) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.symlink_to(BASE)
    sweep = tmp_path / "real" / "sweep.toml"
    sweep.parent.mkdir()
    sweep.write_text(SWEEP.read_text(encoding="utf-8").replace(
        'scenario = "', f'scenario = "{SWEEP.parent.as_posix()}/'), encoding="utf-8")
    (tmp_path / "sweep.toml").symlink_to(sweep)
    assert load_scenario(scenario).name == "base"
    assert load_sweep(tmp_path / "sweep.toml").points == load_sweep(SWEEP).points


@pytest.mark.parametrize(("load", "error", "good"), READERS)
def test_a_file_over_the_size_limit(tmp_path, load, error, good) -> None:
    big = tmp_path / "big.toml"
    text = good.read_text(encoding="utf-8")
    big.write_text(text + "#" * (MAX_BYTES + 1 - len(text.encode())) + "\n", encoding="utf-8")
    _refused(load, error, big, f"at most {MAX_BYTES // 1024} KiB")


def test_a_file_at_the_size_limit_is_read(tmp_path) -> None:
    text = f'extends = "{BASE.as_posix()}"\n'
    path = tmp_path / "padded.toml"
    path.write_text(text + "#" * (MAX_BYTES - len(text) - 1) + "\n", encoding="utf-8")
    assert path.stat().st_size == MAX_BYTES
    assert load_scenario(path).name == "base"


@pytest.mark.parametrize(("load", "error", "good"), READERS)
def test_a_file_that_is_not_utf8(tmp_path, load, error, good) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    _refused(load, error, path, "UTF-8")


@pytest.mark.parametrize(("load", "error", "good"), READERS)
@pytest.mark.parametrize("depth", [MAX_DEPTH + 2, 3000])
def test_deep_nesting(tmp_path, load, error, good, depth) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    message = _refused(load, error, path, "")
    assert "nested at most" in message or "levels of nesting" in message


@pytest.mark.parametrize(("load", "error", "good"), READERS)
def test_an_integer_too_long_to_convert(tmp_path, load, error, good) -> None:
    path = tmp_path / "digits.toml"
    path.write_text("a = " + "9" * 5000 + "\n", encoding="utf-8")
    _refused(load, error, path, "expected shorter numbers")


@pytest.mark.parametrize(("load", "error", "good"), READERS)
def test_malformed_toml(tmp_path, load, error, good) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("name = \n", encoding="utf-8")
    _refused(load, error, path, "malformed TOML")


@pytest.mark.parametrize(("load", "error", "good"), READERS)
def test_a_symlink_loop(tmp_path, load, error, good) -> None:
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    with pytest.raises(error) as caught:
        load(loop)
    assert "\n" not in str(caught.value) and str(loop) in str(caught.value)


def test_a_name_with_a_nul_byte() -> None:
    with pytest.raises(ScenarioError, match="expected a readable scenario file"):
        read_toml("a\0b.toml", ScenarioError, "scenario file")


def test_error_types_share_the_user_error_base() -> None:
    for error in (ScenarioError, SweepError, TargetsError):
        assert issubclass(error, UserError) and issubclass(error, ValueError)
        made = error("f.toml", "a.b", "expected x")
        assert (made.file, made.key, made.problem) == ("f.toml", "a.b", "expected x")
        assert str(made) == "f.toml: a.b: expected x"
    assert issubclass(ScenarioError, TypeError)
    assert not issubclass(TargetsError, ScenarioError)
