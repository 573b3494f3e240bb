"""Code health of the packs: strict schema, referenced values, no unread parameters, flags shown.

Each refusal is checked on a bad YAML written in tmp_path, and the message must name the file,
the rule and the field (PolicyEngine UK's code-health tests guard the same things).
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from policies.catalog import list_packs, show_pack
from policies.engine import support_items, support_table, unread_parameters
from policies.kinds import ParameterError
from policies.registry import load_packs
from policies.schema import PackError, load_pack
from tests.policies.conftest import write_pack

GOOD_RULE = """\
rules:
  - id: TK-GRANT
    name: A grant
    kind: grant
    valid_from: "2020-01-01"
    source: src
    rate: {form: fixed, value: {value: 0.2, ref: src}}
"""


def _error(tmp_path: Path, rules: str) -> str:
    folder = write_pack(tmp_path, "TK", rules)
    with pytest.raises(PackError) as exc:
        load_pack(folder)
    return str(exc.value)


def test_good_rule_loads(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path, "TK", GOOD_RULE))
    assert [r.id for r in pack.rules] == ["TK-GRANT"]


def test_unknown_key_refused(tmp_path: Path) -> None:
    msg = _error(tmp_path, GOOD_RULE + "    taxabel: true\n")
    assert "rules.yaml" in msg and "rule TK-GRANT" in msg and "field taxabel" in msg and "unknown key" in msg


def test_unknown_nested_key_refused(tmp_path: Path) -> None:
    msg = _error(tmp_path, GOOD_RULE.replace("{form: fixed, value:", "{form: fixed, vlaue: {value: 1, ref: src}, value:"))
    assert "rule TK-GRANT" in msg and "field rate.vlaue" in msg


def test_duplicate_key_refused(tmp_path: Path) -> None:
    msg = _error(tmp_path, GOOD_RULE + "    kind: tax_credit\n")
    assert "rules.yaml" in msg and "rule TK-GRANT" in msg and "field kind" in msg and "duplicate key" in msg


@pytest.mark.parametrize("bad", ['"2024-02-30"', "2024-13-01", '"1 Jan 2024"', '"2024-1-1"'])
def test_bad_date_refused(tmp_path: Path, bad: str) -> None:
    msg = _error(tmp_path, GOOD_RULE.replace('valid_from: "2020-01-01"', f"valid_from: {bad}"))
    assert "rule TK-GRANT" in msg and "field valid_from" in msg


def test_unquoted_date_kept_as_iso_string(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path, "TK", GOOD_RULE.replace('"2020-01-01"', "2020-01-01")))
    assert pack.rules[0].valid_from == "2020-01-01"


def test_end_before_start_refused(tmp_path: Path) -> None:
    msg = _error(tmp_path, GOOD_RULE + '    valid_to: "2019-12-31"\n')
    assert "rule TK-GRANT" in msg and "before valid_from" in msg


@pytest.mark.parametrize("value", ["0.2", "{value: 0.2}"])
def test_value_without_reference_refused(tmp_path: Path, value: str) -> None:
    msg = _error(tmp_path, GOOD_RULE.replace("{value: 0.2, ref: src}", value))
    assert "rules.yaml" in msg and "rule TK-GRANT" in msg and "field rate.value" in msg
    assert "without a reference" in msg


def test_reference_to_undeclared_source_refused(tmp_path: Path) -> None:
    msg = _error(tmp_path, GOOD_RULE.replace("ref: src}", "ref: nowhere}"))
    assert "rule TK-GRANT" in msg and "field rate.value.ref" in msg and "nowhere" in msg


def test_rule_without_source_refused(tmp_path: Path) -> None:
    msg = _error(tmp_path, GOOD_RULE.replace("    source: src\n", ""))
    assert "rule TK-GRANT" in msg and "field source" in msg


def test_pack_value_without_reference_refused(tmp_path: Path) -> None:
    folder = write_pack(tmp_path, "TK", GOOD_RULE)
    text = (folder / "pack.yaml").read_text().replace("rate: {value: 0.25, ref: src}", "rate: 0.25")
    (folder / "pack.yaml").write_text(text)
    with pytest.raises(PackError, match=r"pack\.yaml: rule -: field tax\.corporate_rate\.0\.rate: .*without a reference"):
        load_pack(folder)


def test_parameter_no_kind_reads_is_reported(make_packs) -> None:
    # A grant does not read a holiday schedule: the three figures are unread parameters.
    packs = make_packs(GOOD_RULE + """\
    holiday:
      exempt_years: {value: 3, ref: src}
      reduced_years: {value: 3, ref: src}
      reduced_factor: {value: 0.5, ref: src}
""")
    assert unread_parameters(packs["TK"], packs) == [
        "TK-GRANT.holiday.exempt_years", "TK-GRANT.holiday.reduced_factor", "TK-GRANT.holiday.reduced_years"]


def test_shipped_packs_load() -> None:
    packs = load_packs()
    assert {"NL", "DK", "DE", "FR", "UK", "CN", "US", "EU", "CA-ECOENERGY"} <= set(packs)


@pytest.mark.parametrize("code", sorted(load_packs()))
def test_no_parameter_unread(code: str) -> None:
    assert unread_parameters(load_packs()[code]) == []


@pytest.mark.parametrize("code", sorted(load_packs()))
def test_every_rule_has_a_source_with_url_or_flag(code: str) -> None:
    pack = load_packs()[code]
    for rule in list(pack.rules) + list(pack.ceilings):
        src = pack.meta.sources[rule.source]
        assert src.title and src.date_read
        assert src.url or src.unverified, f"{code}/{rule.id}: a source with no URL must be flagged"


@pytest.mark.parametrize("rule_id", [
    "NL-CP-GRANT", "NL-EIA-2024", "DK-MBL-1991-CLEANTECH", "DK-ERHVERVSPULJEN-2024", "FR-CP-HIST",
    "EU-GBER2023-36", "US-48C-2023", "CA-ECOENERGY-RETROFIT",
])
def test_unconfirmed_figures_are_flagged(rule_id: str) -> None:
    # The figures POLICY-FACTS marks as not confirmed carry an 'unverified' reason the UI shows.
    records = {r["id"]: r for code in load_packs() for r in show_pack(code)}
    assert records[rule_id]["unverified"] != ""


def test_flag_reaches_the_support_item() -> None:
    items = support_items({"category": "technology_change", "investment": 100000.0, "energy_saved_mwh": 10.0},
                          {"jurisdiction": "NL", "size_class": "small"}, date(1995, 1, 1))
    assert len(items) == 1 and items[0].unverified and "no primary text" in items[0].unverified_reason


def test_confirmed_rule_is_not_flagged() -> None:
    records = {r["id"]: r for r in show_pack("UK")}
    assert records["UK-FULL-EXPENSING-2023"]["unverified"] == ""


def test_unverified_tax_rate_is_flagged_in_list() -> None:
    rows = {r["code"]: r for r in list_packs(date(2025, 1, 1))}
    assert rows["CN"]["tax_rate"] == 0.25 and rows["CN"]["tax_rate_unverified"] != ""
    # US 21 %: read in § 11(b) itself (2026-12), no longer flagged
    assert rows["US"]["tax_rate"] == 0.21 and rows["US"]["tax_rate_unverified"] == ""
    assert rows["UK"]["tax_rate"] == 0.25 and rows["UK"]["tax_rate_unverified"] == ""
    assert rows["EU"]["tax_rate"] is None


def test_show_unknown_pack_names_known_codes() -> None:
    with pytest.raises(ValueError, match=r"unknown policy pack 'XX'.*'NL'"):
        show_pack("XX")


def test_show_pack_records() -> None:
    recs = show_pack("NL")
    eia = next(r for r in recs if r["id"] == "NL-EIA-2024")
    assert eia["kind"] == "tax_deduction" and eia["rate"].startswith("40 % of eligible_investment")
    assert eia["valid_from"] == "2024-01-01" and eia["valid_to"] == "2026-12-31"
    assert eia["source_url"].startswith("https://www.rvo.nl") and "not with NL-MIA-2025" in eia["conditions"]


def test_unknown_programme_parameter_refused() -> None:
    opts = pd.DataFrame([{"option_id": "a", "enterprise_id": "E", "category": "technology_change", "investment": 1.0}])
    ents = pd.DataFrame([{"enterprise_id": "E", "jurisdiction": "NL", "size_class": "small"}])
    with pytest.raises(ParameterError, match=r"unknown parameter 'NL-NOPE\.rate'"):
        support_table(opts, ents, date(2025, 1, 1), {"NL-NOPE.rate": 0.2})
    with pytest.raises(ParameterError, match=r"rule NL-EIA-2024: unknown parameter\(s\) \['rate\.vale'\]; known: .*rate\.value"):
        support_table(opts, ents, date(2025, 1, 1), {"NL-EIA-2024.rate.vale": 0.2})
    with pytest.raises(ParameterError, match=r"NL-CP-GRANT\.rate = 0\.5 is outside the range \[0\.15, 0\.4\]"):
        support_table(opts, ents, date(1995, 1, 1), {"NL-CP-GRANT.rate": 0.5})


def test_no_country_branches_in_code() -> None:
    # Jurisdictions are data: no pack code appears as a string constant in the code
    # (docstrings aside), so there can be no `if country == ...`.
    codes = set(load_packs())
    root = Path(__file__).resolve().parents[2] / "policies"
    for py in root.glob("*.py"):
        tree = ast.parse(py.read_text())
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        constants = {n.value for n in ast.walk(tree)
                     if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings}
        assert not constants & codes, f"{py.name} names packs {sorted(constants & codes)} in code"
