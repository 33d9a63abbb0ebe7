"""Errors a user can cause when running experiments (not in a scenario file)."""

from __future__ import annotations

from sim.atomic import OutputError
from sim.errors import UserError

__all__ = ["ExecutorError", "OutputError"]


class ExecutorError(UserError):
    """An executor cannot be set up as asked, or its workers died (a rerun may succeed)."""


# OutputError is defined beside the atomic writer (a utility below this layer) so that every
# write, including Results.save, raises the same class for a full disk or a read-only folder.
