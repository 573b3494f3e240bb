"""validate reads the columns by the fast path on several threads (screening.schema._fast_columns):
the same typed frames, and the same bad cells in the same order, as reading them one by one."""

from __future__ import annotations

import pandas as pd
import pytest

import screening.schema as schema
from screening.schema import ValidationError, validate
from tests.screening.test_validate_fastpath import MESSY, _frames, _same, _str


def _by(workers: int, ent: pd.DataFrame, opt: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, **kw):
    with monkeypatch.context() as m:
        m.setattr(schema, "VALIDATE_WORKERS", workers)
        try:
            return validate(ent, opt, **kw)
        except ValidationError as exc:
            return exc.frame()


def test_typed_frames_are_those_of_one_thread(monkeypatch) -> None:
    ent, opt = _frames(300, seed=5)
    one, two = (_by(w, ent, opt, monkeypatch) for w in (1, 2))
    assert not isinstance(one, pd.DataFrame)
    _same(two, one)


@pytest.mark.parametrize("case", sorted(MESSY))
def test_bad_cells_are_those_of_one_thread_in_the_same_order(case, monkeypatch) -> None:
    base = {"option_id": ["O1", "O2"], "enterprise_id": ["E1", "E1"], "title": ["A", "B"], "category": ["byproduct"] * 2,
            "investment": ["10", "20"], "annual_savings": ["5", "6"], "lifetime_years": ["5", "7"]}
    opt = pd.DataFrame({k: _str(v) for k, v in {**base, **MESSY[case]}.items()})
    ent = pd.DataFrame({"enterprise_id": _str(["E1"]), "name": _str(["Acme"]), "jurisdiction": _str([" nl "]),
                        "size_class": _str(["Small"])})
    kw = {"sources": {"enterprises": "e.csv", "options": "o.csv"}}
    one, two = (_by(w, ent, opt, monkeypatch, **kw) for w in (1, 3))
    _same(two, one)


def test_the_fast_path_runs_once_per_column_it_is_given(monkeypatch) -> None:
    import screening.columns as column_checks

    seen: list[str] = []
    real = column_checks.fast_path_column

    def counted(f, raw, jurisdictions):
        seen.append(f.column)
        return real(f, raw, jurisdictions)

    monkeypatch.setattr(column_checks, "fast_path_column", counted)
    monkeypatch.setattr(schema, "VALIDATE_WORKERS", 2)
    ent, opt = _frames(50)
    validate(ent, opt)
    assert sorted(seen) == sorted(c for c in [*ent.columns, *opt.columns]
                                  if c in {f.column for t in ("enterprises", "options") for f in schema.fields(t)})
