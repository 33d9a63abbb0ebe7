"""A progress line on stderr: points done, elapsed time and time left.

On a terminal the line is redrawn in place; in a log file (a cluster job) a
new line is written at most every ``log_every`` seconds, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    """Return ``h:mm:ss`` or ``m:ss``."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Points done out of a total, with an estimate of the time left.

    Parameters
    ----------
    label : str
        Shown at the start of the line.
    total : int
        Points in the whole sweep.
    done : int
        Points already finished before this run (they do not count towards
        the rate).
    stream : text stream, optional
        Default ``sys.stderr``.
    log_every : float
        Seconds between lines when ``stream`` is not a terminal.
    """

    width = 24

    def __init__(self, label: str, total: int, done: int = 0, stream: TextIO | None = None,
                 log_every: float = 10.0) -> None:
        self.label = label
        self.total = total
        self.done = done
        self.failed = 0
        self._start_done = done
        self._stream = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._log_every = log_every
        self._started = time.monotonic()
        self._last_line = -float("inf")

    def advance(self, points: int, failed: bool = False) -> None:
        """Count ``points`` more as finished (or failed) and redraw."""
        if failed:
            self.failed += points
        else:
            self.done += points
        self._draw(final=False)

    def line(self) -> str:
        """Return the progress line as text."""
        elapsed = time.monotonic() - self._started
        fraction = self.done / self.total if self.total else 1.0
        filled = round(self.width * fraction)
        bar = "#" * filled + "." * (self.width - filled)
        rate_points = self.done - self._start_done
        remaining = self.total - self.done - self.failed
        if rate_points and remaining:
            left = f", ~{format_duration(elapsed / rate_points * remaining)} left"
        else:
            left = ""
        failed = f", {self.failed} failed" if self.failed else ""
        return (f"{self.label} [{bar}] {self.done}/{self.total} points{failed}, "
                f"{format_duration(elapsed)} elapsed{left}")

    def close(self) -> None:
        """Draw the final line and end it."""
        self._draw(final=True)

    def _draw(self, final: bool) -> None:
        now = time.monotonic()
        if self._tty:
            self._stream.write("\r" + self.line() + ("\n" if final else ""))
        elif final or now - self._last_line >= self._log_every:
            self._stream.write(self.line() + "\n")
            self._last_line = now
        self._stream.flush()
