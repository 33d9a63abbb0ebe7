"""The SolaraViz page of one run: Mesa's controls and sliders, and four components.

Mesa's ``SolaraViz`` draws the sidebar (Reset, play/pause and Step, the play
interval, the sliders of :func:`~sim.view.viewed.model_params`) and redraws
every component after each step. The components here read the live model
only through ``model.results()`` (:mod:`sim.view.tables`) and its agents:

- the month: date, grey premium, brokers buying, free and listed, and the
  scenario values in force (the sliders' keys; a slider takes effect on Reset,
  as in every SolaraViz page);
- the grey premium over time (Mesa's ``make_plot_component``, from the data
  collector's ``grey_premium``);
- the country table: shipments, quota used and remaining, diversion
  attempted and seized by transit country;
- the brokers by transit country (buying this month, listed), and each one
  listed so far with the month it was caught.

The elements carry ``id`` and ``data-*`` attributes (exact values) so a
browser test can read what a user sees.
"""

from __future__ import annotations

from html import escape
from os import PathLike

import solara
from mesa.visualization import SolaraViz, make_plot_component

from sim.reference import H100E_TPP
from sim.scenario import load_scenario
from sim.view.tables import country_rows, country_table_html
from sim.view.viewed import ViewedModel, model_params

__all__ = ["BrokerList", "CountryTable", "MonthSummary", "ViewPage", "start"]

_STYLE = """<style>
.sim-view table { border-collapse: collapse; font-size: 13px; width: 100%; }
.sim-view th, .sim-view td { padding: 2px 6px; text-align: right; border-bottom: 1px solid #ddd; }
.sim-view th { font-weight: 600; vertical-align: bottom; }
.sim-view td.country, .sim-view td.text { text-align: left; }
.sim-view .bar { background: #4c72b0; height: 3px; margin-top: 1px; }
.sim-view .muted { color: #666; }
</style>"""


def _html(body: str, element_id: str) -> solara.Element:
    """Return an HTML block with the page's style, scrollable inside its grid cell."""
    return solara.HTML(tag="div", unsafe_innerHTML=f'{_STYLE}<div class="sim-view" '
                       f'id="{element_id}">{body}</div>',
                       style={"overflow": "auto", "height": "100%"})


def MonthSummary(model: ViewedModel) -> solara.Element:
    """Show the month, the grey premium, the brokers, and the slider keys in force."""
    months, done, config = model.world.n_steps, model.steps, model.config
    brokers = model.brokers
    listed = sum(b.listed for b in brokers)
    if done:
        premium = float(model.results().metric("grey_premium")[0, model.step_index])
        buying = sum(b.shipped > 0 for b in brokers)
        month = (f'<b>Month <span id="sim-step" data-value="{done}">{done}</span> of {months}'
                 f': <span id="sim-date">{model.world.dates[model.step_index]}</span></b>')
    else:
        premium, buying = config.diversion.initial_premium, 0
        month = (f'<b>Before the first month (<span id="sim-step" data-value="0">0</span> of '
                 f'{months})</b>: press Step or play')
    rows = [
        ("grey premium (multiple of list price)",
         f'<span id="sim-premium" data-value="{premium!r}">{premium:.3f}</span>'),
        ("brokers buying this month / free / listed",
         f'<span id="sim-brokers" data-buying="{buying}" data-free="{len(brokers) - listed}" '
         f'data-listed="{listed}">{buying} / {len(brokers) - listed} / {listed}</span>'),
        ("enforcement.detection", f"{config.enforcement.detection:g}"),
        ("rules.cap_tpp", f"{config.rules.cap_tpp:,} TPP ({config.rules.cap_tpp / H100E_TPP:,.0f}"
                          " H100e)"),
        ("rules.lpp_tpp_per_year", f"{config.rules.lpp_tpp_per_year:,} TPP"),
    ]
    table = "".join(f'<tr><td class="text">{escape(k)}</td><td>{v}</td></tr>' for k, v in rows)
    return _html(f"<p>{escape(config.name)}, seed {model.seed}. {month}</p>"
                 f"<table>{table}</table><p class=\"muted\">Move a slider, then Reset: the run "
                 "starts again with the new value.</p>", "sim-month")


def CountryTable(model: ViewedModel) -> solara.Element:
    """Show per country at the month's end, H100e: shipments, quota, diversion by transit."""
    if model.steps == 0:
        return _html('<p class="muted">No month run yet.</p>', "sim-countries")
    tiers = [country.tier for country in model.countries]
    rows = country_rows(model.results(), model.step_index, tiers)
    return _html("<p>By country, H100e (diversion by transit country)</p>"
                 + country_table_html(rows), "sim-countries")


def BrokerList(model: ViewedModel) -> solara.Element:
    """Show brokers by transit country (buying this month, listed), and each one listed."""
    by_country: dict[str, list[int]] = {}
    for broker in model.brokers:
        counts = by_country.setdefault(broker.country.code, [0, 0, 0])
        counts[0] += 1
        counts[1] += int(model.steps > 0 and broker.shipped > 0)
        counts[2] += int(broker.listed)
    rows = "".join(f'<tr data-country="{code}"><td class="country">{code}</td><td>{n}</td>'
                   f"<td>{buying}</td><td>{listed}</td></tr>"
                   for code, (n, buying, listed) in sorted(by_country.items()))
    caught = "".join(f'<tr><td class="text">{escape(b.label)}</td><td class="text">{b.country}'
                     f'</td><td class="text">{b.month}</td></tr>' for b in model.listed_brokers)
    listed = (f"<table><tr><th>broker listed</th><th>transit country</th><th>in</th></tr>"
              f"{caught}</table>" if caught else '<p class="muted">No broker listed yet.</p>')
    now = sum(counts[2] for counts in by_country.values())
    return _html(f'<p>Brokers: <span id="sim-listed" data-value="{now}">{now}</span> of '
                 f"{len(model.brokers)} listed now, {len(model.listed_brokers)} listings so far</p>"
                 "<table><tr><th>transit country</th><th>brokers</th><th>buying this month</th>"
                 f"<th>listed</th></tr>{rows}</table>{listed}", "sim-broker-list")


def start(scenario_file: str | PathLike[str], seed: int) -> tuple[ViewedModel, dict]:
    """Return the first model of a page and its SolaraViz ``model_params``.

    Raises
    ------
    ScenarioError
        For a scenario file that does not load.
    """
    scenario = load_scenario(scenario_file)
    params = model_params(scenario_file, seed, scenario)
    model = ViewedModel(scenario_file, seed=seed, detection=params["detection"].value,
                        cap_tpp=params["cap_tpp"].value,
                        lpp_tpp_per_year=params["lpp_tpp_per_year"].value)
    return model, params


@solara.component
def ViewPage(scenario_file: str, seed: int) -> solara.Element:
    """Draw the SolaraViz page of a scenario file's run with ``seed``: one model per session."""
    model, params = solara.use_memo(lambda: start(scenario_file, seed), [scenario_file, seed])
    components = [MonthSummary, make_plot_component("grey_premium"), CountryTable, BrokerList]
    return SolaraViz(model, components=components, model_params=params,
                     name=f"sim view: {model.config.name}, seed {seed}", play_interval=300)
