"""Screening page: preliminary sort, weights, method, ranking, contributions, robustness, assessors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from finance.risk import DEFAULT_SPREADS
from screening.assessors import agreement
from screening.criteria import PROFILE_HELP, PROFILES, Criterion, resolve_profile
from screening.mcda import METHODS
from ui import data, screening_data
from ui.chart_cache import draw
from ui.widgets import METHOD_NAMES, criterion_label, lazy_expander, md_text
from ui.state import (
    RankingChoice,
    choose_appraisal_option,
    on_date,
    ranking_choice,
    require_enterprise,
    scoped,
    set_ranking_choice,
)

SORT_TITLES = {"implement_now": "Implement now", "study": "Needs study", "rejected": "Rejected", "mandatory": "Mandatory (required by law)"}

st.title("Screening")
cur, version, eid = require_enterprise()
opts = data.options_with_metrics(cur, version, eid, on_date())
ents = data.enterprises(cur, version)
if opts.empty:
    st.info(f"Enterprise {eid} has no options yet: add them on the Options page.")
    st.stop()
titles = dict(zip(opts["option_id"], opts["title"]))

# --- weights and method -------------------------------------------------------------------
# Every widget here is keyed by the enterprise, so a profile, method or weight set for one enterprise
# is never used for the next.  Widget state is dropped while another page runs: coming back, start
# from what was set last (kept per enterprise by set_ranking_choice).
last = ranking_choice(eid)
if last is not None:
    st.session_state.setdefault(scoped("weight_profile", eid), last.profile)
    st.session_state.setdefault(scoped("method", eid), last.method)
c1, c2 = st.columns(2)
profile = c1.selectbox("Weight profile", list(PROFILES), key=scoped("weight_profile", eid),
                       help="A starting set of weights; move the sliders to change them. "
                       + " ".join(f"**{k}**: {v}." for k, v in PROFILE_HELP.items()))
method = c2.selectbox("Method", list(METHODS), format_func=lambda m: METHOD_NAMES.get(m, m), key=scoped("method", eid))
derived = screening_data.derived_options(cur, version, eid, on_date())  # cached across sessions
mandatory = derived["mandatory"].astype(bool) if "mandatory" in derived.columns else pd.Series(False, index=derived.index)
base_criteria, notes = resolve_profile(derived[~mandatory], profile)
with st.expander("Weights (relative; normalised to sum to 1 below)", expanded=True):
    cols = st.columns(min(4, len(base_criteria)))
    raw = {}
    set_before = dict(last.slider_weights) if last is not None and last.profile == profile else {}
    for i, c in enumerate(base_criteria):
        arrow = "higher is better" if c.direction == "max" else "lower is better"
        raw[c.column] = cols[i % len(cols)].slider(
            f"{criterion_label(c.column)} [%]", 0.0, 100.0, set_before.get(c.column, round(100 * float(c.weight), 1)), 0.1, format="%.1f", key=scoped(f"w-{profile}-{c.column}", eid),
            help=f"Column `{c.column}`, {arrow}; relative weight, normalised below")
    total = sum(raw.values())
    if total <= 0:
        st.error("All weights are zero: give at least one criterion a positive weight.")
        st.stop()
    criteria = [Criterion(c.column, c.direction, raw[c.column] / total) for c in base_criteria]
    st.caption("Normalised: " + ", ".join(f"{criterion_label(c.column)} {c.weight:.3f}" for c in criteria))
set_ranking_choice(eid, RankingChoice(profile, method, tuple(criteria), tuple(raw.items())))
for n in notes:
    st.caption(n)

try:  # cached across sessions (ui.screening_data.ranking); read-only
    ranking = screening_data.ranking(cur, version, eid, on_date(), method, tuple(criteria))
except ValueError as exc:
    st.error(f"Cannot rank: {exc}")
    st.stop()
table = ranking.table.copy()
table["title"] = table["option_id"].map(titles)

# --- preliminary sort -----------------------------------------------------------------------
st.subheader("Preliminary sort")
groups = st.columns(3)
for col, cls in zip(groups, ["implement_now", "study", "rejected"]):
    part = table[table["sort_class"] == cls]
    col.markdown(f"**{SORT_TITLES[cls]}** ({len(part)})")
    if part.empty:
        col.caption("No option in this group.")
    for r in part.itertuples():
        col.markdown(f"- **{md_text(r.option_id)}** {md_text(r.title)}")  # user text: escaped, never HTML
        col.caption(md_text(r.sort_reason))
mand = table[table["sort_class"] == "mandatory"]
if len(mand):
    st.caption("Mandatory, kept out of the ranking: " + ", ".join(map(md_text, mand["option_id"])))

# --- ranking ------------------------------------------------------------------------------------
st.subheader("Ranking")
ranked = table.dropna(subset=["rank"]).sort_values("rank")
top = ranked.iloc[0]
t1, t2 = st.columns([3, 1], vertical_alignment="bottom")
t1.metric("Top-ranked option", str(top["option_id"]), help=md_text(top["title"]))
t1.markdown(f"**{md_text(top['title'])}**")  # in full: a metric cuts long titles off
if t2.button("Open its appraisal", key="open_appraisal", icon=":material/payments:"):
    choose_appraisal_option(eid, str(top["option_id"]))
    st.switch_page("ui/pages/appraisal.py")
score_note = "lower is better (VIKOR Q)" if top["score_direction"] == "lower_is_better" else "higher is better"
show = ranked[["rank", "option_id", "title", "score", "sort_class", "missing"]].rename(
    columns={"score": f"score [/1] ({score_note})", "sort_class": "preliminary sort", "missing": "criteria missing (worst value used)"})
st.dataframe(show, hide_index=True, width="stretch", key="ranking_table")
if ranking.notes:
    with st.expander(f"Notes on the criteria ({len(ranking.notes)}): missing values and how they were scored"):
        for n in ranking.notes:
            st.caption(n)

# --- the team's priorities beside real uptake (profile 'observed') -------------------------------------
with (_box := lazy_expander("Your ranking beside what plants like yours implemented (profile 'observed')", "observed_open")):
    if _box.open:
        st.caption("Profile 'observed' ranks by the probability that a US plant of this size implemented an option with "
                   "this cost, savings, payback, effects and category: a logistic model fitted on US DOE IAC decisions before "
                   "FY2010 (figures converted to USD at the ECB rates of 2025-02-28). It describes what plants did, not what "
                   "they should do. Where the two ranks part, the team's priorities and real uptake differ.")
        try:
            seen = screening_data.ranking(cur, version, eid, on_date(), "wsm", profile="observed").table.set_index("option_id")
        except ValueError as exc:
            st.error(f"Cannot rank by profile 'observed': {exc}")
        else:
            side = ranked[["option_id", "title", "rank"]].rename(columns={"rank": "your rank"})
            side["observed rank"] = side["option_id"].map(seen["rank"]).astype("Int64")
            side["implemented at similar plants [/1]"] = side["option_id"].map(derived.set_index("option_id")["observed_uptake"])
            side["ranks apart"] = (side["observed rank"] - side["your rank"]).astype("Int64")
            st.dataframe(side, hide_index=True, width="stretch", key="observed_side_by_side",
                         column_config={"implemented at similar plants [/1]": st.column_config.NumberColumn(format="%.2f")})

contrib_cols = [c for c in ranked.columns if c.startswith("contrib:")]
if contrib_cols:
    long = ranked.melt(id_vars=["option_id", "rank"], value_vars=contrib_cols, var_name="criterion", value_name="contribution")
    long["criterion"] = long["criterion"].str.removeprefix("contrib:").map(criterion_label)
    long = long.rename(columns={"option_id": "option"})
    draw(st, "contributions_chart", long)
else:
    st.caption(f"Criterion contributions are shown for the weighted sum; {METHOD_NAMES[method]} does not add them up.")

# --- robustness -------------------------------------------------------------------------------------
st.subheader("Robustness")
r1, r3, r2 = st.columns(3)
n_draws = r1.select_slider("Weight draws", [200, 500, 1000, 2000, 5000], value=1000, key=scoped("n_draws", eid))
k = int(r2.number_input("Top k", 1, max(1, len(ranked)), min(3, len(ranked)), key=scoped("top_k", eid)))
spread = 0.5
ckey = tuple(criteria)  # with the data, enterprise, date and method: the ranking (ui.screening_data.ranking)
first, topk = screening_data.weight_acceptability(ranking.prepared, version, eid, on_date(), method, ckey, n_draws, k, spread)
st.session_state["robustness_cache"] = {(version, eid, method, ckey, n_draws, k): (first, topk)}  # the session's last
ids = ranking.prepared.keys["option_id"].to_numpy()
shares = pd.DataFrame({"option": ids, "share_first": first, "share_top_k": topk})
w_col, i_col = st.columns(2)
draw(w_col, "robustness_chart", shares, top_k=k, title="Weights uncertain")
w_col.caption(f"Each weight varied uniformly by ±{spread:.0%} of its value, then renormalised; {n_draws} draws.")

# the same ranking with the options' inputs uncertain (finance.risk draws, re-ranked per draw)
n_input = int(r3.select_slider("Input draws", [100, 200, 500, 1000], value=200, key=scoped("n_input_draws", eid),
                               help="Draws of each option's investment, savings, cost change and lifetime (finance.risk), "
                                    "each appraised and the options ranked again with these weights and method"))
pos = tuple(int(p) for p in np.flatnonzero(~mandatory.to_numpy()))  # the ranked options, in the ranking's order
acc_in = screening_data.input_acceptability(cur, ranking.prepared, ranking.result.method, ranking.result.scaling, version, eid,
                                            on_date(), method, ckey, n_input, k, pos)
st.session_state["input_robustness_cache"] = {(version, eid, method, ckey, n_draws, k, n_input): acc_in}  # the session's last
shares_in = pd.DataFrame({"option": ids, "share_first": acc_in.first, "share_top_k": acc_in.top_k})
if acc_in.varied:
    draw(i_col, "robustness_chart", shares_in, top_k=k, title="Inputs uncertain")
    spreads = ", ".join(f"{name.replace('_', ' ')} ±{p:.0%}" for name, p in DEFAULT_SPREADS.items())
    i_col.caption(f"{n_input} draws of each option's inputs, triangular around its values (its own low/high columns "
                  f"where given, else {spreads}), each appraised with its support; criteria that move with them: "
                  f"{', '.join(map(criterion_label, acc_in.varied))}. The other {len(acc_in.fixed)} criteria keep "
                  "their values.")
else:
    i_col.caption("None of the chosen criteria depends on the uncertain inputs (investment, savings, cost change, "
                  "lifetime and the NPV, IRR and payback they give): input uncertainty cannot change this ranking.")
if method == "wsm":
    flips = screening_data.flip_points(ranking.prepared, version, eid, on_date(), method, ckey)
    st.markdown("**Flip points**: how far each weight can move before the top option changes")
    shown_flips = pd.DataFrame({
        "criterion": flips["criterion"].map(criterion_label),
        "weight [/1]": flips["weight"].map(lambda v: f"{v:.3f}"),
        **{label: flips[col].map(lambda v, none=none: none if pd.isna(v) else f"{v:.3f}")
           for col, label, none in (("increase", "raise by [/1]", "never"), ("weight_up", "weight at the flip, raised [/1]", "–"),
                                    ("decrease", "lower by [/1]", "never"), ("weight_down", "weight at the flip, lowered [/1]", "–"))},
        "new top if raised": flips["new_top_up"].fillna("–"), "new top if lowered": flips["new_top_down"].fillna("–"),
    })
    st.dataframe(shown_flips, hide_index=True, width="stretch", key="flip_points")
    st.caption("'never': moving that weight alone (the others rescaled to keep the sum 1) anywhere between 0 and 1 "
               f"leaves {md_text(top['option_id'])} on top.")
else:
    st.caption("Flip points are computed for the weighted sum; switch the method to see them.")

# --- assessors ----------------------------------------------------------------------------------------
st.subheader("Assessors' scores and their agreement")
sc = data.scores(cur, version, eid)
if sc.empty:
    st.caption("No assessors' scores stored for this enterprise (import a scores file on the Options page).")
else:
    conc, disputed = agreement(sc)
    a1, a2 = st.columns(2)
    a1.markdown("Kendall's W (1 = full agreement, 0 = none)")
    a1.dataframe(conc.rename(columns={"kendalls_w": "Kendall's W [/1]"}), hide_index=True, width="stretch")
    a2.markdown("Most disputed options (standard deviation of the scores)")
    a2.dataframe(disputed, hide_index=True, width="stretch")
    with (_box := lazy_expander("All scores", "all_scores_open")):
        if _box.open:
            st.dataframe(sc.pivot_table(index=["option_id"], columns=["criterion", "assessor"], values="score"), width="stretch")
