"""The shared ``excludes`` parser and exclusive groups (screening.excludes) against a plain loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from screening.excludes import exclusion_pairs, exclusive_groups


def frame(ent, oid, excl):
    return pd.DataFrame({"enterprise_id": ent, "option_id": oid, "excludes": excl})


def test_pairs_are_symmetric_deduplicated_and_within_the_enterprise():
    df = frame(["E", "E", "E", "F", "F"], ["a", "b", "c", "a", "b"], ["b", " a ; c", None, "", "a;a"])
    assert exclusion_pairs(df).tolist() == [[0, 1], [1, 2], [3, 4]]
    # a - b - c is one group; F's a, b another; group numbers follow each group's first option
    assert exclusive_groups(df).tolist() == [0, 0, 0, 1, 1]
    assert exclusive_groups(frame(["E", "E"], ["a", "b"], ["", ""])).tolist() == [-1, -1]
    assert exclusive_groups(df.drop(columns="excludes")).tolist() == [-1] * 5


@pytest.mark.parametrize("excl,match", [
    (["zz", ""], r"row 0 \(option 'a'\): field 'excludes' names 'zz', which is not an option of the same enterprise"),
    (["", "b"], r"row 1 \(option 'b'\): field 'excludes' names the option itself"),
])
def test_bad_excludes_name_row_field_and_reason(excl, match):
    with pytest.raises(ValueError, match=match):
        exclusion_pairs(frame(["E", "E"], ["a", "b"], excl))


def test_an_id_of_another_enterprise_is_unknown_and_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="'c', which is not an option of the same enterprise"):
        exclusion_pairs(frame(["E", "F"], ["a", "c"], ["c", ""]))
    with pytest.raises(ValueError, match="not unique within enterprise 'E'"):
        exclusion_pairs(frame(["E", "E"], ["a", "a"], ["", "a"]))


@pytest.mark.parametrize("seed", range(5))
def test_groups_equal_a_union_find_loop(seed):
    rng = np.random.default_rng(seed)
    ent, oid, excl = [], [], []
    for e in range(4):
        k = int(rng.integers(1, 9))
        ids = [f"o{j}" for j in range(k)]
        for j in range(k):
            ent.append(f"E{e}")
            oid.append(ids[j])
            excl.append(";".join(ids[m] for m in range(k) if m != j and rng.random() < 0.15))
    df = frame(ent, oid, excl)
    parent = list(range(len(df)))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    pos = {(e, o): i for i, (e, o) in enumerate(zip(ent, oid))}
    linked = set()
    for i, x in enumerate(excl):
        for o in filter(None, x.split(";")):
            j = pos[(ent[i], o)]
            linked |= {i, j}
            parent[find(i)] = find(j)
    g = exclusive_groups(df)
    for i in range(len(df)):
        assert (g[i] >= 0) == (i in linked)
        for j in range(len(df)):
            if i in linked and j in linked:
                assert (g[i] == g[j]) == (find(i) == find(j))
