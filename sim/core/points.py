"""Many points of one scenario in one batch: the run-level keys, read per run.

A sweep or a calibration runs one scenario at many points, each a few
settings apart, and a point of a few seeds costs about ten times its runs
inside one batch: a month's NumPy calls are the same for 2 runs as for
1,000. Where the points differ only in *run-level keys* (:func:`is_run_level`:
behaviour the core reads as a number in a phase, the catch probabilities, the
broker size and the countries' demand scales), they share one ``World`` and
``Layout`` and run as one
batch: :class:`PointTable` holds each point's values of the keys that differ,
``State.point`` says which point each run is, and the phases read those keys
through :func:`in_force` and :func:`scenario_value`, which return the one
value every point shares (a Python number, as before) or one value per run,
shape (R,). A run's arithmetic is then that of its point run alone, element
by element, so its bits do not depend on which points share its batch
(``tests/test_points.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sim.scenario import Scenario
from sim.world import World
from sim.world.population import firm_table
from sim.world.split import firm_chips
from sim.world.world import catch_probabilities, epoch_keys

__all__ = ["COUNTRY_KEYS", "RUN_LEVEL_KEYS", "PointTable", "column", "in_force", "is_run_level",
           "run_level_keys", "scenario_value", "structural_difference", "varies"]

IN_FORCE_KEYS = (
    "diversion.divert_share", "diversion.broker_appetite", "diversion.premium_sensitivity",
    "diversion.premium_inertia", "diversion.subsidiary_redirect_share",
    "diversion.route_sensitivity", "diversion.entry_rate", "diversion.reform_delay_months",
    "diversion.reform_probability", "enforcement.vigilance_per_seizure",
    "enforcement.vigilance_decay",
)
"""Run-level keys the core reads from the scenario in force in a month (``World.at(t)``)."""

SCENARIO_KEYS = (
    "market.partial_need_share", "market.substitution_share", "market.price_elasticity",
    "market.remote_share", "market.demand_noise", "diversion.initial_premium",
)
"""Run-level keys the core reads from the scenario as loaded (``World.scenario``)."""

TABLE_KEYS = ("enforcement.detection", "enforcement.measures_multiplier",
              "market.firm_demand_h100e.broker")
"""Run-level keys that reach the core through a table: each country's catch probability
(``World.catch_probability``) and each firm's median size (``FirmTable.median_h100e``)."""

RUN_LEVEL_KEYS = frozenset(IN_FORCE_KEYS + SCENARIO_KEYS + TABLE_KEYS)
"""Keys in which the points of one batch may differ, besides :data:`COUNTRY_KEYS`."""

COUNTRY_KEYS = ("demand_scale",)
"""Run-level keys of every country, ``countries.<code>.<key>`` (a calibration's China
demand scale): they reach the core through each firm's median size and the chip each firm
orders, split by size (``PointTable.median_h100e`` and ``PointTable.firm_chip``)."""


def is_run_level(key: str) -> bool:
    """Whether the points of one batch may differ in dotted ``key``.

    One of :data:`RUN_LEVEL_KEYS`, or ``countries.<code>.<key>`` for a key of
    :data:`COUNTRY_KEYS` (not ``country_defaults`` or a region: those set
    many countries at once, through a resolution step).
    """
    head, _, rest = key.partition(".")
    if head == "countries":
        code, _, name = rest.partition(".")
        return bool(code) and name in COUNTRY_KEYS
    return key in RUN_LEVEL_KEYS


def run_level_keys(scenario: Scenario) -> tuple[str, ...]:
    """Every run-level key of ``scenario``: :data:`RUN_LEVEL_KEYS`, then each country's."""
    return (*sorted(RUN_LEVEL_KEYS),
            *(f"countries.{code}.{name}" for code in scenario.countries for name in COUNTRY_KEYS))


def _read(scenario: Scenario, key: str) -> Any:
    node: Any = scenario
    for part in key.split("."):
        node = node[part] if isinstance(node, Mapping) else getattr(node, part)
    return node


@dataclass(frozen=True)
class PointTable:
    """Each point's values of the run-level keys in which a batch's points differ.

    Attributes
    ----------
    n_points : int
    in_force : dict of str to ndarray of shape (n_epochs, n_points)
        Keys of :data:`IN_FORCE_KEYS` that differ: the value in force in each
        epoch of ``World.epochs``.
    loaded : dict of str to ndarray of shape (n_points,)
        Keys of :data:`SCENARIO_KEYS` that differ.
    catch_probability : ndarray of shape (n_points, T, C), float64, or None
        Each point's ``World.catch_probability``, if the points differ in a key
        it reads (``enforcement.detection``, ``enforcement.measures_multiplier``).
    median_h100e : ndarray of shape (n_points, F), float64, or None
        Each point's ``FirmTable.median_h100e`` (firm-table order), if the points
        differ in ``market.firm_demand_h100e.broker`` or a key of :data:`COUNTRY_KEYS`.
    firm_chip : ndarray of shape (n_points, T, F), int64, or None
        Each point's ``World.firm_chip``, if the points' sizes split a pool of
        chips differently (:func:`sim.world.split.firm_chips`): the layout then
        groups each point's runs by its own chips (``Layout.point_chips``).
    """

    n_points: int
    in_force: Mapping[str, np.ndarray]
    loaded: Mapping[str, np.ndarray]
    catch_probability: np.ndarray | None
    median_h100e: np.ndarray | None
    firm_chip: np.ndarray | None = None

    @classmethod
    def from_scenarios(cls, world: World, scenarios: Sequence[Scenario]) -> PointTable:
        """Tabulate the points, ``world`` being the first point's.

        Raises
        ------
        ValueError
            If two points differ in anything but run-level keys, naming the
            first point and key that does (run those points as separate
            batches).
        """
        first = scenarios[0]
        found = structural_difference(scenarios)
        if found is not None:
            number, difference = found
            raise ValueError(f"point {number} differs from point 0 in {difference}, "
                             "which is not a run-level key (sim.core.points."
                             "is_run_level): run the points as separate batches")
        keys = run_level_keys(first)
        shared = {key: _read(first, key) for key in keys}
        own = [{key: value for key in keys if (value := _read(s, key)) != shared[key]}
               for s in scenarios]
        differ = set().union(*own)
        timeline_set = epoch_keys(first, world.dates)
        epochs = [tuple(e.with_values({key: v for key, v in values.items() if key not in set_by})
                        for e, set_by in zip(world.epochs, timeline_set, strict=True))
                  for values in own]  # each point's scenario_epochs, set on the first's
        in_force = {}
        for key in differ.intersection(IN_FORCE_KEYS):
            values = np.array([[_read(e, key) for e in point] for point in epochs]).T
            if np.any(values != values[:, :1]):
                in_force[key] = values
        loaded = {}
        for key in differ.intersection(SCENARIO_KEYS):
            loaded[key] = np.array([_read(s, key) for s in scenarios])
        catch = medians = None
        if differ.intersection(TABLE_KEYS[:2]):
            catch = np.stack([catch_probabilities(point, world.epoch, world.countries)
                              for point in epochs])
        chips = None
        if TABLE_KEYS[2] in differ or any(key.startswith("countries.") for key in differ):
            medians = np.stack([firm_table(s).median_h100e for s in scenarios])
            chips = np.stack([firm_chips(world.market, replace(world.firms, median_h100e=m),
                                         world.headquarters_bound) for m in medians])
            if np.array_equal(chips, np.broadcast_to(world.firm_chip, chips.shape)):
                chips = None  # the sizes split every pool alike: one grouping serves all
        return cls(n_points=len(scenarios), in_force=in_force, loaded=loaded,
                   catch_probability=catch, median_h100e=medians, firm_chip=chips)


def structural_difference(scenarios: Sequence[Scenario]) -> tuple[int, str] | None:
    """Return the first point that differs from point 0 in a key that is not run-level.

    ``(point, key)``, or ``None`` where the points differ in run-level keys
    alone (:func:`is_run_level`) and so may run as one batch.
    """
    first = scenarios[0]
    shared = {key: _read(first, key) for key in run_level_keys(first)}
    for number, scenario in enumerate(scenarios[1:], start=1):
        # equal parts are mostly the same objects (a sweep's points are set on the
        # first, sim.scenario.loading.resolve_points), so the comparison is quick
        if scenario.countries.keys() != first.countries.keys():
            return number, "countries"
        if scenario.with_values(shared) != first:
            return number, _first_difference(_structure(first), _structure(scenario))
    return None


def _structure(scenario: Scenario) -> dict[str, Any]:
    """Return the scenario as a dict, its run-level keys left out."""
    document = scenario.to_dict()
    for country in document.get("countries", {}).values():
        for name in COUNTRY_KEYS:
            country.pop(name, None)
    for key in RUN_LEVEL_KEYS:
        node = document
        *path, leaf = key.split(".")
        for part in path:
            node = node.get(part, {})
        node.pop(leaf, None)
    return document


def _first_difference(a: Any, b: Any, where: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{where}.{key}".lstrip("."))
    return where or "its settings"


def in_force(layout: Any, point: np.ndarray, t: int, key: str) -> Any:
    """Run-level ``key`` in force in month ``t`` (an :data:`IN_FORCE_KEYS` key).

    ``point`` is ``State.point``. Returns the value every run shares
    (``World.at(t)``'s), or one value per run, shape (R,), where the batch's
    points differ in it.
    """
    points = layout.points
    if points is not None and key in points.in_force:
        return points.in_force[key][layout.world.epoch[t]][point]
    return _read(layout.world.at(t), key)


def scenario_value(layout: Any, point: np.ndarray, key: str) -> Any:
    """Run-level ``key`` as loaded (a :data:`SCENARIO_KEYS` key): shared, or (R,)."""
    points = layout.points
    if points is not None and key in points.loaded:
        return points.loaded[key][point]
    return _read(layout.world.scenario, key)


def column(value: Any) -> Any:
    """Return a per-run (R,) value as a column (R, 1), to meet (R, F) arrays; a number as is."""
    return value[:, None] if isinstance(value, np.ndarray) else value


def varies(value: Any) -> bool:
    """Whether ``value`` (from :func:`in_force` or :func:`scenario_value`) is per run."""
    return isinstance(value, np.ndarray)
