"""Property: random malformed rows never crash the importer and never store a partial import."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.schema import ValidationError, columns
from store.io import import_frames, table_fingerprint

CELL = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.sampled_from(["", "abc", "-1", "1e400", "nan", "inf", "yes", "maybe", "=1+1", "good_housekeeping", "NL", "small", "E1", "O1", "O1;O2"]),
    st.integers(min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)


def rows(table: str, n: int):
    cols = columns(table)
    return st.lists(st.fixed_dictionaries({c: CELL for c in cols}), min_size=1, max_size=n)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ents=rows("enterprises", 4), opts=rows("options", 6), drop=st.sampled_from([None, "investment", "jurisdiction", "title"]))
def test_random_rows_never_crash_and_never_store_half(db, ents, opts, drop):
    import_frames(db, pd.DataFrame({"enterprise_id": ["BASE"], "name": ["Base"], "jurisdiction": ["NL"], "size_class": ["small"]}))
    before = table_fingerprint(db)
    e, o = pd.DataFrame(ents), pd.DataFrame(opts)
    if drop:
        e, o = e.drop(columns=[drop], errors="ignore"), o.drop(columns=[drop], errors="ignore")
    try:
        report = import_frames(db, e, o)
    except ValidationError as exc:
        assert exc.errors, "a refused import names at least one bad cell"
        for err in exc.errors:
            assert err.column and err.reason
        assert table_fingerprint(db) == before
    else:
        after = table_fingerprint(db)
        assert len(after["options"]) >= report.options
        assert len(after["enterprises"]) >= report.enterprises


# --- every input path: CSV, XLSX, Parquet, scores, IAC workbook, the editor, the CLI --------------
import datetime as dt  # noqa: E402
import decimal  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import openpyxl  # noqa: E402

from store.readers import ImportFileError  # noqa: E402
from store.io import import_files  # noqa: E402

TYPED = st.one_of(
    CELL,
    st.sampled_from(["#N/A", "#DIV/0!", "O\u202e1", "a\x00b", "x" * 40_000, "1e308", " 5 ", "TRUE", "'=1", "\ud800"]),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1900, 1, 1)),
    st.times(),
    st.timedeltas(max_value=dt.timedelta(days=9999), min_value=dt.timedelta(0)),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**6, min_value=-10**6),
    st.lists(st.integers(), max_size=2),
    st.binary(max_size=3),
)
OPTION_COLS = columns("options")[:10] + ["note"]
SCORE_COLS = ("enterprise_id", "option_id", "assessor", "criterion", "score")
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _base(db) -> dict:
    import_frames(db, pd.DataFrame({"enterprise_id": ["BASE"], "name": ["Base"], "jurisdiction": ["NL"], "size_class": ["small"]}),
                  pd.DataFrame({"option_id": ["P1"], "enterprise_id": ["BASE"], "title": ["t"], "category": ["byproduct"],
                                "investment": [1], "annual_savings": [1], "lifetime_years": [3]}))
    return table_fingerprint(db)


def _import_is_whole_or_nothing(db, paths) -> None:
    before = table_fingerprint(db)
    try:
        import_files(db, paths)
    except (ValidationError, ImportFileError) as exc:
        if isinstance(exc, ValidationError):
            assert exc.count and all(e.column and e.reason and len(e.value) < 200 for e in exc.first(50))
        assert table_fingerprint(db) == before


def _option_rows(draw_rows):
    return [{"option_id": "F1", "enterprise_id": "BASE", "title": "t", "category": "byproduct", "investment": 1,
             "annual_savings": 1, "lifetime_years": 3, **r} for r in draw_rows]


ROWS = st.lists(st.dictionaries(st.sampled_from(OPTION_COLS), TYPED, max_size=4), min_size=1, max_size=4)


@SETTINGS
@given(rows=ROWS)
def test_xlsx_cells_of_any_type_never_crash_and_never_store_half(db, rows):
    _base(db)
    frame = pd.DataFrame(_option_rows(rows), dtype=object)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "o.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "options"
        ws.append(list(frame.columns))
        for r in frame.itertuples(index=False):
            try:
                ws.append([None if isinstance(v, float) and v != v else (str(v) if isinstance(v, (list, bytes, decimal.Decimal)) else v) for v in r])
            except Exception:  # noqa: BLE001 - a value openpyxl itself cannot write (control characters, huge ints)
                return
        try:
            wb.save(p)
        except Exception:  # noqa: BLE001 - e.g. a lone surrogate: no workbook to import
            return
        _import_is_whole_or_nothing(db, [p])


@SETTINGS
@given(rows=ROWS)
def test_parquet_and_editor_frames_of_any_type_never_crash_and_never_store_half(db, rows):
    _base(db)
    frame = pd.DataFrame(_option_rows(rows), dtype=object)
    before = table_fingerprint(db)
    try:
        import_frames(db, options=frame.astype(object), source="table")
    except ValidationError:
        assert table_fingerprint(db) == before
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "o.parquet"
        try:
            frame.to_parquet(p)
        except Exception:  # noqa: BLE001 - a mixture Arrow cannot type is no Parquet file to import
            return
        _import_is_whole_or_nothing(db, [p])


@SETTINGS
@given(rows=st.lists(st.dictionaries(st.sampled_from(list(SCORE_COLS)), TYPED, max_size=3), min_size=1, max_size=4))
def test_scores_csv_of_any_text_never_crash_and_never_store_half(db, rows):
    _base(db)
    frame = pd.DataFrame([{"enterprise_id": "BASE", "option_id": "P1", "assessor": "a", "criterion": "implementability", "score": 5, **r}
                          for r in rows], dtype=object)  # objects: pandas' Arrow strings cannot even hold a lone surrogate
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "s.csv"
        try:
            frame.to_csv(p, index=False)
        except UnicodeEncodeError:
            return
        _import_is_whole_or_nothing(db, [p])


@SETTINGS
@given(cells=st.dictionaries(st.sampled_from(["IMPCOST", "PSAVED", "PCONSERVED", "ARC2", "IMPSTATUS", "EMPLOYEES", "NAICS", "FY"]),
                             st.one_of(st.none(), st.text(max_size=5), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                                       st.booleans(), st.sampled_from(["#N/A", "abc"]),
                                       st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1))),
                             max_size=5))
def test_an_iac_workbook_with_any_cells_never_crashes_and_never_stores_half(db, cells):
    _base(db)
    assess = {"ID": "IA01", "EMPLOYEES": 20, "NAICS": 332813, "FY": 2020, "CENTER": "XX"}
    recc = {"SUPERID": "IA0101", "ID": "IA01", "ARC2": 2.4231, "IMPCOST": 100, "IMPSTATUS": "I", "PSAVED": 50,
            "PSOURCCODE": "EC", "PCONSERVED": 1000}
    for k, v in cells.items():
        (assess if k in ("EMPLOYEES", "NAICS", "FY") else recc)[k] = v
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "iac.xlsx"
        wb = openpyxl.Workbook()
        a = wb.active
        a.title = "ASSESS"
        a.append(list(assess))
        r = wb.create_sheet("RECC")
        r.append(list(recc))
        try:  # openpyxl refuses some text itself (control characters): then there is no workbook
            a.append([None if isinstance(v, float) and v != v else v for v in assess.values()])
            r.append([None if isinstance(v, float) and v != v else v for v in recc.values()])
            wb.save(p)
        except Exception:  # noqa: BLE001 - a value openpyxl itself cannot write
            return
        _import_is_whole_or_nothing(db, [p])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.text(alphabet=st.sampled_from(list("ab,;\"'\n\r =#1.-e\u202e\x00")), max_size=60))
def test_the_cli_import_of_any_csv_text_exits_0_or_2_with_one_line(db, text, capsys):
    from cli import main

    _base(db)
    before = table_fingerprint(db)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "o.csv"
        p.write_text("option_id,enterprise_id,title,category,investment,annual_savings,lifetime_years\n" + text)
        code = main(["import", str(p)])
    out, err = capsys.readouterr()
    assert code in (0, 2)
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and "internal error" not in err
        assert table_fingerprint(db) == before
