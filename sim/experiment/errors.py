"""Errors a user can cause when running experiments (not in a scenario file)."""

from __future__ import annotations

from sim.atomic import OutputError

__all__ = ["OutputError"]
# OutputError is defined beside the atomic writer (a utility below this layer) so that every
# write, including Results.save, raises the same class for a full disk or a read-only folder.
