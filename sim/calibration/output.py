"""Write a calibration to its output folder: tables, a scenario file, a record.

Files written in ``out``:

* ``accepted.csv``: the accepted parameter sets, closest first, with their
  distance and each target's mean over the replicates;
* ``prior_draws.csv``: the same for round 0's draws from the prior;
* ``posterior.csv``: per parameter, prior, posterior 5/50/95% and the
  calibrated value;
* ``rounds.csv``: tolerance, acceptance and simulations of each round;
* ``calibrated.toml``: a scenario that ``extends`` the targets file's
  ``calibrated_base`` with the calibrated values;
* ``calibration.json``: settings, provenance and timings.

Each file is written atomically (:mod:`sim.atomic`); the command writes the
folder's completion record last (:func:`sim.experiment.folders.finish_output`).

The figures (``posterior.png``, ``posterior_pairs.png``, ``targets.png``) are
drawn by :func:`sim.plots.calibration.calibration_figures`. The folder is
prepared by :func:`sim.experiment.folders.prepare_output` with kind
``"calibrate"``.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.atomic import write_text_atomically
from sim.calibration.abc import Posterior
from sim.scenario import ScenarioError, load_scenario

__all__ = ["calibrated_toml", "write_outputs"]


def _draws_frame(posterior: Posterior, values: np.ndarray, statistics: np.ndarray,
                 distances: np.ndarray | None) -> pd.DataFrame:
    frame = pd.DataFrame(values, columns=[p.key for p in posterior.target_set.parameters])
    if distances is not None:
        frame.insert(0, "distance", distances)
    for k, target in enumerate(posterior.target_set.targets):
        frame[f"{target.name} (mean)"] = statistics[:, k].mean(axis=1)
    return frame


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    try:
        tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        return json.dumps(text)
    return text


def calibrated_toml(posterior: Posterior, out: Path, command: str) -> str:
    """Return the text of a scenario that extends the base with the calibrated values.

    Each value line's comment gives the posterior's 90% interval and the prior.
    """
    target_set = posterior.target_set
    summary = posterior.summary().set_index("parameter")
    tables: dict[str, list[str]] = {}
    for key, raw in posterior.overrides.items():
        table, _, leaf = key.rpartition(".")
        tables.setdefault(table, []).append(f"{leaf} = {_toml_value(raw)}  # fixed by --set")
    calibrated = posterior.calibrated()
    for p in target_set.parameters:
        table, _, leaf = p.key.rpartition(".")
        row = summary.loc[p.key]
        line = f"{leaf} = {_toml_value(calibrated[p.key])}"
        tables.setdefault(table, []).append(
            f"{line:<40} # posterior 90%: [{row['p05']:.3g}, {row['p95']:.3g}]; "
            f"prior {p.scale} [{p.low:g}, {p.high:g}]")
    base = os.path.relpath(target_set.calibrated_base.resolve(), out.resolve())
    lines = [
        f"# Calibrated against {target_set.file} by",
        f"#   {command}",
        f"# ABC ({posterior.simulations} simulations, {len(posterior.values)} accepted, "
        f"tolerance {posterior.epsilon:.3f}).",
        "# Each value is the posterior medoid (the accepted parameter set closest to the",
        "# marginal medians), rounded to 3 significant figures.",
        f"extends = {json.dumps(base)}",
        f"name = {json.dumps(target_set.name + '_calibrated')}",
        f"description = {json.dumps('Calibrated against ' + target_set.name + ' targets.')}",
    ]
    lines += tables.pop("", [])
    for table, entries in sorted(tables.items()):
        lines += ["", f"[{table}]", *entries]
    return "\n".join(lines) + "\n"


def _settings_record(posterior: Posterior, command: str, seconds: float) -> dict[str, Any]:
    return {
        "command": command, "targets": str(posterior.target_set.file),
        "settings": asdict(posterior.settings), "overrides": posterior.overrides,
        "simulations": posterior.simulations, "accepted": len(posterior.values),
        "distinct_accepted": posterior.n_distinct, "epsilon": posterior.epsilon,
        "rounds": [asdict(r) for r in posterior.rounds], "seconds": round(seconds, 1),
        "version": __version__,
    }


def write_outputs(posterior: Posterior, out: Path, command: str, seconds: float) -> list[Path]:
    """Write the data files of a calibration into ``out``; return their paths.

    Parameters
    ----------
    posterior : Posterior
    out : Path
        A folder prepared by :func:`sim.experiment.folders.prepare_output`.
    command : str
        The command line that produced it (for the record).
    seconds : float
        Wall time of the run.
    """
    written = []
    accepted = _draws_frame(posterior, posterior.values, posterior.statistics,
                            posterior.distances)
    prior = _draws_frame(posterior, posterior.prior_values, posterior.prior_statistics, None)
    tables = {"accepted.csv": accepted, "prior_draws.csv": prior,
              "posterior.csv": posterior.summary(),
              "rounds.csv": pd.DataFrame([asdict(r) for r in posterior.rounds])}
    for name, frame in tables.items():
        written.append(write_text_atomically(out / name, frame.to_csv(index=False)))
    scenario = write_text_atomically(out / "calibrated.toml",
                                     calibrated_toml(posterior, out, command))
    try:
        load_scenario(scenario)
    except ScenarioError as exc:  # a file we write must load: this is our bug, not the user's
        raise RuntimeError(f"the calibrated scenario does not load: {exc}") from exc
    record = out / "calibration.json"
    write_text_atomically(record, json.dumps(_settings_record(posterior, command, seconds),
                                             indent=2) + "\n")
    return [*written, scenario, record]
