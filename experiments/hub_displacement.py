"""Raise enforcement in one transit hub and see where diversion goes.

Runs a scenario (default ``scenarios/ai_diffusion_2025.toml``: under
strict_enforcement the calibrated Singapore already catches nearly every
shipment) with one
hub's enforcement multiplied by each of several factors, three times: with
brokers that never return (a listed broker is gone for good, none enter), with
brokers as calibrated (dormant front companies enter, listed networks re-form
under a new name at the rates docs/validation.md estimates; ODD 6.1a), and with
those brokers also steering their purchases away from risky hubs (an
illustrative route sensitivity, not calibrated: docs/sources.md §26). Steered,
the networks move their purchases between hubs (ODD 6.4), so what the risky hub
loses goes to the others; unsteered, each broker buys at most its own capacity,
and at the calibrated broker size the others have none to spare. Prints
the diversion that got through each hub and the entry/listing balance, and
draws ``hub_displacement.png``: diverted compute by transit hub at each factor,
one panel per broker behaviour.

Usage::

    python experiments/hub_displacement.py --out results/hub_displacement
    python experiments/hub_displacement.py --hub MYS --factors 1 3 10 --runs 200
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import sim
from sim.plots import save_figure
from sim.reference import H100E_TPP

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
NEVER_RETURN = {"diversion.entry_rate": 0.0, "diversion.reform_probability": 0.0}
"""Brokers as shipped before the history calibration: a listed broker is gone for good."""
STEERED = {"diversion.route_sensitivity": 5.0}
"""Brokers that also steer by catch risk: an illustrative assumption (docs/sources.md §26).

At 5 a hub that catches one shipment in five or more gets no purchases, so its brokers
are not caught and their capacity serves the other hubs (ODD 6.4)."""
BEHAVIOURS = {"brokers that never return (listed for good, none enter)": NEVER_RETURN,
              "brokers as calibrated (enter and re-form)": {},
              "as calibrated, steering by risk and cap room (illustrative: route "
              "sensitivity 5)": STEERED}


def diverted_by_hub(scenario: sim.Scenario, runs: int) -> tuple[dict[str, float], dict[str, int]]:
    """Mean diverted H100e over the window by transit country, and the broker balance."""
    results = sim.run_batch(scenario, np.arange(runs))
    through = results.metric("diverted_tpp").sum(axis=1).mean(axis=0) / H100E_TPP  # (C,)
    hubs = {code: float(value) for code, value in zip(results.countries, through, strict=True)
            if value > 0}
    balance = {"entered": int(results.metric("entered_brokers").sum()) // runs,
               "listed": int(results.metric("listed_brokers").sum()) // runs,
               "active at the end": int(results.metric("active_brokers")[:, -1].sum()) // runs}
    return hubs, balance


def run(path: Path, hub: str, factors: list[float], runs: int) -> dict[str, dict[float, dict]]:
    """Diversion by hub for each broker behaviour and enforcement factor."""
    base = sim.load_scenario(path)
    level = base.countries[hub].enforcement
    out: dict[str, dict[float, dict]] = {}
    for label, overrides in BEHAVIOURS.items():
        out[label] = {}
        for factor in factors:
            scenario = sim.load_scenario(path, {**overrides,
                                                f"countries.{hub}.enforcement": level * factor})
            hubs, balance = diverted_by_hub(scenario, runs)
            out[label][factor] = {"hubs": hubs, "balance": balance}
            total = sum(hubs.values())
            print(f"{label}, {hub} enforcement x{factor:g}: diverted {total:,.0f} H100e "
                  f"({hub} {hubs.get(hub, 0.0):,.0f}); brokers entered {balance['entered']}, "
                  f"listed {balance['listed']}, active at the end {balance['active at the end']}")
    return out


def plot(found: dict[str, dict[float, dict]], hub: str, title: str, path: Path) -> Path:
    """Stacked bars: diverted compute by transit hub at each enforcement factor."""
    codes = sorted({code for by_factor in found.values() for entry in by_factor.values()
                    for code in entry["hubs"]})
    codes = [hub, *[c for c in codes if c != hub]]
    colours = dict(zip(codes, plt.get_cmap("tab10").colors, strict=False))
    fig, axes = plt.subplots(1, len(found), figsize=(6.2 * len(found), 4.6), sharey=True)
    for ax, (label, by_factor) in zip(np.atleast_1d(axes), found.items(), strict=True):
        factors = list(by_factor)
        bottom = np.zeros(len(factors))
        for code in codes:
            values = np.array([by_factor[f]["hubs"].get(code, 0.0) for f in factors]) / 1e3
            ax.bar(range(len(factors)), values, bottom=bottom, color=colours.get(code, "grey"),
                   label=code, edgecolor="white", linewidth=0.5,
                   hatch="//" if code == hub else None)
            bottom += values
        ax.set_xticks(range(len(factors)), [f"x{f:g}" for f in factors])
        ax.set_xlabel(f"{hub} enforcement (multiple of the scenario's)")
        ax.set_title(label, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("diverted through the hub, thousand H100e (mean)")
    np.atleast_1d(axes)[-1].legend(title="transit hub", fontsize=8, loc="upper left",
                                   bbox_to_anchor=(1.02, 1.0))
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)


def main() -> int:
    """Run the factors for each broker behaviour, print the balance and draw the figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(SCENARIOS / "ai_diffusion_2025.toml"))
    parser.add_argument("--hub", default="SGP", help="ISO3 code of the hub whose enforcement rises")
    parser.add_argument("--factors", type=float, nargs="+", default=[1.0, 1.5, 2.0, 3.0, 10.0])
    parser.add_argument("--runs", type=int, default=100, help="runs per point")
    parser.add_argument("--out", default="results/hub_displacement", help="output folder")
    options = parser.parse_args()
    if options.runs < 1 or any(f < 0 for f in options.factors):
        parser.error("--runs must be at least 1 and --factors non-negative")
    path = Path(options.scenario)
    try:
        codes = sim.load_scenario(path).countries
    except sim.ScenarioError as error:  # its message names the file and the key
        print(error, file=sys.stderr)
        return 2
    if options.hub not in codes:
        print(f"{path}: --hub {options.hub}: not a modelled country (an ISO3 code such as "
              f"{', '.join(sorted(codes)[:5])} ...)", file=sys.stderr)
        return 2
    found = run(path, options.hub, options.factors, options.runs)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    scenario = sim.load_scenario(path)
    title = (f"{scenario.name}, {scenario.time.start} + {scenario.time.months} months: "
             f"diversion through each hub as {options.hub}'s enforcement rises")
    print(f"figure: {plot(found, options.hub, title, out / 'hub_displacement.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
