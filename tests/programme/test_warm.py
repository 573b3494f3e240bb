"""``programme.warm.warm_up`` compiles every kernel signature a budget uses, and those of the risk and
Monte Carlo draws (``scripts/run.sh`` and the CLI benchmark run it so that no first budget, and no first
Programme or Appraisal view of a new server, waits for the compiler)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: In a fresh process: warm up, note each kernel's compiled signatures, run budgets that take every
#: branch of the outlay and of the metrics with support (tax items valued from the reused flows and item by
#: item, untaxed grants added to the no-support flows, with and without IRRs), print what was added.
SCRIPT = r"""
import json
from datetime import date
import numpy as np, pandas as pd
from numba.core.registry import CPUDispatcher
import finance.financing, finance.inflation, finance.kernels, finance.risk, programme.appraisal, programme.mc_kernels, programme.outlay
from programme.warm import warm_up
from programme.budget import run_programme
from programme.uptake import DecisionRule

MODULES = (finance.financing, finance.inflation, finance.kernels, finance.risk, programme.appraisal, programme.mc_kernels,
           programme.outlay)
def signatures():
    return {f"{m.__name__}.{k}": sorted(map(str, v.signatures)) for m in MODULES for k, v in vars(m).items()
            if isinstance(v, CPUDispatcher)}

warm_up()
before = signatures()
rows = [(f"E{i % 3}", f"o{i}", 100_000.0 + 20_000 * i, 25_000.0 + 3_000 * i, 10.0 * i) for i in range(12)]
opts = pd.DataFrame(rows, columns=["enterprise_id", "option_id", "investment", "annual_savings", "energy_saved_mwh"])
opts = opts.assign(title="t", category="equipment_modification", lifetime_years=10, annual_cost_change=0.0, salvage_value=0.0,
                   eligible_investment=opts["investment"], other_grants=0.0, mandatory=False, excludes="",
                   mia_tier=["I", "II", "III"] * 4)
ents = pd.DataFrame({"enterprise_id": ["E0", "E1", "E2"], "name": "e", "jurisdiction": "none", "size_class": "medium",
                     "tax_rate": 0.25, "discount_rate": 0.08, "tax_capacity": [True, True, False]})
rule = DecisionRule("payback", payback_limit=4.0)
for with_irr in (None, True):
    r = run_programme(opts, ents, "NL", on_date=date(2025, 6, 1), rule=DecisionRule("irr", hurdle=0.1) if with_irr else rule)
    assert r.summary["outlay_if_all"] > 0, r.summary
    g = run_programme(opts, ents.assign(tax_rate=0.0), "CA-ECOENERGY", on_date=date(2010, 6, 1), rule=rule)
    assert g.summary["outlay_if_all"] > 0, g.summary
# the draws: an option's risk, a programme's draws on the general engine (NL: tax deductions) and on the
# compiled one (DK: grants), rationed per option, and with the payback limit drawn
from finance.risk import risk
from programme.distributed import run_draws
from programme.montecarlo import McSpec, draw_sums, option_draws
from programme.ration import ration
from screening.schema import validate
v = validate(ents.assign(jurisdiction=["NL", "DK", "DK"], tax_capacity=True).drop(columns=["tax_rate"]),
             opts.drop(columns=["mia_tier"]))
assert len(risk(v.options, v.enterprises, date(2025, 6, 1), draws=20)) == 12
for pack in ("NL", "DK"):
    spec = McSpec(pack, date(2025, 6, 1), rule, draws=10, seed=3)
    assert run_draws(v.options, v.enterprises, spec).draws == 10
    ration(option_draws(v.options, v.enterprises, spec), 50_000.0, "cost-per-tonne")
dk = v.options[v.options["enterprise_id"] != "E0"].reset_index(drop=True)
assert "columnar" in draw_sums(dk, v.enterprises, McSpec("DK", date(2025, 6, 1), rule, draws=10, threshold_spread=0.2)).engines
after = signatures()
print(json.dumps({k: sorted(set(after[k]) - set(before.get(k, []))) for k in after if set(after[k]) - set(before.get(k, []))}))
"""


def test_warm_up_compiles_every_signature_a_budget_uses():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    added = json.loads(out.stdout.strip().splitlines()[-1])
    assert added == {}, f"signatures compiled after warm_up: {added}"
