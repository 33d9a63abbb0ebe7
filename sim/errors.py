"""The one base class of every mistake a user can make and fix.

A :class:`UserError` names the file (or command-line option) the mistake is
in, the key within it and what was expected, on one line. The command line
prints it without a traceback and exits with status 2. Anything else that
goes wrong is a programming error and stays loud (a traceback, exit 1).

It is a ``ValueError``, as scikit-learn's ``InvalidParameterError`` is, so
callers of the Python API may catch either.
"""

from __future__ import annotations

__all__ = ["UserError", "shown"]


def shown(text: str) -> str:
    r"""Return ``text`` as it may reach a terminal: every unprintable character escaped.

    Line breaks, tabs, ANSI escapes, NUL, BEL, bidirectional overrides and
    every other character Python does not call printable become their escape
    (``\n``, ``\x1b``, ``\u202e``), so a name or a path a user wrote can
    neither break "one line" nor recolour the terminal. Printable text,
    non-ASCII letters included, is unchanged; escaping twice changes nothing
    more. The one place that escapes: every user error's message and every
    line the command line prints from user input pass through it.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class UserError(ValueError):
    """A user's mistake: a file, a key in it, and what was expected.

    Parameters
    ----------
    file : str or path-like
        The file, folder or command-line option the problem is in.
    key : str
        Dotted key path within it, e.g. ``"enforcement.detection"``; empty for
        a problem with the whole file.
    problem : str
        What was expected and what was found.
    """

    def __init__(self, file: object, key: str, problem: str) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        where = f"{self.file}: {key}: " if key else f"{self.file}: "
        # One line, no terminal control, whatever a quoted key or a file name holds.
        super().__init__(shown(where + problem))
