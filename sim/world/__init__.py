"""Facts both implementations share: the world of a scenario, its firms, codes, phases, metrics.

Everything here is independent of the seed and of how a run is computed:
:class:`World` (countries, tiers, the regime of every country in every
month, caps, growth), the firm population (:mod:`sim.world.population`),
the integer codes (:mod:`sim.world.codes`), the metric names
(:mod:`sim.world.metrics`) and the phase list (:mod:`sim.world.phases`).
The Mesa model and the vectorised core both build on it, and on nothing of
each other.
"""

from __future__ import annotations

from sim.world.codes import CAPPED, DENIED, EMBARGO, FREE, LICENSED, PAYMENT, REGIME_NAMES, VOLUME
from sim.world.world import World, month_labels

__all__ = ["CAPPED", "DENIED", "EMBARGO", "FREE", "LICENSED", "PAYMENT", "REGIME_NAMES", "VOLUME",
           "World", "month_labels"]
