"""Screening, Appraisal, Portfolio, Programme and Report pages: widgets change, results change, no exception."""

from __future__ import annotations

from datetime import date


from finance.appraise import appraise
from finance.option_detail import appraise_option
from screening.criteria import Criterion
from screening.rank import rank_options
from store.db import cursor
from store.io import load_table


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def _num(text: str) -> float:
    return float("nan") if text == "–" else float(text.replace(",", "").rstrip("%"))


def _frame(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


# --- Screening ----------------------------------------------------------------------------------

def test_screening_top_option_matches_the_library_and_moves_with_the_weights(app, seeded_db):
    at = app("screening")
    assert not at.exception
    cur = cursor(seeded_db)
    opts, ents = load_table(cur, "options", "nl_plating"), load_table(cur, "enterprises")
    metrics = appraise(opts, ents, date.today())[["option_id", "npv", "irr", "npv_ratio", "simple_payback_years",
                                                   "discounted_payback_years"]]
    expected = rank_options(opts.merge(metrics, on="option_id"), ents).table.sort_values("rank").iloc[0]["option_id"]
    assert _metric(at, "Top-ranked option") == expected
    # all weight on investment (lower is better): the cheapest ranked option must come first
    for s in at.slider:
        if s.key and s.key.startswith("w-default-"):
            s.set_value(100.0 if s.key == "w-default-investment@nl_plating" else 0.0)
    at.run()
    assert not at.exception
    ranked = opts[~opts["mandatory"]]
    cheapest = ranked.sort_values("investment").iloc[0]["option_id"]
    assert _metric(at, "Top-ranked option") == cheapest
    only = rank_options(opts, ents, criteria=[Criterion("investment", "min", 1.0)]).table
    assert _metric(at, "Top-ranked option").startswith(only.sort_values("rank").iloc[0]["option_id"])


def test_screening_method_change_reranks_and_flip_points_follow_wsm(app):
    at = app("screening")
    scores_wsm = list(_frame(at, "rank")["option_id"])
    assert any("Flip points" in m.value for m in at.markdown)
    at.selectbox(key="method@nl_plating").select("vikor").run()
    assert not at.exception
    assert any("lower is better" in c for c in _frame(at, "rank").columns)
    assert not any("Flip points" in m.value for m in at.markdown)
    assert sorted(_frame(at, "rank")["option_id"]) == sorted(scores_wsm)


def test_screening_shows_the_three_groups_and_assessor_agreement(app):
    at = app("screening")
    at.sidebar.selectbox(key="enterprise_id").select("dk_dairy").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    for group in ("Implement now", "Needs study", "Rejected"):
        assert f"**{group}**" in text
    w = _frame(at, "Kendall's W [/1]")
    assert ((w["Kendall's W [/1]"] >= 0) & (w["Kendall's W [/1]"] <= 1)).all()


def test_screening_robustness_shares_are_shares(app):
    at = app("screening")
    at.select_slider(key="n_draws@nl_plating").set_value(200).run()
    assert not at.exception
    assert any("200 draws" in c.value for c in at.caption)


def test_screening_input_uncertainty_shares_are_shares_beside_the_weight_ones(app):
    at = app("screening")
    at.select_slider(key="n_input_draws@nl_plating").set_value(100).run()
    assert not at.exception
    assert any("100 draws of each option's inputs" in c.value for c in at.caption)
    acc = next(iter(at.session_state["input_robustness_cache"].values()))
    assert acc.n_draws == 100 and acc.first.sum() == 1.0 and abs(acc.top_k.sum() - acc.k) < 1e-9
    assert "simple_payback_years" in acc.varied  # the default profile's payback comes from the drawn appraisal
    specs = [str(getattr(c, "spec", "")) for c in at.get("vega_lite_chart")]
    assert any("Weights uncertain" in t for t in specs) and any("Inputs uncertain" in t for t in specs)


# --- Appraisal ----------------------------------------------------------------------------------

def test_appraisal_metrics_match_the_library_and_follow_the_option(app, seeded_db):
    at = app("appraisal")
    cur = cursor(seeded_db)
    opts = load_table(cur, "options", "nl_plating").set_index("option_id")
    ent = load_table(cur, "enterprises").set_index("enterprise_id").loc["nl_plating"].to_dict() | {"enterprise_id": "nl_plating"}
    for oid in ("NL-02", "NL-07"):
        at.selectbox(key="appraisal_option@nl_plating").select(oid).run()
        assert not at.exception
        res = appraise_option(opts.loc[oid].to_dict() | {"option_id": oid}, ent, date.today(), discount_rate=0.08)
        assert _metric(at, "NPV with support") == f"{res.metrics['npv']:,.0f}"
        table = _frame(at, "with support")
        assert table.loc[0, "without support"] == f"{res.metrics_no_support['npv']:,.0f} EUR"
    assert len(at.get("vega_lite_chart")) == 3  # cash flow, tornado and the risk histogram


def test_appraisal_discount_rate_changes_the_npv(app):
    at = app("appraisal")
    at.selectbox(key="appraisal_option@nl_plating").select("NL-02").run()
    npv8 = _metric(at, "NPV with support")
    at.number_input(key="discount_rate@nl_plating").set_value(12.0).run()
    assert not at.exception
    assert float(_metric(at, "NPV with support").replace(",", "")) < float(npv8.replace(",", ""))


def test_appraisal_shows_support_items_with_sources(app):
    at = app("appraisal")
    at.sidebar.date_input(key="on_date").set_value(date(2025, 6, 1)).run()
    at.selectbox(key="appraisal_option@nl_plating").select("NL-07").run()
    assert not at.exception
    items = _frame(at, "source")
    assert {"rule", "kind", "rate", "timing", "source"} <= set(items.columns)
    assert items["source"].str.len().gt(0).all()
    # the amount comes right after the rule and its kind, before the long rate and source texts
    assert list(items.columns[:3]) == ["rule", "kind", "amount [EUR]"]


# --- Portfolio ----------------------------------------------------------------------------------

def test_portfolio_budget_bounds_the_investment(app):
    at = app("portfolio")
    assert not at.exception
    at.number_input(key="budget@nl_plating").set_value(150000.0).run()
    inv_big = float(_metric(at, "Investment").replace(",", ""))
    at.number_input(key="budget@nl_plating").set_value(130000.0).run()
    assert not at.exception
    inv_small = float(_metric(at, "Investment").replace(",", ""))
    assert inv_small <= 130000 and inv_big <= 150000
    at.radio(key="objective@nl_plating").set_value("score").run()
    assert not at.exception
    assert _metric(at, "Summed score")


def test_portfolio_budget_below_mandatory_is_explained(app):
    at = app("portfolio")
    at.number_input(key="budget@nl_plating").set_value(0.0).run()
    assert not at.exception
    assert at.error and "No portfolio" in at.error[0].value


def test_portfolio_mac_curve_effect_choice(app):
    at = app("portfolio")
    effects = at.selectbox(key="mac_effect@nl_plating").options
    assert len(effects) >= 1
    at.selectbox(key="mac_effect@nl_plating").select_index(len(effects) - 1).run()
    assert not at.exception


# --- Programme ----------------------------------------------------------------------------------

def test_programme_scenarios_side_by_side_and_rate_changes_outlay(app):
    at = app("programme")
    assert not at.exception
    at.selectbox(key="programme_pack").select("NL").run()
    at.selectbox(key="scenario_param").select("NL-EIA-2024.rate.value").run()
    param = "NL-EIA-2024.rate.value"
    at.number_input(key=f"value_a-{param}").set_value(0.2).run()
    at.number_input(key=f"value_b-{param}").set_value(0.6).run()
    assert not at.exception
    summary = _frame(at, "measure").set_index("measure").map(_num)
    a, b = summary.columns
    outlay = summary.loc[[m for m in summary.index if m.startswith("Outlay if every")][0]]
    assert outlay[b] >= outlay[a]


def test_programme_decision_rule_changes_uptake(app):
    at = app("programme")
    at.selectbox(key="programme_pack").select("NL").run()
    before = _frame(at, "measure").set_index("measure").iloc[:, 0].map(_num)
    at.slider(key="payback_limit").set_value(10.0).run()
    assert not at.exception
    after = _frame(at, "measure").set_index("measure").iloc[:, 0].map(_num)
    key = "Uptake without support [options]"
    assert after[key] >= before[key]


# --- Report -------------------------------------------------------------------------------------

def test_report_offers_both_downloads_and_follows_the_enterprise(app):
    at = app("report")
    assert not at.exception
    assert at.download_button(key="download_xlsx").label == "Download Excel workbook"
    assert at.download_button(key="download_html")
    sheets = next(m.value for m in at.markdown if m.value.startswith("**Sheets:**"))
    assert "ranking" in sheets and "appraisal" in sheets
    at.sidebar.selectbox(key="enterprise_id").select("dk_dairy").run()
    assert not at.exception
    assert "assessor agreement" in next(m.value for m in at.markdown if m.value.startswith("**Sheets:**"))
