"""Atomic file writes: a killed writer leaves the old file or the new, never half.

The content goes to a hidden temporary file in the target's folder (same file
system, so the rename is atomic), is flushed to disk, then renamed over the
target, and the folder is synced so the rename survives a crash. Readers glob
for visible names only; leftovers are named ``.NAME.*.tmp`` so a cleaner can
find them.

The temporary file is created with mode ``0o666`` and the kernel applies the
process umask (and any default ACL), so the file ends up with the mode any
other file the user creates would have: ``0644`` under umask ``022``,
``0600`` under ``077``.

A write that fails because the disk is full, a quota is exceeded, the file
system is read-only or permission is denied is the user's to fix: it raises
:class:`OutputError` (one line naming the file), and no partial file is left.
Any other ``OSError`` stays loud.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO

from sim.errors import UserError

__all__ = ["USER_ERRNOS", "OutputError", "make_folder", "write_atomically",
           "write_bytes_atomically", "write_text_atomically"]

USER_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES,
                         errno.EPERM})
"""``errno`` values of a write that the user fixes (space, quota, permissions)."""


class OutputError(UserError):
    """An output folder or file cannot be created or written, or is not this command's.

    Constructed as :class:`~sim.errors.UserError` is: ``(file, key,
    problem)``; the message is one line naming the folder or file and what was
    expected. It lives here, in the utility layer, so that the atomic writer
    can raise it; :mod:`sim.experiment.errors` exports the same class.
    """


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Write ``path`` through ``write(binary_file)`` atomically; return ``path``.

    Parameters
    ----------
    path : Path
        The target file; its folder must exist.
    write : callable
        Called once with an open binary file to fill.

    Raises
    ------
    OutputError
        If the disk is full, a quota is exceeded or the folder is not writable
        (an ``OSError`` with an errno in :data:`USER_ERRNOS`); the temporary
        file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    try:
        _write_and_replace(path, write)
    except OSError as exc:
        if exc.errno not in USER_ERRNOS:
            raise
        raise OutputError(path, "", f"expected to write this file, but {_reason(exc)}; free "
                          "space or fix permissions, then rerun") from None
    return path


def make_folder(folder: Path) -> Path:
    """Create ``folder`` and its parents if missing; return it.

    Raises
    ------
    OutputError
        For a full disk, a read-only file system or a permission denied (as
        :func:`write_atomically`).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno not in USER_ERRNOS:
            raise
        raise OutputError(folder, "", f"expected to create this folder, but {_reason(exc)}"
                          ) from None
    return folder


def write_bytes_atomically(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`write_atomically`)."""
    return write_atomically(path, lambda handle: handle.write(data))


def write_text_atomically(path: Path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`write_atomically`)."""
    return write_bytes_atomically(path, text.encode("utf-8"))


def _write_and_replace(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    temporary, descriptor = _create_temporary(path)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _create_temporary(path: Path) -> tuple[Path, int]:
    """Create ``.NAME.<random>.tmp`` beside ``path`` with mode 0o666 less the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return temporary, os.open(temporary, flags, 0o666)
        except FileExistsError:  # 48 random bits taken: draw again
            continue


def _sync_folder(folder: Path) -> None:
    """Flush the folder entry of a rename to disk where the platform allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems refuse fsync on a folder; the rename is done
        pass
    finally:
        os.close(descriptor)


def _reason(exc: OSError) -> str:
    return (exc.strerror or os.strerror(exc.errno or 0) or type(exc).__name__).lower()
