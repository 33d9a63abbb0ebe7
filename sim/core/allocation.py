"""Sharing scarce quantities among groups of requesters, for many runs at once.

The array versions of :mod:`sim.model.allocation`. A :class:`Groups` is a
layout fixed at start-up: members (firms, or UVEU subsidiaries) sit in
contiguous segments, one per group (a country, a parent firm, the whole
market), so grouped sums are one ``np.add.reduceat``. First-come
allocation serves a *queue*: a per-run permutation of the members that
keeps each group in its segment and orders it by priority
(:meth:`Groups.rank`, then :meth:`Groups.queue`); a cumulative sum along
the queue then serves every group of every run at once.

Requests and capacities are non-negative int64; that is what makes the
closed form of first-come allocation exact (see :func:`first_come`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.kernels import group_sum, share_out

__all__ = ["Groups", "allocate", "first_come", "muldiv", "pro_rata"]

_SAFE_FACTOR = 3_037_000_499
"""Largest ``n`` with ``n * n < 2**63``: operands below it multiply exactly."""


@dataclass(frozen=True)
class Groups:
    """Contiguous groups of members along the last axis of an array.

    Attributes
    ----------
    n_groups : int
    member_group : ndarray of shape (n_members,), int64
        Group of each member; non-decreasing.
    group_key : ndarray of shape (n_members,), int16 or int64
        ``member_group`` in the smallest type (NumPy's stable sort of 16-bit
        keys is a radix sort).
    starts : ndarray of shape (n_nonempty,), int64
        First member of each non-empty group.
    nonempty : ndarray of shape (n_groups,), bool
    segment_start : ndarray of shape (n_members,), int64
        First member of each member's group.
    by_tie : ndarray of shape (n_members,), int64
        Members in increasing tie key (first-come ties go to the smaller key).
    pooled, pooled_starts : ndarray of int64
        The members of groups with two or more members, and where each such
        group starts among them (:meth:`sum`).
    gather : ndarray of shape (n_groups,), int64
        Where :meth:`sum` finds each group's total in ``[members, pooled
        sums, 0]``: a lone member is its group's sum, an empty group's is 0.
    lone_groups, lone_members : ndarray of int64
        The groups of one member, and that member.
    pooled_groups : ndarray of int64
        The groups of two or more members, in order.
    pooled_bounds : ndarray of shape (len(pooled_groups) + 1,), int64
        ``pooled_groups[s]`` holds members ``pooled[pooled_bounds[s]:pooled_bounds[s + 1]]``.
    empty_groups : ndarray of int64
        The groups with no member.
    """

    n_groups: int
    member_group: np.ndarray
    group_key: np.ndarray
    starts: np.ndarray
    nonempty: np.ndarray
    segment_start: np.ndarray
    by_tie: np.ndarray
    pooled: np.ndarray
    pooled_starts: np.ndarray
    gather: np.ndarray
    lone_groups: np.ndarray
    lone_members: np.ndarray
    pooled_groups: np.ndarray
    pooled_bounds: np.ndarray
    empty_groups: np.ndarray

    @classmethod
    def from_members(cls, member_group: np.ndarray, n_groups: int,
                     tie_key: np.ndarray) -> Groups:
        """Build the layout of members already sorted by group.

        Parameters
        ----------
        member_group : ndarray of shape (n_members,), int
            Group of each member, non-decreasing.
        n_groups : int
        tie_key : ndarray of shape (n_members,), int
            First-come ties go to the smaller key (the model's firm index).
        """
        member_group = np.asarray(member_group, dtype=np.int64)
        if np.any(np.diff(member_group) < 0):
            raise ValueError("members must be sorted by group")
        counts = np.bincount(member_group, minlength=n_groups)
        first = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        key_type = np.int16 if n_groups <= np.iinfo(np.int16).max else np.int64
        many = counts >= 2
        pooled = np.flatnonzero(many[member_group]).astype(np.int64)
        n_many = np.count_nonzero(many)
        gather = np.where(counts == 1, first, len(member_group) + n_many)  # 0: the last slot
        gather[many] = len(member_group) + np.arange(n_many)
        lone = np.flatnonzero(counts == 1)
        return cls(n_groups=n_groups, member_group=member_group,
                   group_key=member_group.astype(key_type), starts=first[counts > 0],
                   nonempty=counts > 0, segment_start=first[member_group],
                   by_tie=np.argsort(tie_key, kind="stable").astype(np.int64),
                   pooled=pooled,
                   pooled_starts=(np.cumsum(counts[many]) - counts[many]).astype(np.int64),
                   gather=gather.astype(np.int64),
                   lone_groups=lone.astype(np.int64), lone_members=first[lone],
                   pooled_groups=np.flatnonzero(many).astype(np.int64),
                   pooled_bounds=np.concatenate(([0], np.cumsum(counts[many]))).astype(np.int64),
                   empty_groups=np.flatnonzero(counts == 0).astype(np.int64))

    def rank(self, priority: np.ndarray) -> np.ndarray:
        """Order members by (priority, tie key), ignoring groups.

        Parameters
        ----------
        priority : ndarray of shape (n_runs, n_members), float64

        Returns
        -------
        ndarray of shape (n_runs, n_members), int64
            Member indices, first served first.
        """
        by_priority = np.argsort(priority[:, self.by_tie], axis=-1, kind="stable")
        return self.by_tie[by_priority]

    def queue(self, ranked: np.ndarray) -> np.ndarray:
        """Regroup a :meth:`rank` order: group by group, each in rank order.

        Group ``g`` then fills the positions of its segment, which is what
        :func:`first_come` relies on.

        Parameters
        ----------
        ranked : ndarray of shape (n_runs, n_members), int64

        Returns
        -------
        ndarray of shape (n_runs, n_members), int64
        """
        if self.n_groups == 1:
            return ranked
        regroup = np.argsort(self.group_key[ranked], axis=-1, kind="stable")
        return np.take_along_axis(ranked, regroup, axis=-1)

    def sum(self, values: np.ndarray, columns: np.ndarray | None = None,
            weights: np.ndarray | None = None) -> np.ndarray:
        """Sum members by group: (..., n_members) to (..., n_groups), same dtype.

        ``columns`` (n_members,), if given, says which column of ``values``
        holds each member: the sum of ``values[..., columns]``, without that
        copy on the compiled engine. ``weights`` (one per column of
        ``values``, or one per value, int64), if given, multiply the values first: the sum of
        ``values * weights`` (a month's chips times each firm's chip TPP),
        without that temporary on the compiled engine.

        On the compiled engine (:mod:`sim.kernels`) an int64 (R, M) array is
        summed in one pass. With NumPy, ``np.add.reduceat`` costs about as
        much per group as per member, and most countries of the whole world
        hold one firm; so where groups have lone members, only the groups of
        two or more are reduced (their members in order, so floats sum in the
        same order) and every total is then gathered from the members, those
        sums and a zero. An integer array with no non-zero (about 40% of the
        month's books at world scale: a path or a flow no firm has this month)
        sums to zeros at once.
        """
        if weights is not None and weights.ndim > 1:  # one row per run: no compiled form
            values, weights = values * weights, None
        if columns is None:
            compiled = group_sum(values, self.lone_groups, self.lone_members,
                                 self.pooled_groups, self.pooled_bounds, self.pooled,
                                 self.empty_groups, self.n_groups, weights)
        else:
            compiled = group_sum(values, self.lone_groups, columns[self.lone_members],
                                 self.pooled_groups, self.pooled_bounds, columns[self.pooled],
                                 self.empty_groups, self.n_groups, weights)
        if compiled is not None:
            return compiled
        if values.dtype.kind in "iu" and not values.any():  # often: a flow nobody has
            return np.zeros((*values.shape[:-1], self.n_groups), dtype=values.dtype)
        if weights is not None:
            values = values * weights
        if columns is not None:
            values = values[..., columns]
        if self.starts.size == self.n_groups and self.pooled.size == len(self.member_group):
            return np.add.reduceat(values, self.starts, axis=-1)
        parts = [values, np.zeros((*values.shape[:-1], 1), dtype=values.dtype)]
        if self.pooled_starts.size:
            pooled = np.add.reduceat(values[..., self.pooled], self.pooled_starts, axis=-1)
            parts.insert(1, pooled)
        return np.concatenate(parts, axis=-1)[..., self.gather]

    def spread(self, values: np.ndarray) -> np.ndarray:
        """Give each member its group's value: (..., n_groups) to (..., n_members)."""
        return values[..., self.member_group]


def muldiv(a: np.ndarray, b: np.ndarray, c: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """Return ``a * b // c`` exactly, as int64, given ``bound`` >= every ``|a|`` and ``|b|``.

    Python integers never overflow; int64 does, silently. While ``bound``
    is below ``sqrt(2**63)`` the product fits in int64 (the usual case;
    ``bound`` is a small array of group totals, cheap to scan). Above it,
    the product is taken on Python integers, as the model does, so the
    two implementations still agree; the quotient fits in int64 because
    the loader bounds every quantity (``sim.scenario.consistency``).

    Raises
    ------
    OverflowError
        If the quotient itself does not fit in int64.
    """
    if np.abs(bound).max(initial=0) <= _SAFE_FACTOR:
        return a * b // c
    exact = np.asarray(a, dtype=object) * np.asarray(b, dtype=object) // np.asarray(c, dtype=object)
    return np.asarray(exact).astype(np.int64)


def pro_rata(requests: np.ndarray, capacity: np.ndarray, groups: Groups,
             total: np.ndarray | None = None) -> np.ndarray:
    """Grant all requests of a group that fit, else ``floor(r * capacity / total)``.

    Parameters
    ----------
    requests : ndarray of shape (n_runs, n_members), int64
    capacity : ndarray of shape (n_runs, n_groups), int64
    groups : Groups
    total : ndarray of shape (n_runs, n_groups), int64, optional
        ``groups.sum(requests)``, if the caller has it already.

    Returns
    -------
    ndarray of shape (n_runs, n_members), int64
    """
    if total is None:
        total = groups.sum(requests)
    fits = total <= capacity  # (R, G)
    if np.all(fits):
        return requests  # arrays are never written in place, so sharing is safe
    if np.abs(total).max(initial=0) <= _SAFE_FACTOR:  # products fit: compiled where it runs
        compiled = share_out(requests, capacity, groups.member_group, total)
        if compiled is not None:
            return compiled
    # Only the members of a group that is short in some run are shared out (a few
    # countries, or the chips that bind): the division is taken on their columns.
    short = np.flatnonzero(~fits.all(axis=0)[groups.member_group])
    group = groups.member_group[short]
    # Where a group does not fit, capacity < total, so min(capacity, total) is capacity.
    room = np.minimum(capacity, total)[:, group]
    share = muldiv(requests[:, short], room, np.maximum(total[:, group], 1), bound=total)
    granted = requests.copy()
    granted[:, short] = np.where(fits[:, group], requests[:, short], share)
    return granted


def first_come(requests: np.ndarray, capacity: np.ndarray, queue: np.ndarray,
               groups: Groups) -> np.ndarray:
    """Serve each group's requests in queue order until its capacity runs out.

    With non-negative requests served in order, what is left before member
    ``i`` is ``max(0, capacity - sum of earlier requests in its group)``, so
    member ``i`` gets ``min(request, that)``: a cumulative sum along the
    queue, less its value where the group's segment starts, instead of a loop.

    Parameters
    ----------
    requests : ndarray of shape (n_runs, n_members), int64
    capacity : ndarray of shape (n_runs, n_groups), int64
    queue : ndarray of shape (n_runs, n_members), int64
        Serving order from :meth:`Groups.queue`.
    groups : Groups

    Returns
    -------
    ndarray of shape (n_runs, n_members), int64
    """
    queued = np.take_along_axis(requests, queue, axis=-1)
    before = np.cumsum(queued, axis=-1) - queued
    before -= before[:, groups.segment_start]
    left = np.maximum(groups.spread(capacity) - before, 0)
    granted = np.empty_like(requests)
    np.put_along_axis(granted, queue, np.minimum(queued, left), axis=-1)
    return granted


def allocate(requests: np.ndarray, capacity: np.ndarray, mode: str,
             queue: np.ndarray | None, groups: Groups,
             total: np.ndarray | None = None) -> np.ndarray:
    """Allocate by ``mode`` (``"pro_rata"``, or ``"first_come"`` along ``queue``).

    ``total``, if given, is ``groups.sum(requests)`` (pro rata uses it).
    """
    if mode == "first_come":
        assert queue is not None, "first-come allocation needs a queue"
        return first_come(requests, capacity, queue, groups)
    return pro_rata(requests, capacity, groups, total)
