"""Compile the programme's numerical kernels (or load them from numba's on-disk cache) ahead of use.

numba compiles a kernel on its first call and caches it on disk (``cache=True``, in
``__pycache__`` beside the source; a cache is stale once its source file changes).  The first
process that has to compile anything pays numba's and LLVM's start-up as well: a ``cpscreen budget``
of 1,000,000 options took 8.45 s of user CPU with the programme's kernels not yet cached against
5.46 s with them cached (the same run otherwise, one run each, 2026-12-02); the first of the CLI
benchmark's three budgets paid that.  The budget's own
kernels (:mod:`programme.appraisal`: paybacks; :mod:`programme.outlay`: the tax forgone period by
period, soft loans) are not among those ``finance.batch.warm_up`` compiles, so a first budget after
a checkout or an update compiled them.  :func:`warm_up` compiles both sets on two tiny options,
through the same functions as a real budget (support items of every kind, the outlay with the
net flows reused), so that the signatures compiled are the ones used later.

The uncertainty kernels are compiled here too (:func:`_warm_draws`): ``finance.risk``'s triangular
draws (the Appraisal page's risk, ``cpscreen risk``) and :mod:`programme.mc_kernels`' ``draw_block``
(the Programme page's Monte Carlo, ``cpscreen budget --draws``).  Before 2026-12-04 they were not, and
a new server's first Programme view compiled ``draw_block`` inside a user's script run: 7.25 s
(``bench/bench_pages.py`` on the demo data, the first run after an install).

Run: ``.venv/bin/python -m programme.warm`` (``scripts/run.sh`` does, before the app starts).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

__all__ = ["warm_up"]


def warm_up() -> float:
    """Compile (or load) the kernels of ``finance.batch`` and of the programme budget. [s]

    Returns the seconds it took.
    """
    from finance.batch import warm_up as finance_warm_up
    from policies.items import SUPPORT_KINDS
    from programme.appraisal import cumulative_payback, flows_and_metrics, payback_from_cumulative
    from programme.outlay import outlay_table

    start = time.perf_counter()
    finance_warm_up()
    options = pd.DataFrame({"investment": [1000.0, 500.0], "annual_savings": [300.0, -20.0],
                            "lifetime_years": [6, 4], "savings_escalation": [0.02, 0.0], "inflation": [0.0, 0.02]})
    kinds = list(SUPPORT_KINDS)
    support = pd.DataFrame({
        "row": [0] * len(kinds) + [1], "instrument_id": [f"I{k}" for k in range(len(kinds) + 1)], "kind": kinds + ["tax_credit"],
        "amount": [100.0] * len(kinds) + [50.0], "year": [0, 1, 1, 0, 0, 0, 1],
        "first_year_share": [np.nan, np.nan, np.nan, 0.5, np.nan, np.nan, np.nan],
        "exempt_years": [0, 0, 0, 0, 2, 0, 0], "loan_rate": [0, 0, 0, 0, 0, 0.02, 0],
        "loan_years": [0, 0, 0, 0, 0, 3, 0], "carry_forward_years": [np.nan] * 6 + [5.0], "spread_years": 1,
        "taxable": False, "reduces_depreciation_base": False,
    })
    tax, capacity, rate = np.array([0.25, 0.25]), np.array([True, False]), np.array([0.08, 0.08])
    loss = np.array([np.nan, 5.0])
    net0, life, _ = flows_and_metrics(options, tax, capacity, rate, None, loss_carry_forward_years=loss, with_irr=True)
    net1, _, _ = flows_and_metrics(options, tax, capacity, rate, support, loss_carry_forward_years=loss)
    cum, _ = cumulative_payback(net0, life, keep_cumulative=True)
    cumulative_payback(net0, life, keep_cumulative=False)
    payback_from_cumulative(cum, life)
    # the outlay with the flows reused (row 1's only item read from net1 - net0) and valued item by item (row 0)
    outlay_table(support, options, tax, tax_capacity=capacity, loss_carry_forward_years=loss, net_without=net0, net_with=net1)
    _warm_draws()
    return time.perf_counter() - start


def _warm_draws() -> None:
    """The risk and Monte Carlo kernels, through the functions the pages and the CLI call: an option's
    risk (``finance.risk.risk``), a programme's draws in-process (``programme.distributed.run_draws``, as
    ``cpscreen budget --draws`` and the Programme page without an envelope), per option with an envelope
    rationed (``option_draws`` and ``ration``), and with the payback limit drawn (``--threshold-spread``)."""
    from datetime import date

    from finance.risk import risk
    from programme.distributed import run_draws
    from programme.montecarlo import McSpec, draw_sums, option_draws
    from programme.ration import ration
    from programme.uptake import DecisionRule
    from screening.schema import validate

    enterprises = pd.DataFrame({"enterprise_id": ["w-nl", "w-dk"], "name": "warm-up", "jurisdiction": ["NL", "DK"],
                                "size_class": ["small", "medium"]})
    options = pd.DataFrame({
        "option_id": ["a", "b", "c"], "enterprise_id": ["w-nl", "w-nl", "w-dk"], "title": "warm-up",
        "category": ["equipment_modification", "technology_change", "good_housekeeping"],
        "investment": [40_000.0, 250_000.0, 0.0], "annual_savings": [12_000.0, 50_000.0, 3_000.0],
        "lifetime_years": [10, 15, 5], "energy_saved_mwh": [80.0, 400.0, 5.0], "co2e_avoided_t": [30.0, 150.0, 2.0],
    })
    v = validate(enterprises, options)
    on_date = date(2025, 6, 1)
    risk(v.options, v.enterprises, on_date, draws=8)
    rule = DecisionRule("payback", payback_limit=4.0)
    nl, dk = (v.options[v.options["enterprise_id"] == e].reset_index(drop=True) for e in ("w-nl", "w-dk"))
    for pack, mine in (("NL", nl), ("DK", dk)):  # the general engine (NL's tax deductions), the compiled one (DK's grants)
        spec = McSpec(pack, on_date, rule, draws=4)
        run_draws(mine, v.enterprises, spec)
        ration(option_draws(mine, v.enterprises, spec), 30_000.0, "npv-ratio")
    draw_sums(dk, v.enterprises, McSpec("DK", on_date, rule, draws=4, threshold_spread=0.3))  # the compiled engine only


if __name__ == "__main__":
    print(f"cpscreen: numerical kernels (finance, programme) ready in {warm_up():.1f} s")
