"""Reading a pack folder: the strict YAML loader (duplicate keys refused, dates kept as strings), the
validation whose errors name file, rule and field, the walk over a model's figures, and :class:`Pack`
with :func:`load_pack` and :func:`load_cases` (the references and rule ids checked across files).
Re-exported by :mod:`policies.schema`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from policies.figures import PackError, RangeValue, Strict, Value
from policies.regime import PackMeta
from policies.rules import Case, Ceiling, Rule, Term

# ---------------------------------------------------------------- the YAML loader


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key: object, line: int) -> None:
        super().__init__(f"duplicate key {key!r} at line {line}")
        self.key = key
        self.line = line


class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml parses ~10x faster (issue 11)
    """SafeLoader that refuses duplicate keys and keeps dates as strings."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in out:
            raise DuplicateKeyError(key, key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
StrictLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _rule_id_at_line(text: str, line: int) -> str:
    """Id of the rule (list item under rules/ceilings) whose lines contain ``line`` (1-based)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return "?"
    if not isinstance(root, yaml.MappingNode):
        return "?"
    for _k, seq in root.value:
        if isinstance(seq, yaml.SequenceNode):
            for item in seq.value:
                if item.start_mark.line + 1 <= line <= item.end_mark.line + 1 and isinstance(item, yaml.MappingNode):
                    for k, v in item.value:
                        if getattr(k, "value", None) in ("id", "name") and isinstance(v, yaml.ScalarNode):
                            return str(v.value)
    return "-"


def read_yaml(path: Path) -> Any:
    """Parse a YAML file strictly; errors name the file, the rule and the key."""
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except DuplicateKeyError as exc:
        rule = _rule_id_at_line(text, exc.line)
        raise PackError(f"{path}: rule {rule}: field {exc.key}: duplicate key at line {exc.line}") from None
    except yaml.YAMLError as exc:
        raise PackError(f"{path}: rule -: field -: not valid YAML ({exc})") from None


#: Union member tags pydantic puts in error locations; left out of the field path shown.
_UNION_TAGS = ("fixed", "range", "by_type", "size_bonus", "lowest_of", "figure", "figure_range", "Value", "list[LossEntry]")


def _fmt(path: Path, rule: str, exc: ValidationError) -> PackError:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not in the schema)"
        parts.append(f"{path}: rule {rule}: field {loc or '-'}: {msg}")
    return PackError("\n".join(parts))


def validate(model: type[BaseModel], data: Any, path: Path, rule: str) -> Any:
    """Validate ``data`` against ``model``; a :class:`PackError` names file, rule and field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _fmt(path, rule, exc) from None


_VALUES_CACHE: dict[tuple[int, str], tuple[BaseModel, list[tuple[str, "Value"]]]] = {}


def _collect(model: BaseModel, prefix: str, leaf: type, stop: tuple[type, ...] = ()) -> list[tuple[str, Any]]:
    """Every ``leaf`` in a model with its dotted path, not descending into ``stop`` types."""
    out: list[tuple[str, Any]] = []

    def walk(obj: Any, path: str) -> None:
        if isinstance(obj, leaf):
            out.append((path, obj))
        elif stop and isinstance(obj, stop):
            return
        elif isinstance(obj, Term):
            for name in type(obj).model_fields:
                walk(getattr(obj, name), f"{path}.{obj.name}.{name}" if name != "highest_of" else f"{path}.{obj.name}")
        elif isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                walk(getattr(obj, name), f"{path}.{name}" if path else name)
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, f"{path}.{k}")
        elif isinstance(obj, list):
            for v in obj:
                walk(v, path)

    walk(model, prefix)
    return out


def iter_ranges(model: BaseModel, prefix: str = "") -> list[tuple[str, RangeValue]]:
    """Every :class:`RangeValue` in a model, with its dotted path (``depreciation.first_year_share``)."""
    return _collect(model, prefix, RangeValue, (Value,))


def iter_values(model: BaseModel, prefix: str = "") -> list[tuple[str, Value]]:
    """Every :class:`Value` in a model, with its dotted path (``rate.values.applied``).

    Models are frozen, so the walk is cached per model object.
    """
    key = (id(model), prefix)
    hit = _VALUES_CACHE.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    out = _collect(model, prefix, Value)
    if len(_VALUES_CACHE) > 10000:
        _VALUES_CACHE.clear()
    _VALUES_CACHE[key] = (model, out)
    return out


# ---------------------------------------------------------------- a loaded pack


class Pack(Strict):
    """A validated pack: its metadata, rules (in evaluation order) and ceilings."""

    meta: PackMeta
    rules: tuple[Rule, ...]
    ceilings: tuple[Ceiling, ...] = ()
    folder: str

    @property
    def code(self) -> str:
        return self.meta.code

    @property
    def version(self) -> str:
        return self.meta.version

    def source_text(self, source_id: str) -> str:
        s = self.meta.sources[source_id]
        return ", ".join(p for p in (s.title, s.article, s.url) if p)

    def unverified_reasons(self, rule: Rule | Ceiling) -> list[str]:
        """Every reason a rule's figures are unverified: the rule's, its sources' and its values'."""
        reasons: list[str] = []
        if rule.unverified:
            reasons.append(rule.unverified)
        ids = [rule.source] + list(getattr(rule, "sources", []))
        for path, v in iter_values(rule):
            ids.append(v.ref)
            if v.unverified:
                reasons.append(f"{path}: {v.unverified}")
        for sid in dict.fromkeys(ids):
            s = self.meta.sources[sid]
            if s.unverified:
                reasons.append(f"source {sid}: {s.unverified}")
        return list(dict.fromkeys(reasons))


def load_pack(folder: Path) -> Pack:
    """Load and validate one pack folder (``pack.yaml`` + ``rules.yaml``).

    Raises
    ------
    PackError
        Naming the file, the rule id and the field path of every problem.
    """
    folder = Path(folder)
    meta_path = folder / "pack.yaml"
    meta = validate(PackMeta, read_yaml(meta_path), meta_path, "-")
    if meta.code != folder.name:
        raise PackError(f"{meta_path}: rule -: field code: {meta.code!r} differs from the folder name {folder.name!r}")
    if meta.cost_classes is not None:
        for path, v in iter_values(meta.cost_classes, "cost_classes"):
            if v.ref not in meta.sources:
                raise PackError(f"{meta_path}: rule -: field {path}.ref: unknown source {v.ref!r}; declared: {sorted(meta.sources)}")
    if meta.tax is not None:
        for path, v in iter_values(meta.tax, "tax"):
            if v.ref not in meta.sources:
                raise PackError(f"{meta_path}: rule -: field {path}.ref: unknown source {v.ref!r}; declared: {sorted(meta.sources)}")
        for name, entries in meta.tax.depreciation.items():
            for e in entries:
                if e.shares is not None and e.shares.ref not in meta.sources:
                    raise PackError(f"{meta_path}: rule -: field tax.depreciation.{name}.shares.ref: unknown source "
                                    f"{e.shares.ref!r}; declared: {sorted(meta.sources)}")
    rules_path = folder / "rules.yaml"
    raw = read_yaml(rules_path) if rules_path.exists() else {}
    if not isinstance(raw, dict) or set(raw) - {"rules", "ceilings"}:
        raise PackError(f"{rules_path}: rule -: field {sorted(set(raw) - {'rules', 'ceilings'}) if isinstance(raw, dict) else '-'}: "
                        "the file must be a mapping with 'rules' and/or 'ceilings' lists")
    rules: list[Rule] = []
    ceilings: list[Ceiling] = []
    for key, model, out in (("rules", Rule, rules), ("ceilings", Ceiling, ceilings)):
        items = raw.get(key) or []
        if not isinstance(items, list):
            raise PackError(f"{rules_path}: rule -: field {key}: expected a list")
        for i, item in enumerate(items):
            rid = str(item.get("id", f"#{i}")) if isinstance(item, dict) else f"#{i}"
            obj = validate(model, item, rules_path, rid)
            for path, v in iter_values(obj):
                if v.ref not in meta.sources:
                    raise PackError(f"{rules_path}: rule {rid}: field {path}.ref: unknown source {v.ref!r}; declared: {sorted(meta.sources)}")
            for sid in [obj.source] + list(getattr(obj, "sources", [])):
                if sid not in meta.sources:
                    raise PackError(f"{rules_path}: rule {rid}: field source: unknown source {sid!r}; declared: {sorted(meta.sources)}")
            out.append(obj)
    ids = [r.id for r in rules] + [c.id for c in ceilings]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise PackError(f"{rules_path}: rule {dup[0]}: field id: duplicate rule id")
    known = {r.id for r in rules}
    for i, r in enumerate(rules):
        earlier = {x.id for x in rules[:i]}
        for other in r.stacking.excludes:
            if other not in known:
                raise PackError(f"{rules_path}: rule {r.id}: field stacking.excludes: unknown rule {other!r}")
        for other in r.base.net_of:
            if other not in earlier:
                raise PackError(f"{rules_path}: rule {r.id}: field base.net_of: {other!r} is not a rule listed before this one")
        if r.stacking.aid_ceiling is not None and meta.aid_ceiling_pack is None and not any(c.measure == r.stacking.aid_ceiling for c in ceilings):
            raise PackError(f"{rules_path}: rule {r.id}: field stacking.aid_ceiling: the pack names no aid_ceiling_pack")
    return Pack(meta=meta, rules=tuple(rules), ceilings=tuple(ceilings), folder=str(folder))


def load_cases(folder: Path) -> list[tuple[Path, Case]]:
    """The YAML test cases of a pack (``cases/*.yaml``, each a list of cases)."""
    out: list[tuple[Path, Case]] = []
    for path in sorted((Path(folder) / "cases").glob("*.yaml")):
        raw = read_yaml(path)
        if not isinstance(raw, list):
            raise PackError(f"{path}: rule -: field -: a cases file is a list of cases")
        for i, item in enumerate(raw):
            name = str(item.get("name", f"#{i}")) if isinstance(item, dict) else f"#{i}"
            out.append((path, validate(Case, item, path, name)))
    return out
