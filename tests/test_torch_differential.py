"""Differential tests: pwverify's exact prediction against real torch autograd, at ties.

Every torch call in the registry has a row in ``torch_cases.TORCH_CASES``. Each program
is run through torch 2.13.0 in float64 at an exact point of every piece of its
representation (thin pieces first: ties, kinks) and at random points, in reverse and
forward mode, and must return exactly what pwverify predicts.
"""

import random
from fractions import Fraction

import pytest
import sympy

import pwverify
from pwverify.questions.tie_points import points_in_pieces
from conftest import requires_torch
from framework_cases import check_case, missing_rows
from torch_cases import TORCH_CASES


def test_every_registered_torch_call_has_a_differential_case():
    missing = missing_rows("torch", TORCH_CASES)
    assert not missing, f"add rows to tests/torch_cases.py for: {missing}"


def _dyadic(point):
    return all(Fraction(str(v)).denominator & (Fraction(str(v)).denominator - 1) == 0
               for v in point.values() if isinstance(v, sympy.Rational))


def _points(program, seed=0):
    rep = program.representation()
    points = [p.point for p in points_in_pieces(rep) if _dyadic(p.point)]
    rng = random.Random(seed)
    points += [{n: sympy.Rational(rng.randint(-12, 12), 4) for n in program.inputs} for _ in range(4)]
    return points


def _close(predicted, measured):
    return all(abs(float(p) - m) <= 1e-12 * max(1.0, abs(m)) for p, m in zip(predicted, measured))


@requires_torch
@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("call", sorted(TORCH_CASES))
def test_prediction_equals_torch_autograd(call, mode):
    check_case("torch", TORCH_CASES[call], mode)


CASE_STUDIES = ["boustany.py:f", "maxpool.py:f", "minmod.py:minmod_relu", "minmod.py:minmod_branch",
                "upwind.py:flux_branch", "upwind.py:flux_relu", "relu_family.py:relu3",
                "relu_family.py:identity_minus_zero", "murat_trombetti.py:max_xx",
                "murat_trombetti.py:max_stack_xx", "murat_trombetti.py:python_max_xx",
                "murat_trombetti.py:relu_w0", "boustany.py:max1_t", "boustany.py:torch_max4"]


@requires_torch
@pytest.mark.parametrize("spec", CASE_STUDIES)
def test_case_study_programs_match_torch(spec):
    from conftest import case
    from pwverify.frameworks.crosscheck import run_torch
    program = pwverify.parse(case(spec))
    for point in _points(program):
        for mode in ("reverse", "forward"):
            predicted = program.in_mode(mode).gradient_at(point)
            measured = run_torch(program, point, mode).gradient
            assert all(_close(p, m) for p, m in zip(predicted, measured)), (spec, mode, point)
