"""Policies page: each pack's rules with rates, dates and sources; unverified figures flagged."""

from __future__ import annotations

from datetime import date

from policies.catalog import list_packs, show_pack


def _rules(at):
    return next(d.value for d in at.dataframe if "source_title" in d.value.columns)


def test_every_pack_is_listed(app):
    at = app("policies")
    packs = next(d.value for d in at.dataframe if "tax_rate" in d.value.columns)
    assert set(packs["code"]) == {p["code"] for p in list_packs()}


def test_choosing_a_pack_shows_its_rules_with_sources(app):
    at = app("policies")
    sb = at.selectbox(key="policy_pack")
    sb.select("NL").run()
    assert not at.exception
    rules = _rules(at)
    expected = show_pack("NL")
    assert list(rules["id"]) == [r["id"] for r in expected]
    assert {"rate", "conditions", "valid_from", "valid_to", "source_title", "source_url"} <= set(rules.columns)
    n_unverified = sum(1 for r in expected if r["unverified"])
    if n_unverified:
        assert any(f"{n_unverified} of {len(expected)} rule(s)" in w.value for w in at.warning)


def test_in_force_toggle_keeps_only_rules_valid_on_the_sidebar_date(app):
    at = app("policies")
    at.sidebar.date_input(key="on_date").set_value(date(2024, 6, 1)).run()
    at.selectbox(key="policy_pack").select("NL").run()
    everything = _rules(at)
    at.toggle(key="in_force_only").set_value(True).run()
    assert not at.exception
    shown = _rules(at)
    assert len(shown) < len(everything)
    assert all(vf <= "2024-06-01" for vf in shown["valid_from"])
    assert all(vt is None or vt != vt or vt >= "2024-06-01" for vt in shown["valid_to"])
