"""Cost-class thresholds of the preliminary sort, one pair per policy pack, read from the packs' data.

Each pack's ``pack.yaml`` states, under ``cost_classes``, the investment below which an option is
low cost and at or above which it is high cost, in the pack's currency, each figure with its
reference (``policies.schema.CostClasses`` validates the block).  The Chinese audit practice
gives its own thresholds (100 000 / 1 000 000 CNY) [1]_; for the other packs no official cost
classes were found and the figures are an assumption, stated in each pack: the Chinese thresholds
converted at the ECB euro reference rates of 28 February 2025 (``data/fx_rates.csv``) [2]_ and
rounded to two significant figures.

The files are read here as data (YAML), not through the ``policies`` package, so that screening
stays below the computation packages (as ``screening.pack_values`` does); the code-health test
``tests/screening/test_cost_classes.py`` checks this reading against the validated packs.

References
----------
.. [1] Chinese enterprise cleaner-production audit practice: no/low cost options (< 100 000 CNY),
   medium (100 000 - 1 000 000 CNY), high cost (>= 1 000 000 CNY) (project issue 4).
.. [2] European Central Bank, euro foreign exchange reference rates, 28 February 2025.
   https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from screening.pack_values import PACKS_DIR, read_safe_yaml


@dataclass(frozen=True)
class PackCostClasses:
    """One pack's cost-class thresholds.

    Attributes
    ----------
    pack : str
        Pack code (the enterprise's ``jurisdiction``).
    currency : str
        ISO 4217 code of the thresholds (the pack's currency).
    low_upper : float
        Investment below this is low cost. [currency]
    high_lower : float
        Investment at or above this is high cost. [currency]
    assumption : bool
        True where the pack states the figures as an assumption (its reference is flagged
        ``unverified``), not as a rule of the jurisdiction.
    """

    pack: str
    currency: str
    low_upper: float
    high_lower: float
    assumption: bool

    def describe(self) -> str:
        """One line: ``DK pack: low < 98,000 DKK <= medium < 980,000 DKK <= high (assumption)``."""
        tail = " (assumption)" if self.assumption else ""
        return (f"{self.pack} pack: low < {self.low_upper:,.0f} {self.currency} <= medium < "
                f"{self.high_lower:,.0f} {self.currency} <= high{tail}")


@lru_cache(maxsize=4)
def pack_cost_classes(root: str = str(PACKS_DIR)) -> dict[str, PackCostClasses]:
    """Cost-class thresholds of every pack that states them, by pack code."""
    out: dict[str, PackCostClasses] = {}
    for path in sorted(Path(root).glob("*/pack.yaml")):
        data = read_safe_yaml(path) or {}
        block = data.get("cost_classes")
        if not block:
            continue
        sources = data.get("sources") or {}
        refs = {block["low_upper"]["ref"], block["high_lower"]["ref"]}
        flagged = any((sources.get(r) or {}).get("unverified") for r in refs)
        out[str(data["code"])] = PackCostClasses(
            pack=str(data["code"]),
            currency=str(data["currency"]),
            low_upper=float(block["low_upper"]["value"]),
            high_lower=float(block["high_lower"]["value"]),
            assumption=bool(flagged) and "assumption" in str(block.get("note", "")),
        )
    return out


def currency_thresholds(packs: dict[str, PackCostClasses] | None = None) -> dict[str, tuple[float, float]]:
    """Thresholds by currency for enterprises without a pack (jurisdiction ``none``).

    A currency is kept only where every pack in that currency states the same pair, so that no
    pack's figure is silently applied to another's enterprises.
    """
    packs = pack_cost_classes() if packs is None else packs
    pairs: dict[str, set[tuple[float, float]]] = {}
    for p in packs.values():
        pairs.setdefault(p.currency, set()).add((p.low_upper, p.high_lower))
    return {c: next(iter(s)) for c, s in pairs.items() if len(s) == 1}
