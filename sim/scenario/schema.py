"""The scenario schema: frozen dataclasses, each field with its one constraint.

A field is declared with :func:`value` (a leaf checked by a constraint),
:func:`section` (a nested table), :func:`table_of` (a table keyed by country
code) or :func:`array_of` (a TOML array of tables). The loader walks these
declarations; nothing downstream re-checks a value. Sweep and targets files
are declared with the same helpers (:mod:`sim.sweep.spec`,
:mod:`sim.calibration.targets`).

Defaults. Every value lives in ``scenarios/base.toml`` with its source (a
docs/sources.md figure, "assumption" or "calibrated"), which every shipped
scenario extends. The keys of the first schema (v1) are required: a
self-contained scenario states each of them. A key added later declares
its default here, ``value(..., default=...)``, written as TOML would write it
and checked by the key's constraint; it is used when no file of the
``extends`` chain (nor an override) sets the key, so an older scenario file
keeps loading unchanged. The same value is stated in ``scenarios/base.toml``
with its source, and in the parameter table of ``docs/ODD.md``; a test
(``tests/test_scenario.py``) keeps the schema and ``base.toml`` equal. A key
at its default does not enter :meth:`Scenario.digest`, so adding one leaves
the digests of existing scenarios unchanged.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any

from sim.reference.countries import country_groups
from sim.scenario.constraints import (
    MAX_H100E,
    AmountOrReference,
    Assignments,
    Bool,
    ChipId,
    ChipIds,
    Constraint,
    Countries,
    Country,
    CountryAmounts,
    Float,
    FloatOrWord,
    Int,
    IntList,
    Month,
    OneOf,
    Text,
)

__all__ = [
    "MEASURES",
    "REGIONS_KEY",
    "WORLD_COUNTRIES",
    "ChipMeasure",
    "ChipOffer",
    "CountryConfig",
    "DiversionConfig",
    "EnforcementConfig",
    "FirmCounts",
    "FirmSizes",
    "MarketConfig",
    "NamedFirm",
    "RulesConfig",
    "Scenario",
    "TiersConfig",
    "TimeConfig",
    "TimelineEntry",
    "WorldConfig",
]

REGIONS_KEY = "regions"
"""Top-level table of a scenario file whose ``[regions.NAME]`` tables set country keys
for every modelled country of a region (:mod:`sim.scenario.regions`); it is resolved
into ``countries`` before the schema is built, so :class:`Scenario` has no such field."""

PROBABILITY = Float(0.0, 1.0)
SHARE = Float(0.0, 1.0)
MULTIPLIER = Float(0.0, 1000.0)


_REQUIRED: Any = object()


def value(constraint: Constraint, doc: str, default: Any = _REQUIRED,
          changes: bool = False) -> Any:
    """Declare a leaf field checked by ``constraint``.

    Parameters
    ----------
    constraint : Constraint
        What the value must be.
    doc : str
        What it is (shown when the key is missing).
    default : TOML value or None, optional
        The value when no file sets the key, written as in TOML and checked
        by ``constraint`` (``None``: the field is ``None``, "not given").
        Without it the key is required.
    changes : bool, optional
        The key may change within a run, on a date of the ``[[timeline]]``
        (rules, enforcement, prices, behaviour); keys that fix the window or
        the population may not.
    """
    metadata: dict[str, Any] = {"check": constraint, "doc": doc}
    if default is not _REQUIRED:
        metadata["default"] = default
    if changes:
        metadata["changes"] = True
    return field(metadata=metadata)


def changeable(constraint: Constraint, doc: str, default: Any = _REQUIRED) -> Any:
    """Declare a leaf field that a ``[[timeline]]`` entry may change within a run."""
    return value(constraint, doc, default, changes=True)


def section(cls: type, doc: str) -> Any:
    """Declare a nested table parsed as dataclass ``cls``."""
    return field(metadata={"section": cls, "doc": doc})


def table_of(cls: type, key: Constraint, doc: str, sort_keys: bool = True,
             default: Any = _REQUIRED) -> Any:
    """Declare a table whose keys pass ``key`` and whose values are ``cls``.

    The result is a dict sorted by key, or in file order if not ``sort_keys``
    (``default``: only the empty table ``{}``).
    """
    metadata: dict[str, Any] = {"table": cls, "key": key, "doc": doc, "sort_keys": sort_keys}
    if default is not _REQUIRED:
        metadata["default"] = default
    return field(metadata=metadata)


def array_of(cls: type, doc: str, default: Any = _REQUIRED) -> Any:
    """Declare a TOML array of tables, each parsed as ``cls`` (``default``: e.g. ``[]``)."""
    metadata: dict[str, Any] = {"array": cls, "doc": doc}
    if default is not _REQUIRED:
        metadata["default"] = default
    return field(metadata=metadata)


@dataclass(frozen=True)
class TimeConfig:
    """The simulated window: monthly steps from ``start``."""

    start: str = value(Month(), "first simulated month")
    months: int = value(Int(1, 600), "number of monthly steps")


MEASURES = ("rule", "licence_required", "licence_payment", "case_by_case")
"""Measures on one chip for Tier 3 destinations: its 3A090 classification decides
(``rule``); a licence is required and presumed denied (``licence_required``);
licences are granted against a payment (``licence_payment``); licences are
decided case by case within a volume limit, against a payment (``case_by_case``)."""


@dataclass(frozen=True)
class ChipMeasure:
    """A measure on one chip for Tier 3 destinations (the H20 and H200 episodes)."""

    measure: str = changeable(OneOf(MEASURES), "what exporting the chip to Tier 3 takes")
    payment_share: float = changeable(
        SHARE, "share of the chip's revenue paid to the US government under a licence",
        default=0.0,
    )
    volume_share: float = changeable(
        Float(0.0, 1000.0), "case by case: a destination's monthly chips at most this multiple "
        "of last month's US shipments of volume_reference", default=0.0,
    )
    volume_reference: str = changeable(
        ChipId(origin="us_controlled", optional=True),
        "case by case: the chip whose US shipments set the volume limit", default="",
    )


@dataclass(frozen=True)
class RulesConfig:
    """The rule set: chip classification, tiers and their caps, exceptions."""

    chip_rule: str = changeable(OneOf(("none", "oct2022", "oct2023")), "ECCN 3A090 vintage")
    tiered_caps: bool = changeable(Bool(), "apply the 2025 three-tier framework")
    hbm_controls: bool = changeable(
        Bool(), "HBM is controlled for D:5 and Macau (the 2 Dec 2024 rule): a reference "
        "domestic schedule is cut by market.domestic_hbm_cut once the rule has bound for "
        "market.domestic_hbm_lag_months", default=False,
    )
    equipment_controls: bool = changeable(
        Bool(), "the allied chipmaking-equipment controls are in force (Japan from 23 Jul "
        "2023, the Netherlands from 1 Sep 2023, extended in 2024): a reference domestic "
        "schedule is what was made under them; without them it grows faster by "
        "market.domestic_equipment_growth a year", default=True,
    )
    headquarters_rule: bool = changeable(
        Bool(), "firms headquartered in D:5 or Macau need a licence wherever they buy, under "
        "chip_rule oct2023",
        default=True,
    )
    tiers_from: str = changeable(Month(), "month the tier rules start to bind")
    tiers_until: str = changeable(Month(optional=True), "month the tier rules stop binding")
    cap_tpp: int = changeable(Int(), "Tier 2 country cap, TPP")
    cap_period: str = changeable(
        OneOf(("cumulative", "annual")), "cap counted over the window or yearly",
    )
    g2g_multiplier: float = changeable(Float(1.0, 100.0), "cap multiplier under a G2G arrangement")
    lpp_tpp_per_year: int = changeable(Int(), "low-volume exception per consignee per year, TPP")
    uveu_tier1_min_share: float = changeable(SHARE, "UVEU share of compute kept in Tier 1")
    uveu_tier2_max_share: float = changeable(SHARE, "UVEU share in any one Tier 2 country")
    uveu_home_min_share: float = changeable(
        SHARE, "UVEU share kept in the home country (rules.uveu_home_country)",
    )
    uveu_home_country: str = changeable(
        Country(),
        "UVEU holders headquartered in this country keep rules.uveu_home_min_share of their "
        "compute there",
        default="USA",
    )
    nveu_cap_h100e: tuple[int, ...] = changeable(
        IntList(0, MAX_H100E), "NVEU cumulative cap by rule year, H100e",
    )
    embargoed: tuple[str, ...] = changeable(
        Countries(), "destinations no US-controlled chip may be exported to (embargoes)",
        default=[],
    )
    chip_measures: dict[str, ChipMeasure] = table_of(
        ChipMeasure, ChipId(origin="us_controlled"),
        "measures on single chips for Tier 3 destinations, beyond their classification",
        sort_keys=False, default={},
    )
    remote_compute_allowed: bool = changeable(Bool(), "refused buyers may rent remote compute")
    cloud_kyc: float = changeable(
        SHARE, "share of a restricted destination's rental requests that cloud providers' "
        "know-your-customer checks refuse (IaaS customer identification, BIS's May 2025 red "
        "flags)", default=0.0)
    end_use_checks: float = changeable(
        SHARE, "share of a broker's purchases an end-use check catches before re-export, on top "
        "of the transit country's catch (0: no checks)", default=0.0)
    allocation: str = changeable(OneOf(("pro_rata", "first_come")), "how a scarce cap is shared")


@dataclass(frozen=True)
class FirmSizes:
    """Median monthly demand of one firm, by kind, in H100-equivalents."""

    buyer: float = value(Float(0.0, 1e9), "ordinary buyer")
    research: float = value(Float(0.0, 1e9), "research buyer")
    champion: float = value(Float(0.0, 1e9), "national champion")
    broker: float = value(Float(0.0, 1e9), "broker (purchasing capacity)")


@dataclass(frozen=True)
class ChipOffer:
    """One chip on sale: its vendor's monthly output and its list price."""

    capacity_chips: int | str = changeable(
        AmountOrReference(), "vendor output of this chip a month (0: not sold), or "
        '"reference": its quarterly schedule in sim/reference/supply.csv (x market.supply_scale)')
    price_usd: int = changeable(Int(0, 10**9), "list price of one chip")


@dataclass(frozen=True)
class MarketConfig:
    """Chips on offer, vendor capacity, prices and buyer behaviour."""

    chips: dict[str, ChipOffer] = table_of(
        ChipOffer, ChipId(origin="us_controlled"), "chips on sale: output and price",
        sort_keys=False,
    )
    preference: tuple[str, ...] = value(
        ChipIds(), "every chip of market.chips once, most preferred first (a buyer orders the "
        "first it may receive)",
    )
    variants: tuple[str, ...] = value(
        ChipIds(), "chips made for destinations refused the chips above them "
        "(Nvidia's China variants): a destination that may receive another chip serving the "
        "full need does not buy them", default=[],
    )
    supply_scale: float = value(
        Float(0.0, 100.0), 'multiplier on every "reference" output schedule of supply.csv',
        default=1.0,
    )
    supply_bound: str = value(
        OneOf(("central", "low", "high")), 'which figure of supply.csv a "reference" schedule '
        "takes", default="central",
    )
    domestic_chip: str = changeable(ChipId(origin="domestic_china"),
                                    "domestic substitute (catalogue id)")
    firm_demand_h100e: FirmSizes = section(FirmSizes, "median firm demand by kind")
    demand_reference_month: str = value(
        Month(), "the month the firm sizes (market.firm_demand_h100e, firms.hosts) describe; "
        "demand grows from it at growth_per_year, before it and after it, whatever month a "
        "run starts in", default="2025-01",
    )
    world_demand_h100e: float | str = value(
        FloatOrWord(("firms", "reference"), 1.0, float(MAX_H100E),
                    "the world's demand at list price in market.demand_reference_month"),
        "world demand in market.demand_reference_month, H100e a month: \"firms\" (the firm "
        "sizes as typed), \"reference\" (that month's world shipments in "
        "sim/reference/supply.csv) or a number; every firm's size is scaled by one factor so "
        "that the buyers' expected demand equals it", default="reference",
    )
    size_tail_alpha: float = value(Float(1.05, 20.0), "Pareto tail index of firm sizes")
    demand_noise: float = value(SHARE, "half-width of uniform monthly demand noise")
    backlog_months: int = value(Int(0, 120), "months of demand a buyer keeps waiting for")
    partial_need_share: float = value(
        SHARE, "share of a buyer's need a chip below full_need_ratio of the best chip serves")
    full_need_ratio: float = value(
        SHARE, "a chip with at least this share of the best chip's TPP serves the full need",
        default=0.3,
    )
    substitution_share: float = value(SHARE, "share of refused demand sent to domestic chips")
    remote_share: float = value(SHARE, "share of refused demand rented remotely")
    cloud_share: float | str = value(
        FloatOrWord(("unlimited",), 0.0, 1.0, "rented compute needs no supplier"),
        'share of the installed compute of every country that may hold the frontier chip '
        'offered for rent each month, the cap on all rented compute; "unlimited": renting '
        'needs no supplier', default="unlimited")
    depreciation_months: int = value(Int(1, 1200), "installed compute written off at 1/N a month")
    price_elasticity: float = value(
        Float(0.0, 20.0), "buyers' demand falls to 1 / (1 + e x (market price / list - 1)) of "
        "its list-price level (0: demand ignores the price)", default=1.0,
    )
    price_adjustment: float = value(
        SHARE, "a chip's market price moves by this share of last month's excess of orders "
        "over output (orders / output - 1, at most 1)", default=0.5,
    )
    price_floor: float = value(
        Float(0.01, 1.0), "lowest market price, as a multiple of the list price", default=0.7,
    )
    price_ceiling: float = value(
        Float(1.0, 100.0), "highest market price, as a multiple of the list price", default=3.0,
    )
    domestic_hbm_cut: float = value(
        SHARE, "share of a reference domestic schedule lost once the HBM controls bind",
        default=0.5,
    )
    domestic_equipment_growth: float = value(
        Float(0.0, 10.0), "extra growth a year of a reference domestic schedule in the months "
        "the allied equipment controls are not in force (counted from Sep 2023)", default=0.25,
    )
    domestic_hbm_lag_months: int = value(
        Int(0, 120), "months of stockpiled HBM before the HBM controls cut domestic output",
        default=12,
    )
    uveu_installed_months: int = value(
        Int(0, 120),
        "A UVEU subsidiary starts with this many months of its demand installed (assumption: "
        "the UVEU shares are shares of an installed base the firm already has)",
        default=12,
    )


@dataclass(frozen=True)
class DiversionConfig:
    """Brokers and the grey market for restricted destinations."""

    divert_share: float = changeable(SHARE, "largest share of refused demand offered to brokers")
    broker_appetite: float = changeable(MULTIPLIER, "broker order per unit of premium over list")
    initial_premium: float = value(Float(1.0, 100.0), "grey price over list at the start")
    premium_sensitivity: float = changeable(MULTIPLIER, "premium rise per share of unmet demand")
    premium_inertia: float = changeable(SHARE, "weight of last month's premium")
    subsidiary_redirect_share: float = changeable(
        SHARE, "share of what a subsidiary abroad of a firm headquartered in Tier 3 receives "
        "each month that it sends on to its headquarters country (CNAS's Chinese cloud "
        "providers pathway; 0: none)", default=0.0)
    route_sensitivity: float = changeable(
        MULTIPLIER, "how strongly brokers steer purchases away from risky hubs and toward hubs "
        "with cap and low-volume room: the networks' purchases, at most their brokers' summed "
        "capacity, are split by weight, a broker's weight being its room times max(0, 1 - "
        "route_sensitivity x catch probability there), so what a risky hub loses goes to the "
        "others (0: pro rata to capacity wherever it sits)", default=0.0)
    reserve_brokers: int = value(
        Int(0, 1000), "dormant front companies per broker a country starts with: slots that "
        "can enter later (0: no new brokers ever enter)", default=0)
    entry_rate: float = changeable(
        MULTIPLIER, "monthly chance that a dormant front company enters, per unit of grey "
        "premium over list, times the chance of not being caught where it sits", default=0.0)
    reform_delay_months: int = changeable(
        Int(0, 1200), "months after its listing before a caught network can re-form under a "
        "new name", default=1)
    reform_probability: float = changeable(
        PROBABILITY, "monthly chance that a listed network, past the delay, re-forms as a new "
        "broker (0: a listed broker is gone for good)", default=0.0)


@dataclass(frozen=True)
class EnforcementConfig:
    """How likely a diversion is caught."""

    detection: float = changeable(PROBABILITY, "catch probability through an average country")
    measures_multiplier: float = changeable(MULTIPLIER, "rule set's extra measures (1 = none)")
    vigilance_per_seizure: float = changeable(
        MULTIPLIER, "rise of a country's catch strength, as a multiple of its own, for each broker "
        "caught there in a month (0: enforcement does not learn)", default=0.0)
    vigilance_decay: float = changeable(
        SHARE, "share of the raised catch strength that fades each month", default=0.1)


@dataclass(frozen=True)
class TiersConfig:
    """Country tiers of the 2025 framework (also the reporting groups).

    Each list is ISO3 codes, fixed for as long as it is in force, or the name
    of a reference group (``"tier3_2025"``), whose members follow the dated
    rows of ``country_groups.csv``: :meth:`members` reads them on a day.
    """

    tier1: tuple[str, ...] | str = changeable(
        Countries(dated=True), "Tier 1 countries (no cap), or a reference group read month by "
        "month")
    tier3: tuple[str, ...] | str = changeable(
        Countries(dated=True), "Tier 3 countries (presumption of denial), or a reference group "
        "read month by month")

    def members(self, on: str | None = None) -> tuple[frozenset[str], frozenset[str]]:
        """Return the Tier 1 and Tier 3 codes on a day.

        Parameters
        ----------
        on : str or None
            ``"YYYY-MM-DD"``; None is :data:`sim.reference.REFERENCE_DAY`.
            Only a group name depends on it; a list of codes is the same on
            every day.

        Returns
        -------
        tuple of two frozensets of str
            Tier 1 codes, Tier 3 codes.
        """
        return _members(self.tier1, on), _members(self.tier3, on)


def _members(listed: tuple[str, ...] | str, on: str | None) -> frozenset[str]:
    """Return a tier list's codes: a group's members on ``on``, or the codes listed."""
    return country_groups(on)[listed] if isinstance(listed, str) else frozenset(listed)


@dataclass(frozen=True)
class FirmCounts:
    """Generated firms in a country, by kind."""

    buyer: int = value(Int(0, 100_000), "ordinary buyers")
    research: int = value(Int(0, 100_000), "research buyers")
    champion: int = value(Int(0, 100_000), "national champions (no VEU status)")
    broker: int = value(Int(0, 100_000), "brokers (front companies)")


WORLD_COUNTRIES = ("listed", "reference")
"""The words ``world.countries`` accepts."""


@dataclass(frozen=True)
class WorldConfig:
    """Which countries exist, and how the reference data fills them in (sim.scenario.world)."""

    countries: str = value(
        OneOf(WORLD_COUNTRIES), '"listed": the countries the scenario names; "reference": every '
        "importer of sim/reference (UN members, TWN, HKG, MAC), sized by its demand share",
        default="listed")
    total_buyers: int = value(Int(0, 100_000), 'generated ordinary buyers in the world under '
                        '"reference", shared by demand share after each country\'s minimum',
                        default=250)
    min_buyers: int = value(Int(0, 1000), 'generated ordinary buyers in every importer under '
                            '"reference"', default=1)
    total_research: int = value(Int(0, 100_000), 'generated research buyers in the world under '
                          '"reference", shared by demand share after each minimum', default=30)
    min_research: int = value(Int(0, 1000), 'generated research buyers in every importer '
                              'under "reference"', default=0)


@dataclass(frozen=True)
class CountryConfig:
    """One modelled country."""

    demand_scale: float = value(
        Float(0.0, 1e6), 'multiplier on the country\'s demand: on its reference demand share '
        'under world.countries = "reference", on its firms\' sizes under "listed"')
    growth_per_year: float | str = value(
        FloatOrWord(("reference",), 0.0, 100.0, "demand growth factor a year"),
        'demand growth factor a year, or "reference": demand grows as the trend of the '
        "world's shipments in sim/reference/supply.csv (a centred 12-month mean)",
    )
    enforcement: float = changeable(Float(0.0, 1000.0), "catch strength relative to average")
    transit: float = value(Float(0.0, 1000.0), "transit attractiveness: broker size multiplier")
    domestic_capacity_h100e: int | str = value(
        AmountOrReference(MAX_H100E), "domestic accelerator output a month, H100e; or "
        '"reference": the Huawei Ascend schedule of sim/reference/supply.csv (CHN only), cut '
        "by the HBM controls (market.domestic_hbm_cut)"
    )
    g2g: bool = changeable(Bool(), "government-to-government arrangement")
    import_blocked: tuple[str, ...] = changeable(
        ChipIds(), "chips this country's buyers do not import (customs holds, guidance)",
        default=[],
    )
    firms: FirmCounts = section(FirmCounts, "generated firm population")


@dataclass(frozen=True)
class NamedFirm:
    """A firm named in the scenario (hyperscaler or national champion)."""

    name: str = value(Text(), "firm name")
    kind: str = value(OneOf(("hyperscaler", "champion")), "firm kind")
    hq: str = value(Country(), "headquarters country")
    status: str = value(OneOf(("none", "uveu", "nveu")), "validated end-user status")
    hosts: dict[str, float] = value(CountryAmounts(), "monthly demand by host country, H100e")


@dataclass(frozen=True)
class TimelineEntry:
    """A dated change within a run: from ``date`` on, the keys of ``set`` take new values."""

    date: str = value(Month(), "first month the new values apply")
    source: str = value(Text(nonempty=True), "where the change is documented")
    set: dict[str, Any] = value(Assignments(), "dotted scenario keys and their new values")


@dataclass(frozen=True)
class Scenario:
    """A fully resolved, validated scenario.

    Build one with :func:`sim.load_scenario`; every value has been checked.
    """

    name: str = value(Text(), "short title")
    description: str = value(Text(), "what the scenario represents")
    time: TimeConfig = section(TimeConfig, "simulated window")
    rules: RulesConfig = section(RulesConfig, "rule set")
    market: MarketConfig = section(MarketConfig, "market")
    diversion: DiversionConfig = section(DiversionConfig, "diversion")
    enforcement: EnforcementConfig = section(EnforcementConfig, "enforcement")
    tiers: TiersConfig = section(TiersConfig, "tiers")
    world: WorldConfig = section(WorldConfig, "which countries exist (all keys have defaults)")
    countries: dict[str, CountryConfig] = table_of(CountryConfig, Country(), "modelled countries")
    firms: tuple[NamedFirm, ...] = array_of(NamedFirm, "named firms")
    timeline: tuple[TimelineEntry, ...] = array_of(
        TimelineEntry, "dated changes within the run, in date order", default=[])

    @property
    def country_codes(self) -> tuple[str, ...]:
        """Modelled countries, sorted by ISO3 code (the model's country order)."""
        return tuple(sorted(self.countries))

    def to_dict(self) -> dict[str, Any]:
        """Return the resolved content as plain Python data."""
        return asdict(self)

    def in_force(self, month: str) -> Scenario:
        """Return the scenario as it stands in ``month``, with no timeline of its own.

        Every timeline entry dated ``month`` or earlier is applied, in file
        order, on top of the scenario's own values (which hold until the
        first entry). The values were checked when the scenario was loaded.
        """
        current = replace(self, timeline=())
        for entry in self.timeline:
            if entry.date <= month:
                for key, new in entry.set.items():
                    current = _with_value(current, tuple(key.split(".")), new)
        return current

    def with_values(self, values: Mapping[str, Any]) -> Scenario:
        """Return a copy with each dotted key of ``values`` set, its other parts shared.

        The values must be converted and checked already (by the key's
        constraint, and by the cross-field checks that read it):
        :func:`sim.scenario.loading.resolve_points` does both.
        """
        current = self
        for key, new in values.items():
            current = _with_value(current, tuple(key.split(".")), new)
        return current

    def digest(self) -> str:
        """Return a stable SHA-256 hex digest of the resolved content.

        Two scenarios with the same digest run identically; file names,
        comments and the ``extends`` chain do not enter it. Nor does a key
        at its schema default: adding a key with a default leaves the digest
        of every scenario that keeps the default as it was, so results and
        sweep folders made before stay valid.
        """
        canonical = json.dumps(_beyond_defaults(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _with_value(config: Any, path: tuple[str, ...], new: Any) -> Any:
    """Return a copy of the frozen ``config`` with the value at ``path`` replaced."""
    name, rest = path[0], path[1:]
    if not rest:
        return replace(config, **{name: new})
    inner = getattr(config, name)
    if is_dataclass(inner):
        return replace(config, **{name: _with_value(inner, rest, new)})
    table = dict(inner)  # a table keyed by country code
    table[rest[0]] = _with_value(table[rest[0]], rest[1:], new)
    return replace(config, **{name: table})


def _beyond_defaults(config: Any) -> dict[str, Any]:
    """Return ``asdict(config)`` without the keys at their declared defaults."""
    content = {}
    for declaration in fields(config):
        found, meta = getattr(config, declaration.name), declaration.metadata
        if meta.get("default") is not None and found == _default_value(meta):
            continue
        if "section" in meta:
            inner = _beyond_defaults(found)
            if inner or any("default" not in f.metadata for f in fields(found)):
                content[declaration.name] = inner  # a section all at defaults is left out
        elif "table" in meta:
            content[declaration.name] = {k: _beyond_defaults(v) for k, v in found.items()}
        elif "array" in meta:
            content[declaration.name] = [_beyond_defaults(v) for v in found]
        else:
            content[declaration.name] = copy.deepcopy(found)
    return content


def _default_value(meta: Any) -> Any:
    """Return a declared default as the field holds it (converted by its constraint)."""
    if "array" in meta:
        return tuple(meta["default"])  # only empty arrays have a default
    if "table" in meta:
        return {}  # only empty tables have a default
    return meta["check"].convert(copy.deepcopy(meta["default"]))
