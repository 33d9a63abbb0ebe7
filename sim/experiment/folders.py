"""Output folders of every command: fresh, marked, whole, and never someone else's.

Every command that writes (``sim run``, ``compare``, ``sweep``,
``calibrate``, ``discover``) starts with :func:`prepare_output`. The rule is one folder,
one run:

- a new or empty folder is used (a folder holding only the marker counts as
  empty);
- a folder holding an earlier run of the same command is refused with one
  line, unless ``force`` is given: then everything in it is removed first, so
  the folder is replaced whole and never mixes two runs;
- a folder written by another command, or by someone else (any file without
  the marker :data:`MARKER`), is refused, ``force`` or not.

``sim sweep`` is the exception by design: its folder is resumable, so an
earlier run of the same sweep is continued (:mod:`sim.sweep.store` refuses
a folder that holds a different sweep); ``force`` starts it afresh.

Every file is written atomically (:mod:`sim.atomic`), so a file is whole or
absent. A folder is whole when it holds the completion record
:data:`COMPLETE`: :func:`prepare_output` removes it before a command writes
anything and :func:`finish_output` writes it last, listing the files of the
finished run. A folder without it is being written, or its writer was
stopped (rerun the command with ``--force``). ``sim sweep`` keeps its own
record of progress (``manifest.json`` and ``outcomes.parquet``).

An empty marker (left by a writer stopped by a full disk before writes were
atomic) in a folder that otherwise holds only files the command writes marks
the folder as the command's own; any other unreadable marker is refused with
one line saying how to fix it.
"""

from __future__ import annotations

import fcntl
import fnmatch
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from sim import __version__
from sim.atomic import write_text_atomically
from sim.experiment.errors import OutputError

__all__ = ["COMPLETE", "CONTENT", "KINDS", "MARKER", "RESUMABLE", "finish_output",
           "prepare_output"]

MARKER = ".sim-output"
"""File that marks a folder as written by a ``sim`` command: JSON with ``kind``
(the command) and ``version`` (of the package that created the folder)."""
COMPLETE = ".sim-complete"
"""Completion record, written last: JSON with ``kind``, ``version`` and ``files``
(the paths written, relative to the folder)."""
KINDS = ("run", "compare", "sweep", "calibrate", "discover")
"""The commands that write an output folder."""
RESUMABLE = ("sweep",)
"""Commands whose folder an unforced rerun continues instead of refusing."""
CONTENT = {
    "run": ("results.parquet", "summary_by_tier.csv", "summary_by_region.csv", "by_country.csv",
            "chips_by_destination.csv", "regimes.csv", "by_region.png"),
    "compare": ("*.csv", "*.png", "*/", "*/results.parquet"),
    "sweep": ("manifest.json", "design.csv", "failures.json", "outcomes.parquet", "*.csv",
              "*.png", "parts/", "parts/*", "*.lock", ".*.lock", "discover-*/", "discover-*/*"),
    "calibrate": ("*.csv", "*.png", "calibrated.toml", "calibration.json"),
    "discover": ("boxes.csv", "*.png"),
}
"""Name patterns of what each command writes (a trailing ``/`` for a folder);
used only to decide whether a folder with an empty marker is ours to repair."""
_OURS = (MARKER, COMPLETE, ".*.tmp", ".write-test")


def prepare_output(out: Path, kind: str, force: bool = False) -> Path:
    """Create the output folder of a ``sim <kind>`` command, or refuse it with one line.

    The marker is written into a new or empty folder and into one of ours
    whose marker is empty; the completion record of an earlier run is
    removed. See the module docstring for the rule.

    Parameters
    ----------
    out : Path
        The output folder; missing parents are created.
    kind : str
        The command writing it, one of :data:`KINDS`.
    force : bool
        Replace an earlier run of the same command: remove everything in the
        folder first. Never applies to a foreign folder.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    OutputError
        If the folder cannot be created or written, holds files that
        ``sim <kind>`` did not write, or holds an earlier run and ``force``
        is false (a one-line message naming the folder).
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
        earlier = _earlier_run(out)
        if earlier and force:
            _empty(out)
        elif earlier and kind not in RESUMABLE:
            raise OutputError(out, "", f"expected a new or empty folder, found the "
                              f"{earlier} of an earlier `sim {kind}`; pass --force to "
                              "replace it whole, or choose another --out")
        if marker.exists() and marker.stat().st_size > 0:
            probe = out / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        else:
            write_text_atomically(marker, json.dumps({"kind": kind, "version": __version__})
                                  + "\n")
        (out / COMPLETE).unlink(missing_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputError(out, "", f"expected a writable output folder ({reason})") from None
    return out


def finish_output(out: Path, kind: str, files: Sequence[Path]) -> Path:
    """Write the completion record :data:`COMPLETE` of a finished ``sim <kind>``; return it.

    Parameters
    ----------
    out : Path
        A folder prepared by :func:`prepare_output`.
    kind : str
        The command, one of :data:`KINDS`.
    files : sequence of Path
        What the command wrote (recorded relative to ``out``).
    """
    names = [Path(f).relative_to(out).as_posix() if Path(f).is_relative_to(out) else str(f)
             for f in files]
    record = {"kind": kind, "version": __version__, "files": names}
    return write_text_atomically(out / COMPLETE, json.dumps(record, indent=2) + "\n")


def _foreign_content(out: Path, kind: str) -> str | None:
    """Describe what makes ``out`` someone else's folder, or return None if it is ours."""
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return None
    if MARKER not in entries:
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        return f"{len(entries)} other entr{'y' if len(entries) == 1 else 'ies'} ({shown})"
    marker = out / MARKER
    if marker.is_file() and marker.stat().st_size == 0:
        if _only_ours(out, kind):
            return None  # an interrupted write of the marker: prepare_output rewrites it
        return (f"an empty {MARKER} marker beside files `sim {kind}` does not write; if the "
                f"folder is yours to overwrite, delete {marker}, else choose another --out")
    try:
        written_by = json.loads(marker.read_text(encoding="utf-8"))["kind"]
    except (OSError, ValueError, TypeError, KeyError):  # unreadable, not JSON, no kind
        return (f"a {MARKER} marker without a readable kind; if the folder is yours to "
                f"overwrite, delete {marker}, else choose another --out")
    if written_by != kind:
        return f"a folder written by `sim {written_by}`"
    return None


def _earlier_run(out: Path) -> str | None:
    """Describe the earlier run held by one of our folders, or None if it holds none."""
    entries = {p.name for p in out.iterdir()} - {MARKER, COMPLETE}
    if not entries:
        return None
    return "results" if (out / COMPLETE).is_file() else "unfinished results"


def _empty(out: Path) -> None:
    """Remove everything in ``out`` (a folder of ours), keeping the folder itself.

    Refused while a running command holds a lock file in it (a sweep's
    ``.sweep.lock``), so ``--force`` never pulls a folder from under a writer.
    """
    for lock in [p for p in out.iterdir() if p.name.endswith(".lock") and p.is_file()]:
        with open(lock, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OutputError(out, "", f"expected a folder no command is writing, found "
                                  f"{lock.name} held by a running one; wait for it or "
                                  "choose another --out") from None
            fcntl.flock(handle, fcntl.LOCK_UN)
    for path in out.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _only_ours(out: Path, kind: str) -> bool:
    """Whether every entry of ``out`` (two levels deep) matches what ``sim <kind>`` writes."""
    patterns = (*CONTENT[kind], *_OURS)
    for path in out.rglob("*"):
        relative = path.relative_to(out)
        if len(relative.parts) > 2:
            return False
        name = relative.as_posix() + ("/" if path.is_dir() else "")
        if not any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(path.name, p)
                   for p in _OURS) and not any(fnmatch.fnmatchcase(name, p)
                                               for p in patterns):
            return False
    return True
