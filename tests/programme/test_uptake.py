"""Decision rules, logistic fit and ROC AUC: hand values, second methods, the IAC reference fit."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from programme.uptake import (
    DecisionRule,
    fit_iac_uptake,
    fit_logistic,
    iac_payback_table,
    roc_auc,
    uptake_probability,
)

IAC = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "iac"


def brute_auc(s, y):
    pos = [a for a, t in zip(s, y) if t]
    neg = [a for a, t in zip(s, y) if not t]
    hits = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return hits / (len(pos) * len(neg))


def test_auc_hand_case():
    # positives 3, 2 (tie with a negative), negatives 2, 1: pairs 3>2, 3>1, 2=2 (1/2), 2>1 -> 3.5/4
    assert roc_auc(np.array([3, 2, 2, 1]), np.array([1, 1, 0, 0])) == pytest.approx(0.875)


@pytest.mark.parametrize("seed", range(10))
def test_auc_matches_pairwise_count(seed):
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 6, 60).astype(float)  # many ties
    y = rng.random(60) < 0.4
    assert roc_auc(s, y) == pytest.approx(brute_auc(s, y), abs=1e-12)


def test_auc_on_an_iac_sample_matches_pairwise_count():
    path = IAC / "iac_recommendations_primary.parquet"
    if not path.exists():
        pytest.skip(f"shared IAC data not found at {path}")
    t, _ = iac_payback_table(pd.read_parquet(path))
    sample = t.sample(400, random_state=3)
    s, y = -sample["payback"].to_numpy(), sample["implemented"].to_numpy()
    assert roc_auc(s, y) == pytest.approx(brute_auc(s, y), abs=1e-12)


def test_logistic_fit_matches_direct_likelihood_maximisation():
    rng = np.random.default_rng(7)
    x = rng.exponential(3.0, 2000)
    y = rng.random(2000) < 1 / (1 + np.exp(-(1.0 - 0.5 * x)))
    f = fit_logistic(x, y)

    def nll(b):
        eta = b[0] + b[1] * x
        return np.sum(np.logaddexp(0, eta) - y * eta)

    ref = minimize(nll, [0.0, 0.0], method="BFGS", options={"gtol": 1e-9})
    assert f.intercept == pytest.approx(ref.x[0], abs=1e-4)
    assert f.slope == pytest.approx(ref.x[1], abs=1e-4)
    assert f.log_likelihood == pytest.approx(-ref.fun, rel=1e-9)


def test_logistic_fit_recovers_parameters_on_large_sample():
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 10, 200_000)
    y = rng.random(x.size) < 1 / (1 + np.exp(-(2.0 - 0.6 * x)))
    f = fit_logistic(x, y)
    assert abs(f.intercept - 2.0) < 4 * f.se_intercept
    assert abs(f.slope + 0.6) < 4 * f.se_slope


def test_logistic_fit_refuses_separation_and_single_class():
    with pytest.raises(ValueError, match="separated"):
        fit_logistic(np.arange(10.0), np.arange(10) >= 5)
    with pytest.raises(ValueError, match="single class"):
        fit_logistic(np.arange(10.0), np.zeros(10))


def test_deterministic_rules():
    pb = np.array([1.0, 3.0, 3.5, np.nan])
    assert uptake_probability(DecisionRule("payback", payback_limit=3), payback=pb).tolist() == [1, 1, 0, 0]
    assert uptake_probability(DecisionRule("npv"), npv=np.array([-1, 0, 1.0])).tolist() == [0, 0, 1]
    assert uptake_probability(DecisionRule("irr", hurdle=0.1), irr=np.array([0.1, 0.09, np.nan])).tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match="needs the 'npv' metric"):
        uptake_probability(DecisionRule("npv"), payback=pb)


def test_logistic_rule_by_hand():
    r = DecisionRule("logistic", intercept=1.0, slope=-0.5)
    p = uptake_probability(r, payback=np.array([2.0, 4.0, np.nan]))
    # expit(0) = 0.5; expit(-1) = 1 / (1 + e) = 0.268941...; never pays back -> 0
    assert p == pytest.approx([0.5, 0.2689414213699951, 0.0])
    rl = DecisionRule("logistic", intercept=0.0, slope=-1.0, transform="log")
    assert uptake_probability(rl, payback=np.array([1.0, 0.0])) == pytest.approx([0.5, 1 / (1 + 0.01)])


def test_rule_round_trip_and_unknown_key():
    r = DecisionRule("logistic", intercept=0.3, slope=-0.2, transform="log")
    assert DecisionRule.from_dict(r.to_dict()) == r
    with pytest.raises(ValueError, match="unknown field"):
        DecisionRule.from_dict({"kind": "npv", "hurdel": 0.1})


def test_iac_table_rules_by_hand():
    d = pd.DataFrame({"IMPSTATUS": ["I", "N", "P", "K", None, "I", "N", "I"],
                      "IMPCOST": [100, 200, 1, 1, 1, None, 50, -10],
                      "PSAVED": [50, 100, 1, 1, 1, 5, 0, 10], "FY": [2000] * 8})
    t, c = iac_payback_table(d)
    assert t["payback"].tolist() == [2.0, 2.0, 0.0]
    assert t["implemented"].tolist() == [True, False, True]
    assert c == {"rows": 8, "dropped_status_not_I_or_N": 3, "dropped_missing_cost_or_saving": 1,
                 "dropped_saving_not_positive": 1, "negative_cost_payback_0": 1, "used": 3}


@pytest.mark.slow
def test_uptake_fit_on_full_iac_table():
    path = IAC / "iac_recommendations_primary.parquet"
    if not path.exists():
        pytest.skip(f"shared IAC data not found at {path}")
    f = fit_iac_uptake(path, transform="log")
    print("IAC uptake fit:", f.summary())
    # implemented measures have shorter paybacks: negative slope, better than chance on held-out data
    assert f.fit.slope < 0
    assert f.fit.slope + 4 * f.fit.se_slope < 0
    assert 0.5 < f.auc_test < 1
    assert f.n_train + f.n_test == f.counts["used"]
