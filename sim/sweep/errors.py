"""The error a user's sweep mistake raises: a sweep file, its output, its workers."""

from __future__ import annotations

from sim.errors import UserError

__all__ = ["SweepError"]


class SweepError(UserError):
    """A sweep file, its output folder or its execution went wrong.

    The message is one line naming the file (or folder), the key and what was
    expected, in the form of every :class:`~sim.errors.UserError`.

    Parameters
    ----------
    file : str or path-like
        The sweep file or output folder the problem is in.
    key : str
        Dotted key, e.g. ``"design.points"``; empty for a whole-file problem.
    problem : str
        What was expected and what was found.

    """
