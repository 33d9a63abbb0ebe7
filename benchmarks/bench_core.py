"""Benchmark the vectorised core against the agent model, in one process.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_core.py [--scenario PATH] [--json PATH] [--quick]

Every figure is a best-of-N wall time (``time.perf_counter``) turned into a
rate of *firm-steps per second* (runs x firms x months / seconds), and the
conclusions are ratios measured side by side in the same process, because
the machine is shared and noisy. It measures:

(a) the core (:func:`sim.core.run_batch`) at 1, 100 and 1,000 runs;
(b) the agent model (``ExportControlModel(..., agent_reporters=False).run().results()``)
    on a few runs: the country metrics the core computes, without the firm-level
    reporters the core has no counterpart for;
(c) the per-run speed-up of the core at 1,000 runs over the agent model: the agent
    runs are timed in rounds interleaved with core batches (``agent_repeats``
    rounds, best of each), so a change of load on the shared machine hits both;
    where the compiled kernels run (:mod:`sim.kernels`, Numba installed), each round
    times the NumPy reference engine's batch too, and both speed-ups are reported;
(d) a roofline: a streaming pass that copies as many (runs, firms) int64
    arrays as the core's ``State`` holds, each once per month, and the core's
    rate as a fraction of it;
(e) peak memory and wall time of 2,000, 5,000 and 10,000 runs, each in a fresh
    process (peak RSS growth and tracemalloc peak, less the output arrays);
(f) the speed-up of two worker processes over one, and 10,000 runs on two;
(i) full-array operations a month (``benchmarks/passes.py``: operations over at least
    runs x firms elements, counted on the NumPy engine over every month);
(j) a sweep's model time against one plain batch of as many runs: ``sweep_points``
    design points (detection spread over the sweep's range) of ``sweep_replicates``
    runs each, run the way a sweep worker runs a chunk (``sim.sweep.task.run_chunk``),
    against the same number of runs in one ``iter_batch`` with the same per-run outcomes;
and the first-come allocation mode at 1,000 runs; each for every ``--scenario``
(default: ``ai_diffusion_2025`` and the 2021-2027 ``history``). Then, once:

(g) ``sim --help`` in a fresh interpreter (best-of wall time);
(k) a calibration chunk: ``DRAWS_PER_CHUNK`` draws of the published targets (every
    key run-level, China's demand scale too) of ``calibration_seeds`` seeds each, as a
    calibration worker runs them (``sim.calibration.simulate.simulate_draws``),
    against one plain ``run_batch`` of the history of as many runs with the same
    statistics;
(h) ``sim run`` of the last scenario at 100,000 runs (streamed results) in a
    child process: its peak RSS (``os.wait4``'s ``ru_maxrss``) and wall time.

Everything goes to ``benchmarks/results.json``; ``benchmarks/report.py``
turns that into the measured section of docs/performance.md.
``--quick`` shrinks every size (about a minute, for a smoke test); the full
run takes about 15 minutes, most of it the 100,000 runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

import sim
from sim import kernels
from sim.calibration.simulate import DRAWS_PER_CHUNK, simulate_draws
from sim.calibration.statistics import STATISTICS
from sim.calibration.targets import load_targets
from sim.core import iter_batch, run_batch
from sim.core.batch import _empty_metrics
from sim.core.layout import Layout
from sim.core.state import N_FIRM_ARRAYS
from sim.experiment.outcomes import outcomes_per_run
from sim.experiment.sampling import from_unit, sobol_unit
from sim.sweep.task import BaseScenario, make_chunks, run_chunk, run_seeds
from sim.world import World

sys.path.insert(0, str(Path(__file__).resolve().parent))
from passes import count_months

DEFAULT_SCENARIOS = ("scenarios/ai_diffusion_2025.toml", "scenarios/history.toml")
PUBLISHED_TARGETS = "scenarios/targets/published.toml"
TARGET_SPEEDUP = 300.0
"""Per-run speed-up over the agent model asked by issues 13 and 14."""
TARGET_WORLD_SPEEDUP = 500.0
"""The same, asked by issue 19 of the world-scale history."""
TARGET_STREAMING_FRACTION = 1 / 3
TARGET_FLAT_RATIO = 1.25
TARGET_10K_SECONDS = 60.0
TARGET_HELP_SECONDS = 0.5
TARGET_STREAMED_RSS_BYTES = 4 * 2**30
TARGET_PASSES_PER_MONTH = 80
TARGET_SWEEP_RATIO = 1.5
MEMORY_OUTPUT_BYTES = 4 * 2**30
"""Largest metric output the memory measurement holds (:func:`memory_runs`)."""
MB = 2**20


@dataclass(frozen=True)
class Config:
    """Sizes and repeat counts of one benchmark run."""

    core_runs: tuple[int, ...] = (1, 100, 1000)
    core_repeats: int = 3
    agent_runs: int = 3
    agent_repeats: int = 3
    roofline_runs: int = 1000
    memory_runs: tuple[int, ...] = (2000, 5000, 10000)
    memory_budget_bytes: int = 64 * MB
    """A chunk of a few hundred world-scale runs, so every size measured is past one chunk
    and working memory is seen to plateau (``run_batch`` sizes chunks by working memory
    alone: 512 MiB holds about 1,800 runs)."""
    scaling_runs: int = 2000
    scaling_repeats: int = 2
    two_core_runs: int = 10000
    help_repeats: int = 5
    streamed_runs: int = 100_000
    pass_runs: int = 64
    sweep_points: int = 50
    sweep_replicates: int = 2
    calibration_seeds: int = 4


QUICK = Config(core_runs=(1, 100, 300), core_repeats=2, agent_runs=1, agent_repeats=2,
               roofline_runs=300, memory_runs=(200, 500, 1000),
               memory_budget_bytes=32 * MB, scaling_runs=400, scaling_repeats=1,
               two_core_runs=1000, help_repeats=2, streamed_runs=1000, pass_runs=16,
               sweep_points=10)
"""A smoke test: smaller sizes, and a smaller chunk so memory still plateaus."""


def machine_info() -> dict[str, Any]:
    """Describe the machine: platform, CPU model, cores, Python and NumPy versions."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "usable_cores": usable, "python": platform.python_version(),
            "numpy": np.__version__, "numba": _numba_version(), "sim": sim.__version__,
            "load_average_at_start": os.getloadavg()[0]}


def _numba_version() -> str | None:
    """Numba's version where the compiled kernels run, else None."""
    if kernels.engine() != "numba":
        return None
    import numba

    return str(numba.__version__)


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """Return the shortest wall time of ``repeats`` calls of ``fn``, seconds."""
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def rate(n_runs: int, n_firms: int, n_steps: int, seconds: float) -> float:
    """Firm-steps per second of ``n_runs`` runs taking ``seconds``."""
    return n_runs * n_firms * n_steps / seconds


def time_core(scenario: sim.Scenario, n_runs: int, repeats: int) -> float:
    """Best-of-``repeats`` seconds of ``run_batch`` on seeds ``0 .. n_runs - 1``."""
    seeds = np.arange(n_runs)
    return best_of(lambda: run_batch(scenario, seeds), repeats)


def time_agent(scenario: sim.Scenario, n_runs: int, repeats: int) -> float:
    """Best-of-``repeats`` seconds of ``n_runs`` agent-model runs (seeds 0, 1, ...)."""
    def runs() -> None:
        for seed in range(n_runs):
            sim.ExportControlModel(scenario, seed=seed, agent_reporters=False).run().results()

    return best_of(runs, repeats)


def time_streaming(n_runs: int, n_firms: int, n_steps: int, n_arrays: int,
                   repeats: int) -> float:
    """Best-of seconds to copy ``n_arrays`` (runs, firms) int64 arrays once per step.

    This is the roofline of the core: every month it must at least read and
    write each of its state arrays once.
    """
    source = [np.full((n_runs, n_firms), k, dtype=np.int64) for k in range(n_arrays)]
    target = [np.empty_like(array) for array in source]

    def stream() -> None:
        src, dst = source, target
        for _ in range(n_steps):
            for a, b in zip(src, dst, strict=True):
                np.copyto(b, a)
            src, dst = dst, src

    return best_of(stream, repeats)


def _status_kb(field: str) -> int:
    """One ``kB`` field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak_rss() -> int:
    """Reset the peak RSS to the current RSS; return the current RSS, kB.

    Writing ``5`` to ``/proc/self/clear_refs`` resets ``VmHWM`` (Linux 4.0+),
    so the peak measured next excludes the start-up's (imports, scenario).
    Where that fails, fall back to ``ru_maxrss``, the peak so far.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _status_kb("VmRSS")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_rss() -> int:
    """Peak RSS since the last reset, kB."""
    try:
        return _status_kb("VmHWM")
    except (OSError, KeyError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _memory_child(scenario_path: str, n_runs: int, budget: int, trace: bool) -> dict[str, float]:
    """In a fresh process: run ``n_runs`` runs; return wall time and memory growth.

    With ``trace``, tracemalloc records the peak of NumPy's allocations (and
    the wall time is not meaningful); without, the growth of the peak RSS
    over the RSS before the runs. The output arrays are included in both;
    their size is returned so the caller can subtract it.
    """
    scenario = sim.load_scenario(scenario_path)
    run_batch(scenario, [0])  # imports, caches and the layout's arrays: not growth
    before_kb = _reset_peak_rss()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    results = run_batch(scenario, np.arange(n_runs), memory_budget_bytes=budget)
    wall = time.perf_counter() - start
    peak_traced = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    growth_kb = _peak_rss() - before_kb
    output = results.metrics.nbytes  # as held: sparse metrics on their supports
    return {"wall_s": wall, "rss_growth_bytes": growth_kb * 1024.0,
            "traced_peak_bytes": float(peak_traced), "output_bytes": float(output)}


def memory_runs(sizes: Sequence[int], layout: Layout) -> list[int]:
    """The memory measurement's run counts, scaled down so the largest holds at most 4 GiB.

    ``run_batch`` holds every run's metrics; at world scale a run of the
    84-month history holds about 1.5 MB (its sparse metrics on their
    supports), so 10,000 runs would not fit on the machine with everything
    else. The counts keep their ratios, so flatness is still measured.
    """
    output = sum(values.nbytes for values in _empty_metrics(layout, 1).values())
    scale = min(1.0, MEMORY_OUTPUT_BYTES / (max(sizes) * output))
    return [max(10, int(n * scale)) for n in sizes]


def in_fresh_process(fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn(*args)`` in a freshly spawned process and return its result."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


def measure_memory(scenario_path: str, n_runs: int, budget: int) -> dict[str, float]:
    """Wall time, peak RSS growth and tracemalloc peak of ``n_runs`` runs, MB and s."""
    timed = in_fresh_process(_memory_child, scenario_path, n_runs, budget, False)
    traced = in_fresh_process(_memory_child, scenario_path, n_runs, budget, True)
    output = timed["output_bytes"]
    return {"runs": n_runs, "wall_s": timed["wall_s"],
            "output_mb": output / MB,
            "rss_growth_mb": timed["rss_growth_bytes"] / MB,
            "rss_working_mb": (timed["rss_growth_bytes"] - output) / MB,
            "traced_working_mb": (traced["traced_peak_bytes"] - output) / MB}


def _warm_worker(scenario_path: str) -> None:
    """Import the core and run it once, so a timed task pays no start-up."""
    run_batch(sim.load_scenario(scenario_path), [0])
    time.sleep(0.2)  # hold this worker so the pool starts the next one


def _core_worker(scenario_path: str, seeds: np.ndarray) -> int:
    """Run ``seeds`` with the core in a worker; return a small digest, not the arrays.

    The runs stream chunk by chunk (:func:`sim.core.iter_batch`), so a worker
    holds one chunk's metrics whatever the number of runs: 5,000 runs of a
    world-scale history would otherwise hold 23 GB.
    """
    chunks = iter_batch(sim.load_scenario(scenario_path), seeds)
    return int(sum(chunk.metric("shipped_tpp").sum() for chunk in chunks))


def _spin_worker(scenario_path: str, seeds: np.ndarray) -> int:
    """Pure-Python work proportional to ``len(seeds)``: the control for free cores."""
    total = 0
    for k in range(len(seeds) * 10_000):
        total += k
    return total


def time_workers(scenario_path: str, n_runs: int, n_workers: int, repeats: int,
                 task: Callable[[str, np.ndarray], int] = _core_worker) -> float:
    """Best-of seconds of ``n_runs`` runs split evenly over ``n_workers`` warm processes.

    Each worker returns a digest, not its results, so the time is the
    computation and not the transfer of the output arrays.
    """
    parts = np.array_split(np.arange(n_runs), n_workers)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=context) as pool:
        for future in [pool.submit(_warm_worker, scenario_path) for _ in range(n_workers)]:
            future.result()

        def split() -> None:
            list(pool.map(task, [scenario_path] * n_workers, parts))

        return best_of(split, repeats)


def measure_scaling(scenario_path: str, n_runs: int, repeats: int) -> dict[str, float]:
    """Speed-up of two workers over one for the core, and for a pure-Python control.

    The control shows how much of a second core is free: on a shared
    machine another process may hold it, and then no code scales.
    """
    one = time_workers(scenario_path, n_runs, 1, repeats)
    two = time_workers(scenario_path, n_runs, 2, repeats)
    spin_one = time_workers(scenario_path, n_runs, 1, repeats, _spin_worker)
    spin_two = time_workers(scenario_path, n_runs, 2, repeats, _spin_worker)
    return {"runs": n_runs, "one_worker_s": one, "two_workers_s": two, "speedup": one / two,
            "control_speedup": spin_one / spin_two}


_MEASURE_CHILD = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
if code:
    sys.stderr.write(child.stderr.read().decode()[-500:])
print(wall, usage.ru_maxrss * 1024, code)
"""
"""Runs a command and reports its wall time, peak RSS and status: from a small process,
because Linux starts a child's peak RSS at its parent's RSS when it forks (the
benchmark's own process holds gigabytes of results by then)."""


def child_usage(command: Sequence[str]) -> tuple[float, int, int]:
    """Run ``command`` as a grandchild; return its wall seconds, peak RSS (bytes), status."""
    report = subprocess.run([sys.executable, "-c", _MEASURE_CHILD, *command],
                            capture_output=True, text=True, check=False)
    wall, peak, code = report.stdout.split()
    if int(code):
        raise RuntimeError(f"{' '.join(command)} failed: {report.stderr[-500:]}")
    return float(wall), int(peak), int(code)  # ru_maxrss: kB on Linux, made bytes


def measure_help(repeats: int) -> dict[str, float]:
    """Best-of wall seconds and peak RSS of ``python -m sim --help`` in a fresh interpreter."""
    runs = [child_usage([sys.executable, "-m", "sim", "--help"]) for _ in range(max(1, repeats))]
    return {"repeats": len(runs), "seconds": min(r[0] for r in runs),
            "peak_rss_mb": min(r[1] for r in runs) / MB}


def measure_streamed_run(scenario_path: str, n_runs: int) -> dict[str, Any]:
    """Peak RSS and wall time of ``sim run SCENARIO --runs n_runs`` in a child process."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as folder:
        out = Path(folder) / "run"
        wall, peak, _ = child_usage([sys.executable, "-m", "sim", "run", scenario_path,
                                     "--runs", str(n_runs), "--out", str(out)])
        size = (out / "results.parquet").stat().st_size
    return {"scenario": scenario_path, "runs": n_runs, "wall_s": wall,
            "peak_rss_mb": peak / MB, "results_mb": size / MB}


def measure_sweep(scenario_path: str, n_points: int, replicates: int,
                  repeats: int) -> dict[str, float]:
    """Model time of a sweep's points run point by point, against one batch of as many runs."""
    base = BaseScenario.read(scenario_path)
    detection = np.geomspace(0.01, 0.5, n_points)
    chunk = make_chunks([{"enforcement.detection": float(d)} for d in detection], n_points)[0]
    scenario = base.with_settings({})
    seeds = np.concatenate([run_seeds(0, point, replicates) for point in chunk.points])

    def plain() -> None:
        for part in iter_batch(scenario, seeds):
            outcomes_per_run(part)

    sweep_s = best_of(lambda: run_chunk(base, chunk, replicates, 0), repeats)
    batch_s = best_of(plain, repeats)
    return {"points": n_points, "replicates": replicates, "sweep_s": sweep_s,
            "batch_s": batch_s, "ratio": sweep_s / batch_s}


def measure_calibration(seeds: int, repeats: int) -> dict[str, float]:
    """Model time of a chunk of calibration draws, against one batch of as many runs."""
    target_set = load_targets(PUBLISHED_TARGETS)
    parameters, targets = target_set.parameters, target_set.targets
    rows = from_unit(parameters, sobol_unit(DRAWS_PER_CHUNK, len(parameters),
                                            np.random.default_rng(0)))
    replicates = np.arange(seeds, dtype=np.int64)
    (path,) = {t.scenario for t in targets}
    scenario = sim.load_scenario(path)

    def plain() -> None:
        results = run_batch(scenario, np.arange(DRAWS_PER_CHUNK * seeds))
        for target in targets:
            STATISTICS[target.statistic].compute(results, target.countries, target.window)

    chunk_s = best_of(lambda: simulate_draws(parameters, targets, rows, replicates), repeats)
    batch_s = best_of(plain, repeats)
    return {"draws": DRAWS_PER_CHUNK, "seeds": seeds, "chunk_s": chunk_s, "batch_s": batch_s,
            "ratio": chunk_s / batch_s}


def run_benchmark(scenario_path: str, config: Config) -> dict[str, Any]:
    """Measure every figure of the module docstring; return them as a JSON-able dict."""
    scenario = sim.load_scenario(scenario_path)
    world = World.from_scenario(scenario)
    n_firms, n_steps = world.firms.n_firms, world.n_steps
    report: dict[str, Any] = {
        "machine": machine_info(), "scenario": scenario_path, "config": asdict(config),
        "n_firms": n_firms, "n_steps": n_steps, "n_countries": len(world.countries),
        "n_state_arrays": N_FIRM_ARRAYS}
    run_batch(scenario, [0])  # warm-up

    core = []
    for n_runs in config.core_runs:
        seconds = time_core(scenario, n_runs, config.core_repeats if n_runs > 1 else 10)
        core.append({"runs": n_runs, "seconds": seconds,
                     "firm_steps_per_s": rate(n_runs, n_firms, n_steps, seconds)})
    report["core"] = core
    big = core[-1]

    report["engine"] = engine = kernels.engine()
    seconds, numpy_seconds = float("inf"), float("inf")
    for _ in range(max(1, config.agent_repeats)):  # interleaved with the core: a change of
        seconds = min(seconds, time_agent(scenario, config.agent_runs, 1))  # load hits both
        paired = time_core(scenario, big["runs"], 1)
        if paired < big["seconds"]:
            big.update(seconds=paired, firm_steps_per_s=rate(big["runs"], n_firms, n_steps,
                                                             paired))
        if engine != "numpy":
            with kernels.use_engine("numpy"):
                numpy_seconds = min(numpy_seconds, time_core(scenario, big["runs"], 1))
    agent_rate = rate(config.agent_runs, n_firms, n_steps, seconds)
    report["agent"] = {"runs": config.agent_runs, "seconds": seconds,
                       "firm_steps_per_s": agent_rate, "paired_rounds": config.agent_repeats}
    report["speedup_per_run"] = big["firm_steps_per_s"] / agent_rate
    if engine != "numpy":
        numpy_rate = rate(big["runs"], n_firms, n_steps, numpy_seconds)
        report["numpy_engine"] = {"runs": big["runs"], "seconds": numpy_seconds,
                                  "firm_steps_per_s": numpy_rate,
                                  "speedup_per_run": numpy_rate / agent_rate}

    first_come = sim.load_scenario(scenario_path, {"rules.allocation": "first_come"})
    seconds = time_core(first_come, big["runs"], config.core_repeats)
    fc_rate = rate(big["runs"], n_firms, n_steps, seconds)
    report["first_come"] = {"runs": big["runs"], "seconds": seconds,
                            "firm_steps_per_s": fc_rate,
                            "slowdown_vs_pro_rata": big["firm_steps_per_s"] / fc_rate,
                            "speedup_per_run": fc_rate / agent_rate}

    seconds = time_streaming(config.roofline_runs, n_firms, n_steps, N_FIRM_ARRAYS,
                             config.core_repeats)
    stream_rate = rate(config.roofline_runs, n_firms, n_steps, seconds)
    core_at = time_core(scenario, config.roofline_runs, config.core_repeats)
    core_rate = rate(config.roofline_runs, n_firms, n_steps, core_at)
    report["streaming"] = {"runs": config.roofline_runs, "n_arrays": N_FIRM_ARRAYS,
                           "seconds": seconds, "firm_steps_per_s": stream_rate,
                           "core_firm_steps_per_s": core_rate,
                           "core_fraction": core_rate / stream_rate}

    report["memory"] = [measure_memory(scenario_path, n, config.memory_budget_bytes)
                        for n in memory_runs(config.memory_runs, Layout.from_world(world))]

    report["scaling"] = measure_scaling(scenario_path, config.scaling_runs,
                                        config.scaling_repeats)
    report["two_core"] = {"runs": config.two_core_runs,
                          "seconds": time_workers(scenario_path, config.two_core_runs, 2, 1)}
    report["passes"] = count_months(scenario, config.pass_runs)
    report["sweep"] = measure_sweep(scenario_path, config.sweep_points,
                                    config.sweep_replicates, config.core_repeats)
    report["load_average_at_end"] = os.getloadavg()[0]
    report["targets"] = check_targets(report)
    return report


def check_targets(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Compare the figures with the issue's targets."""
    working = [m["traced_working_mb"] for m in report["memory"]]
    flat = max(working) / min(working)
    largest = report["memory"][-1]
    wall_10k = report["two_core"]["seconds"]
    return {
        "speedup_per_run": {"target": f">= {TARGET_SPEEDUP:g}x",
                            "value": report["speedup_per_run"],
                            "met": report["speedup_per_run"] >= TARGET_SPEEDUP},
        "speedup_issue_19": {"target": f">= {TARGET_WORLD_SPEEDUP:g}x (issue 19)",
                             "value": report["speedup_per_run"],
                             "met": report["speedup_per_run"] >= TARGET_WORLD_SPEEDUP},
        "streaming_fraction": {"target": ">= 1/3",
                               "value": report["streaming"]["core_fraction"],
                               "met": report["streaming"]["core_fraction"]
                               >= TARGET_STREAMING_FRACTION},
        "flat_memory": {"target": f"largest/smallest working memory <= {TARGET_FLAT_RATIO}",
                        "value": flat, "met": flat <= TARGET_FLAT_RATIO},
        "full_array_ops": {"target": f"<= {TARGET_PASSES_PER_MONTH} a month (mean)",
                           "value": report["passes"]["mean"],
                           "met": report["passes"]["mean"] <= TARGET_PASSES_PER_MONTH},
        "sweep_ratio": {"target": f"sweep <= {TARGET_SWEEP_RATIO:g}x one batch",
                        "value": report["sweep"]["ratio"],
                        "met": report["sweep"]["ratio"] <= TARGET_SWEEP_RATIO},
        "runs_on_two_cores": {"target": f"{report['two_core']['runs']} runs "
                              f"< {TARGET_10K_SECONDS:g} s on 2 cores",
                              "value": wall_10k, "one_process_s": largest["wall_s"],
                              "met": wall_10k < TARGET_10K_SECONDS},
    }


def format_table(report: dict[str, Any]) -> str:
    """Render the report as a small plain-text table."""
    m = report["machine"]
    lines = [f"machine: {m['platform']}; {m['cpu']}; {m['cores']} cores "
             f"({m['usable_cores']} usable); Python {m['python']}; NumPy {m['numpy']}; "
             f"load average {m['load_average_at_start']:.2f} at start, "
             f"{report['load_average_at_end']:.2f} at end",
             f"scenario: {report['scenario']} ({report['n_firms']} firms, "
             f"{report['n_countries']} countries, {report['n_steps']} months)", "",
             f"{'measure':<44}{'seconds':>10}{'firm-steps/s':>15}"]

    def row(label: str, seconds: float, per_s: float | None = None) -> None:
        rate_text = f"{per_s:>15.3g}" if per_s is not None else ""
        lines.append(f"{label:<44}{seconds:>10.3f}{rate_text}")

    for c in report["core"]:
        row(f"core, {c['runs']:,} runs", c["seconds"], c["firm_steps_per_s"])
    a, fc, s = report["agent"], report["first_come"], report["streaming"]
    row(f"agent model, {a['runs']} runs", a["seconds"], a["firm_steps_per_s"])
    row(f"core first_come, {fc['runs']:,} runs", fc["seconds"], fc["firm_steps_per_s"])
    row(f"streaming pass, {s['runs']:,} runs x {s['n_arrays']} arrays", s["seconds"],
        s["firm_steps_per_s"])
    lines += ["", f"{'runs':>8}{'wall s':>9}{'output MB':>11}{'RSS growth MB':>15}"
              f"{'RSS-output MB':>15}{'traced-output MB':>18}"]
    lines += [f"{r['runs']:>8,}{r['wall_s']:>9.2f}{r['output_mb']:>11.0f}"
              f"{r['rss_growth_mb']:>15.0f}{r['rss_working_mb']:>15.0f}"
              f"{r['traced_working_mb']:>18.0f}" for r in report["memory"]]
    sc, tc, sw = report["scaling"], report["two_core"], report["sweep"]
    numpy_engine = report.get("numpy_engine")
    lines += ["",
              f"speed-up per run, core ({report['core'][-1]['runs']:,} runs, "
              f"{report['engine']} engine) over agent: "
              f"{report['speedup_per_run']:.0f}x (first_come: {fc['speedup_per_run']:.0f}x, "
              f"{fc['slowdown_vs_pro_rata']:.2f}x slower than pro_rata)"
              + (f"; NumPy engine: {numpy_engine['speedup_per_run']:.0f}x"
                 if numpy_engine else ""),
              f"core at {s['runs']:,} runs / streaming pass: {s['core_fraction']:.2f}",
              f"{sc['runs']:,} runs: 1 worker {sc['one_worker_s']:.2f} s, 2 workers "
              f"{sc['two_workers_s']:.2f} s, speed-up {sc['speedup']:.2f}x "
              f"(pure-Python control: {sc['control_speedup']:.2f}x)",
              f"{tc['runs']:,} runs on 2 workers: {tc['seconds']:.1f} s",
              f"full-array operations a month: {report['passes']['mean']:.1f} mean, "
              f"{report['passes']['max']} largest",
              f"sweep of {sw['points']} points x {sw['replicates']} runs: {sw['sweep_s']:.2f} s, "
              f"one batch of as many runs: {sw['batch_s']:.2f} s ({sw['ratio']:.1f}x)",
              "", "targets:"]
    lines += [f"  {name:<20} {t['target']:<44} {t['value']:>9.3g}  "
              f"{'met' if t['met'] else 'MISSED'}" for name, t in report["targets"].items()]
    return "\n".join(lines)


def check_overall(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The targets measured once per benchmark: start-up and the streamed run's memory."""
    help_s, streamed = report["help"]["seconds"], report["streamed_run"]
    return {
        "help_seconds": {"target": f"sim --help < {TARGET_HELP_SECONDS:g} s", "value": help_s,
                         "met": help_s < TARGET_HELP_SECONDS},
        "streamed_peak_rss": {"target": f"sim run --runs {streamed['runs']:,} peak RSS "
                              f"< {TARGET_STREAMED_RSS_BYTES / 2**30:g} GiB",
                              "value": streamed["peak_rss_mb"] / 1024,
                              "met": streamed["peak_rss_mb"] * MB < TARGET_STREAMED_RSS_BYTES},
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the benchmark, print the tables, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", dest="scenarios",
                        help="scenario file (repeat for several; default: "
                             f"{', '.join(DEFAULT_SCENARIOS)})")
    parser.add_argument("--json", default="benchmarks/results.json", type=Path)
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--streamed-runs", type=int, help="runs of the streamed sim run "
                        "(default 100,000; 1,000 with --quick)")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else Config()
    if args.streamed_runs:
        config = replace(config, streamed_runs=args.streamed_runs)
    scenarios = args.scenarios or list(DEFAULT_SCENARIOS)
    start = time.perf_counter()
    report: dict[str, Any] = {"machine": machine_info(), "quick": args.quick,
                              "config": asdict(config), "scenarios": []}
    for path in scenarios:
        one = run_benchmark(path, config)
        del one["machine"], one["config"]
        report["scenarios"].append(one)
        print(format_table({**one, "machine": report["machine"]}), "\n")
    report["help"] = measure_help(config.help_repeats)
    report["calibration"] = measure_calibration(config.calibration_seeds, config.core_repeats)
    report["streamed_run"] = measure_streamed_run(scenarios[-1], config.streamed_runs)
    report["targets"] = check_overall(report)
    report["machine"]["load_average_at_end"] = os.getloadavg()[0]
    report["total_s"] = time.perf_counter() - start
    h, r, c = report["help"], report["streamed_run"], report["calibration"]
    print(f"sim --help: {h['seconds']:.3f} s; sim run {r['scenario']} --runs {r['runs']:,}: "
          f"peak RSS {r['peak_rss_mb']:,.0f} MB, {r['wall_s']:.0f} s")
    print(f"calibration chunk of {c['draws']} draws x {c['seeds']} seeds: {c['chunk_s']:.2f} s, "
          f"one batch of as many runs: {c['batch_s']:.2f} s ({c['ratio']:.1f}x)")
    print(f"\ntotal {report['total_s']:.0f} s; wrote {args.json}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
