"""Checks that span several fields of an otherwise valid scenario."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection

from sim.distributions import size_quantile_max
from sim.months import month_end, month_labels
from sim.reference.chips import H100E_TPP, load_chips
from sim.scenario.constraints import MAX_QUANTITY
from sim.scenario.demand_growth import largest_growth
from sim.scenario.demand_level import (
    SizeFactors,
    expected_demand_h100e,
    size_factors,
    target_demand_h100e,
)
from sim.scenario.documents import Document, KeyPath
from sim.scenario.schema import Scenario, TiersConfig

__all__ = [
    "CHECKS",
    "INT64_MAX",
    "LAST_MONTH",
    "check_consistency",
    "checks_reading",
    "largest_monthly_demand_tpp",
    "monthly_orders_bound_tpp",
    "window_end",
]

INT64_MAX = 2**63 - 1
"""Largest value of the int64 arrays both implementations record."""
LAST_MONTH = "9999-12"
"""Last month a window may reach: month labels have four-digit years."""


def check_consistency(scenario: Scenario, doc: Document,
                      changed: Collection[str] | None = None) -> None:
    """Raise ``ScenarioError`` for a scenario whose fields contradict each other.

    ``changed``: the dotted keys in which ``scenario`` differs from one that
    passed these checks (a sweep's point derived from the first point); only
    the checks that read one of them run. ``None``: every check.
    """
    for check in checks_reading(changed):
        check(scenario, doc)


def checks_reading(changed: Collection[str] | None) -> tuple[Callable[..., None], ...]:
    """Return the checks of :data:`CHECKS` that read one of ``changed`` (all for ``None``)."""
    return tuple(check for check, reads in CHECKS
                 if changed is None or any(_under(key, reads) for key in changed))


def _under(key: str, prefixes: tuple[str, ...]) -> bool:
    """Whether dotted ``key`` is one of ``prefixes`` or lies under one."""
    return any(key == prefix or key.startswith(f"{prefix}.") for prefix in prefixes)


def _check_price_response(scenario: Scenario, doc: Document) -> None:
    """Demand at the price floor, 1 / (1 + e x (floor - 1)), must stay positive and finite."""
    market = scenario.market
    if market.price_elasticity * (1.0 - market.price_floor) < 1.0:
        return
    raise doc.error(
        doc.latest(("market", "price_elasticity"), ("market", "price_floor")),
        f"expected price_elasticity x (1 - price_floor) below 1, so that demand at the price "
        f"floor stays finite, found {market.price_elasticity:g} x (1 - "
        f"{market.price_floor:g}) = {market.price_elasticity * (1 - market.price_floor):.3g}",
    )


def _check_countries(scenario: Scenario, doc: Document) -> None:
    if not scenario.countries:
        raise doc.error(("countries",), "expected at least one modelled country, found none")


def _check_domestic_reference(scenario: Scenario, doc: Document) -> None:
    """Refuse the reference domestic schedule (Huawei's) for a country other than China."""
    for code, country in scenario.countries.items():
        if country.domestic_capacity_h100e == "reference" and code != "CHN":
            raise doc.error(("countries", code, "domestic_capacity_h100e"),
                            'expected "reference" only for CHN (the Huawei Ascend schedule of '
                            "sim/reference/supply.csv), or an amount in H100e a month")


def _check_demand_level(scenario: Scenario, doc: Document) -> None:
    """Refuse a demand level that no buyer carries, or a reference month without shipments."""
    target = target_demand_h100e(scenario)
    if target is None:
        return
    key = ("market", "world_demand_h100e")
    if target <= 0:
        raise doc.error(doc.latest(key, ("market", "demand_reference_month")),
                        "expected a reference month with world shipments in "
                        "sim/reference/supply.csv (2021-01 to 2027-12), found "
                        f"{scenario.market.demand_reference_month!r}")
    if expected_demand_h100e(scenario) <= 0:
        raise doc.error(key, "expected buyers whose sizes can carry a demand level (some "
                        "firms.buyer, research or champion, or a named firm), found none")


def _window_members(scenario: Scenario) -> set[tuple[frozenset[str], frozenset[str]]]:
    """Return the distinct (Tier 1, Tier 3) codes over the window, read at each month's end.

    A list of codes is the same every month; a named group is read on each
    month's last day, as :class:`sim.world.World` reads it.
    """
    tiers = scenario.tiers
    if not isinstance(tiers.tier1, str) and not isinstance(tiers.tier3, str):
        return {tiers.members()}
    return set(_members_over(tiers, scenario.time.start, scenario.time.months))


@functools.lru_cache(maxsize=256)
def _members_over(tiers: TiersConfig, start: str, months: int,
                  ) -> frozenset[tuple[frozenset[str], frozenset[str]]]:
    """Return :func:`_window_members` of tiers that name a reference group.

    The groups are reference data, read once a process (``country_groups``),
    and a sweep checks the same tiers over the same window at every point and
    in every epoch of its timeline.
    """
    return frozenset(tiers.members(month_end(m)) for m in month_labels(start, months))


def _check_tiers(scenario: Scenario, doc: Document) -> None:
    both = sorted(set().union(*(t1 & t3 for t1, t3 in _window_members(scenario))))
    if both:
        raise doc.error(
            doc.latest(("tiers", "tier1"), ("tiers", "tier3")),
            f"expected each country in one tier, found {both[0]} in both tier1 and tier3",
        )


def _check_chips(scenario: Scenario, doc: Document) -> None:
    """Require chips on sale, and measures on chips on sale (each is sold from its launch)."""
    market = scenario.market
    if not market.chips:
        raise doc.error(("market", "chips"), "expected at least one chip on sale, found none")
    if sorted(market.preference) != sorted(market.chips):
        raise doc.error(doc.latest(("market", "preference"), ("market", "chips")),
                        f"expected every chip of market.chips once ({', '.join(market.chips)}), "
                        f"found {list(market.preference)}")
    for chip, measure in scenario.rules.chip_measures.items():
        path = ("rules", "chip_measures", chip)
        if chip not in market.chips:
            raise doc.error(path, f"expected a chip on sale (market.chips: "
                            f"{', '.join(market.chips)}), found {chip!r}")
        if measure.measure != "case_by_case":
            continue
        if measure.volume_reference not in market.chips:
            raise doc.error((*path, "volume_reference"), "expected the chip on sale whose US "
                            "shipments set the case-by-case volume limit, found "
                            f"{measure.volume_reference!r}")
        if "USA" not in scenario.countries:
            raise doc.error(("countries",), "expected USA modelled: a case-by-case volume "
                            f"limit on {chip} counts US shipments")


def window_end(scenario: Scenario) -> str:
    """Return the last month of the window, ``YYYY-MM`` (capped at ``LAST_MONTH``)."""
    year, month = int(scenario.time.start[:4]), int(scenario.time.start[5:7])
    index = year * 12 + month - 1 + scenario.time.months - 1
    return min(f"{index // 12:04d}-{index % 12 + 1:02d}", LAST_MONTH)


def _check_window(scenario: Scenario, doc: Document) -> None:
    time = scenario.time
    year, month = int(time.start[:4]), int(time.start[5:7])
    if (year * 12 + month - 1 + time.months - 1) // 12 > int(LAST_MONTH[:4]):
        raise doc.error(
            doc.latest(("time", "start"), ("time", "months")),
            f"expected a window that ends by {LAST_MONTH}, found {time.months} months "
            f"from {time.start}",
        )
    rules = scenario.rules
    if rules.tiers_until and rules.tiers_until <= rules.tiers_from:
        raise doc.error(
            ("rules", "tiers_until"),
            f"expected a month after tiers_from ({rules.tiers_from}), found {rules.tiers_until!r}",
        )


def _check_named_firms(scenario: Scenario, doc: Document) -> None:
    names: set[str] = set()
    members = _window_members(scenario)
    tier1 = frozenset.intersection(*(t1 for t1, _ in members))  # Tier 1 in every month
    tier3 = frozenset().union(*(t3 for _, t3 in members))  # Tier 3 in some month
    for index, firm in enumerate(scenario.firms):
        path = ("firms", str(index))
        if firm.name in names:
            raise doc.error((*path, "name"), f"expected a unique name, found {firm.name!r} twice")
        names.add(firm.name)
        for host in firm.hosts:
            if host not in scenario.countries:
                raise doc.error(
                    (*path, "hosts", host), "expected a modelled country (one under [countries])"
                )
        if firm.status == "uveu" and firm.hq not in tier1:
            raise doc.error(doc.latest((*path, "hq"), ("tiers", "tier1")),
                            f"expected a Tier 1 HQ for a UVEU, found {firm.hq!r}")
        if firm.status == "nveu" and len(firm.hosts) != 1:
            raise doc.error((*path, "hosts"),
                            f"expected an NVEU with one host, found {len(firm.hosts)}")
        if firm.status == "nveu" and firm.hq in tier3:
            raise doc.error(doc.latest((*path, "hq"), ("tiers", "tier3")),
                            f"expected an NVEU HQ outside Tier 3, found {firm.hq!r}")


def largest_monthly_demand_tpp(scenario: Scenario, factors: SizeFactors | None = None) -> float:
    """Return an upper bound on any one firm's monthly request, in TPP.

    Used to reject scenarios whose integer bookkeeping could overflow.
    ``factors``: the scenario's :func:`size_factors`, if already computed.
    """
    sizes = scenario.market.firm_demand_h100e
    factors = size_factors(scenario) if factors is None else factors
    named = max((h for f in scenario.firms for h in f.hosts.values()), default=0.0)
    buyers = max(sizes.buyer, sizes.research, sizes.champion)
    generated = max(max((buyers * f for f in factors.buyer.values()), default=0.0),
                    max((sizes.broker * f for f in factors.broker.values()), default=0.0))
    reference, last = scenario.market.demand_reference_month, window_end(scenario)
    growth = max((largest_growth(c.growth_per_year, reference, last)
                  for c in scenario.countries.values()), default=1.0)
    noise = 1 + scenario.market.demand_noise
    backlog = 1 + scenario.market.backlog_months
    peak = max(named * factors.named,
               generated * size_quantile_max(scenario.market.size_tail_alpha))
    return peak * growth * noise * backlog * H100E_TPP


def monthly_orders_bound_tpp(scenario: Scenario,
                             factors: SizeFactors | None = None) -> dict[KeyPath, float]:
    """Return upper bounds on what groups of firms can order in one month, in TPP.

    Every generated firm is taken at the largest size it can draw and every
    firm at its country's fastest growth, highest noise and fullest backlog,
    so no seed can exceed the bounds. A broker's order (its purchasing
    capacity) stays within the same bound. ``factors``: the scenario's
    :func:`size_factors`, if already computed.

    Returns
    -------
    dict of key path to float
        ``("countries", code)``: the generated firms of a country;
        ``("firms", index)``: the subsidiaries of a named firm.
    """
    market, last = scenario.market, window_end(scenario)
    sizes = market.firm_demand_h100e
    factors = size_factors(scenario) if factors is None else factors
    per_h100e = (1 + market.demand_noise) * (1 + market.backlog_months) * H100E_TPP
    growth = {code: largest_growth(c.growth_per_year, market.demand_reference_month, last)
              for code, c in scenario.countries.items()}
    top = size_quantile_max(market.size_tail_alpha)
    bounds: dict[KeyPath, float] = {}
    for code, country in scenario.countries.items():
        n = country.firms
        h100e = ((n.buyer * sizes.buyer + n.research * sizes.research
                  + n.champion * sizes.champion) * factors.buyer[code]
                 + n.broker * sizes.broker * factors.broker[code])
        bounds[("countries", code)] = h100e * top * growth[code] * per_h100e
    for index, firm in enumerate(scenario.firms):
        h100e_grown = sum(h * growth[host] for host, h in firm.hosts.items())
        bounds[("firms", str(index))] = h100e_grown * factors.named * per_h100e
    return bounds


def _check_quantities(scenario: Scenario, doc: Document) -> None:
    factors = size_factors(scenario)  # once: every epoch of a timeline is checked
    _check_firm_demand(scenario, doc, factors)
    _check_totals(scenario, doc, factors)


def _check_totals(scenario: Scenario, doc: Document, factors: SizeFactors) -> None:
    """Reject scenarios whose sums could leave int64 (see docs/reliability.md).

    With ``T`` the bound on a month's orders of all firms: every monthly flow
    is at most ``T``; installed stock and a UVEU group's installed base at
    most ``(market.uveu_installed_months + months) x T``; revenue at most
    ``T / tF x frontier price + T / tC x compliant price``.
    """
    bounds = monthly_orders_bound_tpp(scenario, factors)
    total = sum(bounds.values())
    largest = max(bounds, key=lambda k: bounds[k], default=None)
    blame = _blame_orders(scenario, doc, largest)
    horizon = scenario.market.uveu_installed_months + scenario.time.months
    if horizon * total > INT64_MAX:
        raise doc.error(
            blame,
            f"expected firms whose orders over {horizon} months stay below 2**63 TPP, found up "
            f"to {horizon * total:.1e} (counts x sizes x growth overflow the integer bookkeeping)",
        )
    offers, chips = scenario.market.chips, load_chips()
    revenue = (total / min(chips[c].tpp for c in offers)
               * max(o.price_usd for o in offers.values()))
    if revenue > INT64_MAX:
        raise doc.error(
            doc.latest(*(("market", "chips", c, "price_usd") for c in offers), blame),
            f"expected a month's revenue below 2**63 USD, found up to {revenue:.1e} "
            "(prices x the largest possible orders overflow the integer bookkeeping)",
        )


def _blame_orders(scenario: Scenario, doc: Document, largest: KeyPath | None) -> KeyPath:
    """Return the key the user most likely changed to make ``largest`` too big."""
    if largest is None:
        return ("countries",)
    if largest[0] == "firms":
        return doc.latest((*largest, "hosts"), ("time", "months"))
    code = largest[1]
    sizes, counts = scenario.market.firm_demand_h100e, scenario.countries[code].firms
    kinds = sorted(("buyer", "research", "champion", "broker"),
                   key=lambda k: -getattr(sizes, k) * getattr(counts, k))
    return doc.latest(*(("countries", code, "firms", k) for k in kinds),
                      *(("market", "firm_demand_h100e", k) for k in kinds),
                      ("countries", code, "demand_scale"), ("countries", code, "growth_per_year"),
                      ("time", "months"))


def _check_firm_demand(scenario: Scenario, doc: Document, factors: SizeFactors) -> None:
    if largest_monthly_demand_tpp(scenario, factors) <= MAX_QUANTITY:
        return
    sizes, countries = scenario.market.firm_demand_h100e, scenario.countries
    kind = max(("buyer", "research", "champion", "broker"), key=lambda k: getattr(sizes, k))
    scale = max(max(factors.buyer.values(), default=0.0), max(factors.broker.values(), default=0.0))
    generated = getattr(sizes, kind) * size_quantile_max(scenario.market.size_tail_alpha) * scale
    named = max(((h * factors.named, i) for i, f in enumerate(scenario.firms)
                 for h in f.hosts.values()), default=(0.0, -1))
    culprit = (("firms", str(named[1]), "hosts") if named[0] > generated
               else ("market", "firm_demand_h100e", kind))
    reference, last = scenario.market.demand_reference_month, window_end(scenario)
    fastest = max(countries, key=lambda c: largest_growth(countries[c].growth_per_year,
                                                         reference, last))
    raise doc.error(
        doc.latest(culprit, ("countries", fastest, "growth_per_year"), ("time", "months")),
        f"expected firm demand that stays below {MAX_QUANTITY:.0e} TPP a month over the "
        "window (sizes x growth overflow the integer bookkeeping)",
    )


_DEMAND_LEVEL = ("market.world_demand_h100e", "market.demand_reference_month",
                 "market.firm_demand_h100e.buyer", "market.firm_demand_h100e.research",
                 "market.firm_demand_h100e.champion", "market.size_tail_alpha", "countries",
                 "firms", "world")
"""The keys a scenario's demand level and firm sizes read (``sim.scenario.demand_level``)."""

CHECKS: tuple[tuple[Callable[[Scenario, Document], None], tuple[str, ...]], ...] = (
    (_check_countries, ("countries",)),
    (_check_chips, ("market.chips", "market.preference", "rules.chip_measures", "countries")),
    (_check_window, ("time", "rules.tiers_from", "rules.tiers_until")),
    (_check_tiers, ("tiers", "time")),  # after the window, over whose months it reads the groups
    (_check_named_firms, ("firms", "countries", "tiers", "time")),
    (_check_demand_level, _DEMAND_LEVEL),
    (_check_quantities, (*_DEMAND_LEVEL, "market.firm_demand_h100e.broker",
                         "market.demand_noise", "market.backlog_months",
                         "market.uveu_installed_months", "market.chips", "time")),
    (_check_domestic_reference, ("countries",)),
    (_check_price_response, ("market.price_elasticity", "market.price_floor")),
)
"""The cross-field checks in the order they run, each with the keys it reads (a key
and every key under it). ``tests/test_points.py`` holds each check to its list: every
key of a section it does not list is set, in every shipped scenario, to a value that
raises when used, and the check must pass all the same.
"""
