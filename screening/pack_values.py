"""Allowed values of the import format's ``attribute`` fields, read from the policy packs' rule files.

A field of type ``attribute`` in ``fields.csv`` is a column a policy pack reads (``project_type``,
``mia_tier``): its allowed values are the ones the packs list, in a ``by_type`` rate's ``values``
or in ``eligibility.attributes``, and ``asset_class`` the depreciation classes of the packs'
``tax.depreciation`` (``pack.yaml``), so a value a new pack lists is allowed on import without editing
the field table.  The rule files are read here as data (YAML), not through the ``policies``
package, so that the import format stays below the computation packages; the code-health test
``tests/policies/test_attribute_fields.py`` checks that this reading equals
``policies.attributes.attribute_values`` (the validated packs).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

#: The shipped policy packs (``policies/packs/<CODE>/rules.yaml``).
PACKS_DIR: Path = Path(__file__).resolve().parents[1] / "policies" / "packs"

#: libyaml's safe loader where PyYAML was built with it (~10x PyYAML's own parser; the packs are
#: read by every command and page: issue 11), else PyYAML's.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_safe_yaml(path: Path) -> object:
    """``yaml.safe_load`` of a file, with libyaml where available (the same resolvers and types)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 - a SafeLoader


@lru_cache(maxsize=4)
def pack_attribute_values(root: str = str(PACKS_DIR)) -> dict[str, tuple[str, ...]]:
    """Allowed values of each text column the packs' rules read (union over packs, first-seen order)."""
    out: dict[str, list[str]] = {}

    def add(col: object, values: object) -> None:
        seen = out.setdefault(str(col), [])
        for v in values or ():  # type: ignore[union-attr]
            if str(v) not in seen:
                seen.append(str(v))

    for path in sorted(Path(root).glob("*/rules.yaml")):
        data = read_safe_yaml(path) or {}
        for rule in data.get("rules") or ():
            for col, values in ((rule.get("eligibility") or {}).get("attributes") or {}).items():
                add(col, values)
            rate = rule.get("rate") or {}
            if rate.get("form") == "by_type":
                add(rate.get("attribute"), list(rate.get("values") or {}))
    for path in sorted(Path(root).glob("*/pack.yaml")):  # depreciation classes: the option's asset_class
        meta = read_safe_yaml(path) or {}
        classes = ((meta.get("tax") or {}).get("depreciation") or {})
        if classes:
            add("asset_class", list(classes))
    return {c: tuple(v) for c, v in out.items()}
