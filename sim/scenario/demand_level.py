"""The level of world demand: the firm sizes as typed, or anchored to a published figure.

``market.world_demand_h100e`` says what the world's buyers want in
``market.demand_reference_month``, in H100e a month:

``"firms"`` (the default)
    The firm sizes as they are (``market.firm_demand_h100e`` times each
    country's ``demand_scale``, and the named firms' ``hosts``).
``"reference"``
    The world's shipments of traded accelerators in that month, from
    ``sim/reference/supply.csv`` (:func:`sim.reference.supply.world_shipments_tpp`,
    docs/sources.md §22): demand at list price equals what was shipped.
a number
    That many H100e a month.

With a level given, every firm's size is multiplied by one factor
(:func:`demand_level_factor`) so that the *expected* demand of all buyers
in the reference month equals it. The sizes then say only how demand is
shared among firms and countries. Brokers are not buyers: their size is a
purchasing capacity for diversion, calibrated against published smuggling
volumes (docs/validation.md), so they neither count toward the level nor are
scaled by it. The expected demand of a generated firm is its median times the
mean of the size distribution's quantile table (the demand noise has mean
1, the growth is 1 in the reference month and the price starts at list), so
the factor is the same in every seed and both implementations read it.
"""

from __future__ import annotations

from sim.distributions import pareto_quantiles
from sim.reference.chips import H100E_TPP
from sim.reference.supply import world_shipments_tpp
from sim.scenario.schema import Scenario

__all__ = ["DEMAND_LEVELS", "demand_level_factor", "expected_demand_h100e",
           "target_demand_h100e"]

DEMAND_LEVELS = ("firms", "reference")
"""The words ``market.world_demand_h100e`` accepts besides a number."""

_BUYER_KINDS = ("buyer", "research", "champion")


def expected_demand_h100e(scenario: Scenario) -> float:
    """Return the world's expected demand in the reference month from the sizes as typed.

    Every generated buyer (not the brokers) at its median times the mean of
    :func:`~sim.distributions.pareto_quantiles`, times its country's
    ``demand_scale``, plus every named firm's ``hosts``; H100e a month.
    """
    sizes = scenario.market.firm_demand_h100e
    mean_draw = float(pareto_quantiles(scenario.market.size_tail_alpha).mean())
    generated = sum(getattr(country.firms, kind) * getattr(sizes, kind) * country.demand_scale
                    for country in scenario.countries.values() for kind in _BUYER_KINDS)
    named = sum(h for firm in scenario.firms for h in firm.hosts.values())
    return generated * mean_draw + named


def target_demand_h100e(scenario: Scenario) -> float | None:
    """Return the level ``market.world_demand_h100e`` asks for, H100e a month.

    None under ``"firms"`` (the sizes as typed).
    """
    level = scenario.market.world_demand_h100e
    if level == "firms":
        return None
    if level == "reference":
        return world_shipments_tpp(scenario.market.demand_reference_month) / H100E_TPP
    return float(level)


def demand_level_factor(scenario: Scenario) -> float:
    """Return the factor every firm's size is multiplied by (1.0 under ``"firms"``).

    The target level (:func:`target_demand_h100e`) over
    :func:`expected_demand_h100e`; 0.0 when there is no buyer at all (the
    scenario check refuses a level with no buyers to carry it).
    """
    target = target_demand_h100e(scenario)
    if target is None:
        return 1.0
    expected = expected_demand_h100e(scenario)
    return target / expected if expected > 0 else 0.0
