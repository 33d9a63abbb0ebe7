"""The error a user's mistake in a calibration targets file raises."""

from __future__ import annotations

from sim.errors import UserError

__all__ = ["TargetsError"]


class TargetsError(UserError):
    """A targets file is malformed, mistyped, out of range or contradicts its scenarios.

    A mistake in a scenario file a target names stays a
    :class:`~sim.scenario.ScenarioError` naming that file.

    Parameters
    ----------
    file : str or path-like
        The targets file.
    key : str
        Dotted key, e.g. ``"parameters.1.high"``; empty for a whole-file problem.
    problem : str
        What was expected and what was found.

    """

    def __init__(self, file: object, key: str, problem: str) -> None:
        super().__init__(file, key, problem)
