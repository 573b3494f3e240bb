"""What a programme realised against what it predicted: the implemented options' actual figures.

For programme staff (issue 15 item 3): the options marked ``implemented`` that record actual
figures (``actual_investment``, ``actual_annual_savings``, ``actual_energy_saved_mwh``,
``actual_co2e_avoided_t``), against their predicted ones, per option and summed by jurisdiction
(policy pack) and currency.  Every figure comes from
:func:`screening.implementation.predicted_vs_actual` and :func:`screening.implementation.totals`
(the Overview page's and the report's computation): this module only arranges them, per option
wide (``predicted_<f>, actual_<f>, ratio_<f>``) and per jurisdiction.  Totals are ratios of sums
over the options that record both figures; money is never added across currencies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from screening.implementation import PAIRS, predicted_vs_actual, totals

#: Short names of the compared figures in record fields (``ratio_investment`` ...), by label.
SHORT: dict[str, str] = {label: pred for pred, _, label, _ in PAIRS}


def _jurisdictions(enterprises: pd.DataFrame) -> dict[str, object]:
    if "jurisdiction" not in enterprises.columns:
        return {}
    return dict(zip(enterprises["enterprise_id"], enterprises["jurisdiction"]))


def _currencies(enterprises: pd.DataFrame) -> dict[str, object]:
    if "currency" not in enterprises.columns:
        return {}
    return dict(zip(enterprises["enterprise_id"], enterprises["currency"]))


def _count(part: pd.DataFrame) -> int:
    """Distinct options (an option id is unique within its enterprise only)."""
    return len(part[["enterprise_id", "option_id"]].drop_duplicates())


def realised_by_option(options: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    """One row per implemented option: predicted, actual and ratio of each compared figure.

    Parameters
    ----------
    options, enterprises : DataFrame
        Stored (validated) options of any number of enterprises, and the enterprises.

    Returns
    -------
    DataFrame
        ``enterprise_id, option_id, jurisdiction, currency, implemented_on`` then, for each figure
        ``f`` in ``investment [currency], annual_savings [currency/yr], energy_saved_mwh [MWh/yr],
        co2e_avoided_t [t/yr]``: ``predicted_f, actual_f, ratio_f`` (ratio [/1], NaN where either
        figure is missing or the prediction is 0), and ``note`` (why ratios are missing; an option
        implemented without any actual figure says so).
    """
    long = predicted_vs_actual(options, enterprises)
    keys = ["enterprise_id", "option_id"]
    cols = [*keys, "jurisdiction", "currency", "implemented_on"]
    for short in SHORT.values():
        cols += [f"predicted_{short}", f"actual_{short}", f"ratio_{short}"]
    cols.append("note")
    if long.empty:
        return pd.DataFrame(columns=cols)
    head = long.drop_duplicates(keys)[[*keys, "implemented_on"]].reset_index(drop=True)
    out = head.assign(jurisdiction=head["enterprise_id"].map(_jurisdictions(enterprises)),
                      currency=head["enterprise_id"].map(_currencies(enterprises)))
    for label, short in SHORT.items():
        part = long[long["figure"] == label].set_index(keys)
        idx = pd.MultiIndex.from_frame(out[keys])
        for src, dst in (("predicted", "predicted_"), ("actual", "actual_"), ("ratio", "ratio_")):
            out[dst + short] = part[src].reindex(idx).to_numpy(dtype=float) if len(part) else np.nan
    notes = long[long["note"] != ""].groupby(keys, sort=False)["note"].agg("; ".join)
    out["note"] = notes.reindex(pd.MultiIndex.from_frame(out[keys])).fillna("").to_numpy()
    return out[cols]


def realised_by_jurisdiction(options: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    """Per jurisdiction and currency: implemented options, and predicted and actual sums with their ratio.

    Returns
    -------
    DataFrame
        ``jurisdiction, currency, implemented`` (options implemented), ``with_actuals`` (of them,
        those recording any actual figure), then per figure ``f``: ``compared_f`` (options recording
        both figures), ``predicted_f, actual_f`` (sums over those options) and ``ratio_f`` (actual
        / predicted of the sums [/1]; NaN where none compares or the predicted sum is 0).
    """
    long = predicted_vs_actual(options, enterprises)
    cols = ["jurisdiction", "currency", "implemented", "with_actuals"]
    for short in SHORT.values():
        cols += [f"compared_{short}", f"predicted_{short}", f"actual_{short}", f"ratio_{short}"]
    if long.empty:
        return pd.DataFrame(columns=cols)
    long = long.assign(jurisdiction=long["enterprise_id"].map(_jurisdictions(enterprises)).fillna("none"),
                       currency=long["enterprise_id"].map(_currencies(enterprises)).fillna(""))
    rows = []
    for (jur, cur), part in long.groupby(["jurisdiction", "currency"], sort=True):
        tot = totals(part).set_index("figure")
        row: dict[str, object] = {"jurisdiction": jur, "currency": cur,
                                  "implemented": _count(part),
                                  "with_actuals": _count(part[part["figure"] != "-"])}
        for label, short in SHORT.items():
            have = label in tot.index
            row[f"compared_{short}"] = int(tot.loc[label, "options"]) if have else 0
            for k in ("predicted", "actual", "ratio"):
                row[f"{k}_{short}"] = float(tot.loc[label, k]) if have else np.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)
