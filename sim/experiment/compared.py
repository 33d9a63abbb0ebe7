"""What ``sim compare`` keeps of one scenario's streamed runs.

The runs themselves go to ``scenario=STEM/results.parquet`` chunk by chunk
(:func:`sim.results.save_chunks`); :class:`CompareReductions` keeps, as
they pass, each run's headline outcomes
(:func:`~sim.experiment.outcomes.outcomes_per_run`, a row per run: what
``summary.csv`` and ``differences.csv`` are made of) and what the figures
draw (:class:`~sim.experiment.panels.PanelReductions`), and gives a
:class:`ComparedRuns`. Outcomes are computed run by run, so those of the
chunks, joined in seed order, are those of all runs at once, bit for bit;
:meth:`ComparedRuns.of` a whole :class:`~sim.results.Results` takes the same
code path with one chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.experiment.outcomes import OUTCOMES, outcomes_per_run
from sim.experiment.panels import PanelReductions, Panels
from sim.results import Results

__all__ = ["CompareReductions", "ComparedRuns"]


@dataclass(frozen=True)
class ComparedRuns:
    """One compared scenario's runs as the comparison keeps them.

    Attributes
    ----------
    digest, version : str
        As in :class:`~sim.results.Results`.
    seeds : ndarray of shape (n_runs,), int64
    outcomes : DataFrame
        :func:`~sim.experiment.outcomes.outcomes_per_run`: ``seed`` and each
        outcome of :data:`~sim.experiment.outcomes.OUTCOMES`, a row per run
        in seed order.
    panels : Panels
        What the comparison figures draw (:class:`~sim.experiment.panels.Panels`).
    """

    digest: str
    version: str
    seeds: np.ndarray
    outcomes: pd.DataFrame
    panels: Panels

    @property
    def n_runs(self) -> int:
        """The number of runs."""
        return len(self.seeds)

    @classmethod
    def of(cls, results: Results) -> ComparedRuns:
        """Return what a comparison keeps of ``results``, taken as one chunk."""
        reductions = CompareReductions()
        reductions.add(results)
        return reductions.compared()


@dataclass
class CompareReductions:
    """:class:`ComparedRuns` fed one chunk of runs at a time, in seed order."""

    _provenance: tuple[str, str] = ("", "")
    _outcomes: list[pd.DataFrame] = field(default_factory=list)
    _panels: PanelReductions = field(default_factory=PanelReductions)

    @staticmethod
    def bytes_per_run(n_steps: int) -> tuple[int, int]:
        """Bytes kept per run: for good (the outcomes), and until :meth:`compared` (the panels).

        The outcomes are counted three times over: the chunks' frames, the
        joined frame, and the copies the summary and differences make.
        """
        return 3 * 8 * (len(OUTCOMES) + 1), PanelReductions.bytes_per_run(n_steps)

    def add(self, chunk: Results) -> None:
        """Add a chunk's runs (the runs after those already added, in seed order)."""
        if not self._outcomes:
            self._provenance = (chunk.digest, chunk.version)
        self._outcomes.append(outcomes_per_run(chunk))
        self._panels.add(chunk)

    def compared(self) -> ComparedRuns:
        """Return what the comparison keeps of the runs added (at least one chunk)."""
        if not self._outcomes:
            raise ValueError("no runs added")
        outcomes = pd.concat(self._outcomes, ignore_index=True)
        self._outcomes.clear()
        digest, version = self._provenance
        return ComparedRuns(digest, version, outcomes["seed"].to_numpy(dtype=np.int64), outcomes,
                            self._panels.panels())
