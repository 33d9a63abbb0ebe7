"""``sim calibrate TARGETS``: estimate behavioural parameters against published targets.

``python -m sim calibrate TARGETS --out DIR`` reads a targets file
(``scenarios/targets/*.toml``), runs ABC (:mod:`sim.calibration.abc`) over
the vectorised core, on local processes (``--workers``) or a Dask cluster
(``--scheduler``), and writes the accepted parameter sets, a calibrated
scenario (:mod:`sim.calibration.output`) and figures
(:mod:`sim.plots.calibration`) into ``DIR``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from sim.calibration.abc import AbcSettings, Posterior, run_abc
from sim.calibration.output import write_outputs
from sim.calibration.simulate import shipped_values
from sim.calibration.targets import TargetSet, load_targets
from sim.cli.arguments import (
    COUNT,
    EXIT_OK,
    MAX_COUNT,
    MAX_SEED,
    UsageError,
    add_cluster_arguments,
    add_force,
    add_overrides,
    cluster_security,
    integer_in,
    parse_overrides,
)
from sim.experiment.executors import make_executor
from sim.experiment.folders import finish_output, prepare_output
from sim.scenario import ScenarioError
from sim.scenario.documents import OVERRIDE_SOURCE

__all__ = ["add_arguments", "execute"]

_DEFAULTS = AbcSettings()
_ROUNDS = integer_in(0, MAX_COUNT)


def _accept(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = 0.0
    if not (0 < number < 1 or (number >= 1 and number.is_integer())):
        raise argparse.ArgumentTypeError(
            f"expected a fraction in (0, 1) or a whole count >= 1, found {text!r}")
    return number


def _share(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], found {text!r}")
    return number


def _open_share(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not 0 < number < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), found {text!r}")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``calibrate`` command's arguments to ``parser``."""
    d = _DEFAULTS
    parser.add_argument("targets", help="targets TOML file (see scenarios/targets/)")
    parser.add_argument("--out", default="results/calibrate",
                        help="output folder: new or empty, or an earlier `sim calibrate` with "
                             "--force")
    add_force(parser, "calibrate")
    parser.add_argument("--draws", type=COUNT, default=d.draws,
                        help="population size; round 0 draws this many from the prior")
    parser.add_argument("--accept", type=_accept, default=d.accept,
                        help="sets kept each round: a fraction of --draws or a count")
    parser.add_argument("--rounds", type=_ROUNDS, default=d.rounds,
                        help="ABC-SMC rounds after round 0; 0 is rejection ABC")
    parser.add_argument("--moves", type=COUNT, default=d.moves,
                        help="Metropolis-Hastings steps per refilled set and round (with "
                             "--stay-probability, the most a round takes)")
    parser.add_argument("--stay-probability", type=_open_share, default=d.stay_probability,
                        help="take as many steps as leave a copy unmoved with this "
                             "probability, from the last round's acceptance (Drovandi and "
                             "Pettitt: 0.01); default: always --moves")
    parser.add_argument("--min-acceptance", type=_share, default=d.min_acceptance,
                        help="stop once a round accepts fewer of its steps")
    parser.add_argument("--replicates", type=COUNT, default=d.replicates,
                        help="runs per parameter set, seeds S, S+1, ...")
    parser.add_argument("--seed", type=integer_in(0, MAX_SEED), default=d.seed,
                        help="seed of the prior draws, the moves and the first replicate")
    add_cluster_arguments(parser, f"worker processes (default: {d.workers}; with --scheduler "
                                  "local: one per core); results do not depend on it")
    add_overrides(parser, "fix a scenario value in every target scenario (not one being "
                  "calibrated)", "enforcement.measures_multiplier=1.5")


def _settings(args: argparse.Namespace) -> AbcSettings:
    if args.accept >= 1 and args.accept > args.draws:
        raise UsageError("--accept", "", f"expected at most --draws ({args.draws}) sets kept, "
                         f"found {args.accept:g}")
    if args.seed + args.replicates - 1 > MAX_SEED:
        raise UsageError("--seed", "", f"expected --seed + --replicates - 1 <= 2**63 - 1 (seeds "
                         f"{args.seed}..{args.seed + args.replicates - 1} leave int64)")
    workers = args.workers if args.workers is not None else _DEFAULTS.workers
    return AbcSettings(draws=args.draws, accept=args.accept, rounds=args.rounds,
                       moves=args.moves, stay_probability=args.stay_probability,
                       min_acceptance=args.min_acceptance,
                       replicates=args.replicates, seed=args.seed, workers=workers)


def _check_fixed(target_set: TargetSet, overrides: dict[str, str]) -> None:
    calibrated = {p.key for p in target_set.parameters}
    for key in overrides:
        if key in calibrated:
            raise ScenarioError(OVERRIDE_SOURCE, key,
                                "expected a key that is not being calibrated, found one of "
                                f"the parameters of {target_set.file}")


def execute(args: argparse.Namespace) -> int:
    """Run the calibration and write its files and figures; print a summary."""
    overrides = parse_overrides(args.set)
    settings = _settings(args)
    security = cluster_security(args)
    target_set = load_targets(args.targets, overrides)
    _check_fixed(target_set, overrides)
    out = prepare_output(Path(args.out), "calibrate", force=args.force)
    # --workers 1 runs in this process; a scheduler decides its own workers unless local
    executor = make_executor(settings.workers if args.scheduler is None else args.workers,
                             args.scheduler, security)
    try:
        started = time.perf_counter()
        posterior = run_abc(target_set, settings, overrides, executor, progress=sys.stderr)
        seconds = time.perf_counter() - started
    finally:
        executor.close()
    written = write_outputs(posterior, out, _command_line(args), seconds)
    # deferred: the figures load Matplotlib, which every other command can skip
    from sim.plots.calibration import calibration_figures

    written += calibration_figures(posterior, out, shipped_values(target_set))
    finish_output(out, "calibrate", written)
    _print_summary(posterior, seconds)
    print("wrote: " + ", ".join(str(p) for p in written))
    return EXIT_OK


def _command_line(args: argparse.Namespace) -> str:
    """Return the command with every setting spelt out (for the record in the files)."""
    words = ["python", "-m", "sim", "calibrate", str(args.targets), "--out", str(args.out),
             "--draws", str(args.draws), "--accept", f"{args.accept:g}", "--rounds",
             str(args.rounds), "--moves", str(args.moves), "--min-acceptance",
             f"{args.min_acceptance:g}", "--replicates", str(args.replicates), "--seed",
             str(args.seed)]
    if args.stay_probability is not None:
        words += ["--stay-probability", f"{args.stay_probability:g}"]
    for text in args.set:
        words += ["--set", text]
    return shlex.join(words)


def _print_summary(posterior: Posterior, seconds: float) -> None:
    print(f"{posterior.target_set.name}: {posterior.simulations} parameter sets simulated "
          f"x {posterior.settings.replicates} replicates in {seconds:.0f} s; "
          f"{len(posterior.values)} accepted ({posterior.n_distinct} distinct), "
          f"tolerance {posterior.epsilon:.3f}")
    table = posterior.summary()[["parameter", "p05", "median", "p95", "calibrated",
                                 "shrinkage"]]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    for k, target in enumerate(posterior.target_set.targets):
        model = np.median(posterior.statistics[:, k])
        print(f"  {target.name} ({target.role}): published {target.value:g} "
              f"[{target.low:g}, {target.high:g}]; posterior predictive median {model:.4g}")
