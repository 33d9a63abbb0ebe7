"""The agents: countries, vendors, buyer firms and brokers.

Each phase of a month is one small method named after it (``demand``,
``order``, ``license``, ``respond``, ``divert``). Quantities of compute are
Python integers: chips, or TPP (chips times the chip's TPP). The model
(:mod:`sim.model.model`) runs the phases in order and does the steps that
involve many agents at once (caps, vendor capacity, the grey market).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.reference import H100E_TPP
from sim.rng import (
    STREAM_CATCH,
    STREAM_DEMAND,
    STREAM_ENTRY,
    STREAM_REDIRECT,
    STREAM_REFORM,
    uniform,
)
from sim.world.codes import (
    BROKER,
    CAPPED,
    FREE,
    KIND_NAMES,
    LICENSED,
    NVEU,
    PAYMENT,
    STATUS_NAMES,
    UVEU,
    VOLUME,
)
from sim.world.market import NO_CHIP

if TYPE_CHECKING:
    from sim.model.model import ExportControlModel
    from sim.scenario.schema import MarketConfig

__all__ = ["Broker", "Country", "CountryMonth", "DomesticMaker", "Firm", "Vendor", "moved_index",
           "price_response"]


def moved_index(index: float, demanded: int, supplied: int, market: MarketConfig) -> float:
    """Move a price index by last month's demand over supply, within the floor and ceiling.

    The one price rule: a chip's market price (:meth:`Vendor.set_price`) and
    rented compute's (``ExportControlModel.set_prices``) move by
    ``price_adjustment`` times ``min(demanded / supplied - 1, 1)``; with
    nothing supplied the index is kept. Each count is rounded to a float
    before dividing, as NumPy does in the core.
    """
    if supplied == 0:
        return index
    excess = min(float(demanded) / float(supplied) - 1.0, 1.0)
    moved = index * (1.0 + market.price_adjustment * excess)
    return min(market.price_ceiling, max(market.price_floor, moved))


def price_response(index: float, elasticity: float) -> float:
    """Share of its list-price demand a buyer keeps at a price index: ``1 / (1 + e x (I - 1))``."""
    return 1.0 / (1.0 + elasticity * (index - 1.0))


@dataclass
class CountryMonth:
    """One country's flows in the current month (TPP, except revenue in USD).

    The fields are :data:`sim.world.metrics.FLOWS`, in that order.
    """

    demand_tpp: int = 0
    shipped_tpp: int = 0
    delivered_tpp: int = 0
    lpp_tpp: int = 0
    veu_tpp: int = 0
    licensed_tpp: int = 0
    diversion_requested_tpp: int = 0
    diversion_attempted_tpp: int = 0
    diversion_seized_tpp: int = 0
    diverted_tpp: int = 0
    diverted_received_tpp: int = 0
    redirected_tpp: int = 0
    redirect_seized_tpp: int = 0
    redirected_received_tpp: int = 0
    substituted_tpp: int = 0
    rented_tpp: int = 0
    rented_out_tpp: int = 0
    unmet_tpp: int = 0
    revenue_usd: int = 0
    us_payment_usd: int = 0
    entered_brokers: int = 0
    listed_brokers: int = 0

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Names of the flows, in declaration order."""
        return tuple(f.name for f in fields(cls))


class Country(mesa.Agent):
    """A country: its tier, cap, enforcement, the chip its buyers order, installed compute."""

    def __init__(self, model: ExportControlModel, index: int) -> None:
        super().__init__(model)
        world = model.world
        self.index = index
        self.code = world.countries[index]
        self.quota_used_tpp = 0
        self.stock_tpp = 0
        self.vigilance = 0.0
        self.brokers: list[Broker] = []  # filled as the model creates its firms
        self.month = CountryMonth()
        self.shipped_chips = [0] * world.market.n_chips
        self.ordered_chips = [0] * world.market.n_chips

    def __repr__(self) -> str:
        return f"Country({self.code}, tier {self.tier})"

    @property
    def chip(self) -> int:
        """The chip this country's buyers order this month (index in ``market.chips``)."""
        return int(self.model.world.market.choice[self.model.step_index, self.index])

    @property
    def chip_tpp(self) -> int:
        """TPP of that chip (1 where there is none)."""
        return int(self.model.world.market.choice_tpp[self.model.step_index, self.index])

    @property
    def regime(self) -> int:
        """Regime of that chip for this destination this month."""
        return int(self.model.world.regime[self.model.step_index, self.index])

    @property
    def restricted(self) -> bool:
        """The month's frontier chip is denied or embargoed here: buyers turn to brokers."""
        return bool(self.model.world.market.restricted[self.model.step_index, self.index])

    @property
    def serves_full_need(self) -> bool:
        """The chip ordered here serves a buyer's full need (the partial-need rule)."""
        return bool(self.model.world.market.full_need[self.model.step_index, self.index])

    def volume_limit_chips(self) -> int:
        """Case-by-case limit this month: a multiple of last month's US shipments."""
        market, t = self.model.world.market, self.model.step_index
        reference = int(market.volume_reference[t, self.index])
        if reference == NO_CHIP:
            return 0
        share = float(market.volume_share[t, self.index])
        return int(share * self.model.us_shipped_chips[reference])

    @property
    def tier(self) -> int:
        """Tier of the rules in force this month."""
        return int(self.model.world.tier_in_force[self.model.step_index, self.index])

    @property
    def cap_tpp(self) -> int:
        """Tier 2 cap in force this month (with the G2G multiplier), TPP."""
        return int(self.model.world.cap_tpp[self.model.step_index, self.index])

    @property
    def catch_probability(self) -> float:
        """Probability this month that one diversion shipment through here is caught.

        The rules' probability here, raised by the vigilance that past seizures
        left (:meth:`learn_from_seizures`), at most 1; an end-use check
        (``rules.end_use_checks``) catches a share of what that misses.
        """
        base = float(self.model.world.catch_probability[self.model.step_index, self.index])
        here = min(1.0, base * (1.0 + self.vigilance))
        return here + (1.0 - here) * self.model.in_force.rules.end_use_checks

    @property
    def backlog_tpp(self) -> int:
        """Requests its buyers are still waiting to have served, at the end of the month."""
        return sum(f.backlog_tpp for f in self.model.firms if f.country is self)

    @property
    def active_brokers(self) -> int:
        """Brokers here that can buy at the end of the month: entered and not listed."""
        return sum(1 for b in self.brokers if not (b.dormant or b.listed))

    @property
    def quota_remaining_tpp(self) -> int:
        """Cap not yet used in the current cap period (0 where no cap binds)."""
        return max(0, self.cap_tpp - self.quota_used_tpp) if self.regime == CAPPED else 0

    def start_month(self) -> None:
        """Clear the month's flows; restart an annual cap in January."""
        self.month = CountryMonth()
        self.shipped_chips = [0] * len(self.shipped_chips)
        self.ordered_chips = [0] * len(self.ordered_chips)
        if self.model.world.cap_resets[self.model.step_index]:
            self.quota_used_tpp = 0

    def book_revenue(self) -> None:
        """Enter what the vendors invoice here: each chip's shipments at its market price.

        Revenue is truncated to whole dollars per chip, and the payment to the
        US government is that revenue times the chip's payment share here.
        """
        model = self.model
        shares = model.world.market.payment_share[model.step_index, self.index]
        for chip, chips in enumerate(self.shipped_chips):
            revenue = int(chips * model.vendors[chip].market_price_usd)
            self.month.revenue_usd += revenue
            self.month.us_payment_usd += int(revenue * float(shares[chip]))

    def deliver(self, received_tpp: int) -> None:
        """Depreciate installed compute, then add what arrived this month."""
        life = self.model.config.market.depreciation_months
        self.stock_tpp = self.stock_tpp - self.stock_tpp // life + received_tpp

    def learn_from_seizures(self, caught_brokers: int) -> None:
        """Raise the vigilance for each broker caught here this month; let the rest fade."""
        enforcement = self.model.in_force.enforcement
        self.vigilance = (self.vigilance * (1.0 - enforcement.vigilance_decay)
                          + enforcement.vigilance_per_seizure * caught_brokers)


class Vendor(mesa.Agent):
    """The maker of one chip on the market: a monthly output in chips, a list price, a market price.

    ``price_index`` is the market price over the list price; ``orders_chips``
    the approved orders of the month (``ExportControlModel.ship``), which move
    next month's price (:meth:`set_price`).
    """

    def __init__(self, model: ExportControlModel, chip: int) -> None:
        super().__init__(model)
        self.chip = chip
        self.name = model.world.market.names[chip]
        self.price_index = 1.0
        self.orders_chips = 0

    def __repr__(self) -> str:
        return f"Vendor({self.name})"

    @property
    def capacity_chips(self) -> int:
        """Chips made this month (0 before launch or once output stops)."""
        return int(self.model.world.market.capacity[self.model.step_index, self.chip])

    @property
    def price_usd(self) -> int:
        """List price this month."""
        return int(self.model.world.market.price[self.model.step_index, self.chip])

    @property
    def market_price_usd(self) -> float:
        """Market price this month: the list price times the price index."""
        return float(self.price_usd) * self.price_index

    @property
    def demand_factor(self) -> float:
        """Share of their list-price demand its buyers keep at the market price."""
        return price_response(self.price_index, self.model.config.market.price_elasticity)

    def set_price(self) -> None:
        """Move the price by last month's orders over output (:func:`moved_index`).

        A chip that made nothing last month keeps its price.
        """
        t = self.model.step_index
        output = int(self.model.world.market.capacity[t - 1, self.chip]) if t > 0 else 0
        self.price_index = moved_index(self.price_index, self.orders_chips, output,
                                       self.model.config.market)


class DomesticMaker(mesa.Agent):
    """A domestic accelerator maker: sells only to firms in its home country."""

    def __init__(self, model: ExportControlModel, home: Country) -> None:
        super().__init__(model)
        self.home = home

    def __repr__(self) -> str:
        return f"DomesticMaker({self.home.code})"

    @property
    def capacity_chips(self) -> int:
        """Domestic chips made this month."""
        return int(self.model.world.domestic_chips[self.model.step_index, self.home.index])


class Firm(mesa.Agent):
    """A buyer: ordinary, research, national champion or hyperscaler subsidiary."""

    def __init__(self, model: ExportControlModel, index: int, country: Country,
                 base_h100e: float) -> None:
        super().__init__(model)
        firms = model.world.firms
        self.index = index
        self.kind = int(firms.kind[index])
        self.status = int(firms.status[index])
        self.parent = int(firms.parent[index])
        self.label = firms.labels[index]
        self.country = country
        self.base_h100e = base_h100e
        self.backlog_tpp = 0
        self.lpp_used_tpp = 0
        self.nveu_used_tpp = 0
        self.uveu_installed_tpp = 0
        self.listed = False
        self.dormant = bool(firms.reserve[index])
        self.listed_at = -1
        self.clear_month()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label!r}, {self.kind_name}, {self.country.code})"

    @property
    def kind_name(self) -> str:
        """Kind as a word: buyer, research, champion, hyperscaler or broker."""
        return KIND_NAMES[self.kind]

    @property
    def status_name(self) -> str:
        """Validated end-user status as a word: none, uveu or nveu."""
        return STATUS_NAMES[self.status]

    @property
    def bound_by_headquarters_rule(self) -> bool:
        """Headquartered in D:5 or Macau under the 2023 rule: a licence wherever it buys."""
        return bool(self.model.world.headquarters_bound[self.model.step_index, self.index])

    def _as_seen(self, destination: np.ndarray, bound: np.ndarray) -> Any:
        """Return this month's entry for the firm's country of a (T, C) market array.

        ``destination`` is what the country's buyers see; ``bound`` what a firm
        bound by the headquarters rule sees there.
        """
        seen = bound if self.bound_by_headquarters_rule else destination
        return seen[self.model.step_index, self.country.index]

    @property
    def chip(self) -> int:
        """The chip this firm orders: its country's choice or share (``sim.world.split``).

        A firm bound by the headquarters rule orders its own choice.
        """
        return int(self.model.world.firm_chip[self.model.step_index, self.index])

    @property
    def chip_tpp(self) -> int:
        """TPP of that chip (1 where there is none)."""
        chip = self.chip
        return 1 if chip == NO_CHIP else int(self.model.world.market.tpp[chip])

    @property
    def regime(self) -> int:
        """Regime of that chip for this firm this month."""
        world = self.model.world
        return int(self._as_seen(world.regime, world.bound_regime))

    @property
    def restricted(self) -> bool:
        """The month's frontier chip is denied or embargoed to this firm: it turns to brokers."""
        market = self.model.world.market
        return bool(self._as_seen(market.restricted, market.bound_restricted))

    @property
    def serves_full_need(self) -> bool:
        """The chip this firm orders serves its full need (the partial-need rule)."""
        market = self.model.world.market
        return bool(self._as_seen(market.full_need, market.bound_full_need))

    def clear_month(self) -> None:
        """Forget last month's orders and shipments."""
        self.demand_tpp = self.request_tpp = 0
        self.want = 0
        self.paths: dict[str, int] = dict.fromkeys(("free", "uveu", "nveu", "lpp", "cap"), 0)
        self.uveu_request = self.cap_request = 0
        self.ordered = self.shipped = 0
        self.substitute_want = self.substituted_chips = 0
        self.divert_request_tpp = self.residual_tpp = 0
        self.rented_tpp = self.unmet_tpp = 0
        self.caught = self.entered = False

    def start_month(self) -> None:
        """Clear the month; the low-volume allowance restarts each January."""
        self.clear_month()
        if self.model.world.new_year[self.model.step_index]:
            self.lpp_used_tpp = 0

    def demand(self) -> None:
        """Monthly need at the market price (base x growth x noise x price response) + backlog."""
        model = self.model
        t = model.step_index
        u = float(uniform(model.seed, t, STREAM_DEMAND, self.index)[0])
        noise = 1.0 + model.config.market.demand_noise * (2.0 * u - 1.0)
        growth = float(model.world.growth[t, self.country.index])
        need = self.base_h100e * growth * noise
        if self.chip != NO_CHIP and model.config.market.price_elasticity != 0.0:
            need = need * model.vendors[self.chip].demand_factor
        self.demand_tpp = int(need * H100E_TPP)
        self.request_tpp = self.demand_tpp + self.backlog_tpp
        self.country.month.demand_tpp += self.demand_tpp

    def order(self) -> None:
        """Order its chip: the whole request, or its partial-need share."""
        if self.chip == NO_CHIP:
            return
        need = self.request_tpp
        if not self.serves_full_need:
            need = int(need * self.model.config.market.partial_need_share)
        self.want = need // self.chip_tpp

    def license(self) -> None:
        """Route the order to a licensing path (VEU groups and limits are settled later)."""
        want, regime = self.want, self.regime
        if regime in (FREE, LICENSED, PAYMENT):
            self.paths["free"] = want
        elif regime == VOLUME:
            self.cap_request = want
        elif regime == CAPPED and self.status == UVEU and self.orders_frontier:
            self.uveu_request = want
        elif regime == CAPPED and self.status == NVEU:
            self.paths["nveu"] = min(want, self.nveu_headroom_chips())
            self.cap_request = want - self.paths["nveu"]
        elif regime == CAPPED:
            self.paths["lpp"] = min(want, self.lpp_headroom_chips())
            self.cap_request = want - self.paths["lpp"]

    @property
    def orders_frontier(self) -> bool:
        """The firm orders this month's frontier chip (UVEU shares count it)."""
        market, t = self.model.world.market, self.model.step_index
        return self.chip == int(market.frontier[t])

    def lpp_headroom_chips(self) -> int:
        """Chips the low-volume exception still allows this year."""
        limit = self.model.in_force.rules.lpp_tpp_per_year
        return max(0, limit - self.lpp_used_tpp) // self.chip_tpp

    def nveu_headroom_chips(self) -> int:
        """Chips the NVEU cap schedule still allows."""
        cap = int(self.model.world.nveu_cap_tpp[self.model.step_index])
        return max(0, cap - self.nveu_used_tpp) // self.chip_tpp

    @property
    def approved_chips(self) -> int:
        """Chips approved on every path."""
        return sum(self.paths.values())

    def ship(self, chips: int) -> None:
        """Receive a shipment; count it against the paths, cheapest path first.

        ``ordered`` keeps what was approved (the order the vendor saw) before
        the paths are cut to the shipment.
        """
        self.ordered = self.approved_chips
        self.shipped = chips
        tpp = self.chip_tpp
        left = chips
        for path in ("free", "uveu", "nveu", "lpp", "cap"):
            self.paths[path] = min(self.paths[path], left)
            left -= self.paths[path]
        self.lpp_used_tpp += self.paths["lpp"] * tpp
        self.nveu_used_tpp += self.paths["nveu"] * tpp
        if self.status == UVEU:
            self.uveu_installed_tpp += chips * tpp
        self.record_shipment()

    def record_shipment(self) -> None:
        """Enter this month's shipment in the destination country's books."""
        country = self.country
        tpp, chip = self.chip_tpp, self.chip
        month = country.month
        month.shipped_tpp += self.received_tpp
        if self.kind != BROKER:
            month.delivered_tpp += self.received_tpp
        month.lpp_tpp += self.paths["lpp"] * tpp
        month.veu_tpp += (self.paths["uveu"] + self.paths["nveu"]) * tpp
        month.licensed_tpp += self.paths["cap"] * tpp
        if chip != NO_CHIP:
            country.ordered_chips[chip] += self.ordered
        if self.shipped == 0:
            return
        country.shipped_chips[chip] += self.shipped
        if self.regime == CAPPED:
            country.quota_used_tpp += self.paths["cap"] * tpp

    @property
    def received_tpp(self) -> int:
        """Compute shipped to this firm this month, TPP."""
        return self.shipped * self.chip_tpp

    def want_substitute(self) -> None:
        """Ask the domestic maker to cover a share of what was not shipped."""
        world, t = self.model.world, self.model.step_index
        if world.domestic_chips[t, self.country.index] > 0:
            shortfall = self.request_tpp - self.received_tpp
            share = self.model.config.market.substitution_share
            self.substitute_want = int(shortfall * share) // int(world.domestic_tpp[t])

    @property
    def substituted_tpp(self) -> int:
        """Domestic compute granted to this firm this month, TPP."""
        return self.substituted_chips * int(self.model.world.domestic_tpp[self.model.step_index])

    def rent_request(self) -> int:
        """Remote compute this buyer asks to rent this month, TPP.

        ``remote_share`` of what is still missing after shipments and
        substitution, while remote compute is allowed; in a restricted
        destination the cloud providers' checks refuse ``rules.cloud_kyc`` of
        it. With a supplier (``market.cloud_share`` set) the request responds
        to the rental price index as chip demand to a chip's:
        ``min(int(request x price_response(rental_index)), missing)``, left
        out when the elasticity is 0 (below list price the response exceeds 1,
        and no one rents more than is missing).
        """
        model = self.model
        rules, market = model.in_force.rules, model.config.market
        if not rules.remote_compute_allowed:
            return 0
        missing = self.request_tpp - self.received_tpp - self.substituted_tpp
        request = int(missing * market.remote_share)
        if self.restricted:
            request = int(request * (1.0 - rules.cloud_kyc))
        if market.cloud_share != "unlimited" and market.price_elasticity != 0.0:
            # below list price demand grows, but no one rents more than is missing
            request = min(int(request * price_response(model.rental_index,
                                                       market.price_elasticity)), max(missing, 0))
        return request

    def rent(self, granted: int) -> None:
        """Book the remote compute granted this month (``ExportControlModel.rent``)."""
        self.rented_tpp = granted
        self.country.month.rented_tpp += granted

    def redirect(self) -> None:
        """Send a share of this month's chips to the headquarters, if a Tier 3 parent's.

        A subsidiary abroad of a firm headquartered in Tier 3
        (``World.redirect_to``) sends ``int(received x
        subsidiary_redirect_share)`` on to its headquarters country; it is
        caught, and lost, when ``U(seed, t, 6, firm)`` is below its host's
        catch probability.
        """
        model = self.model
        t = model.step_index
        home = int(model.world.redirect_to[t, self.index])
        share = model.in_force.diversion.subsidiary_redirect_share
        if home < 0 or share == 0:
            return
        attempt = int(self.received_tpp * share)
        if attempt == 0:
            return
        self.country.month.redirected_tpp += attempt
        u = float(uniform(model.seed, t, STREAM_REDIRECT, self.index)[0])
        if u < self.country.catch_probability:
            self.country.month.redirect_seized_tpp += attempt
        else:
            model.countries[home].month.redirected_received_tpp += attempt

    def respond(self) -> None:
        """Settle what is still missing after renting: ask a broker, or wait."""
        market = self.model.config.market
        substituted = self.substituted_tpp
        missing = self.request_tpp - self.received_tpp - substituted - self.rented_tpp
        if self.restricted:
            share = self.model.in_force.diversion.divert_share
            self.divert_request_tpp = int(missing * share)
        missing -= self.divert_request_tpp
        self.backlog_tpp = min(missing, market.backlog_months * self.demand_tpp)
        dropped = missing - self.backlog_tpp  # unmet for good: a waiting request counts later
        month = self.country.month
        month.substituted_tpp += substituted
        month.diversion_requested_tpp += self.divert_request_tpp
        month.unmet_tpp += dropped
        self.unmet_tpp = dropped
        self.residual_tpp = missing + self.divert_request_tpp


class Broker(Firm):
    """A front company in a transit country that buys in order to divert."""

    def demand(self) -> None:
        """Brokers have no own need; the grey market sets their order."""
        self.demand_tpp = self.request_tpp = 0

    def capacity_chips(self) -> int:
        """Frontier chips the broker can buy a month (0 if dormant, listed, or it may not)."""
        market, t = self.model.world.market, self.model.step_index
        frontier = int(market.frontier[t])
        if self.listed or self.dormant or frontier == NO_CHIP or self.chip != frontier:
            return 0
        growth = float(self.model.world.growth[t, self.country.index])
        return int(self.base_h100e * growth * H100E_TPP) // int(market.frontier_tpp[t])

    def route_weight(self, capacity: int) -> int:
        """Return the broker's weight in the grey market's split of the month's target.

        Its ``capacity`` (chips), unless ``diversion.route_sensitivity`` is
        positive; then its *room*, the capacity at most the chips its
        country's cap and its own low-volume allowance still allow where the
        regime is capped, times ``max(0, 1 - route_sensitivity x catch)``,
        truncated: purchases move to hubs with room and a low catch risk.
        """
        beta = self.model.in_force.diversion.route_sensitivity
        if beta == 0 or capacity == 0:
            return capacity
        room = capacity
        if self.regime == CAPPED:
            country = self.country
            cap_room = max(0, country.cap_tpp - country.quota_used_tpp) // self.chip_tpp
            room = min(capacity, cap_room + self.lpp_headroom_chips())
        return int(room * max(0.0, 1.0 - beta * self.country.catch_probability))

    def renew(self) -> None:
        """Enter, if dormant, or re-form under a new name, if listed long enough.

        A dormant front company enters with probability
        :meth:`entry_probability`; a network listed at least
        ``diversion.reform_delay_months`` ago re-forms with probability
        ``diversion.reform_probability``. Either counts as an entry in its
        country this month.
        """
        model = self.model
        t, diversion = model.step_index, model.in_force.diversion
        if self.dormant:
            u = float(uniform(model.seed, t, STREAM_ENTRY, self.index)[0])
            if u < self.entry_probability():
                self.dormant = False
                self.record_entry()
        elif self.listed and t - self.listed_at >= diversion.reform_delay_months:
            u = float(uniform(model.seed, t, STREAM_REFORM, self.index)[0])
            if u < diversion.reform_probability:
                self.listed, self.listed_at = False, -1
                self.record_entry()

    def entry_probability(self) -> float:
        """Chance this month that a dormant front company here enters.

        ``min(1, entry_rate * max(0, premium - 1))`` times the chance that a
        shipment through its country is not caught.
        """
        model = self.model
        rate = model.in_force.diversion.entry_rate
        pull = min(1.0, rate * max(0.0, model.premium - 1.0))
        return pull * (1.0 - self.country.catch_probability)

    def record_entry(self) -> None:
        """Count a new broker in its country's month."""
        self.entered = True
        self.country.month.entered_brokers += 1

    def order(self) -> None:
        """Order the frontier chips the grey market asked for (``request_tpp``)."""
        if self.chip != NO_CHIP:
            self.want = self.request_tpp // self.chip_tpp

    def want_substitute(self) -> None:
        """Brokers do not buy domestic chips."""

    def rent_request(self) -> int:
        """Brokers rent nothing."""
        return 0

    def respond(self) -> None:
        """Let an unfilled broker order lapse."""
        self.residual_tpp = 0

    def divert(self) -> int:
        """Re-export this month's purchase; return the TPP that got through."""
        shipment = self.received_tpp
        if shipment == 0:
            return 0
        month = self.country.month
        month.diversion_attempted_tpp += shipment
        u = float(uniform(self.model.seed, self.model.step_index, STREAM_CATCH, self.index)[0])
        if u < self.country.catch_probability:
            month.diversion_seized_tpp += shipment
            month.listed_brokers += 1
            self.caught = self.listed = True
            self.listed_at = self.model.step_index
            return 0
        month.diverted_tpp += shipment
        return shipment
