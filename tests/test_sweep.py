"""Sweep files, designs, seeds, the store and the analysis (sim/sweep/)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import sim
from sim.cli import main
from sim.experiment.executors import ChunkFailure
from sim.experiment.folders import prepare_output
from sim.plots.sweep import sweep_figures
from sim.sweep.analysis import point_means, sobol_indices
from sim.sweep.design import design_points, unit_design
from sim.sweep.errors import SweepError
from sim.sweep.runner import run_sweep
from sim.sweep.spec import load_sweep
from sim.sweep.store import SweepStore
from sim.sweep.task import BaseScenario, Chunk, make_chunks, run_chunk, run_seeds

REPO = Path(__file__).resolve().parent.parent
SMALL_SWEEP = REPO / "tests" / "data" / "sweeps" / "small.toml"
SHIPPED_SWEEPS = sorted((REPO / "scenarios" / "sweeps").glob("*.toml"))
BASE = (REPO / "scenarios" / "ai_diffusion_2025.toml").as_posix()

GOOD = f'''
name = "t"
scenario = "{BASE}"
[design]
kind = "lhs"
points = 4
replicates = 2
seed = 1
[parameters]
"enforcement.detection" = {{ low = 0.1, high = 0.4 }}
[set]
"time.months" = 3
'''


def _write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", SHIPPED_SWEEPS, ids=lambda p: p.stem)
def test_shipped_sweeps_load(path: Path) -> None:
    spec = load_sweep(path)
    assert spec.points == len(design_points(spec))
    assert spec.scenario.is_file()


def _grid_of_levels(n_parameters: int, levels: int) -> str:
    keys = ["enforcement.detection", "diversion.broker_appetite", "diversion.divert_share"]
    lines = "".join(f'"{key}" = {{ low = 0.1, high = 0.9, levels = {levels} }}\n'
                    for key in keys[:n_parameters])
    return (f'name = "t"\nscenario = "{BASE}"\n[design]\nkind = "grid"\nreplicates = 1\n'
            f"seed = 1\n[parameters]\n{lines}")


BAD = [
    ("not toml", "name = ", "", "malformed TOML"),
    ("unknown top key", 'colour = "red"\n' + GOOD, "colour", "unknown key"),
    ("no parameters", GOOD.split("[parameters]")[0] + "[parameters]\n[set]\n",
     "parameters", "at least one parameter"),
    ("low above high", GOOD.replace("low = 0.1, high = 0.4", "low = 0.4, high = 0.1"),
     'parameters."enforcement.detection".low', "low < high"),
    ("zero points", GOOD.replace("points = 4", "points = 0"), "design.points", "integer in"),
    ("unknown parameter", GOOD.replace('"enforcement.detection"', '"enforcement.detectoin"'),
     'parameters."enforcement.detectoin"', "unknown key"),
    ("value out of range", GOOD.replace("high = 0.4", "high = 1.4"),
     'parameters."enforcement.detection"', "refused"),
    ("unknown design", GOOD.replace('kind = "lhs"', 'kind = "random"'), "design.kind",
     "expected one of"),
    ("sobol not power of 2", GOOD.replace('kind = "lhs"', 'kind = "sobol"').replace(
        "points = 4", "points = 6"), "design.points", "power of 2"),
    ("grid range without levels", GOOD.replace('kind = "lhs"', 'kind = "grid"').replace(
        "points = 4\n", ""), 'parameters."enforcement.detection".levels', "levels = 2"),
    ("missing base scenario", GOOD.replace(BASE, "nowhere.toml"), "scenario",
     "does not load"),
    ("bad fixed key", GOOD.replace('"time.months" = 3', '"time.mnths" = 3'),
     'set."time.mnths"', "unknown key"),
    ("typo in design key", GOOD.replace("replicates = 2", "replicate = 2"),
     "design.replicate", "did you mean 'design.replicates'"),
    ("empty values", GOOD.replace("{ low = 0.1, high = 0.4 }", "{ values = [] }"),
     'parameters."enforcement.detection".values', "non-empty list"),
    ("values and a range", GOOD.replace("{ low = 0.1, high = 0.4 }",
                                        "{ values = [0.1, 0.2], low = 0.1 }"),
     'parameters."enforcement.detection".low', "takes no low/high/levels/log"),
    ("repeated values", GOOD.replace("{ low = 0.1, high = 0.4 }", "{ values = [0.1, 0.1] }"),
     'parameters."enforcement.detection".values', "distinct values"),
    ("no bounds", GOOD.replace("{ low = 0.1, high = 0.4 }", "{ log = true }"),
     'parameters."enforcement.detection".low', "missing"),
    ("bound too long for a float", GOOD.replace("high = 0.4", "high = " + "9" * 400),
     'parameters."enforcement.detection".high', "finite number"),
    ("infinite bound", GOOD.replace("high = 0.4", "high = inf"),
     'parameters."enforcement.detection".high', "finite number"),
    ("parameter not a table", GOOD.replace("{ low = 0.1, high = 0.4 }", "3"),
     'parameters."enforcement.detection"', "expected a table"),
    ("missing design", GOOD.replace("[design]", "[other]"), "other", "unknown key"),
    ("levels beyond the points limit", GOOD.replace('kind = "lhs"', 'kind = "grid"').replace(
        "points = 4\n", "").replace("high = 0.4 }", "high = 0.4, levels = 1_000_000_000 }"),
     'parameters."enforcement.detection".levels', "integer in [2, 1000000]"),
    ("grid beyond the points limit", _grid_of_levels(3, 1000), "parameters",
     "at most 1,000,000 grid points, found 1,000,000,000"),
    ("saltelli beyond the points limit", GOOD.replace('kind = "lhs"', 'kind = "saltelli"')
     .replace("points = 4", "points = 524288"), "design.points", "at most 1,000,000 design"),
    ("lhs without points", GOOD.replace("points = 4\n", ""), "design.points", "missing"),
    ("points on a grid", GOOD.replace('kind = "lhs"', 'kind = "grid"'), "design.points",
     "remove design.points"),
    ("levels off a grid", GOOD.replace("high = 0.4 }", "high = 0.4, levels = 3 }"),
     'parameters."enforcement.detection".levels', "grid only"),
    ("integer range without a whole number", GOOD.replace(
        '"enforcement.detection" = { low = 0.1, high = 0.4 }',
        '"rules.cap_tpp" = { low = 0.2, high = 0.8 }'),
     'parameters."rules.cap_tpp".low', "whole number"),
    ("key both swept and fixed", GOOD.replace('"time.months" = 3',
                                              '"enforcement.detection" = 0.2'),
     'parameters."enforcement.detection"', "also fixed in [set]"),
    ("set not a table", "set = 3\n" + GOOD.split("[set]")[0], "set", "expected a table"),
    ("scenario name with a NUL", GOOD.replace(BASE, "a\\u0000b.toml"), "scenario",
     "expected a file that can be resolved"),
]


@pytest.mark.parametrize(("label", "text", "key", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_sweep_files_name_file_key_and_expectation(tmp_path: Path, label: str, text: str,
                                                       key: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SweepError) as caught:
        load_sweep(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert caught.value.key == key
    assert expected in message
    assert "\n" not in message


def test_a_base_scenario_in_a_symlink_loop_names_the_scenario_key(tmp_path: Path) -> None:
    (tmp_path / "loop.toml").symlink_to(tmp_path / "loop.toml")
    path = _write(tmp_path, GOOD.replace(BASE, "loop.toml"))
    with pytest.raises(SweepError) as caught:
        load_sweep(path)
    assert caught.value.key == "scenario" and "\n" not in str(caught.value)


def test_bad_sweep_on_the_command_line_exits_2_with_one_line(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path, GOOD.replace("high = 0.4", "high = 1.4"))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and "enforcement.detection" in err
    assert not (tmp_path / "out").exists()


def test_missing_sweep_file_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["sweep", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_unwritable_output_folder_exits_2(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["sweep", str(SMALL_SWEEP), "--out", str(blocker / "out"), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(blocker) in err


def _sweep(kind: str, parameters: str, points: int | None = 4) -> str:
    size = f"points = {points}\n" if points is not None else ""
    return (f'name = "t"\nscenario = "{BASE}"\n[design]\nkind = "{kind}"\n{size}'
            f'replicates = 2\nseed = 1\n[parameters]\n{parameters}\n'
            '[set]\n"time.months" = 3\n')


def test_grid_is_the_product_of_levels(tmp_path: Path) -> None:
    text = _sweep("grid", '"enforcement.detection" = { low = 0.1, high = 0.4, levels = 4 }\n'
                          '"rules.allocation" = { values = ["pro_rata", "first_come"] }',
                  points=None)
    spec = load_sweep(_write(tmp_path, text))
    points = design_points(spec)
    assert spec.points == 8 == len(points)
    assert {p["rules.allocation"] for p in points} == {"pro_rata", "first_come"}
    assert sorted({p["enforcement.detection"] for p in points}) == pytest.approx(
        [0.1, 0.2, 0.3, 0.4])


def test_latin_hypercube_fills_every_stratum_and_is_deterministic(tmp_path: Path) -> None:
    spec = load_sweep(_write(tmp_path, GOOD.replace("points = 4", "points = 20")))
    unit = unit_design(spec)
    strata = np.floor(unit[:, 0] * 20).astype(int)
    assert sorted(strata) == list(range(20))
    assert np.array_equal(unit, unit_design(spec))


def test_integer_keys_are_rounded_and_log_ranges_stay_in_bounds(tmp_path: Path) -> None:
    text = GOOD.replace('"enforcement.detection" = { low = 0.1, high = 0.4 }',
                        '"rules.cap_tpp" = { low = 1e8, high = 1e9, log = true }')
    spec = load_sweep(_write(tmp_path, text.replace("points = 4", "points = 64")))
    values = np.array([p["rules.cap_tpp"] for p in design_points(spec)])
    assert all(isinstance(v, int) for v in values.tolist())
    assert values.min() >= 1e8 and values.max() <= 1e9
    # log-uniform: about half the points below the geometric mean
    assert 20 <= (values < np.sqrt(1e8 * 1e9)).sum() <= 44


TWO_RANGES = ('"enforcement.detection" = { low = 0.1, high = 0.4 }\n'
              '"diversion.broker_appetite" = { low = 0.5, high = 2.0 }')


def test_saltelli_design_has_n_times_d_plus_2_points(tmp_path: Path) -> None:
    spec = load_sweep(_write(tmp_path, _sweep("saltelli", TWO_RANGES)))
    assert spec.points == 4 * (2 + 2) == len(design_points(spec))


def test_seeds_depend_only_on_sweep_seed_point_and_replicate() -> None:
    seeds = run_seeds(7, 3, 5)
    assert seeds.dtype == np.int64 and (seeds >= 0).all()
    assert len(set(seeds.tolist())) == 5
    assert np.array_equal(run_seeds(7, 3, 2), seeds[:2])
    assert not np.array_equal(run_seeds(7, 4, 5), seeds)
    assert not np.array_equal(run_seeds(8, 3, 5), seeds)


def test_a_chunk_gives_the_same_rows_however_points_are_grouped(tmp_path: Path) -> None:
    spec = load_sweep(_write(tmp_path, GOOD))
    settings = design_points(spec)
    base = BaseScenario.read(spec.scenario)
    together = run_chunk(base, make_chunks(settings, 4)[0], 2, 1, spec.fixed)
    apart = pd.concat([run_chunk(base, chunk, 2, 1, spec.fixed)
                       for chunk in make_chunks(settings, 1)], ignore_index=True)
    pd.testing.assert_frame_equal(together, apart)
    assert list(together["point"]) == [0, 0, 1, 1, 2, 2, 3, 3]


def test_rerun_skips_finished_chunks_and_changed_sweep_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    out = tmp_path / "out"
    first = run_sweep(path, out, workers=1, progress=False)
    assert first.complete and first.ran == load_sweep(path).n_chunks and first.skipped == 0
    second = run_sweep(path, out, workers=1, progress=False)
    assert second.ran == 0 and second.skipped == first.ran
    pd.testing.assert_frame_equal(first.runs, second.runs)
    _write(tmp_path, GOOD.replace("seed = 1", "seed = 2"))
    with pytest.raises(SweepError, match="holds the sweep 't'"):
        run_sweep(path, out, workers=1, progress=False)


def test_a_truncated_part_is_deleted_and_recomputed_saying_so(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path, GOOD)
    out = tmp_path / "out"
    first = run_sweep(path, out, workers=1, progress=False)
    part = sorted((out / "parts").glob("chunk-*.parquet"))[0]
    part.write_bytes(part.read_bytes()[: len(part.read_bytes()) // 2])
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 0
    err = capsys.readouterr().err
    [note] = [line for line in err.splitlines() if part.name in line]
    assert "damaged" in note and "run again" in note
    pd.testing.assert_frame_equal(pq.read_table(out / "outcomes.parquet").to_pandas(), first.runs)


def test_leftover_temporary_files_are_deleted_unread(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    out = tmp_path / "out"
    spec = load_sweep(path)
    SweepStore(prepare_output(out, "sweep"), spec).open(design_points(spec)).close()
    leftover = out / "parts" / ".chunk-000000.parquet.abc.tmp"
    leftover.write_bytes(b"half a file")
    report = run_sweep(path, out, workers=1, progress=False)
    assert report.complete and not leftover.exists()


def test_failed_chunks_are_recorded_and_finished_ones_kept(tmp_path: Path) -> None:
    # An executor that loses chunk 1 (as a worker death would): the others finish.
    spec = load_sweep(_write(tmp_path, GOOD))
    out = tmp_path / "out"

    class FailingSecond:
        description = "test executor failing chunk 1"

        def run(self, function, chunks):
            for chunk in chunks:
                yield chunk, (ChunkFailure.lost(RuntimeError("worker lost")) if chunk.index == 1
                              else function(chunk))

        def close(self) -> None:
            pass

    report = run_sweep(spec, out, executor=FailingSecond(), progress=False)
    assert report.failed == {1: ChunkFailure("lost", "RuntimeError: worker lost")}
    assert not report.complete
    failures = json.loads((out / "failures.json").read_text())
    assert failures[0]["chunk"] == 1 and failures[0]["points"] == list(
        make_chunks(design_points(spec), spec.chunk_points)[1].points)
    assert failures[0]["kind"] == "lost" and failures[0]["error"] == "RuntimeError: worker lost"
    assert not (out / "outcomes.parquet").exists()
    finished = run_sweep(spec, out, workers=1, progress=False)
    assert finished.complete and finished.ran == 1 and not (out / "failures.json").exists()


def test_outcomes_file_holds_every_point_once_with_metadata(tmp_path: Path) -> None:
    report = run_sweep(SMALL_SWEEP, tmp_path / "out", workers=1, progress=False)
    sweep_figures(report, tmp_path / "out")
    table = pq.read_table(tmp_path / "out" / "outcomes.parquet")
    frame = table.to_pandas()
    assert len(frame) == report.spec.points * report.spec.replicates
    assert not frame.duplicated(["point", "replicate"]).any()
    header = json.loads(table.schema.metadata[b"sim-sweep"])
    assert header["digest"] == report.spec.digest()
    assert (tmp_path / "out" / "responses.png").stat().st_size > 10_000


def test_sobol_indices_find_the_only_parameter_that_matters(tmp_path: Path) -> None:
    spec = load_sweep(_write(tmp_path, _sweep("saltelli", TWO_RANGES, points=256)))
    settings = design_points(spec)
    means = pd.DataFrame(settings)
    means.insert(0, "point", range(len(settings)))
    x = means["enforcement.detection"].to_numpy()
    from sim.experiment.outcomes import OUTCOMES

    for outcome in OUTCOMES:
        means[outcome] = 1000.0 * x ** 2
    indices = sobol_indices(means, spec)
    detection = indices[indices["parameter"] == "enforcement.detection"]
    appetite = indices[indices["parameter"] == "diversion.broker_appetite"]
    assert (detection["ST"] > 0.9).all()
    assert (appetite["ST"].abs() < 0.05).all()


def test_point_means_average_replicates() -> None:
    runs = pd.DataFrame({"point": [0, 0, 1, 1], "replicate": [0, 1, 0, 1], "k": [1, 1, 2, 2]})
    from sim.experiment.outcomes import OUTCOMES

    for i, outcome in enumerate(OUTCOMES):
        runs[outcome] = [i, i + 2, 10.0, 20.0]

    class Spec:
        keys = ("k",)

    means = point_means(runs, Spec())  # type: ignore[arg-type]
    assert list(means["k"]) == [1, 2]
    assert list(means["tier3_legal_h100e"]) == [1.0, 15.0]


def test_chunks_cover_every_point_once() -> None:
    settings = [{"a": i} for i in range(11)]
    chunks = make_chunks(settings, 4)
    assert [c.points for c in chunks] == [(0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10)]
    assert all(isinstance(c, Chunk) for c in chunks)
    assert [s["a"] for c in chunks for s in c.settings] == list(range(11))


def test_common_seeds_give_every_point_the_same_seeds(tmp_path: Path) -> None:
    text = GOOD.replace("seed = 1\n", "seed = 1\ncommon_seeds = true\n")
    common = run_sweep(_write(tmp_path, text, "common.toml"), tmp_path / "c", workers=1,
                       progress=False).runs
    own = run_sweep(_write(tmp_path, GOOD, "own.toml"), tmp_path / "o", workers=1,
                    progress=False).runs
    assert common.groupby("replicate")["seed"].nunique().eq(1).all()
    assert own.groupby("replicate")["seed"].nunique().eq(own["point"].nunique()).all()


def test_chunks_whose_workers_died_end_the_command_with_exit_2_and_one_line(
        tmp_path: Path, monkeypatch, capsys) -> None:
    import sim.sweep.runner as runner

    class LosesChunkZero:
        description = "an executor whose worker dies on chunk 0"

        def run(self, function, chunks):
            for chunk in chunks:
                yield chunk, (ChunkFailure.lost(OSError("worker died")) if chunk.index == 0
                              else function(chunk))

        def close(self) -> None:
            pass

    monkeypatch.setattr(runner, "make_executor",
                        lambda workers, scheduler, security=None: LosesChunkZero())
    path, out = _write(tmp_path, GOOD), tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith(f"error: {out / 'failures.json'}: 1 chunk(s) failed")
    assert "OSError: worker died" in err[-1] and "rerun the same command" in err[-1]
    assert "a rerun can succeed" in err[-1]
    assert len(list((out / "parts").glob("chunk-*.parquet"))) == load_sweep(path).n_chunks - 1


def _chunk_one_raises(monkeypatch, error: Exception) -> None:
    """Make chunk 1 of any sweep raise ``error`` (in this process: --workers 1)."""
    import sim.sweep.runner as runner

    real = runner.run_chunk

    def run_chunk(scenario_path, chunk, **kwargs):
        if chunk.index == 1:
            raise error
        return real(scenario_path, chunk, **kwargs)

    monkeypatch.setattr(runner, "run_chunk", run_chunk)


def test_a_programming_error_in_a_chunk_is_exit_1_with_its_traceback(tmp_path: Path,
                                                                    monkeypatch,
                                                                    capsys) -> None:
    _chunk_one_raises(monkeypatch, KeyError("a bug"))
    path, out = _write(tmp_path, GOOD), tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 1
    err = capsys.readouterr().err
    traceback = err[err.index("Traceback (most recent call last)"):]  # after the progress line
    assert "in run_chunk" in traceback and "KeyError: 'a bug'" in traceback
    last = err.splitlines()[-1]
    assert last.startswith("error: chunk 1 raised a programming error")
    assert str(out / "failures.json") in last
    # the other chunks finished and are saved; failures.json keeps the whole traceback
    assert len(list((out / "parts").glob("chunk-*.parquet"))) == load_sweep(path).n_chunks - 1
    [failure] = json.loads((out / "failures.json").read_text())
    assert failure["chunk"] == 1 and failure["kind"] == "bug"
    assert failure["error"] == "KeyError: 'a bug'"
    assert "in run_chunk" in failure["traceback"] and "KeyError" in failure["traceback"]


def test_a_user_mistake_in_a_chunk_is_exit_2_with_one_line(tmp_path: Path, monkeypatch,
                                                            capsys) -> None:
    mistake = sim.ScenarioError("base.toml", "rules.tiers_from", "expected a month before "
                                "rules.tiers_until, found 2026-01")
    _chunk_one_raises(monkeypatch, mistake)
    path, out = _write(tmp_path, GOOD), tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith("error:")]
    assert err.endswith(line + "\n")
    assert line.startswith(f"error: {out / 'failures.json'}: 1 chunk(s) failed")
    assert str(mistake) in line
    assert len(list((out / "parts").glob("chunk-*.parquet"))) == load_sweep(path).n_chunks - 1
    [failure] = json.loads((out / "failures.json").read_text())
    assert failure["kind"] == "user" and failure["error"] == str(mistake)


def test_unreachable_scheduler_exits_2_with_one_line(tmp_path: Path, monkeypatch,
                                                     capsys) -> None:
    import sim.experiment.executors as executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "1s")
    path = _write(tmp_path, GOOD)
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--scheduler",
                 "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expected a reachable Dask scheduler" in err


def test_workers_with_a_remote_scheduler_is_refused(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path, GOOD)
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--scheduler",
                 "tcp://127.0.0.1:9", "--workers", "3"]) == 2
    assert "--scheduler local" in capsys.readouterr().err


def test_noise_range_is_the_range_noise_alone_gives() -> None:
    from sim.sweep.analysis import noise_range

    assert noise_range(2) == pytest.approx(2.77, abs=0.03)  # studentized range, df = inf
    assert noise_range(8) == pytest.approx(4.29, abs=0.03)
    draws = np.random.default_rng(11).standard_normal((20_000, 5))
    assert np.mean(np.ptp(draws, axis=1) > noise_range(5)) == pytest.approx(0.05, abs=0.01)


def test_a_near_constant_outcome_is_flagged_not_read_as_an_effect(tmp_path: Path) -> None:
    from sim.experiment.outcomes import OUTCOMES

    spec = load_sweep(_write(tmp_path, _sweep("saltelli", TWO_RANGES, points=64)))
    means = pd.DataFrame(design_points(spec))
    means.insert(0, "point", range(len(means)))
    x = means["diversion.broker_appetite"].to_numpy()
    for outcome in OUTCOMES:
        means[outcome] = 1000.0 * x
    means["tier3_legal_h100e"] = 35_883.0 + 0.5 * x  # the case: a SD under 1 H100e
    indices = sobol_indices(means, spec).groupby("outcome").first()
    assert indices.loc["tier3_legal_h100e", "near_constant"]
    assert indices.loc["tier3_legal_h100e", "outcome_sd"] < 1
    assert not indices.loc["tier3_diverted_h100e", "near_constant"]


def test_noise_is_not_drawn_as_a_response() -> None:
    from sim.experiment.parameters import Parameter
    from sim.plots.sweep import _responds

    rng = np.random.default_rng(5)
    level = np.repeat([0.1, 0.2, 0.3], 40)
    means = pd.DataFrame({"enforcement.detection": level,
                          "noise": 100.0 + rng.normal(0, 1, level.size),
                          "trend": 100.0 + 30 * level + rng.normal(0, 1, level.size)})
    parameter = Parameter("enforcement.detection", values=(0.1, 0.2, 0.3))
    assert not _responds(means, parameter, "noise", float("nan"))
    assert _responds(means, parameter, "trend", float("nan"))
