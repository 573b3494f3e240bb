"""The Arrow prefilter of the formula escape lets through every cell the escape can change (issue 11).

``NEEDS_FIRST`` (an RE2 class) picks the cells whose first character may begin a formula start; only
those go through Python's pattern.  Checked here over every Unicode code point: each character that
can begin a match of the pattern (alone, or before ``=``) is in the class.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from screening.formula_escape import _ESCAPED, _NEEDS, NEEDS_FIRST


def test_every_first_character_of_a_match_passes_the_prefilter():
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    hits = pc.match_substring_regex(pa.array(chars), NEEDS_FIRST).to_pylist()
    missed = [hex(ord(ch)) for ch, hit in zip(chars, hits)
              if not hit and (_NEEDS.match(ch + "=") or _NEEDS.match(ch) or _ESCAPED.match(ch + "="))]
    assert missed == []
    assert sum(hits) < 200  # and letters, digits, brackets, most of Unicode are left out
    assert not any(pc.match_substring_regex(pa.array(list("aZ09_[{(\"#é中")), NEEDS_FIRST).to_pylist())
