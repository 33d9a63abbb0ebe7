"""``by_region.png``: what each region received, lacked, held and lost to seizures in one run set.

Drawn by ``sim run`` from its region summary
(:func:`sim.experiment.summary.summarise_by_region`), so 190 countries read
as a dozen rows: one row per region, three panels sharing them. Every value is
the mean over runs, in H100-equivalents.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.errors import shown
from sim.experiment.numbers import compact
from sim.plots.style import figure_title, readable_axis, save_figure
from sim.reference import REGIONS

__all__ = ["RECEIVED", "plot_by_region", "region_label"]

RECEIVED = (("shipped_h100e", "shipped (licensed or free)", "#1f77b4"),
            ("diverted_in_h100e", "diverted in", "#ff7f0e"),
            ("substituted_h100e", "domestic substitute", "#2ca02c"))
"""The stacked parts of the first panel: column of the region summary, label, colour."""
_UNMET = ("unmet_h100e", "unmet demand", "0.75")


def region_label(region: str, countries: int) -> str:
    """Return a region's row label: its display name and its modelled countries."""
    noun = "country" if countries == 1 else "countries"
    return f"{REGIONS.get(region, region)} ({countries} {noun})"


def plot_by_region(by_region: pd.DataFrame, path: Path, title: str) -> Path:
    """Draw ``by_region.png``: received and unmet, stock at the end, seized in transit.

    The first panel stacks what each region received (shipped, diverted in,
    domestic substitute) and the demand left unmet; its label gives the
    received total, and the unmet demand where it is at least 1% of that.

    Parameters
    ----------
    by_region : DataFrame
        :func:`~sim.experiment.summary.summarise_by_region`: indexed by
        region, with ``countries`` and the ``*_h100e`` columns.
    path : Path
        The PNG to write.
    title : str
        What the runs are, e.g. ``"history: mean of 4 runs, 2021-01 to 2027-12"``;
        the figure's title begins with it.

    Returns
    -------
    Path
        ``path``.
    """
    labels = [region_label(r, int(n)) for r, n in by_region["countries"].items()]
    y = np.arange(len(labels))
    fig, axes = plt.subplots(1, 3, figsize=(13, 0.42 * len(labels) + 2.2), sharey=True,
                             gridspec_kw={"width_ratios": (2.2, 1, 1)})
    left = np.zeros(len(labels))
    for column, _label, colour in (*RECEIVED, _UNMET):
        values = by_region[column].to_numpy(dtype=float)
        axes[0].barh(y, values, left=left, height=0.7, color=colour,
                     hatch="//" if column == _UNMET[0] else None, edgecolor="white",
                     linewidth=0.4)
        left += values
    received = sum(by_region[column].to_numpy(dtype=float) for column, _, _ in RECEIVED)
    unmet = by_region[_UNMET[0]].to_numpy(dtype=float)
    _annotate(axes[0], y, left, [compact(r) + (f" + {compact(u)} unmet" if u >= 0.01 * r
                                                else "") for r, u in zip(received, unmet,
                                                                         strict=True)])
    _annotate(axes[1], y, _bars(axes[1], y, by_region["stock_end_h100e"], "#9467bd"))
    _annotate(axes[2], y, _bars(axes[2], y, by_region["seized_in_transit_h100e"], "#d62728"))
    titles = ("Received over the window, and demand left unmet", "Installed stock, last month",
              "Seized in transit through the region")
    for axis, text in zip(axes, titles, strict=True):
        axis.set_title(text, fontsize=9)
        axis.grid(axis="x", alpha=0.3)
        readable_axis(axis.xaxis, "compact")
        axis.xaxis.set_major_locator(MaxNLocator(4))
        axis.tick_params(labelsize=8)
        axis.set_xlabel("H100e, mean of runs", fontsize=8)
        widest = max(axis.get_xlim()[1], 1.0)
        axis.set_xlim(0, 1.25 * widest)  # room for the value labels
    axes[0].set_yticks(y, labels, fontsize=8)
    axes[0].invert_yaxis()
    handles = [Patch(facecolor=colour, hatch="//" if column == _UNMET[0] else None,
                     edgecolor="white", label=label)
               for column, label, colour in (*RECEIVED, _UNMET)]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False,
               fontsize=8)
    top = figure_title(fig, f"{shown(title)}, by region (in brackets, the countries modelled "
                            "in each): totals over the window, the stock in its last month")
    fig.tight_layout(rect=(0, 0.05, 1, top))
    return save_figure(fig, path)


def _bars(axis: plt.Axes, y: np.ndarray, values: pd.Series, colour: str) -> np.ndarray:
    widths = values.to_numpy(dtype=float)
    axis.barh(y, widths, height=0.7, color=colour)
    return widths


def _annotate(axis: plt.Axes, y: np.ndarray, ends: np.ndarray,
              texts: list[str] | None = None) -> None:
    """Write each bar's value (or ``texts``) just past its end."""
    texts = texts if texts is not None else [compact(end) for end in ends]
    for row, end, text in zip(y, ends, texts, strict=True):
        axis.annotate(text, (end, row), xytext=(2, 0), textcoords="offset points",
                      va="center", fontsize=7)
