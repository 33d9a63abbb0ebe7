"""Errors a user can cause when running experiments (not in a scenario file)."""

from __future__ import annotations

__all__ = ["OutputError"]


class OutputError(ValueError):
    """The output folder cannot be created or written.

    The message is one line naming the folder and what was expected.
    """
