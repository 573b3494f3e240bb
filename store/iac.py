"""Reading the official US DOE Industrial Assessment Centers (IAC / ITAC) workbook.

The workbook has a sheet ASSESS (one row per plant visit) and a sheet RECC (one row per
recommendation, with up to four resource streams P, S, T, Q: source code, amount conserved and
dollars saved).  :func:`read_iac_workbook` turns it into raw frames in the cpscreen import format,
which then go through the same validation and all-or-nothing import as any other file.

Mapping (documented here and in ``iac_categories.csv``):

- ASSESS row -> enterprise: ``enterprise_id`` = assessment ID, jurisdiction ``US``, currency USD,
  ``sector`` = NAICS code, ``size_class`` from employees (< 10 micro, < 50 small, < 250 medium,
  else large: the EU 2003/361/EC head-count thresholds, the only size data IAC records).
- RECC row -> option: ``option_id`` = SUPERID, ``investment`` = IMPCOST, ``annual_savings`` = sum of
  PSAVED, SSAVED, TSAVED, QSAVED; ``energy_saved_mwh`` from electricity (EC, E1: kWh / 1000) and
  fuel streams (E2-E12: MMBtu x 0.29307107 MWh/MMBtu); ``waste_avoided_t`` from solid and gaseous
  waste streams (W4-W6: lb x 0.00045359237 t/lb); ``water_saved_m3`` from water and liquid streams
  (W1-W3: gal x 0.003785411784 m3/gal); category and BASF hierarchy from the ARC code by the longest
  matching prefix in ``iac_categories.csv``; title = the ARC dictionary title of the longest known
  prefix of the code (the workbook's ARC_CODES sheet, or a fuller dictionary such as
  ``arc_codes_v21_1.csv`` when given) followed by the code; status from IMPSTATUS (I implemented,
  N rejected, P study, K or blank proposed).
- IAC records no economic life: ``lifetime_years`` is set to ``default_lifetime`` (10 years) and the
  attribute ``lifetime_assumed`` says so.
- A recommendation whose streams add up to more energy used than saved (e.g. a fuel switch) gets
  ``energy_saved_mwh`` 0 and the flag below (the import format holds savings >= 0); likewise a
  waste or water stream that rises gets ``waste_avoided_t`` or ``water_saved_m3`` 0 and a flag.
- A recommendation without IMPCOST gets investment 0, one without any SAVED value gets savings 0,
  and a negative IMPCOST (a cost reduction) gets investment 0; each such row carries the attribute
  ``iac_flag`` naming the problem, so nothing is dropped silently.
- A recommendation without an ARC code gets the fallback category (good_housekeeping) and an
  ``iac_flag`` saying so.
- Rows of RECC without SUPERID and ID (the workbook's summary lines) are skipped and counted in
  the notes.

References
----------
US DOE Industrial Assessment Centers (ITAC) database and its Database Manual v10.2 (resource
stream codes, p. 22).  https://iac.university/
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from screening.errors import CellError

MMBTU_TO_MWH = 0.29307107
LB_TO_T = 0.00045359237
GAL_TO_M3 = 0.003785411784
ELECTRICITY_KWH = ("EC", "E1")
FUELS_MMBTU = tuple(f"E{i}" for i in range(2, 13))
WATER_GAL = ("W1", "W2", "W3")
WASTE_LB = ("W4", "W5", "W6")
STREAMS = ("P", "S", "T", "Q")
STATUS = {"I": "implemented", "N": "rejected", "P": "study", "K": "proposed"}

#: Long ASSESS headers of the cut workbook -> the short names of the official layout.
ASSESS_NAMES = {
    "Assessment ID": "ID",
    "IAC Center Code": "CENTER",
    "Fiscal Year": "FY",
    "SIC Industrial Classification Code": "SIC",
    "NAICS Industrial Classification Code": "NAICS",
    "US State Abbreviation": "STATE",
    "Total Yearly Sales": "SALES",
    "Total Number of Employees": "EMPLOYEES",
    "Type of Products": "PRODUCTS",
}


#: The sheets that make a workbook an IAC workbook.
IAC_SHEETS = frozenset({"ASSESS", "RECC"})
#: Columns the RECC and ASSESS sheets must have (the rest are optional).
RECC_REQUIRED = ("SUPERID", "ID", "ARC2", "IMPCOST", "IMPSTATUS")
ASSESS_REQUIRED = ("ID",)


def is_iac_workbook(path: str | os.PathLike[str]) -> bool:
    """True when the workbook has the sheets ASSESS and RECC."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True)
    except Exception:
        return False
    try:
        return IAC_SHEETS <= set(wb.sheetnames)
    finally:
        wb.close()


@lru_cache(maxsize=1)
def category_map() -> pd.DataFrame:
    """The ARC-prefix -> category table, longest prefixes first."""
    df = pd.read_csv(Path(__file__).with_name("iac_categories.csv"), dtype=str, keep_default_na=False)
    return df.assign(_len=df["arc_prefix"].str.len()).sort_values("_len", ascending=False).drop(columns="_len")


def _arc_text(code: object) -> str:
    """ARC code as text without float noise (2.7142 stays 2.7142)."""
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return ""
    if isinstance(code, (int, float, np.floating)):
        return f"{float(code):.6f}".rstrip("0").rstrip(".")
    return str(code).strip()


def _longest(code: str, keys: dict[str, str]) -> str | None:
    for n in range(len(code), 0, -1):
        hit = keys.get(code[:n])
        if hit is not None:
            return hit
    return None


def arc_category(code: str) -> tuple[str, str]:
    """Category and hierarchy ('' = the category's default) for an ARC code."""
    for r in category_map().itertuples(index=False):
        if code.startswith(r.arc_prefix):
            return r.category, r.hierarchy
    return "good_housekeeping", ""


def arc_titles(workbook: pd.DataFrame | None, dictionary: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """ARC code -> title, from the workbook's ARC_CODES sheet and an optional fuller dictionary."""
    titles: dict[str, str] = {}
    if workbook is not None and {"ARC_CODE", "ARC_NAME"} <= set(workbook.columns):
        for c, n in zip(workbook["ARC_CODE"], workbook["ARC_NAME"]):
            if _arc_text(c):
                titles[_arc_text(c)] = str(n).strip()
    if dictionary is not None:
        d = pd.read_csv(dictionary, dtype=str, keep_default_na=False)
        for c, n in zip(d["arcCode"], d["title"]):
            titles[c.strip()] = n.strip()
    return titles


def _size_class(employees: np.ndarray) -> pd.Series:
    e = pd.Series(employees, dtype=float)
    out = np.select([e < 10, e < 50, e < 250], ["micro", "small", "medium"], "large")
    return pd.Series(np.where(e.isna(), "", out))


def _numbers(frame: pd.DataFrame, column: str, table: str, rows: np.ndarray, source: str, errors: list[CellError],
             unit: str = "") -> np.ndarray:
    """A numeric column of an IAC sheet (NaN where empty); a cell that is no number is a named error."""
    from screening.cells import MISSING, NUMBER, TEXT, classify
    from screening.columns import parse_numbers

    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    c = classify(frame[column])
    num = c.num.copy()
    ist = c.kind == TEXT
    if ist.any():
        num[ist] = parse_numbers(c.text[ist])
    bad = (c.kind != MISSING) & ((c.kind != NUMBER) & ~ist | ~np.isfinite(np.where(c.kind != MISSING, num, 0.0)))
    for i in np.flatnonzero(bad):
        what = "must be a finite number" if c.kind[i] in (NUMBER, TEXT) and not np.isnan(num[i]) else f"expected a number{unit}"
        errors.append(CellError(table, int(rows[i]), column, str(c.text.iat[i]), what, source))
    return np.where(bad, np.nan, num)


def _sheet(book: dict[str, tuple[pd.DataFrame, np.ndarray]], name: str, required: tuple[str, ...], source: str) -> tuple[pd.DataFrame, np.ndarray]:
    frame, rows = book[name]
    frame = frame.rename(columns=ASSESS_NAMES) if name == "ASSESS" else frame
    missing = [c for c in required if c not in frame.columns]
    if missing:
        from store.readers import ImportFileError

        raise ImportFileError(f"{source}[{name}]: column(s) {', '.join(missing)} missing; an IAC workbook's {name} sheet "
                              f"has {', '.join(required)} (US DOE IAC Database Manual)")
    return frame, rows


def read_iac_workbook(
    path: str | os.PathLike[str],
    *,
    arc_dictionary: str | os.PathLike[str] | None = None,
    default_lifetime: int = 10,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Read an IAC workbook into raw import-format frames.

    Returns
    -------
    enterprises, options : DataFrame
        Raw frames in the import format (validated later by the importer); ``attrs['rows']``
        gives each row's sheet row.
    notes : list of str
        What was assumed or flagged, for the import report.

    Raises
    ------
    screening.schema.ValidationError
        A cell of the workbook that should hold a number and does not (cost, savings, amounts).
    """
    from screening.schema import ValidationError
    from store.readers import read_xlsx

    p = Path(path)
    errors: list[CellError] = []
    ent, erows, opt, orows, notes = iac_tables(read_xlsx(p), p.name, errors, arc_dictionary=arc_dictionary, default_lifetime=default_lifetime)
    if errors:
        raise ValidationError(errors)
    ent.attrs["rows"], opt.attrs["rows"] = erows, orows
    return ent, opt, notes


def iac_frames(book: dict[str, tuple[pd.DataFrame, np.ndarray]], name: str, batch: object) -> None:
    """Add an IAC workbook's enterprises and options (and its bad cells, notes) to a raw batch."""
    ent, erows, opt, orows, notes = iac_tables(book, name, batch.errors)  # type: ignore[attr-defined]
    batch.add("enterprises", ent, f"{name}[ASSESS]", erows)  # type: ignore[attr-defined]
    batch.add("options", opt, f"{name}[RECC]", orows)  # type: ignore[attr-defined]
    batch.notes.extend(notes)  # type: ignore[attr-defined]


def iac_tables(
    book: dict[str, tuple[pd.DataFrame, np.ndarray]],
    name: str,
    errors: list[CellError],
    *,
    arc_dictionary: str | os.PathLike[str] | None = None,
    default_lifetime: int = 10,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray, list[str]]:
    """The import-format frames of a read IAC workbook (sheet -> (cells, sheet rows)).

    Returns enterprises, their sheet rows, options, their sheet rows, and the notes; cells that
    should hold numbers and do not are appended to ``errors``.
    """
    assess, arows = _sheet(book, "ASSESS", ASSESS_REQUIRED, name)
    recc, rrows = _sheet(book, "RECC", RECC_REQUIRED, name)
    assess = assess.rename(columns=ASSESS_NAMES)
    notes: list[str] = []
    keep = (recc["SUPERID"].notna() & recc["ID"].notna()).to_numpy()
    if (~keep).sum():
        notes.append(f"RECC: {(~keep).sum()} summary row(s) without SUPERID skipped")
    recc, rrows = recc[keep].reset_index(drop=True), rrows[keep]
    akeep = assess["ID"].notna().to_numpy()
    assess, arows = assess[akeep].reset_index(drop=True), arows[akeep]
    asrc, rsrc = f"{name}[ASSESS]", f"{name}[RECC]"

    def text(frame: pd.DataFrame, col: str) -> pd.Series:
        if col not in frame.columns:
            return pd.Series([""] * len(frame), dtype=object)
        return frame[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else _arc_text(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else str(v).strip())

    ids = text(assess, "ID")
    products = text(assess, "PRODUCTS")
    employees = _numbers(assess, "EMPLOYEES", "enterprises", arows, asrc, errors)
    ent = pd.DataFrame(
        {
            "enterprise_id": ids,
            "name": ["IAC " + i + (f" ({p})" if p else "") for i, p in zip(ids, products)],
            "jurisdiction": "US",
            "size_class": _size_class(employees),
            "sector": text(assess, "NAICS"),
            "currency": "USD",
            "iac_center": assess["CENTER"] if "CENTER" in assess.columns else None,
            "iac_fy": assess["FY"] if "FY" in assess.columns else None,
            "employees": employees,
            "sales_usd": _numbers(assess, "SALES", "enterprises", arows, asrc, errors, " [USD/yr]"),
        }
    )

    arc_book = book.get("ARC_CODES")
    titles = arc_titles(arc_book[0] if arc_book is not None else None, arc_dictionary)
    codes = recc["ARC2"].map(_arc_text)
    cat_of = {c: arc_category(c) for c in codes.unique()}
    cats = codes.map(cat_of)
    saved = pd.DataFrame({s: _numbers(recc, f"{s}SAVED", "options", rrows, rsrc, errors, " [USD/yr]") for s in STREAMS})
    energy = np.zeros(len(recc))
    waste = np.zeros(len(recc))
    water = np.zeros(len(recc))
    for s in STREAMS:
        code = text(recc, f"{s}SOURCCODE")
        amount = np.nan_to_num(_numbers(recc, f"{s}CONSERVED", "options", rrows, rsrc, errors), nan=0.0)
        energy += np.where(code.isin(ELECTRICITY_KWH), amount / 1000.0, 0.0)
        energy += np.where(code.isin(FUELS_MMBTU), amount * MMBTU_TO_MWH, 0.0)
        waste += np.where(code.isin(WASTE_LB), amount * LB_TO_T, 0.0)
        water += np.where(code.isin(WATER_GAL), amount * GAL_TO_M3, 0.0)

    net_energy_increase = np.where(energy < 0, -energy, 0.0)
    energy = np.clip(energy, 0.0, None)
    rises = []  # waste and water streams that rise (the import format holds avoided amounts >= 0)
    for what, unit, amount in (("waste", "t/yr", waste), ("water use", "m3/yr", water)):
        up = pd.Series(np.where(amount < 0, -amount, 0.0), index=recc.index)
        rises.append(np.where(up > 0, f"{what} rises by " + up.map(lambda e: f"{e:.6g}") + f" {unit} (set to 0)", ""))
    waste = np.clip(waste, 0.0, None)
    water = np.clip(water, 0.0, None)
    cost = pd.Series(_numbers(recc, "IMPCOST", "options", rrows, rsrc, errors, " [USD]"))
    savings = saved.sum(axis=1, min_count=1)
    energy_up = pd.Series(net_energy_increase, index=recc.index)
    parts = [
        np.where(energy_up > 0, "net energy use rises by " + energy_up.map(lambda e: f"{e:.3f}") + " MWh/yr (energy saved set to 0)", ""),
        *rises,
        np.select([cost.isna(), cost < 0], ["no implementation cost given (investment set to 0)",
                                            "negative implementation cost " + cost.map(lambda c: f"{c:g}") + " (investment set to 0)"], ""),
        np.where(savings.isna(), "no savings given (annual savings set to 0)", ""),
        np.where(codes == "", f"no ARC code recorded (category {arc_category('')[0]} assumed)", ""),
    ]
    # the flags joined with "; ", empty parts left out (no message starts or ends with ";" or " "), by column
    flags_s = pd.Series(parts[0], index=recc.index, dtype=object)
    for part in parts[1:]:
        flags_s = flags_s.str.cat(pd.Series(part, index=recc.index), sep="; ").str.strip("; ")
    nflag = int((flags_s != "").sum())
    if nflag:
        notes.append(f"RECC: {nflag} recommendation(s) without cost, savings or ARC code, or with a net energy increase, imported and flagged (attribute iac_flag)")
    notes.append(f"RECC: lifetime not recorded by IAC; {default_lifetime} years assumed for every option (attribute lifetime_assumed)")

    def title(code: str) -> str:
        if not code:
            return "IAC recommendation (ARC code not recorded)"
        t = _longest(code, titles)
        return f"{t.strip().capitalize() if t and t.isupper() else t} (ARC {code})" if t else f"ARC {code}"

    impstatus = text(recc, "IMPSTATUS")
    status = impstatus.str.upper().map(lambda v: STATUS.get(v, "proposed"))
    opt = pd.DataFrame(
        {
            "option_id": text(recc, "SUPERID"),
            "enterprise_id": text(recc, "ID"),
            "title": codes.map({c: title(c) for c in cat_of}),
            "category": [c for c, _ in cats],
            "investment": cost.clip(lower=0).fillna(0.0),
            "annual_savings": savings.fillna(0.0),
            "lifetime_years": default_lifetime,
            "energy_saved_mwh": np.round(energy, 6),
            "waste_avoided_t": np.round(waste, 6),
            "water_saved_m3": np.round(water, 6),
            "hierarchy": [h for _, h in cats],
            "status": status,
            "arc_code": codes,
            "iac_impstatus": impstatus,
            "iac_payback_years": _numbers(recc, "PAYBACK", "options", rrows, rsrc, errors, " [yr]"),
            "iac_flag": flags_s,
            "lifetime_assumed": "yes",
        }
    )
    return ent, arows, opt, rrows, notes
