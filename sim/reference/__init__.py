"""Reference data: accelerators, their classification and supply, country groups, demand shares.

Data files (``chips.csv``, ``supply.csv``, ``country_groups.csv``, ``demand_shares.csv``,
``regions.csv``, ``transit_hubs.csv``) ship inside this package;
``docs/reference-data.md`` lists their sources and what is assumed.
"""

from __future__ import annotations

from sim.reference.chips import H100E_TPP, Chip, load_chips
from sim.reference.countries import (
    REFERENCE_DAY,
    all_iso3,
    country_groups,
    country_name,
    is_valid_iso3,
)
from sim.reference.demand import DemandShare, demand_shares
from sim.reference.eccn import VINTAGES, classify_chip, validate_vintage
from sim.reference.regions import REGIONS, region_members, region_of
from sim.reference.supply import (
    EQUIPMENT_RULE_MONTH,
    HBM_RULE_MONTH,
    SupplyRow,
    domestic_supply_tpp,
    load_supply,
    monthly_supply,
    quarter_of,
)
from sim.reference.tiers import (
    embargoed,
    framework_tiers,
    headquarters_scope,
    importers,
    rule_scope,
    standing,
)
from sim.reference.transit import TransitHub, transit_hubs

__all__ = [
    "EQUIPMENT_RULE_MONTH",
    "H100E_TPP",
    "HBM_RULE_MONTH",
    "REFERENCE_DAY",
    "REGIONS",
    "VINTAGES",
    "Chip",
    "DemandShare",
    "SupplyRow",
    "TransitHub",
    "all_iso3",
    "classify_chip",
    "country_groups",
    "country_name",
    "demand_shares",
    "domestic_supply_tpp",
    "embargoed",
    "framework_tiers",
    "headquarters_scope",
    "importers",
    "is_valid_iso3",
    "load_chips",
    "load_supply",
    "monthly_supply",
    "quarter_of",
    "region_members",
    "region_of",
    "rule_scope",
    "standing",
    "transit_hubs",
    "validate_vintage",
]
