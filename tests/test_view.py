"""`sim view` without a browser: the viewed model, its sliders, the page's numbers, the command.

tests/test_view_browser.py drives the real page in headless Chromium.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.model import ExportControlModel
from sim.reference import H100E_TPP
from sim.scenario import load_scenario
from sim.view.tables import COLUMNS, country_rows, country_table_html, h100e
from sim.view.viewed import ViewedModel, model_params
from sim.world.metrics import COUNTRY_METRICS, STEP_METRICS

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "data" / "golden" / "scenario.toml"
DIFFUSION = REPO / "scenarios" / "ai_diffusion_2025.toml"


def _slider_values(path: Path, seed: int) -> dict[str, object]:
    """The keyword arguments SolaraViz builds the first model with (sliders at their value)."""
    params = model_params(path, seed, load_scenario(path))
    return {k: getattr(v, "value", v) for k, v in params.items()}


def _stepped(model, months: int):
    for _ in range(months):
        model.step()
    return model


@pytest.mark.parametrize(("path", "seed"), [(GOLDEN, 0), (GOLDEN, 4), (DIFFUSION, 3)])
def test_the_first_model_of_a_page_is_the_file_run(path, seed):
    viewed = _stepped(ViewedModel(**_slider_values(path, seed)), 5).results()
    plain = _stepped(ExportControlModel(load_scenario(path), seed=seed), 5).results()
    assert viewed.digest == plain.digest
    for name in (*COUNTRY_METRICS, *STEP_METRICS, "shipped_chips"):
        np.testing.assert_array_equal(viewed.metric(name), plain.metric(name), err_msg=name)


def test_sliders_start_at_the_file_values_and_set_their_keys():
    scenario = load_scenario(GOLDEN)
    params = model_params(GOLDEN, 0, scenario)
    assert params["detection"].value == scenario.enforcement.detection
    assert params["cap_tpp"].value == scenario.rules.cap_tpp
    assert params["lpp_tpp_per_year"].value == scenario.rules.lpp_tpp_per_year
    for slider in ("detection", "cap_tpp", "lpp_tpp_per_year"):
        assert params[slider].min <= params[slider].value <= params[slider].max
    model = ViewedModel(GOLDEN, seed=0, detection=0.3, cap_tpp=2_000_000_000)
    expected = load_scenario(GOLDEN, {"enforcement.detection": 0.3,
                                      "rules.cap_tpp": 2_000_000_000})
    assert model.config.digest() == expected.digest() != scenario.digest()
    assert model.config.enforcement.detection == 0.3


def test_a_slider_changes_the_run():
    """A higher detection catches more: the rebuilt model's numbers differ from the file's."""
    plain = _stepped(ViewedModel(GOLDEN, seed=0), 6).results()
    strict = _stepped(ViewedModel(GOLDEN, seed=0, detection=1.0), 6).results()
    assert strict.digest != plain.digest
    assert (strict.metric("diversion_seized_tpp").sum()
            > plain.metric("diversion_seized_tpp").sum())


def test_listed_brokers_are_the_caught_ones_with_their_month():
    model = ViewedModel(GOLDEN, seed=0)
    catches: list[tuple[str, str]] = []
    for _ in range(12):
        model.step()
        catches += [(broker.label, model.world.dates[model.step_index])
                    for broker in model.brokers if broker.caught]
    assert catches, "seed 0 of the golden scenario lists brokers in its first year"
    assert [(b.label, b.month) for b in model.listed_brokers] == catches
    # The golden scenario's networks re-form: one is caught, returns and is caught again.
    labels = [label for label, _ in catches]
    assert len(set(labels)) < len(labels)


def test_country_rows_are_the_results_at_the_month():
    model = _stepped(ViewedModel(GOLDEN, seed=0), 3)
    results = model.results()
    rows = country_rows(results, 2, [c.tier for c in model.countries])
    assert [r.country for r in rows] == list(results.countries)
    for c, row in enumerate(rows):
        assert row.shipped_month == results.metric("shipped_tpp")[0, 2, c]
        assert row.shipped_total == sum(results.metric("shipped_tpp")[0, t, c] for t in range(3))
        assert row.quota_used == results.metric("quota_used_tpp")[0, 2, c]
        assert row.quota_remaining == results.metric("quota_remaining_tpp")[0, 2, c]
        assert row.attempted_total == results.metric("diversion_attempted_tpp")[0, :3, c].sum()
        assert row.seized_total == results.metric("diversion_seized_tpp")[0, :3, c].sum()
    assert any(r.quota_used for r in rows) and any(r.seized_total for r in rows)


def test_country_table_carries_exact_values_and_escapes_codes():
    model = _stepped(ViewedModel(GOLDEN, seed=0), 2)
    rows = country_rows(model.results(), 1, [c.tier for c in model.countries])
    html = country_table_html(rows)
    for row in rows:
        for column in COLUMNS:
            tpp = getattr(row, column)
            assert f'data-column="{column}" data-tpp="{tpp}">{h100e(tpp)}' in html
    evil = country_table_html([rows[0].__class__("<b>", 1, 0, 0, 0, 0, 0, 0)])
    assert "<b>" not in evil and "&lt;b&gt;" in evil


def test_h100e_writes_whole_h100_equivalents():
    assert h100e(0) == "0"
    assert h100e(int(12_345.4 * H100E_TPP)) == "12,345"


# --- the command ---------------------------------------------------------------------------


def test_bad_scenario_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "nowhere.toml"\n')
    assert main(["view", str(bad), "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(bad) in err, err


def test_missing_extra_is_one_line_naming_the_install(tmp_path):
    probe = ("import sys; sys.modules['solara'] = None\n"
             "from sim.cli import main\n"
             f"raise SystemExit(main(['view', {str(GOLDEN)!r}]))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=REPO, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "pip install -e '.[view]'" in done.stderr and "solara" in done.stderr


def test_a_port_in_use_is_one_line_exit_2(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["view", str(GOLDEN), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"found {port}" in err, err


def test_view_help_names_the_extra(capsys):
    with pytest.raises(SystemExit):
        main(["view", "--help"])
    out = capsys.readouterr().out
    assert "--seed" in out and "--port" in out and "(default: 8765)" in out
