"""Invariants of a run, shared by tests/test_model_invariants.py and
tests/test_random_invariants.py.

``check_step`` inspects the agent model's agents after a step,
``ListedBrokers`` follows brokers across steps, ``run_checked`` runs a model
with both after every step, and ``check_results`` checks the recorded
metrics of either implementation (a one-run ``Results`` of the agent model
or a many-run ``Results`` of the core).
"""

from __future__ import annotations

import math

import numpy as np

import sim
from sim.results import COUNTRY_METRICS, Results
from sim.scenario import Scenario
from sim.world import CAPPED, DENIED, EMBARGO, VOLUME, World
from sim.world.codes import BROKER, NVEU, UVEU


def check_step(model: sim.ExportControlModel) -> None:
    """Caps, allowances and capacities never exceeded, flows balanced, nothing negative."""
    rules, t, world = model.in_force.rules, model.step_index, model.world
    so_far = [world.epochs[e] for e in sorted(set(world.epoch[: t + 1].tolist()))]
    lpp_limit = max(e.rules.lpp_tpp_per_year for e in so_far)  # a limit lowered later
    for country in model.countries:
        cap = int(world.cap_tpp[: t + 1, country.index].max())  # binds anew
        assert 0 <= country.quota_used_tpp <= cap, country.code
        assert country.stock_tpp >= 0
        month = country.month
        for name in type(month).names():
            assert getattr(month, name) >= 0, (country.code, name)
        assert month.shipped_tpp == month.delivered_tpp + month.diversion_attempted_tpp
        assert month.diversion_attempted_tpp == month.diversion_seized_tpp + month.diverted_tpp
    shipped_through = sum(c.month.diverted_tpp for c in model.countries)
    received = sum(c.month.diverted_received_tpp for c in model.countries)
    assert shipped_through == received
    nveu_cap = int(model.world.nveu_cap_tpp[: model.step_index + 1].max())
    for firm in model.firms:
        assert 0 <= firm.lpp_used_tpp <= lpp_limit
        assert firm.backlog_tpp >= 0 and firm.nveu_used_tpp >= 0
        if firm.status == NVEU:
            assert firm.nveu_used_tpp <= nveu_cap, firm.label
    for vendor in model.vendors:
        sold = sum(f.shipped for f in model.firms if f.chip == vendor.chip)
        assert sold <= vendor.capacity_chips, vendor.name
    assert all(f.shipped == 0 for f in model.firms if f.chip < 0)
    for firm in model.firms:  # the headquarters rule: nothing it denies reaches a bound firm
        assert firm.shipped == 0 or firm.regime not in (DENIED, EMBARGO), firm.label
    for maker in model.domestic_makers:
        made = sum(f.substituted_chips for f in model.firms if f.country is maker.home)
        assert made <= maker.capacity_chips, maker.home.code
    for parent in range(len(model.world.firms.parent_hq)):
        subsidiaries = [f for f in model.firms if f.parent == parent and f.status == UVEU]
        installed = sum(f.uveu_installed_tpp for f in subsidiaries)
        for firm in subsidiaries:
            # A UVEU firm whose country orders another chip than the frontier one buys
            # like any firm there (LPP, cap), outside the UVEU shares (docs/ODD.md 6.6).
            if firm.regime == CAPPED and firm.shipped > 0 and firm.orders_frontier:
                assert firm.uveu_installed_tpp <= math.floor(rules.uveu_tier2_max_share * installed)


class ListedBrokers:
    """Listed and dormant brokers buy nothing; a listed one returns only as a new broker.

    A broker caught in an earlier step may be shipped something again only in
    a step in which its network re-formed (``entered``); until then it stays
    listed and asks for nothing. A dormant slot, one that has not entered,
    asks for and receives nothing.
    """

    def __init__(self) -> None:
        self.listed: set[int] = set()

    def check(self, model: sim.ExportControlModel) -> None:
        """Check this step's shipments against earlier catches, then note new catches."""
        delay = model.in_force.diversion.reform_delay_months
        for broker in model.brokers:
            if broker.dormant:
                assert broker.shipped == 0 and broker.request_tpp == 0, broker.label
            if broker.index in self.listed and not broker.entered:
                assert broker.listed, broker.label  # gone until it re-forms
                assert broker.shipped == 0, broker.label
                assert broker.request_tpp == 0, broker.label
            if broker.index in self.listed and broker.entered:
                assert not broker.dormant, broker.label
            if broker.listed:
                assert 0 <= broker.listed_at <= model.step_index, broker.label
                self.listed.add(broker.index)
            else:
                self.listed.discard(broker.index)
        assert delay >= 0


def run_checked(scenario: Scenario, seed: int) -> sim.ExportControlModel:
    """Run the agent model, checking the agents after every step; return the model."""
    model = sim.ExportControlModel(scenario, seed=seed)
    brokers = ListedBrokers()
    for _ in range(model.world.n_steps):
        model.step()
        check_step(model)
        brokers.check(model)
    return model


def _previous(values: np.ndarray) -> np.ndarray:
    """Each step's value one step earlier, zero before the first step (axis 1)."""
    before = np.zeros_like(values)
    before[:, 1:] = values[:, :-1]
    return before


def check_results(results: Results, world: World) -> None:
    """Check the recorded metrics of ``world``'s scenario, every run and step.

    Nothing negative; shipments, diversion and diverted compute balance; the
    cap is never exceeded and its use is exactly the licensed shipments of
    the cap period; installed stock is exactly depreciated stock plus
    arrivals; the low-volume exception never gives a country more than its
    firms' yearly allowances; the premium stays finite and at least 1.
    """
    metric = results.metric
    for name in COUNTRY_METRICS:
        assert metric(name).min(initial=0) >= 0, name
    shipped, delivered = metric("shipped_tpp"), metric("delivered_tpp")
    assert np.array_equal(shipped, delivered + metric("diversion_attempted_tpp"))
    assert np.array_equal(metric("diversion_attempted_tpp"),
                          metric("diversion_seized_tpp") + metric("diverted_tpp"))
    assert np.array_equal(metric("diverted_tpp").sum(axis=-1),
                          metric("diverted_received_tpp").sum(axis=-1))
    assert np.all(metric("lpp_tpp") + metric("veu_tpp") + metric("licensed_tpp") <= shipped)

    used, licensed = metric("quota_used_tpp"), metric("licensed_tpp")
    capped, volume = world.regime == CAPPED, world.regime == VOLUME
    carried = _previous(used)
    carried[:, world.cap_resets] = 0
    assert np.all(used <= np.maximum(world.cap_tpp, carried))  # a cap lowered later binds anew
    assert np.all(licensed[:, ~capped & ~volume] == 0)
    assert np.array_equal(metric("quota_remaining_tpp"),
                          np.where(capped, np.maximum(0, world.cap_tpp - used), 0))
    assert np.array_equal(used, carried + np.where(capped, licensed, 0))
    check_chips(results, world)
    check_prices(results, world)

    # Brokers: every entry adds one active broker, every listing takes one away.
    firms = world.firms
    start = np.bincount(firms.country[(firms.kind == BROKER) & ~firms.reserve],
                        minlength=len(world.countries))
    active = metric("active_brokers")
    before_active = _previous(active)
    before_active[:, 0] = start
    assert np.array_equal(active, before_active + metric("entered_brokers")
                          - metric("listed_brokers"))
    slots = np.bincount(firms.country[firms.kind == BROKER], minlength=len(world.countries))
    assert np.all(active <= slots)

    # Rented compute: with a supplier, all of it comes out of installed bases that may hold
    # the frontier chip, never more than each one offers (its last stock times the share).
    share = world.scenario.market.cloud_share
    rented_out = metric("rented_out_tpp")
    if share == "unlimited":
        assert not rented_out.any()
    else:
        assert np.array_equal(rented_out.sum(axis=-1), metric("rented_tpp").sum(axis=-1))
        offered = np.where(world.market.restricted, 0,
                           (_previous(metric("stock_tpp")) * share).astype(np.int64))
        assert np.all(rented_out <= offered)

    stock, life = metric("stock_tpp"), world.scenario.market.depreciation_months
    arrived = (delivered + metric("substituted_tpp") + metric("diverted_received_tpp")
               + metric("redirected_received_tpp") - metric("redirected_tpp"))
    # Redirected chips: each one sent is either seized at its host or received at home.
    assert np.array_equal(metric("redirected_tpp").sum(axis=-1),
                          metric("redirect_seized_tpp").sum(axis=-1)
                          + metric("redirected_received_tpp").sum(axis=-1))
    assert np.all(metric("redirect_seized_tpp") <= metric("redirected_tpp"))
    assert np.all(metric("redirected_tpp") <= delivered)
    before = _previous(stock)
    assert np.array_equal(stock, before - before // life + arrived)

    firms_per_country = np.bincount(world.firms.country, minlength=len(world.countries))
    allowance = firms_per_country * world.scenario.rules.lpp_tpp_per_year
    years = np.array([date[:4] for date in world.dates])
    for year in np.unique(years):
        assert np.all(metric("lpp_tpp")[:, years == year].sum(axis=1) <= allowance), year

    # Unmet demand is counted once, when it is dropped: a waiting request is in the backlog.
    demand, backlog, unmet = metric("demand_tpp"), metric("backlog_tpp"), metric("unmet_tpp")
    assert np.all(unmet.sum(axis=1) <= demand.sum(axis=1))
    served = delivered + metric("substituted_tpp") + metric("rented_tpp")
    assert np.array_equal(demand + _previous(backlog), served + metric("diversion_requested_tpp")
                          + backlog + unmet)

    premium = metric("grey_premium")
    assert np.all(np.isfinite(premium)) and premium.min(initial=1.0) >= 1.0


def check_chips(results: Results, world: World) -> None:
    """Chips shipped by chip: they add up to the TPP shipped, come only from a chip on
    sale that the destination may receive and orders, stay within each vendor's
    output and each case-by-case limit; payments never exceed revenue."""
    market = world.market
    chips = results.metric("shipped_chips")
    assert chips.min(initial=0) >= 0
    assert np.array_equal((chips * market.tpp).sum(axis=-1), results.metric("shipped_tpp"))
    ordered = np.zeros(market.regime.shape, dtype=bool)  # (T, C, K): some firm there orders it
    steps = np.arange(world.n_steps)[:, None]
    firm_chip = world.firm_chip
    some = firm_chip >= 0
    np.logical_or.at(ordered, (np.broadcast_to(steps, firm_chip.shape)[some],
                               np.broadcast_to(world.firms.country, firm_chip.shape)[some],
                               firm_chip[some]), True)
    chip = np.arange(market.n_chips)
    allowed = (market.pool | (chip == market.choice[..., None])
               | (chip == market.bound_choice[..., None]))
    assert not np.any(ordered & ~allowed), "a firm orders a chip outside its destination's pool"
    assert not np.any(chips[:, ~ordered]), "a chip the destination's buyers do not order"
    refused = (market.regime == DENIED) | (market.regime == EMBARGO)
    assert not np.any(chips[:, refused]), "a chip shipped where it is denied"
    assert np.all(chips.sum(axis=2) <= market.capacity), "a vendor sold beyond its output"
    revenue = results.metric("revenue_usd")
    at_market = (chips * results.metric("market_price_usd")[:, :, None, :]).sum(axis=-1)
    # each firm's revenue is truncated to whole dollars: at most one dollar short per firm
    assert np.all(revenue <= at_market * (1 + 1e-12)), "revenue above shipments x market price"
    assert np.all(revenue >= at_market * (1 - 1e-12) - world.firms.n_firms), "revenue too low"
    assert np.all(results.metric("us_payment_usd") <= revenue)
    if "USA" in world.countries:
        usa = world.countries.index("USA")
        us_before = np.zeros_like(chips[:, :, usa])
        us_before[:, 1:] = chips[:, :-1, usa]
        reference = np.maximum(market.volume_reference, 0)
        limit = (market.volume_share * np.take_along_axis(
            us_before[:, :, None, :], reference[None, :, :, None], axis=-1)[..., 0])
        volume = world.regime == VOLUME
        assert np.all(chips.sum(axis=-1)[:, volume] <= limit.astype(np.int64)[:, volume])


def check_prices(results: Results, world: World) -> None:
    """Market prices start at list, stay within the floor and the ceiling, move only
    after a month with output; vendors ship no more than was ordered from them. The
    rental index starts at 1, stays within the same bounds, and stays at 1 without a
    supplier."""
    market, config = world.market, world.scenario.market
    price = results.metric("market_price_usd")
    index = price / np.maximum(market.price, 1)
    assert np.all(np.isfinite(price)) and price.min(initial=0.0) >= 0.0
    assert np.allclose(price[:, 0], market.price[0]), "the first month is not at list price"
    listed = market.price > 0
    assert np.all(index[:, listed] >= config.price_floor * (1 - 1e-12)), "below the floor"
    assert np.all(index[:, listed] <= config.price_ceiling * (1 + 1e-12)), "above the ceiling"
    idle = market.capacity[:-1] == 0  # (T-1, K): no output last month, so no move
    assert np.allclose(index[:, 1:][:, idle], index[:, :-1][:, idle]), "moved without output"
    ordered, shipped = results.metric("ordered_chips"), results.metric("shipped_chips")
    assert ordered.min(initial=0) >= 0 and np.all(shipped <= ordered), "shipped beyond orders"
    rental = results.metric("rental_price_index")
    assert np.all(rental[:, 0] == 1.0), "rented compute does not start at its starting price"
    if config.cloud_share == "unlimited":
        assert np.all(rental == 1.0), "rented compute has a price without a supplier"
    assert np.all((config.price_floor <= rental) & (rental <= config.price_ceiling))
