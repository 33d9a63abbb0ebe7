"""Sharing a scarce quantity among requesters, written request by request.

These are the reference versions the agent model uses; the vectorised core
has its own array versions and is tested equal to these.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["allocate", "first_come", "pro_rata"]


def pro_rata(requests: Sequence[int], capacity: int) -> list[int]:
    """Share ``capacity`` in proportion to ``requests``, rounding each share down.

    When the requests fit, each is granted in full. Otherwise requester ``i``
    gets ``floor(requests[i] * capacity / sum(requests))``; what rounding
    leaves over is not handed out this month (the cap keeps it; a vendor's unsold
    monthly output is lost).
    """
    total = sum(requests)
    if total <= capacity:
        return list(requests)
    return [request * capacity // total for request in requests]


def first_come(requests: Sequence[int], priorities: Sequence[float], capacity: int) -> list[int]:
    """Serve requests in increasing ``priority`` (ties by position) until ``capacity`` runs out."""
    order = sorted(range(len(requests)), key=lambda i: (priorities[i], i))
    granted = [0] * len(requests)
    left = capacity
    for i in order:
        granted[i] = min(requests[i], left)
        left -= granted[i]
    return granted


def allocate(
    requests: Sequence[int], capacity: int, mode: str, priorities: Sequence[float]
) -> list[int]:
    """Allocate by ``mode`` (``"pro_rata"`` or ``"first_come"``)."""
    if mode == "first_come":
        return first_come(requests, priorities, capacity)
    return pro_rata(requests, capacity)
