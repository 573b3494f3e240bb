"""The ``observed`` profile: what plants like yours implemented (US DOE IAC decisions).

A logistic model of the odds that a plant implemented a recommendation, fitted on the US DOE
Industrial Assessment Centers' decisions of fiscal years before 2010 and reported on FY2010
onwards (``scripts/fit_observed_profile.py`` fits it and writes ``observed_profile.json``).  It
reads only import-format fields (DESIGN.md section 2), never the outcome or the status:

* investment and net yearly savings (``annual_savings - annual_cost_change``), converted to USD at
  the dated rates of :mod:`screening.fx`, as ``log10(1 + amount)``; the pre-tax simple payback
  as ``log10(payback + 0.01)`` (0 and a flag where it never happens); whether the investment is 0;
* step terms ``log10(1 + investment) >= e`` and ``log10(payback + 0.01) >= e`` at the training
  deciles, so the weights follow the observed shape rather than a straight line;
* the enterprise's size class; whether the option saves energy, waste or water;
* the category, where known: an option imported from IAC without an ARC code (blank ``arc_code``)
  has an assumed category and gets no category term, as in the fit.

The score ``observed_uptake`` is the fitted probability [/1]; the profile ranks by it alone, so
its order is the model's and its ROC AUC on the held-out years is the profile's.  The weights are
a description of what plants did, not advice: the default profile values the environment.

References
----------
.. [1] US DOE Industrial Assessment Centers (ITAC) database, recommendations FY1981-2025 with
   implementation status (https://iac.university/).
.. [2] Hosmer, D. W., Lemeshow, S. (2000), Applied Logistic Regression, 2nd ed., Wiley: the
   Newton-Raphson (iteratively reweighted least squares) fit used by :func:`fit_logistic`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from screening.cost_classes import pack_cost_classes
from screening.fx import factor, rates

#: The fitted model shipped with the package.
MODEL_FILE: Path = Path(__file__).with_name("observed_profile.json")
#: Name of the derived criterion column.
COLUMN = "observed_uptake"
SIZES = ("micro", "small", "medium")  # large is the base level
CATEGORIES = ("good_housekeeping", "input_substitution", "process_control", "equipment_modification",
              "technology_change", "onsite_recovery", "byproduct", "product_modification", "end_of_pipe")
BASE_FEATURES = ("log_investment_usd", "log_net_savings_usd", "log_payback", "payback_never", "investment_zero",
                 *(f"size_{s}" for s in SIZES), "energy_effect", "waste_effect", "water_effect",
                 *(f"category_{c}" for c in CATEGORIES))


def _enterprise_columns(options: pd.DataFrame, enterprises: pd.DataFrame | None, cols: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Each column per option: the option's own where it has one, else its enterprise's (one join)."""
    out: dict[str, np.ndarray] = {}
    pos = None
    for col in cols:
        if col in options.columns:
            out[col] = options[col].astype("object").to_numpy()
        elif enterprises is not None and col in enterprises.columns and "enterprise_id" in options.columns:
            if pos is None:
                from policies.join import enterprise_rows  # one hash join per options (in a join.one_join block)

                ents, pos = enterprise_rows(options, enterprises)
            values = np.append(ents[col].astype("object").to_numpy(), None)  # -1 (no enterprise) -> None
            out[col] = values[pos]
        else:
            out[col] = np.full(len(options), None, dtype=object)
    return out


def _num(options: pd.DataFrame, col: str, default: float = np.nan) -> np.ndarray:
    if col not in options.columns:
        return np.full(len(options), default)
    return pd.to_numeric(options[col], errors="coerce").astype("float64").to_numpy()


def _usd(currency: np.ndarray, pack: np.ndarray) -> np.ndarray:
    """USD per unit of each option's currency (its pack's where none is given); NaN where unknown. [USD/currency]"""
    packs = pack_cost_classes()
    per = {c: factor(c, "USD") for c in rates()}
    cc, cu = pd.factorize(pd.Series(currency, dtype="object"), use_na_sentinel=False)
    pc, pu = pd.factorize(pd.Series(pack, dtype="object"), use_na_sentinel=False)
    table = np.full((len(cu), len(pu)), np.nan)
    for i, c in enumerate(cu):  # few distinct (currency, pack) pairs
        for j, p in enumerate(pu):
            cur = c if isinstance(c, str) and c else (packs[p].currency if isinstance(p, str) and p in packs else None)
            table[i, j] = per.get(cur, np.nan) if cur else np.nan
    return table[cc, pc]


def base_features(options: pd.DataFrame, enterprises: pd.DataFrame | None = None) -> pd.DataFrame:
    """The model's inputs from the import-format fields (see the module text); one row per option."""
    return pd.DataFrame(_base_arrays(options, enterprises), index=options.index)


def _base_arrays(options: pd.DataFrame, enterprises: pd.DataFrame | None) -> dict[str, np.ndarray]:
    ent = _enterprise_columns(options, enterprises, ("currency", "jurisdiction", "size_class"))
    usd = _usd(ent["currency"], ent["jurisdiction"])
    inv = _num(options, "investment") * usd
    net = (_num(options, "annual_savings") - np.nan_to_num(_num(options, "annual_cost_change", 0.0))) * usd
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = np.where(net > 0, inv / net, np.nan)
        out = {
            "log_investment_usd": np.log10(1.0 + np.clip(inv, 0.0, None)),
            "log_net_savings_usd": np.log10(1.0 + np.clip(net, 0.0, None)),
            "log_payback": np.where(np.isnan(payback), 0.0, np.log10(np.nan_to_num(payback, nan=0.0) + 0.01)),
            "payback_never": np.where(np.isnan(net), np.nan, np.isnan(payback).astype(float)),
            "investment_zero": np.where(np.isnan(inv), np.nan, (inv == 0).astype(float)),
        }
    size = ent["size_class"].astype(str)
    for s in SIZES:
        out[f"size_{s}"] = (size == s).astype(float)
    for name, col in (("energy", "energy_saved_mwh"), ("waste", "waste_avoided_t"), ("water", "water_saved_m3")):
        out[f"{name}_effect"] = (np.nan_to_num(_num(options, col, 0.0)) > 0).astype(float)
    cat = options["category"].astype(str).to_numpy() if "category" in options.columns else np.full(len(options), "")
    known = np.ones(len(options), bool)
    if "arc_code" in options.columns:  # an IAC option without an ARC code: the category is assumed
        arc = options["arc_code"]
        known = (arc.notna() & (arc.astype(str).str.strip() != "")).to_numpy()
    for c in CATEGORIES:
        out[f"category_{c}"] = ((cat == c) & known).astype(float)
    return out


def term_names(steps: dict[str, list[float]]) -> list[str]:
    """Names of the design matrix's columns: the base features then ``feature>=edge``."""
    return list(BASE_FEATURES) + [f"{feat}>={e:.6g}" for feat, edges in steps.items() for e in edges]


def design(base: pd.DataFrame, steps: dict[str, list[float]]) -> tuple[np.ndarray, list[str]]:
    """Design matrix: the base features then the step terms ``feature >= edge``."""
    cols = [base[c].to_numpy(dtype="float64") for c in BASE_FEATURES]
    names = list(BASE_FEATURES)
    for feat, edges in steps.items():
        v = base[feat].to_numpy(dtype="float64")
        for e in edges:
            cols.append(np.where(np.isnan(v), np.nan, (v >= e).astype(float)))
            names.append(f"{feat}>={e:.6g}")
    return np.column_stack(cols), names


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0, tol: float = 1e-10, max_iter: int = 50) -> tuple[float, np.ndarray]:
    """Ridge-penalised logistic regression by Newton-Raphson (IRLS) [2]_.

    Maximises ``sum(y log p + (1 - y) log(1 - p)) - l2 / 2 * |beta|^2`` with ``p = 1 / (1 +
    exp(-(b0 + X beta)))``; the intercept ``b0`` is not penalised.

    Parameters
    ----------
    X : ndarray, shape (n, k)
        Features (finite). [various]
    y : ndarray of bool, shape (n,)
        Outcome (True = implemented).
    l2 : float
        Ridge penalty. [/1]

    Returns
    -------
    intercept : float
    coefficients : ndarray, shape (k,)

    Raises
    ------
    ValueError
        If X holds a non-finite value or the fit does not converge.
    """
    if not np.isfinite(X).all():
        raise ValueError("fit_logistic: X holds NaN or infinite values")
    n, k = X.shape
    A = np.column_stack([np.ones(n), X])
    beta = np.zeros(k + 1)
    pen = np.full(k + 1, l2)
    pen[0] = 0.0
    yy = y.astype(float)
    for _ in range(max_iter):
        eta = A @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        grad = A.T @ (yy - p) - pen * beta
        w = p * (1.0 - p)
        H = (A * w[:, None]).T @ A + np.diag(pen)
        step = np.linalg.solve(H, grad)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            return float(beta[0]), beta[1:]
    raise ValueError(f"fit_logistic: no convergence in {max_iter} Newton steps")


def roc_auc(score: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC by the Mann-Whitney rank sum (ties count one half)."""
    from scipy.stats import rankdata  # scipy.stats takes ~1 s to import: only the fit's report needs it, not a ranking

    positive = np.asarray(positive, bool)
    r = rankdata(score)
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    if n1 == 0 or n0 == 0:
        raise ValueError("roc_auc: needs both outcomes")
    return float((r[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


@lru_cache(maxsize=2)
def load_model(path: str = str(MODEL_FILE)) -> dict:
    """The fitted model (``observed_profile.json``)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def observed_uptake(options: pd.DataFrame, enterprises: pd.DataFrame | None = None, model: dict | None = None) -> pd.Series:
    """Probability that a plant like this implements the option, by the fitted IAC model. [/1]

    NaN where investment, savings or the currency's rate is missing.
    """
    model = load_model() if model is None else model
    names = term_names(model["steps"])
    if names != [t["term"] for t in model["terms"]]:
        raise ValueError(f"{MODEL_FILE.name}: its terms differ from the features this code builds; refit it")
    base = _base_arrays(options, enterprises)
    coef = iter(t["coef"] for t in model["terms"])
    eta = np.full(len(options), float(model["intercept"]))
    for c in BASE_FEATURES:  # the design matrix's product, column by column (no n x k matrix)
        eta += next(coef) * np.asarray(base[c], dtype="float64")
    for feat, edges in model["steps"].items():
        v = np.asarray(base[feat], dtype="float64")
        for e in edges:
            eta += next(coef) * np.where(np.isnan(v), np.nan, v >= e)
    return pd.Series(1.0 / (1.0 + np.exp(-eta)), index=options.index, name=COLUMN, dtype="float64")
