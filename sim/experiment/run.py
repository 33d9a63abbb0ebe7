"""``sim run``: one scenario, many seeds, results on disk and a summary table."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from sim import __version__
from sim.experiment.errors import OutputError
from sim.experiment.summary import summarise_by_tier
from sim.results import Results
from sim.scenario import Scenario, load_scenario

__all__ = ["MARKER", "prepare_output", "run_command", "run_scenario"]

MARKER = ".sim-output"
"""File that marks a folder as written by a ``sim`` command (see :func:`prepare_output`)."""


def run_scenario(scenario: Scenario, seeds: np.ndarray) -> Results:
    """Run ``scenario`` once per seed with the vectorised core."""
    from sim.core import run_batch

    return run_batch(scenario, seeds)


def prepare_output(out: Path, kind: str) -> Path:
    """Create the output folder of a ``sim <kind>`` command, or refuse a foreign one.

    A folder is accepted if it is new, empty, or holds the marker file
    :data:`MARKER` of an earlier ``sim <kind>`` (a rerun overwrites its own
    results, never someone else's files). The marker, JSON with ``kind``
    and the ``version`` of the package that created the folder, is written
    into a new or empty folder and left alone otherwise.

    Parameters
    ----------
    out : Path
        The output folder; missing parents are created.
    kind : str
        The command writing it: ``"run"``, ``"compare"`` or ``"sweep"``.

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
    marker = out / MARKER
    try:
        out.mkdir(parents=True, exist_ok=True)
        found = _foreign_content(out, kind)
        if found is not None:
            raise OutputError(f"{out}: expected an empty folder or one written by `sim {kind}`, "
                              f"found {found}")
        if marker.exists():
            probe = out / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        else:
            marker.write_text(json.dumps({"kind": kind, "version": __version__}) + "\n",
                              encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputError(f"{out}: expected a writable output folder ({reason})") from None
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


def run_command(path: Path, runs: int, seed: int, out: Path,
                overrides: Mapping[str, str]) -> int:
    """Load, run, save ``results.parquet`` and print the summary; return 0."""
    scenario = load_scenario(path, overrides)
    prepare_output(out, "run")
    seeds = np.arange(seed, seed + runs, dtype=np.int64)
    results = run_scenario(scenario, seeds)
    target = results.save(out / "results.parquet")
    table = summarise_by_tier(results)
    table.to_csv(out / "summary_by_tier.csv")
    print(f"{scenario.name}: {runs} run(s), seeds {seed}..{seed + runs - 1}, "
          f"{len(results.dates)} months from {results.dates[0]}")
    print(table.to_string(float_format=lambda v: f"{v:,.0f}"))
    print(f"results: {target}")
    return 0
