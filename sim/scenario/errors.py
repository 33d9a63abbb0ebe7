"""The one error type a user's scenario mistake raises."""

from __future__ import annotations

from sim.errors import UserError

__all__ = ["ScenarioError"]


class ScenarioError(UserError, TypeError):
    """A scenario file or override is malformed, mistyped or out of range.

    A :class:`~sim.errors.UserError` (so a ``ValueError``) and a ``TypeError``
    (as scikit-learn's ``InvalidParameterError``), so callers may catch
    either. The message is one line naming the file, the key path, what was
    expected and what was found.

    Parameters
    ----------
    file : str
        The scenario file the mistake is in (or ``"<override>"``).
    key : str
        Dotted key path, e.g. ``"enforcement.detection"``; empty for a
        whole-file problem such as malformed TOML.
    problem : str
        What was expected and what was found.

    """
