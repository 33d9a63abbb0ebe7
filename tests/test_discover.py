"""Scenario discovery: PRIM (sim/sweep/prim.py) and ``sim discover`` on a finished sweep folder.

PRIM is checked on synthetic data with a known box, on a grid, against its
own definitions (binomial quasi-p-values, mass, density), and against EMA
Workbench's implementation where EMA installs. The command runs on a small
synthetic sweep folder (the files ``sim sweep`` writes, with a planted box),
so the file stays fast.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from sim.cli import main
from sim.experiment.folders import COMPLETE, MARKER
from sim.experiment.outcomes import OUTCOMES
from sim.sweep.prim import (
    PrimSettings,
    box_statistics,
    chosen_box,
    peeling_trajectory,
    quasi_p_values,
)

KEYS = ("enforcement.detection", "diversion.broker_appetite", "market.remote_share")


def planted(seed: int, n: int = 2000, d: int = 4, noise: float = 0.05):
    """Uniform points in [0, 1]^d; y = 1 iff x0 < 0.3 and x1 > 0.6, then ``noise`` flipped."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, d))
    y = (x[:, 0] < 0.3) & (x[:, 1] > 0.6)
    return x, y ^ (rng.uniform(size=n) < noise)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prim_recovers_a_planted_box(seed):
    x, y = planted(seed)
    t = peeling_trajectory(x, y)
    s = box_statistics(x, y, t.lower, t.upper)
    # the trajectory passes through the planted box: its two limits within 0.05, the rest free
    off = np.maximum.reduce([np.abs(t.upper[:, 0] - 0.3), np.abs(t.lower[:, 1] - 0.6),
                             t.lower[:, [0, 2, 3]].max(axis=1),
                             1 - t.upper[:, [1, 2, 3]].min(axis=1)])
    near = np.flatnonzero(off < 0.05)
    assert near.size and s["density"][near].max() > 0.9
    # the chosen box is dense, holds half the runs of interest, and lies inside the planted
    # box (noise makes density flat inside it, so peeling may go on past its edges)
    b = chosen_box(s["coverage"], s["density"], 0.5)
    assert s["density"][b] > 0.9 and s["coverage"][b] >= 0.5
    assert 0.2 < t.upper[b, 0] < 0.35 and 0.55 < t.lower[b, 1] < 0.7
    p_low, p_high = quasi_p_values(x, y, t.lower[b], t.upper[b], t.initial_lower,
                                   t.initial_upper)
    assert p_high[0] < 1e-10 and p_low[1] < 1e-10  # the planted limits matter
    others = np.concatenate([p_low[2:], p_high[2:], p_low[:1], p_high[1:2]])
    assert np.all(np.isnan(others) | (others > 1e-3))  # nothing else is that significant


def test_trajectory_is_a_trade_off_of_growing_density():
    x, y = planted(3)
    settings = PrimSettings(peel_alpha=0.1, mass_min=0.1)
    t = peeling_trajectory(x, y, settings)
    s = box_statistics(x, y, t.lower, t.upper)
    assert s["mass"][0] == 1 and s["coverage"][0] == 1 and not t.restricted[0].any()
    assert np.all(np.diff(s["density"]) > 0)  # every accepted peel and paste raises density
    assert np.all(s["mass"] >= settings.mass_min)
    peeled = s["mass"][1:t.pasted] / s["mass"][:t.pasted - 1]
    assert np.all(peeled < 1) and np.all(peeled > 1 - 2 * settings.peel_alpha)
    assert np.all(np.diff(s["mass"][t.pasted - 1:]) > 0)  # pasting only widens


def test_a_grid_level_is_peeled_whole():
    levels = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    x = np.stack(np.meshgrid(levels, [1.0, 2.0, 4.0], indexing="ij"), axis=-1).reshape(-1, 2)
    x = np.repeat(x, 20, axis=0)
    y = x[:, 0] <= 0.1
    t = peeling_trajectory(x, y)
    cuts = set(np.round(t.upper[:, 0], 12)) - {0.5}
    assert cuts and cuts <= set(np.round((levels[:-1] + levels[1:]) / 2, 12))
    s = box_statistics(x, y, t.lower, t.upper)
    assert s["density"][-1] == 1 and s["coverage"][-1] == 1


def test_quasi_p_value_is_the_one_sided_binomial_test():
    x, y = planted(4, n=500)
    lower, upper = x.min(axis=0), x.max(axis=0)
    lower[1:3], upper[0] = (0.55, 0.1), 0.35
    p_low, p_high = quasi_p_values(x, y, lower, upper, x.min(axis=0), x.max(axis=0))
    inside = ((x >= lower) & (x <= upper)).all(axis=1)
    freed = upper.copy()
    freed[0] = x[:, 0].max()
    without = ((x >= lower) & (x <= freed)).all(axis=1)
    expected = binomtest(int(y[inside].sum()), int(inside.sum()), y[without].mean(),
                         alternative="greater").pvalue
    assert p_high[0] == pytest.approx(expected, rel=1e-9)
    assert np.isnan(p_low[0]) and np.isnan(p_high[1]) and np.isnan(p_low[3])
    assert np.isfinite(p_low[1]) and np.isfinite(p_low[2])


def test_chosen_box_rule():
    coverage = np.array([1.0, 0.9, 0.6, 0.5, 0.3])
    density = np.array([0.2, 0.4, 0.7, 0.7, 0.95])
    assert chosen_box(coverage, density, 0.5) == 2  # densest at coverage >= 0.5; ties: coverage
    assert chosen_box(coverage, density, 0.2) == 4
    assert chosen_box(coverage, density, 0.95) == 0


def test_prim_agrees_with_ema_workbench():
    prim = pytest.importorskip(
        "ema_workbench.analysis.prim",
        reason="EMA Workbench is not a dependency (pip install ema_workbench); this "
               "cross-check runs only where it installs")
    x, y = planted(5, n=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ema = prim.Prim(pd.DataFrame(x, columns=list("abcd")), y.astype(int), threshold=0.5,
                        peel_alpha=0.05, paste_alpha=0.05, mass_min=0.05)
        box = ema.find_box()
    t = peeling_trajectory(x, y)
    limits = np.array([frame.to_numpy() for frame in box.box_lims])
    np.testing.assert_allclose(limits[:, 0], t.lower)
    np.testing.assert_allclose(limits[:, 1], t.upper)
    s = box_statistics(x, y, t.lower, t.upper)
    for column in ("coverage", "density", "mass"):
        np.testing.assert_allclose(box.peeling_trajectory[column], s[column])
    last = len(t.lower) - 1
    p_low, p_high = quasi_p_values(x, y, t.lower[last], t.upper[last], t.initial_lower,
                                   t.initial_upper)
    for j, name in enumerate("abcd"):
        theirs = box.qp[last].get(name, [-1, -1])
        for ours, their in zip((p_low[j], p_high[j]), theirs, strict=True):
            assert (np.isnan(ours) and their == -1) or ours == pytest.approx(their, rel=1e-9)


# --- the command, on a synthetic sweep folder -------------------------------------------------

def write_sweep(folder: Path, seed: int = 0, n: int = 600) -> pd.DataFrame:
    """Write what a finished ``sim sweep`` leaves, with a planted box in tier3_diverted_h100e."""
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame({"point": np.arange(n), "replicate": 0})
    runs[KEYS[0]] = rng.uniform(0.0, 0.5, n)
    runs[KEYS[1]] = rng.uniform(0.25, 4.0, n)
    runs[KEYS[2]] = rng.choice([0.0, 0.2, 0.4, 0.6], n)
    runs["seed"] = np.arange(n)
    hot = (runs[KEYS[0]] < 0.1) & (runs[KEYS[1]] > 2.0)
    for outcome in OUTCOMES:
        runs[outcome] = rng.uniform(0, 1, n)
    runs["tier3_diverted_h100e"] = np.where(hot, 400_000, 50_000) + rng.normal(0, 10_000, n)
    folder.mkdir(parents=True)
    runs.to_parquet(folder / "outcomes.parquet")
    parameters = [{"key": KEYS[0], "low": 0.0, "high": 0.5, "values": [], "log": False},
                  {"key": KEYS[1], "low": 0.25, "high": 4.0, "values": [], "log": True},
                  {"key": KEYS[2], "low": None, "high": None, "values": [0.0, 0.2, 0.4, 0.6],
                   "log": False}]
    (folder / "sweep.json").write_text(json.dumps({"spec": {"name": "t",
                                                           "parameters": parameters}}))
    (folder / MARKER).write_text(json.dumps({"kind": "sweep", "version": "0"}))
    (folder / COMPLETE).write_text(json.dumps({"kind": "sweep", "version": "0",
                                               "files": ["outcomes.parquet"]}))
    return runs


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("discover") / "sweep"
    write_sweep(folder)
    return folder


def test_discover_writes_the_three_files_and_prints_the_box(sweep_dir, tmp_path, capsys):
    out = tmp_path / "found"
    assert main(["discover", str(sweep_dir), "--outcome", "tier3_diverted_h100e",
                 "--above", "300000", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert {p.name for p in out.iterdir()} >= {"boxes.csv", "tradeoff.png", "box.png"}
    assert json.loads((out / COMPLETE).read_text())["kind"] == "discover"
    boxes = pd.read_csv(out / "boxes.csv")
    row = boxes[boxes["chosen"]].iloc[0]
    assert row["coverage"] >= 0.5 and row["density"] > 0.9
    assert row[f"{KEYS[0]}.high"] == pytest.approx(0.1, abs=0.03)
    assert row[f"{KEYS[1]}.low"] == pytest.approx(2.0, abs=0.3)
    assert row[f"{KEYS[0]}.p_high"] < 1e-6 and np.isnan(row[f"{KEYS[0]}.p_low"])
    # the table's statistics are the box's, recomputed from the runs
    runs = pd.read_parquet(sweep_dir / "outcomes.parquet")
    x = runs[list(KEYS)].to_numpy()
    lower = row[[f"{k}.low" for k in KEYS]].to_numpy(float)
    upper = row[[f"{k}.high" for k in KEYS]].to_numpy(float)
    inside = ((x >= lower) & (x <= upper)).all(axis=1)
    y = runs["tier3_diverted_h100e"].to_numpy() > 300_000
    assert row["runs"] == inside.sum() and row["runs_of_interest"] == (inside & y).sum()
    assert row["mass"] == pytest.approx(inside.mean())
    assert row["density"] == pytest.approx(y[inside].mean())
    assert row["coverage"] == pytest.approx((inside & y).sum() / y.sum())
    assert boxes["box"].tolist() == list(range(len(boxes))) and boxes["phase"][0] == "start"
    assert (boxes["restricted"] == 0).iloc[0] and boxes["chosen"].sum() == 1
    assert "tier3_diverted_h100e above 300k happens in" in printed
    assert f"{KEYS[0]} <=" in printed and f"{KEYS[1]} >=" in printed
    assert f"{row['density']:.0%} of the runs" in printed
    assert f"hold {row['coverage']:.0%} of all such runs" in printed


def test_discover_default_folder_top_share_and_force(sweep_dir, capsys):
    args = ["discover", str(sweep_dir), "--outcome", "tier3_diverted_h100e", "--top-share",
            "0.1", "--coverage-min", "0.3"]
    assert main(args) == 0
    out = sweep_dir / "discover-tier3_diverted_h100e"
    boxes = pd.read_csv(out / "boxes.csv")
    assert boxes[boxes["chosen"]].iloc[0]["coverage"] >= 0.3
    assert "in the top 10% of runs" in capsys.readouterr().out
    assert main(args) == 2  # an earlier discover there: refused without --force
    assert "--force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0


def _run_folder(path: Path) -> Path:
    path.mkdir()
    (path / MARKER).write_text(json.dumps({"kind": "run", "version": "0"}))
    (path / COMPLETE).write_text(json.dumps({"kind": "run", "version": "0", "files": []}))
    return path


def _unfinished(path: Path) -> Path:
    write_sweep(path)
    (path / COMPLETE).unlink()
    return path


@pytest.mark.parametrize(("make", "extra", "named"), [
    pytest.param(lambda p: p / "missing", ["--above", "1"], "missing", id="no-folder"),
    pytest.param(_unfinished, ["--above", "1"], COMPLETE, id="unfinished-sweep"),
    pytest.param(_run_folder, ["--above", "1"], "sim run", id="not-a-sweep"),
    pytest.param(None, ["--outcome", "leakage", "--above", "1"], "tier3_diverted_h100e",
                 id="unknown-outcome"),
    pytest.param(None, ["--above", "1e9"], "--above", id="selects-none"),
    pytest.param(None, ["--below", "1e9"], "--below", id="selects-all"),
    pytest.param(None, ["--top-share", "1.5"], "--top-share", id="share-outside-0-1"),
    pytest.param(None, [], "--above", id="no-rule"),
    pytest.param(None, ["--above", "1", "--below", "2"], "--below", id="two-rules"),
])
def test_bad_input_is_one_line_and_exit_2(make, extra, named, sweep_dir, tmp_path, capsys):
    folder = sweep_dir if make is None else make(tmp_path / "sweep")
    outcome = [] if "--outcome" in extra else ["--outcome", "tier3_diverted_h100e"]
    status = exit_status(["discover", str(folder), *outcome, *extra,
                          "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and named in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def exit_status(argv: list[str]) -> int:
    """Return the command's exit status, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)
