"""Financial appraisal of cleaner-production options (DESIGN.md section 3).

Modules
-------
cashflow
    Year-by-year after-tax cash flow of one option with its support items [currency].
metrics
    NPV, IRR (unique root or NaN with a reason), MIRR, paybacks [yr], ratios [/1], EAV, cost per unit.
handbook
    The Chinese cleaner-production audit handbook's D, F, N, NPVR form (a special case).
batch
    The same model for many options at once (2-D arrays, compiled row kernels in :mod:`finance.kernels`),
    block by block on threads; ``batch_arrays`` (the validated arrays), ``batch_flows`` (the cash
    flows) and ``batch_metrics`` (NPV, IRR, paybacks) are its parts.
appraise
    Library entry: records with and without the support of the pack in force.
inputs
    What every appraisal path reads besides the options (tax and discount rate, tax capacity, pack), per option.
option_detail
    The single-option detail the UI shows: both cash-flow tables and metric sets, the items and their worth.
explain
    Why, and why not: each rule in force per option with its reason and NPV effect (``appraise --explain``).
portfolio
    Portfolio selection under a budget (separate owner).
sensitivity
    One-at-a-time NPV sensitivity of one option (the Appraisal page's tornado chart).
kernels
    Compiled (numba) row loops behind ``batch``: cash flows, discounted sums, paybacks, IRR.
financing
    Debt: the one amortisation (annuity or linear) of the option's debt and the packs' soft loans; DSCR.
equity
    The equity cash flow of the options with debt (the kernel again, interest deducted): equity NPV, IRR, payback.
inflation
    The deflator (1 + i)**-t for what is fixed in money of the day (tax depreciation, loan payments).

Conventions: periods t = 0..N at period ends, t = 0 undiscounted (numpy-financial, not Excel's
NPV()); amounts nominal in the enterprise's currency; rates as fractions.

References
----------
.. [1] numpy-financial, https://numpy.org/numpy-financial/
.. [2] Microsoft Excel help, "NPV function", "IRR function", "MIRR function".
.. [3] UNEP/UNIDO (1991), Audit and Reduction Manual for Industrial Emissions and Wastes;
   国家清洁生产中心《企业清洁生产审核手册》(1996).
"""
