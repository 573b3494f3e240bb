"""The policy packs in force: every pack folder under ``policies/packs`` loaded, cross-checked, cached.

:func:`load_packs` reads each ``<code>/pack.yaml`` folder (:func:`policies.schema.load_pack`) and
checks the references across packs (a pack's ``aid_ceiling_pack`` and the ceiling measures its
rules name); :func:`date_span` gives the dates the packs speak about.  Enterprises whose
jurisdiction is :data:`NO_PACK` (``none``) have no pack and get no support.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path

from policies.schema import Pack, PackError, load_pack

PACKS_DIR: Path = Path(__file__).resolve().parent / "packs"
NO_PACK = "none"


@lru_cache(maxsize=8)
def _load_all(root: str) -> dict[str, Pack]:
    packs: dict[str, Pack] = {}
    for folder in sorted(Path(root).iterdir()):
        if folder.is_dir() and (folder / "pack.yaml").exists():
            packs[folder.name] = load_pack(folder)
    for pack in packs.values():
        ref = pack.meta.aid_ceiling_pack
        if ref is None:
            continue
        if ref not in packs:
            raise PackError(f"{pack.folder}/pack.yaml: rule -: field aid_ceiling_pack: unknown pack {ref!r}; known: {sorted(packs)}")
        measures = {c.measure for c in packs[ref].ceilings}
        for r in pack.rules:
            m = r.stacking.aid_ceiling
            if m is not None and m not in measures:
                raise PackError(f"{pack.folder}/rules.yaml: rule {r.id}: field stacking.aid_ceiling: "
                                f"{m!r} is not a measure of pack {ref}; known: {sorted(measures)}")
    return packs


def load_packs(root: Path | None = None) -> dict[str, Pack]:
    """All packs under ``root`` (default: the shipped ``policies/packs``), validated and cached.

    Returns
    -------
    dict[str, Pack]
        By pack code.
    """
    return _load_all(str(Path(root) if root is not None else PACKS_DIR))


def date_span(packs: Mapping[str, Pack] | None = None) -> tuple[date, date]:
    """The dates the packs speak about: the earliest rule start or tax-schedule entry, and the
    latest of those and of the rules' ends (for a date picker's bounds)."""
    packs = load_packs() if packs is None else packs
    days = [d for p in packs.values() for r in list(p.rules) + list(p.ceilings) for d in (r.valid_from, r.valid_to) if d]
    days += [e.from_ for p in packs.values() if p.meta.tax is not None for e in p.meta.tax.corporate_rate]
    return date.fromisoformat(min(days)), date.fromisoformat(max(days))
