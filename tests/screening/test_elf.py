"""ICI's environmental load factor (screening.elf) against hand calculations."""

from __future__ import annotations

import pandas as pd
import pytest

from screening.elf import option_elf, site_elf

ENTS = pd.DataFrame({"enterprise_id": ["dairy", "no_input", "no_product"],
                     "material_input_t": [62_000.0, None, 100.0], "product_output_t": [46_500.0, 10.0, 0.0]})


def test_site_elf_is_material_not_sold_per_tonne_sold():
    s = site_elf(ENTS).set_index("enterprise_id")
    assert s.loc["dairy", "elf"] == pytest.approx((62_000 - 46_500) / 46_500)  # 15,500 / 46,500 = 1/3
    assert s.loc["dairy", "elf"] == pytest.approx(1 / 3, rel=1e-12)
    assert s.loc["dairy", "elf_reason"] == ""
    assert pd.isna(s.loc["no_input", "elf"]) and s.loc["no_input", "elf_reason"] == "material_input_t missing"
    assert pd.isna(s.loc["no_product", "elf"]) and "no product" in s.loc["no_product", "elf_reason"]


def test_an_option_lowers_the_elf_by_the_material_it_saves():
    opts = pd.DataFrame({"enterprise_id": ["dairy", "dairy", "dairy", "no_input"], "option_id": ["A", "B", "C", "D"],
                         "waste_avoided_t": [1_550.0, None, 20_000.0, 1.0]})
    e = option_elf(opts, ENTS).set_index("option_id")
    # A: (62,000 - 1,550 - 46,500) / 46,500 = 13,950 / 46,500 = 0.3
    assert e.loc["A", "elf_after"] == pytest.approx(0.3, rel=1e-12)
    assert e.loc["A", "elf_reduction"] == pytest.approx(1_550 / 46_500, rel=1e-12)
    assert e.loc["A", "elf_before"] - e.loc["A", "elf_after"] == pytest.approx(e.loc["A", "elf_reduction"])
    assert e.loc["B", "elf_after"] == e.loc["B", "elf_before"] and "not given" in e.loc["B", "elf_reason"]
    assert e.loc["C", "elf_after"] < 0 and "exceeds the site's material loss" in e.loc["C", "elf_reason"]
    assert pd.isna(e.loc["D", "elf_after"]) and e.loc["D", "elf_reason"] == "material_input_t missing"
    assert e.loc["A", "elf_reason"] == ""


def test_an_option_of_an_unknown_enterprise_says_so():
    opts = pd.DataFrame({"enterprise_id": ["nobody", "dairy"], "option_id": ["X", "A"], "waste_avoided_t": [None, 1_550.0]})
    e = option_elf(opts, ENTS).set_index("option_id")
    assert pd.isna(e.loc["X", "elf_before"]) and e.loc["X", "elf_reason"] == "enterprise not found"
    assert e.loc["A", "elf_after"] == pytest.approx(0.3, rel=1e-12) and e.loc["A", "elf_reason"] == ""


def test_the_figures_alone_are_option_elfs_columns():
    import numpy as np

    from screening.elf import option_elf_values

    opts = pd.DataFrame({"enterprise_id": ["dairy", "dairy", "nobody", "no_input"], "option_id": ["A", "B", "X", "D"],
                         "waste_avoided_t": [1_550.0, None, 3.0, 1.0]})
    before, after = option_elf_values(opts, ENTS)
    e = option_elf(opts, ENTS)
    np.testing.assert_array_equal(before, e["elf_before"].to_numpy())
    np.testing.assert_array_equal(after, e["elf_after"].to_numpy())
    assert after[0] == pytest.approx(0.3, rel=1e-12)  # (62,000 - 1,550 - 46,500) / 46,500


def test_the_cut_is_the_screening_criterion_s_figure_with_repeated_and_unknown_enterprises():
    """One formula, two look-ups: option_elf finds each option's site once (its first row where an id
    repeats) and must give screening.criteria.elf_reduction's cut wherever waste avoided is given."""
    import numpy as np

    from screening.criteria import elf_reduction

    ents = pd.concat([ENTS, pd.DataFrame({"enterprise_id": ["dairy"], "material_input_t": [1.0], "product_output_t": [7.0]})],
                     ignore_index=True)  # a repeated id: the first row counts in both
    opts = pd.DataFrame({"enterprise_id": ["dairy", "no_product", "nobody", "no_input", "dairy"],
                         "option_id": ["A", "P", "X", "D", "B"], "waste_avoided_t": [1_550.0, 5.0, 3.0, 1.0, None]})
    cut = option_elf(opts, ents)["elf_reduction"].to_numpy()
    expected = elf_reduction(opts, ents).to_numpy()
    given = opts["waste_avoided_t"].notna().to_numpy()
    np.testing.assert_array_equal(cut[given], expected[given])
    assert cut[0] == pytest.approx(1_550 / 46_500, rel=1e-15) and np.isnan(cut[1]) and np.isnan(cut[2])
    assert cut[4] == 0.0  # no waste avoided given: the ELF stays as it is


def test_the_rows_looked_up_by_the_engine_give_the_same_figures():
    """option_elf_values given each option's enterprise row (policies.join.enterprise_rows, as
    cpscreen appraise hands it over) equals its own look-up, with repeated and unknown ids."""
    import numpy as np

    from policies import join
    from screening.elf import option_elf_values

    ents = pd.concat([ENTS, pd.DataFrame({"enterprise_id": ["dairy"], "material_input_t": [1.0], "product_output_t": [7.0]})],
                     ignore_index=True)
    opts = pd.DataFrame({"enterprise_id": ["dairy", "no_product", "nobody", "no_input", "dairy"],
                         "option_id": ["A", "P", "X", "D", "B"], "waste_avoided_t": [1_550.0, 5.0, 3.0, 1.0, None]})
    _, rows = join.enterprise_rows(opts, ents)
    assert rows[2] == -1
    own = option_elf_values(opts, ents)
    given = option_elf_values(opts, ents, rows)
    for a, b in zip(given, own):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="one per option"):
        option_elf_values(opts, ents, rows[:2])
