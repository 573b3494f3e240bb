"""Hypothesis invariants: NPV at the IRR is 0; a grant never lengthens payback; payback never
shortens when investment rises (numpy-financial's tests/strategies.py style)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from finance.cashflow import cash_flow
from finance.metrics import irr, metrics, npv
from policies.items import SupportItem

money = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def options(draw):
    life = draw(st.integers(1, 30))
    return {
        "investment": draw(st.floats(0, 1e5)),
        "annual_savings": draw(st.floats(-1e3, 3e4)),
        "annual_cost_change": draw(st.floats(0, 1e3)),
        "lifetime_years": life,
        "depreciation_years": draw(st.integers(1, 40)),
        "salvage_value": draw(st.floats(0, 1e4)),
    }


@settings(max_examples=300, deadline=None)
@given(st.lists(money, min_size=2, max_size=40))
def test_npv_at_the_irr_is_zero(values):
    got = irr(values)
    if not math.isnan(got.value):
        scale = max(abs(v) for v in values)
        x = 1 / (1 + got.value)
        # |NPV| relative to the size of the discounted terms
        size = sum(abs(v) * x ** t for t, v in enumerate(values))
        assert abs(npv(got.value, values)) <= 1e-8 * max(size, scale)
    else:
        assert got.reason


def _payback(option, tax, items=(), capacity=True):
    return metrics(cash_flow(option, tax, items, capacity), 0.05)["simple_payback_years"]


def _le(a, b):
    """a <= b for paybacks where None means never."""
    return b is None or (a is not None and a <= b + 1e-9)


@settings(max_examples=300, deadline=None)
@given(options(), st.floats(0, 0.5), st.floats(0, 1e5), st.booleans(), st.booleans(), st.booleans())
def test_a_grant_never_lengthens_payback(option, tax, grant, taxable, reduces, capacity):
    g = SupportItem("G", "grant", "grant", grant, 0, "XX", "2026-01-01", "test", taxable=taxable,
                    reduces_depreciation_base=reduces)
    assert _le(_payback(option, tax, [g], capacity), _payback(option, tax, (), capacity))


@settings(max_examples=300, deadline=None)
@given(options(), st.floats(0, 0.5), st.floats(0, 1e5), st.booleans())
def test_payback_never_shortens_when_investment_rises(option, tax, extra, capacity):
    more = {**option, "investment": option["investment"] + extra}
    assert _le(_payback(option, tax, (), capacity), _payback(more, tax, (), capacity))


@settings(max_examples=200, deadline=None)
@given(options(), st.floats(0, 0.5), st.floats(0, 0.2))
def test_scalar_npv_equals_numpy_financial(option, tax, rate):
    import numpy_financial as npf

    cf = cash_flow(option, tax, discount_rate=rate)
    assert metrics(cf, rate)["npv"] == np.float64(npf.npv(rate, cf["net"])) or math.isclose(
        metrics(cf, rate)["npv"], npf.npv(rate, cf["net"]), rel_tol=1e-12, abs_tol=1e-6)
