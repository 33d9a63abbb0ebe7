"""Run a sweep end to end: design, chunks, executor, store, analysis.

:func:`run_sweep` is the Python entry point behind ``sim sweep``; the
experiment scripts call it with their own executor (a SLURM cluster's client,
for instance). It writes the data files; the figures are drawn from its
report by :func:`sim.plots.sweep.sweep_figures`.
"""

from __future__ import annotations

import functools
import sys
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sim.atomic import write_text_atomically
from sim.experiment.executors import ChunkFailure, Executor, make_executor
from sim.experiment.folders import prepare_output
from sim.experiment.posterior import PosteriorDraws
from sim.scenario import ScenarioError
from sim.sweep.analysis import point_means, sobol_indices
from sim.sweep.design import design_points
from sim.sweep.errors import SweepError
from sim.sweep.progress import Progress
from sim.sweep.spec import SweepSpec, load_sweep
from sim.sweep.store import SweepStore
from sim.sweep.task import BaseScenario, Chunk, make_chunks, run_chunk

__all__ = ["SweepReport", "run_sweep"]


@dataclass(frozen=True)
class SweepReport:
    """What a sweep run did and wrote.

    Attributes
    ----------
    spec : SweepSpec
    skipped, ran : int
        Chunks already finished before this run, and chunks finished now.
    failed : dict of int to ChunkFailure
        Chunks that failed, with why (empty on success): a user mistake, a
        programming error with its traceback, or a dead worker.
    runs : DataFrame or None
        All runs, once every chunk is finished.
    files : list of Path
        Data files written (outcomes and summaries).
    means : DataFrame or None
        One row per point: its settings and mean outcomes (``summary.csv``).
    indices : DataFrame or None
        Sobol indices of a ``saltelli`` design (``sobol_indices.csv``).
    """

    spec: SweepSpec
    skipped: int
    ran: int
    failed: dict[int, ChunkFailure]
    runs: pd.DataFrame | None = None
    files: list[Path] = field(default_factory=list)
    means: pd.DataFrame | None = None
    indices: pd.DataFrame | None = None

    @property
    def complete(self) -> bool:
        """Whether every point is finished."""
        return self.runs is not None


def run_sweep(sweep: str | Path | SweepSpec, out: str | Path,
              executor: Executor | None = None, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True,
              security: Any = None, posterior: PosteriorDraws | None = None) -> SweepReport:
    """Run the unfinished chunks of a sweep, then combine and analyse.

    Parameters
    ----------
    sweep : str, Path or SweepSpec
        The sweep file (or an already loaded one).
    out : str or Path
        Output folder; a rerun with the same folder skips finished chunks.
    executor : Executor, optional
        Where to run; default from ``workers`` and ``scheduler`` as on the
        command line (see :func:`sim.experiment.executors.make_executor`).
    workers : int, optional
    scheduler : str, optional
    progress : bool
        Draw a progress line on stderr.
    security : distributed.Security, optional
        TLS settings for a ``tls://`` scheduler (``--security FILE``).
    posterior : PosteriorDraws, optional
        Run every point once per draw on its seeds (``--posterior``); the
        draws enter the sweep's digest, so a folder resumes only with the
        same ones, and ``posterior.csv`` lists them.

    Returns
    -------
    SweepReport
        ``failed`` lists chunks that did not finish; their points are run by
        the next call with the same ``out``.

    Raises
    ------
    SweepError
        For a bad sweep file, a base scenario changed since the sweep was
        loaded, a folder holding another sweep, or one another sweep is
        writing now (the folder is locked).
    OutputError
        For an output folder that is not writable or not a sweep's.
    """
    spec = sweep if isinstance(sweep, SweepSpec) else load_sweep(sweep)
    if posterior is not None:
        spec = replace(spec, posterior=tuple(tuple(draw.items())
                                             for draw in posterior.overrides()))
    base = _read_base(spec)
    out = prepare_output(Path(out), "sweep")
    settings = design_points(spec)
    with SweepStore(out, spec).open(settings) as store:
        drawn = None if posterior is None else write_text_atomically(
            store.out / "posterior.csv", posterior.table().to_csv(index=False))
        report = _run_in_store(spec, base, store, settings, executor, workers, scheduler,
                               progress, security)
    if drawn is not None and report.complete:
        report.files.append(drawn)
    return report


def _read_base(spec: SweepSpec) -> BaseScenario:
    """Read the base scenario once; refuse it if it changed since the sweep was loaded."""
    try:
        base = BaseScenario.read(spec.scenario)
    except ScenarioError as exc:
        raise SweepError(spec.file, "scenario", f"the base scenario does not load: {exc}"
                         ) from None
    if base.digest != spec.scenario_digest:
        raise SweepError(spec.scenario, "", f"expected the base scenario as the sweep was "
                         f"loaded (digest {spec.scenario_digest[:12]}), found it changed "
                         f"(digest {base.digest[:12]}); load the sweep again")
    return base


def _run_in_store(spec: SweepSpec, base: BaseScenario, store: SweepStore,
                  settings: list[dict], executor: Executor | None, workers: int | None,
                  scheduler: str | None, progress: bool, security: Any) -> SweepReport:
    chunks = make_chunks(settings, spec.chunk_points)
    finished = store.finished()
    todo = [chunk for chunk in chunks if chunk.index not in finished]
    failed: dict[int, ChunkFailure] = {}
    if todo:
        owned = executor is None
        executor = executor or make_executor(workers, scheduler, security)
        done_points = spec.points - sum(len(c.points) for c in todo)
        bar = Progress(f"sweep {spec.name}", spec.points, done_points,
                       stream=sys.stderr if progress else _Discard())
        if progress:
            draws = f" x {len(spec.posterior)} posterior draws" if spec.posterior else ""
            print(f"sweep {spec.name}: {spec.points} points x {spec.replicates} replicates"
                  f"{draws} in {len(chunks)} chunks; {len(finished)} finished already, "
                  f"{len(todo)} to run on {executor.description}", file=sys.stderr)
        try:
            failed = _run_chunks(executor, spec, base, todo, store, chunks, bar)
        finally:
            bar.close()
            if owned:
                executor.close()
    store.record_failures(failed, chunks)
    if failed:
        return SweepReport(spec, len(finished), len(todo) - len(failed), failed)
    runs = store.combine()
    means, indices = point_means(runs, spec), None
    out = store.out
    files = [store.write_outcomes(runs), _write_csv(means, out / "summary.csv")]
    if spec.design == "saltelli":
        indices = sobol_indices(means, spec)
        files.append(_write_csv(indices, out / "sobol_indices.csv"))
    return SweepReport(spec, len(finished), len(todo), failed, runs, files, means, indices)


def _run_chunks(executor: Executor, spec: SweepSpec, base: BaseScenario, todo: list[Chunk],
                store: SweepStore, chunks: list[Chunk], bar: Progress,
                ) -> dict[int, ChunkFailure]:
    # the content, never the path: workers need no file, and an edit cannot reach them
    function = functools.partial(run_chunk, base, replicates=spec.replicates,
                                 sweep_seed=spec.seed, fixed=spec.fixed,
                                 common_seeds=spec.common_seeds, posterior=spec.posterior)
    failed: dict[int, ChunkFailure] = {}
    with closing(executor.run(function, todo)) as finished:
        for chunk, result in finished:
            if isinstance(result, ChunkFailure):
                failed[chunk.index] = result
                store.record_failures(failed, chunks)
                bar.advance(len(chunk.points), failed=True)
            else:
                store.write_part(chunk, result)
                bar.advance(len(chunk.points))
    return failed


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    return write_text_atomically(path, frame.to_csv(index=False))


class _Discard:
    """A text stream that drops everything (progress switched off)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        """Nothing to flush."""
