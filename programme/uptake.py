"""Uptake decision rules, the logistic uptake curve of payback, its fit and its ROC AUC.

An enterprise takes an option up when its appraisal passes the enterprise's decision rule:

* ``payback``: simple payback at most ``payback_limit`` years (a payback that never happens fails);
* ``npv``: NPV > 0 (strictly, as the issue states);
* ``irr``: IRR at least ``hurdle`` (no IRR fails);
* ``logistic``: probability of uptake p = 1 / (1 + exp(-(intercept + slope * x))) with x the
  simple payback in years (or its natural log with ``transform="log"``); a payback that never
  happens gives the limit of p as x -> infinity (0 for a negative slope).

Deterministic rules give a probability of 0 or 1, so budgets are *expected* amounts throughout.

Deadweight (free riders): support paid to an option that would pass the rule without support.
With probabilities, an option taken up with support with probability p1 and without with p0
(p0 <= p1 when support shortens payback) is, on the usual monotone coupling of the two decisions,
a free rider with probability p0: expected support paid = p1 * S, expected deadweight = p0 * S
(with p0 capped at p1).

Fitting
-------
:func:`fit_logistic` maximises the binomial log-likelihood by Newton's method (iteratively
reweighted least squares) on a standardised feature, with step halving; :func:`roc_auc` is the
Mann-Whitney U statistic divided by n1 * n0 (ties count one half).

References
----------
.. [1] P. McCullagh, J. A. Nelder, "Generalized Linear Models", 2nd ed., Chapman & Hall, 1989,
   sec. 2.5 (iteratively reweighted least squares) and ch. 4 (binary data).
.. [2] J. A. Hanley, B. J. McNeil, "The meaning and use of the area under a receiver operating
   characteristic (ROC) curve", Radiology 143(1), 1982, 29-36 (AUC = Mann-Whitney U / (n1 n0)).
.. [3] US DOE Industrial Assessment Centers (ITAC) database, recommendations table (IMPSTATUS,
   IMPCOST, PSAVED), https://iac.university/ .
.. [4] European Commission, "Evaluation of State aid: deadweight and incentive effect", Common
   methodology for State aid evaluation, SWD(2014) 179 (deadweight: aid to projects that would have
   gone ahead without it).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "DecisionRule",
    "LogisticFit",
    "IacUptakeFit",
    "uptake_probability",
    "fit_logistic",
    "roc_auc",
    "iac_payback_table",
    "fit_iac_uptake",
    "IAC_UPTAKE_RULE",
]


def expit(x: Any) -> Any:
    """``scipy.special.expit`` (the logistic function), imported on first use: scipy.special takes
    about 0.3 s to import and only the logistic rule and fit need it, not every ``cpscreen budget``."""
    from scipy.special import expit as _expit

    return _expit(x)


RuleKind = Literal["payback", "npv", "irr", "logistic"]


@dataclass(frozen=True)
class DecisionRule:
    """An enterprise's decision rule for taking an option up.

    Attributes
    ----------
    kind : {"payback", "npv", "irr", "logistic"}
        See the module docstring.
    payback_limit : float
        Largest acceptable simple payback for ``kind="payback"``. [yr]
    hurdle : float
        Smallest acceptable IRR for ``kind="irr"``. [/1]
    intercept, slope : float
        Logistic parameters for ``kind="logistic"``: p = expit(intercept + slope * x). [/1], [1/yr]
        (or [/1] per unit of ln(yr) with ``transform="log"``)
    transform : {"none", "log"}
        Feature of the logistic curve: payback in years or its natural log (payback 0 is floored at
        ``log_floor`` years before the log).
    log_floor : float
        Smallest payback used before taking the log. [yr]
    """

    kind: RuleKind = "payback"
    payback_limit: float = 3.0
    hurdle: float = 0.10
    intercept: float = 0.0
    slope: float = -1.0
    transform: Literal["none", "log"] = "none"
    log_floor: float = 0.01

    def __post_init__(self) -> None:
        if self.kind not in ("payback", "npv", "irr", "logistic"):
            raise ValueError(f"decision rule kind {self.kind!r} is not one of payback, npv, irr, logistic")
        if self.transform not in ("none", "log"):
            raise ValueError(f"decision rule transform {self.transform!r} is not 'none' or 'log'")
        for name in ("payback_limit", "hurdle", "intercept", "slope", "log_floor"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"decision rule field {name!r} is {getattr(self, name)!r} (expected a finite number)")
        if self.log_floor <= 0:
            raise ValueError(f"decision rule field 'log_floor' is {self.log_floor!r} (expected > 0)")

    def to_dict(self) -> dict[str, object]:
        """The rule as a plain dict (JSON-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> "DecisionRule":
        """Build a rule from :meth:`to_dict` output; unknown keys are refused."""
        known = set(cls.__dataclass_fields__)
        extra = set(data) - known
        if extra:
            raise ValueError(f"decision rule: unknown field(s) {sorted(extra)} (expected some of {sorted(known)})")
        return cls(**data)  # type: ignore[arg-type]

    def feature(self, payback: np.ndarray) -> np.ndarray:
        """The logistic curve's feature of a payback [yr]; NaN (never pays back) stays NaN."""
        x = np.asarray(payback, dtype=float)
        if self.transform == "log":
            return np.log(np.maximum(x, self.log_floor))
        return x


def uptake_probability(
    rule: DecisionRule,
    *,
    payback: np.ndarray | None = None,
    npv: np.ndarray | None = None,
    irr: np.ndarray | None = None,
) -> np.ndarray:
    """Probability that each option is taken up under ``rule``.

    Parameters
    ----------
    rule : DecisionRule
    payback : numpy.ndarray, optional
        Simple payback; NaN where it never happens. [yr]
    npv : numpy.ndarray, optional
        Net present value. [currency]
    irr : numpy.ndarray, optional
        Internal rate of return; NaN where none exists. [/1]

    Returns
    -------
    numpy.ndarray
        Values in [0, 1]; exactly 0 or 1 for the deterministic rules. [/1]
    """
    def need(name: str, v: np.ndarray | None) -> np.ndarray:
        if v is None:
            raise ValueError(f"decision rule {rule.kind!r} needs the {name!r} metric")
        return np.asarray(v, dtype=float)

    if rule.kind == "payback":
        p = need("payback", payback)
        return (np.isfinite(p) & (p <= rule.payback_limit)).astype(float)
    if rule.kind == "npv":
        v = need("npv", npv)
        return (np.isfinite(v) & (v > 0)).astype(float)
    if rule.kind == "irr":
        v = need("irr", irr)
        return (np.isfinite(v) & (v >= rule.hurdle)).astype(float)
    x = rule.feature(need("payback", payback))
    never = 0.0 if rule.slope < 0 else (1.0 if rule.slope > 0 else float(expit(rule.intercept)))
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(x), expit(rule.intercept + rule.slope * np.nan_to_num(x)), never)


#: The logistic uptake curve of ln(payback) fitted on the US DOE IAC decisions (``bench/iac_uptake_fit.py``
#: on ``iac_recommendations_primary.parquet``, 134,217 implemented / not implemented recommendations,
#: seeded 70/30 split, run 2026-12-01): intercept -0.1352 (se 0.0067), slope -0.1651 (se 0.0044) per
#: ln(yr); held-out ROC AUC 0.581.  p = 0.47 at 1 yr, 0.42 at 3 yr, 0.38 at 8 yr [3]_.  The default of
#: ``cpscreen budget --rule logistic``.
IAC_UPTAKE_RULE: DecisionRule = DecisionRule("logistic", intercept=-0.13519280828158484, slope=-0.16508136101544194,
                                             transform="log")

@dataclass(frozen=True)
class LogisticFit:
    """Maximum-likelihood logistic regression of a binary outcome on one feature.

    Attributes
    ----------
    intercept, slope : float
        p = expit(intercept + slope * x).
    se_intercept, se_slope : float
        Standard errors from the inverse Fisher information.
    log_likelihood : float
        At the optimum. [/1]
    n : int
        Observations used.
    iterations : int
        Newton iterations.
    """

    intercept: float
    slope: float
    se_intercept: float
    se_slope: float
    log_likelihood: float
    n: int
    iterations: int

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Fitted probability at x. [/1]"""
        return expit(self.intercept + self.slope * np.asarray(x, dtype=float))


def _loglik(eta: np.ndarray, y: np.ndarray) -> float:
    # log p = -log(1 + e^-eta); log(1 - p) = -log(1 + e^eta)
    return float(-(y * np.logaddexp(0.0, -eta) + (1 - y) * np.logaddexp(0.0, eta)).sum())


def fit_logistic(x: np.ndarray, y: np.ndarray, *, tol: float = 1e-10, max_iter: int = 100) -> LogisticFit:
    """Fit p(y = 1 | x) = expit(a + b x) by Newton's method (IRLS).

    Parameters
    ----------
    x : numpy.ndarray
        Finite feature values.
    y : numpy.ndarray
        Outcomes, 0 or 1 (bool accepted).
    tol : float
        Convergence: largest absolute change of the standardised parameters.
    max_iter : int
        Iteration limit; exceeding it raises.

    Returns
    -------
    LogisticFit

    Raises
    ------
    ValueError
        On non-finite x, outcomes other than 0/1, a single class, a constant feature, complete
        separation (the likelihood has no maximum) or no convergence.

    References
    ----------
    McCullagh & Nelder 1989, sec. 2.5 [1]_.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D of equal length (got {x.shape} and {y.shape})")
    if not np.isfinite(x).all():
        raise ValueError(f"x has {int((~np.isfinite(x)).sum())} non-finite values (first at position {int(np.flatnonzero(~np.isfinite(x))[0])})")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must be 0/1")
    if y.min() == y.max():
        raise ValueError(f"y has a single class ({y[0]:g}); a logistic curve cannot be fitted")
    mu, sd = x.mean(), x.std()
    if sd == 0:
        raise ValueError("x is constant; a logistic curve cannot be fitted")
    X = np.column_stack([np.ones_like(x), (x - mu) / sd])
    beta = np.array([math.log(y.mean() / (1 - y.mean())), 0.0])
    ll = _loglik(X @ beta, y)
    for it in range(1, max_iter + 1):
        p = expit(X @ beta)
        w = p * (1 - p)
        grad = X.T @ (y - p)
        hess = (X * w[:, None]).T @ X
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as exc:
            raise ValueError("singular information matrix: the classes are (nearly) separated") from exc
        t = 1.0
        while True:
            cand = beta + t * step
            ll_new = _loglik(X @ cand, y)
            if ll_new >= ll - 1e-12 or t < 1e-8:
                break
            t /= 2
        beta, ll = cand, ll_new
        if np.abs(t * step).max() < tol:
            break
        if np.abs(beta[1]) > 50:
            raise ValueError("the classes are separated by x: the slope grows without bound")
    else:
        raise ValueError(f"logistic fit did not converge in {max_iter} iterations")
    p = expit(X @ beta)
    cov_std = np.linalg.inv((X * (p * (1 - p))[:, None]).T @ X)
    # back to the original scale: a = b0 - b1 mu / sd, b = b1 / sd
    J = np.array([[1.0, -mu / sd], [0.0, 1.0 / sd]])
    cov = J @ cov_std @ J.T
    a, b = J @ beta
    return LogisticFit(float(a), float(b), float(math.sqrt(cov[0, 0])), float(math.sqrt(cov[1, 1])), ll, int(len(x)), it)


def roc_auc(score: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for the positives ``y == 1``.

    AUC = (R1 - n1 (n1 + 1) / 2) / (n1 n0), R1 the sum of the positives' mid-ranks: the
    probability that a random positive scores above a random negative, ties counting one half.

    Parameters
    ----------
    score : numpy.ndarray
        Higher means more likely positive.
    y : numpy.ndarray
        0/1 outcomes.

    Returns
    -------
    float
        AUC in [0, 1]. [/1]

    References
    ----------
    Hanley & McNeil 1982 [2]_.
    """
    s = np.asarray(score, dtype=float)
    yy = np.asarray(y).astype(bool)
    if s.shape != yy.shape:
        raise ValueError(f"score and y differ in shape ({s.shape} vs {yy.shape})")
    if not np.isfinite(s).all():
        raise ValueError("score has non-finite values")
    n1 = int(yy.sum())
    n0 = int(len(yy) - n1)
    if n1 == 0 or n0 == 0:
        raise ValueError(f"AUC needs both classes (got {n1} positives and {n0} negatives)")
    from scipy.stats import rankdata  # scipy.stats takes ~3 s to import; only this needs it (issue 11)

    r = rankdata(s)
    return float((r[yy].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def iac_payback_table(recommendations: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Implemented / not implemented IAC recommendations with their simple payback.

    Parameters
    ----------
    recommendations : pandas.DataFrame
        With ``impstatus``, ``impcost`` [USD] and ``psaved`` [USD/yr] (lower-case IAC RECC names,
        as in ``iac_recommendations_primary.parquet``; upper-case names are accepted), and ``fy``.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``implemented`` (bool), ``payback`` [yr], ``impcost``, ``psaved``, ``fy``.
    counts : dict
        Rows read and dropped, by reason.

    Notes
    -----
    * IMPSTATUS I -> implemented, N -> not; P (pending), K (unknown) and blank are dropped.
    * Missing IMPCOST or PSAVED: dropped (no payback can be formed).
    * PSAVED <= 0: dropped; the measure never pays back on its primary stream (only the primary
      saving is in this table, so many of these save on another stream).
    * IMPCOST < 0 (the measure saves capital): payback 0. IMPCOST = 0: payback 0.

    References
    ----------
    US DOE ITAC database [3]_.
    """
    d = recommendations.rename(columns=str.lower)
    for col in ("impstatus", "impcost", "psaved"):
        if col not in d.columns:
            raise ValueError(f"IAC recommendations have no column {col!r}")
    status = d["impstatus"].astype("string").str.strip().str.upper()
    cost = pd.to_numeric(d["impcost"], errors="coerce").astype(float)
    saved = pd.to_numeric(d["psaved"], errors="coerce").astype(float)
    counts = {"rows": int(len(d))}
    decided = status.isin(["I", "N"]).fillna(False).to_numpy(dtype=bool)
    counts["dropped_status_not_I_or_N"] = int((~decided).sum())
    missing = decided & (cost.isna() | saved.isna()).to_numpy()
    counts["dropped_missing_cost_or_saving"] = int(missing.sum())
    nonpos = decided & ~missing & (saved <= 0).to_numpy()
    counts["dropped_saving_not_positive"] = int(nonpos.sum())
    keep = decided & ~missing & ~nonpos
    c = cost.to_numpy()[keep]
    counts["negative_cost_payback_0"] = int((c < 0).sum())
    out = pd.DataFrame({
        "implemented": (status.to_numpy()[keep] == "I"),
        "payback": np.maximum(c, 0.0) / saved.to_numpy()[keep],
        "impcost": c,
        "psaved": saved.to_numpy()[keep],
        "fy": pd.to_numeric(d["fy"], errors="coerce").to_numpy()[keep] if "fy" in d.columns else np.nan,
    })
    counts["used"] = int(len(out))
    return out, counts


@dataclass(frozen=True)
class IacUptakeFit:
    """The uptake curve fitted on IAC decisions and its held-out discrimination.

    Attributes
    ----------
    rule : DecisionRule
        ``kind="logistic"`` with the fitted parameters, ready for :func:`uptake_probability`.
    fit : LogisticFit
        The fit on the training split.
    auc_test : float
        ROC AUC of the fitted probability on the held-out split. [/1]
    auc_train : float
        Same on the training split. [/1]
    n_train, n_test : int
    counts : dict
        Rows read and dropped (see :func:`iac_payback_table`).
    split : str
        How the split was made.
    """

    rule: DecisionRule
    fit: LogisticFit
    auc_test: float
    auc_train: float
    n_train: int
    n_test: int
    counts: dict[str, int] = field(default_factory=dict)
    split: str = ""

    def summary(self) -> dict[str, object]:
        """Plain-dict report of the fit."""
        return {
            "intercept": self.fit.intercept, "slope": self.fit.slope,
            "se_intercept": self.fit.se_intercept, "se_slope": self.fit.se_slope,
            "transform": self.rule.transform, "auc_test": self.auc_test, "auc_train": self.auc_train,
            "n_train": self.n_train, "n_test": self.n_test, "split": self.split, **self.counts,
        }


def fit_iac_uptake(
    recommendations: pd.DataFrame | str | Path,
    *,
    transform: Literal["none", "log"] = "none",
    test_share: float = 0.3,
    seed: int = 20261123,
    split_year: int | None = None,
    log_floor: float = 0.01,
) -> IacUptakeFit:
    """Fit the logistic uptake curve of payback on IAC decisions; AUC on a held-out split.

    Parameters
    ----------
    recommendations : pandas.DataFrame or path
        The IAC recommendations (e.g. ``iac_recommendations_primary.parquet``).
    transform : {"none", "log"}
        Feature: payback in years, or its log (floored at ``log_floor`` years).  The AUC of a
        one-feature logistic curve is the same for both (a monotone map of the score); the
        likelihood and calibration differ.
    test_share : float
        Held-out share for the seeded random split. [/1]
    seed : int
        Seed of the random split.
    split_year : int, optional
        If given, train on fiscal years before it and test on it and later (instead of random).
    log_floor : float
        See :class:`DecisionRule`. [yr]

    Returns
    -------
    IacUptakeFit

    References
    ----------
    US DOE ITAC database [3]_; Hanley & McNeil 1982 [2]_.
    """
    if isinstance(recommendations, (str, Path)):
        recommendations = pd.read_parquet(recommendations)
    table, counts = iac_payback_table(recommendations)
    if split_year is not None:
        test = (table["fy"] >= split_year).to_numpy()
        split = f"train fy < {split_year}, test fy >= {split_year}"
    else:
        if not 0 < test_share < 1:
            raise ValueError(f"test_share is {test_share!r} (expected 0 < share < 1)")
        rng = np.random.default_rng(seed)
        test = rng.random(len(table)) < test_share
        split = f"seeded random {1 - test_share:.0%}/{test_share:.0%} (seed {seed})"
    rule0 = DecisionRule(kind="logistic", transform=transform, log_floor=log_floor)
    x = rule0.feature(table["payback"].to_numpy())
    y = table["implemented"].to_numpy()
    fit = fit_logistic(x[~test], y[~test])
    rule = DecisionRule(kind="logistic", intercept=fit.intercept, slope=fit.slope, transform=transform, log_floor=log_floor)
    return IacUptakeFit(
        rule=rule, fit=fit,
        auc_test=roc_auc(fit.predict(x[test]), y[test]),
        auc_train=roc_auc(fit.predict(x[~test]), y[~test]),
        n_train=int((~test).sum()), n_test=int(test.sum()), counts=counts, split=split,
    )
