"""Compiled evaluation (lambdify) agrees with exact arithmetic and with torch, ties included."""

import numpy as np
import pytest
import sympy

import pwverify
from pwverify.questions.tie_points import points_in_pieces
from conftest import case, requires_torch

PROGRAMS = [case("boustany.py:f"), case("maxpool.py:f"), case("boustany.py:torch_max4"),
            case("minmod.py:minmod_relu"), case("upwind.py:flux_branch"), "torch.where(x > 0, torch.log(x), 0)",
            "sqrt(x * x + y * y) + relu(x - y)"]


def _dyadic_points(program):
    out = []
    for p in points_in_pieces(program.representation()):
        if all(sympy.Rational(v).q & (sympy.Rational(v).q - 1) == 0 for v in p.point.values()):
            out.append(p.point)
    return out + [{n: sympy.Rational(k, 4) for n in program.inputs} for k in (-5, 3)]


@pytest.mark.parametrize("spec", PROGRAMS)
def test_compiled_equals_exact_on_every_piece(spec):
    program = pwverify.parse(spec)
    rep = program.representation()
    points = _dyadic_points(program)
    matrix = np.array([[float(pt[n]) for n in program.inputs] for pt in points])
    values, grads = program.evaluate(matrix)
    for k, pt in enumerate(points):
        try:
            exact_v, exact_g = rep.value_at(pt), rep.gradient_at(pt)
        except pwverify.PwverifyError:
            assert np.isnan(values[k]).all()
            continue
        assert np.allclose(values[k], [float(v) for v in exact_v], rtol=1e-14, atol=0)
        assert np.allclose(grads[k], [[float(g) for g in row] for row in exact_g], rtol=1e-14, atol=0,
                               equal_nan=True)


def test_vectorised_over_many_points():
    values, grads = pwverify.parse("relu(x) * y").evaluate(np.array([[1.0, 2.0], [-1.0, 3.0], [0.0, 5.0]]))
    assert values[:, 0].tolist() == [2.0, 0.0, 0.0]
    assert grads[:, 0, :].tolist() == [[2.0, 1.0], [0.0, 0.0], [0.0, 0.0]]


@requires_torch
@pytest.mark.parametrize("spec", PROGRAMS[:5])
def test_compiled_gradient_equals_torch_at_ties(spec):
    from pwverify.frameworks.crosscheck import run_torch
    program = pwverify.parse(spec)
    points = _dyadic_points(program)
    matrix = np.array([[float(pt[n]) for n in program.inputs] for pt in points])
    _, grads = program.evaluate(matrix)
    for k, pt in enumerate(points):
        measured = run_torch(program, pt).gradient
        assert np.array_equal(grads[k], np.array(measured)), (spec, pt)
