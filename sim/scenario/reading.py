"""The one TOML reader: scenario, sweep and targets files all come in here.

:func:`read_toml` turns a path into plain TOML data or raises the caller's
error type naming the file, so every input file meets the same guards: it
must be a regular file (a symlink to one is fine; a folder, a named pipe or
a device such as ``/dev/zero`` is not) of at most :data:`MAX_BYTES`, in
UTF-8, valid TOML, with numbers Python can convert and tables and arrays
nested at most :data:`MAX_DEPTH` deep.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.errors import UserError
from sim.scenario.errors import ScenarioError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "ErrorType", "check_depth", "read_toml"]

ErrorType = Callable[[str, str, str], UserError]
"""What builds a user error from (file, key, problem): a ``UserError`` subclass."""

MAX_BYTES = 1 << 20
"""Largest input file, in bytes (1 MiB).

The largest shipped file is about 10 kB; the bound keeps a mistaken path (a
log, a data file, a device) from being read whole into memory.
"""

MAX_DEPTH = 16
"""Deepest nesting of tables and arrays an input file may use.

The scenario schema needs four levels (``countries.USA.firms.buyer``); the
bound keeps absurdly nested input away from the recursive code that merges
and reports values, so it fails with a user error, not a ``RecursionError``.
"""

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def read_toml(path: str | os.PathLike[str], error: ErrorType, what: str) -> dict[str, Any]:
    """Read one TOML input file with every guard.

    Parameters
    ----------
    path : str or path-like
        The file.
    error : callable (file, key, problem) -> UserError
        The error type to raise, e.g. ``ScenarioError``.
    what : str
        What the file is, for messages, e.g. ``"scenario file"``.

    Returns
    -------
    dict
        The parsed TOML document.

    Raises
    ------
    UserError
        Of type ``error``, naming the file, for a file that is missing, not
        a regular file, too large, not UTF-8, not TOML or nested too deep.
    """
    file = str(path)
    text = _read_text(Path(path), error, what)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise error(file, "", f"malformed TOML: expected at most {MAX_DEPTH} levels of "
                              "nesting") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(file, "", f"malformed TOML: {exc}") from None
    except ValueError as exc:  # an integer too long for Python to convert
        reason = str(exc).split(";")[0]
        raise error(file, "", f"malformed TOML: expected shorter numbers ({reason})") from None
    check_depth(data, file, error=error)
    return data


def _read_text(path: Path, error: ErrorType, what: str) -> str:
    """Return the file's text: a regular file of at most ``MAX_BYTES`` in UTF-8."""
    file = str(path)
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer before fstat refuses it.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise error(file, "", f"expected an existing {what}, found no such file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise error(file, "", f"expected a readable {what} ({_reason(exc)})") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "a special file")
            raise error(file, "", f"expected a regular {what}, found {kind}")
        content = _read_at_most(descriptor, MAX_BYTES + 1)
    except OSError as exc:
        raise error(file, "", f"expected a readable {what} ({_reason(exc)})") from None
    finally:
        os.close(descriptor)
    if len(content) > MAX_BYTES:
        raise error(file, "", f"expected a {what} of at most {MAX_BYTES // 1024} KiB, "
                              "found a larger file")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(file, "", f"expected a readable UTF-8 {what} ({exc})") from None


def _read_at_most(descriptor: int, limit: int) -> bytes:
    """Read up to ``limit`` bytes (fewer only at the end of the file)."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(descriptor, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def check_depth(data: Any, file: str, at: tuple[str, ...] = (),
                error: ErrorType = ScenarioError) -> None:
    """Raise ``error`` if ``data`` nests deeper than :data:`MAX_DEPTH`.

    Iterative, so that the check itself cannot exhaust the stack.

    Parameters
    ----------
    data : TOML data
    file : str
        The file to name.
    at : tuple of str
        Key path of ``data`` within the file (an override's key).
    error : callable, optional
        The error type; a ``ScenarioError`` when not given.
    """
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, at)]
    while stack:
        node, path = stack.pop()
        if len(path) - len(at) > MAX_DEPTH:
            raise error(
                file, ".".join(path[: len(at) + MAX_DEPTH + 1]),
                f"expected tables and arrays nested at most {MAX_DEPTH} deep, found deeper",
            )
        if isinstance(node, dict):
            stack.extend((value, (*path, str(key))) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*path, str(i))) for i, value in enumerate(node))
