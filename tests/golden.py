"""The golden known-answer file: every metric of one small scenario, three seeds.

``tests/data/golden/scenario.toml`` switches on brokers, annual Tier 2 caps
(first come, one G2G country), the low-volume exception, a UVEU hyperscaler
and an NVEU champion, the compliant chip, substitution, renting and backlog.
``tests/test_golden.py`` holds both implementations to the metrics stored in
``tests/data/golden/metrics.json``, so a change of behaviour that touches the
Mesa model and the core alike still fails a test.

After a deliberate change of behaviour, regenerate the file (from the
repository root) and commit it with the reason::

    python -m tests.golden --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import sim

HERE = Path(__file__).resolve().parent / "data" / "golden"
SCENARIO = HERE / "scenario.toml"
METRICS = HERE / "metrics.json"
SEEDS = (0, 1, 2)


def as_document(results: sim.Results) -> dict:
    """Return the results as plain JSON data: axes, then every metric as nested lists."""
    return {
        "scenario": results.scenario_name,
        "seeds": [int(s) for s in results.seeds],
        "dates": list(results.dates),
        "countries": list(results.countries),
        "metrics": {name: results.metrics[name].tolist() for name in sorted(results.metrics)},
    }


def compute() -> dict:
    """Run the golden scenario with the vectorised core on :data:`SEEDS`."""
    return as_document(sim.run_batch(SCENARIO, SEEDS))


def stored() -> dict:
    """Read the committed known answers."""
    return json.loads(METRICS.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="overwrite tests/data/golden/metrics.json with new answers")
    args = parser.parse_args(argv)
    document = compute()
    if not args.write:
        same = document == stored()
        print("golden metrics unchanged" if same else "golden metrics DIFFER (use --write)")
        return 0 if same else 1
    METRICS.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    total = sum(np.asarray(v).size for v in document["metrics"].values())
    print(f"wrote {METRICS} ({total} numbers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
