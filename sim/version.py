"""The package version, typed once: in ``pyproject.toml``, read from the installed metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["DISTRIBUTION", "__version__"]

DISTRIBUTION = "tiered-compute-sim"
"""The distribution name in ``pyproject.toml``."""

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # a source tree used without installing it
    __version__ = "0+unknown"
