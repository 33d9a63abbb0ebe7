"""``run_batch``: many runs of a scenario at once, in chunks that fit a memory budget.

A month (:func:`step`) runs the phases of :data:`sim.world.phases.PHASES`,
the list ``ExportControlModel.step`` runs too; a chunk of runs loops over the months and
writes each month's metrics into its slice of the output. Runs are
independent (every random number is keyed by its seed), so how runs are
chunked, or ordered, changes no bit of any run.

Memory estimate (:func:`bytes_per_run`), per run and in bytes:

* state: ``N_FIRM_ARRAYS`` (R, F) arrays of 8 bytes, counted twice because a
  phase builds new arrays while the old state is still alive, plus 15 firm
  arrays of the month's books and about 10 temporaries of a phase;
* first-come allocation: about 8 (R, F) temporaries of a sort or a queue;
* metrics: ``T * ((20 + 2K) * C * 8 + 16 + 8K)``, the run's share of the metric
  arrays (``K`` chips on the market).

A chunk of :func:`iter_batch` holds at most ``memory_budget_bytes //
bytes_per_run`` runs (at least one), and the chunks are as even as can be.
:func:`run_batch` allocates the metric arrays of all runs once, up front,
and each chunk writes into its slice (no concatenation copy), so its chunks
are sized without the metric term (``bytes_per_run(layout, metrics=False)``):
at world scale the metrics are about 95% of a run's bytes, and chunks of a
few dozen runs would leave each array operation too short to pay for its
call. The estimate errs on the safe side: for
``ai_diffusion_2025`` (287 firms, 26 countries, 36 months) it is 343 kB a
run against a measured peak (tracemalloc) of about 140-150 kB of working
memory plus 135 kB of metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise
from os import PathLike

import numpy as np

from sim.core.books import collect
from sim.core.diversion import deliver, divert, redirect, renew_brokers
from sim.core.layout import Layout
from sim.core.licensing import allocate_caps, settle_uveu
from sim.core.orders import demand, license, order, place_grey_market_orders, start_month
from sim.core.points import PointTable
from sim.core.prices import set_prices
from sim.core.renting import rent
from sim.core.shipping import allocate_domestic, respond, ship, want_substitute
from sim.core.state import N_FIRM_ARRAYS, State, initial_state
from sim.kernels.heap import keep_freed_arrays
from sim.results import Results
from sim.scenario import Scenario, load_scenario
from sim.world import World
from sim.world.metrics import CHIP_METRICS, COUNTRY_METRICS, MARKET_METRICS, STEP_METRICS
from sim.world.phases import PHASES

__all__ = ["DEFAULT_MEMORY_BUDGET", "PHASE_FUNCTIONS", "bytes_per_run", "iter_batch",
           "iter_point_runs", "iter_points", "run_batch", "run_points", "step", "step_phases"]

DEFAULT_MEMORY_BUDGET = 512 * 2**20
"""Default working memory of one chunk of runs, bytes: about 1,800 world-scale runs of
``run_batch`` (a chunk's fixed cost, a few hundred NumPy calls a month, is then under 4% of
a thousand runs), and about 90 of ``iter_batch``, which counts each run's metrics dense."""

Phase = Callable[[Layout, State, int], State]

PHASE_FUNCTIONS: dict[str, Phase] = {
    phase.__name__: phase
    for phase in (start_month, renew_brokers, set_prices, demand, place_grey_market_orders,
                  order, license, settle_uveu, allocate_caps, ship, want_substitute,
                  allocate_domestic, rent, respond, divert, redirect, deliver)
}
"""The array function of each phase of :data:`sim.world.phases.PHASES`, by name."""

if tuple(PHASE_FUNCTIONS) != PHASES:  # the one phase list is the only order there is
    raise ImportError(f"core phases {tuple(PHASE_FUNCTIONS)} differ from {PHASES}")


def step_phases(layout: Layout, state: State, t: int) -> Iterator[tuple[str, State]]:
    """Run month ``t`` for every run; yield each phase's name and the state after it."""
    for name in PHASES:
        state = PHASE_FUNCTIONS[name](layout, state, t)
        yield name, state


def step(layout: Layout, state: State, t: int) -> State:
    """Run month ``t`` for every run; return the state after its last phase."""
    for name in PHASES:
        state = PHASE_FUNCTIONS[name](layout, state, t)
    return state


def bytes_per_run(layout: Layout, metrics: bool = True) -> int:
    """Estimated peak bytes one run adds to a chunk (see the module docstring).

    ``metrics=False`` leaves out the run's metric arrays: :func:`run_batch`
    allocates them for every run up front, so its chunks are sized by the
    working memory alone. The metrics are counted dense, as whoever consumes
    a chunk of :func:`iter_batch` reads them (a tidy frame, the reductions);
    held on their supports (:mod:`sim.world.support`) they take less.
    """
    n_firms, n_countries = layout.n_firms, layout.n_countries
    n_steps = layout.world.n_steps
    state = 8 * n_firms * (2 * N_FIRM_ARRAYS + 15 + 10) + 8 * 16 * n_countries
    first_come = 8 * 8 * n_firms
    if not metrics:
        return state + first_come
    n_chips = layout.world.market.n_chips
    metrics = n_steps * ((len(COUNTRY_METRICS) + len(CHIP_METRICS) * n_chips) * n_countries * 8
                         + 8 * len(STEP_METRICS) + 8 * len(MARKET_METRICS) * n_chips)
    return state + first_come + metrics


def _empty_metrics(layout: Layout, n_runs: int) -> dict[str, np.ndarray]:
    """Zeroed metric arrays of ``n_runs`` runs: sparse metrics (R, S) on their support alone."""
    world = layout.world
    shape = (n_runs, world.n_steps)
    dense = {name: (len(world.countries),) for name in COUNTRY_METRICS}
    dense.update({name: (len(world.countries), world.market.n_chips) for name in CHIP_METRICS})
    metrics = {name: np.zeros((n_runs, int(layout.held[name].start[-1]))
                              if name in layout.held else (*shape, *columns), dtype=np.int64)
               for name, columns in dense.items()}
    metrics.update({name: np.zeros(shape, dtype=np.float64) for name in STEP_METRICS})
    metrics.update({name: np.zeros((*shape, world.market.n_chips), dtype=np.float64)
                    for name in MARKET_METRICS})
    return metrics


def _chunks(n_runs: int, most: int) -> Iterator[slice]:
    """Split ``n_runs`` into the fewest chunks of at most ``most`` runs (at least one).

    As even as can be: 1,000 runs at 930 a chunk are two of 500, not 930 and a slow 70.
    """
    count = -(-n_runs // max(1, most))
    bounds = [-(-n_runs * k // max(1, count)) for k in range(count + 1)]  # sizes: +-1
    for start, stop in pairwise(bounds):
        yield slice(start, stop)


def _run_chunk(layout: Layout, seeds: np.ndarray, out: dict[str, np.ndarray],
               point: np.ndarray | None = None) -> None:
    """Run every month for ``seeds``, writing metrics into ``out`` (views, (R, T, ...))."""
    state = initial_state(layout, seeds, point)
    for t in range(layout.world.n_steps):
        state = step(layout, state, t)
        collect(layout, state, t, out)


def iter_batch(scenario: Scenario | str | PathLike[str], seeds: Sequence[int] | np.ndarray,
               memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET) -> Iterator[Results]:
    """Run the scenario once per seed, yielding the runs chunk by chunk as they finish.

    The streamed form of :func:`run_batch`: each chunk's metric arrays are
    allocated for that chunk alone, so a caller that writes or reduces a
    chunk and drops it holds about ``memory_budget_bytes`` whatever the
    number of seeds. ``Results.concat(list(iter_batch(s, seeds)))`` equals
    ``run_batch(s, seeds)`` bit for bit.

    Parameters
    ----------
    scenario : Scenario or path
    seeds : sequence of int, length n_runs
    memory_budget_bytes : int, default 512 MiB
        Working memory of one chunk of runs, its metrics included.

    Yields
    ------
    Results
        The next runs, in the order of ``seeds``: the fewest chunks of at most
        ``memory_budget_bytes // bytes_per_run`` runs (at least one), as even
        as can be.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    world = World.from_scenario(scenario)
    layout = Layout.from_world(world)
    keep_freed_arrays()
    for part in _chunks(len(seeds), int(memory_budget_bytes) // bytes_per_run(layout)):
        part = seeds[part]
        metrics = _empty_metrics(layout, len(part))
        _run_chunk(layout, part, metrics)
        yield Results.from_arrays(world, part, metrics, support=layout.metric_support)


def run_batch(scenario: Scenario | str | PathLike[str], seeds: Sequence[int] | np.ndarray,
              memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET) -> Results:
    """Run the scenario once per seed with the vectorised core.

    Parameters
    ----------
    scenario : Scenario or path
        A loaded scenario, or a TOML file to load.
    seeds : sequence of int, length n_runs
        One run per seed; run ``k`` is bit-identical to
        ``ExportControlModel(scenario, seed=seeds[k]).run().results()``.
    memory_budget_bytes : int, default 512 MiB
        Working memory of one chunk of runs (the output is extra).

    Returns
    -------
    Results
        Country metrics of shape (n_runs, n_steps, n_countries), int64, and
        step metrics of shape (n_runs, n_steps), float64.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    world = World.from_scenario(scenario)
    layout = Layout.from_world(world)
    keep_freed_arrays()  # a month's temporaries reused, not page-faulted back (sim/kernels/heap)
    metrics = _empty_metrics(layout, len(seeds))
    most = int(memory_budget_bytes) // bytes_per_run(layout, metrics=False)
    for part in _chunks(len(seeds), most):
        _run_chunk(layout, seeds[part], {name: values[part] for name, values in metrics.items()})
    return Results.from_arrays(world, seeds, metrics, support=layout.metric_support)


def _point_layout(scenarios: Sequence[Scenario]) -> tuple[World, Layout]:
    """Return the first point's world, and its layout with every point's run-level values."""
    if not scenarios:
        raise ValueError("no scenario points to run")
    world = World.from_scenario(scenarios[0])
    layout = Layout.from_world(world)
    if len(scenarios) > 1:
        layout = layout.with_points(PointTable.from_scenarios(world, scenarios))
    return world, layout


def _point_runs(seeds: Sequence[Sequence[int] | np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Return every point's seeds end to end, and the point of each run."""
    per_point = [np.asarray(s, dtype=np.int64).reshape(-1) for s in seeds]
    point = np.concatenate([np.full(len(s), p, dtype=np.int64) for p, s in enumerate(per_point)])
    return np.concatenate(per_point), point


def iter_points(scenarios: Sequence[Scenario], seeds: Sequence[Sequence[int] | np.ndarray],
                memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET,
                ) -> Iterator[tuple[np.ndarray, Results]]:
    """Run many points of one scenario as one batch, yielding the runs chunk by chunk.

    The streamed form of :func:`run_points`, for sweeps: chunks as
    :func:`iter_batch`'s, over every point's runs end to end (point 0's
    seeds first).

    Yields
    ------
    point : ndarray of shape (n,), int64
        The point of each run of the chunk.
    Results
        The chunk's runs, labelled with the first point's scenario: what a
        sweep reads of it besides the metrics (countries, tiers, dates, the
        caps) is shared by every point.
    """
    for world, layout, chunk_seeds, point, metrics in _point_chunks(scenarios, seeds,
                                                                    memory_budget_bytes):
        yield point, Results.from_arrays(world, chunk_seeds, metrics,
                                         support=layout.metric_support)


def _point_chunks(scenarios: Sequence[Scenario], seeds: Sequence[Sequence[int] | np.ndarray],
                  memory_budget_bytes: int) -> Iterator[tuple[World, Layout, np.ndarray,
                                                             np.ndarray, dict[str, np.ndarray]]]:
    """Run the points' runs chunk by chunk: yield the world, layout, seeds, points and metrics."""
    world, layout = _point_layout(scenarios)
    all_seeds, point = _point_runs(seeds)
    keep_freed_arrays()
    for part in _chunks(len(all_seeds), int(memory_budget_bytes) // bytes_per_run(layout)):
        metrics = _empty_metrics(layout, len(all_seeds[part]))
        _run_chunk(layout, all_seeds[part], metrics, point[part])
        yield world, layout, all_seeds[part], point[part], metrics


def iter_point_runs(scenarios: Sequence[Scenario], seeds: Sequence[Sequence[int] | np.ndarray],
                    memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET,
                    ) -> Iterator[tuple[int, Results]]:
    """Run many points of one scenario as one batch, yielding each point's runs as they finish.

    As :func:`iter_points`, but each chunk is cut at the points it holds:
    yields ``(p, results)``, the chunk's runs of point ``p`` labelled with
    its own scenario and on its own support, so that concatenating a
    point's parts gives ``run_batch(scenarios[p], seeds[p])`` bit for bit
    (a posterior's draws, each written to its own file).
    """
    for world, layout, chunk_seeds, point, metrics in _point_chunks(scenarios, seeds,
                                                                    memory_budget_bytes):
        for p, runs in enumerate(_point_slices(point, len(scenarios))):
            if runs.start == runs.stop:
                continue  # a point with no run in this chunk
            yield p, Results.from_arrays(world, chunk_seeds[runs],
                                         _point_metrics(layout, p, metrics, runs),
                                         support=layout.point_support(p), scenario=scenarios[p])


def run_points(scenarios: Sequence[Scenario], seeds: Sequence[Sequence[int] | np.ndarray],
               memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET) -> list[Results]:
    """Run many points of one scenario with the vectorised core, as one batch.

    A sweep's points, or a calibration's draws, cost about ten times their
    runs when each is its own :func:`run_batch`, because a month's array
    calls cost the same for 2 runs as for 1,000. Points that differ only in
    run-level keys (:func:`sim.core.points.is_run_level`) share one world
    and run together.

    Parameters
    ----------
    scenarios : sequence of Scenario, length n_points
        The points: one scenario with different values of run-level keys.
    seeds : sequence of sequences of int, length n_points
        Each point's seeds.
    memory_budget_bytes : int, default 512 MiB
        Working memory of one chunk of runs (the output is extra).

    Returns
    -------
    list of Results
        Point ``p``'s runs, equal bit for bit to ``run_batch(scenarios[p], seeds[p])``
        whatever the other points.

    Raises
    ------
    ValueError
        If two points differ in a key that is not run-level, naming it.
    """
    world, layout = _point_layout(scenarios)
    all_seeds, point = _point_runs(seeds)
    keep_freed_arrays()
    metrics = _empty_metrics(layout, len(all_seeds))
    most = int(memory_budget_bytes) // bytes_per_run(layout, metrics=False)
    for part in _chunks(len(all_seeds), most):
        chunk = {name: values[part] for name, values in metrics.items()}
        _run_chunk(layout, all_seeds[part], chunk, point[part])
    slices = _point_slices(point, len(scenarios))
    return [Results.from_arrays(world, all_seeds[runs], _point_metrics(layout, p, metrics, runs),
                                support=layout.point_support(p), scenario=scenario)
            for p, (scenario, runs) in enumerate(zip(scenarios, slices, strict=True))]


def _point_slices(point: np.ndarray, n_points: int) -> list[slice]:
    """Each point's runs, ``point`` being non-decreasing (``_point_runs``): views, not copies."""
    bounds = np.searchsorted(point, np.arange(n_points + 1))
    return [slice(int(a), int(b)) for a, b in pairwise(bounds)]


def _point_metrics(layout: Layout, p: int, metrics: dict[str, np.ndarray],
                   runs: slice) -> dict[str, np.ndarray]:
    """Point ``p``'s runs of the batch's metrics, on its own support (``Layout.point_support``).

    Where the points order different chips, the chip metrics are held on the
    union of their cells; a point's runs are zero outside its own, which
    are kept.
    """
    own = {name: values[runs] for name, values in metrics.items()}
    if layout.point_chips is None:
        return own
    support = layout.point_support(p)
    for name in CHIP_METRICS:
        if name in layout.held and name in support:
            inside = support[name].reshape(-1)[layout.metric_support[name].reshape(-1)]
            own[name] = own[name][:, inside]
    return own
