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
