"""Integer codes the two implementations share: regimes, firm kinds, VEU status, tiers.

Arrays hold these small integers; code compares against the names, never
against the numbers.
"""

from __future__ import annotations

__all__ = [
    "BROKER",
    "BUYER",
    "CAPPED",
    "CHAMPION",
    "DENIED",
    "EMBARGO",
    "FREE",
    "HYPERSCALER",
    "KIND_NAMES",
    "LICENSED",
    "NONE",
    "NVEU",
    "PAYMENT",
    "REGIME_NAMES",
    "RESEARCH",
    "STATUS_NAMES",
    "TIER1",
    "TIER2",
    "TIER3",
    "UVEU",
    "VOLUME",
]

FREE, LICENSED, CAPPED, DENIED, PAYMENT, VOLUME, EMBARGO = range(7)
"""Regime of a chip for a destination in a month (:mod:`sim.world.market`): no
licence; a licence, granted; a licence counted on the Tier 2 cap; presumption of
denial; a licence granted against a payment; case by case within a volume limit,
against a payment; an embargo."""
REGIME_NAMES = ("free", "licensed", "capped", "denied", "payment", "volume", "embargo")

BUYER, RESEARCH, CHAMPION, HYPERSCALER, BROKER = range(5)
"""Kind of a firm."""
KIND_NAMES = ("buyer", "research", "champion", "hyperscaler", "broker")

NONE, UVEU, NVEU = range(3)
"""Validated end-user status of a firm."""
STATUS_NAMES = ("none", "uveu", "nveu")

TIER1, TIER2, TIER3 = 1, 2, 3
"""Country tiers of the January 2025 framework (also the reporting groups)."""
