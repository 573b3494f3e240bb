"""The option and enterprise columns the packs read, and the values they allow.

A rule reads columns beyond the import format's core in four places: ``eligibility.attributes``
(a text column whose value must be listed), ``eligibility.thresholds`` (a number that must reach a
minimum), a ``by_type`` rate's ``attribute`` (a text column whose value picks the rate) and the
base (``extra_investment_cost`` as a rule's or a ceiling's base, ``other_grants`` netted where
``net_of_external``).  Every such column is a field of the import format (``screening/fields.csv``);
the allowed values of a text column are collected here from the packs, so a value a new pack
lists is allowed on import without editing the field table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from policies.registry import load_packs
from policies.schema import ByTypeRate, Pack

__all__ = ["AttributeUse", "attributes_read", "attribute_values"]


@dataclass
class AttributeUse:
    """How the packs read one column.

    Attributes
    ----------
    column : str
        The column's name.
    kind : str
        ``text`` (listed values) or ``number`` (a threshold, or an amount [currency]).
    values : list of str
        For text columns, the values the packs list, in the order first seen.
    rules : list of str
        Ids of the rules (and ceilings) that read it.
    """

    column: str
    kind: str
    values: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)

    def _add(self, rule_id: str, values: Sequence[str] = ()) -> None:
        for v in values:
            if v not in self.values:
                self.values.append(v)
        if rule_id not in self.rules:
            self.rules.append(rule_id)


def attributes_read(packs: Mapping[str, Pack] | None = None) -> dict[str, AttributeUse]:
    """Every column a rule or ceiling of the packs reads beyond the base columns, by name."""
    packs = load_packs() if packs is None else packs
    out: dict[str, AttributeUse] = {}

    def use(col: str, kind: str, rule_id: str, values: Sequence[str] = ()) -> None:
        out.setdefault(col, AttributeUse(col, kind))._add(rule_id, list(values))

    for code in sorted(packs):
        pack = packs[code]
        for r in pack.rules:
            for col, values in r.eligibility.attributes.items():
                use(col, "text", r.id, values)
            for col in r.eligibility.thresholds:
                use(col, "number", r.id)
            if isinstance(r.rate, ByTypeRate):
                use(r.rate.attribute, "text", r.id, list(r.rate.values))
            if r.base.of == "extra_investment_cost":
                use("extra_investment_cost", "number", r.id)
            if r.base.net_of_external:
                use("other_grants", "number", r.id)
        for c in pack.ceilings:
            if c.base_of == "extra_investment_cost":
                use("extra_investment_cost", "number", c.id)
    for code in sorted(packs):  # depreciation classes (policies.schedules), after the rules' columns
        tax = packs[code].meta.tax
        if tax is not None and tax.depreciation:
            use("asset_class", "text", f"{code} tax.depreciation", list(tax.depreciation))
    return out


def attribute_values(packs: Mapping[str, Pack] | None = None) -> dict[str, tuple[str, ...]]:
    """Allowed values of each text column the packs read (union over packs, first-seen order)."""
    return {c: tuple(u.values) for c, u in attributes_read(packs).items() if u.kind == "text"}
