"""Helpers: write a small pack into tmp_path and load it beside a ceiling pack."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from policies.registry import load_packs

PACK_YAML = """\
code: {code}
name: Test pack {code}
currency: EUR
version: "2026-01-01"
aid_ceiling_pack: CEIL
sources:
  src: {{title: Test source, article: art. 1, url: https://example.org/src, date_read: "2026-11"}}
  flaky: {{title: Unconfirmed source, url: https://example.org/flaky, date_read: "2026-11", unverified: not confirmed}}
tax:
  corporate_rate:
    - from: "2000-01-01"
      rate: {{value: 0.25, ref: src}}
"""

CEIL_RULES = """\
ceilings:
  - id: CEIL-38
    measure: ee
    name: Test ceiling
    valid_from: "2000-01-01"
    source: src
    intensity:
      form: size_bonus
      base: {value: 0.30, ref: src}
      bonus: {small: {value: 0.20, ref: src}, medium: {value: 0.10, ref: src}}
"""


def write_pack(root: Path, code: str, rules: str, pack: str | None = None) -> Path:
    """Write ``root/code/pack.yaml`` and ``rules.yaml`` (dedented) and return the folder."""
    folder = root / code
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(pack if pack is not None else PACK_YAML.format(code=code), encoding="utf-8")
    (folder / "rules.yaml").write_text(textwrap.dedent(rules), encoding="utf-8")
    return folder


@pytest.fixture
def make_packs(tmp_path: Path):
    """Build packs {code: Pack} from rules text: a test pack ``TK`` plus the ceiling pack ``CEIL``."""

    calls = [0]

    def make(rules: str, code: str = "TK"):
        calls[0] += 1
        root = tmp_path / f"packs{calls[0]}"  # a fresh folder per call: load_packs caches by folder
        write_pack(root, "CEIL", CEIL_RULES, PACK_YAML.format(code="CEIL").replace("aid_ceiling_pack: CEIL\n", ""))
        write_pack(root, code, rules)
        return load_packs(root)

    return make
