"""An envelope that rations: applications funded in a stated order until the money runs out.

In each draw the applications are the options taken up with support that ask for public money
(nominal outlay > 0 over their lives, :class:`programme.montecarlo.OptionDraws`).  They are served
in the order of ``order``; each is funded in full while the money spent, with it, stays within the
envelope; the first application that does not fit closes the programme, and it and every
application after it are left out (a programme office closes a call when its budget is used up;
it does not go on looking for smaller applications).  Orders:

``first-come``
    The options' frame order (the order the applications came in).
``cost-per-tonne``
    Lowest public money per tonne of CO2e avoided over the life first (support / (yearly CO2e x
    life)); applications avoiding no CO2e last; ties in frame order.
``npv-ratio``
    Highest NPV ratio first, NPV with support / net investment (investment - support paid at
    t = 0, DESIGN.md section 3); a net investment <= 0 ranks first; ties in frame order.

What the envelope buys: the additional tonnes of the funded applications (those that would not have
gone ahead without support, ``taken_without`` false); a free rider funded buys nothing.  An
application left out goes ahead only if it would without support.  Cost per tonne bought = money
spent / tonnes bought (undefined when nothing is bought).

References
----------
.. [1] European Commission, Common methodology for State aid evaluation, SWD(2014) 179 final
   (incentive effect: only additional outcomes are bought).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from programme.montecarlo import OptionDraws, percentiles_undefined_high

__all__ = ["ORDERS", "Rationed", "ration", "ration_summary", "ration_draw_columns", "ration_option_columns"]

#: Orders of ``--ration``.
ORDERS: tuple[str, ...] = ("first-come", "cost-per-tonne", "npv-ratio")


@dataclass(frozen=True)
class Rationed:
    """Per option and draw: applied, funded, left out [bool]; per draw the money and the tonnes.

    Attributes
    ----------
    envelope : float
        [currency]
    order : str
    applied, funded, left_out : ndarray of bool, shape (options, draws)
    spent : ndarray, shape (draws,)
        Money the funded applications get. [currency]
    asked_left_out : ndarray, shape (draws,)
        Money the applications left out asked for. [currency]
    bought : ndarray, shape (draws,)
        Additional CO2e of the funded applications over their lives. [t]
    """

    envelope: float
    order: str
    applied: np.ndarray
    funded: np.ndarray
    left_out: np.ndarray
    spent: np.ndarray
    asked_left_out: np.ndarray
    bought: np.ndarray

    @property
    def funded_count(self) -> np.ndarray:
        """Applications funded per draw. [applications]"""
        return self.funded.sum(axis=0)

    @property
    def left_count(self) -> np.ndarray:
        """Applications left out per draw. [applications]"""
        return self.left_out.sum(axis=0)

    def cost_per_tonne(self) -> np.ndarray:
        """Money spent per additional tonne bought, per draw; NaN where none is bought. [currency/t]"""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.bought > 0, self.spent / np.where(self.bought > 0, self.bought, 1.0), np.nan)


def _order_key(od: OptionDraws, order: str) -> np.ndarray:
    n, d = od.gross.shape
    if order == "first-come":
        return np.broadcast_to(np.arange(n, dtype=float)[:, None], (n, d))
    with np.errstate(divide="ignore", invalid="ignore"):
        if order == "cost-per-tonne":
            return np.where(od.effect > 0, od.gross / np.where(od.effect > 0, od.effect, 1.0), np.inf)
        net = od.investment - od.upfront
        return -np.where(net > 0, od.npv / np.where(net > 0, net, 1.0), np.inf)


def ration(od: OptionDraws, envelope: float, order: str) -> Rationed:
    """Fund each draw's applications in ``order`` until ``envelope`` runs out (module docstring).

    Parameters
    ----------
    od : OptionDraws
        Per-option matrices of a run (``programme.montecarlo.option_draws``).
    envelope : float
        Money available over the programme's life (nominal). [currency]
    order : {"first-come", "cost-per-tonne", "npv-ratio"}

    Returns
    -------
    Rationed

    Raises
    ------
    ValueError
        On an unknown order or an envelope that is not a number >= 0.
    """
    if order not in ORDERS:
        raise ValueError(f"ration order is {order!r} (expected one of {', '.join(ORDERS)})")
    if not (np.isfinite(envelope) and envelope >= 0):
        raise ValueError(f"envelope is {envelope!r} (expected an amount >= 0)")
    applied = od.taken & (od.gross > 0)
    key = np.where(applied, _order_key(od, order), np.inf)
    idx = np.argsort(key, axis=0, kind="stable")  # ties (and the non-applicants, last) in frame order
    amount = np.take_along_axis(np.where(applied, od.gross, 0.0), idx, axis=0)
    app_sorted = np.take_along_axis(applied, idx, axis=0)
    over = (np.cumsum(amount, axis=0) > envelope * (1 + 1e-12)) & app_sorted
    closed = np.maximum.accumulate(over, axis=0)
    funded_sorted = app_sorted & ~closed
    funded = np.zeros_like(applied)
    np.put_along_axis(funded, idx, funded_sorted, axis=0)
    left = applied & ~funded
    spent = np.where(funded, od.gross, 0.0).sum(axis=0)
    asked = np.where(left, od.gross, 0.0).sum(axis=0)
    bought = np.where(funded & ~od.taken_without, od.effect, 0.0).sum(axis=0)
    return Rationed(float(envelope), order, applied, funded, left, spent, asked, bought)


def ration_summary(r: Any) -> dict[str, Any]:
    """Distribution of what the envelope buys: ``ration``, ``funded_outlay_p10/_p50/_p90``
    [currency], ``funded_applications_mean``, ``left_out_applications_mean`` [applications],
    ``left_out_asked_p50`` [currency], ``t_co2e_bought_p10/_p50/_p90`` [t], ``cost_per_t_co2e_bought_p10/_p50/_p90``
    [currency/t] (a draw buying nothing counts as the most costly; a percentile on such draws is None).

    ``r`` is a :class:`Rationed` or a :class:`programme.ration_partitions.RationedDraws` (the same
    per-draw figures, from partitions)."""
    s10, s50, s90 = np.percentile(r.spent, [10, 50, 90])
    b10, b50, b90 = np.percentile(r.bought, [10, 50, 90])
    c10, c50, c90 = percentiles_undefined_high(r.cost_per_tonne())
    return {"ration": r.order, "funded_outlay_p10": float(s10), "funded_outlay_p50": float(s50),
            "funded_outlay_p90": float(s90), "funded_applications_mean": float(r.funded_count.mean()),
            "left_out_applications_mean": float(r.left_count.mean()),
            "left_out_asked_p50": float(np.percentile(r.asked_left_out, 50)), "t_co2e_bought_p10": float(b10),
            "t_co2e_bought_p50": float(b50), "t_co2e_bought_p90": float(b90), "cost_per_t_co2e_bought_p10": c10,
            "cost_per_t_co2e_bought_p50": c50, "cost_per_t_co2e_bought_p90": c90}


def ration_draw_columns(r: Any) -> pd.DataFrame:
    """Per draw: ``funded_outlay`` [currency], ``funded_applications``, ``left_out_applications``,
    ``left_out_asked`` [currency], ``t_co2e_bought`` [t], ``cost_per_t_co2e_bought`` [currency/t]."""
    return pd.DataFrame({"funded_outlay": r.spent, "funded_applications": r.funded_count,
                         "left_out_applications": r.left_count, "left_out_asked": r.asked_left_out,
                         "t_co2e_bought": r.bought, "cost_per_t_co2e_bought": r.cost_per_tonne()})


def ration_option_columns(r: Rationed) -> pd.DataFrame:
    """Per option: ``share_applied``, ``share_funded``, ``share_left_out`` of the draws. [/1]"""
    return pd.DataFrame({"share_applied": r.applied.mean(axis=1), "share_funded": r.funded.mean(axis=1),
                         "share_left_out": r.left_out.mean(axis=1)})
