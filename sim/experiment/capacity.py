"""Will a streamed request fit? Estimate its memory and disk before anything runs.

``sim run`` and ``sim compare`` stream their runs (:func:`sim.core.iter_batch`
into :func:`sim.results.save_chunks`), so their memory is one chunk of runs
plus what the summaries keep per run; their disk is the results file. A
request whose estimate exceeds the memory available or the free disk is
refused up front with one line naming ``--runs``
(:func:`check_capacity`), instead of failing an hour later.

Estimates, in bytes:

* memory: :data:`~sim.core.batch.DEFAULT_MEMORY_BUDGET` (one chunk's
  working memory and metrics, or less for a small request) times
  :data:`WRITE_FACTOR` (the chunk's table while it is written), plus the
  summaries' bytes per run times the runs;
* disk: rows (runs x months x countries) x metric columns x 8 bytes x
  :data:`DISK_SHARE`.

``sim compare`` streams its scenarios one after another: the largest one's
memory while it runs, plus what every other keeps for the summary, and
every scenario's disk (:func:`one_after_another`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.core.batch import DEFAULT_MEMORY_BUDGET, _empty_metrics, bytes_per_run
from sim.core.layout import Layout
from sim.errors import UserError
from sim.results import Results
from sim.world import World

__all__ = ["DISK_SHARE", "WRITE_FACTOR", "Need", "available_memory", "check_capacity",
           "estimate_need", "free_disk", "one_after_another"]

WRITE_FACTOR = 3
"""Peak of a streamed chunk over its working-memory budget: the chunk, its tidy frame and
its Arrow table alive at once (assumption, after the measured peaks in docs/performance.md,
"Streamed results")."""
DISK_SHARE = 0.1
"""Parquet bytes per uncompressed metric byte, a floor (assumption: measured 0.18 for
``history``, 0.20 for ``ai_diffusion_2025``; a floor refuses only what cannot fit, and a disk
that fills up later still ends in one line, ``OutputError``)."""


@dataclass(frozen=True)
class Need:
    """Estimated peak memory and disk of a streamed request, bytes."""

    memory: int
    disk: int


def estimate_need(world: World, runs: int, per_run_bytes: int,
                  memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET) -> Need:
    """Estimate one scenario's streamed run.

    Parameters
    ----------
    world : World
    runs : int
    per_run_bytes : int
        What the summaries keep per run (e.g.
        :meth:`~sim.experiment.reductions.RunReductions.bytes_per_run`).
    memory_budget_bytes : int
        The chunk's working-memory budget.
    """
    layout = Layout.from_world(world)
    chunk = min(memory_budget_bytes, runs * bytes_per_run(layout))
    rows = world.n_steps * len(world.countries)
    # every family, so a new one is counted too; read dense, as Parquet holds them
    one_run = Results.from_arrays(world, np.zeros(1, dtype=np.int64), _empty_metrics(layout, 1),
                                  support=layout.metric_support).metrics
    columns = sum(-(-one_run[name].size // rows) for name in one_run)  # a step metric: 1
    return Need(memory=WRITE_FACTOR * chunk + runs * (per_run_bytes + 8),
                disk=int(runs * rows * columns * 8 * DISK_SHARE))


def one_after_another(needs: list[Need], kept: list[int]) -> Need:
    """Return the need of scenarios streamed one after another (``sim compare``).

    Parameters
    ----------
    needs : list of Need
        Each scenario's :func:`estimate_need` (what it holds while it runs).
    kept : list of int
        What each keeps, bytes, once it has run, until the end.

    Returns
    -------
    Need
        Memory: the largest scenario's while it runs plus what all the
        others keep; disk: every scenario's.
    """
    held = sum(kept)
    memory = max(need.memory + held - keep for need, keep in zip(needs, kept, strict=True))
    return Need(memory=memory, disk=sum(need.disk for need in needs))


def available_memory() -> int | None:
    """Return the memory available to a new process (Linux ``MemAvailable``), or None."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def free_disk(folder: Path) -> int:
    """Return the free bytes on the file system that holds (or will hold) ``folder``."""
    folder = Path(folder).absolute()
    while not folder.exists():
        folder = folder.parent
    return shutil.disk_usage(folder).free


def check_capacity(need: Need, runs: int, out: Path, memory: int | None = None,
                   disk: int | None = None) -> None:
    """Refuse a request that cannot fit, before it runs.

    Parameters
    ----------
    need : Need
        The whole request's estimate (summed over scenarios).
    runs : int
        ``--runs``, for the message.
    out : Path
        The output folder.
    memory, disk : int, optional
        Available memory and free disk (default: measured now).

    Raises
    ------
    UserError
        Naming ``--runs``, the estimate, what there is, and the most runs that fit.
    """
    memory = available_memory() if memory is None else memory
    disk = free_disk(out) if disk is None else disk
    for what, needed, have in (("memory", need.memory, memory), ("disk", need.disk, disk)):
        if have is not None and needed > have:
            fits = max(0, int(runs * have / needed))
            where = "available" if what == "memory" else f"free at {out}"
            raise UserError("--runs", "", f"expected at most about {fits:,} runs here, found "
                            f"{runs:,}: they need about {_gib(needed)} of {what}, "
                            f"{_gib(have)} {where}")


def _gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB"
