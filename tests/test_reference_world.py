"""Every importing country in its groups on every day: sim.reference's world-wide tables.

Checks ``country_groups.csv`` against docs/sources.md §6 and §18: UN members
plus Taiwan, Hong Kong and Macau each have a tier under every vintage, the
dated changes (Nicaragua into D:1/D:5 on 15 March 2024, Cambodia out of D:5 on
3 February 2026) apply on their days, and a malformed row is one line naming it.
"""

from __future__ import annotations

import datetime

import pytest

from sim.errors import UserError
from sim.reference import (
    REFERENCE_DAY,
    VINTAGES,
    country_groups,
    embargoed,
    framework_tiers,
    importers,
    rule_scope,
    standing,
)
from sim.reference.countries import GROUP_COLUMNS, as_day, group_rows, parse_group_rows

HEADER = ",".join(GROUP_COLUMNS)

# The 26 countries base.toml simulates today, with the tier base.toml's comments give them.
BASE_TIERS = {
    **dict.fromkeys(["USA", "JPN", "KOR", "TWN", "NLD", "DEU", "GBR", "FRA", "IRL"], 1),
    **dict.fromkeys(["ARE", "SAU", "IND", "SGP", "MYS", "ISR", "BRA", "VNM", "THA", "IDN",
                     "MEX", "TUR"], 2),
    **dict.fromkeys(["CHN", "HKG", "MAC", "RUS", "IRN"], 3),
}
DAYS = ["2021-01-01", "2023-11-17", REFERENCE_DAY, "2025-05-15", "2026-06-01"]


def test_importers_are_the_un_members_and_three_territories():
    un = country_groups()["un_member"]
    assert len(un) == 193
    assert {"TWN", "HKG", "MAC"}.isdisjoint(un)
    assert importers() == un | {"TWN", "HKG", "MAC"}
    assert len(importers()) == 196
    # Observers and dependencies are not UN members.
    assert {"VAT", "PSE", "PRI", "GRL", "ATA"}.isdisjoint(importers())


@pytest.mark.parametrize("day", DAYS)
def test_every_importer_has_a_tier_on_every_day(day):
    tiers = framework_tiers(day)
    assert set(tiers) == importers()
    assert set(tiers.values()) == {1, 2, 3}
    for vintage in VINTAGES:
        found = standing(vintage, day)
        assert set(found) == importers()
        assert set(found.values()) <= {"embargoed", "licence", "open"}


@pytest.mark.parametrize("day", DAYS)
def test_tier2_has_at_least_120_countries(day):
    tiers = list(framework_tiers(day).values())
    assert tiers.count(1) == 19
    assert tiers.count(2) >= 120
    assert tiers.count(1) + tiers.count(2) + tiers.count(3) == 196


def test_tiers_of_the_framework_are_its_published_lists():
    groups, tiers = country_groups(), framework_tiers()
    assert {c for c, t in tiers.items() if t == 1} == groups["tier1_2025"]
    assert {c for c, t in tiers.items() if t == 3} == groups["tier3_2025"]
    # Tier 2 names from docs/sources.md §6 (HSEclub) and EU members outside Tier 1.
    assert {c for c, t in tiers.items() if t == 2} >= {
        "SGP", "MEX", "IND", "MYS", "ISR", "ARE", "SAU", "TUR", "POL", "PRT", "AUT", "CZE",
        "GRC", "CHE"}


def test_the_26_base_countries_keep_their_tiers():
    tiers = framework_tiers()
    assert {code: tiers[code] for code in BASE_TIERS} == BASE_TIERS


def test_nicaragua_joins_d1_and_d5_on_15_march_2024():
    before, after = country_groups("2024-03-14"), country_groups("2024-03-15")
    assert "NIC" not in before["D:5"] and "NIC" in after["D:5"]
    assert "NIC" not in before["D:1"] and "NIC" in after["D:1"]
    assert framework_tiers("2024-03-14")["NIC"] == 2
    assert framework_tiers("2024-03-15")["NIC"] == 3
    assert "NIC" not in rule_scope("oct2023", "2023-11-17")
    assert "NIC" in rule_scope("oct2023", "2024-03-15")
    assert standing("oct2023", "2024-03")["NIC"] == "open"    # a month is its first day
    assert standing("oct2023", "2024-04")["NIC"] == "licence"


def test_cambodia_in_d5_from_december_2021_to_february_2026():
    assert "KHM" not in country_groups("2021-12-08")["D:5"]
    assert "KHM" in country_groups("2021-12-09")["D:5"]
    assert "KHM" in country_groups("2026-02-02")["D:5"]
    assert "KHM" not in country_groups("2026-02-03")["D:5"]
    assert framework_tiers("2026-02-03")["KHM"] == 2
    # Still in D:1, so still under the 2023 rule after leaving D:5.
    assert "KHM" in rule_scope("oct2023", "2026-03-01")


def test_macau_joins_the_2022_scope_in_january_2023():
    assert rule_scope("oct2022", "2022-11-01") == {"CHN", "HKG"}
    assert rule_scope("oct2022", "2023-01-18") == {"CHN", "HKG", "MAC"}


def test_embargoes_are_e1_and_e2():
    assert embargoed() == {"CUB", "IRN", "PRK", "SYR"}
    assert embargoed() <= country_groups()["D:5"]
    assert all(standing("none")[code] == "embargoed" for code in embargoed())
    assert sum(v == "open" for v in standing("none").values()) == 192


def test_default_day_is_the_framework_snapshot():
    assert country_groups() == country_groups(REFERENCE_DAY)
    assert country_groups() == country_groups(datetime.date(2025, 1, 13))
    assert as_day("2025-01") == "2025-01-01"


def test_every_dated_row_has_a_source_naming_its_rule():
    dated = [row for row in group_rows() if row.added or row.removed]
    assert {(row.group, row.iso3) for row in dated} == {
        ("D:1", "NIC"), ("D:5", "NIC"), ("D:5", "KHM"), ("oct2022_scope", "MAC"),
        ("tier3_2025", "NIC"), ("tier3_2025", "KHM")}  # Tier 3 is D:5 plus Macau
    assert all("FR" in row.source for row in dated)


@pytest.mark.parametrize("day", ["2025-13-01", "2025/01/01", "", "2025-02-30"])
def test_a_bad_day_is_rejected(day):
    with pytest.raises(ValueError, match="YYYY-MM"):
        country_groups(day)


@pytest.mark.parametrize(("body", "expected"), [
    ("D:5,XKX,,,src", "line 2: D:5: bad code 'XKX'"),
    ("D:5,NIC,2024-3-15,,src", "line 2: added must be a date YYYY-MM-DD"),
    ("D:5,NIC,2024-02-30,,src", "line 2: added must be a date"),
    ("D:5,NIC,2024-03-15,2024-03-01,src", "removed 2024-03-01 must be after added"),
    ("D:5,NIC,,,", "line 2: D:5 NIC: source must not be empty"),
    ("D:5,NIC,,src", "line 2: 5 fields expected"),
    (",NIC,,,src", "line 2: group must not be empty"),
    ("D:5,NIC,,,src\nD:5,NIC,2020-01-01,,src", "line 3: D:5 lists NIC twice"),
])
def test_a_bad_row_is_one_line_naming_it(body, expected):
    with pytest.raises(UserError) as caught:
        parse_group_rows(HEADER + "\n" + body)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("sim/reference/country_groups.csv: ")
    assert expected in message


def test_a_country_may_leave_and_rejoin():
    rows = parse_group_rows(HEADER + "\nD:5,NIC,,2020-01-01,src\nD:5,NIC,2024-03-15,,src")
    assert [row.member_on("2019-12-31") for row in rows] == [True, False]
    assert [row.member_on("2024-03-15") for row in rows] == [False, True]


def test_wrong_header_is_rejected():
    with pytest.raises(UserError, match="header: columns must be group,iso3,added"):
        parse_group_rows("group,iso3,source\nD:5,NIC,src")
