"""What the ``cpscreen`` process loads before it works (issue 11: end to end includes process start).

``import`` (and every command but ``budget``) does not load ``programme.outlay`` and with it numba;
``budget --government-discount-rate`` still defaults to, and its help still names, that module's
:data:`programme.outlay.GOVERNMENT_DISCOUNT_RATE`.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import cli
from tests.conftest import ROOT


def test_parsing_an_import_loads_neither_numba_nor_the_budget_modules():
    code = ("import sys, cli; cli.build_parser().parse_args(['import', 'x.csv']); "
            "print(sorted(m for m in ('numba', 'programme.outlay') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_budget_discount_rate_defaults_to_the_programme_constant_and_help_names_it(capsys):
    from programme.outlay import GOVERNMENT_DISCOUNT_RATE

    parser = cli.build_parser()
    assert parser.parse_args(["budget", "--programme", "NL"]).government_discount_rate == GOVERNMENT_DISCOUNT_RATE
    assert parser.parse_args(["budget", "--programme", "NL", "--government-discount-rate", "0.05"]).government_discount_rate == 0.05
    with pytest.raises(SystemExit) as done:
        parser.parse_args(["budget", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"fields, default {GOVERNMENT_DISCOUNT_RATE} (EC Better Regulation Toolbox, tool #61)" in text
