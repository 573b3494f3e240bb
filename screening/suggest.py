"""Suggestions from real plants: the measures US DOE IAC auditors recommended at similar plants.

The shipped table ``data/iac_suggestions.csv`` (built by ``scripts/build_iac_suggestions.py`` from
the shared IAC tables; aggregates only, provenance in ``data/README.md``) holds, per ARC code, the
number of recommendations, the share implemented and the medians of cost, savings and payback, at
three levels: sector (SIC major group) x size class, sector, all plants.  Only the 11,995
recommendations with the full ARC code name a measure; the others (ARC code rounded to an
integer) are summarised by resource stream in ``data/iac_stream_base_rates.csv`` as base rates.

An enterprise's sector (import field ``sector``: ``NACE 25.61``, ``NAICS 332813``, ``SIC 3471``;
a bare code with a dot is read as NACE, digits alone as NAICS) is mapped to SIC major groups by
``data/sector_map.csv`` (NACE Rev. 2 division -> SIC 1987 major groups and NAICS 2017
subsectors, written by hand at division level; approximate).  For each ARC code the most specific
level that has a group for the enterprise is used, and the suggestions are ordered by that level
(sector and size first), then by the number of recommendations.  Dollar medians are converted into
the enterprise's currency at the dated ECB rates of :mod:`screening.fx`.

References
----------
.. [1] US DOE Industrial Assessment Centers (ITAC) database (https://iac.university/).
.. [2] Eurostat (2008), NACE Rev. 2, Statistical classification of economic activities;
   US OSHA, SIC Manual (1987) major groups; US Census Bureau, NAICS 2017 - SIC concordance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd

from screening.fx import describe, factor, rate_date

DATA = Path(__file__).resolve().parents[1] / "data"
SUGGESTIONS_FILE = DATA / "iac_suggestions.csv"
SECTOR_MAP_FILE = DATA / "sector_map.csv"
LEVEL_ORDER = {"sector_size": 0, "sector": 1, "all": 2}
#: The record fields of ``cpscreen suggest`` (DESIGN.md section 5), then the added ones.
FIELDS = ("arc_code", "title", "category", "recommended", "implemented_share", "median_investment",
          "median_annual_savings", "median_payback_years", "currency")
EXTRA = ("level", "group", "basis", "usd_rate")


@lru_cache(maxsize=2)
def suggestion_table(path: str = str(SUGGESTIONS_FILE)) -> pd.DataFrame:
    """The shipped aggregate table (USD medians)."""
    return pd.read_csv(path, dtype={"sic2": str, "size_class": str, "arc_code": str}, keep_default_na=False,
                       na_values={c: [""] for c in ("implemented_share", "median_investment_usd",
                                                    "median_annual_savings_usd", "median_payback_years")})


@lru_cache(maxsize=2)
def sector_map(path: str = str(SECTOR_MAP_FILE)) -> pd.DataFrame:
    """NACE division -> SIC major groups and NAICS subsectors."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def sic_major_groups(sector: object) -> tuple[str, ...]:
    """SIC major groups (2 digits) of an import-format ``sector``; () where it maps to none.

    ``NACE 25.61`` -> division 25 -> ('34',); ``NAICS 332813`` -> subsector 332 -> ('34',);
    ``SIC 3471`` -> ('34',).
    """
    if sector is None or (isinstance(sector, float) and sector != sector):
        return ()
    text = str(sector).strip().upper()
    m = re.match(r"^(NACE|NAICS|SIC)?\s*([0-9][0-9.]*)", text)
    if not m:
        return ()
    scheme, code = m.group(1), m.group(2)
    if scheme is None:
        scheme = "NACE" if "." in code else "NAICS"
    digits = code.replace(".", "")
    table = sector_map()
    if scheme == "SIC":
        return (digits[:2],) if len(digits) >= 2 else ()
    if scheme == "NACE":
        rows = table[table["nace_division"] == digits[:2]]
    else:
        rows = table[table["naics_subsectors"].str.split(";").map(lambda xs: digits[:3] in xs)]
    return tuple(dict.fromkeys(g for v in rows["sic_major_groups"] for g in v.split(";")))


def suggest(enterprise: Mapping[str, object], top: int | None = 10, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The measures recommended at similar US plants, for one enterprise.

    Parameters
    ----------
    enterprise : mapping
        Its import-format fields: ``enterprise_id``, ``size_class``, ``sector`` (optional),
        ``currency`` (the pack's where blank; give it).
    top : int or None
        Number of suggestions (None: all).
    table : DataFrame, optional
        The aggregate table (default: the shipped one).

    Returns
    -------
    DataFrame
        One row per ARC code with :data:`FIELDS` (medians in the enterprise's currency: investment
        [currency], yearly savings [currency/yr], payback [yr]; implemented share [/1]) and
        ``level`` (sector_size, sector or all), ``group`` (short), ``basis`` (the group in words) and ``usd_rate``
        [currency/USD].

    Raises
    ------
    ValueError
        If ``top`` is not positive or the currency has no rate.
    """
    if top is not None and top < 1:
        raise ValueError(f"--top must be at least 1, got {top}")
    t = suggestion_table() if table is None else table
    currency = str(enterprise.get("currency") or "")
    if not currency:
        raise ValueError(f"enterprise {enterprise.get('enterprise_id')!r}: no currency to convert the USD medians into")
    rate = factor("USD", currency)
    majors = sic_major_groups(enterprise.get("sector"))
    size = str(enterprise.get("size_class") or "")
    pick = (((t["level"] == "sector_size") & t["sic2"].isin(majors) & (t["size_class"] == size))
            | ((t["level"] == "sector") & t["sic2"].isin(majors)) | (t["level"] == "all"))
    rows = t[pick].assign(_order=lambda d: d["level"].map(LEVEL_ORDER))
    rows = rows.sort_values(["_order", "recommended", "arc_code"], ascending=[True, False, True])
    rows = rows.drop_duplicates("arc_code", keep="first")  # the most specific level per measure
    if top is not None:
        rows = rows.head(top)

    def basis(r: pd.Series) -> str:
        where = {"sector_size": f"US plants in SIC major group {r['sic2']}, size {r['size_class']}",
                 "sector": f"US plants in SIC major group {r['sic2']}", "all": "all US plants"}[r["level"]]
        return f"{where}: {int(r['recommended'])} recommendation(s), {int(r['decided'])} decided"

    out = pd.DataFrame({
        "arc_code": rows["arc_code"].astype(str),
        "title": rows["title"].astype(str),
        "category": rows["category"].astype(str),
        "recommended": rows["recommended"].astype("int64"),
        "implemented_share": rows["implemented_share"].astype("float64"),
        "median_investment": rows["median_investment_usd"].astype("float64") * rate,
        "median_annual_savings": rows["median_annual_savings_usd"].astype("float64") * rate,
        "median_payback_years": rows["median_payback_years"].astype("float64"),
        "currency": currency,
        "level": rows["level"].astype(str),
        "group": [{"sector_size": f"SIC {r['sic2']}, {r['size_class']}", "sector": f"SIC {r['sic2']}, all sizes",
                   "all": "all US plants"}[r["level"]] for _, r in rows.iterrows()],
        "basis": [basis(r) for _, r in rows.iterrows()],
        "usd_rate": rate,
    })
    return out.reset_index(drop=True)


def conversion_note(currency: str) -> str:
    """What the page and the CLI say about the figures' currency."""
    if currency == "USD":
        return f"IAC medians in USD as recorded (nominal dollars of each visit's fiscal year); no conversion."
    return (f"IAC medians converted from USD at {describe('USD', currency)}; nominal dollars of each visit's "
            f"fiscal year, no price index applied.")


def as_option(s: Mapping[str, object], enterprise_id: str, option_id: str, lifetime_years: int = 10) -> dict[str, object]:
    """A chosen suggestion as an import-format option row (status proposed), flagged as typical values.

    Investment and yearly savings are the medians (negative medians set to 0 investment, savings
    kept as given); the economic life is not recorded by IAC and is assumed (``lifetime_years``);
    the attribute ``typical_values`` says where every figure comes from.
    """
    inv = float(s["median_investment"]) if pd.notna(s["median_investment"]) else 0.0
    sav = float(s["median_annual_savings"]) if pd.notna(s["median_annual_savings"]) else 0.0
    return {
        "option_id": option_id,
        "enterprise_id": enterprise_id,
        "title": f"{s['title']} (ARC {s['arc_code']}, typical values)",
        "category": s["category"],
        "investment": max(inv, 0.0),
        "annual_savings": sav,
        "lifetime_years": lifetime_years,
        "status": "proposed",
        "typical_values": (f"medians of {s['basis']} (US DOE IAC; rates of {rate_date()}); lifetime "
                           f"{lifetime_years} yr assumed; replace with your own figures"),
    }
