"""The Chinese cleaner-production audit handbook's appraisal form, as a special case of the model.

The handbook (and UNEP's audit manual it follows) appraises an option with

* I = investment - subsidy [currency]
* D = I / Y, straight-line depreciation over Y years [currency/yr]
* F = (P - D)(1 - t) + D, the yearly after-tax cash flow, P the yearly increase of profit before
  depreciation and tax [currency/yr], t the income tax rate [/1]
* N = I / F, the payback period [yr]
* NPV = sum_{j=1..n} F / (1 + i)**j - I [currency], NPVR = NPV / I [/1]

This equals :func:`finance.cashflow.cash_flow` with straight-line depreciation over Y, life n,
a non-taxable subsidy paid at t = 0 that reduces the depreciable base, tax capacity, no salvage;
``tests/finance/test_handbook.py`` checks that both give identical numbers.

References
----------
.. [1] 国家清洁生产中心 (China National Cleaner Production Center), 《企业清洁生产审核手册》
   (Enterprise cleaner production audit handbook), 中国环境科学出版社, 1996, chapter on the
   feasibility analysis of options (经济评估: 年折旧费 D, 年增现金流量 F, 投资偿还期 N, 净现值 NPV,
   净现值率 NPVR, 内部收益率 IRR).
.. [2] UNEP/UNIDO (1991), "Audit and Reduction Manual for Industrial Emissions and Wastes",
   Technical Report Series No. 7.
"""

from __future__ import annotations

from dataclasses import dataclass

from finance.metrics import irr, npv


@dataclass(frozen=True)
class HandbookAppraisal:
    """Results of the handbook form (units as in the module docstring)."""

    net_investment: float  #: I [currency]
    depreciation: float  #: D [currency/yr]
    cash_flow: float  #: F [currency/yr]
    payback_years: float | None  #: N [yr]; None where F <= 0
    npv: float  #: [currency]
    npvr: float  #: NPV / I [/1]
    irr: float  #: [/1]; NaN where undefined


def handbook_appraisal(
    investment: float,
    annual_profit: float,
    tax_rate: float,
    depreciation_years: int,
    discount_rate: float,
    subsidy: float = 0.0,
) -> HandbookAppraisal:
    """Appraise an option by the audit handbook's formulas.

    Parameters
    ----------
    investment : float
        Total investment. [currency]
    annual_profit : float
        P: yearly increase of profit before depreciation and tax (savings minus extra cost).
        [currency/yr]
    tax_rate : float
        t: income tax rate. [/1]
    depreciation_years : int
        Y: depreciation period. [yr]
    discount_rate : float
        i: discount rate. [/1 per yr]
    subsidy : float
        Subsidy deducted from the investment. [currency]

    Returns
    -------
    HandbookAppraisal

    References
    ----------
    .. [1] 《企业清洁生产审核手册》 (1996), economic evaluation of options.
    """
    if depreciation_years < 1:
        raise ValueError(f"depreciation_years must be >= 1, got {depreciation_years}")
    n = depreciation_years  # the handbook's F is constant only while depreciation runs: n = Y
    i_net = investment - subsidy
    d = i_net / depreciation_years
    f = (annual_profit - d) * (1.0 - tax_rate) + d
    flows = [-i_net] + [f] * n
    value = npv(discount_rate, flows)
    return HandbookAppraisal(
        net_investment=i_net,
        depreciation=d,
        cash_flow=f,
        payback_years=i_net / f if f > 0 else None,
        npv=value,
        npvr=value / i_net if i_net > 0 else float("nan"),
        irr=irr(flows).value,
    )
