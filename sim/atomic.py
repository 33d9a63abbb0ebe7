"""Atomic file writes: a killed writer leaves the old file or the new, never half.

The content goes to a hidden temporary file in the target's folder (same file
system, so the rename is atomic), is flushed to disk, then renamed over the
target. Readers glob for visible names only; leftovers are named
``.NAME.*.tmp`` so a cleaner can find them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = ["write_atomically"]


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Write ``path`` through ``write(binary_file)`` atomically; return ``path``.

    Parameters
    ----------
    path : Path
        The target file; its folder must exist.
    write : callable
        Called once with an open binary file to fill.
    """
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                     delete=False) as handle:
        temporary = Path(handle.name)
        try:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
