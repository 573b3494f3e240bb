"""policies.parameters.idle_rules: the rules whose parameters are given and that supported no option."""

from __future__ import annotations

import pandas as pd

from policies.parameters import idle_rules
from policies.registry import load_packs

PARAMS = {"NL-EIA-2024.rate.value": 0.3, "NL-MIA-2025.rate.values.I": 0.2, "EU-GBER2023-38.intensity.base": 0.5}


def test_a_category_with_no_row_is_idle_and_a_ceiling_never_is():
    # the engine's table holds instrument ids as a categorical, whose categories can outnumber its values
    ids = pd.Categorical(["NL-EIA-2024"] * 3, categories=["NL-EIA-2024", "NL-MIA-2025"])
    support = pd.DataFrame({"row": [0, 1, 2], "instrument_id": ids})
    assert idle_rules(PARAMS, support, load_packs()) == ["NL-MIA-2025"]
    as_text = support.assign(instrument_id=support["instrument_id"].astype(str))
    assert idle_rules(PARAMS, as_text, load_packs()) == ["NL-MIA-2025"]


def test_no_support_at_all_leaves_every_rule_given_idle():
    empty = pd.DataFrame({"row": pd.Series([], dtype=int), "instrument_id": pd.Series([], dtype=str)})
    assert idle_rules(PARAMS, empty, load_packs()) == ["NL-EIA-2024", "NL-MIA-2025"]
