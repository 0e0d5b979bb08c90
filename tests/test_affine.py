"""Affine forms give exactly the expressions and atoms sympy's canonicalisation gives."""

import random
from fractions import Fraction

import pytest
import sympy

from pwverify.core.affine import Form
from pwverify.core.atoms import FLIPPED, Atom, canonical

SYMBOLS = sympy.symbols("x0 x1 x2 x10 y a0 a1 b")


def sympy_atom(expr, rel):
    """Atom.make as sympy alone computes it (the definition the fast path must match)."""
    expr = canonical(expr)
    if expr.is_number:
        return None
    content, expr = expr.as_content_primitive()
    lead = next(t for t in expr.as_ordered_terms() if not t.is_number)
    if lead.as_coeff_Mul()[0] < 0:
        expr, rel = canonical(-expr), FLIPPED[rel]
    return Atom(expr, rel)


def random_affine(rng, symbols=SYMBOLS):
    chosen = rng.sample(list(symbols), rng.randint(1, min(4, len(symbols))))
    coefficient = lambda: sympy.Rational(rng.randint(-7, 7), rng.choice([1, 1, 2, 3, 6, 10]))
    return sympy.Add(*[coefficient() * s for s in chosen]) + coefficient()


@pytest.mark.parametrize("seed", range(5))
def test_atoms_from_forms_equal_sympys(seed):
    rng = random.Random(seed)
    for _ in range(300):
        expr = random_affine(rng)
        rel = rng.choice([">", ">=", "<", "<=", "==", "!="])
        expected = sympy_atom(expr, rel)
        got = Atom.make(expr, rel)
        if expected is None:
            assert isinstance(got, bool)
            continue
        assert got == expected, (expr, rel)
        assert hash(got.expr) == hash(expected.expr)
        assert str(got) == str(expected)


@pytest.mark.parametrize("seed", range(5))
def test_substitution_equals_sympys(seed):
    rng = random.Random(seed)
    a0, a1 = sympy.symbols("a0 a1")
    inputs = sympy.symbols("x0 x1 x2 x10 y")
    for _ in range(200):
        outer = random_affine(rng, (a0, a1))
        mapping = {a0: random_affine(rng, inputs), a1: random_affine(rng, inputs)}
        form = Form.of(outer).substitute(mapping)
        assert form.expr() == canonical(outer.xreplace(mapping))
        for rel in (">", "<=", "=="):
            atom = Atom.make(outer, rel)
            if isinstance(atom, bool):
                continue
            expected = sympy_atom(atom.expr.xreplace(mapping), atom.rel)
            got = atom.subs(mapping)
            assert (got == expected) if expected is not None else isinstance(got, bool)


def test_forms_refuse_what_is_not_affine():
    x, y = sympy.symbols("x y")
    assert Form.of(x * y) is None
    assert Form.of(x**2 + 1) is None
    assert Form.of(sympy.sqrt(2) * x) is None    # irrational coefficient: sympy's own path
    assert Form.of(2 * x + 1).substitute({x: sympy.exp(y)}) is None
    assert Form.of(2 * x - 2 * x + 3).terms == {}


def test_value_at_a_point_is_exact():
    x, y = sympy.symbols("x y")
    form = Form.of(x / 3 - 2 * y + sympy.Rational(1, 7))
    assert form.at({x: sympy.Rational(1, 2), y: sympy.Integer(1)}) == Fraction(1, 6) - 2 + Fraction(1, 7)
    assert form.at({x: sympy.sqrt(2), y: sympy.Integer(1)}) is None
