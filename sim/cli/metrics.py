"""``sim metrics``: print every metric's kind, unit and meaning (one table).

The table is :data:`sim.metric_table.METRIC_TABLE`, the one description of
the metrics; ``--markdown`` prints it as docs/ODD.md section 9 holds it.
"""

from __future__ import annotations

import argparse

from sim.cli.arguments import EXIT_OK
from sim.metric_table import METRIC_TABLE, markdown

__all__ = ["add_arguments", "execute"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``metrics`` command's arguments to ``parser``."""
    parser.add_argument("--markdown", action="store_true",
                        help="print the table as Markdown (the table of docs/ODD.md section 9)")


def execute(args: argparse.Namespace) -> int:
    """Print the table of metrics."""
    if args.markdown:
        print(markdown(), end="")
        return EXIT_OK
    rows = [("metric", "kind", "unit", "per", "booked on", "meaning"),
            *((m.name, m.kind, m.unit, m.axes, m.country or "-", m.meaning)
              for m in METRIC_TABLE)]
    widths = [max(len(row[k]) for row in rows) for k in range(5)]
    for row in rows:
        print("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)),
                         row[-1]]))
    print("\nflow: booked over the month (sums over months); stock: level at the month's end. "
          "Arrays: Results.metric(name), shaped (runs, steps[, countries[, chips]]).")
    return EXIT_OK
