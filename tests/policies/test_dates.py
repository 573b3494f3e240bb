"""Rules of any date and no silent no-ops (issue 10, items 6 and 7), at the policy-engine level.

* every pack's tax regime covers every date its rules cover, so a rule can be appraised on its
  own dates; a date before a schedule gives one message naming the fix;
* "up to" figures are parameter ranges with a stated default; a value outside is refused;
* a parameter whose rule or ceiling is not in force on the date, that no rule in force is held
  to, or that belongs to another programme, is refused before anything runs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from policies.catalog import show_pack
from policies.corporate_tax import NoTaxRateError, tax_rates, tax_regime
from policies.engine import ParameterError, check_parameters, parameter_bounds, parameters, support_table
from policies.registry import load_packs
from policies.schema import LossEntry, PackError, RangeValue, iter_ranges, load_pack
from tests.policies.conftest import PACK_YAML, write_pack

PACKS = load_packs()


@pytest.mark.parametrize("code", [c for c, p in sorted(PACKS.items()) if p.meta.tax is not None])
def test_tax_schedule_covers_every_rule_date(code: str) -> None:
    pack = PACKS[code]
    tax = pack.meta.tax
    assert tax is not None
    first_rate = tax.corporate_rate[0].from_
    starts = [r.valid_from for r in pack.rules]
    assert not starts or first_rate <= min(starts), f"{code}: rules from {min(starts)}, tax schedule from {first_rate}"
    lcf = tax.loss_carry_forward_years
    if isinstance(lcf, list):
        assert lcf[0].from_ <= first_rate, f"{code}: loss carry-forward starts after the rate schedule"
    for rule in pack.rules:  # and the rule appraises on its first and last day
        for day in (rule.valid_from, rule.valid_to):
            if day is not None:
                assert tax_regime(code, date.fromisoformat(day))["corporate_rate"] > 0


@pytest.mark.parametrize(("code", "day", "rate"), [
    ("NL", "1995-06-30", 0.35), ("NL", "2021-06-30", 0.25), ("DK", "1995-06-30", 0.34),
    ("DE", "1985-06-30", 0.60), ("FR", "1995-06-30", 0.3666), ("UK", "2001-04-01", 0.30),
    ("UK", "2001-03-31", 0.30), ("UK", "2008-03-31", 0.30), ("UK", "2008-04-01", 0.28),
    ("CN", "1995-06-30", 0.33), ("US", "2000-06-30", 0.35),
])
def test_historical_rates(code: str, day: str, rate: float) -> None:
    # values read in the Tax Foundation / OECD compilation (UK by financial year from 1 April;
    # US federal 35 % 1993-2017, flagged as not re-read)
    assert tax_regime(code, date.fromisoformat(day))["corporate_rate"] == pytest.approx(rate)


def test_secondary_rates_are_flagged() -> None:
    assert "secondary compilation" in tax_regime("NL", date(1995, 6, 30))["unverified"]
    assert "not re-read" in tax_regime("US", date(2000, 6, 30))["unverified"]


def test_loss_carry_forward_is_dated() -> None:
    assert tax_regime("NL", date(1990, 6, 30))["loss_carry_forward_years"] == 8
    assert tax_regime("NL", date(2010, 6, 30))["loss_carry_forward_years"] == 9
    assert tax_regime("NL", date(2020, 6, 30))["loss_carry_forward_years"] == 6
    assert tax_regime("NL", date(2025, 6, 30))["loss_carry_forward_years"] is None  # without limit
    assert tax_regime("DK", date(1995, 6, 30))["loss_carry_forward_years"] == 5
    assert tax_regime("CN", date(1995, 6, 30))["loss_carry_forward_years"] == 5  # one value for all dates


def _one(jurisdiction: str, **ent: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    opts = pd.DataFrame([{"option_id": "a", "enterprise_id": "E", "category": "technology_change", "investment": 1000.0}])
    ents = pd.DataFrame([{"enterprise_id": "E", "jurisdiction": jurisdiction, "size_class": "small", **ent}])
    return opts, ents


def test_a_date_before_the_schedule_names_the_fix() -> None:
    opts, ents = _one("NL")
    with pytest.raises(NoTaxRateError) as exc:
        tax_rates(opts, ents, date(1950, 1, 1))
    assert str(exc.value) == ("enterprise 'E': pack NL has no corporate rate on 1950-01-01 "
                              "(its schedule starts 1980-01-01): give the enterprise a tax_rate")
    opts, ents = _one("NL", tax_rate=0.4)
    assert tax_rates(opts, ents, date(1950, 1, 1)).tolist() == [0.4]
    regime = tax_regime("NL", date(1950, 1, 1))  # finance asks for the loss rule too: no error there
    assert regime["corporate_rate"] != regime["corporate_rate"]  # NaN: the enterprise's own rate is needed


# ------------------------------------------------------------------ "up to" as parameter ranges

def test_up_to_figures_are_ranges_with_a_stated_default() -> None:
    ranges = {f"{r.id}.{path}": v for code in ("DK", "FR", "DE") for r in PACKS[code].rules for path, v in iter_ranges(r)}
    assert {
        "DK-MBL-1991-CLEANTECH.rate.values.applied_research", "DK-MBL-1991-CLEANTECH.rate.values.waste_collection_equipment_research",
        "DK-MBL-54-PUBLIC.rate.values.public_benefit", "DK-MBL-55.rate.values.recycling_production",
        "FR-CP-HIST.rate.values.research", "DE-ESTG-7D.depreciation.first_year_share", "DE-ESTG-7D.depreciation.later_share",
    } == set(ranges)
    assert ranges["DE-ESTG-7D.depreciation.first_year_share"].high.value == 0.60
    nl = PACKS["NL"].rules[0]
    assert nl.rate is not None and nl.rate.default is not None and nl.rate.default.value == 0.15  # stated, not implied
    # the catalogue says the figure is a ceiling, names the parameter and the default assumed
    fr = next(r for r in show_pack("FR") if r["id"] == "FR-CP-HIST")
    assert "research up to 50 % (programme parameter FR-CP-HIST.rate.values.research, default 50 %)" in fr["rate"]


def test_parameters_list_ranges_by_their_path() -> None:
    got = parameters(PACKS["DE"], date(1985, 6, 30))
    assert got["DE-ESTG-7D.depreciation.first_year_share"] == 0.60
    assert not any(k.endswith((".low", ".high", ".default")) and "depreciation" in k for k in got)
    assert parameter_bounds(PACKS["DE"], date(1985, 6, 30))["DE-ESTG-7D.depreciation.later_share"] == (0.0, 0.10)


def test_range_value_out_of_bounds_is_refused_before_running() -> None:
    with pytest.raises(ParameterError, match=r"parameter FR-CP-HIST\.rate\.values\.research = 0\.6 is outside the range \[0\.0, 0\.5\]"):
        check_parameters({"FR-CP-HIST.rate.values.research": 0.6}, date(1995, 6, 30))
    with pytest.raises(ParameterError, match=r"NL-CP-GRANT\.rate = 0\.5 is outside the range \[0\.15, 0\.4\]"):
        check_parameters({"NL-CP-GRANT.rate": 0.5}, date(1995, 6, 30), programme="NL")
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) \['depreciation\.first_year_share\.high'\]"):
        check_parameters({"DE-ESTG-7D.depreciation.first_year_share.high": 0.9}, date(1985, 6, 30))


def test_range_value_changes_the_amount() -> None:
    opts = pd.DataFrame([{"option_id": "a", "enterprise_id": "E", "category": "process_control", "investment": 80000.0,
                          "project_type": "research"}])
    ents = pd.DataFrame([{"enterprise_id": "E", "jurisdiction": "FR", "size_class": "large"}])
    day = date(1995, 6, 30)
    assert support_table(opts, ents, day)["amount"].tolist() == [40000.0]  # default: the 50 % ceiling
    assert support_table(opts, ents, day, {"FR-CP-HIST.rate.values.research": 0.25})["amount"].tolist() == [20000.0]


@pytest.mark.parametrize(("yaml", "message"), [
    ("{low: {value: 0.5, ref: src}, high: {value: 0.4, ref: src}, default: {value: 0.4, ref: src}}", "low 0.5 > high 0.4"),
    ("{low: {value: 0.0, ref: src}, high: {value: 0.4, ref: src}, default: {value: 0.6, ref: src}}", "default 0.6 outside"),
    ("{low: {value: 0.0, ref: src}, high: {value: 0.4, ref: src}}", "first_year_share.default: Field required"),
    # a misspelt key is named alone (the figure is recognised as a range, not tried as a plain value too)
    ("{low: {value: 0.0, ref: src}, high: {value: 0.4, ref: src}, defualt: {value: 0.4, ref: src}}",
     "first_year_share.defualt: unknown key"),
])
def test_bad_range_value_refused(tmp_path: Path, yaml: str, message: str) -> None:
    rules = f"""\
rules:
  - id: TK-DEP
    name: A depreciation
    kind: depreciation
    valid_from: "2020-01-01"
    source: src
    depreciation:
      first_year_share: {yaml}
"""
    with pytest.raises(PackError) as exc:
        load_pack(write_pack(tmp_path, "TK", rules))
    msg = str(exc.value)
    assert "rule TK-DEP" in msg and "depreciation.first_year_share" in msg and message in msg
    assert "field depreciation.first_year_share.value" not in msg
    assert RangeValue.model_fields.keys() == {"low", "high", "default"} and "years" in LossEntry.model_fields


def test_loss_entries_must_be_in_date_order(tmp_path: Path) -> None:
    pack = PACK_YAML.format(code="TK") + """\
  loss_carry_forward_years:
    - {from: "2010-01-01", years: {value: 5, ref: src}}
    - {from: "2005-01-01", years: {value: 9, ref: src}}
"""
    with pytest.raises(PackError, match=r"loss_carry_forward_years entries must be in increasing"):
        load_pack(write_pack(tmp_path, "TK", "rules: []\n", pack))


# ------------------------------------------------------------------ parameters that change nothing

def test_parameter_of_a_rule_not_in_force_is_refused_with_its_dates() -> None:
    with pytest.raises(ParameterError) as exc:
        check_parameters({"NL-CP-GRANT.rate": 0.25}, date(2026, 12, 1), programme="NL")
    assert str(exc.value) == ("parameter NL-CP-GRANT.rate: rule NL-CP-GRANT is in force 1990-01-01 to 1999-12-31, "
                              "not on 2026-12-01: pick an appraisal date within it (--date)")
    with pytest.raises(ParameterError, match=r"rule NL-MIA-2025 is in force from 2025-01-01, not on 1995-06-30"):
        check_parameters({"NL-MIA-2025.rate.values.I": 0.3}, date(1995, 6, 30))
    opts, ents = _one("NL")  # the engine itself refuses too (every path through it: CLI, page, library)
    with pytest.raises(ParameterError, match=r"NL-CP-GRANT is in force 1990-01-01 to 1999-12-31, not on 2026-12-01"):
        support_table(opts, ents, date(2026, 12, 1), {"NL-CP-GRANT.rate": 0.25})
    check_parameters({"NL-CP-GRANT.rate": 0.25}, date(1995, 6, 30), programme="NL")  # in force: accepted


def test_ceiling_parameters_must_bind_something() -> None:
    with pytest.raises(ParameterError, match=r"aid ceiling EU-GBER2008-21 is in force 2008-08-29 to 2014-06-30, not on 2025-06-01"):
        check_parameters({"EU-GBER2008-21.intensity.base": 0.2}, date(2025, 6, 1))
    with pytest.raises(ParameterError, match=r"no rule in force on 2025-06-01 is held to aid ceiling EU-GBER2023-36 "
                                             r"\(measure 'environmental_protection'\), so it changes nothing"):
        check_parameters({"EU-GBER2023-36.intensity.base": 0.2}, date(2025, 6, 1), programme="NL")
    check_parameters({"EU-GBER2023-38.intensity.base": 0.2}, date(2025, 6, 1), programme="NL")  # NL-EIA-2024 is held to it


def test_parameter_of_another_programme_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"parameter DK-MBL-55\.rate\.values\.recycling_production: DK-MBL-55 belongs to "
                                             r"pack DK, not to programme NL, so it changes nothing"):
        check_parameters({"DK-MBL-55.rate.values.recycling_production": 0.1}, date(2005, 6, 1), programme="NL")
