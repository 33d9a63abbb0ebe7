"""benchmarks/report.py: the measured section of docs/performance.md is generated, not typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import benchmark_module

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "benchmark" / "results.json"  # a --quick run's JSON


report = benchmark_module("report")


def _page(body: str = "old numbers\n") -> str:
    return f"# Title\n\nprose before\n\n{report.BEGIN}\n{body}{report.END}\n\nprose after\n"


def test_render_states_every_scenario_and_the_once_only_figures():
    data = json.loads(FIXTURE.read_text())
    text = report.render(data)
    for scenario in data["scenarios"]:
        assert f"`{scenario['scenario']}`" in text
        assert f"**{scenario['speedup_per_run']:.0f}x**" in text
        assert f"**{scenario['streaming']['core_fraction']:.2f}**" in text
        for target in scenario["targets"].values():
            assert target["target"] in text
    assert f"{data['help']['seconds']:.3f} s" in text
    assert f"**{data['streamed_run']['peak_rss_mb']:,.0f} MB**" in text
    assert text.count("| target | measured | met? |") == len(data["scenarios"]) + 1


def test_main_rewrites_only_the_marked_section_and_then_checks_clean(tmp_path, capsys):
    doc = tmp_path / "performance.md"
    doc.write_text(_page())
    assert report.main([str(FIXTURE), "--doc", str(doc), "--check"]) == 1
    assert report.main([str(FIXTURE), "--doc", str(doc)]) == 0
    page = doc.read_text()
    assert "old numbers" not in page
    assert page.startswith("# Title\n\nprose before\n\n") and page.endswith("prose after\n")
    assert report.render(json.loads(FIXTURE.read_text())) in page
    assert report.main([str(FIXTURE), "--doc", str(doc), "--check"]) == 0
    report.main([str(FIXTURE), "--doc", str(doc)])
    assert doc.read_text() == page  # idempotent
    capsys.readouterr()


@pytest.mark.parametrize("page", ["no markers\n", f"{report.END}\nx\n{report.BEGIN}\n"])
def test_a_page_without_the_markers_in_order_is_refused(page):
    with pytest.raises(ValueError, match="markers"):
        report.replace_section(page, "x\n")


def test_the_shipped_page_is_what_the_shipped_json_gives():
    assert report.main([str(ROOT / "benchmarks" / "results.json"), "--doc",
                        str(ROOT / "docs" / "performance.md"), "--check"]) == 0
