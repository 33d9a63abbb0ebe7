"""The firm layout of the core: firms sorted by country once, at start-up.

The core keeps every per-firm array in *layout order*: firms sorted by
country (stably, so by firm index within a country). A country's firms are
then one contiguous segment, and every per-country sum is one
``np.add.reduceat``. ``Layout.agent`` maps a layout position back to the
model's firm index, which keys the random numbers and breaks first-come
ties, so the layout changes no result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.allocation import Groups
from sim.world import World
from sim.world.codes import BROKER, DENIED, NVEU, TIER1, UVEU

__all__ = ["Layout"]


@dataclass(frozen=True)
class Layout:
    """Seed-independent arrays of one scenario, in layout order.

    Shapes: ``F`` firms, ``C`` countries, ``T`` steps, ``B`` brokers, ``U``
    UVEU subsidiaries, ``P`` parents with UVEU subsidiaries.

    Attributes
    ----------
    world : World
    agent : ndarray of shape (F,), int64
        Firm index in the model (key of the random numbers).
    country : ndarray of shape (F,), int64
    is_broker, is_uveu, is_nveu : ndarray of shape (F,), bool
    regime : ndarray of shape (T, F), int8
        Each firm's country's regime in each step.
    denied : ndarray of shape (T, F), bool
    growth : ndarray of shape (T, F), float64
    countries : Groups
        Firms by country (C groups).
    market : Groups
        All firms in one group, ties by firm index (the vendors' queue).
    brokers : ndarray of shape (B,), int64
        Layout positions of the brokers.
    uveu : ndarray of shape (U,), int64
        Layout positions of UVEU subsidiaries, by parent then firm index.
    parents : Groups
        UVEU subsidiaries (positions in ``uveu``) by parent (P groups).
    uveu_tier1 : ndarray of shape (T, U), bool
        Subsidiary hosted in Tier 1 (under the tiers in force in each step).
    uveu_abroad : ndarray of shape (U,), bool
        Subsidiary hosted outside its parent's headquarters country.
    parent_home : ndarray of shape (T, P), bool
        Parent headquartered in the ``rules.uveu_home_country`` in force (the
        home-share rule applies).
    """

    world: World
    agent: np.ndarray
    country: np.ndarray
    is_broker: np.ndarray
    is_uveu: np.ndarray
    is_nveu: np.ndarray
    regime: np.ndarray
    denied: np.ndarray
    growth: np.ndarray
    countries: Groups
    market: Groups
    brokers: np.ndarray
    uveu: np.ndarray
    parents: Groups
    uveu_tier1: np.ndarray
    uveu_abroad: np.ndarray
    parent_home: np.ndarray

    @classmethod
    def from_world(cls, world: World) -> Layout:
        """Sort the firms of ``world`` by country and precompute groups."""
        table = world.firms
        agent = np.argsort(table.country, kind="stable").astype(np.int64)
        country = table.country[agent]
        n_countries = len(world.countries)
        is_uveu = table.status[agent] == UVEU
        uveu, parent_of, parent_home = _uveu_layout(world, agent, is_uveu)
        codes = np.array(world.countries)
        hq = np.array(table.parent_hq, dtype=str)
        regime = world.regime[:, country]
        return cls(
            world=world,
            agent=agent,
            country=country,
            is_broker=table.kind[agent] == BROKER,
            is_uveu=is_uveu,
            is_nveu=table.status[agent] == NVEU,
            regime=regime,
            denied=regime == DENIED,
            growth=world.growth[:, country],
            countries=Groups.from_members(country, n_countries, tie_key=agent),
            market=Groups.from_members(np.zeros_like(agent), 1, tie_key=agent),
            brokers=np.flatnonzero(table.kind[agent] == BROKER),
            uveu=uveu,
            parents=Groups.from_members(parent_of, parent_home.shape[1], tie_key=agent[uveu]),
            uveu_tier1=world.tier_in_force[:, country[uveu]] == TIER1,
            uveu_abroad=codes[country[uveu]] != hq[table.parent[agent[uveu]]],
            parent_home=parent_home,
        )

    @property
    def n_firms(self) -> int:
        """Number of firms ``F``."""
        return len(self.agent)

    @property
    def n_countries(self) -> int:
        """Number of countries ``C``."""
        return len(self.world.countries)


def _uveu_layout(world: World, agent: np.ndarray,
                 is_uveu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of UVEU subsidiaries by (parent, firm index); dense parent groups."""
    positions = np.flatnonzero(is_uveu)
    parent = world.firms.parent[agent[positions]]
    positions = positions[np.lexsort((agent[positions], parent))]
    names, parent_of = np.unique(world.firms.parent[agent[positions]], return_inverse=True)
    hq = np.array([world.firms.parent_hq[p] for p in names], dtype=str).reshape(1, -1)
    home = np.array([world.at(t).rules.uveu_home_country for t in range(world.n_steps)],
                    dtype=str).reshape(-1, 1)
    return positions, parent_of.astype(np.int64), hq == home
