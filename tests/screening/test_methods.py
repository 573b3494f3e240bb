"""Each MCDA method against independent published values (tests/cases/screening/*.json), the
handbook weighted-sum scoring against a hand calculation, tie-breaking and input treatment."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skcriteria as skc
from skcriteria.agg.simple import WeightedSumModel
from skcriteria.pipelines import mkpipe
from skcriteria.preprocessing.invert_objectives import MinMaxInverter

from screening.criteria import Criterion
from screening.mcda import evaluate, prepare, tie_break_rank

CASES = Path(__file__).resolve().parents[1] / "cases" / "screening"


def load(name: str) -> tuple[dict, pd.DataFrame, list[Criterion]]:
    case = json.loads((CASES / name).read_text())
    frame = pd.DataFrame(case["matrix"], columns=case["criteria"], dtype=float)
    frame.insert(0, "option_id", case["alternatives"])
    crit = [Criterion(c, d, float(w)) for c, d, w in zip(case["criteria"], case["directions"], case["weights"])]
    return case, frame, crit


def test_wsm_reproduces_wikipedia_weighted_sum_example():
    case, frame, crit = load("wsm_wikipedia.json")
    res = evaluate(prepare(frame, crit), "wsm", "none")
    np.testing.assert_allclose(res.score, case["expected_score"], atol=case["tolerance"])
    # contributions sum to the score
    np.testing.assert_allclose(res.contributions.sum(axis=1), res.score)


def test_wpm_reproduces_wikipedia_weighted_product_ratios():
    case, frame, crit = load("wpm_wikipedia.json")
    res = evaluate(prepare(frame, crit), "wpm")
    ids = case["alternatives"]
    for pair, expected in case["expected_ratios"].items():
        a, b = pair.split("/")
        ratio = 10 ** (res.score[ids.index(a)] - res.score[ids.index(b)])
        assert ratio == pytest.approx(expected, abs=case["tolerance"])
    assert [ids[i] for i in np.argsort(res.rank)] == ["A1", "A2", "A3"]


def test_topsis_reproduces_hwang_yoon_fighter_aircraft():
    case, frame, crit = load("topsis_hwang_yoon_1981.json")
    res = evaluate(prepare(frame, crit), "topsis")  # default scaling: vector
    assert res.scaling == "vector"
    np.testing.assert_allclose(res.score, case["expected_closeness"], atol=case["tolerance"])
    assert [case["alternatives"][i] for i in np.argsort(res.rank)] == case["expected_order"]


@pytest.mark.parametrize("name", ["vikor_opricovic_tzeng_2004.json", "vikor_opricovic_tzeng_2007.json"])
def test_vikor_reproduces_opricovic_tzeng(name):
    case, frame, crit = load(name)
    res = evaluate(prepare(frame, crit), "vikor")
    assert res.score_direction == "lower_is_better"
    np.testing.assert_allclose(res.score, case["expected_Q"], atol=case["tolerance"])
    order = [case["alternatives"][i] for i in np.argsort(res.rank)]
    if "expected_order" in case:
        assert order == case["expected_order"]
    else:
        assert order[0] == case["expected_best"]


def test_handbook_weighted_sum_on_a_hand_calculated_case():
    # Three options; payback [yr] (min), CO2e avoided [t/yr] (max), feasibility (max).
    frame = pd.DataFrame(
        {
            "option_id": ["a", "b", "c"],
            "payback": [1.0, 3.0, 5.0],
            "co2": [10.0, 40.0, 20.0],
            "feas": [8.0, 6.0, 4.0],
        }
    )
    crit = [Criterion("payback", "min", 3), Criterion("co2", "max", 5), Criterion("feas", "max", 2)]
    # Weights normalised: 0.3, 0.5, 0.2.  Min-max with cost inverted:
    #   payback: a (5-1)/4 = 1, b (5-3)/4 = 0.5, c 0
    #   co2:     a 0, b 1, c (20-10)/30 = 1/3
    #   feas:    a 1, b 0.5, c 0
    # a = 0.3*1 + 0.5*0 + 0.2*1 = 0.5
    # b = 0.3*0.5 + 0.5*1 + 0.2*0.5 = 0.75
    # c = 0 + 0.5/3 + 0 = 0.1666...
    res = evaluate(prepare(frame, crit), "wsm")
    np.testing.assert_allclose(res.score, [0.5, 0.75, 0.5 / 3])
    np.testing.assert_allclose(res.contributions.loc[1].to_numpy(), [0.15, 0.5, 0.1])
    assert list(res.rank) == [2, 1, 3]


def test_wsm_ties_broken_by_our_code_not_scikit_criteria():
    case, frame, crit = load("wsm_wikipedia.json")
    # A2 and A3 tie at 22: without a hierarchy the option ids decide (A2 before A3)
    res = evaluate(prepare(frame, crit), "wsm", "none")
    assert list(res.rank) == [3, 1, 2]
    # prevention outranks treatment at equal merit
    frame["hierarchy_score"] = [4.0, 1.0, 4.0]  # A2 is end-of-pipe treatment, A3 prevention
    res = evaluate(prepare(frame, crit), "wsm", "none")
    assert list(res.rank) == [3, 2, 1]


def test_tie_break_rank_is_a_permutation_with_equal_scores_in_tie_order():
    score = np.array([0.5, 0.7, 0.5, 0.7, 0.1])
    tie_order = np.array([4, 3, 2, 1, 0])  # row 4 wins ties, then 3, ...
    rank = tie_break_rank(score, tie_order)
    assert sorted(rank) == [1, 2, 3, 4, 5]
    assert list(rank) == [4, 2, 3, 1, 5]
    assert list(tie_break_rank(score, tie_order, higher_is_better=False)) == [3, 5, 2, 4, 1]


def test_minmax_wsm_equals_scikit_criteria_pipeline_directly():
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 100, size=(30, 4))
    frame = pd.DataFrame(X, columns=list("pqrs"))
    frame.insert(0, "option_id", [f"o{i}" for i in range(30)])
    crit = [Criterion("p", "max", 1), Criterion("q", "min", 2), Criterion("r", "max", 3), Criterion("s", "min", 4)]
    res = evaluate(prepare(frame, crit), "wsm")
    dm = skc.mkdm(X, objectives=[1, -1, 1, -1], weights=[0.1, 0.2, 0.3, 0.4])
    ref = mkpipe(MinMaxInverter(), WeightedSumModel()).evaluate(dm)
    np.testing.assert_allclose(res.score, ref.e_.score)


@pytest.mark.parametrize("method", ["wsm", "topsis", "vikor", "wpm"])
@pytest.mark.parametrize("scaling", [None, "minmax", "vector", "sum", "none"])
def test_zeros_negatives_and_gaps_do_not_crash_and_are_reported(method, scaling):
    frame = pd.DataFrame(
        {
            "option_id": ["a", "b", "c", "d"],
            "payback": [0.0, 2.0, np.nan, 4.0],  # zero payback, one missing
            "npv": [-100.0, 0.0, 50.0, np.nan],  # negative, zero, missing
            "same": [3.0, 3.0, 3.0, 3.0],  # constant
            "empty": [np.nan] * 4,  # missing everywhere
        }
    )
    crit = [Criterion("payback", "min", 1), Criterion("npv", "max", 1), Criterion("same", "max", 1), Criterion("empty", "max", 1)]
    prep = prepare(frame, crit)
    assert prep.missing == {2: ["payback"], 3: ["npv"]}
    assert [c.column for c in prep.criteria] == ["payback", "npv"]
    text = " ".join(prep.notes)
    assert "empty: no option has a value" in text and "same: same value" in text
    assert "payback: missing for 1 option(s) (c); given the worst observed value 4" in text
    res = evaluate(prep, method, scaling)
    assert np.all(np.isfinite(res.score))
    assert sorted(res.rank) == [1, 2, 3, 4]


def test_missing_value_gets_the_worst_value_so_a_gap_never_helps():
    frame = pd.DataFrame({"option_id": ["a", "b", "c"], "co2": [5.0, np.nan, 1.0], "pb": [2.0, 1.0, 3.0]})
    prep = prepare(frame, [Criterion("co2", "max", 1), Criterion("pb", "min", 1)])
    assert prep.matrix[1, 0] == 1.0


def test_one_option_or_no_discriminating_criterion_ranks_without_error():
    frame = pd.DataFrame({"option_id": ["z", "a"], "x": [1.0, 1.0]})
    for method in ("wsm", "topsis", "vikor", "wpm"):
        res = evaluate(prepare(frame, [Criterion("x", "max", 1)]), method)
        assert list(res.rank) == [2, 1]  # equal merit: ids decide
        res = evaluate(prepare(frame.iloc[:1], [Criterion("x", "max", 1)]), method)
        assert list(res.rank) == [1]


def test_bad_criteria_raise_clear_errors():
    frame = pd.DataFrame({"option_id": ["a", "b"], "x": [1.0, 2.0], "t": ["lo", "hi"]})
    with pytest.raises(ValueError, match="'nope': no such column"):
        prepare(frame, [Criterion("nope", "max", 1)])
    with pytest.raises(ValueError, match=r"'t': column is not numeric \(row 1 holds 'lo'\)"):
        prepare(frame, [Criterion("t", "max", 1)])
    with pytest.raises(ValueError, match="direction must be 'max' or 'min'"):
        Criterion("x", "up", 1)
    with pytest.raises(ValueError, match="weight must be a finite number >= 0"):
        Criterion("x", "max", -1)
    with pytest.raises(ValueError, match="unknown method 'ahp'"):
        evaluate(prepare(frame, [Criterion("x", "max", 1)]), "ahp")
    with pytest.raises(ValueError, match="unknown scaling 'log'"):
        evaluate(prepare(frame, [Criterion("x", "max", 1)]), "wsm", "log")


@pytest.mark.parametrize("seed", range(4))
def test_columnar_minmax_wsm_is_identical_to_the_scikit_criteria_pipeline(seed):
    # the default path runs without scikit-criteria (its import costs seconds); the second method
    # is scikit-criteria's own MinMaxInverter + WeightedSumModel: same scaled matrix and scores, bit for bit
    rng = np.random.default_rng(seed)
    n = 200
    X = np.column_stack([rng.normal(0, 1e4, n), rng.uniform(-5, 5, n), rng.integers(0, 3, n).astype(float),
                         rng.lognormal(0, 2, n)])
    frame = pd.DataFrame(X, columns=list("pqrs"))
    frame.insert(0, "option_id", [f"o{i}" for i in range(n)])
    crit = [Criterion("p", "max", 1), Criterion("q", "min", 2.5), Criterion("r", "max", 0.7), Criterion("s", "min", 4)]
    prep = prepare(frame, crit)
    res = evaluate(prep, "wsm")
    dm = skc.mkdm(prep.matrix, objectives=list(prep.signs), weights=list(prep.weights))
    pipe = mkpipe(MinMaxInverter(), WeightedSumModel())
    ref = pipe.evaluate(dm)
    np.testing.assert_array_equal(res.scaled, pipe.steps[0][1].transform(dm).matrix.to_numpy(dtype=float))
    np.testing.assert_array_equal(res.score, np.asarray(ref.e_.score, dtype=float))


def test_the_default_ranking_does_not_import_scikit_criteria():
    import subprocess
    import sys

    code = ("import sys, pandas as pd; from screening.criteria import Criterion; from screening.mcda import evaluate, prepare;"
            "f = pd.DataFrame({'option_id': ['a', 'b', 'c'], 'x': [1.0, 2.0, 3.0], 'y': [3.0, 1.0, 2.0]});"
            "evaluate(prepare(f, [Criterion('x', 'max', 1), Criterion('y', 'min', 1)]), 'wsm');"
            "print('skcriteria' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "False"
