"""The sweep's folder: a manifest, one Parquet part per finished chunk, failures.

Layout of ``OUT/``::

    .sweep.lock           held (flock) by the one sweep writing the folder
    sweep.json            what is being swept (checked on every rerun)
    design.csv            every point's settings
    parts/chunk-*.parquet one per finished chunk, written atomically
    parts/index.jsonl     the SHA-256 of every part, one JSON line each
    failures.json         chunks that failed in the last attempt, if any
    outcomes.parquet      all parts combined, once every chunk is finished

One sweep at a time: :meth:`SweepStore.open` takes an exclusive
``fcntl.flock`` on ``.sweep.lock`` (released when the process ends, however
it ends) and a second sweep into the folder is refused with one line. The
lock works on local file systems and on NFSv4 (on NFSv3 only with ``lockd``;
a mount with ``nolock`` makes it local to each machine: there, give each
machine its own folder).

A part is serialised in memory, its checksum appended to the index (and
flushed to disk), then the part is written to a hidden temporary file in
``parts/``, flushed and renamed, so a sweep killed at any moment leaves
finished parts and at most a temporary file. Only the lock's holder deletes
leftover temporary files, so they are never a live sweep's. Finished chunks
are known from the parts whose bytes match their checksum, so a rerun skips
them; a damaged part (any byte changed) is deleted, said so on stderr, and its
chunk run again. Nothing else in ``parts/`` is ever deleted.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.atomic import write_atomically
from sim.experiment.executors import ChunkFailure
from sim.sweep.errors import SweepError
from sim.sweep.spec import SweepSpec
from sim.sweep.task import Chunk

__all__ = ["SweepStore"]

FORMAT_VERSION = 1
_PART = re.compile(r"chunk-(\d{6,})\.parquet")
_METADATA_KEY = b"sim-sweep"
LOCK_FILE = ".sweep.lock"
INDEX_FILE = "index.jsonl"


class SweepStore:
    """The output folder of one sweep.

    Parameters
    ----------
    out : Path
        The output folder (already created and checked writable).
    spec : SweepSpec
        The sweep; a folder holding another sweep is refused.
    """

    def __init__(self, out: Path, spec: SweepSpec) -> None:
        self.out = out
        self.spec = spec
        self.parts = out / "parts"
        self.manifest = out / "sweep.json"
        self.failures_file = out / "failures.json"
        self.outcomes_file = out / "outcomes.parquet"
        self.index = self.parts / INDEX_FILE
        self.lock_file = out / LOCK_FILE
        self._lock: IO[str] | None = None

    def open(self, settings: list[dict[str, Any]]) -> SweepStore:
        """Lock the folder; write or check the manifest and design; delete leftovers.

        Raises
        ------
        SweepError
            If another sweep holds the folder's lock, or the folder holds
            another sweep.
        """
        self._acquire_lock()
        try:
            self._open(settings)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Release the folder's lock (the process's end releases it too)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> SweepStore:
        """Use the opened store as a context that releases the lock."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Release the lock."""
        self.close()

    def _acquire_lock(self) -> None:
        handle = open(self.lock_file, "a+", encoding="utf-8")  # noqa: SIM115 (held open)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise SweepError(self.lock_file, "", f"another sweep ({holder}) is writing this "
                             "folder; expected one sweep per --out folder at a time: wait "
                             "for it to finish, or choose another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {os.uname().nodename}\n")
        handle.flush()
        self._lock = handle

    def _open(self, settings: list[dict[str, Any]]) -> None:
        if self.manifest.exists():
            self._check_manifest()
        else:
            header = {"format": FORMAT_VERSION, "version": sim.__version__,
                      "digest": self.spec.digest(), "sweep_file": str(self.spec.file),
                      "spec": self.spec.describe()}
            self._write_text(self.manifest, json.dumps(header, indent=2) + "\n")
        design = pd.DataFrame(settings)
        design.insert(0, "point", range(len(settings)))
        self._write_text(self.out / "design.csv", design.to_csv(index=False))
        self.parts.mkdir(exist_ok=True)
        for leftover in self.parts.glob(".*.tmp"):  # we hold the lock: no live sweep's
            leftover.unlink(missing_ok=True)

    def _check_manifest(self) -> None:
        try:
            header = json.loads(self.manifest.read_text(encoding="utf-8"))
            digest, version = header["digest"], header["version"]
            name = header["spec"]["name"]
        except (OSError, ValueError, KeyError, TypeError):
            raise SweepError(self.manifest, "", "expected a sweep manifest written by sim "
                             "sweep, found an unreadable file") from None
        if version != sim.__version__:
            raise SweepError(self.manifest, "version", f"this folder was written by sim "
                             f"{version}, this is sim {sim.__version__}; expected a new --out "
                             "folder (results of two versions do not mix)")
        if digest != self.spec.digest():
            raise SweepError(self.manifest, "digest", f"this folder holds the sweep {name!r} "
                             f"(digest {digest[:12]}), not {self.spec.name!r} as it is now "
                             f"(digest {self.spec.digest()[:12]}); expected the same sweep file "
                             "and base scenario to resume, or a new --out folder")

    def _write_text(self, path: Path, text: str) -> None:
        write_atomically(path, lambda handle: handle.write(text.encode()))

    def finished(self) -> dict[int, Path]:
        """Return the finished chunks and their parts, each checked against its checksum.

        A part whose bytes do not match the checksum in ``parts/index.jsonl``
        (or that has none, or whose footer names another sweep) is deleted
        and said so on stderr: its chunk is not finished and is run again.
        The index is then rewritten (atomically) with the parts kept.
        """
        done: dict[int, Path] = {}
        if not self.parts.is_dir():
            return done
        sums = self._read_index()
        kept: dict[str, str] = {}
        for part in sorted(self.parts.iterdir()):
            match = _PART.fullmatch(part.name)
            if match is None:
                continue
            data = part.read_bytes()
            problem = self._problem(data, sums.get(part.name))
            if problem is not None:
                part.unlink()
                print(f"sweep: {part}: {problem}; deleted, its chunk is run again",
                      file=sys.stderr)
                continue
            done[int(match.group(1))] = part
            kept[part.name] = sums[part.name]
        if kept != sums:
            lines = "".join(json.dumps({"part": name, "sha256": digest}) + "\n"
                            for name, digest in sorted(kept.items()))
            self._write_text(self.index, lines)
        return done

    def _read_index(self) -> dict[str, str]:
        """Return each part's last recorded checksum; unreadable lines are skipped."""
        sums: dict[str, str] = {}
        try:
            text = self.index.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return sums
        for line in text.splitlines():
            try:
                entry = json.loads(line)
                sums[str(entry["part"])] = str(entry["sha256"])
            except (ValueError, KeyError, TypeError):
                continue  # a damaged or torn line: its part has no checksum
        return sums

    def _problem(self, data: bytes, expected: str | None) -> str | None:
        """Say what is wrong with a part's bytes, or return None for a good part."""
        if expected is None:
            return f"no checksum recorded in {INDEX_FILE}"
        if hashlib.sha256(data).hexdigest() != expected:
            return f"damaged (its SHA-256 differs from the one in {INDEX_FILE})"
        try:
            metadata = pq.read_schema(pa.BufferReader(data)).metadata or {}
            header = json.loads(metadata[_METADATA_KEY])
        except (OSError, ValueError, KeyError, pa.ArrowException):
            return "not a readable Parquet part of this sweep"
        if header.get("digest") != self.spec.digest():
            return "a part of another sweep"
        return None

    def write_part(self, chunk: Chunk, frame: pd.DataFrame) -> Path:
        """Write one finished chunk's rows atomically, after its checksum; return its path."""
        table = pa.Table.from_pandas(frame, preserve_index=False)
        header = {"digest": self.spec.digest(), "chunk": chunk.index,
                  "points": list(chunk.points), "version": sim.__version__}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               _METADATA_KEY: json.dumps(header).encode()})
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        data = buffer.getvalue()
        target = self.parts / f"chunk-{chunk.index:06d}.parquet"
        entry = json.dumps({"part": target.name, "sha256": hashlib.sha256(data).hexdigest()})
        with open(self.index, "ab") as index:  # before the part: a part never lacks its sum
            index.write(entry.encode() + b"\n")
            index.flush()
            os.fsync(index.fileno())
        return write_atomically(target, lambda handle: handle.write(data))

    def record_failures(self, failures: Mapping[int, ChunkFailure],
                        chunks: Iterable[Chunk]) -> None:
        """Write ``failures.json``, or delete it when there are none.

        One entry per failed chunk: ``chunk``, ``points``, ``kind`` (``user``,
        ``bug`` or ``lost``, see :class:`~sim.experiment.executors.ChunkFailure`),
        ``error`` (one line) and ``traceback`` (empty for a dead worker).
        """
        points = {chunk.index: list(chunk.points) for chunk in chunks}
        if not failures:
            self.failures_file.unlink(missing_ok=True)
            return
        rows = [{"chunk": k, "points": points[k], "kind": failure.kind,
                 "error": failure.message, "traceback": failure.traceback}
                for k, failure in sorted(failures.items())]
        self._write_text(self.failures_file, json.dumps(rows, indent=2) + "\n")

    def combine(self) -> pd.DataFrame:
        """Read every part; return all runs sorted by point and replicate.

        Raises
        ------
        SweepError
            When a point is missing or present twice (the store is damaged).
        """
        parts = self.finished()
        frames = [pq.read_table(parts[k]).to_pandas() for k in sorted(parts)]
        if not frames:
            frames = [pd.DataFrame({"point": [], "replicate": []})]
        combined = pd.concat(frames, ignore_index=True).sort_values(
            ["point", "replicate"], kind="stable", ignore_index=True)
        counts = combined.groupby("point").size()
        expected = set(range(self.spec.points))
        runs = self.spec.runs_per_point
        if set(counts.index) != expected or (counts != runs).any():
            raise SweepError(self.parts, "", f"expected each of {self.spec.points} points "
                             f"exactly {runs} times; the parts disagree "
                             "(rerun the same command to recompute the missing ones)")
        return combined

    def write_outcomes(self, combined: pd.DataFrame) -> Path:
        """Write all runs to ``outcomes.parquet`` atomically."""
        table = pa.Table.from_pandas(combined, preserve_index=False)
        header = {"digest": self.spec.digest(), "version": sim.__version__,
                  "spec": self.spec.describe()}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               _METADATA_KEY: json.dumps(header).encode()})
        return write_atomically(self.outcomes_file, lambda handle: pq.write_table(table, handle))
