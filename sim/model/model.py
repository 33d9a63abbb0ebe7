"""``ExportControlModel``: the readable Mesa model, the reference specification.

One month (``step``) runs the phases of DESIGN.md section 2 in order. The
phases that one agent decides alone are agent methods run with
``AgentSet.do``; the ones where agents compete for something scarce (a
country's cap, a vendor's output, the grey market) are model methods here.
``docs/ODD.md`` describes the model in the ODD protocol.
"""

from __future__ import annotations

import math
from os import PathLike

import mesa
import numpy as np

from sim.model.agents import Broker, Country, DomesticMaker, Firm, Vendor, moved_index
from sim.model.allocation import allocate, pro_rata
from sim.reference import H100E_TPP
from sim.results import Results
from sim.rng import STREAM_PRIORITY, uniform
from sim.scenario import Scenario, load_scenario
from sim.world import World
from sim.world.codes import BROKER, CAPPED, TIER1, UVEU, VOLUME
from sim.world.market import NO_CHIP
from sim.world.metrics import CHIP_METRICS, COUNTRY_STATE, FLOWS, MARKET_METRICS, STEP_METRICS
from sim.world.phases import PHASES
from sim.world.population import firm_sizes_h100e

__all__ = ["FIRM_REPORTERS", "ExportControlModel"]

FIRM_REPORTERS = {
    "kind": "kind_name", "status": "status_name", "demand_tpp": "demand_tpp",
    "shipped_tpp": "received_tpp", "substituted_chips": "substituted_chips",
    "rented_tpp": "rented_tpp", "unmet_tpp": "unmet_tpp", "backlog_tpp": "backlog_tpp",
    "diversion_requested_tpp": "divert_request_tpp", "listed": "listed",
}
"""Each firm's month in the agent reporters (column: firm attribute), after the month's
phases; besides them ``agent`` (the class name, for every agent) and ``country`` (ISO3 of
a firm's or a country's own country). Other agents have ``None`` in the firm columns."""


class ExportControlModel(mesa.Model):
    """Countries and firms trading AI accelerators under a scenario's rules.

    Parameters
    ----------
    scenario : Scenario or path
        A loaded scenario, or a TOML file to load.
    seed : int
        Key of every random number in the run (see :mod:`sim.rng`); also
        seeds Mesa's own ``model.rng``, which the simulation does not use.
    agent_reporters : bool
        Record each firm's month (:data:`FIRM_REPORTERS`) for
        ``datacollector.get_agent_vars_dataframe()``; off, only the country
        and model reporters are recorded (a little faster). Reporters only
        read, so the run is the same either way.

    Attributes
    ----------
    config : Scenario
        The scenario being run (not ``scenario``: Mesa 3.5 reserves that name
        for its own experiment-scenario objects).
    world : World
        Seed-independent arrays derived from the scenario.
    countries, firms : list
        The agents, in index order (also in ``model.agents``).
    rental_index : float
        Rented remote compute's price over its price at the start, in force
        this month (:meth:`set_prices`; 1 under ``market.cloud_share =
        "unlimited"``).
    rent_requested_tpp, rent_offered_tpp : int
        This month's rent requests and compute offered for rent (:meth:`rent`),
        which move next month's rental index.

    Examples
    --------
    >>> model = ExportControlModel("scenarios/ai_diffusion_2025.toml", seed=1)
    >>> model.run()
    >>> model.results().metric("diverted_tpp").shape  # (runs, steps, countries)
    (1, 36, 26)
    """

    def __init__(self, scenario: Scenario | str | PathLike[str], seed: int = 0,
                 agent_reporters: bool = True) -> None:
        super().__init__(rng=seed)
        self.config = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.seed = int(seed)
        self.world = World.from_scenario(self.config)
        self.step_index = 0
        self.premium = self.config.diversion.initial_premium
        self.diversion_demand_tpp = [0] * len(self.world.countries)
        self.us_shipped_chips = [0] * self.world.market.n_chips
        self.diverted_chips = 0
        self.rental_index = 1.0
        self.rent_requested_tpp = self.rent_offered_tpp = 0
        self.countries = [Country(self, i) for i in range(len(self.world.countries))]
        self.firms = self._create_firms()
        self._create_vendors()
        self.datacollector = mesa.DataCollector(
            model_reporters={"grey_premium": "premium", "rental_price_index": "rental_index",
                             "market_price_usd": _market_prices},
            agenttype_reporters={Country: _country_reporters()},
            agent_reporters=_firm_reporters() if agent_reporters else None,
        )

    def _create_firms(self) -> list[Firm]:
        table = self.world.firms
        sizes = firm_sizes_h100e(table, self.config.market.size_tail_alpha,
                                 np.array([self.seed]))[0]
        installed_months = self.config.market.uveu_installed_months
        firms = []
        for index in range(table.n_firms):
            kind = Broker if table.kind[index] == BROKER else Firm
            firm = kind(self, index, self.countries[table.country[index]], float(sizes[index]))
            if firm.status == UVEU:
                firm.uveu_installed_tpp = installed_months * int(firm.base_h100e * H100E_TPP)
            if isinstance(firm, Broker):
                firm.country.brokers.append(firm)
            firms.append(firm)
        return firms

    def _create_vendors(self) -> None:
        world = self.world
        self.vendors = [Vendor(self, chip) for chip in range(world.market.n_chips)]
        self.domestic_makers = [DomesticMaker(self, c) for c in self.countries
                                if world.domestic_chips[:, c.index].any()]

    @property
    def in_force(self) -> Scenario:
        """The scenario in force this month: rules, prices and behaviour after the timeline."""
        return self.world.at(self.step_index)

    @property
    def buyers(self) -> mesa.agent.AgentSet:
        """Every firm, brokers included, as an AgentSet."""
        return self.agents.select(agent_type=Firm)

    @property
    def brokers(self) -> list[Broker]:
        """Brokers in firm order."""
        return [f for f in self.firms if isinstance(f, Broker)]

    # ----- one month -------------------------------------------------------------

    def step(self) -> None:
        """Run one month: every phase of :data:`sim.world.phases.PHASES`, then record."""
        self.step_index = self.steps - 1
        for phase in PHASES:
            getattr(self, phase)()
        self.datacollector.collect(self)
        if self.steps >= self.world.n_steps:
            self.running = False

    def start_month(self) -> None:
        """Countries and firms clear the month's books; annual allowances restart."""
        self.agents_by_type[Country].do("start_month")
        self.buyers.do("start_month")

    def renew_brokers(self) -> None:
        """Dormant front companies may enter; listed networks may re-form under a new name."""
        for broker in self.brokers:
            broker.renew()

    def set_prices(self) -> None:
        """Every vendor moves its market price by last month's orders over its output.

        Rented compute's price index moves by the same rule
        (:func:`~sim.model.agents.moved_index`), by last month's rent requests
        over the compute offered for rent; with nothing offered it is kept.
        """
        for vendor in self.vendors:
            vendor.set_price()
        if self.step_index > 0:
            self.rental_index = moved_index(self.rental_index, self.rent_requested_tpp,
                                            self.rent_offered_tpp, self.config.market)

    @property
    def price_index(self) -> list[float]:
        """Each chip's market price over its list price, in chip order."""
        return [vendor.price_index for vendor in self.vendors]

    @property
    def vendor_orders_chips(self) -> list[int]:
        """Approved orders each vendor received this month, in chip order."""
        return [vendor.orders_chips for vendor in self.vendors]

    def demand(self) -> None:
        """Every buyer states its monthly need at the market price (brokers have none)."""
        self.buyers.do("demand")

    def order(self) -> None:
        """Every buyer orders its country's chip: the first on sale it may receive."""
        self.buyers.do("order")

    def license(self) -> None:
        """Every order goes to its licensing path."""
        self.buyers.do("license")

    def want_substitute(self) -> None:
        """Buyers short of chips ask their domestic maker."""
        self.buyers.do("want_substitute")

    def respond(self) -> None:
        """Buyers settle what is still missing: rent, ask a broker, or wait."""
        self.buyers.do("respond")

    def priorities(self, firms: list[Firm]) -> list[float]:
        """First-come priority of each firm this month (lower is served first)."""
        index = np.array([f.index for f in firms], dtype=np.int64)
        return uniform(self.seed, self.step_index, STREAM_PRIORITY, index).tolist()

    def place_grey_market_orders(self) -> None:
        """Brokers share last month's diversion requests by route weight (frontier chips).

        The networks buy the target, at most what their front companies
        together can move this month (the sum of capacities), and share it in
        proportion to each broker's route weight (:meth:`Broker.route_weight`:
        its capacity, unless routes are steered). Unsteered, a broker gets its
        pro-rata share of the target, at most its capacity; steered, what a
        risky hub loses goes to the others.
        """
        brokers = self.brokers
        capacity = [b.capacity_chips() for b in brokers]
        weight = [b.route_weight(chips) for b, chips in zip(brokers, capacity, strict=True)]
        total = sum(weight)
        appetite = self.in_force.diversion.broker_appetite
        intensity = min(1.0, appetite * (self.premium - 1.0))
        tpp = self.frontier_tpp
        target = int(sum(d // tpp for d in self.diversion_demand_tpp) * intensity)
        volume = min(target, sum(capacity))
        for broker, share in zip(brokers, weight, strict=True):
            broker.request_tpp = (volume * share // total if total > 0 else 0) * tpp

    @property
    def frontier_tpp(self) -> int:
        """TPP of this month's frontier chip: the first on sale, what brokers buy."""
        return int(self.world.market.frontier_tpp[self.step_index])

    def settle_uveu(self) -> None:
        """Grant UVEU requests in Tier 2 within each parent's share limits."""
        rules, tpp = self.in_force.rules, self.frontier_tpp
        for parent, hq in enumerate(self.world.firms.parent_hq):
            subsidiaries = [f for f in self.firms if f.parent == parent and f.status == UVEU]
            asking = [f for f in subsidiaries if f.uveu_request > 0]
            if not asking:
                continue
            installed = sum(f.uveu_installed_tpp for f in subsidiaries)
            per_country = math.floor(rules.uveu_tier2_max_share * installed)
            clipped = [min(f.uveu_request, max(0, per_country - f.uveu_installed_tpp) // tpp)
                       for f in asking]
            outside = sum(f.uveu_installed_tpp for f in subsidiaries if f.country.tier != TIER1)
            room = math.floor((1.0 - rules.uveu_tier1_min_share) * installed) - outside
            if hq == rules.uveu_home_country:
                abroad = sum(f.uveu_installed_tpp for f in subsidiaries if f.country.code != hq)
                room = min(room, math.floor((1.0 - rules.uveu_home_min_share) * installed) - abroad)
            for firm, granted in zip(asking, pro_rata(clipped, max(0, room) // tpp), strict=True):
                firm.paths["uveu"] = granted

    def allocate_caps(self) -> None:
        """Share each country's licence room among its requests: cap or volume limit."""
        mode = self.in_force.rules.allocation
        for country in self.countries:
            if country.regime not in (CAPPED, VOLUME):
                continue
            asking = [f for f in self.firms if f.country is country and f.cap_request > 0]
            granted = allocate([f.cap_request for f in asking], self.licence_room_chips(country),
                               mode, self.priorities(asking))
            for firm, chips in zip(asking, granted, strict=True):
                firm.paths["cap"] = chips

    def licence_room_chips(self, country: Country) -> int:
        """Chips the country's licences may still cover this month."""
        if country.regime == VOLUME:
            return country.volume_limit_chips()
        return max(0, country.cap_tpp - country.quota_used_tpp) // country.chip_tpp

    def ship(self) -> None:
        """Each vendor shares its monthly output among the approved orders for its chip."""
        mode, firms = self.in_force.rules.allocation, self.firms
        for vendor in self.vendors:
            asking = [f for f in firms if f.chip == vendor.chip]
            orders = [f.approved_chips for f in asking]
            vendor.orders_chips = sum(orders)
            shipped = allocate(orders, vendor.capacity_chips, mode, self.priorities(asking))
            for firm, chips in zip(asking, shipped, strict=True):
                firm.ship(chips)
        for firm in firms:
            if firm.chip == NO_CHIP:  # nothing it may receive: an empty shipment
                firm.ship(0)
        for country in self.countries:
            country.book_revenue()
        usa = [c for c in self.countries if c.code == "USA"]
        self.us_shipped_chips = list(usa[0].shipped_chips) if usa else [0] * len(self.vendors)

    def allocate_domestic(self) -> None:
        """Domestic makers share their output among their country's substitute requests."""
        mode = self.in_force.rules.allocation
        for maker in self.domestic_makers:
            asking = [f for f in self.firms if f.country is maker.home and f.substitute_want > 0]
            granted = allocate([f.substitute_want for f in asking], maker.capacity_chips, mode,
                               self.priorities(asking))
            for firm, chips in zip(asking, granted, strict=True):
                firm.substituted_chips = chips

    def rent(self) -> None:
        """Buyers short of chips rent remote compute from the installed base that may hold it.

        Under ``market.cloud_share = "unlimited"`` every request is granted
        with no supplier. Otherwise each country that may receive the
        frontier chip offers ``int(stock x cloud_share)`` (its installed
        compute at the end of last month); the requests share the total pro
        rata, and what is rented is booked on the suppliers in proportion to
        what they offer (``rented_out_tpp``), the rounding remainder one TPP
        each to those with the most room left (the first on ties). The
        month's total requested and offered (0 with no supplier) move next
        month's rental index.
        """
        requests = [firm.rent_request() for firm in self.firms]
        self.rent_requested_tpp, self.rent_offered_tpp = sum(requests), 0
        share = self.config.market.cloud_share
        if share == "unlimited":
            for firm, granted in zip(self.firms, requests, strict=True):
                firm.rent(granted)
            return
        offered = [0 if c.restricted else int(c.stock_tpp * share) for c in self.countries]
        capacity = sum(offered)
        self.rent_offered_tpp = capacity
        granted = pro_rata(requests, capacity)
        for firm, tpp in zip(self.firms, granted, strict=True):
            firm.rent(tpp)
        rented = sum(granted)
        if rented == 0:
            return
        out = [rented * o // capacity for o in offered]
        room = [o - x for o, x in zip(offered, out, strict=True)]
        for c in sorted(range(len(room)), key=lambda c: (-room[c], c))[:rented - sum(out)]:
            out[c] += 1
        for country, tpp in zip(self.countries, out, strict=True):
            country.month.rented_out_tpp += tpp

    def divert(self) -> None:
        """Brokers re-export; what gets through is shared among restricted destinations."""
        self.diverted_chips = 0
        tpp = self.frontier_tpp
        delivered = sum(broker.divert() for broker in self.brokers) // tpp
        requested = [d // tpp for d in self.diversion_demand_tpp]
        total = sum(requested)
        if delivered == 0 or total == 0:
            return
        shares = [delivered * r // total for r in requested]
        largest = max(range(len(requested)), key=lambda i: (requested[i], -i))
        shares[largest] += delivered - sum(shares)
        for country, chips in zip(self.countries, shares, strict=True):
            country.month.diverted_received_tpp += chips * tpp
        self.diverted_chips = delivered

    def redirect(self) -> None:
        """Subsidiaries abroad of Tier 3-headquartered firms send a share of their chips home."""
        for firm in self.firms:
            firm.redirect()

    def deliver(self) -> None:
        """Install what arrived, learn from seizures, move the grey premium, note requests."""
        caught = [0] * len(self.countries)
        for broker in self.brokers:
            caught[broker.country.index] += broker.caught
        for country in self.countries:
            month = country.month
            arrived = (month.delivered_tpp + month.substituted_tpp + month.diverted_received_tpp
                       + month.redirected_received_tpp - month.redirected_tpp)
            country.deliver(arrived)
            country.learn_from_seizures(caught[country.index])
        restricted = [f for f in self.firms if f.restricted]
        asked = sum(f.request_tpp for f in restricted)
        missing = sum(f.residual_tpp for f in restricted)
        unmet = max(0, missing - self.diverted_chips * self.frontier_tpp)
        # Each count is rounded to a float first, as NumPy does in the core; int / int
        # would round only once, and differ in the last bit above 2**53 TPP.
        ratio = float(unmet) / float(asked) if asked > 0 else 0.0
        diversion = self.in_force.diversion
        target = 1.0 + diversion.premium_sensitivity * ratio
        inertia = diversion.premium_inertia
        self.premium = inertia * self.premium + (1.0 - inertia) * target
        self.diversion_demand_tpp = [c.month.diversion_requested_tpp for c in self.countries]

    # ----- running and results --------------------------------------------------

    def run(self) -> ExportControlModel:
        """Run every month of the scenario; return the model."""
        while self.running and self.steps < self.world.n_steps:
            self.step()
        return self

    def results(self) -> Results:
        """Return this run's metrics as a one-run :class:`Results`."""
        frame = self.datacollector.get_agenttype_vars_dataframe(Country)
        n_steps, n_countries = self.steps, len(self.countries)
        metrics = {
            name: frame[name].to_numpy(dtype=np.int64).reshape(1, n_steps, n_countries)
            for name in (*FLOWS, *COUNTRY_STATE)
        }
        model_frame = self.datacollector.get_model_vars_dataframe()
        for name in STEP_METRICS:
            metrics[name] = model_frame[name].to_numpy(dtype=np.float64).reshape(1, n_steps)
        for name in CHIP_METRICS:
            metrics[name] = np.array(frame[name].tolist(), dtype=np.int64).reshape(
                1, n_steps, n_countries, self.world.market.n_chips)
        for name in MARKET_METRICS:
            metrics[name] = np.array(model_frame[name].tolist(), dtype=np.float64).reshape(
                1, n_steps, self.world.market.n_chips)
        return Results.from_arrays(self.world, np.array([self.seed]), metrics)


def _market_prices(model: ExportControlModel) -> tuple[float, ...]:
    """Each chip's market price this month (the ``market_price_usd`` metric)."""
    return tuple(vendor.market_price_usd for vendor in model.vendors)


def _firm_reporters() -> dict[str, object]:
    reporters: dict[str, object] = {
        "agent": lambda agent: type(agent).__name__,
        "country": lambda agent: (agent.country.code if isinstance(agent, Firm)
                                  else getattr(agent, "code", None)),
    }
    reporters.update({
        name: (lambda agent, attribute=attribute: getattr(agent, attribute)
               if isinstance(agent, Firm) else None)
        for name, attribute in FIRM_REPORTERS.items()})
    return reporters


def _country_reporters() -> dict[str, object]:
    reporters: dict[str, object] = {
        name: (lambda agent, name=name: getattr(agent.month, name)) for name in FLOWS
    }
    reporters.update({name: name for name in COUNTRY_STATE})
    reporters["country"] = "code"  # ISO3, to index the frame by country rather than AgentID
    reporters.update({name: (lambda agent, name=name: tuple(getattr(agent, name)))
                      for name in CHIP_METRICS})
    return reporters
