"""The fast path of validation (``screening.typed_columns``) gives what the full path gives.

Each case validates the same frames twice: once as they are, once with the fast path turned off
(every column through ``check_column``'s classification), and asserts the same typed frames
(values and dtypes) or the same bad cells (row, column, value, reason).  A typed frame written once
as Parquet (numbers, integers and booleans typed) and once as CSV text gives the same validated
frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import screening.columns as column_checks
import screening.schema as schema
from screening.schema import ValidationError, validate
from store.readers import read_files


def _both(ent: pd.DataFrame, opt: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, hits: list | None = None, **kw):
    """(fast, full): each a Validated or the ValidationError's table; ``hits`` gets the columns
    the fast path read."""
    out = []
    real = column_checks.fast_path_column

    def counted(f, raw, jurisdictions):
        got = real(f, raw, jurisdictions)
        if got is not None and hits is not None:
            hits.append(f.column)
        return got

    for fast in (True, False):
        with monkeypatch.context() as m:
            m.setattr(column_checks, "fast_path_column", counted if fast else (lambda *a: None))
            try:
                out.append(validate(ent, opt, **kw))
            except ValidationError as exc:
                out.append(exc.frame())
    return out


def _same(a, b) -> None:
    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        assert isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame), (a, b)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        return
    for x, y in ((a.enterprises, b.enterprises), (a.options, b.options)):
        assert list(x.columns) == list(y.columns)
        assert list(x.dtypes) == list(y.dtypes)
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def _str(values) -> pd.Series:
    """A text column as a CSV or a Parquet text column reaches validation (pandas' Arrow strings)."""
    return pd.Series(values, dtype="str")


def _frames(n: int = 40, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enterprises and options with typed columns: numbers, integers, booleans, list words, ids."""
    rng = np.random.default_rng(seed)
    ent = pd.DataFrame({
        "enterprise_id": _str([f"E{i}" for i in range(5)]),
        "name": _str(["Acme", "Zuivel B.V.", "Ölmühle", "Plater & Co", "Dairy"]),
        "jurisdiction": _str(["NL", "DK", "DE", "none", "FR"]),
        "size_class": _str(["small", "micro", "medium", "large", "small"]),
        "discount_rate": [0.08, 0.1, 0.05, 0.07, 0.0],
        "tax_capacity": [True, False, True, True, False],
    })
    cats = np.array(schema.CATEGORIES, dtype=object)
    opt = pd.DataFrame({
        "option_id": _str([f"O{i}" for i in range(n)]),
        "enterprise_id": _str([f"E{i % 5}" for i in range(n)]),
        "title": _str([f"option {i} — café" if i % 3 else f"option {i}" for i in range(n)]),
        "category": _str(cats[rng.integers(0, len(cats), n)]),
        "investment": rng.integers(1000, 90_000, n).astype(float),
        "annual_savings": np.round(rng.normal(4000, 3000, n), 2),
        "annual_cost_change": rng.uniform(0, 500, n),
        "lifetime_years": rng.integers(1, 30, n),
        "salvage_value": np.where(rng.random(n) < 0.3, np.nan, 100.0),
        "energy_saved_mwh": rng.uniform(0, 2000, n) / 3,
        "mandatory": rng.random(n) < 0.2,
        "excludes": _str(["O5" if i == 0 else "" for i in range(n)]),
        "status": _str(["proposed"] * (n - 1) + ["study"]),
    })
    return ent, opt


def test_typed_frames_from_both_paths_are_the_same(monkeypatch):
    ent, opt = _frames()
    hits: list[str] = []
    fast, full = _both(ent, opt, monkeypatch, hits)
    _same(fast, full)
    assert set(hits) == set(ent.columns) | set(opt.columns)  # every column took the fast path
    assert fast.options["lifetime_years"].dtype == "Int64" and fast.options["mandatory"].dtype == bool


def test_typed_parquet_and_csv_text_validate_the_same(tmp_path, monkeypatch):
    ent, opt = _frames(60)
    got = {}
    for ext in ("parquet", "csv"):
        pe, po = tmp_path / f"ent.{ext}", tmp_path / f"opt.{ext}"
        if ext == "parquet":
            ent.to_parquet(pe, index=False)
            opt.to_parquet(po, index=False)
        else:
            ent.to_csv(pe, index=False)
            opt.to_csv(po, index=False)
        batch = read_files([pe, po])
        (e, _), (o, _) = batch.frames["enterprises"][0], batch.frames["options"][0]
        if ext == "parquet":  # the fast path reads typed columns as they are
            assert o["investment"].dtype == np.float64 and o["lifetime_years"].dtype == np.int64 and o["mandatory"].dtype == bool
        else:
            assert all(str(t) == "str" for t in o.dtypes)
        hits: list[str] = []
        fast, full = _both(e, o, monkeypatch, hits, sources={"enterprises": pe.name, "options": po.name})
        _same(fast, full)
        assert {"investment", "lifetime_years", "mandatory", "category", "title", "excludes"} <= set(hits), ext
        got[ext] = fast
    _same(got["parquet"], got["csv"])


MESSY = {
    "spaces and case": {"category": ["  Good_Housekeeping ", "BYPRODUCT"], "status": [" Study", "PROPOSED  "],
                        "mandatory": [" Yes", "no "], "investment": [" 10 ", "2.5e3"], "title": ["  padded  ", "x"]},
    "blanks take defaults": {"annual_cost_change": ["", "  "], "status": ["", "study"], "depreciation_years": ["", "3"],
                             "hierarchy": ["", "treat"], "excludes": ["", "  "]},
    "excludes lists": {"excludes": [" O2 ; ;O2", "O1;"]},
    "non-ASCII and tabs in text": {"title": ["Ölmühle\tline", "naïve — ok"]},
    "bad numbers": {"investment": ["abc", "nan"], "lifetime_years": ["2.5", "0"]},
    "decimal commas": {"investment": ["1,5", "2"], "annual_savings": ["3,25", "1.0"]},
    "inf and bounds": {"investment": ["inf", "-1"], "salvage_value": ["1e300", "5"]},
    "bad words": {"category": ["recycling", "byproduct"], "mandatory": ["maybe", "1"], "status": ["done", "study"]},
    "missing required": {"title": ["", "B"], "category": ["byproduct", " "]},
    "control and bidi in ids": {"option_id": ["O\u202e1", "O\x072"], "title": ["#N/A", "ok\x01"]},
    "spreadsheet error": {"annual_savings": ["#DIV/0!", "1"]},
    "duplicates and orphans": {"option_id": ["O1", "O1"], "enterprise_id": ["E1", "E9"]},
    "long text": {"title": ["x" * 40_000, "y"]},
}


@pytest.mark.parametrize("case", sorted(MESSY))
def test_messy_text_gives_the_same_frames_or_the_same_bad_cells(case, monkeypatch):
    cols = MESSY[case]
    base = {"option_id": ["O1", "O2"], "enterprise_id": ["E1", "E1"], "title": ["A", "B"], "category": ["byproduct"] * 2,
            "investment": ["10", "20"], "annual_savings": ["5", "6"], "lifetime_years": ["5", "7"]}
    opt = pd.DataFrame({k: _str(v) for k, v in {**base, **cols}.items()})
    ent = pd.DataFrame({"enterprise_id": _str(["E1"]), "name": _str(["Acme"]), "jurisdiction": _str([" nl "]),
                        "size_class": _str(["Small"])})
    hits: list[str] = []
    fast, full = _both(ent, opt, monkeypatch, hits, sources={"enterprises": "e.csv", "options": "o.csv"})
    _same(fast, full)
    if case == "spaces and case":  # padded words and numbers are no reason to leave the fast path
        assert set(cols) <= set(hits)


@pytest.mark.parametrize("column, values", [
    ("investment", [10.0, np.nan]),        # a required number missing
    ("investment", [np.inf, 5.0]),
    ("investment", [-1.0, 5.0]),
    ("lifetime_years", [2.5, 3.0]),        # a whole number as a float
    ("lifetime_years", [0, 3]),            # an int column out of range
    ("annual_savings", [1e16, 1.0]),       # beyond the amount bound
    ("mandatory", [1.0, 0.0]),             # numbers in a boolean field
    ("salvage_value", [True, False]),      # booleans in a numeric field
])
def test_typed_bad_columns_give_the_same_bad_cells(column, values, monkeypatch):
    base = {"option_id": _str(["O1", "O2"]), "enterprise_id": _str(["E1", "E1"]), "title": _str(["A", "B"]),
            "category": _str(["byproduct"] * 2), "investment": [10.0, 20.0], "annual_savings": [5.0, 6.0],
            "lifetime_years": [5, 7]}
    opt = pd.DataFrame({**base, column: values})
    ent = pd.DataFrame({"enterprise_id": _str(["E1"]), "name": _str(["Acme"]), "jurisdiction": _str(["NL"]),
                        "size_class": _str(["small"])})
    fast, full = _both(ent, opt, monkeypatch)
    _same(fast, full)
    assert isinstance(fast, pd.DataFrame) or column == "mandatory"


@pytest.mark.parametrize("seed", range(4))
def test_duplicate_keys_are_the_rows_a_first_seen_table_finds(seed):
    """``_check_duplicates`` (option_id alone distinct, or the combined key) against a plain dict of
    first rows, with missing parts."""
    from screening.errors import Collector

    rng = np.random.default_rng(seed)
    n = 300
    distinct = seed == 0  # option ids that never repeat: the shortcut
    eid = rng.choice(np.array(["E1", "E2", "E3", None], dtype=object), n, p=[0.4, 0.3, 0.2, 0.1])
    oid = np.array([f"O{i}" for i in range(n)] if distinct else rng.choice([f"O{i}" for i in range(40)] + [None], n), dtype=object)
    frame = pd.DataFrame({"enterprise_id": eid, "option_id": oid}, dtype=object)
    errors = Collector()
    ctx = column_checks.CheckContext("options", np.arange(n) + 2, np.full(n, "o.csv", dtype=object), errors)
    schema._check_duplicates(frame, ctx)
    got = [(int(r), v, why) for r, v, why in errors.frame()[["row", "value", "reason"]].itertuples(index=False)] if errors else []
    first: dict[tuple[str, str], int] = {}
    want = []
    for i, key in enumerate(zip(eid, oid)):
        if None in key:
            continue
        if key in first:
            want.append((i + 2, f"{key[0]} / {key[1]}", f"duplicate id (first seen in row {first[key]})"))
        else:
            first[key] = i + 2
    assert got == want
    assert distinct == (not want)


def test_a_text_column_of_few_values_shares_their_strings_and_equals_the_full_path(monkeypatch):
    n = 10_000  # above the rows sampled for repeats
    titles = np.array(["pump", "  heat recovery ", "Ölmühle"], dtype=object)[np.arange(n) % 3]
    opt = pd.DataFrame({"option_id": _str([f"O{i}" for i in range(n)]), "enterprise_id": _str(["E1"] * n),
                        "title": _str(titles), "category": _str(["byproduct"] * n), "investment": np.full(n, 10.0),
                        "annual_savings": np.full(n, 2.0), "lifetime_years": np.full(n, 5)})
    ent = pd.DataFrame({"enterprise_id": _str(["E1"]), "name": _str(["Acme"]), "jurisdiction": _str(["NL"]),
                        "size_class": _str(["small"])})
    hits: list[str] = []
    fast, full = _both(ent, opt, monkeypatch, hits)
    _same(fast, full)
    assert "title" in hits
    got = fast.options["title"].to_numpy(dtype=object)
    assert got[1] == "heat recovery" and len({id(v) for v in got}) == 3
