"""The sweep's folder: a manifest, one Parquet part per finished chunk, failures.

Layout of ``OUT/``::

    sweep.json            what is being swept (checked on every rerun)
    design.csv            every point's settings
    parts/chunk-*.parquet one per finished chunk, written atomically
    failures.json         chunks that failed in the last attempt, if any
    outcomes.parquet      all parts combined, once every chunk is finished

A part is written to a hidden temporary file in ``parts/``, flushed to disk
and renamed, so a sweep killed at any moment leaves finished parts and at most
a temporary file, which the next run deletes unread. Finished chunks are known
from the parts alone, so a rerun skips them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

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

    def open(self, settings: list[dict[str, Any]]) -> SweepStore:
        """Write or check the manifest and design; delete leftover temporary files."""
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
        for leftover in self.parts.glob(".*.tmp"):
            leftover.unlink()
        return self

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
        """Return the finished chunks and their parts, checking each part's footer.

        Raises
        ------
        SweepError
            For a part that is unreadable or belongs to another sweep.
        """
        done: dict[int, Path] = {}
        if not self.parts.is_dir():
            return done
        for part in sorted(self.parts.iterdir()):
            match = _PART.fullmatch(part.name)
            if match is None:
                continue
            done[int(match.group(1))] = part
            self._check_part(part)
        return done

    def _check_part(self, part: Path) -> None:
        try:
            metadata = pq.read_schema(part).metadata or {}
            header = json.loads(metadata[_METADATA_KEY])
        except (OSError, ValueError, KeyError, pa.ArrowException):
            raise SweepError(part, "", "expected a finished Parquet part of this sweep, found "
                             "an unreadable file; delete it and rerun to recompute its "
                             "points") from None
        if header.get("digest") != self.spec.digest():
            raise SweepError(part, "digest", "expected a part of this sweep, found one of "
                             "another; delete it and rerun")

    def write_part(self, chunk: Chunk, frame: pd.DataFrame) -> Path:
        """Write one finished chunk's rows atomically; return the part's path."""
        table = pa.Table.from_pandas(frame, preserve_index=False)
        header = {"digest": self.spec.digest(), "chunk": chunk.index,
                  "points": list(chunk.points), "version": sim.__version__}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               _METADATA_KEY: json.dumps(header).encode()})
        target = self.parts / f"chunk-{chunk.index:06d}.parquet"
        return write_atomically(target, lambda handle: pq.write_table(table, handle))

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
        combined = pd.concat(frames, ignore_index=True).sort_values(
            ["point", "replicate"], kind="stable", ignore_index=True)
        counts = combined.groupby("point").size()
        expected = set(range(self.spec.points))
        if set(counts.index) != expected or (counts != self.spec.replicates).any():
            raise SweepError(self.parts, "", f"expected each of {self.spec.points} points "
                             f"exactly {self.spec.replicates} times; the parts disagree "
                             "(delete the folder's parts/ and rerun)")
        return combined

    def write_outcomes(self, combined: pd.DataFrame) -> Path:
        """Write all runs to ``outcomes.parquet`` atomically."""
        table = pa.Table.from_pandas(combined, preserve_index=False)
        header = {"digest": self.spec.digest(), "version": sim.__version__,
                  "spec": self.spec.describe()}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               _METADATA_KEY: json.dumps(header).encode()})
        return write_atomically(self.outcomes_file, lambda handle: pq.write_table(table, handle))
