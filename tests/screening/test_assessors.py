"""Several assessors: combining scores, Kendall's W (by hand and against Friedman's test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import friedmanchisquare

from screening.assessors import agreement, apply_scores, combine_scores, kendalls_w


def long(table: dict[str, list[float]], criterion: str = "technical_feasibility", ent: str = "E1") -> pd.DataFrame:
    rows = []
    for assessor, scores in table.items():
        for i, s in enumerate(scores):
            rows.append({"enterprise_id": ent, "option_id": f"o{i}", "assessor": assessor, "criterion": criterion, "score": s})
    return pd.DataFrame(rows)


def test_kendalls_w_by_hand_without_ties():
    # 3 assessors rank 4 options: ranks (1,2,3,4), (1,3,2,4), (2,1,3,4)
    # rank sums R = 4, 6, 8, 12; mean m(n+1)/2 = 7.5; S = 12.25 + 2.25 + 0.25 + 20.25 = 35
    # W = 12 S / (m^2 (n^3 - n)) = 420 / (9 * 60) = 0.7777...
    x = np.array([[1, 2, 3, 4], [1, 3, 2, 4], [2, 1, 3, 4]], dtype=float)
    assert kendalls_w(x) == pytest.approx(420 / 540)


def test_kendalls_w_equals_friedman_statistic_over_m_n_minus_1_with_ties():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 11, size=(5, 8)).astype(float)  # ties likely on a 1..10 scale
    chi2 = friedmanchisquare(*x.T).statistic
    assert kendalls_w(x) == pytest.approx(chi2 / (5 * (8 - 1)))


def test_complete_agreement_and_reversal():
    assert kendalls_w(np.array([[1, 5, 9], [2, 6, 10]])) == pytest.approx(1.0)
    assert kendalls_w(np.array([[1, 2, 3], [3, 2, 1]])) == pytest.approx(0.0)
    assert np.isnan(kendalls_w(np.array([[5, 5, 5], [5, 5, 5]])))


def test_combine_mean_and_median_and_apply():
    s = long({"ann": [8, 2, 5], "bob": [6, 4, 5], "cy": [10, 9, 5]})
    mean = combine_scores(s, "mean").set_index("option_id")
    median = combine_scores(s, "median").set_index("option_id")
    assert mean.loc["o0", "technical_feasibility"] == pytest.approx(8.0)
    assert mean.loc["o1", "technical_feasibility"] == pytest.approx(5.0)
    assert median.loc["o1", "technical_feasibility"] == pytest.approx(4.0)
    assert mean.loc["o0", "n_assessors"] == 3
    opts = pd.DataFrame({"enterprise_id": ["E1", "E1", "E1", "E1"], "option_id": ["o0", "o1", "o2", "o9"],
                         "technical_feasibility": [1.0, 1.0, 1.0, 7.0]})
    out = apply_scores(opts, median.reset_index())
    assert list(out["technical_feasibility"]) == [8.0, 4.0, 5.0, 7.0]


def test_agreement_reports_w_and_the_most_disputed_options():
    s = long({"ann": [8, 2, 5, 7], "bob": [7, 3, 5, 9], "cy": [9, 10, 5, 8]})
    conc, disputed = agreement(s, top=2)
    assert conc.loc[0, "n_assessors"] == 3 and conc.loc[0, "n_options"] == 4
    x = np.array([[8, 2, 5, 7], [7, 3, 5, 9], [9, 10, 5, 8]], dtype=float)
    assert conc.loc[0, "kendalls_w"] == pytest.approx(kendalls_w(x))
    assert list(disputed["option_id"]) == ["o1", "o0"]  # o1 scored 2, 3, 10
    assert disputed.loc[0, "spread"] == pytest.approx(np.std([2, 3, 10]))


def test_bad_scores_name_row_field_and_reason():
    s = long({"ann": [8, 11]})
    with pytest.raises(ValueError, match=r"row 3, field score: 11 is not a number within 1..10"):
        combine_scores(s)
    s = pd.concat([long({"ann": [8]}), long({"ann": [7]})], ignore_index=True)
    with pytest.raises(ValueError, match="scored option 'o0' on 'technical_feasibility' more than once"):
        agreement(s)
    with pytest.raises(ValueError, match="expected 'mean' or 'median'"):
        combine_scores(long({"a": [1]}), "mode")
