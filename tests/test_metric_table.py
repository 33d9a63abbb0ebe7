"""The one table of metrics: it describes exactly the recorded metrics, and the docs are it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.metric_table import KINDS, METRIC_TABLE, markdown, metric_info
from sim.world.metrics import (
    CHIP_METRICS,
    COUNTRY_METRICS,
    COUNTRY_STATE,
    FLOWS,
    MARKET_METRICS,
    STEP_METRICS,
)

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"


def test_table_describes_exactly_the_recorded_metrics_in_storage_order():
    assert [m.name for m in METRIC_TABLE] == [*COUNTRY_METRICS, *CHIP_METRICS, *STEP_METRICS,
                                              *MARKET_METRICS]


@pytest.mark.parametrize("info", METRIC_TABLE, ids=lambda m: m.name)
def test_kind_unit_and_axes_follow_the_name(info):
    assert info.kind in KINDS and info.meaning and "\n" not in info.meaning
    if info.name in FLOWS or info.name in CHIP_METRICS:
        assert info.kind == "flow"
    if info.name in COUNTRY_STATE:
        assert info.kind == "stock"
    suffix = info.name.rsplit("_", 1)[-1]
    if suffix in ("tpp", "usd", "chips"):
        assert info.unit == {"tpp": "TPP", "usd": "USD", "chips": "chips"}[suffix]
    assert info.axes == ("step" if info.name in STEP_METRICS else
                         "chip" if info.name in MARKET_METRICS else
                         "country, chip" if info.name in CHIP_METRICS else "country")


def test_odd_section_9_holds_the_generated_table():
    assert markdown() in ODD.read_text(encoding="utf-8"), (
        "docs/ODD.md section 9 differs from sim/metric_table.py: paste `python -m sim metrics "
        "--markdown` over its table")


def test_sim_metrics_prints_every_metric_once(capsys):
    assert main(["metrics"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for info in METRIC_TABLE:
        [line] = [x for x in lines if x.split(" ", 1)[0] == info.name]
        assert info.kind in line.split() and info.meaning in line


def test_sim_metrics_markdown_is_the_docs_table(capsys):
    assert main(["metrics", "--markdown"]) == 0
    assert capsys.readouterr().out == markdown()


def test_unknown_metric_names_the_known_ones():
    with pytest.raises(KeyError, match="unmet_tpp"):
        metric_info("unmet")
