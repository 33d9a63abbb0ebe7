"""What each metric means: kind (flow or stock), unit, axes and one line of meaning.

The one table of the metrics both implementations record. Their names and
storage order are :mod:`sim.world.metrics` (shared by the model and the
core); this module describes every one of those names once, and
``tests/test_metric_table.py`` holds the two to the same set, so a metric
added there without a line here fails. Three readers use the table: ``sim
metrics`` prints it, :meth:`sim.results.Results.to_xarray` attaches each
metric's unit and meaning, and the table of docs/ODD.md section 9 is its
:func:`markdown` (checked by a test; regenerate with ``sim metrics
--markdown``).

A *flow* is booked over one month (summing flows over months is meaningful);
a *stock* is a level at the end of the month (summing it over months is not).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.world.metrics import CHIP_METRICS, COUNTRY_METRICS, MARKET_METRICS, STEP_METRICS

__all__ = ["KINDS", "METRIC_TABLE", "MetricInfo", "markdown", "metric_info"]

KINDS = ("flow", "stock")
"""A flow is booked over the month; a stock is the level at the month's end."""


@dataclass(frozen=True)
class MetricInfo:
    """One metric's description.

    Attributes
    ----------
    name : str
        As in :mod:`sim.world.metrics` and ``Results.metric(name)``.
    kind : str
        One of :data:`KINDS`.
    unit : str
        ``TPP``, ``USD``, ``chips``, ``brokers``, ``x market price`` or ``x starting
        price``.
    axes : str
        ``country`` (runs, steps, countries), ``country, chip`` (runs, steps,
        countries, chips), ``step`` (runs, steps) or ``chip`` (runs, steps, chips).
    country : str
        Whose row the value is booked on (the buyer's country, the transit
        country, the destination ...); empty for a step metric.
    meaning : str
        One line.
    """

    name: str
    kind: str
    unit: str
    axes: str
    country: str
    meaning: str


def _flow(name: str, country: str, meaning: str, unit: str = "TPP") -> MetricInfo:
    return MetricInfo(name, "flow", unit, "country", country, meaning)


def _stock(name: str, country: str, meaning: str, unit: str = "TPP") -> MetricInfo:
    return MetricInfo(name, "stock", unit, "country", country, meaning)


METRIC_TABLE: tuple[MetricInfo, ...] = (
    _flow("demand_tpp", "buyer's country",
          "new demand this month (excludes backlog; 0 for brokers)"),
    _flow("shipped_tpp", "consignee's country (transit for brokers)",
          "TPP shipped by vendors, every chip, brokers' purchases included"),
    _flow("delivered_tpp", "destination",
          "as shipped, brokers excluded (`shipped = delivered + diversion_attempted`)"),
    _flow("lpp_tpp", "consignee's country", "shipped under the low-volume exception"),
    _flow("veu_tpp", "destination", "shipped under UVEU or NVEU"),
    _flow("licensed_tpp", "consignee's country",
          "shipped under a licence counted against the cap, or a case-by-case licence (not "
          "the always-granted licences of the licensed and payment regimes)"),
    _flow("diversion_requested_tpp", "destination",
          "refused demand offered to brokers this month (a request still waiting is offered "
          "again next month, so summed over months it can exceed demand)"),
    _flow("diversion_attempted_tpp", "transit", "brokers' purchases sent on"),
    _flow("diversion_seized_tpp", "transit", "caught shipments"),
    _flow("diverted_tpp", "transit", "shipments that got through"),
    _flow("diverted_received_tpp", "destination", "diverted chips arriving"),
    _flow("redirected_tpp", "host",
          "chips a subsidiary abroad of a Tier 3-headquartered firm sends on to its "
          "headquarters country (`redirected = redirect_seized + sum redirected_received`)"),
    _flow("redirect_seized_tpp", "host", "redirected chips caught"),
    _flow("redirected_received_tpp", "headquarters country", "redirected chips arriving"),
    _flow("substituted_tpp", "destination", "domestic chips received"),
    _flow("rented_tpp", "buyer's country", "demand met by remote compute (not installed)"),
    _flow("rented_out_tpp", "supplying country",
          "remote compute rented out from the installed base there (0 everywhere under "
          "`market.cloud_share = \"unlimited\"`, where renting needs no supplier; else "
          "`sum rented_out = sum rented`)"),
    _flow("unmet_tpp", "buyer's country",
          "demand dropped this month after every fallback (each TPP of demand counts once, "
          "in the month it is given up; diversion requests excluded)"),
    _flow("revenue_usd", "consignee's country", "vendor revenue at the market price",
          unit="USD"),
    _flow("us_payment_usd", "consignee's country",
          "paid to the US government for licences against a payment (payment and volume "
          "regimes)", unit="USD"),
    _flow("entered_brokers", "transit",
          "front companies that entered, or listed networks that re-formed under a new name, "
          "at the start of the month", unit="brokers"),
    _flow("listed_brokers", "transit", "brokers caught and listed this month", unit="brokers"),
    _stock("quota_used_tpp", "country", "cap used in the current cap period"),
    _stock("quota_remaining_tpp", "country",
           "`cap_tpp - quota_used_tpp` in a capped month, else 0"),
    _stock("stock_tpp", "destination", "installed compute after depreciation"),
    _stock("backlog_tpp", "buyer's country",
           "requests its buyers still wait to have served (`demand + backlog before = "
           "delivered + substituted + rented + diversion_requested + backlog + unmet`)"),
    _stock("active_brokers", "transit",
           "brokers that have entered and are not listed, at the month's end (`active_brokers = "
           "active_brokers before + entered_brokers - listed_brokers`)", unit="brokers"),
    MetricInfo("shipped_chips", "flow", "chips", "country, chip",
               "consignee's country (transit for brokers)",
               "chips shipped by vendors, by chip (`sum_k shipped_chips x tk = shipped_tpp`)"),
    MetricInfo("ordered_chips", "flow", "chips", "country, chip",
               "consignee's country (transit for brokers)",
               "chips ordered from the vendor with the licences they need, at the month's market "
               "price, by chip (what the vendor saw; `shipped_chips <= ordered_chips`)"),
    MetricInfo("grey_premium", "stock", "x market price", "step", "",
               "grey-market premium over the frontier chip's market price, after this month's "
               "update"),
    MetricInfo("rental_price_index", "stock", "x starting price", "step", "",
               "price index of rented remote compute in force this month (moved at the start of "
               "the month by last month's rent requests over the compute offered for rent, as a "
               "chip's price by its orders over output; 1 under `market.cloud_share = "
               "\"unlimited\"`, where renting has no price)"),
    MetricInfo("market_price_usd", "stock", "USD", "chip", "",
               "each chip's market price in force this month (list price x price index; moved "
               "at the start of the month by last month's orders over output)"),
)
"""Every metric of :mod:`sim.world.metrics`, country metrics first, in storage order."""

_BY_NAME = {info.name: info for info in METRIC_TABLE}
_KNOWN = (*COUNTRY_METRICS, *CHIP_METRICS, *STEP_METRICS, *MARKET_METRICS)


def metric_info(name: str) -> MetricInfo:
    """Return one metric's description.

    Raises
    ------
    KeyError
        For an unknown name, listing the known ones.
    """
    if name not in _BY_NAME:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(_KNOWN)}")
    return _BY_NAME[name]


def markdown() -> str:
    """Return the table as Markdown (docs/ODD.md section 9 holds exactly this)."""
    lines = ["| metric | kind | unit | per | booked on | meaning |",
             "|---|---|---|---|---|---|"]
    lines += [f"| `{m.name}` | {m.kind} | {m.unit} | {m.axes} | {m.country or '-'} | "
              f"{m.meaning} |" for m in METRIC_TABLE]
    return "\n".join(lines) + "\n"
