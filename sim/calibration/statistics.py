"""What each calibration target measures: pure functions of a model run.

A statistic turns :class:`~sim.results.Results` into one number per run,
summed (or, for the premium, averaged) over a window of months and a group of
destination countries, in the unit the published figure uses: chips or
H100-equivalents, a share, or a multiple of list price. Each function takes
the results, the countries (ISO3 codes) and the window (first and last month,
``"YYYY-MM"``, both included) and returns an array of shape (n_runs,).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.reference import H100E_TPP, load_chips
from sim.results import Results

__all__ = [
    "STATISTICS",
    "Statistic",
    "diverted_h100e",
    "diverted_share_of_additions",
    "domestic_chips",
    "grey_premium_mean",
    "months_in",
    "nvidia_revenue_bn",
    "nvidia_revenue_share",
    "redirected_h100e",
    "rented_h100e",
    "revenue_share",
    "seized_h100e",
    "smuggled_h100e",
    "smuggled_share_of_additions",
]

Window = tuple[str, str]

VENDOR = "NVIDIA"
"""The vendor whose reported revenue the revenue statistics stand for (docs/sources.md §13)."""


def months_in(results: Results, window: Window) -> np.ndarray:
    """Return a boolean mask of shape (n_steps,): the steps inside ``window``.

    Raises
    ------
    ValueError
        If no step of the run falls inside the window.
    """
    first, last = window
    mask = np.array([first <= date <= last for date in results.dates])
    if not mask.any():
        raise ValueError(f"window {first}..{last} is outside the run "
                         f"({results.dates[0]}..{results.dates[-1]})")
    return mask


def _country_mask(results: Results, countries: Sequence[str]) -> np.ndarray:
    missing = [c for c in countries if c not in results.countries]
    if missing:
        raise ValueError(f"country {missing[0]!r} is not modelled in {results.scenario_name}")
    return np.isin(np.asarray(results.countries), list(countries))


def _total(results: Results, metric: str, countries: Sequence[str], window: Window) -> np.ndarray:
    """Sum of a country metric over the window and the countries, shape (n_runs,), float64."""
    values = results.metric(metric)[:, months_in(results, window)]
    return values[:, :, _country_mask(results, countries)].sum(axis=(1, 2)).astype(np.float64)


def diverted_h100e(results: Results, countries: Sequence[str], window: Window) -> np.ndarray:
    """Return the diverted compute that reached ``countries``, in H100e (frontier chips).

    Returns
    -------
    ndarray of shape (n_runs,), float64
        ``diverted_received_tpp`` summed over the window and countries, / 15,832.
    """
    return _total(results, "diverted_received_tpp", countries, window) / H100E_TPP


def redirected_h100e(results: Results, countries: Sequence[str], window: Window) -> np.ndarray:
    """Return the chips subsidiaries abroad redirected into ``countries``, in H100e.

    CNAS's "smuggling pathway 2" (cloud providers that order chips for data
    centres abroad and redirect some home, docs/sources.md §10).

    Returns
    -------
    ndarray of shape (n_runs,), float64
        ``redirected_received_tpp`` over the window and countries, / 15,832.
    """
    return _total(results, "redirected_received_tpp", countries, window) / H100E_TPP


def smuggled_h100e(results: Results, countries: Sequence[str], window: Window) -> np.ndarray:
    """Return every smuggled chip that reached ``countries``, in H100e.

    Returns
    -------
    ndarray of shape (n_runs,), float64
        Brokers' diverted chips received plus subsidiaries' redirected chips
        received: CNAS's count includes both pathways.
    """
    return diverted_h100e(results, countries, window) + redirected_h100e(results, countries, window)


def seized_h100e(results: Results, countries: Sequence[str], window: Window) -> np.ndarray:
    """Return the diverted and redirected chips caught on their way, in H100e.

    A catch is booked where it was made (the broker's or the subsidiary's
    country), not where the chips were bound, so the sum is over every
    country and ``countries`` is not used.

    Returns
    -------
    ndarray of shape (n_runs,), float64
    """
    every = tuple(results.countries)
    caught = (_total(results, "diversion_seized_tpp", every, window)
              + _total(results, "redirect_seized_tpp", every, window))
    return caught / H100E_TPP


def rented_h100e(results: Results, countries: Sequence[str], window: Window) -> np.ndarray:
    """Return the demand of ``countries`` met by renting remote compute, in H100e.

    Returns
    -------
    ndarray of shape (n_runs,), float64
    """
    return _total(results, "rented_tpp", countries, window) / H100E_TPP


def domestic_chips(results: Results, countries: Sequence[str], window: Window) -> np.ndarray:
    """Return the domestic substitute chips ``countries`` received (chips, not H100e).

    Returns
    -------
    ndarray of shape (n_runs,), float64
        ``substituted_tpp`` over the window divided by the TPP of the
        scenario's domestic chip (e.g. 12,800 for the Ascend 910C).
    """
    chip = load_chips()[results.scenario["market"]["domestic_chip"]]
    return _total(results, "substituted_tpp", countries, window) / chip.tpp


def revenue_share(results: Results, countries: Sequence[str], window: Window) -> np.ndarray:
    """Return the share of vendor revenue booked in ``countries`` over the window.

    Returns
    -------
    ndarray of shape (n_runs,), float64
        In [0, 1]; 0 for a run with no revenue at all.
    """
    part = _total(results, "revenue_usd", countries, window)
    whole = _total(results, "revenue_usd", results.countries, window)
    return np.divide(part, whole, out=np.zeros_like(part), where=whole > 0)


def diverted_share_of_additions(results: Results, countries: Sequence[str],
                                window: Window) -> np.ndarray:
    """Return the share of compute added in ``countries`` that came by diversion.

    Returns
    -------
    ndarray of shape (n_runs,), float64
        ``diverted_received / (delivered + substituted + diverted_received)``
        over the window, in TPP; 0 where nothing was added.
    """
    diverted = _total(results, "diverted_received_tpp", countries, window)
    added = (diverted + _total(results, "delivered_tpp", countries, window)
             + _total(results, "substituted_tpp", countries, window))
    return np.divide(diverted, added, out=np.zeros_like(added), where=added > 0)


def smuggled_share_of_additions(results: Results, countries: Sequence[str],
                                window: Window) -> np.ndarray:
    """Return the share of compute acquired by ``countries`` that came by smuggling.

    Returns
    -------
    ndarray of shape (n_runs,), float64
        ``smuggled / (delivered + substituted + smuggled)`` over the window, in
        TPP, where smuggled is diverted plus redirected chips received; 0
        where nothing was acquired.
    """
    smuggled = smuggled_h100e(results, countries, window) * H100E_TPP
    added = (smuggled + _total(results, "delivered_tpp", countries, window)
             + _total(results, "substituted_tpp", countries, window))
    return np.divide(smuggled, added, out=np.zeros_like(added), where=added > 0)


def _vendor_revenue(results: Results, window: Window) -> np.ndarray:
    """Return the vendor's chips shipped times their market price, shape (n_runs, n_countries)."""
    catalogue = load_chips()
    own = np.array([catalogue[chip].vendor == VENDOR for chip in results.chips])
    steps = months_in(results, window)
    shipped = results.metric("shipped_chips")[:, steps][..., own]             # (R, t, C, k)
    price = results.metric("market_price_usd")[:, steps][..., own]            # (R, t, k)
    return (shipped * price[:, :, None, :]).sum(axis=(1, 3))


def nvidia_revenue_share(results: Results, countries: Sequence[str], window: Window) -> np.ndarray:
    """Return the share of Nvidia's data-centre chip revenue billed to ``countries``.

    Every chip the model sells is a data-centre chip, so this is the share of
    data-centre revenue, by the consignee's country (Nvidia's billing
    location).

    Returns
    -------
    ndarray of shape (n_runs,), float64
        In [0, 1]; 0 for a run with no revenue.
    """
    revenue = _vendor_revenue(results, window)
    part = revenue[:, _country_mask(results, countries)].sum(axis=1)
    whole = revenue.sum(axis=1)
    return np.divide(part, whole, out=np.zeros_like(part), where=whole > 0)


def nvidia_revenue_bn(results: Results, countries: Sequence[str], window: Window) -> np.ndarray:
    """Return Nvidia's chip revenue over the window, every destination, in billions of USD.

    Each Nvidia chip shipped times its market price that month, the same sum
    as :func:`sim.experiment.market_years.revenue_by_fiscal_year`.
    ``countries`` is not used.

    Returns
    -------
    ndarray of shape (n_runs,), float64
    """
    return _vendor_revenue(results, window).sum(axis=1) / 1e9


def grey_premium_mean(results: Results, countries: Sequence[str], window: Window) -> np.ndarray:
    """Return the mean grey-market premium over the window (x list price).

    The premium is one number for all restricted destinations, so
    ``countries`` is not used.

    Returns
    -------
    ndarray of shape (n_runs,), float64
    """
    return results.metric("grey_premium")[:, months_in(results, window)].mean(axis=1)


@dataclass(frozen=True)
class Statistic:
    """A named statistic, its unit and whether it needs countries."""

    name: str
    unit: str
    compute: Callable[[Results, Sequence[str], Window], np.ndarray]
    needs_countries: bool = True


STATISTICS: dict[str, Statistic] = {s.name: s for s in (
    Statistic("diverted_h100e", "H100e (frontier chips)", diverted_h100e),
    Statistic("rented_h100e", "H100e", rented_h100e),
    Statistic("domestic_chips", "domestic chips", domestic_chips),
    Statistic("revenue_share", "share of vendor revenue", revenue_share),
    Statistic("diverted_share_of_additions", "share of compute added",
              diverted_share_of_additions),
    Statistic("grey_premium_mean", "x list price", grey_premium_mean, needs_countries=False),
    Statistic("redirected_h100e", "H100e", redirected_h100e),
    Statistic("smuggled_h100e", "H100e", smuggled_h100e),
    Statistic("seized_h100e", "H100e", seized_h100e, needs_countries=False),
    Statistic("smuggled_share_of_additions", "share of compute acquired",
              smuggled_share_of_additions),
    Statistic("nvidia_revenue_share", "share of Nvidia data-centre revenue",
              nvidia_revenue_share),
    Statistic("nvidia_revenue_bn", "billion USD", nvidia_revenue_bn, needs_countries=False),
)}
"""The statistics a target may name, by name."""
