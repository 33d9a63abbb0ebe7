"""The shared test base, and scenario texts that extend it from any folder.

Every test scenario extends ``tests/data/test_base.toml`` (directly, or through
one of ``tests/data/small/*.toml``) or a shipped scenario, and writes only the
keys it needs: a new schema key is added to the base once, and to no test.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["TEST_BASE", "extending"]

TEST_BASE = Path(__file__).resolve().parent / "data" / "test_base.toml"


def extending(parent: Path, body: str) -> str:
    """Return the scenario text ``body`` preceded by ``extends = "<parent>"``.

    The parent is named by its absolute path, so the text may be written to any
    folder (a test's ``tmp_path``).
    """
    return f"extends = {json.dumps(parent.resolve().as_posix())}\n{body}"
