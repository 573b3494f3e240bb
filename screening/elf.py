"""ICI's environmental load factor of each site, and what each option does to it.

ELF = (material input - product sold) / product sold [1]_: tonnes of raw material that do not leave
the site as product, per tonne of product.  The site's figure comes from the enterprise's
``material_input_t`` and ``product_output_t`` [t/yr].  An option that avoids ``waste_avoided_t``
tonnes a year needs that much less raw material for the same product, so its ELF after the option
is (input - waste avoided - product) / product, the site's ELF less
:func:`screening.criteria.elf_reduction` (the screening criterion, one formula).

References
----------
.. [1] ICI's environmental load factor, as given in the project's seed material (DESIGN.md
   section 2, enterprises table: material_input_t, product_output_t).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from screening.criteria import elf_cut

#: Columns of :func:`site_elf`.
SITE_COLUMNS: tuple[str, ...] = ("enterprise_id", "material_input_t", "product_output_t", "elf", "elf_reason")

#: Columns of :func:`option_elf`.
OPTION_COLUMNS: tuple[str, ...] = ("enterprise_id", "option_id", "waste_avoided_t", "elf_before", "elf_reduction",
                                   "elf_after", "elf_reason")


def _numbers(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def site_elf(enterprises: pd.DataFrame) -> pd.DataFrame:
    """The environmental load factor of every enterprise.

    Parameters
    ----------
    enterprises : DataFrame
        ``enterprise_id`` and, where known, ``material_input_t`` and ``product_output_t``. [t/yr]

    Returns
    -------
    DataFrame
        :data:`SITE_COLUMNS`, one row per enterprise in order: ``elf`` [t/t] NaN where it is not
        defined, with ``elf_reason`` saying why (a tonnage missing, no product); "" where defined.
    """
    inp, out = _numbers(enterprises, "material_input_t"), _numbers(enterprises, "product_output_t")
    with np.errstate(divide="ignore", invalid="ignore"):
        elf = np.where(np.isfinite(inp) & (out > 0), (inp - out) / out, np.nan)
    reason = np.select(
        [np.isnan(inp) & np.isnan(out), np.isnan(inp), np.isnan(out), ~(out > 0)],
        ["material_input_t and product_output_t missing", "material_input_t missing", "product_output_t missing",
         "product_output_t is 0: no product to divide by"], "")
    return pd.DataFrame({"enterprise_id": enterprises["enterprise_id"].to_numpy(), "material_input_t": inp,
                         "product_output_t": out, "elf": elf, "elf_reason": reason}, columns=list(SITE_COLUMNS))


def option_elf(options: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    """Each option's site ELF before and after it.

    Parameters
    ----------
    options : DataFrame
        ``enterprise_id``, ``option_id`` and, where known, ``waste_avoided_t``. [t/yr]
    enterprises : DataFrame
        As for :func:`site_elf`.

    Returns
    -------
    DataFrame
        :data:`OPTION_COLUMNS`, one row per option in order: ``elf_before`` (the site's) [t/t],
        ``elf_reduction`` (:func:`screening.criteria.elf_reduction`) [t/t], ``elf_after`` =
        before - reduction [t/t]; ``elf_reason`` names what is missing (an option without
        ``waste_avoided_t`` changes nothing, and says so), or says that the waste
        avoided exceeds the site's material loss (input - product), where the after figure
        would be below 0.
    """
    ents = options["enterprise_id"]
    sites, at, waste, before, cut, after = _option_elf(options, enterprises)
    found = at >= 0
    site_reason = np.full(len(ents), "enterprise not found", dtype=object)
    site_reason[found] = sites["elf_reason"].to_numpy(dtype=object)[at[found]]
    # the first that applies: the site's reason, an ELF below 0, no waste given (object cells, no text arrays)
    reason = np.full(len(ents), "", dtype=object)
    reason[np.isnan(waste)] = "waste_avoided_t not given: no change counted"
    reason[after < 0] = "waste_avoided_t exceeds the site's material loss (input - product)"
    own = site_reason != ""
    reason[own] = site_reason[own]
    return pd.DataFrame({"enterprise_id": ents.to_numpy(), "option_id": options["option_id"].to_numpy(),
                         "waste_avoided_t": waste, "elf_before": before, "elf_reduction": cut, "elf_after": after,
                         "elf_reason": reason}, columns=list(OPTION_COLUMNS))


def option_elf_values(options: pd.DataFrame, enterprises: pd.DataFrame,
                      rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``elf_before`` and ``elf_after`` of :func:`option_elf` as arrays [t/t] (no frame, no reasons),
    for writers that take only the figures (``cpscreen appraise``).

    ``rows``: each option's row among ``enterprises.drop_duplicates("enterprise_id")`` (-1: not
    found), where the caller has looked them up already (``policies.join.enterprise_rows``):
    the look-up this function would make, not made twice (0.13 s of a million options).
    """
    _, _, _, before, _, after = _option_elf(options, enterprises, rows)
    return before, after


def _option_elf(options: pd.DataFrame, enterprises: pd.DataFrame, rows: np.ndarray | None = None
                ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sites, each option's site row (-1: not found), waste avoided, ELF before, cut and after."""
    sites = site_elf(enterprises.drop_duplicates("enterprise_id"))
    if rows is not None and len(rows) != len(options):
        raise ValueError(f"rows: one per option expected, got {len(rows)} for {len(options)} options")
    # one look-up per option (the sites are the enterprises without repeated ids, in order)
    at = pd.Index(sites["enterprise_id"]).get_indexer(options["enterprise_id"]) if rows is None else np.asarray(rows)
    found = at >= 0
    before = np.full(len(options), np.nan)
    before[found] = sites["elf"].to_numpy(dtype=float)[at[found]]
    waste = _numbers(options, "waste_avoided_t")
    product = np.full(len(options), np.nan)
    product[found] = sites["product_output_t"].to_numpy(dtype=float)[at[found]]
    cut = elf_cut(waste, product)  # elf_reduction's figure, on the site rows already found (no second look-up)
    cut = np.where(np.isnan(waste), 0.0, cut)  # no waste avoided given: the option leaves the ELF as it is
    return sites, at, waste, before, cut, before - cut
