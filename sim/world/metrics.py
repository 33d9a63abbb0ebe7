"""The metric names both implementations record, in the order they are stored.

A month's *flows* are booked per country as the phases run (the Mesa model's
``CountryMonth``; the core's ``sim.core.books``); the *country state* is
carried from month to month; the *step metrics* have one value per run and
month; the *market metrics* one per run, month and chip.
"""

from __future__ import annotations

__all__ = ["CHIP_METRICS", "COUNTRY_METRICS", "COUNTRY_STATE", "FLOWS", "MARKET_METRICS",
           "STEP_METRICS"]

FLOWS = (
    "demand_tpp", "shipped_tpp", "delivered_tpp", "lpp_tpp", "veu_tpp", "licensed_tpp",
    "diversion_requested_tpp", "diversion_attempted_tpp", "diversion_seized_tpp",
    "diverted_tpp", "diverted_received_tpp", "redirected_tpp", "redirect_seized_tpp",
    "redirected_received_tpp", "substituted_tpp", "rented_tpp", "rented_out_tpp", "unmet_tpp",
    "revenue_usd", "us_payment_usd", "entered_brokers", "listed_brokers",
)
"""One country's flows in a month (TPP, except revenue and payments in USD and
the broker counts; ``us_payment_usd`` is what licences against a payment cost
the vendors; ``entered_brokers`` counts front companies that entered or
re-formed there, ``listed_brokers`` brokers caught there; ``rented_out_tpp``
is remote compute rented out of the country's installed base;
``redirected_tpp`` and ``redirect_seized_tpp`` are by a subsidiary's host
country, ``redirected_received_tpp`` by its headquarters country). Diversion
attempted/seized/diverted are by transit country; ``diverted_received_tpp``
and ``diversion_requested_tpp`` by destination."""

COUNTRY_STATE = ("quota_used_tpp", "quota_remaining_tpp", "stock_tpp", "backlog_tpp",
                 "active_brokers")
"""Per-country state recorded at the end of each month. ``unmet_tpp`` (a flow)
is the demand dropped that month; what still waits is ``backlog_tpp``;
``active_brokers`` counts the brokers there that have entered and are not listed."""

COUNTRY_METRICS = (*FLOWS, *COUNTRY_STATE)
"""Per-country metrics: int64 arrays shaped (n_runs, n_steps, n_countries)."""

CHIP_METRICS = ("shipped_chips", "ordered_chips")
"""Per-country, per-chip metrics: int64 arrays shaped (n_runs, n_steps, n_countries,
n_chips): chips shipped to each destination (buyers and brokers there), and chips
ordered from the vendor there (approved orders, at the month's market price), by chip."""

STEP_METRICS = ("grey_premium", "rental_price_index")
"""Per-step metrics: float64 arrays shaped (n_runs, n_steps): the grey premium after
the month's update, and the price index of rented remote compute in force during
the month (1 under ``market.cloud_share = "unlimited"``)."""

MARKET_METRICS = ("market_price_usd",)
"""Per-chip metrics of the whole market: float64 arrays shaped (n_runs, n_steps,
n_chips): the market price of each chip in force during the month."""
