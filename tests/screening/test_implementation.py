"""Implementation tracking: predicted against actual (issue 15 item 3), by hand, and through the store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from screening.implementation import predicted_vs_actual, totals


def _opts() -> pd.DataFrame:
    return pd.DataFrame({
        "enterprise_id": ["E"] * 4, "option_id": ["a", "b", "c", "d"],
        "status": ["implemented", "implemented", "implemented", "proposed"],
        "implemented_on": ["2026-03-01", "2026-05-15", "2026-06-01", None],
        "investment": [10_000.0, 0.0, 5_000.0, 1.0], "annual_savings": [4_000.0, 1_000.0, 2_000.0, 1.0],
        "co2e_avoided_t": [10.0, np.nan, 2.0, 1.0],
        "actual_investment": [12_000.0, 500.0, np.nan, 9.0], "actual_annual_savings": [3_000.0, 1_200.0, np.nan, 9.0],
        "actual_co2e_avoided_t": [8.0, 1.0, np.nan, 9.0],
    })


def test_ratios_by_hand_and_undefined_ones_said():
    t = predicted_vs_actual(_opts())
    assert set(t["option_id"]) == {"a", "b", "c"}  # d is not implemented
    a = t[t["option_id"] == "a"].set_index("figure")
    assert a.loc["investment", "ratio"] == pytest.approx(12_000 / 10_000)
    assert a.loc["yearly savings", "ratio"] == pytest.approx(0.75)
    assert a.loc["CO2e avoided", "ratio"] == pytest.approx(0.8)
    b = t[t["option_id"] == "b"].set_index("figure")
    assert np.isnan(b.loc["investment", "ratio"]) and "ratio undefined" in b.loc["investment", "note"]
    assert "no predicted CO2e avoided" in b.loc["CO2e avoided", "note"]
    c = t[t["option_id"] == "c"]
    assert list(c["figure"]) == ["-"] and "no actual figure" in c["note"].item()


def test_money_is_totalled_per_currency_never_across():
    o = pd.concat([_opts(), _opts().assign(enterprise_id="D")], ignore_index=True)
    e = pd.DataFrame({"enterprise_id": ["E", "D"], "currency": ["EUR", "DKK"]})
    tot = totals(predicted_vs_actual(o, e))
    inv = tot[tot["figure"] == "investment"].set_index("unit")
    assert set(inv.index) == {"EUR", "DKK"} and inv.loc["DKK", "predicted"] == 10_000.0
    assert tot[tot["figure"] == "CO2e avoided"]["options"].item() == 2  # tonnes add up across enterprises


def test_totals_are_ratios_of_sums():
    tot = totals(predicted_vs_actual(_opts())).set_index("figure")
    # investment: a (10 000 -> 12 000) and b (0 -> 500): sums 10 000 and 12 500
    assert tot.loc["investment", "options"] == 2 and tot.loc["investment", "ratio"] == pytest.approx(12_500 / 10_000)
    assert tot.loc["yearly savings", "ratio"] == pytest.approx((3_000 + 1_200) / (4_000 + 1_000))
    assert tot.loc["CO2e avoided", "options"] == 1 and tot.loc["CO2e avoided", "ratio"] == pytest.approx(0.8)


def test_actual_fields_are_stored_and_read_back(db, tmp_path):
    from store.io import import_files, load_table

    ent = pd.DataFrame([{"enterprise_id": "E", "name": "e", "jurisdiction": "NL", "size_class": "small"}])
    opts = _opts().assign(title="t", category="good_housekeeping", lifetime_years=5).drop(index=3)
    ent.to_csv(tmp_path / "e.csv", index=False)
    opts.to_csv(tmp_path / "o.csv", index=False)
    import_files(db, [str(tmp_path / "e.csv"), str(tmp_path / "o.csv")])
    back = load_table(db, "options")
    assert back.set_index("option_id").loc["a", "implemented_on"] == "2026-03-01"
    t = predicted_vs_actual(back)
    assert t[(t["option_id"] == "a") & (t["figure"] == "investment")]["ratio"].item() == pytest.approx(1.2)
    assert t[(t["option_id"] == "b") & (t["figure"] == "yearly savings")]["ratio"].item() == pytest.approx(1.2)


def _row_by_row(options: pd.DataFrame, currencies: dict[str, str]) -> list[tuple]:
    """A second method: every implemented option and figure, one at a time, in plain Python."""
    from screening.implementation import PAIRS

    out = []
    for r in options[options["status"] == "implemented"].to_dict(orient="records"):
        found = False
        for pred_col, act_col, label, unit in PAIRS:
            act, pred = r.get(act_col, np.nan), r.get(pred_col, np.nan)
            if np.isnan(act):
                continue
            found = True
            ratio = np.nan if np.isnan(pred) or pred == 0 else act / pred
            out.append((r["option_id"], label, unit.replace("currency", currencies.get(r["enterprise_id"], "currency")), ratio))
        if not found:
            out.append((r["option_id"], "-", "", np.nan))
    return out


def test_column_wise_frame_matches_a_row_by_row_recomputation():
    rng = np.random.default_rng(7)
    n = 300
    o = pd.DataFrame({
        "enterprise_id": rng.choice(["A", "B", "C"], n), "option_id": [f"o{i}" for i in range(n)],
        "status": rng.choice(["implemented", "proposed"], n), "implemented_on": "2026-01-01",
        **{c: rng.choice([0.0, np.nan, 5.0, 7.0], n) for c in ("investment", "annual_savings", "co2e_avoided_t")},
        **{c: rng.choice([np.nan, 3.0], n) for c in ("actual_investment", "actual_annual_savings", "actual_co2e_avoided_t",
                                                      "actual_energy_saved_mwh")},
    })
    t = predicted_vs_actual(o, pd.DataFrame({"enterprise_id": ["A", "B"], "currency": ["EUR", None]}))
    got = list(zip(t["option_id"], t["figure"], t["unit"], t["ratio"]))
    want = _row_by_row(o, {"A": "EUR"})
    assert [g[:3] for g in got] == [w[:3] for w in want]
    assert np.allclose([g[3] for g in got], [w[3] for w in want], equal_nan=True)
