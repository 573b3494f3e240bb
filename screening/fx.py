"""Dated exchange rates for converting between the packs' currencies (``data/fx_rates.csv``).

One table, one date: the ECB euro foreign exchange reference rates of 28 February 2025 [1]_, in
units of each currency per euro.  Used to convert the US DOE IAC dollar figures into an
enterprise's currency (suggestions, the ``observed`` profile) and to state the assumed cost-class
thresholds of the packs.  A conversion is always a new value with its currency named; an
unknown currency is refused, never guessed.

References
----------
.. [1] European Central Bank, euro foreign exchange reference rates, 28 February 2025: USD
   1.0411, DKK 7.4583, GBP 0.82608, CAD 1.5019, CNY 7.5782 per EUR (read from a copy of the ECB
   table; check at https://www.ecb.europa.eu/stats/policy_and_exchange_rates/
   euro_reference_exchange_rates/html/index.en.html).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

#: The shipped rate table.
FX_FILE: Path = Path(__file__).resolve().parents[1] / "data" / "fx_rates.csv"


@lru_cache(maxsize=2)
def rates(path: str = str(FX_FILE)) -> dict[str, float]:
    """Units of each currency per euro. [currency/EUR]"""
    with open(path, newline="", encoding="utf-8") as f:
        return {row["currency"]: float(row["per_eur"]) for row in csv.DictReader(f)}


@lru_cache(maxsize=2)
def rate_date(path: str = str(FX_FILE)) -> str:
    """The one date of the table (ISO)."""
    with open(path, newline="", encoding="utf-8") as f:
        dates = {row["date"] for row in csv.DictReader(f)}
    if len(dates) != 1:
        raise ValueError(f"{path}: expected rates of one date, got {sorted(dates)}")
    return dates.pop()


def factor(source: str, target: str) -> float:
    """Multiply an amount in ``source`` by this to get ``target``. [target/source]

    Raises
    ------
    ValueError
        Naming the currency the table does not hold.
    """
    table = rates()
    for c in (source, target):
        if c not in table:
            raise ValueError(f"no exchange rate for currency {c!r}; known: {', '.join(sorted(table))} ({FX_FILE.name})")
    return table[target] / table[source]


def describe(source: str, target: str) -> str:
    """``1 USD = 7.164 DKK (ECB reference rates, 2025-02-28)``."""
    return f"1 {source} = {factor(source, target):.4g} {target} (ECB reference rates, {rate_date()})"
