"""Implementation tracking: predicted against actual for implemented options.

An option with status ``implemented`` may carry ``implemented_on`` and the actual figures
``actual_investment``, ``actual_annual_savings``, ``actual_energy_saved_mwh`` and
``actual_co2e_avoided_t`` (DESIGN.md section 5, new option fields).  For each pair the ratio
actual / predicted is given per option, and the totals over the options that have both figures
(the ratio of the sums, not the mean of the ratios, so a large option weighs as much as it
costs).  A ratio whose predicted value is 0 is undefined (NaN, said in ``note``), never infinite.
This is the implementation sheet beside the opportunity sheet that DOE MEASUR users ask for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: (predicted column, actual column, label, unit) of each compared figure.
PAIRS: tuple[tuple[str, str, str, str], ...] = (
    ("investment", "actual_investment", "investment", "currency"),
    ("annual_savings", "actual_annual_savings", "yearly savings", "currency/yr"),
    ("energy_saved_mwh", "actual_energy_saved_mwh", "energy saved", "MWh/yr"),
    ("co2e_avoided_t", "actual_co2e_avoided_t", "CO2e avoided", "t/yr"),
)


def _num(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").astype("float64").to_numpy()


def predicted_vs_actual(options: pd.DataFrame, enterprises: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per implemented option and compared figure.

    Parameters
    ----------
    options : DataFrame
        Validated options with ``status`` and, where known, the ``actual_*`` columns.
    enterprises : DataFrame, optional
        For each enterprise's ``currency``, which then names the unit of money figures (so totals
        never add two currencies).

    Returns
    -------
    DataFrame
        Columns ``enterprise_id, option_id, implemented_on, figure, unit, predicted, actual, ratio``
        (ratio = actual / predicted [/1]; NaN where either is missing or predicted is 0) and
        ``note`` (why a ratio is missing).  Implemented options without any actual figure appear
        once with figure ``-`` and the note saying so.
    """
    cols = ["enterprise_id", "option_id", "implemented_on", "figure", "unit", "predicted", "actual", "ratio", "note"]
    if "status" not in options.columns:
        return pd.DataFrame(columns=cols)
    done = options[options["status"].astype(str) == "implemented"].reset_index(drop=True)
    n = len(done)
    on = done["implemented_on"] if "implemented_on" in done.columns else pd.Series([None] * n, dtype=object)
    ent = done["enterprise_id"] if "enterprise_id" in done.columns else pd.Series([""] * n, dtype=object)
    cur = {}
    if enterprises is not None and "currency" in enterprises.columns:
        cur = {k: v for k, v in zip(enterprises["enterprise_id"], enterprises["currency"]) if isinstance(v, str) and v}
    found = ent.map(cur).astype(object)
    money = found.where(found.notna(), "currency").to_numpy(dtype=object)
    base = {"enterprise_id": ent.to_numpy(dtype=object), "option_id": done["option_id"].to_numpy(dtype=object),
            "implemented_on": on.to_numpy(dtype=object)}
    parts: list[pd.DataFrame] = []
    any_actual = np.zeros(n, dtype=bool)
    for k, (pred_col, act_col, label, unit) in enumerate(PAIRS):  # column-wise: national data hold 10^5 options
        act, pred = _num(done, act_col), _num(done, pred_col)
        has = ~np.isnan(act)
        any_actual |= has
        undefined = np.isnan(pred) | (pred == 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(undefined, np.nan, act / np.where(undefined, 1.0, pred))
        note = np.where(np.isnan(pred), f"no predicted {label} ({pred_col})",
                        np.where(pred == 0, f"predicted {label} is 0: ratio undefined", ""))
        units = np.array([unit.replace("currency", m) for m in money], dtype=object) if "currency" in unit else unit
        part = pd.DataFrame({**base, "figure": label, "unit": units, "predicted": pred, "actual": act, "ratio": ratio,
                             "note": note.astype(object), "_i": np.arange(n), "_k": k})
        parts.append(part[has])
    idle = ~any_actual
    parts.append(pd.DataFrame({**base, "figure": "-", "unit": "", "predicted": np.nan, "actual": np.nan, "ratio": np.nan,
                               "note": "implemented, no actual figure recorded yet", "_i": np.arange(n), "_k": 0})[idle])
    out = pd.concat(parts, ignore_index=True)
    out = out.iloc[np.lexsort((out["_k"].to_numpy(), out["_i"].to_numpy()))]  # per option, figures in PAIRS order
    return out[cols].reset_index(drop=True)


def totals(table: pd.DataFrame) -> pd.DataFrame:
    """Per figure and unit (money per currency): options compared, predicted and actual sums over
    options with both, ratio of the sums.

    Returns
    -------
    DataFrame
        Columns ``figure, unit, options, predicted, actual, ratio`` (ratio [/1], NaN where the
        predicted sum is 0).
    """
    both = table[table["predicted"].notna() & table["actual"].notna()]
    out = []
    for _, _, label, _ in PAIRS:
        for unit, part in both[both["figure"] == label].groupby("unit", sort=True):  # one row per currency
            p, a = float(part["predicted"].sum()), float(part["actual"].sum())
            out.append({"figure": label, "unit": unit, "options": len(part), "predicted": p, "actual": a,
                        "ratio": a / p if p != 0 else np.nan})
    return pd.DataFrame(out, columns=["figure", "unit", "options", "predicted", "actual", "ratio"])
