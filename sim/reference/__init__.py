"""Reference data: accelerators, their classification and supply, and country groups.

Data files (``chips.csv``, ``country_groups.csv``, ``supply.csv``) ship inside this package;
``docs/reference-data.md`` lists their sources and what is assumed.
"""

from __future__ import annotations

from sim.reference.chips import H100E_TPP, Chip, load_chips
from sim.reference.countries import (
    all_iso3,
    country_groups,
    country_name,
    headquarters_scope,
    is_valid_iso3,
    rule_scope,
)
from sim.reference.eccn import VINTAGES, classify_chip, validate_vintage
from sim.reference.supply import SupplyRow, load_supply, monthly_supply, quarter_of

__all__ = [
    "H100E_TPP",
    "VINTAGES",
    "Chip",
    "SupplyRow",
    "all_iso3",
    "classify_chip",
    "country_groups",
    "country_name",
    "headquarters_scope",
    "is_valid_iso3",
    "load_chips",
    "load_supply",
    "monthly_supply",
    "quarter_of",
    "rule_scope",
    "validate_vintage",
]
