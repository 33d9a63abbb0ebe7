"""Whether a chip falls under ECCN 3A090 in a given rule vintage.

``classify_chip`` answers one question: does exporting this chip to a
restricted destination need a licence under the vintage's chip thresholds?
Which destinations are restricted is :func:`sim.reference.rule_scope`.
The 2023 lower band (3A090.b, licence or notification) is not modelled:
docs/sources.md §4 marks its exact bounds unconfirmed.
"""

from __future__ import annotations

from sim.reference.chips import Chip

__all__ = [
    "OCT2022_INTERCONNECT_GBPS",
    "OCT2022_TPP",
    "OCT2023_DENSITY",
    "OCT2023_DENSITY_TPP",
    "OCT2023_TPP",
    "VINTAGES",
    "classify_chip",
    "validate_vintage",
]

VINTAGES = ("none", "oct2022", "oct2023")
"""Rule vintages: no controls, 7 Oct 2022, 17 Oct 2023 (docs/sources.md §3, §4)."""

# docs/sources.md §3, 7 Oct 2022: TPP >= 4,800 AND chip-to-chip I/O >= 600 GB/s.
OCT2022_TPP = 4_800
OCT2022_INTERCONNECT_GBPS = 600

# docs/sources.md §4, 17 Oct 2023 (3A090.a): TPP >= 4,800,
# OR TPP >= 1,600 with performance density >= 5.92.
OCT2023_TPP = 4_800
OCT2023_DENSITY_TPP = 1_600
OCT2023_DENSITY = 5.92


def validate_vintage(vintage: str) -> str:
    """Return ``vintage`` unchanged if known, else raise ``ValueError``.

    Parameters
    ----------
    vintage : str
        One of :data:`VINTAGES`.

    Returns
    -------
    str
        The same vintage.

    Raises
    ------
    ValueError
        If the vintage is unknown; the message lists the valid ones.

    """
    if vintage not in VINTAGES:
        raise ValueError(f"unknown rule vintage {vintage!r}; expected one of {', '.join(VINTAGES)}")
    return vintage


def _controlled_oct2022(chip: Chip) -> bool:
    """Apply the 2022 test: high TPP and high-bandwidth interconnect."""
    return chip.tpp >= OCT2022_TPP and chip.interconnect_gbps >= OCT2022_INTERCONNECT_GBPS


def _controlled_oct2023(chip: Chip) -> bool:
    """Apply the 2023 3A090.a test; consumer chips skip the density branch."""
    if chip.tpp >= OCT2023_TPP:
        return True
    if chip.consumer or chip.performance_density is None:
        return False
    return chip.tpp >= OCT2023_DENSITY_TPP and chip.performance_density >= OCT2023_DENSITY


def classify_chip(chip: Chip, vintage: str) -> bool:
    """Tell whether ``chip`` needs a licence to a restricted destination.

    Parameters
    ----------
    chip : Chip
        The accelerator.
    vintage : str
        One of :data:`VINTAGES`.

    Returns
    -------
    bool
        True if controlled. Always False for vintage ``"none"`` and for
        domestic Chinese chips, which US rules do not reach. A chip of
        unknown density is judged on TPP alone under the 2023 rule.

    Raises
    ------
    ValueError
        If the vintage is unknown.

    """
    validate_vintage(vintage)
    if chip.origin == "domestic_china" or vintage == "none":
        return False
    if vintage == "oct2022":
        return _controlled_oct2022(chip)
    return _controlled_oct2023(chip)
