"""The default profile values the environment; the ``observed`` profile is fitted on IAC decisions.

Checked against: scikit-learn's logistic regression and ROC AUC (a second implementation); a hand
count of the AUC's pairs; the demo data with the two options of issue 15 (powder coating that
avoids 300 t CO2e, a thermal oxidiser that loses 20 000 EUR a year); and, where ../shared holds
the IAC tables, a recomputation of the shipped held-out AUC through the ranking itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from screening.criteria import PROFILE_HELP, PROFILES
from screening.fx import factor
from screening.observed import base_features, fit_logistic, load_model, observed_uptake, roc_auc
from screening.rank import rank_options
from screening.schema import validate
from tests.conftest import IAC

ROOT = Path(__file__).resolve().parents[2]


def test_roc_auc_by_hand_and_against_sklearn():
    assert roc_auc(np.array([1.0, 2.0, 3.0, 4.0]), np.array([False, True, False, True])) == 0.75  # 3 of 4 pairs
    assert roc_auc(np.array([1.0, 1.0]), np.array([False, True])) == 0.5  # a tie counts one half
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    s, y = rng.normal(size=500), rng.random(500) < 0.4
    assert roc_auc(s, y) == pytest.approx(metrics.roc_auc_score(y, s), abs=1e-12)


def test_fit_logistic_agrees_with_sklearn():
    lm = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(7)
    X = rng.normal(size=(2000, 3))
    y = rng.random(2000) < 1 / (1 + np.exp(-(0.3 + X @ np.array([1.0, -0.5, 0.0]))))
    b0, beta = fit_logistic(X, y, l2=2.0)
    ref = lm.LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000).fit(X, y)
    assert b0 == pytest.approx(ref.intercept_[0], abs=1e-5)
    assert beta == pytest.approx(ref.coef_[0], abs=1e-5)
    with pytest.raises(ValueError, match="NaN"):
        fit_logistic(np.array([[np.nan]]), np.array([True]))


def _demo_with_the_issues_two_options():
    o = pd.concat([pd.read_csv(ROOT / "data" / "demo_options.csv"), pd.read_csv(ROOT / "tests" / "cases" / "powder_vs_oxidiser.csv")])
    v = validate(pd.read_csv(ROOT / "data" / "demo_enterprises.csv"), o)
    return v.options, v.enterprises


def test_default_ranks_powder_coating_above_the_loss_making_thermal_oxidiser():
    o, e = _demo_with_the_issues_two_options()
    nl = o[o["enterprise_id"] == "nl_plating"]
    table = rank_options(nl, e, profile="default").table.set_index("option_id")
    assert table.loc["NL-PC", "rank"] < table.loc["NL-TO", "rank"]
    # the weights the profile says: environment as heavy as economics, technical a third
    crit = {c.column: c.weight for c in rank_options(nl, e, profile="default").criteria}
    env = sum(crit.get(c, 0) for c in ("energy_saved_mwh", "co2e_avoided_t", "waste_avoided_t", "water_saved_m3",
                                       "elf_reduction", "hierarchy_score"))
    assert env == pytest.approx(1 / 3)
    assert crit["simple_payback_pretax_years"] + crit["net_annual_savings"] + crit["investment"] == pytest.approx(1 / 3)
    # the weights the default had before (environment 3.5 %, economics 66.5 %) put the oxidiser first
    old = [g.__class__(g.name, w, g.columns, g.first_present_only) for g, w in
           zip(PROFILES["handbook"], (0.035, 0.3325, 0.3325, 0.15, 0.15))]
    before = rank_options(nl, e, profile=old).table.set_index("option_id")
    assert before.loc["NL-TO", "rank"] < before.loc["NL-PC", "rank"]
    assert "UNEP/UNIDO" in PROFILE_HELP["default"] and "IAC" in PROFILE_HELP["observed"]


def test_observed_reads_no_status_and_converts_currency_at_the_dated_rate():
    o, e = _demo_with_the_issues_two_options()
    u = observed_uptake(o, e)
    assert u.notna().all() and ((u > 0) & (u < 1)).all()
    flipped = o.assign(status="implemented")
    assert observed_uptake(flipped, e).tolist() == u.tolist()
    # the same plant keeping its books in USD, amounts converted by hand at the ECB rates: same uptake
    dk = o[o["enterprise_id"] == "dk_dairy"].copy()
    usd_per_dkk = 1.0411 / 7.4583  # ECB 2025-02-28: USD and DKK per EUR
    assert factor("DKK", "USD") == pytest.approx(usd_per_dkk)
    in_usd = dk.assign(**{c: dk[c] * usd_per_dkk for c in ("investment", "annual_savings", "annual_cost_change")})
    e_usd = e.assign(currency=np.where(e["enterprise_id"] == "dk_dairy", "USD", e["currency"]))
    assert observed_uptake(in_usd, e_usd).to_numpy() == pytest.approx(observed_uptake(dk, e).to_numpy(), rel=1e-9)
    assert base_features(dk, e)["size_medium"].eq(1).all()


def test_shipped_model_records_its_split_and_beats_the_best_single_criterion():
    m = load_model()
    assert (m["fitted_on"], m["reported_on"]) == ("FY < 2010", "FY >= 2010")
    assert m["auc_test"] > max(m["auc_test_single"].values())
    assert m["auc_test"] >= 0.58  # aim 0.60 not reached with import-format fields (see the fit script's output)


def test_held_out_auc_recomputed_through_the_observed_ranking():
    if not (IAC / "iac_recommendations_primary.parquet").exists():
        pytest.skip(f"shared IAC tables not found at {IAC} (set CPSCREEN_SHARED or place ../shared)")
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from fit_observed_profile import decided

    ent, opt, fy = decided(IAC)
    y = (opt["status"] == "implemented").to_numpy()
    test = fy >= 2010
    ranked = rank_options(opt[test].reset_index(drop=True), ent, profile="observed")
    assert roc_auc(ranked.table["score"].to_numpy(), y[test]) == pytest.approx(load_model()["auc_test"], abs=1e-9)
