"""``sim calibrate``: estimate behavioural parameters against published targets.

``python -m sim calibrate TARGETS --out DIR`` reads a targets file
(``scenarios/targets/*.toml``), runs ABC (:mod:`sim.calibration.abc`) over
the vectorised core, and writes the accepted parameter sets, their figures
and a calibrated scenario into ``DIR`` (:mod:`sim.calibration.output`).
"""

from __future__ import annotations

import argparse
import shlex
import time
from pathlib import Path

import numpy as np

from sim.argtypes import integer_in
from sim.calibration.abc import AbcSettings, Posterior, run_abc
from sim.calibration.simulate import shipped_values
from sim.calibration.targets import TargetSet, load_targets
from sim.scenario import ScenarioError, parse_assignment
from sim.scenario.documents import OVERRIDE_SOURCE

__all__ = ["add_arguments", "calibrate_command"]

_DEFAULTS = AbcSettings()


_count = integer_in(1)
_rounds = integer_in(0)


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``calibrate`` command's arguments to ``parser``."""
    d = _DEFAULTS
    parser.add_argument("targets", help="targets TOML file (see scenarios/targets/)")
    parser.add_argument("--out", default="results/calibrate", help="output folder")
    parser.add_argument("--draws", type=_count, default=d.draws,
                        help=f"population size; round 0 draws this many from the prior "
                             f"(default {d.draws})")
    parser.add_argument("--accept", type=_accept, default=d.accept,
                        help=f"sets kept each round: a fraction of --draws or a count "
                             f"(default {d.accept:g})")
    parser.add_argument("--rounds", type=_rounds, default=d.rounds,
                        help=f"ABC-SMC rounds after round 0; 0 is rejection ABC "
                             f"(default {d.rounds})")
    parser.add_argument("--moves", type=_count, default=d.moves,
                        help=f"Metropolis-Hastings steps per refilled set and round "
                             f"(default {d.moves})")
    parser.add_argument("--min-acceptance", type=_share, default=d.min_acceptance,
                        help=f"stop once a round accepts fewer of its steps "
                             f"(default {d.min_acceptance:g})")
    parser.add_argument("--replicates", type=_count, default=d.replicates,
                        help=f"runs per parameter set, seeds S, S+1, ... (default "
                             f"{d.replicates})")
    parser.add_argument("--seed", type=integer_in(0, 2**63 - 1), default=d.seed,
                        help="seed of the prior draws, the moves and the first replicate "
                             "(default 0)")
    parser.add_argument("--workers", type=_count, default=d.workers,
                        help="worker processes (default 1; results do not depend on it)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="fix a scenario value in every target scenario, "
                             "e.g. market.remote_share=0.1")


def _settings(args: argparse.Namespace) -> AbcSettings:
    if args.accept >= 1 and args.accept > args.draws:
        from sim.cli import UsageError

        raise UsageError(f"--accept {args.accept:g} keeps more sets than --draws {args.draws}")
    return AbcSettings(draws=args.draws, accept=args.accept, rounds=args.rounds,
                       moves=args.moves, min_acceptance=args.min_acceptance,
                       replicates=args.replicates, seed=args.seed, workers=args.workers)


def _check_fixed(target_set: TargetSet, overrides: dict[str, str]) -> None:
    calibrated = {p.key for p in target_set.parameters}
    for key in overrides:
        if key in calibrated:
            raise ScenarioError(OVERRIDE_SOURCE, key,
                                "expected a key that is not being calibrated, found one of "
                                f"the parameters of {target_set.file}")


def calibrate_command(args: argparse.Namespace) -> int:
    """Run the calibration and write its files; print a summary; return 0."""
    from sim.calibration.output import prepare_folder, write_outputs  # matplotlib: load late

    overrides = dict(parse_assignment(text) for text in args.set)
    settings = _settings(args)
    target_set = load_targets(args.targets, overrides)
    _check_fixed(target_set, overrides)
    out = prepare_folder(Path(args.out))
    command = _command_line(args)
    started = time.perf_counter()
    posterior = run_abc(target_set, settings, overrides)
    seconds = time.perf_counter() - started
    written = write_outputs(posterior, out, command, seconds, shipped_values(target_set))
    _print_summary(posterior, seconds)
    print("wrote: " + ", ".join(str(p) for p in written))
    return 0


def _command_line(args: argparse.Namespace) -> str:
    """Return the command with every setting spelt out (for the record in the files)."""
    words = ["python", "-m", "sim", "calibrate", str(args.targets), "--out", str(args.out),
             "--draws", str(args.draws), "--accept", f"{args.accept:g}", "--rounds",
             str(args.rounds), "--moves", str(args.moves), "--min-acceptance",
             f"{args.min_acceptance:g}", "--replicates", str(args.replicates), "--seed",
             str(args.seed)]
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
