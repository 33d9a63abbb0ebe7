"""Errors a user can cause when running experiments (not in a scenario file)."""

from __future__ import annotations

from sim.errors import UserError

__all__ = ["OutputError"]


class OutputError(UserError):
    """The output folder cannot be created or written, or is not this command's.

    Constructed as :class:`~sim.errors.UserError` is: ``(folder, key,
    problem)``; the message is one line naming the folder and what was
    expected.
    """
