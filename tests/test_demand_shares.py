"""Demand shares (sim/reference/demand_shares.csv) against their method, docs/sources.md §18."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from sim.errors import UserError
from sim.reference import importers
from sim.reference.demand import (
    BASES,
    DEMAND_COLUMNS,
    SUM_TOLERANCE,
    demand_shares,
    derive_shares,
    parse_demand_shares,
)

# Epoch AI's data insight of 5 June 2025 (docs/sources.md §18): as of May 2025 the US
# holds about three quarters of GPU-cluster performance, China 15%.
EPOCH_USA, EPOCH_CHN = 0.75, 0.15


def _csv(rows) -> str:
    """The table's text for a dict of rows, as the file holds it."""
    lines = [",".join(DEMAND_COLUMNS)]
    for r in rows.values():
        flops = "" if r.cluster_flops is None else repr(r.cluster_flops)
        lines.append(f'{r.iso3},{r.share!r},{r.year},{r.basis},{flops},{r.gdp_usd!r},'
                     f'{r.gdp_year},"{r.source}"')
    return "\n".join(lines)


def test_every_importer_has_one_row():
    assert set(demand_shares()) == importers()


def test_shares_sum_to_one():
    assert abs(math.fsum(r.share for r in demand_shares().values()) - 1) <= 1e-9


def test_every_row_has_a_source_a_year_and_a_basis():
    for row in demand_shares().values():
        assert row.source.strip()
        assert row.year == 2025
        assert 2011 <= row.gdp_year <= 2025   # the latest World Bank year: Eritrea's is 2011
        assert row.basis in BASES
        assert 0 < row.share < 1


def test_us_and_china_are_epochs_published_shares():
    rows = demand_shares()
    assert rows["USA"].share == EPOCH_USA and rows["CHN"].share == EPOCH_CHN
    assert {c for c, r in rows.items() if r.basis == "epoch_headline"} == {"USA", "CHN"}
    assert "epoch.ai/data-insights/ai-supercomputers-performance-share-by-country" in (
        rows["USA"].source)


def test_every_share_follows_the_documented_method():
    rows = demand_shares()
    derived = derive_shares(rows)
    assert max(abs(derived[c] - rows[c].share) for c in rows) <= 1e-12


def test_proxy_rows_are_exactly_the_countries_outside_epochs_dataset():
    rows = demand_shares()
    for row in rows.values():
        assert (row.cluster_flops is None) == (row.basis == "proxy_gdp")
        source = row.source
        assert ("gpu_clusters" in source) == (row.basis != "proxy_gdp")
        assert ("World Bank" in source or "not in World Bank data" in source)


def test_cluster_rows_keep_the_datasets_order():
    covered = [r for r in demand_shares().values() if r.basis == "epoch_clusters"]
    by_flops = sorted(covered, key=lambda r: r.cluster_flops)
    assert [r.share for r in by_flops] == sorted(r.share for r in covered)


def test_a_proxy_country_gets_the_covered_countries_intensity():
    rows = demand_shares()
    covered = [r for r in rows.values() if r.basis == "epoch_clusters"]
    intensity = math.fsum(r.share for r in covered) / math.fsum(r.gdp_usd for r in covered)
    for row in rows.values():
        if row.basis == "proxy_gdp":
            assert row.share == pytest.approx(row.gdp_usd * intensity, rel=1e-12)


def test_headline_leaves_ten_percent_to_the_rest():
    rows = demand_shares()
    rest = math.fsum(r.share for r in rows.values() if r.basis != "epoch_headline")
    assert rest == pytest.approx(1 - EPOCH_USA - EPOCH_CHN, abs=SUM_TOLERANCE)


def test_the_loader_round_trips_the_table():
    rows = demand_shares()
    assert parse_demand_shares(_csv(rows)) == rows


@pytest.mark.parametrize(("change", "expected"), [
    ({"share": 0.76}, "shares must sum to 1"),
    ({"basis": "guess"}, "basis must be one of epoch_headline"),
    ({"source": ""}, "USA: source must not be empty"),
    ({"cluster_flops": None}, "cluster_flops must be given for epoch_headline"),
    ({"gdp_usd": 0.0}, "must be positive"),
    ({"year": 1900}, "year must be a year 1990-2100"),
])
def test_a_bad_row_is_one_line_naming_it(change, expected):
    rows = dict(demand_shares())
    rows["USA"] = replace(rows["USA"], **change)
    with pytest.raises(UserError) as caught:
        parse_demand_shares(_csv(rows))
    message = str(caught.value)
    assert "\n" not in message and message.startswith("sim/reference/demand_shares.csv: ")
    assert expected in message


def test_a_missing_or_unknown_country_is_named():
    rows = dict(demand_shares())
    del rows["MAC"]
    with pytest.raises(UserError, match=r"no row for 1 importers, e\.g\. MAC"):
        parse_demand_shares(_csv(rows))
    rows = dict(demand_shares())
    rows["PRI"] = replace(rows["MAC"], iso3="PRI")
    with pytest.raises(UserError, match="PRI is not an importer"):
        parse_demand_shares(_csv(rows))


def test_wrong_header_is_rejected():
    with pytest.raises(UserError, match="header: columns must be iso3,share"):
        parse_demand_shares("iso3,share\nUSA,1")
