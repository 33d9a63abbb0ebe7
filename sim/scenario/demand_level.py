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

Under ``world.countries = "reference"`` (:mod:`sim.scenario.world`) the
level is shared among countries by data rather than by typed sizes: country
``c`` wants ``D_c = T x s_c k_c / sum(s k)`` in the reference month, with
``T`` the level (under ``"firms"``, the typed sizes' sum
:func:`expected_demand_h100e`), ``s_c`` its share in
``sim/reference/demand_shares.csv`` (0 for a modelled code that is not an
importer) and ``k_c`` its ``demand_scale`` (default 1). The named firms'
``hosts`` in ``c`` are part of ``D_c`` and keep their typed sizes; the
generated buyers, research buyers and champions of ``c`` share the rest,
``D_c - named_c``, in proportion to their kinds' medians. Where the named
firms alone want more than ``T x s_c k_c / sum(s k)``, or the country has no
generated buyer, the country is held at its named firms' demand and the
other countries share the rest of ``T`` (:func:`country_demand_h100e`), so
the world's expected demand is still ``T`` and those countries' demand
exceeds their share (``experiments/validate.py --world-only`` prints the
shares the model ends up with). A broker's size is its median times its country's ``transit``,
unscaled. :func:`size_factors` returns the multipliers for both modes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.distributions import pareto_quantiles
from sim.reference.chips import H100E_TPP
from sim.reference.demand import demand_shares
from sim.reference.supply import world_shipments_tpp
from sim.scenario.schema import Scenario

__all__ = ["DEMAND_LEVELS", "SizeFactors", "country_demand_h100e", "demand_level_factor",
           "expected_demand_h100e", "named_demand_h100e", "size_factors",
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


@dataclass(frozen=True)
class SizeFactors:
    """What every firm's size is multiplied by, seed-independent.

    Attributes
    ----------
    buyer : dict of str to float
        Country code to the factor on the median of its generated buyers,
        research buyers and champions.
    broker : dict of str to float
        Country code to the factor on the median of its brokers.
    named : float
        The factor on every named firm's ``hosts``.
    """

    buyer: dict[str, float]
    broker: dict[str, float]
    named: float


def country_demand_h100e(scenario: Scenario) -> dict[str, float]:
    """Return each country's expected demand ``D_c`` in the reference month, H100e a month.

    Only under ``world.countries = "reference"`` (see the module docstring):
    ``T x s_c k_c / sum(s k)``. A country whose named firms want more than
    that, or that has no generated buyer to carry it, is held at its named
    firms' demand, and the rest of ``T`` is shared among the others by the
    same weights, until no country is left over (each round holds at least
    one more country, so at most one round per country). The demands so sum
    to ``T`` whenever a country with generated buyers is left; all
    countries are at their named firms' demand when these alone reach ``T``.
    """
    target = target_demand_h100e(scenario)
    total = expected_demand_h100e(scenario) if target is None else target
    shares = demand_shares()
    countries = scenario.countries
    weight = {code: (shares[code].share if code in shares else 0.0) * country.demand_scale
              for code, country in countries.items()}
    named = named_demand_h100e(scenario)
    carries = {code: any(getattr(c.firms, kind) for kind in _BUYER_KINDS)
               for code, c in countries.items()}
    held: set[str] = {code for code in countries if not carries[code]}
    while True:
        rest = max(total - math.fsum(named[code] for code in held), 0.0)
        summed = math.fsum(w for code, w in weight.items() if code not in held)
        demand = {code: named[code] if code in held
                  else rest * weight[code] / summed if summed > 0 else 0.0
                  for code in countries}
        over = {code for code in countries if code not in held and named[code] > demand[code]}
        if not over:
            return demand
        held |= over


def named_demand_h100e(scenario: Scenario) -> dict[str, float]:
    """Return the named firms' ``hosts`` summed by modelled country, H100e a month."""
    named = dict.fromkeys(scenario.countries, 0.0)
    for firm in scenario.firms:
        for host, h100e in firm.hosts.items():
            named[host] += h100e
    return named


def size_factors(scenario: Scenario) -> SizeFactors:
    """Return the factors on every firm's size (see :class:`SizeFactors`).

    Under ``"listed"``: a generated buyer's is ``demand_scale`` times the
    level :func:`demand_level_factor`, a broker's ``demand_scale x transit``,
    a named firm's the level. Under ``"reference"``: a generated buyer's is
    ``max(D_c - named_c, 0)`` over the expected size of the country's
    generated buyers at factor 1 (0 when it has none), a broker's its
    ``transit``, a named firm's 1.
    """
    countries = scenario.countries
    broker = {code: c.transit for code, c in countries.items()}
    if scenario.world.countries == "listed":
        level = demand_level_factor(scenario)
        return SizeFactors(buyer={code: c.demand_scale * level for code, c in countries.items()},
                           broker={code: c.demand_scale * broker[code]
                                   for code, c in countries.items()},
                           named=level)
    demand, named = country_demand_h100e(scenario), named_demand_h100e(scenario)
    sizes = scenario.market.firm_demand_h100e
    mean_draw = float(pareto_quantiles(scenario.market.size_tail_alpha).mean())
    buyer = {}
    for code, country in countries.items():
        generated = mean_draw * sum(getattr(country.firms, kind) * getattr(sizes, kind)
                                    for kind in _BUYER_KINDS)
        rest = max(demand[code] - named[code], 0.0)
        buyer[code] = rest / generated if generated > 0 else 0.0
    return SizeFactors(buyer=buyer, broker=broker, named=1.0)
