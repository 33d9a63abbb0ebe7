"""The phases of one month, in order: the one list both implementations run.

``ExportControlModel.step`` calls the model method of each name in
:data:`PHASES`; the core's ``step`` calls the array function of the same
name. After the last phase both record the month's metrics.

:data:`DECIDES` says which quantities each phase sets, in the model's
vocabulary (firm attributes; ``path_X`` is ``Firm.paths["X"]``; country
quantities are named below). A quantity of the month is cleared at
``start_month`` and meaningful from the phase that decides it;
:data:`CARRIED` quantities persist from month to month. This is what the
per-phase agreement test (``tests/test_phase_agreement.py``) compares.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["CARRIED", "DECIDES", "PHASES", "decided_by"]

PHASES = (
    "start_month",
    "renew_brokers",
    "set_prices",
    "demand",
    "place_grey_market_orders",
    "order",
    "license",
    "settle_uveu",
    "allocate_caps",
    "ship",
    "want_substitute",
    "allocate_domestic",
    "rent",
    "respond",
    "divert",
    "redirect",
    "deliver",
)
"""Phase names in the order they run (DESIGN.md section 2)."""

_PATHS = ("path_free", "path_uveu", "path_nveu", "path_lpp", "path_cap")

DECIDES = MappingProxyType({
    "start_month": ("quota_used_tpp", "lpp_used_tpp"),
    "renew_brokers": ("dormant", "listed", "listed_at", "entered"),
    "set_prices": ("price_index", "rental_index"),
    "demand": ("demand_tpp", "request_tpp"),
    "place_grey_market_orders": ("request_tpp",),
    "order": ("want",),
    "license": (*_PATHS, "uveu_request", "cap_request"),
    "settle_uveu": ("path_uveu",),
    "allocate_caps": ("path_cap",),
    "ship": ("ordered", "shipped", *_PATHS, "lpp_used_tpp", "nveu_used_tpp", "uveu_installed_tpp",
             "quota_used_tpp", "us_shipped_chips", "vendor_orders_chips"),
    "want_substitute": ("substitute_want",),
    "allocate_domestic": ("substituted_chips",),
    "rent": ("rented_tpp", "rent_requested_tpp", "rent_offered_tpp"),
    "respond": ("divert_request_tpp", "unmet_tpp", "backlog_tpp", "residual_tpp"),
    "divert": ("caught", "listed", "listed_at", "diverted_received_tpp", "diverted_chips"),
    "redirect": (),
    "deliver": ("stock_tpp", "vigilance", "premium", "diversion_demand_tpp"),
})
"""Quantities each phase sets. Firm quantities are shaped (firms,) per run,
country quantities (countries,): ``quota_used_tpp``, ``stock_tpp``, ``vigilance``,
``diverted_received_tpp`` and ``diversion_demand_tpp`` (requested by
destination last month); ``premium`` and ``diverted_chips`` are one number
per run, ``us_shipped_chips`` one per chip (shipments to the United States,
which set next month's case-by-case limits), ``price_index`` and
``vendor_orders_chips`` one per chip (the market price over list, and the
approved orders that move next month's price); ``rental_index``,
``rent_requested_tpp`` and ``rent_offered_tpp`` one per run (rented compute's
price index, and the month's rent requests and compute offered for rent that
move next month's)."""

CARRIED = ("base_h100e", "backlog_tpp", "lpp_used_tpp", "nveu_used_tpp", "uveu_installed_tpp",
           "listed", "dormant", "listed_at", "quota_used_tpp", "stock_tpp", "vigilance",
           "diversion_demand_tpp", "premium", "us_shipped_chips", "price_index",
           "vendor_orders_chips", "rental_index", "rent_requested_tpp", "rent_offered_tpp")
"""Quantities that persist from one month to the next."""


def decided_by(phase: str) -> tuple[str, ...]:
    """Return every quantity meaningful after ``phase``: carried, or decided this month so far.

    Raises
    ------
    KeyError
        For a name that is not a phase.
    """
    if phase not in DECIDES:
        raise KeyError(f"unknown phase {phase!r}; phases: {', '.join(PHASES)}")
    done = PHASES[: PHASES.index(phase) + 1]
    names = dict.fromkeys(CARRIED)
    for name in done:
        names.update(dict.fromkeys(DECIDES[name]))
    return tuple(names)
