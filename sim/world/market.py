"""The chips on sale and what the rules in force allow, by month, destination and chip.

Both implementations read these seed-independent arrays; the rule arithmetic
of a chip's regime lives here and nowhere else.

A chip is *on sale* in a month from its launch (``sim/reference/chips.csv``)
while its vendor's output (``market.chips.X.capacity_chips``) is above zero.
Its *regime* for a destination follows, in this order:

1. an embargo (``rules.embargoed``): ``EMBARGO`` for every chip;
2. a measure on the chip (``rules.chip_measures``) binds Tier 3 destinations:
   ``licence_required`` gives ``DENIED``, ``licence_payment`` gives ``PAYMENT``
   and ``case_by_case`` gives ``VOLUME``; ``rule`` leaves the classification to decide;
3. the 3A090 classification of the chip under the vintage in force
   (:func:`sim.reference.classify_chip`): an uncontrolled chip is ``FREE``; a
   controlled one follows the tiers while the 2025 framework binds (Tier 1
   ``FREE``, Tier 2 ``CAPPED``, Tier 3 ``DENIED``), and otherwise needs a
   licence in the rule's scope (:func:`sim.reference.rule_scope`, the country
   groups on the month's last day, as the tiers), presumed denied for Tier 3
   (``DENIED``) and granted elsewhere (``LICENSED``).

A buyer orders the first chip of ``market.preference`` (the scenario's order
of preference over the chips of ``market.chips``) that is on sale, that it
may receive (a regime other than ``DENIED`` and ``EMBARGO``) and that its
country does not block (``countries.X.import_blocked``): its country's
*choice*. Every firm of a
country therefore orders the same chip in a month. The *frontier* chip of a
month is the first chip on sale; a destination is *restricted* when the
frontier chip is ``DENIED`` or ``EMBARGO`` there: its buyers ask brokers, and
brokers there buy nothing.

A chip with at least ``market.full_need_ratio`` of the TPP of the best chip
on sale serves a buyer's full need; a chip below it serves
``market.partial_need_share`` of it (the *partial-need rule*).

The *headquarters rule* of the October 2023 rule (``rules.headquarters_rule``
under ``rules.chip_rule = "oct2023"``) binds firms headquartered in D:5 or
Macau (:func:`sim.reference.headquarters_scope`, D:5 at the month's end) wherever they buy: outside
Tier 3, a chip the vintage controls is ``DENIED`` to them (a licence presumed
denied, as for a D:5 destination); in Tier 3 they see what the destination's
other buyers see. Their choice, frontier access and partial need follow from
those regimes by the same rule (the ``bound_*`` arrays), and :class:`sim.world.World`
says which firms are bound in each month. Outside Tier 3 a bound firm's
regime is ``FREE``, ``DENIED`` or ``EMBARGO``, never capped, licensed, paid
or volume-limited, so those quantities stay per destination.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.months import month_end
from sim.reference import (
    classify_chip,
    headquarters_scope,
    load_chips,
    monthly_supply,
    rule_scope,
)
from sim.scenario.schema import Scenario
from sim.world.codes import (
    CAPPED,
    DENIED,
    EMBARGO,
    FREE,
    LICENSED,
    PAYMENT,
    TIER1,
    TIER2,
    TIER3,
    VOLUME,
)

__all__ = ["NO_CHIP", "ChipMarket", "chip_market"]

NO_CHIP = -1
"""Chip index of "nothing": no chip on sale, or none a destination may receive."""

_TIER_REGIME = {TIER1: FREE, TIER2: CAPPED, TIER3: DENIED}
"""Regime of a controlled chip in each tier while the 2025 framework binds."""

_MEASURE_REGIME = {"licence_required": DENIED, "licence_payment": PAYMENT,
                   "case_by_case": VOLUME}
"""Regime a measure on a chip gives a Tier 3 destination."""


@dataclass(frozen=True)
class ChipMarket:
    """Chips on sale and their regimes; shapes ``T`` steps, ``C`` countries, ``K`` chips.

    Attributes
    ----------
    names : tuple of str, (K,)
        Chips of ``market.chips``, in the scenario's order of preference.
    tpp : ndarray of int64, (K,)
    capacity : ndarray of int64, (T, K)
        Vendor output a month, chips (0 where not on sale).
    price : ndarray of int64, (T, K)
        List price, USD.
    regime : ndarray of int8, (T, C, K)
        Regime of each chip for each destination (``sim.world.codes``).
    payment_share : ndarray of float64, (T, C, K)
        Share of revenue paid to the US government (``PAYMENT`` and ``VOLUME``).
    choice : ndarray of int64, (T, C)
        The chip a destination's buyers order, or :data:`NO_CHIP`.
    choice_tpp : ndarray of int64, (T, C)
        TPP of that chip (1 where there is none, so that divisions stay defined).
    full_need : ndarray of bool, (T, C)
        The chosen chip serves the full need (the partial-need rule).
    volume_share : ndarray of float64, (T, C)
        Case-by-case volume limit of the chosen chip, as a multiple of last
        month's US shipments of ``volume_reference`` (0 unless ``VOLUME``).
    volume_reference : ndarray of int64, (T, C)
        Chip whose US shipments set that limit, or :data:`NO_CHIP`.
    frontier : ndarray of int64, (T,)
        First chip on sale (what brokers buy), or :data:`NO_CHIP`.
    frontier_tpp : ndarray of int64, (T,)
        Its TPP (1 where there is none).
    restricted : ndarray of bool, (T, C)
        The frontier chip is ``DENIED`` or ``EMBARGO`` for the destination.
    pool : ndarray of bool, (T, C, K)
        The chips the destination's buyers share (:func:`sim.world.split.firm_chips`):
        every chip on sale it may receive that serves the full need, in the regime
        of its choice (free or licensed), its variants only if nothing else serves;
        just the choice where that is not so.
    bound_regime : ndarray of int8, (T, C, K)
        Regime of each chip for a firm bound by the headquarters rule.
    bound_choice, bound_choice_tpp, bound_full_need, bound_restricted : ndarray, (T, C)
        ``choice``, ``choice_tpp``, ``full_need`` and ``restricted`` for such a firm.
    headquarters_scope : tuple of frozenset of str, (T,)
        Headquarters countries the headquarters rule binds in each month
        (empty where it does not apply).
    """

    names: tuple[str, ...]
    tpp: np.ndarray
    capacity: np.ndarray
    price: np.ndarray
    regime: np.ndarray
    payment_share: np.ndarray
    choice: np.ndarray
    choice_tpp: np.ndarray
    full_need: np.ndarray
    volume_share: np.ndarray
    volume_reference: np.ndarray
    frontier: np.ndarray
    frontier_tpp: np.ndarray
    restricted: np.ndarray
    pool: np.ndarray
    bound_regime: np.ndarray
    bound_choice: np.ndarray
    bound_choice_tpp: np.ndarray
    bound_full_need: np.ndarray
    bound_restricted: np.ndarray
    headquarters_scope: tuple[frozenset[str], ...]

    @property
    def n_chips(self) -> int:
        """Number of chips ``K``."""
        return len(self.names)

    def chosen_regime(self) -> np.ndarray:
        """Regime of each destination's chosen chip, (T, C) int8 (``DENIED`` where none)."""
        return _chosen(self.regime, self.choice)

    def bound_chosen_regime(self) -> np.ndarray:
        """Return the chosen regime for a firm bound by the headquarters rule, (T, C) int8."""
        return _chosen(self.bound_regime, self.bound_choice)


def _chosen(regime: np.ndarray, choice: np.ndarray) -> np.ndarray:
    """Regime (T, C, K) of the chosen chip (T, C); ``DENIED`` where there is none."""
    chosen = np.take_along_axis(regime, np.maximum(choice, 0)[..., None], axis=-1)[..., 0]
    return np.where(choice == NO_CHIP, DENIED, chosen).astype(np.int8)


def chip_market(scenario: Scenario, epochs: tuple[Scenario, ...], epoch: np.ndarray,
                dates: tuple[str, ...], tiers: np.ndarray, tiers_active: np.ndarray) -> ChipMarket:
    """Derive the chip market of ``scenario`` month by month.

    Parameters
    ----------
    scenario : Scenario
    epochs : tuple of Scenario
        The scenarios in force (:class:`sim.world.World`).
    epoch : ndarray of int64, (T,)
    dates : tuple of str, (T,)
    tiers : ndarray of int8, (T, C)
        Tiers in force.
    tiers_active : ndarray of bool, (T,)
        The 2025 framework binds.
    """
    catalogue = load_chips()
    names = scenario.market.preference
    countries = scenario.country_codes
    tpp = np.array([catalogue[k].tpp for k in names], dtype=np.int64)
    launched = np.array([[catalogue[k].launch <= d for k in names] for d in dates], dtype=bool)
    offers = [[epochs[e].market.chips[k] for k in names] for e in epoch]
    capacity = np.where(launched, _output(scenario, offers, dates), 0)
    price = np.array([[o.price_usd for o in row] for row in offers], dtype=np.int64)
    days = [month_end(d) for d in dates]
    scopes = [rule_scope(epochs[e].rules.chip_rule, day) for e, day in zip(epoch, days,
                                                                          strict=True)]
    cache: dict[tuple, tuple[np.ndarray, ...]] = {}
    rows = []
    for t, e in enumerate(epoch):
        key = (int(e), bool(tiers_active[t]), tiers[t].tobytes(), scopes[t])
        if key not in cache:
            cache[key] = _rules(epochs[e], countries, names, tiers[t], key[1], scopes[t])
        rows.append(cache[key])
    regime, payment, volume, reference, blocked, controlled = (
        np.stack(parts) for parts in zip(*rows, strict=True))
    on_sale = capacity > 0
    first = np.where(on_sale.any(axis=-1), np.argmax(on_sale, axis=-1), NO_CHIP)
    best = np.where(on_sale, tpp, 0).max(axis=-1)
    ratio = np.array([epochs[e].market.full_need_ratio for e in epoch])
    minimum_tpp = ratio[:, None] * best[:, None]
    choice, choice_tpp, full_need, restricted = _choose(regime, blocked, on_sale, tpp, first,
                                                        minimum_tpp)
    pool = _pool(scenario, regime, blocked, on_sale, tpp, minimum_tpp, choice)
    outside_tier3 = (tiers != TIER3)[..., None]
    bound_regime = np.where(controlled[:, None, :] & outside_tier3 & (regime != EMBARGO),
                            DENIED, regime).astype(np.int8)
    bound = _choose(bound_regime, blocked, on_sale, tpp, first, minimum_tpp)
    chosen = np.maximum(choice, 0)
    take = np.take_along_axis
    is_volume = take(regime, chosen[..., None], axis=-1)[..., 0] == VOLUME
    return ChipMarket(
        names=names,
        tpp=tpp,
        capacity=capacity.astype(np.int64),
        price=price,
        regime=regime,
        payment_share=payment,
        choice=choice,
        choice_tpp=choice_tpp,
        full_need=full_need,
        volume_share=np.where(is_volume & (choice != NO_CHIP),
                              take(volume, chosen[..., None], axis=-1)[..., 0], 0.0),
        volume_reference=np.where(is_volume & (choice != NO_CHIP),
                                  take(reference, chosen[..., None], axis=-1)[..., 0], NO_CHIP),
        frontier=first.astype(np.int64),
        frontier_tpp=np.where(first == NO_CHIP, 1, tpp[np.maximum(first, 0)]).astype(np.int64),
        restricted=restricted,
        pool=pool,
        bound_regime=bound_regime,
        bound_choice=bound[0],
        bound_choice_tpp=bound[1],
        bound_full_need=bound[2],
        bound_restricted=bound[3],
        headquarters_scope=tuple(_headquarters_scope(epochs[e], day)
                                 for e, day in zip(epoch, days, strict=True)),
    )


def _choose(regime: np.ndarray, blocked: np.ndarray, on_sale: np.ndarray, tpp: np.ndarray,
            first: np.ndarray, minimum_tpp: np.ndarray) -> tuple[np.ndarray, ...]:
    """Buyers' choice under ``regime`` (T, C, K): the first chip on sale they may receive.

    Parameters
    ----------
    regime : ndarray of int8, (T, C, K)
    blocked : ndarray of bool, (T, C, K)
        The destination's own import blocks.
    on_sale : ndarray of bool, (T, K)
    tpp : ndarray of int64, (K,)
    first : ndarray of int64, (T,)
        The frontier chip (:data:`NO_CHIP` where none).
    minimum_tpp : ndarray of float64, (T, 1)
        TPP a chip needs to serve the full need.

    Returns
    -------
    choice, choice_tpp : ndarray of int64, (T, C)
    full_need, restricted : ndarray of bool, (T, C)
    """
    receivable = on_sale[:, None, :] & (regime != DENIED) & (regime != EMBARGO) & ~blocked
    choice = np.where(receivable.any(axis=-1), np.argmax(receivable, axis=-1), NO_CHIP)
    choice_tpp = np.where(choice == NO_CHIP, 1, tpp[np.maximum(choice, 0)])
    frontier_regime = np.take_along_axis(
        regime, np.broadcast_to(np.maximum(first, 0)[:, None, None], (*regime.shape[:2], 1)),
        axis=-1)[..., 0]
    restricted = (first != NO_CHIP)[:, None] & ((frontier_regime == DENIED)
                                                | (frontier_regime == EMBARGO))
    return (choice.astype(np.int64), choice_tpp.astype(np.int64), choice_tpp >= minimum_tpp,
            restricted)


def _output(scenario: Scenario, offers: list[list], dates: tuple[str, ...]) -> np.ndarray:
    """Each chip's output a month, (T, K) int64: its amount, or its reference schedule.

    A ``"reference"`` offer takes the chip's quarterly figure in ``supply.csv``
    (``market.supply_bound``) times ``market.supply_scale``, rounded down.
    """
    market = scenario.market
    schedule = np.floor(monthly_supply(market.preference, dates[0], len(dates),
                                       market.supply_bound) * market.supply_scale)
    fixed = np.array([[0 if o.capacity_chips == "reference" else o.capacity_chips for o in row]
                      for row in offers], dtype=np.int64).reshape(len(dates), -1)
    reference = np.array([[o.capacity_chips == "reference" for o in row] for row in offers],
                         dtype=bool).reshape(len(dates), -1)
    return np.where(reference, schedule.astype(np.int64), fixed)


def _pool(scenario: Scenario, regime: np.ndarray, blocked: np.ndarray, on_sale: np.ndarray,
          tpp: np.ndarray, minimum_tpp: np.ndarray, choice: np.ndarray) -> np.ndarray:
    """Return the chips each destination's buyers share, (T, C, K) bool (``ChipMarket.pool``).

    Where the destination's choice is free or licensed, every chip on sale it may
    receive in that same regime that serves the full need (``market.variants``
    only where no other chip does); elsewhere, and where that leaves fewer than
    two chips, the choice alone (none where there is none).
    """
    variant = np.isin(np.array(scenario.market.preference), np.array(scenario.market.variants,
                                                                     dtype=str))
    chosen = _chosen(regime, choice)
    open_regime = ((chosen == FREE) | (chosen == LICENSED)) & (choice != NO_CHIP)
    shared = (on_sale[:, None, :] & ~blocked & (regime == chosen[..., None])
              & (tpp >= minimum_tpp)[:, None, :] & open_regime[..., None])
    plain = shared & ~variant
    pool = np.where(plain.any(axis=-1, keepdims=True), plain, shared & variant)
    alone = np.arange(len(tpp)) == choice[..., None]
    return np.where(pool.sum(axis=-1, keepdims=True) >= 2, pool, alone)


def _headquarters_scope(scenario: Scenario, day: str) -> frozenset[str]:
    """Headquarters countries the headquarters rule binds under ``scenario``'s rules on ``day``."""
    rules = scenario.rules
    return headquarters_scope(rules.chip_rule, day) if rules.headquarters_rule else frozenset()


def _rules(scenario: Scenario, countries: tuple[str, ...], names: tuple[str, ...],
           tiers: np.ndarray, tiers_active: bool, scope: frozenset[str]) -> tuple[np.ndarray, ...]:
    """Regimes and measures under one scenario in force, each (C, K).

    ``scope`` is the destinations the chip rule needs a licence for that month
    (:func:`sim.reference.rule_scope` at the month's end).

    Returns regime (int8), payment share (float64), volume share (float64),
    volume reference (int64) and the import blocks (bool), each (C, K), and
    which chips the vintage controls, (K,) bool.
    """
    rules, catalogue = scenario.rules, load_chips()
    in_scope = np.array([c in scope for c in countries])
    tier3 = tiers == TIER3
    by_tier = np.array([_TIER_REGIME[int(t)] for t in tiers], dtype=np.int8)
    outside_tiers = np.where(in_scope, np.where(tier3, DENIED, LICENSED), FREE).astype(np.int8)
    controlled = np.array([classify_chip(catalogue[k], rules.chip_rule) for k in names])
    regime = np.where(controlled[None, :], (by_tier if tiers_active else outside_tiers)[:, None],
                      FREE).astype(np.int8)
    shape = regime.shape
    payment, volume = np.zeros(shape), np.zeros(shape)
    reference = np.full(shape, NO_CHIP, dtype=np.int64)
    for k, chip in enumerate(names):  # measures: a handful of named chips, not an array axis
        measure = rules.chip_measures.get(chip)
        if measure is None or measure.measure == "rule":
            continue
        regime[tier3, k] = _MEASURE_REGIME[measure.measure]
        payment[tier3, k] = measure.payment_share if measure.measure != "licence_required" else 0
        if measure.measure == "case_by_case":
            volume[tier3, k] = measure.volume_share
            reference[tier3, k] = names.index(measure.volume_reference)
    embargoed = np.isin(np.array(countries), np.array(rules.embargoed, dtype=str))
    regime[embargoed, :] = EMBARGO
    payment[embargoed, :] = volume[embargoed, :] = 0.0
    blocked = np.array([[k in scenario.countries[c].import_blocked for k in names]
                        for c in countries], dtype=bool)
    return regime, payment, volume, reference, blocked, controlled
