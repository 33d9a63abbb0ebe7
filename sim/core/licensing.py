"""Phases where licence requests compete: UVEU share limits and country caps.

Array versions of ``ExportControlModel.settle_uveu`` and
``ExportControlModel.allocate_caps``: one grouped allocation over all runs
and all parents (or countries) at once.
"""

from __future__ import annotations

import numpy as np

from sim.core.allocation import allocate, pro_rata
from sim.core.layout import Layout
from sim.core.state import State, evolve
from sim.world import CAPPED, VOLUME

__all__ = ["allocate_caps", "settle_uveu"]


def _floor_share(share: float, installed: np.ndarray) -> np.ndarray:
    """``math.floor(share * installed)`` for int64 ``installed``."""
    return np.floor(share * installed).astype(np.int64)


def settle_uveu(layout: Layout, state: State, t: int) -> State:
    """Grant UVEU requests in Tier 2 within each parent's share limits.

    Subsidiaries that ask for nothing request 0 and are granted 0, so every
    subsidiary can take part; a parent none of whose subsidiaries asks is
    granted nothing, as in the model.
    """
    rules, tpp = layout.world.at(t).rules, layout.world.market.frontier_tpp[t]
    parents, positions = layout.parents, layout.uveu
    if positions.size == 0 or not layout.limits_apply[t]:  # nobody asks: path_uveu stays 0
        return state
    own = state.uveu_installed_tpp[:, positions]
    installed = parents.sum(own)
    per_country = parents.spread(_floor_share(rules.uveu_tier2_max_share, installed))
    clipped = np.minimum(state.uveu_request[:, positions],
                         np.maximum(0, per_country - own) // tpp)
    outside = parents.sum(np.where(layout.uveu_tier1[t], 0, own))
    room = _floor_share(1.0 - rules.uveu_tier1_min_share, installed) - outside
    abroad = parents.sum(np.where(layout.uveu_abroad, own, 0))
    home_room = _floor_share(1.0 - rules.uveu_home_min_share, installed) - abroad
    room = np.where(layout.parent_home[t], np.minimum(room, home_room), room)
    granted = pro_rata(clipped, np.maximum(0, room) // tpp, parents)
    path_uveu = np.zeros_like(state.path_uveu)
    path_uveu[:, positions] = granted
    return evolve(state, path_uveu=path_uveu)


def allocate_caps(layout: Layout, state: State, t: int) -> State:
    """Share each country's licence room among its requests: cap or volume limit.

    A capped country's room is what is left of its cap, in chips of the chip
    it orders; a case-by-case country's is its volume limit, a multiple of
    last month's US shipments of the reference chip. In a month with neither
    (``Layout.limits_apply``) nobody asks, and ``path_cap`` stays 0.
    """
    if not layout.limits_apply[t]:
        return state
    world = layout.world
    market = world.market
    cap_room = np.maximum(0, world.cap_tpp[t] - state.quota_used_tpp) // market.choice_tpp[t]
    reference = np.maximum(market.volume_reference[t], 0)
    us = state.us_shipped_chips[:, reference]
    volume_room = (market.volume_share[t] * us).astype(np.int64)
    regime = world.regime[t]
    room = np.where(regime == CAPPED, cap_room, np.where(regime == VOLUME, volume_room, 0))
    limited = (layout.regime[t] == CAPPED) | (layout.regime[t] == VOLUME)
    requests = np.where(limited, state.cap_request, 0)
    granted = allocate(requests, room, world.at(t).rules.allocation, state.country_queue,
                       layout.countries)
    return evolve(state, path_cap=granted)
