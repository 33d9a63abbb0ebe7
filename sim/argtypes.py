"""Argument types for the command line: integers in a range, one-line errors."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["integer_in"]


def integer_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """Return an argparse ``type`` accepting integers in ``[low, high]``.

    The error names the range and the text found, e.g. "expected a positive
    integer, found '0'".
    """
    if high is not None:
        expected = f"an integer in [{low}, {high}]"
    else:
        expected = "a positive integer" if low == 1 else f"an integer >= {low}"

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}") from None
        if number < low or (high is not None and number > high):
            raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}")
        return number

    return parse
