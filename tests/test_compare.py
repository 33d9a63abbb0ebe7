"""``sim compare``: summary.csv, the terminal table, figures, and the outcome arithmetic."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.experiment.differences import (
    DIFFERENCE_COLUMNS,
    bootstrap_mean_interval,
    paired_differences,
)
from sim.experiment.export import csv_name
from sim.experiment.numbers import compact
from sim.experiment.outcomes import (
    OUTCOMES,
    _in_force,
    outcomes_per_run,
    tier2_cap_utilisation,
    tier2_caps_tpp,
)
from sim.reference import H100E_TPP

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    names = ("no_controls", "ai_diffusion_2025", "strict_enforcement")
    files = [SCENARIOS / f"{n}.toml" for n in names]
    status = main(["compare", *map(str, files), "--runs", "3", "--out", str(out),
                   "--baseline", "no_controls"])
    assert status == 0
    return out


@pytest.fixture(scope="module")
def paired(shipped_scenarios):
    """Two scenarios' runs on the same seeds, from the vectorised core."""
    seeds = np.arange(5, 11)
    return {name: sim.run_batch(shipped_scenarios[name], seeds=seeds)
            for name in ("no_controls", "oct2023", "ai_diffusion_2025")}


def test_summary_has_every_outcome_with_interval(compared):
    summary = pd.read_csv(compared / "summary.csv")
    assert list(summary["scenario"]) == ["no_controls", "ai_diffusion_2025", "strict_enforcement"]
    for outcome in OUTCOMES:
        for stat in ("mean", "p05", "p95"):
            assert f"{csv_name(outcome)}_{stat}" in summary.columns
    finite = summary.dropna(subset=["tier3_legal_h100e_mean"])
    assert (finite["tier3_legal_h100e_p05"] <= finite["tier3_legal_h100e_mean"]).all()
    assert (finite["tier3_legal_h100e_mean"] <= finite["tier3_legal_h100e_p95"]).all()
    by_name = summary.set_index("scenario")
    assert by_name.loc["no_controls", "tier3_legal_h100e_mean"] > by_name.loc[
        "ai_diffusion_2025", "tier3_legal_h100e_mean"]
    assert np.isnan(by_name.loc["no_controls", "tier2_cap_utilisation_share_mean"])
    assert 0 < by_name.loc["ai_diffusion_2025", "tier2_cap_utilisation_share_mean"] <= 1


def test_results_and_figures_are_written(compared):
    for name in ("no_controls", "ai_diffusion_2025", "strict_enforcement"):
        assert sim.load_results(compared / f"scenario={name}" / "results.parquet").n_runs == 3
    for figure in ("outcomes_over_time.png", "cap_utilisation.png", "diversion_by_transit.png"):
        data = (compared / figure).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, figure


def test_outcome_arithmetic(shipped_scenarios):
    results = sim.ExportControlModel(shipped_scenarios["ai_diffusion_2025"], seed=2).run().results()
    runs = outcomes_per_run(results)
    tiers = np.asarray(results.tiers)
    diverted = results.metric("diverted_received_tpp")[0][:, tiers == 3].sum() / H100E_TPP
    assert runs.loc[0, "tier3_diverted_h100e"] == pytest.approx(diverted)
    utilisation = tier2_cap_utilisation(results)
    index = results.countries.index("IND")
    column = int((tiers[:index] == 2).sum())
    used = results.metric("quota_used_tpp")[0, :, index].max()
    assert utilisation[0, column] == pytest.approx(used / 790_000_000)
    are = int((tiers[: results.countries.index("ARE")] == 2).sum())
    are_used = results.metric("quota_used_tpp")[0, :, results.countries.index("ARE")].max()
    assert utilisation[0, are] == pytest.approx(are_used / 1_580_000_000)  # G2G doubles it


def test_duplicate_scenario_names_are_exit_2(tmp_path, capsys):
    file = str(SCENARIOS / "oct2023.toml")
    assert main(["compare", file, file, "--runs", "1", "--out", str(tmp_path / "o")]) == 2
    assert "twice" in capsys.readouterr().err


def _tier3_diverted(results):
    tiers = np.asarray(results.tiers)
    return results.metric("diverted_received_tpp")[:, :, tiers == 3].sum(axis=(1, 2)) / H100E_TPP


def _received(results, tier):
    mask = np.asarray(results.tiers) == tier
    return sum(results.metric(m)[:, :, mask].sum(axis=(1, 2))
               for m in ("delivered_tpp", "diverted_received_tpp", "substituted_tpp")) / H100E_TPP


def test_paired_difference_is_the_difference_of_runs_on_the_same_seeds(paired):
    differences = paired_differences(paired, "no_controls").set_index(["scenario", "outcome"])
    base, other = paired["no_controls"], paired["ai_diffusion_2025"]
    china = base.countries.index("CHN")
    by_hand = {  # from the metrics, not through outcomes_per_run
        "tier3_diverted_h100e": _tier3_diverted(other) - _tier3_diverted(base),
        "tier1_received_h100e": _received(other, 1) - _received(base, 1),
        "diverted_to_chn_h100e": (other.metric("diverted_received_tpp")[:, :, china].sum(axis=1)
                                  - base.metric("diverted_received_tpp")[:, :, china].sum(axis=1))
        / H100E_TPP,
        "vendor_revenue_bn_usd": (other.metric("revenue_usd").sum(axis=(1, 2))
                                  - base.metric("revenue_usd").sum(axis=(1, 2))) / 1e9,
    }
    for outcome, difference in by_hand.items():
        row = differences.loc[("ai_diffusion_2025", outcome)]
        assert np.ptp(difference) > 0 or outcome == "vendor_revenue_bn_usd", outcome
        assert row["runs"] == len(difference)
        assert row["difference_mean"] == pytest.approx(difference.mean(), rel=1e-12, abs=1e-9)
        assert row["difference_p05"] == pytest.approx(np.percentile(difference, 5), abs=1e-6)
        assert row["difference_p95"] == pytest.approx(np.percentile(difference, 95), abs=1e-6)
    # unpaired (seeds shuffled) the mean agrees but the spread of the differences does not
    assert differences.loc[("ai_diffusion_2025", "tier1_received_h100e"), "difference_p95"] \
        != pytest.approx(np.percentile(_received(other, 1)[::-1] - _received(base, 1), 95))


def test_baseline_difference_is_exactly_zero_and_intervals_hold_the_mean(paired):
    differences = paired_differences(paired, "oct2023")
    assert list(differences.columns) == list(DIFFERENCE_COLUMNS)
    assert len(differences) == len(paired) * len(OUTCOMES)
    own = differences[differences["scenario"] == "oct2023"].dropna()
    assert len(own) == len(OUTCOMES) - 1  # the cap use of a scenario without caps is NaN
    assert (own[list(DIFFERENCE_COLUMNS[4:])].to_numpy() == 0.0).all()
    finite = differences.dropna()
    assert (finite["difference_mean_ci_low"] <= finite["difference_mean"]).all()
    assert (finite["difference_mean"] <= finite["difference_mean_ci_high"]).all()
    assert (finite["difference_p05"] <= finite["difference_p95"]).all()
    others = finite[finite["scenario"] != "oct2023"]
    assert (others["difference_mean_ci_high"] > others["difference_mean_ci_low"]).any()


def test_undefined_outcome_difference_is_nan_not_zero(paired):
    differences = paired_differences(paired, "no_controls").set_index(["scenario", "outcome"])
    row = differences.loc[("ai_diffusion_2025", "tier2_cap_utilisation")]
    assert row["runs"] == 0 and np.isnan(row["difference_mean"])


def test_bootstrap_interval_is_reproducible_and_narrows_with_more_runs():
    rng = np.random.default_rng(3)
    few, many = rng.normal(10, 2, 20), rng.normal(10, 2, 2000)
    assert bootstrap_mean_interval(few) == bootstrap_mean_interval(few)
    low_few, high_few = bootstrap_mean_interval(few)
    low_many, high_many = bootstrap_mean_interval(many)
    assert high_many - low_many < (high_few - low_few) / 3
    assert low_many < many.mean() < high_many
    assert bootstrap_mean_interval(np.full(7, 2.5)) == (2.5, 2.5)


def test_new_outcomes_add_up(paired):
    runs = outcomes_per_run(paired["ai_diffusion_2025"])
    named = runs[["diverted_to_chn_h100e", "diverted_to_rus_h100e",
                  "diverted_to_irn_h100e"]].sum(axis=1)
    assert (named <= runs["tier3_diverted_h100e"] + 1e-6).all()
    assert (named > 0).all()
    parts = runs[["tier3_legal_h100e", "tier3_diverted_h100e", "tier3_substituted_h100e"]]
    assert np.allclose(parts.sum(axis=1), runs["tier3_received_h100e"])
    for tier in (1, 2, 3):
        assert (runs[f"tier{tier}_stock_end_h100e"] <= runs[f"tier{tier}_received_h100e"]
                + 1e-6).all()  # depreciation only takes away; everything starts at zero
    assert (runs["vendor_revenue_bn_usd"] > 0).all()


def test_differences_are_written_printed_and_drawn(compared):
    differences = pd.read_csv(compared / "differences.csv")
    assert set(differences["baseline"]) == {"no_controls"}
    assert list(dict.fromkeys(differences["scenario"])) == [
        "no_controls", "ai_diffusion_2025", "strict_enforcement"]
    summary = pd.read_csv(compared / "summary.csv").set_index("scenario")
    row = differences.set_index(["scenario", "outcome"]).loc[
        ("strict_enforcement", "tier3_legal_h100e")]
    assert row["difference_mean"] == pytest.approx(
        summary.loc["strict_enforcement", "tier3_legal_h100e_mean"]
        - summary.loc["no_controls", "tier3_legal_h100e_mean"])
    data = (compared / "differences.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_differences_table_is_printed_after_the_summary(tmp_path, capsys):
    files = [str(SCENARIOS / f"{n}.toml") for n in ("no_controls", "oct2022")]
    assert main(["compare", *files, "--runs", "2", "--out", str(tmp_path / "o"),
                 "--baseline", "no_controls"]) == 0
    printed = capsys.readouterr().out
    summary_at, table_at = printed.index("tier3_legal_h100e"), printed.index("difference from")
    assert summary_at < table_at
    table = printed[table_at:].splitlines()
    assert "oct2022" in table[1] and "no_controls" not in table[1]
    assert any(line.startswith("tier3_legal_h100e") and "-" in line for line in table)


def test_no_baseline_no_differences(tmp_path):
    out = tmp_path / "o"
    assert main(["compare", str(SCENARIOS / "oct2022.toml"), "--runs", "1",
                 "--out", str(out)]) == 0
    assert (out / "summary.csv").exists() and (out / "outcomes_over_time.png").exists()
    assert not (out / "differences.csv").exists() and not (out / "differences.png").exists()


def test_unknown_baseline_is_one_line_exit_2_before_any_run(tmp_path, capsys):
    files = [str(SCENARIOS / f"{n}.toml") for n in ("no_controls", "oct2022")]
    out = tmp_path / "o"
    assert main(["compare", *files, "--runs", "2", "--out", str(out),
                 "--baseline", "no-controls"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "--baseline" in lines[0] and "'no-controls'" in lines[0]
    assert "no_controls" in lines[0] and "oct2022" in lines[0]
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(("value", "text"), [
    (1_234_567, "1.2M"), (120_000, "120k"), (950, "950"), (0.42, "0.42"), (0, "0"),
    (-3_500, "-3.5k"), (float("nan"), "n/a"),
])
def test_compact_numbers(value, text):
    assert compact(value) == text
    assert compact(abs(value), signed=True) in (f"+{text.lstrip('-')}", "0", "n/a")


@pytest.mark.parametrize("style", ["separators", "compact"])
@pytest.mark.parametrize("ticks", [[100_000, 120_000, 140_000], [0, 250_000, 500_000,
                                                                  750_000, 1_000_000, 1_250_000],
                                   [1_234_560, 1_234_561, 1_234_562], [0.0, 0.5, 1.0, 1.5]])
def test_tick_labels_are_distinct_and_plain(style, ticks):
    from sim.plots.style import ReadableFormatter

    formatter = ReadableFormatter(style)
    formatter.set_locs(ticks)
    labels = [formatter(v) for v in ticks]
    assert len(set(labels)) == len(labels), labels
    assert not any("e" in label.lower() for label in labels), labels


def test_printed_tables_are_split_into_blocks_that_fit_the_width():
    from sim.cli.compare import fit_width

    table = pd.DataFrame({f"scenario_{k}": ["1.23M [1.1M, 1.4M]", "n/a"] for k in range(7)},
                         index=["tier3_legal_h100e", "tier2_cap_utilisation"])
    text = fit_width(table, 80)
    assert max(len(line) for line in text.splitlines()) <= 80
    headers = [block.splitlines()[0].split() for block in text.split("\n\n")]
    assert [name for header in headers for name in header] == list(table.columns)
    assert len(headers) > 1
    wide = pd.DataFrame({"a" * 120: ["x"]}, index=["row"])
    assert "a" * 120 in fit_width(wide, 80)  # a column wider than the width still shows


def test_caps_by_month_follow_the_timeline_as_each_month_reads_it():
    """Sharing one in-force copy between timeline dates changes no month's caps."""
    results = sim.run_batch(sim.load_scenario("scenarios/history_framework_kept.toml"), [0])
    caps = tier2_caps_tpp(results)
    codes = np.asarray(results.countries)[np.asarray(results.tiers) == 2]
    for t, date in enumerate(results.dates):
        rules = _in_force(results.scenario, date)["rules"]
        countries = _in_force(results.scenario, date)["countries"]
        binding = rules["tiered_caps"] and rules["tiers_from"] <= date < (rules["tiers_until"]
                                                                          or "9999-12")
        expected = [np.floor(rules["cap_tpp"] * (rules["g2g_multiplier"] if countries[c]["g2g"]
                                                 else 1.0)) if binding else np.nan
                    for c in codes]
        np.testing.assert_array_equal(caps[t], expected, err_msg=date)
    assert np.isfinite(caps).any() and np.isnan(caps).any()  # the framework comes and goes
