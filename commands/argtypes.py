"""The parser's own types: values of flags checked as they are parsed (dates, rates, shares, uptake
rules, programme parameters), the parser that reports bad usage in one line, and the budget's lazily
read default of ``--government-discount-rate``."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from commands.output import UsageError


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def parse_rate(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a rate such as 0.08, got {text!r}") from None
    if not -0.99 < v < 10:
        raise argparse.ArgumentTypeError(f"rate {v} out of range (-0.99, 10)")
    return v


def parse_spread(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    value = value.strip()
    try:
        if not sep:
            raise ValueError
        share = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected COLUMN=P% such as annual_savings=20%, got {text!r}") from None
    return name.strip(), share


def parse_share(text: str) -> float:
    value = text.strip()
    try:
        share = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share such as 30% or 0.3, got {text!r}") from None
    if not (share >= 0 and share < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a share >= 0 such as 30%, got {text!r}")
    return share


def parse_rule(text: str) -> Any:
    from programme.uptake import DecisionRule

    kind, _, value = text.partition(":")
    try:
        if kind == "payback":
            return DecisionRule("payback", payback_limit=float(value or 3))
        if kind == "npv":
            return DecisionRule("npv")
        if kind == "irr":
            return DecisionRule("irr", hurdle=float(value or 0.1))
        if kind == "logistic":
            from programme.uptake import IAC_UPTAKE_RULE

            if not value:
                return IAC_UPTAKE_RULE  # the curve fitted on the IAC decisions (bench/iac_uptake_fit.py)
            parts = value.split(":")
            if len(parts) in (2, 3) and (len(parts) == 2 or parts[2] in ("log", "none")):
                return DecisionRule("logistic", intercept=float(parts[0]), slope=float(parts[1]),
                                    transform=parts[2] if len(parts) == 3 else "none")  # type: ignore[arg-type]
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected payback[:YEARS], npv, irr[:HURDLE] or logistic[:INTERCEPT:SLOPE[:log]], got {text!r}")


def parse_param(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER such as NL-CP-GRANT.rate=0.25, got {text!r}") from None


def parse_sweep(text: str) -> tuple[str, tuple[float, ...]]:
    """``budget --sweep NAME=V1,V2[,...]``: a programme parameter and the values to run it at, in order."""
    name, sep, values = text.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        got = tuple(float(v) for v in values.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER,NUMBER[,...] such as NL-EIA-2024.rate.value=0.3,0.4,0.45, "
                                         f"got {text!r}") from None
    if len(got) < 2:
        raise argparse.ArgumentTypeError(f"--sweep {text!r} gives one value: give two or more (one value is --param {text})")
    repeated = sorted({v for v in got if got.count(v) > 1})
    if repeated:
        raise argparse.ArgumentTypeError(f"--sweep {text!r} repeats {', '.join(repr(v) for v in repeated)}: each value once")
    return name.strip(), got


class Parser(argparse.ArgumentParser):
    """argparse that reports bad usage in one line with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


class GovernmentRate(argparse.Action):
    """``budget --government-discount-rate``: its default, :data:`programme.outlay.GOVERNMENT_DISCOUNT_RATE`, and the
    help naming it are read when the budget command runs or shows its help, not when the parser is built
    (``programme.outlay`` loads numba: ~0.2 s of start-up that ``import`` and every other command would pay)."""

    @property
    def default(self) -> float:  # type: ignore[override]
        from programme.outlay import GOVERNMENT_DISCOUNT_RATE

        return GOVERNMENT_DISCOUNT_RATE

    @default.setter
    def default(self, _value: object) -> None:
        pass

    @property
    def help(self) -> str:  # type: ignore[override]
        return (f"real rate for the pv_* (present value to the treasury) fields, default {self.default} "
                "(EC Better Regulation Toolbox, tool #61)")

    @help.setter
    def help(self, _value: object) -> None:
        pass

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
