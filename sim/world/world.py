"""The static world of a scenario: everything that does not depend on the seed.

Both implementations start from the same :class:`World`: the country order,
tiers, the licensing regime of every country in every month, caps, growth
factors, chip figures and the firm table. Computing these once, here, keeps
the rule arithmetic in one place and the per-step code free of calendars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.reference import H100E_TPP, classify_chip, load_chips, rule_scope
from sim.scenario.schema import Scenario
from sim.world.codes import CAPPED, DENIED, FREE, LICENSED, TIER1, TIER2, TIER3
from sim.world.population import FirmTable, firm_table

__all__ = ["World", "month_labels"]


def month_labels(start: str, months: int) -> tuple[str, ...]:
    """Return ``months`` consecutive ``"YYYY-MM"`` labels from ``start``."""
    year, month = int(start[:4]), int(start[5:7])
    return tuple(f"{year + (month - 1 + t) // 12:04d}-{(month - 1 + t) % 12 + 1:02d}"
                 for t in range(months))


@dataclass(frozen=True)
class World:
    """Seed-independent arrays derived from a scenario.

    Shapes: ``T`` steps, ``C`` countries (sorted ISO3 codes).

    Attributes
    ----------
    countries : tuple of str, (C,)
    tier : ndarray of int8, (C,)
        1, 2 or 3 under the 2025 framework (also the reporting groups).
    dates : tuple of str, (T,)
    regime : ndarray of int8, (T, C)
        ``FREE``, ``LICENSED``, ``CAPPED`` or ``DENIED`` for the frontier chip.
    compliant_ok : ndarray of bool, (T, C)
        A denied destination may still buy the compliant chip without a licence.
    new_year : ndarray of bool, (T,)
        The step starts a calendar year after the first step (LPP resets).
    cap_resets : ndarray of bool, (T,)
        The country cap's count starts again (annual caps, each January).
    cap_tpp : ndarray of int64, (C,)
        Tier 2 cap including the G2G multiplier.
    nveu_cap_tpp : ndarray of int64, (T,)
        Cumulative NVEU cap in force in each step.
    growth : ndarray of float64, (T, C)
        Demand multiplier relative to the first month.
    catch_probability : ndarray of float64, (C,)
        Probability that one diversion shipment through the country is caught.
    domestic_chips : ndarray of int64, (C,)
        Domestic substitute chips made a month.
    """

    scenario: Scenario
    countries: tuple[str, ...]
    tier: np.ndarray
    dates: tuple[str, ...]
    regime: np.ndarray
    compliant_ok: np.ndarray
    new_year: np.ndarray
    cap_resets: np.ndarray
    cap_tpp: np.ndarray
    nveu_cap_tpp: np.ndarray
    growth: np.ndarray
    catch_probability: np.ndarray
    domestic_chips: np.ndarray
    frontier_tpp: int
    compliant_tpp: int
    domestic_tpp: int
    firms: FirmTable

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> World:
        """Derive the world of ``scenario``."""
        countries = scenario.country_codes
        dates = month_labels(scenario.time.start, scenario.time.months)
        chips = load_chips()
        market, rules = scenario.market, scenario.rules
        tier = np.array([_tier(scenario, c) for c in countries], dtype=np.int8)
        configs = [scenario.countries[c] for c in countries]
        january = np.array([d.endswith("-01") for d in dates])
        january[0] = False
        domestic_tpp = chips[market.domestic_chip].tpp
        return cls(
            scenario=scenario,
            countries=countries,
            tier=tier,
            dates=dates,
            regime=_regimes(scenario, countries, tier, dates),
            compliant_ok=_compliant_ok(scenario, dates, len(countries)),
            new_year=january,
            cap_resets=january if rules.cap_period == "annual" else np.zeros_like(january),
            cap_tpp=np.array([math.floor(rules.cap_tpp * (rules.g2g_multiplier if c.g2g else 1.0))
                              for c in configs], dtype=np.int64),
            nveu_cap_tpp=_nveu_caps(scenario, dates),
            growth=np.array([[c.growth_per_year ** (t / 12) for c in configs]
                             for t in range(len(dates))], dtype=np.float64).reshape(len(dates), -1),
            catch_probability=np.array([min(1.0, scenario.enforcement.detection * c.enforcement
                                            * scenario.enforcement.measures_multiplier)
                                        for c in configs], dtype=np.float64),
            domestic_chips=np.array([c.domestic_capacity_h100e * H100E_TPP // domestic_tpp
                                     for c in configs], dtype=np.int64),
            frontier_tpp=chips[market.frontier_chip].tpp,
            compliant_tpp=chips[market.compliant_chip].tpp,
            domestic_tpp=domestic_tpp,
            firms=firm_table(scenario),
        )

    @property
    def n_steps(self) -> int:
        """Number of monthly steps."""
        return len(self.dates)


_TIER_REGIME = {TIER1: FREE, TIER2: CAPPED, TIER3: DENIED}
"""Regime of the frontier chip in each tier while the 2025 framework binds."""


def _tier(scenario: Scenario, code: str) -> int:
    if code in scenario.tiers.tier1:
        return TIER1
    return TIER3 if code in scenario.tiers.tier3 else TIER2


def _tiers_active(scenario: Scenario, date: str) -> bool:
    rules = scenario.rules
    until = rules.tiers_until or "9999-12"
    return rules.tiered_caps and rules.tiers_from <= date < until


def _regimes(scenario: Scenario, countries: tuple[str, ...], tier: np.ndarray,
             dates: tuple[str, ...]) -> np.ndarray:
    rules = scenario.rules
    frontier = load_chips()[scenario.market.frontier_chip]
    controlled = classify_chip(frontier, rules.chip_rule)
    scope = rule_scope(rules.chip_rule)
    by_scope = np.array([(DENIED if t == TIER3 else LICENSED) if c in scope else FREE
                         for c, t in zip(countries, tier, strict=True)], dtype=np.int8)
    by_tier = np.array([_TIER_REGIME[int(t)] for t in tier], dtype=np.int8)
    regime = np.zeros((len(dates), len(countries)), dtype=np.int8)
    if controlled:
        for step, date in enumerate(dates):
            regime[step] = by_tier if _tiers_active(scenario, date) else by_scope
    return regime


def _compliant_ok(scenario: Scenario, dates: tuple[str, ...], n_countries: int) -> np.ndarray:
    rules = scenario.rules
    compliant = load_chips()[scenario.market.compliant_chip]
    free = not classify_chip(compliant, rules.chip_rule)
    until = rules.compliant_controlled_from or "9999-12"
    ok = np.array([free and date < until for date in dates])
    return np.repeat(ok[:, None], n_countries, axis=1)


def _nveu_caps(scenario: Scenario, dates: tuple[str, ...]) -> np.ndarray:
    schedule = scenario.rules.nveu_cap_h100e
    first_year = int(scenario.rules.tiers_from[:4])
    years = [min(max(int(d[:4]) - first_year, 0), len(schedule) - 1) for d in dates]
    return np.array([schedule[y] * H100E_TPP for y in years], dtype=np.int64)
