"""commands.data.read_while: the files read on a second thread while other work runs here give the
same batch, and the same errors, as reading them first (store.readers.read_files)."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from commands.data import read_while
from store.readers import ImportFileError, read_files

ROOT = Path(__file__).resolve().parents[2]
ENT, OPT = ROOT / "data" / "demo_enterprises.csv", ROOT / "data" / "demo_options.csv"


def _frames(batch) -> dict[str, tuple[pd.DataFrame | None, list, list]]:
    out = {}
    for kind in ("enterprises", "options"):
        frame, srcs, rows = batch.combined(kind)
        out[kind] = (frame, list(srcs), list(rows))
    return out


@pytest.mark.parametrize("parquet", [False, True])
def test_the_same_batch_as_reading_first(tmp_path, parquet) -> None:
    paths = [ENT, OPT]
    if parquet:
        paths = []
        for p in (ENT, OPT):
            q = tmp_path / (p.stem + ".parquet")
            pd.read_csv(p, dtype=str, keep_default_na=False).to_parquet(q, index=False)
            paths.append(q)
    ran = []
    got = read_while([str(p) for p in paths], lambda: ran.append(threading.current_thread()))
    want = read_files([str(p) for p in paths])
    assert ran == [threading.main_thread()]  # the other work ran here, once
    assert got.errors == want.errors and got.notes == want.notes
    for kind, (frame, srcs, rows) in _frames(want).items():
        g_frame, g_srcs, g_rows = _frames(got)[kind]
        pd.testing.assert_frame_equal(g_frame, frame)
        assert (g_srcs, g_rows) == (srcs, rows)


def test_without_other_work_it_reads_here() -> None:
    got = read_while([str(ENT), str(OPT)], None)
    pd.testing.assert_frame_equal(got.combined("options")[0], read_files([str(ENT), str(OPT)]).combined("options")[0])


def test_the_readers_error_once_the_other_work_is_done(tmp_path) -> None:
    ran = []
    with pytest.raises(ImportFileError, match="no such file"):
        read_while([str(ENT), str(tmp_path / "missing.csv")], lambda: ran.append(1))
    assert ran == [1]


def test_an_error_of_the_other_work_is_raised_after_the_reading() -> None:
    def fail() -> None:
        raise RuntimeError("import failed")

    with pytest.raises(RuntimeError, match="import failed"):
        read_while([str(ENT), str(OPT)], fail)
