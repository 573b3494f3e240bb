"""Random options and support items of every kind, shared by the finance tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from policies.items import ITEM_COLUMNS, SupportItem


def random_options(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """n options with lives 1..25, depreciation 1..30 years, mixed signs of savings. [currency]"""
    life = rng.integers(1, 26, n)
    return pd.DataFrame({
        "option_id": [f"o{i}" for i in range(n)],
        "investment": rng.uniform(0, 1000, n).round(2),
        "annual_savings": rng.uniform(-50, 300, n).round(2),
        "annual_cost_change": np.where(rng.random(n) < 0.5, rng.uniform(0, 60, n), 0.0),
        "lifetime_years": life,
        "depreciation_years": np.where(rng.random(n) < 0.5, rng.integers(1, 31, n), life),
        "salvage_value": np.where(rng.random(n) < 0.3, rng.uniform(0, 100, n), 0.0),
    })


def random_items(rng: np.random.Generator, options: pd.DataFrame) -> list[list[SupportItem]]:
    """0..4 items per option, every kind represented, each fitting the option's life."""
    out: list[list[SupportItem]] = []
    for _, o in options.iterrows():
        life = int(o["lifetime_years"])
        items: list[SupportItem] = []
        kinds = rng.choice(["grant", "tax_deduction", "tax_credit", "depreciation", "tax_holiday", "soft_loan"],
                           size=rng.integers(0, 5), replace=False)
        for k, kind in enumerate(kinds):
            year = int(rng.integers(0, min(2, life) + 1))
            spread = int(rng.integers(1, life - year + 2))
            common = dict(instrument_id=f"X-{kind}-{k}", name=kind, kind=kind, pack="XX",
                          pack_version="2026-01-01", source="test")
            amount = float(rng.uniform(0, 0.6) * (o["investment"] + 1))
            if kind == "grant":
                items.append(SupportItem(**common, amount=amount, year=year, spread_years=spread,
                                         taxable=bool(rng.random() < 0.5),
                                         reduces_depreciation_base=bool(rng.random() < 0.5)))
            elif kind == "tax_deduction":
                items.append(SupportItem(**common, amount=amount, year=year, spread_years=spread))
            elif kind == "tax_credit":
                cf = None if rng.random() < 0.3 else int(rng.integers(0, 6))
                items.append(SupportItem(**common, amount=amount / 3, year=year, spread_years=spread,
                                         carry_forward_years=cf))
            elif kind == "depreciation":
                later = math.nan if rng.random() < 0.5 else float(rng.uniform(0.05, 0.5))
                items.append(SupportItem(**common, amount=float(o["investment"]), year=1,
                                         first_year_share=float(rng.uniform(0.1, 1.0)), later_share=later))
            elif kind == "tax_holiday":
                items.append(SupportItem(**common, amount=0.0, year=1, exempt_years=int(rng.integers(0, 4)),
                                         reduced_years=int(rng.integers(0, 4)), reduced_factor=0.5))
            else:
                items.append(SupportItem(**common, amount=amount, year=0, loan_rate=float(rng.uniform(0, 0.05)),
                                         loan_years=int(rng.integers(1, 16))))
        out.append(items)
    return out


def item_table(items: list[list[SupportItem]]) -> pd.DataFrame:
    """Long support table (ITEM_COLUMNS) of per-option item lists."""
    rows = [{"row": i, **it.as_record()} for i, its in enumerate(items) for it in its]
    return pd.DataFrame(rows, columns=list(ITEM_COLUMNS))
