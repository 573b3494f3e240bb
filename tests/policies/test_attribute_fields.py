"""Attributes the rules read are part of the import format (code health, and their validation).

A pack that reads a column the field table does not know would silently give every option 0 (the
issue's DK and FR project_type): these tests fail on such a pack.
"""

from __future__ import annotations

import pandas as pd
import pytest

from policies.attributes import attribute_values, attributes_read
from screening.schema import ValidationError, fields, validate

FIELDS = {f.column: f for t in ("enterprises", "options") for f in fields(t)}
YES_NO = {"yes", "no", "true", "false", "1", "0"}


def test_every_attribute_a_pack_reads_is_a_field():
    read = attributes_read()
    assert {"project_type", "mia_tier", "vamil", "environmental_share"} <= set(read)  # the grep is not empty
    missing = sorted(set(read) - set(FIELDS))
    assert not missing, f"columns the packs read but screening/fields.csv lacks: {missing} (rules: " \
                        f"{ {c: read[c].rules for c in missing} })"


@pytest.mark.parametrize("column", sorted(attributes_read()))
def test_field_type_fits_how_the_packs_read_it(column):
    use, f = attributes_read()[column], FIELDS[column]
    if use.kind == "number":
        assert f.type == "float", f"{column}: read as a number by {use.rules}, field type {f.type}"
    elif f.type == "bool":
        # a yes/no field is read as 'yes'/'no': every value a pack lists must be one of those spellings
        assert {v.lower() for v in use.values} <= YES_NO, f"{column}: {use.values} are not yes/no values"
    else:
        assert f.type in ("attribute", "size_class", "category"), f"{column}: type {f.type} cannot hold {use.values}"


def test_allowed_values_are_collected_from_the_packs():
    vals = attribute_values()
    assert vals["mia_tier"] == ("I", "II", "III")
    # DK (1991 act and §§ 54-55) and FR (seed grant) both read project_type
    assert {"public_benefit", "industrial_research", "recycling_production", "demonstration", "research"} <= set(vals["project_type"])


def test_import_format_reads_the_same_values_as_the_validated_packs():
    from screening.pack_values import pack_attribute_values

    assert pack_attribute_values() == attribute_values()


def _options(**extra: object) -> pd.DataFrame:
    return pd.DataFrame([{"option_id": "o1", "enterprise_id": "e1", "title": "t", "category": "byproduct",
                          "investment": 1000, "annual_savings": 100, "lifetime_years": 5} | extra])


ENTS = pd.DataFrame([{"enterprise_id": "e1", "name": "E", "jurisdiction": "DK", "size_class": "small"}])


def test_unknown_project_type_refused_naming_row_field_and_allowed_values():
    with pytest.raises(ValidationError) as exc:
        validate(ENTS, _options(project_type="recycling"))
    (err,) = exc.value.errors
    assert (err.row, err.column, err.value) == (2, "project_type", "recycling")
    for allowed in attribute_values()["project_type"]:
        assert allowed in err.reason


def test_attribute_values_keep_the_packs_spelling_and_default():
    v = validate(ENTS, _options(mia_tier="ii", project_type="Development", vamil="yes", environmental_share=0.8))
    row = v.options.iloc[0]
    assert (row["mia_tier"], row["project_type"], row["vamil"], row["environmental_share"]) == ("II", "development", True, 0.8)
    v = validate(ENTS, _options())
    row = v.options.iloc[0]
    assert row["project_type"] is None and not row["vamil"] and row["other_grants"] == 0.0


def test_share_out_of_range_refused():
    with pytest.raises(ValidationError) as exc:
        validate(ENTS, _options(environmental_share=70))
    assert exc.value.errors[0].column == "environmental_share" and "0..1" in exc.value.errors[0].reason
