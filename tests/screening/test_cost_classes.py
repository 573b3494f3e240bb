"""Cost classes of the preliminary sort in every pack's currency (issue 15 item 6).

Checked against: (a) the validated packs (``policies.schema``), so the YAML read in screening is
the one the policy loader accepts; (b) a recomputation of each assumed pair by hand from the
Chinese audit practice's 100 000 / 1 000 000 CNY and the ECB rates of 2025-02-28 in
``data/fx_rates.csv``; (c) the demo data, where no option is "cost class unknown" any more.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from policies.schema import load_pack
from screening.cost_classes import currency_thresholds, pack_cost_classes
from screening.sort import SortRules, cost_class, preliminary_sort

ROOT = Path(__file__).resolve().parents[2]
PACKS = sorted(p.parent for p in (ROOT / "policies" / "packs").glob("*/pack.yaml"))


@pytest.mark.parametrize("folder", PACKS, ids=lambda p: p.name)
def test_every_pack_states_cost_classes_and_screening_reads_what_the_loader_validates(folder):
    meta = load_pack(folder).meta
    assert meta.cost_classes is not None, f"{folder.name}: no cost_classes block"
    read = pack_cost_classes()[folder.name]
    assert (read.currency, read.low_upper, read.high_lower) == (
        meta.currency, meta.cost_classes.low_upper.value, meta.cost_classes.high_lower.value)
    refs = {meta.cost_classes.low_upper.ref, meta.cost_classes.high_lower.ref}
    # an assumption is said to be one: its source is flagged, and the description says so
    flagged = any(meta.sources[r].unverified for r in refs)
    assert flagged, f"{folder.name}: cost classes without a flagged source"
    assert read.assumption == (folder.name != "CN")


def _two_significant(x: float) -> float:
    e = math.floor(math.log10(x)) - 1
    return round(x / 10**e) * 10**e


def test_assumed_thresholds_are_the_chinese_ones_at_the_dated_ecb_rate():
    fx = pd.read_csv(ROOT / "data" / "fx_rates.csv").set_index("currency")["per_eur"]
    assert fx["CNY"] == 7.5782 and fx["DKK"] == 7.4583  # ECB reference rates, 28 February 2025
    for code, p in pack_cost_classes().items():
        if code == "CN":
            assert (p.low_upper, p.high_lower) == (100_000, 1_000_000)
            continue
        eur_low = 100_000 / fx["CNY"]  # 13 195.7 EUR
        assert p.low_upper == _two_significant(eur_low * fx[p.currency]), code
        assert p.high_lower == _two_significant(10 * eur_low * fx[p.currency]), code
    # by hand: 100 000 CNY / 7.5782 x 7.4583 = 98 418 DKK -> 98 000
    assert pack_cost_classes()["DK"].low_upper == 98_000
    assert pack_cost_classes()["NL"].low_upper == 13_000 and pack_cost_classes()["NL"].high_lower == 130_000


@pytest.mark.parametrize(
    "investment, currency, pack, expected",
    [(12_999, "EUR", "NL", "low"), (13_000, "EUR", "NL", "medium"), (130_000, "EUR", "DE", "high"),
     (97_999, "DKK", "DK", "low"), (980_000, "DKK", "DK", "high"), (10_999, "GBP", "UK", "low"),
     (140_000, "USD", "US", "high"), (19_999, "CAD", "CA-ECOENERGY", "low"), (99_999, "CNY", "CN", "low"),
     (50_000, "EUR", None, "medium"),  # no pack: the EUR packs agree on their pair
     (50_000, "EUR", "DK", "medium"),  # a DK enterprise keeping its books in EUR: the EUR pair, not DKK's
     (50_000, "JPY", "DK", "unknown")],
)
def test_cost_class_by_the_enterprises_pack(investment, currency, pack, expected):
    assert cost_class(investment, currency, pack=pack) == expected


def test_currency_fallback_refuses_a_currency_whose_packs_disagree():
    packs = dict(pack_cost_classes())
    from dataclasses import replace
    packs["FR"] = replace(packs["FR"], low_upper=20_000.0)
    assert "EUR" not in currency_thresholds(packs)
    assert currency_thresholds(packs)["DKK"] == (98_000.0, 980_000.0)


def test_demo_data_has_no_option_of_unknown_cost_class_and_says_whose_thresholds():
    o = pd.read_csv(ROOT / "data" / "demo_options.csv")
    e = pd.read_csv(ROOT / "data" / "demo_enterprises.csv")
    s = preliminary_sort(o, e)
    assert "unknown" not in set(s["cost_class"])
    assert not s["sort_reason"].str.contains("cost class unknown").any()
    dk = s[o["enterprise_id"].eq("dk_dairy").to_numpy()]
    assert set(dk["cost_class_basis"]) == {"DK pack: low < 98,000 DKK <= medium < 980,000 DKK <= high (assumption)"}
    # DK-01: 450 000 DKK is medium cost by the DK pack (it was "unknown" before)
    assert s.loc[o["option_id"].eq("DK-01").to_numpy(), "cost_class"].item() == "medium"
    # the enterprise without a currency takes its pack's
    e2 = e.assign(currency=None)
    assert list(preliminary_sort(o, e2)["cost_class"]) == list(s["cost_class"])


def test_a_rule_set_without_pack_thresholds_names_why_a_class_is_unknown():
    o = pd.DataFrame({"enterprise_id": ["E"], "option_id": ["o"], "investment": [5_000.0], "annual_savings": [100.0]})
    e = pd.DataFrame({"enterprise_id": ["E"], "jurisdiction": ["NL"], "currency": ["EUR"]})
    s = preliminary_sort(o, e, SortRules(cost_thresholds={}, pack_thresholds={}))
    assert s.loc[0, "cost_class"] == "unknown"
    assert s.loc[0, "cost_class_basis"] == "no cost-class thresholds for currency EUR (pack NL)"
