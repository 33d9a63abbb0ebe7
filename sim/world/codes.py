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
    "FREE",
    "HYPERSCALER",
    "KIND_NAMES",
    "LICENSED",
    "NONE",
    "NVEU",
    "REGIME_NAMES",
    "RESEARCH",
    "STATUS_NAMES",
    "TIER1",
    "TIER2",
    "TIER3",
    "UVEU",
]

FREE, LICENSED, CAPPED, DENIED = range(4)
"""Licensing regime of the frontier chip for a destination in a month."""
REGIME_NAMES = ("free", "licensed", "capped", "denied")

BUYER, RESEARCH, CHAMPION, HYPERSCALER, BROKER = range(5)
"""Kind of a firm."""
KIND_NAMES = ("buyer", "research", "champion", "hyperscaler", "broker")

NONE, UVEU, NVEU = range(3)
"""Validated end-user status of a firm."""
STATUS_NAMES = ("none", "uveu", "nveu")

TIER1, TIER2, TIER3 = 1, 2, 3
"""Country tiers of the January 2025 framework (also the reporting groups)."""
