"""Output folders of every command: created, marked, and never someone else's.

Every command that writes (``sim run``, ``compare``, ``sweep``,
``calibrate``) starts with :func:`prepare_output`. A folder is accepted if it
is new, empty, or holds the marker file :data:`MARKER` of an earlier run of
the same command, so a rerun overwrites its own results and never a user's
files or another command's folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from sim import __version__
from sim.experiment.errors import OutputError

__all__ = ["KINDS", "MARKER", "prepare_output"]

MARKER = ".sim-output"
"""File that marks a folder as written by a ``sim`` command: JSON with ``kind``
(the command) and ``version`` (of the package that created the folder)."""
KINDS = ("run", "compare", "sweep", "calibrate")
"""The commands that write an output folder."""


def prepare_output(out: Path, kind: str) -> Path:
    """Create the output folder of a ``sim <kind>`` command, or refuse a foreign one.

    The marker is written into a new or empty folder and left alone
    otherwise.

    Parameters
    ----------
    out : Path
        The output folder; missing parents are created.
    kind : str
        The command writing it, one of :data:`KINDS`.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    OutputError
        If the folder cannot be created or written, or holds files that
        ``sim <kind>`` did not write (a one-line message naming the folder).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}; expected one of {KINDS}")
    marker = out / MARKER
    try:
        out.mkdir(parents=True, exist_ok=True)
        found = _foreign_content(out, kind)
        if found is not None:
            raise OutputError(out, "", f"expected an empty folder or one written by "
                              f"`sim {kind}`, found {found}")
        if marker.exists():
            probe = out / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        else:
            marker.write_text(json.dumps({"kind": kind, "version": __version__}) + "\n",
                              encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputError(out, "", f"expected a writable output folder ({reason})") from None
    return out


def _foreign_content(out: Path, kind: str) -> str | None:
    """Describe what makes ``out`` someone else's folder, or return None if it is ours."""
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return None
    if MARKER not in entries:
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        return f"{len(entries)} other entr{'y' if len(entries) == 1 else 'ies'} ({shown})"
    try:
        written_by = json.loads((out / MARKER).read_text(encoding="utf-8"))["kind"]
    except (OSError, ValueError, TypeError, KeyError):  # unreadable, not JSON, no kind
        return f"a {MARKER} marker without a readable kind"
    if written_by != kind:
        return f"a folder written by `sim {written_by}`"
    return None
