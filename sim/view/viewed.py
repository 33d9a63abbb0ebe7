"""The model a ``sim view`` page drives, and the sliders that rebuild it.

Mesa's SolaraViz rebuilds a model as ``type(model)(**model_params)`` when
*Reset* is pressed, so the sliders must be keyword arguments of the model's
constructor. :class:`ViewedModel` is an :class:`~sim.model.ExportControlModel`
whose constructor takes the scenario file, the seed and the three slider
values, and applies them the way ``--set KEY=VALUE`` does (``load_scenario``'s
``overrides``). It adds nothing to the run: its numbers are those of
``ExportControlModel(load_scenario(file, overrides), seed).results()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

from mesa.visualization import Slider

from sim.model import ExportControlModel
from sim.scenario import Scenario, load_scenario

__all__ = ["SLIDER_KEYS", "ListedBroker", "ViewedModel", "model_params", "overrides"]

SLIDER_KEYS = {
    "detection": "enforcement.detection",
    "cap_tpp": "rules.cap_tpp",
    "lpp_tpp_per_year": "rules.lpp_tpp_per_year",
}
"""Each slider's constructor argument and the scenario key it sets."""

SLIDER_STEPS = 20
"""Slider positions between 0 and the maximum (assumption: fine enough to explore)."""

DETECTION_MAX = 0.5
"""Top of the detection slider (assumption: the sweeps explore 0.05 to 0.45, README)."""


@dataclass(frozen=True)
class ListedBroker:
    """A broker caught diverting, and the month it was listed (``YYYY-MM``)."""

    label: str
    country: str
    month: str


def overrides(detection: float | None = None, cap_tpp: int | None = None,
              lpp_tpp_per_year: int | None = None) -> dict[str, float | int]:
    """Return the slider values as ``load_scenario`` overrides (``None``: the file's own)."""
    values = {"detection": detection, "cap_tpp": cap_tpp, "lpp_tpp_per_year": lpp_tpp_per_year}
    return {SLIDER_KEYS[name]: value for name, value in values.items() if value is not None}


class ViewedModel(ExportControlModel):
    """An ``ExportControlModel`` built from a file and slider values, that notes its brokers.

    Parameters
    ----------
    scenario_file : str or path-like
        The scenario TOML file.
    seed : int
        The run's seed.
    detection, cap_tpp, lpp_tpp_per_year : optional
        ``enforcement.detection``, ``rules.cap_tpp`` and
        ``rules.lpp_tpp_per_year``; ``None`` keeps the file's value.

    Attributes
    ----------
    listed_brokers : list of ListedBroker
        Every listing so far, in the order the brokers were caught (a broker
        whose network re-formed and was caught again appears once per catch).
    """

    def __init__(self, scenario_file: str | PathLike[str], seed: int = 0,
                 detection: float | None = None, cap_tpp: int | None = None,
                 lpp_tpp_per_year: int | None = None) -> None:
        scenario = load_scenario(scenario_file, overrides(detection, cap_tpp, lpp_tpp_per_year))
        super().__init__(scenario, seed=seed, agent_reporters=False)
        self.scenario_file = str(scenario_file)
        self.listed_brokers: list[ListedBroker] = []

    def step(self) -> None:
        """Run one month, then note the brokers caught and listed in it."""
        super().step()
        month = self.world.dates[self.step_index]
        self.listed_brokers += [ListedBroker(b.label, b.country.code, month)
                                for b in self.brokers if b.caught]


def model_params(scenario_file: str | PathLike[str], seed: int,
                 scenario: Scenario) -> dict[str, object]:
    """Return SolaraViz ``model_params``: the file and seed fixed, three sliders.

    Each slider starts at the scenario's own value, so the page's first run is
    the file's; it ranges from 0 to four times that value (to 1 for the
    detection probability) in :data:`SLIDER_STEPS` steps.
    """
    detection = scenario.enforcement.detection
    cap, lpp = scenario.rules.cap_tpp, scenario.rules.lpp_tpp_per_year
    return {
        "scenario_file": str(scenario_file),
        "seed": int(seed),
        "detection": Slider("detection", detection, 0.0, max(DETECTION_MAX, detection), 0.005,
                            dtype=float),
        "cap_tpp": _tpp_slider("Tier 2 cap, TPP", cap),
        "lpp_tpp_per_year": _tpp_slider("LPP, TPP a year", lpp),
    }


def _tpp_slider(label: str, value: int) -> Slider:
    """Return an integer slider from 0 to four times ``value``."""
    top = max(4 * value, SLIDER_STEPS)
    return Slider(label, value, 0, top, max(1, top // SLIDER_STEPS), dtype=int)
