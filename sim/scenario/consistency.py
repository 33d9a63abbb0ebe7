"""Checks that span several fields of an otherwise valid scenario."""

from __future__ import annotations

from sim.scenario.constraints import MAX_QUANTITY
from sim.scenario.documents import Document
from sim.scenario.schema import Scenario

__all__ = ["check_consistency", "largest_monthly_demand_tpp"]


def check_consistency(scenario: Scenario, doc: Document) -> None:
    """Raise ``ScenarioError`` for a scenario whose fields contradict each other."""
    _check_tiers(scenario, doc)
    _check_chips(scenario, doc)
    _check_window(scenario, doc)
    _check_named_firms(scenario, doc)
    _check_quantities(scenario, doc)


def _check_tiers(scenario: Scenario, doc: Document) -> None:
    both = sorted(set(scenario.tiers.tier1) & set(scenario.tiers.tier3))
    if both:
        raise doc.error(
            doc.latest(("tiers", "tier1"), ("tiers", "tier3")),
            f"expected each country in one tier, found {both[0]} in both tier1 and tier3",
        )


def _check_chips(scenario: Scenario, doc: Document) -> None:
    from sim.reference.chips import load_chips

    catalogue = load_chips()
    market = scenario.market
    for key in ("frontier_chip", "compliant_chip", "domestic_chip"):
        chip = getattr(market, key)
        if chip not in catalogue:
            raise doc.error(
                ("market", key),
                f"expected a chip in the catalogue ({', '.join(sorted(catalogue))}), "
                f"found {chip!r}",
            )
    if catalogue[market.domestic_chip].origin == "us_controlled":
        raise doc.error(
            ("market", "domestic_chip"), f"expected a domestic chip, found {market.domestic_chip!r}"
        )


def _check_window(scenario: Scenario, doc: Document) -> None:
    rules = scenario.rules
    if rules.tiers_until and rules.tiers_until <= rules.tiers_from:
        raise doc.error(
            ("rules", "tiers_until"),
            f"expected a month after tiers_from ({rules.tiers_from}), found {rules.tiers_until!r}",
        )


def _check_named_firms(scenario: Scenario, doc: Document) -> None:
    names: set[str] = set()
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
        if firm.status == "uveu" and firm.hq not in scenario.tiers.tier1:
            raise doc.error((*path, "hq"), f"expected a Tier 1 HQ for a UVEU, found {firm.hq!r}")
        if firm.status == "nveu" and (firm.hq in scenario.tiers.tier3 or len(firm.hosts) != 1):
            raise doc.error(
                (*path, "hosts"), "expected an NVEU with one host and an HQ outside Tier 3"
            )


def largest_monthly_demand_tpp(scenario: Scenario) -> float:
    """Return an upper bound on any one firm's monthly request, in TPP.

    Used to reject scenarios whose integer bookkeeping could overflow.
    """
    from sim.population import size_quantile_max
    from sim.reference.chips import H100E_TPP

    sizes = scenario.market.firm_demand_h100e
    named = max((h for f in scenario.firms for h in f.hosts.values()), default=0.0)
    generated = max(sizes.buyer, sizes.research, sizes.champion, sizes.broker)
    scale = max((c.demand_scale * c.transit for c in scenario.countries.values()), default=0.0)
    scale = max(scale, max((c.demand_scale for c in scenario.countries.values()), default=0.0))
    growth = max((c.growth_per_year for c in scenario.countries.values()), default=1.0)
    years = scenario.time.months / 12
    noise = 1 + scenario.market.demand_noise
    backlog = 1 + scenario.market.backlog_months
    peak = max(named, generated * size_quantile_max(scenario.market.size_tail_alpha) * scale)
    return peak * max(growth, 1.0) ** years * noise * backlog * H100E_TPP


def _check_quantities(scenario: Scenario, doc: Document) -> None:
    if largest_monthly_demand_tpp(scenario) > MAX_QUANTITY:
        sizes = scenario.market.firm_demand_h100e
        kind = max(("buyer", "research", "champion", "broker"), key=lambda k: getattr(sizes, k))
        countries = scenario.countries
        fastest = max(countries, key=lambda c: countries[c].growth_per_year, default=None)
        growth = [("countries", fastest, "growth_per_year")] if fastest else []
        raise doc.error(
            doc.latest(("market", "firm_demand_h100e", kind), *growth),
            f"expected firm demand that stays below {MAX_QUANTITY:.0e} TPP a month over the "
            "window (sizes x growth overflow the integer bookkeeping)",
        )
