"""The static world of a scenario: everything that does not depend on the seed.

Both implementations start from the same :class:`World`: the country order,
tiers, the chip market (each chip's regime for every country in every month,
and the chip its buyers order), caps, growth factors and the firm table.
Computing these once, here, keeps the rule arithmetic in one place and the
per-step code free of calendars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.months import month_end, month_labels, months_between
from sim.reference import (
    EQUIPMENT_RULE_MONTH,
    H100E_TPP,
    HBM_RULE_MONTH,
    domestic_supply_tpp,
    load_chips,
)
from sim.scenario.demand_growth import growth_path
from sim.scenario.schema import CountryConfig, Scenario
from sim.world.codes import TIER1, TIER2, TIER3
from sim.world.market import ChipMarket, chip_market
from sim.world.population import FirmTable, firm_table
from sim.world.split import firm_chips

__all__ = ["World", "month_labels"]


@dataclass(frozen=True)
class World:
    """Seed-independent arrays derived from a scenario.

    Shapes: ``T`` steps, ``C`` countries (sorted ISO3 codes), ``K`` chips on
    the market. Whatever a ``[[timeline]]`` entry may change is given per
    step, from the scenario in force in that month (:meth:`at`).

    Attributes
    ----------
    scenario : Scenario
        The scenario as loaded (its timeline included).
    epochs : tuple of Scenario
        The distinct scenarios in force during the window, first one first:
        the scenario's own values, then one per timeline date inside it.
    epoch : ndarray of int64, (T,)
        Index into ``epochs`` of the scenario in force in each step.
    countries : tuple of str, (C,)
    tier : ndarray of int8, (C,)
        1, 2 or 3 under the scenario's own tiers, a named group read on
        :data:`sim.reference.REFERENCE_DAY`: the reporting groups.
    tier_in_force : ndarray of int8, (T, C)
        The tiers in force in each step (the rules use these): the tier lists
        of the month's scenario, a named group read at the month's end
        (:func:`_tiers_by_month`).
    dates : tuple of str, (T,)
    market : ChipMarket
        The chips on sale, each chip's regime per destination and month, and
        the chip each destination's buyers order (:mod:`sim.world.market`).
    regime : ndarray of int8, (T, C)
        Regime of the chip each destination's buyers order (``DENIED`` where
        there is none).
    new_year : ndarray of bool, (T,)
        The step starts a calendar year after the first step (LPP resets).
    cap_resets : ndarray of bool, (T,)
        The country cap's count starts again: each January under annual caps,
        and in a month the tier rules enter into force after a month without
        them (a cap counts from the month its rule enters into force).
    cap_tpp : ndarray of int64, (T, C)
        Tier 2 cap including the G2G multiplier.
    nveu_cap_tpp : ndarray of int64, (T,)
        Cumulative NVEU cap in force in each step.
    growth : ndarray of float64, (T, C)
        Demand multiplier relative to ``market.demand_reference_month`` (below 1
        before it).
    catch_probability : ndarray of float64, (T, C)
        Probability that one diversion shipment through the country is caught.
    domestic_tpp : ndarray of int64, (T,)
        TPP of the domestic substitute chip in force.
    domestic_chips : ndarray of int64, (T, C)
        Domestic substitute chips made a month.
    firms : FirmTable
    bound_regime : ndarray of int8, (T, C)
        Regime of the chip a firm bound by the headquarters rule orders there.
    firm_chip : ndarray of int64, (T, F)
        The chip each firm orders (:func:`sim.world.split.firm_chips`): its
        destination's choice, or its share of the destination's pool.
    headquarters_bound : ndarray of bool, (T, F)
        The firm is bound by the headquarters rule (its headquarters is in the
        month's ``market.headquarters_scope``): it orders by the market's
        ``bound_*`` arrays, wherever it is.
    redirect_to : ndarray of int64, (T, F)
        Country index of the headquarters a subsidiary redirects chips to in
        each month (CNAS's "Chinese cloud providers" pathway): a named firm's
        host abroad, outside Tier 3, of a parent headquartered in a Tier 3
        country (the tiers in force); -1 for every other firm and month.
    """

    scenario: Scenario
    epochs: tuple[Scenario, ...]
    epoch: np.ndarray
    countries: tuple[str, ...]
    tier: np.ndarray
    tier_in_force: np.ndarray
    dates: tuple[str, ...]
    market: ChipMarket
    regime: np.ndarray
    new_year: np.ndarray
    cap_resets: np.ndarray
    cap_tpp: np.ndarray
    nveu_cap_tpp: np.ndarray
    growth: np.ndarray
    catch_probability: np.ndarray
    domestic_tpp: np.ndarray
    domestic_chips: np.ndarray
    firms: FirmTable
    bound_regime: np.ndarray
    headquarters_bound: np.ndarray
    firm_chip: np.ndarray
    redirect_to: np.ndarray

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> World:
        """Derive the world of ``scenario``."""
        countries = scenario.country_codes
        dates = month_labels(scenario.time.start, scenario.time.months)
        chips = load_chips()
        epochs, epoch = scenario_epochs(scenario, dates)
        tiers = _tiers_by_month(epochs, epoch, countries, dates)
        active = np.array([_tiers_active(epochs[e], d) for e, d in zip(epoch, dates, strict=True)])
        january = np.array([d.endswith("-01") for d in dates])
        january[0] = False
        annual = np.array([epochs[e].rules.cap_period == "annual" for e in epoch])
        entering = np.concatenate([[False], active[1:] & ~active[:-1]])
        configs = [scenario.countries[c] for c in countries]
        market = chip_market(scenario, epochs, epoch, dates, tiers, active)
        firms = firm_table(scenario)
        bound = _headquarters_bound(market.headquarters_scope, firms)
        domestic_tpp = np.array([chips[epochs[e].market.domestic_chip].tpp for e in epoch],
                                dtype=np.int64)
        capacity_tpp = _domestic_capacity_tpp(scenario, epochs, epoch, dates)
        return cls(
            scenario=scenario,
            epochs=epochs,
            epoch=epoch,
            countries=countries,
            tier=np.array(_tiers(scenario.tiers.members(), countries), dtype=np.int8),
            tier_in_force=tiers,
            dates=dates,
            market=market,
            regime=market.chosen_regime(),
            new_year=january,
            cap_resets=(january & annual) | entering,
            cap_tpp=np.array([_caps(e, countries) for e in epochs], dtype=np.int64)[epoch],
            nveu_cap_tpp=np.array([_nveu_cap(epochs[e], d) for e, d in
                                   zip(epoch, dates, strict=True)], dtype=np.int64),
            growth=_growth(scenario, configs, dates),
            catch_probability=catch_probabilities(epochs, epoch, countries),
            domestic_tpp=domestic_tpp,
            domestic_chips=capacity_tpp // domestic_tpp[:, None],
            firms=firms,
            bound_regime=market.bound_chosen_regime(),
            headquarters_bound=bound,
            firm_chip=firm_chips(market, firms, bound),
            redirect_to=_redirect_to(firms, tiers, countries),
        )

    @property
    def n_steps(self) -> int:
        """Number of monthly steps."""
        return len(self.dates)

    def at(self, t: int) -> Scenario:
        """Return the scenario in force in step ``t`` (rules, prices, behaviour)."""
        return self.epochs[self.epoch[t]]

    def per_firm(self, destination: np.ndarray, bound: np.ndarray) -> np.ndarray:
        """Read a (T, C) array per firm, (T, F): ``bound`` where the headquarters rule binds.

        A firm bound by the headquarters rule (``headquarters_bound``) orders by
        the market's ``bound_*`` arrays, wherever it is; any other by its
        destination's (``regime`` and ``bound_regime``, or ``market.restricted``
        and ``market.bound_restricted``).
        """
        country = self.firms.country
        return np.where(self.headquarters_bound, bound[:, country], destination[:, country])


def scenario_epochs(scenario: Scenario,
                    dates: tuple[str, ...]) -> tuple[tuple[Scenario, ...], np.ndarray]:
    """Return the distinct scenarios in force, and the index of each step's (``World.epochs``)."""
    changes = _change_dates(scenario, dates)
    epochs = tuple(scenario.in_force(d) for d in (dates[0], *changes))
    epoch = np.searchsorted(np.array(changes, dtype=object), np.array(dates, dtype=object),
                            side="right") if changes else np.zeros(len(dates), dtype=np.int64)
    return epochs, np.asarray(epoch, dtype=np.int64)


def epoch_keys(scenario: Scenario, dates: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    """Return, for each of :func:`scenario_epochs`, the keys its timeline has set by then.

    In epoch ``i`` a key of ``epoch_keys(...)[i]`` holds the timeline's
    value, any other key the scenario's own.
    """
    return tuple(frozenset(key for entry in scenario.timeline if entry.date <= date
                           for key in entry.set)
                 for date in (dates[0], *_change_dates(scenario, dates)))


def _change_dates(scenario: Scenario, dates: tuple[str, ...]) -> list[str]:
    """Return the timeline's dates after the first month, each once, in order."""
    return [d for d in dict.fromkeys(e.date for e in scenario.timeline) if d > dates[0]]


def _growth(scenario: Scenario, configs: list[CountryConfig], dates: tuple[str, ...]) -> np.ndarray:
    """Demand multiplier of each month and country, (T, C): 1 in the reference month.

    Each country's :func:`~sim.scenario.demand_growth.growth_path` from
    ``market.demand_reference_month`` (a constant factor a year, or the
    world's shipment trend), so a run's demand depends on the calendar, not
    on the month it starts in.
    """
    reference = scenario.market.demand_reference_month
    paths = {growth: growth_path(growth, reference, dates)
             for growth in dict.fromkeys(c.growth_per_year for c in configs)}
    columns = [paths[c.growth_per_year] for c in configs]
    return np.stack(columns, axis=1) if columns else np.zeros((len(dates), 0))


def _domestic_capacity_tpp(scenario: Scenario, epochs: tuple[Scenario, ...], epoch: np.ndarray,
                           dates: tuple[str, ...]) -> np.ndarray:
    """Domestic output a month in TPP, (T, C) int64.

    A fixed ``domestic_capacity_h100e`` is that many H100e every month. The
    ``"reference"`` schedule (China) is Huawei's Ascend output of
    ``supply.csv``, made under the allied equipment controls; times
    :func:`_equipment_uplift` where they were lifted; then cut to ``1 -
    market.domestic_hbm_cut`` of it in the months the HBM controls bind
    (:func:`_hbm_binding`).
    """
    market = scenario.market
    schedule = domestic_supply_tpp(dates[0], len(dates))
    grown = (schedule * _equipment_uplift(scenario, epochs, epoch, dates)).astype(np.int64)
    cut = np.where(_hbm_binding(scenario, epochs, epoch, dates),
                   (grown * (1.0 - market.domestic_hbm_cut)).astype(np.int64), grown)
    columns = [cut if (c := scenario.countries[code].domestic_capacity_h100e) == "reference"
               else np.full(len(dates), int(c) * H100E_TPP, dtype=np.int64)
               for code in scenario.country_codes]
    return np.stack(columns, axis=1).reshape(len(dates), -1)


def _equipment_uplift(scenario: Scenario, epochs: tuple[Scenario, ...], epoch: np.ndarray,
                      dates: tuple[str, ...]) -> np.ndarray:
    """How much faster domestic output has grown without the allied equipment controls, (T,).

    ``(1 + market.domestic_equipment_growth) ** (n / 12)`` with ``n`` the
    months from :data:`sim.reference.EQUIPMENT_RULE_MONTH` to the step in
    which the controls were not in force; capacity built while they were
    lifted stays when they return. A window that starts without them counts
    the months before it from that month on, as if they had never applied.
    """
    free = [not epochs[e].rules.equipment_controls for e in epoch]
    lifted = (max(0, months_between(EQUIPMENT_RULE_MONTH, dates[0])) if free[0] else 0)
    counted = []
    for date, off in zip(dates, free, strict=True):
        lifted += int(off and date > EQUIPMENT_RULE_MONTH and date != dates[0])
        counted.append(lifted)
    growth = 1.0 + scenario.market.domestic_equipment_growth
    return np.array([growth ** (n / 12) for n in counted], dtype=np.float64)


def _hbm_binding(scenario: Scenario, epochs: tuple[Scenario, ...], epoch: np.ndarray,
                 dates: tuple[str, ...]) -> np.ndarray:
    """Whether the HBM controls cut domestic output in each step, (T,) bool.

    From ``market.domestic_hbm_lag_months`` after ``rules.hbm_controls``
    entered into force (a window that starts with it in force counts from
    the rule, :data:`sim.reference.HBM_RULE_MONTH`).
    """
    lag = scenario.market.domestic_hbm_lag_months
    since: str | None = None
    binding = []
    for t, date in enumerate(dates):
        if not epochs[epoch[t]].rules.hbm_controls:
            since = None
        elif since is None:
            since = min(date, HBM_RULE_MONTH) if t == 0 else date
        binding.append(since is not None and months_between(since, date) >= lag)
    return np.array(binding, dtype=bool)


def _redirect_to(firms: FirmTable, tiers: np.ndarray, countries: tuple[str, ...]) -> np.ndarray:
    """Each subsidiary's headquarters index where it may redirect chips, else -1, (T, F)."""
    home = np.array([countries.index(h) if h in countries else -1 for h in firms.headquarters],
                    dtype=np.int64)
    abroad = (firms.parent >= 0) & (home >= 0) & (home != firms.country)
    home_tier3 = tiers[:, np.maximum(home, 0)] == TIER3
    host_tier3 = tiers[:, firms.country] == TIER3
    return np.where(abroad & home_tier3 & ~host_tier3, home, -1).astype(np.int64)


def _headquarters_bound(scopes: tuple[frozenset[str], ...], firms: FirmTable) -> np.ndarray:
    """Which firms the headquarters rule binds in each month, (T, F) bool."""
    headquarters = np.array(firms.headquarters, dtype=str)
    rows = {scope: np.isin(headquarters, sorted(scope)) for scope in set(scopes)}
    return np.array([rows[scope] for scope in scopes], dtype=bool).reshape(len(scopes), -1)


def _tiers_by_month(epochs: tuple[Scenario, ...], epoch: np.ndarray, countries: tuple[str, ...],
                    dates: tuple[str, ...]) -> np.ndarray:
    """Tiers in force, (T, C) int8: each month's scenario's tier lists at the month's end.

    A tier list that names a reference group (``"tier3_2025"``) takes the
    group's members on the last day of each month, so a membership that
    begins or ends within a month holds for that month, as a rule dated by a
    ``[[timeline]]`` entry holds from the month it took effect in (Nicaragua
    joins Tier 3 in March 2024, Cambodia leaves it in February 2026). A list
    of codes is the same in every month it is in force.
    """
    rows: dict[tuple[frozenset[str], frozenset[str]], list[int]] = {}
    tiers = []
    for e, date in zip(epoch, dates, strict=True):
        members = epochs[e].tiers.members(month_end(date))
        if members not in rows:
            rows[members] = _tiers(members, countries)
        tiers.append(rows[members])
    return np.array(tiers, dtype=np.int8).reshape(len(dates), len(countries))


def _tiers(members: tuple[frozenset[str], frozenset[str]], countries: tuple[str, ...]) -> list[int]:
    tier1, tier3 = members
    return [TIER1 if c in tier1 else TIER3 if c in tier3 else TIER2 for c in countries]


def _tiers_active(scenario: Scenario, date: str) -> bool:
    rules = scenario.rules
    until = rules.tiers_until or "9999-12"
    return rules.tiered_caps and rules.tiers_from <= date < until


def _caps(scenario: Scenario, countries: tuple[str, ...]) -> list[int]:
    rules = scenario.rules
    return [math.floor(rules.cap_tpp * (rules.g2g_multiplier if scenario.countries[c].g2g
                                        else 1.0)) for c in countries]


def catch_probabilities(epochs: Sequence[Scenario], epoch: np.ndarray,
                        countries: tuple[str, ...]) -> np.ndarray:
    """Each month's catch probability in each country, (T, C) float64 (``World.catch_probability``).

    ``min(1, detection x the country's enforcement x measures_multiplier)`` in
    the scenario in force.
    """
    def catch(scenario: Scenario) -> list[float]:
        enforcement = scenario.enforcement
        return [min(1.0, enforcement.detection * scenario.countries[c].enforcement
                    * enforcement.measures_multiplier) for c in countries]

    return np.array([catch(e) for e in epochs], dtype=np.float64)[epoch]


def _nveu_cap(scenario: Scenario, date: str) -> int:
    schedule = scenario.rules.nveu_cap_h100e
    year = min(max(int(date[:4]) - int(scenario.rules.tiers_from[:4]), 0), len(schedule) - 1)
    return schedule[year] * H100E_TPP
