"""Named programme scenarios: a pack, its parameters and a decision rule, as plain data.

A scenario is what ``cpscreen budget --programme PACK:SCENARIO`` names.  This module only defines
the data and its (de)serialisation; ``store/`` keeps scenarios in the database (table
``scenarios``: name, pack, params JSON, rule JSON, description, created_at) and
:func:`programme.budget.compare_scenarios` runs several side by side.

Example
-------
>>> s = Scenario("grant-25", "CA-ECOENERGY", {"CA-ECOENERGY.rate": 0.25})
>>> Scenario.from_json(s.to_json()) == s
True
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from programme.uptake import DecisionRule

__all__ = ["Scenario", "scenario_grid"]


@dataclass(frozen=True)
class Scenario:
    """One named parameter set of a programme.

    Attributes
    ----------
    name : str
        Unique name, e.g. ``"grant-25-sme"``.
    pack : str
        Policy pack code, e.g. ``"CA-ECOENERGY"``.
    params : Mapping[str, float]
        Programme parameters overriding the pack's, e.g. ``{"CA-ECOENERGY.rate": 0.25}``
        (rates [/1], caps [currency]).
    rule : DecisionRule
        The enterprises' decision rule for uptake.
    description : str
        Free text.
    """

    name: str
    pack: str
    params: Mapping[str, float] = field(default_factory=dict)
    rule: DecisionRule = field(default_factory=DecisionRule)
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or ":" in self.name:
            raise ValueError(f"scenario name {self.name!r} must be a non-empty string without ':'")
        if not isinstance(self.pack, str) or not self.pack.strip():
            raise ValueError(f"scenario {self.name!r}: pack {self.pack!r} must be a non-empty string")
        clean: dict[str, float] = {}
        for key, value in dict(self.params).items():
            if not isinstance(key, str) or not key:
                raise ValueError(f"scenario {self.name!r}: parameter name {key!r} must be a non-empty string")
            try:
                v = float(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"scenario {self.name!r}: parameter {key!r} is {value!r} (expected a number)") from exc
            if not math.isfinite(v):
                raise ValueError(f"scenario {self.name!r}: parameter {key!r} is {value!r} (expected a finite number)")
            clean[key] = v
        object.__setattr__(self, "params", clean)
        if not isinstance(self.rule, DecisionRule):
            raise ValueError(f"scenario {self.name!r}: rule must be a DecisionRule, got {type(self.rule).__name__}")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict: name, pack, params, rule (dict), description."""
        return {"name": self.name, "pack": self.pack, "params": dict(self.params),
                "rule": self.rule.to_dict(), "description": self.description}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scenario":
        """Inverse of :meth:`to_dict`; unknown keys are refused."""
        known = {"name", "pack", "params", "rule", "description"}
        extra = set(data) - known
        if extra:
            raise ValueError(f"scenario {data.get('name')!r}: unknown field(s) {sorted(extra)} (expected some of {sorted(known)})")
        rule = data.get("rule")
        return cls(
            name=data["name"], pack=data["pack"], params=dict(data.get("params") or {}),
            rule=DecisionRule.from_dict(rule) if rule is not None else DecisionRule(),
            description=str(data.get("description") or ""),
        )

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict` (keys sorted)."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Scenario":
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))


def scenario_grid(
    pack: str,
    base: Mapping[str, float],
    variants: Mapping[str, Mapping[str, float]],
    *,
    rule: DecisionRule | None = None,
) -> list[Scenario]:
    """Scenarios that each override ``base`` with one variant's parameters.

    Parameters
    ----------
    pack : str
        Pack code.
    base : Mapping[str, float]
        Parameters shared by all scenarios.
    variants : Mapping[str, Mapping[str, float]]
        Scenario name -> parameters overriding ``base``, e.g.
        ``{"rate-15": {"P.rate": 0.15}, "rate-25": {"P.rate": 0.25}}``.
    rule : DecisionRule, optional
        Decision rule of every scenario (default :class:`DecisionRule`).

    Returns
    -------
    list[Scenario]
    """
    r = rule or DecisionRule()
    return [Scenario(name, pack, {**base, **dict(p)}, r) for name, p in variants.items()]
