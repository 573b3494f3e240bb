"""appraise / appraise_option: the record contract, a monkeypatched engine, and the real packs."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from finance.appraise import METRICS_BOTH_WAYS, appraise
from finance.metrics import PaybackBasis
from finance.option_detail import appraise_option
from policies import corporate_tax, engine, registry
from policies.items import ITEM_COLUMNS, SupportItem

ON = date(2025, 6, 1)
ROOT = Path(__file__).resolve().parents[2]


def _grant(amount):
    return SupportItem("XX-GRANT", "grant", "grant", amount, 0, "XX", "2025-01-01", "test source")


@pytest.fixture
def fake_engine(monkeypatch):
    """Engine stand-in: tax 25 % (0 for 'none'), a 100 grant for options with investment >= 500."""

    def tax_rates(options, enterprises, on_date):
        jur = options["enterprise_id"].map(enterprises.set_index("enterprise_id")["jurisdiction"])
        return np.where(jur.to_numpy() == "none", 0.0, 0.25)

    def support_items(option, enterprise, on_date, params=None):
        return [_grant(100.0)] if option["investment"] >= 500 and enterprise["jurisdiction"] != "none" else []

    def support_table(options, enterprises, on_date, params=None):
        jur = options["enterprise_id"].map(enterprises.set_index("enterprise_id")["jurisdiction"]).to_numpy()
        rows = [{"row": i, **_grant(100.0).as_record()} for i in range(len(options))
                if options["investment"].iloc[i] >= 500 and jur[i] != "none"]
        return pd.DataFrame(rows, columns=list(ITEM_COLUMNS))

    monkeypatch.setattr(corporate_tax, "tax_rates", tax_rates)
    monkeypatch.setattr(engine, "support_table", support_table)
    monkeypatch.setattr(engine, "support_items", support_items)
    monkeypatch.setattr(registry, "load_packs", lambda: {"XX": SimpleNamespace(version="2025-01-01")})
    monkeypatch.setattr(corporate_tax, "tax_regime",
                        lambda code, on: {"loss_carry_forward_years": 3 if code == "XX" else None}, raising=False)
    # a constant rate over the life and straight-line depreciation: no year arrays
    monkeypatch.setattr(corporate_tax, "tax_rates_by_year", lambda *a, **k: None)
    monkeypatch.setattr(corporate_tax, "depreciation_schedules", lambda *a, **k: None)


ENTERPRISES = pd.DataFrame({
    "enterprise_id": ["e1", "e2"], "jurisdiction": ["XX", "none"], "size_class": ["small", "large"],
    "discount_rate": [0.10, np.nan], "tax_capacity": [True, False],
})
OPTIONS = pd.DataFrame({
    "option_id": ["a", "b", "c"], "enterprise_id": ["e1", "e1", "e2"], "investment": [1000.0, 200.0, 1000.0],
    "annual_savings": [300.0, 50.0, 300.0], "lifetime_years": [5, 4, 5], "co2e_avoided_t": [10.0, np.nan, 5.0],
})


def test_record_contract_with_a_fake_engine(fake_engine):
    r = appraise(OPTIONS, ENTERPRISES, ON)
    for col in ("enterprise_id", "option_id", "support_total", "pack", "pack_version", "support", "payback_basis"):
        assert col in r.columns
    for col in METRICS_BOTH_WAYS:
        assert col in r.columns and f"{col}_no_support" in r.columns
    assert r["pack"].tolist() == ["XX", "XX", "none"]
    assert r["pack_version"].iloc[:2].tolist() == ["2025-01-01", "2025-01-01"]
    assert pd.isna(r["pack_version"].iloc[2])  # jurisdiction none: no pack, no version (null)
    assert r["support"].iloc[0] == [{"instrument_id": "XX-GRANT", "kind": "grant", "amount": 100.0, "year": 0,
                                     "source": "test source", "unverified": False,
                                     # an untaxed grant at t = 0 that leaves the base alone: worth its face, undiscounted
                                     "cash_value": 100.0, "npv_effect": 100.0}]
    assert r["support"].iloc[1] == [] and r["support"].iloc[2] == []
    # option a by hand: 25 % tax, straight line 200/yr -> net 275/yr; grant 100 at t = 0, r = 10 %
    annuity = (1 - 1.1 ** -5) / 0.1
    assert r["npv_no_support"].iloc[0] == pytest.approx(275 * annuity - 1000)
    assert r["npv"].iloc[0] == pytest.approx(275 * annuity - 900)
    assert r["support_total"].iloc[0] == pytest.approx(100.0)
    assert r["simple_payback_years"].iloc[0] == pytest.approx(900 / 275)
    # option c: jurisdiction none -> no tax, default discount rate 0.08
    assert r["npv"].iloc[2] == pytest.approx(300 * (1 - 1.08 ** -5) / 0.08 - 1000)
    # cost per t CO2e = -EAV / t
    assert r["cost_per_t_co2e"].iloc[0] == pytest.approx(-r["equivalent_annual_value"].iloc[0] / 10.0)
    assert math.isnan(r["cost_per_t_co2e"].iloc[1])


def test_without_support_both_column_sets_agree(fake_engine):
    r = appraise(OPTIONS, ENTERPRISES, ON, with_support=False, discount_rate=0.05)
    np.testing.assert_allclose(r["npv"], r["npv_no_support"])
    assert (r["support_total"] == 0).all() and all(s == [] for s in r["support"])


def test_appraise_option_equals_appraise_row(fake_engine):
    basis = PaybackBasis("pre_tax", False)
    r = appraise(OPTIONS, ENTERPRISES, ON, payback_basis=basis)
    ents = ENTERPRISES.set_index("enterprise_id")
    for i, opt in OPTIONS.iterrows():
        ent = {"enterprise_id": opt["enterprise_id"], **ents.loc[opt["enterprise_id"]].to_dict()}
        a = appraise_option(opt.to_dict(), ent, ON, payback_basis=basis)
        assert a.pack == r["pack"].iloc[i] and a.payback_basis == basis
        assert a.support_total == pytest.approx(r["support_total"].iloc[i])
        for col in ("npv", "irr", "mirr", "npv_ratio", "simple_payback_years", "discounted_payback_years"):
            got = a.metrics[col]
            want = r[col].iloc[i]
            assert (got is None and math.isnan(want)) or got == pytest.approx(want, nan_ok=True), col


def test_real_packs_on_the_demo_data_batch_equals_single_option_detail():
    from screening.schema import validate

    data = ROOT / "data"
    if not (data / "demo_options.csv").exists():
        pytest.skip("demo data absent")
    v = validate(pd.read_csv(data / "demo_enterprises.csv"), pd.read_csv(data / "demo_options.csv"))
    r = appraise(v.options, v.enterprises, ON)
    assert set(r["pack"]) <= set(registry.load_packs()) | {"none"}
    assert r["support"].map(len).sum() > 0
    ents = v.enterprises.set_index("enterprise_id")
    for i, opt in v.options.reset_index(drop=True).iterrows():
        ent = {"enterprise_id": opt["enterprise_id"], **ents.loc[opt["enterprise_id"]].to_dict()}
        a = appraise_option(opt.to_dict(), ent, ON)
        assert len(a.items) == len(r["support"].iloc[i])
        assert a.metrics["npv"] == pytest.approx(r["npv"].iloc[i], rel=1e-9)
        assert a.metrics_no_support["npv"] == pytest.approx(r["npv_no_support"].iloc[i], rel=1e-9)
        assert a.pack_version == r["pack_version"].iloc[i]


def test_packs_coded_per_enterprise_ask_only_the_options_jurisdictions_in_order(monkeypatch):
    """_packs codes each enterprise's jurisdiction once: an enterprise no option names is never asked
    for its regime (its pack may not exist), and the regimes are asked in order of each code's first
    option, as when the options' own codes were factorized."""
    from finance.inputs import _enterprise_rows, _packs

    asked = []

    def regime(code, on):
        asked.append(code)
        if code == "ZZ":
            raise ValueError("no regime ZZ")
        return {"loss_carry_forward_years": {"XX": 3, "YY": None}[code]}

    monkeypatch.setattr(registry, "load_packs", lambda: {"XX": SimpleNamespace(version="v1")})
    monkeypatch.setattr(corporate_tax, "tax_regime", regime, raising=False)
    ents = pd.DataFrame({"enterprise_id": ["e1", "e2", "e3"], "jurisdiction": ["XX", "ZZ", "YY"]})
    opts = pd.DataFrame({"enterprise_id": ["e3", "e1", "e3", "e1"]})
    codes, versions, loss = _packs(opts, ents, ON, _enterprise_rows(opts, ents))
    assert asked == ["YY", "XX"]
    assert codes.tolist() == ["YY", "XX", "YY", "XX"]
    assert versions.tolist() == [None, "v1", None, "v1"]
    np.testing.assert_array_equal(loss, [np.nan, 3.0, np.nan, 3.0])


def test_without_the_items_valuation_every_figure_is_the_same():
    """appraise_columns(item_values=False) (what cpscreen rank asks for) skips only the items' cash
    value and NPV effect: each option's column is the same array, bit for bit, on the demo data
    (support of several kinds) and on synthetic options with items on most of them."""
    import sys

    from finance.appraise import appraise_columns
    from screening.schema import validate

    data = ROOT / "data"
    if not (data / "demo_options.csv").exists():
        pytest.skip("demo data absent")
    v = validate(pd.read_csv(data / "demo_enterprises.csv"), pd.read_csv(data / "demo_options.csv"))
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_appraise import synthetic

    for options, enterprises in ((v.options, v.enterprises), synthetic(3_000, seed=5)):
        full, items = appraise_columns(options, enterprises, ON)
        lean, lean_items = appraise_columns(options, enterprises, ON, item_values=False)
        assert list(lean) == list(full)
        for col in full:
            np.testing.assert_array_equal(np.asarray(lean[col]), np.asarray(full[col]), err_msg=col)
        assert len(items) > 0 and {"cash_value", "npv_effect"} <= set(items.columns)
        assert not {"cash_value", "npv_effect"} & set(lean_items.columns)
        pd.testing.assert_frame_equal(lean_items, items[list(lean_items.columns)])


class _InOrder:
    """A stand-in for ThreadPoolExecutor that runs each task at once, on this thread (the former order)."""

    def __init__(self, *a, **k) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, *args, **kwargs):
        from concurrent.futures import Future

        done: Future = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed on as the executor would
            done.set_exception(exc)
        return done


def test_the_pass_without_support_beside_the_engine_gives_the_figures_of_one_after_the_other(monkeypatch):
    """appraise_columns runs the pass without support on another thread while the engine makes the
    items: every column and the items table equal those of the two done one after the other, bit
    for bit (the demo data, synthetic options with items on most of them, and options none of
    whose rules apply: no items, no flows kept)."""
    import sys

    import finance.appraise as fa
    from screening.schema import validate

    data = ROOT / "data"
    if not (data / "demo_options.csv").exists():
        pytest.skip("demo data absent")
    v = validate(pd.read_csv(data / "demo_enterprises.csv"), pd.read_csv(data / "demo_options.csv"))
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_appraise import synthetic

    none = v.enterprises.assign(jurisdiction="none")
    for options, enterprises in ((v.options, v.enterprises), synthetic(3_000, seed=6), (v.options, none)):
        side, side_items = fa.appraise_columns(options, enterprises, ON)
        with monkeypatch.context() as m:
            m.setattr(fa, "ThreadPoolExecutor", _InOrder)
            seq, seq_items = fa.appraise_columns(options, enterprises, ON)
        assert list(side) == list(seq)
        for col in seq:
            np.testing.assert_array_equal(np.asarray(side[col]), np.asarray(seq[col]), err_msg=col)
        pd.testing.assert_frame_equal(side_items, seq_items)
    assert len(seq_items) == 0  # the last case: no items


def test_an_error_of_the_engine_is_raised_as_before_the_pass_beside_it(monkeypatch):
    import finance.appraise as fa

    def fail(*a, **k):
        raise ValueError("options row 3: field 'x': bad")

    monkeypatch.setattr(fa.engine, "support_table", fail)
    monkeypatch.setattr(fa, "batch_columns", lambda *a, **k: (_ for _ in ()).throw(ValueError("the pass failed too")))
    opts = pd.DataFrame({"option_id": ["a"], "enterprise_id": ["E"], "investment": [10.0], "annual_savings": [3.0],
                         "lifetime_years": [5]})
    ents = pd.DataFrame({"enterprise_id": ["E"], "jurisdiction": ["none"], "size_class": ["small"]})
    with pytest.raises(ValueError, match="options row 3"):
        fa.appraise_columns(opts, ents, ON)
