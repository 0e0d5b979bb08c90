"""Affine forms: the formulas of a ReLU network's pieces, in integer arithmetic.

On every piece of a network with constant weights, each node's formula is a sum of
numbers times inputs, and so are the atoms that split the pieces. Sympy would expand,
collect and sort such sums at every substitution; here they are read once into a
:class:`Form` (a coefficient per symbol and a constant, as Fractions), composed by
exact arithmetic, and turned back into the very sympy expression sympy's own
canonicalisation gives (checked in ``tests/test_affine.py``).

>>> import sympy
>>> x, y, a = sympy.symbols("x y a")
>>> form = Form.of(2 * a + 1)
>>> form.substitute({a: Form.of(x - y / 3)}).expr()
2*x - 2*y/3 + 1
>>> Form.of(x * y) is None
True
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Mapping

import sympy
from sympy.core.add import Add, _addsort
from sympy.core.mul import Mul


class Form:
    """``sum(c * s for s, c in terms) + constant``, exact; zero coefficients are absent."""

    __slots__ = ("terms", "constant")

    def __init__(self, terms: dict, constant: int | Fraction):
        self.terms, self.constant = terms, constant

    @staticmethod
    def of(expr) -> "Form | None":
        """The affine form of a sympy expression, or None when it is not a sum of numbers
        and number * symbol terms (a product, a power, a function...)."""
        return _form_of(expr)

    def substitute(self, mapping: Mapping) -> "Form | None":
        """The form with symbols replaced by forms (a missing symbol stays); None when a
        replacement is not affine."""
        terms: dict = {}
        constant = self.constant
        for symbol, c in self.terms.items():
            value = mapping.get(symbol)
            if value is None:
                terms[symbol] = terms.get(symbol, 0) + c
                continue
            if not isinstance(value, Form):
                value = _form_of(value)
                if value is None:
                    return None
            constant += c * value.constant
            for s, d in value.terms.items():
                terms[s] = terms.get(s, 0) + c * d
        return Form({s: c for s, c in terms.items() if c}, constant)

    def at(self, point: Mapping) -> Fraction | None:
        """The exact value at a point of rational sympy numbers (None if one is missing or
        not rational)."""
        total = self.constant
        for symbol, c in self.terms.items():
            v = point.get(symbol)
            if v is None or not v.is_Rational:
                return None
            total += c * _number(v)
        return total

    def primitive(self) -> tuple["Form", int]:
        """``(form / content, sign)``: integer coprime coefficients, the leading term (in
        sympy's order) positive; ``sign`` is -1 when that needed a negation. The form must
        have a term."""
        values = list(self.terms.values()) + ([self.constant] if self.constant else [])
        numerator = functools.reduce(math.gcd, (abs(v.numerator) for v in values))
        denominator = functools.reduce(lambda a, b: a * b // math.gcd(a, b), (v.denominator for v in values))
        sign = -1 if self.terms[leading_symbol(frozenset(self.terms))] < 0 else 1
        if numerator == 1 and denominator == 1:
            if sign > 0:
                return self, 1
            return Form({s: -c for s, c in self.terms.items()}, -self.constant), -1
        scale = Fraction(sign * denominator, numerator)
        terms = {s: _integral(c * scale) for s, c in self.terms.items()}
        return Form(terms, _integral(self.constant * scale)), sign

    def expr(self) -> sympy.Expr:
        """The sympy expression (the same object sympy's canonical sum would be)."""
        return _expr(tuple(self.terms.items()), self.constant)


def _integral(c: Fraction) -> int:
    return c.numerator if c.denominator == 1 else c


def _rational(c: Fraction) -> sympy.Rational:
    return sympy.Integer(c.numerator) if c.denominator == 1 else sympy.Rational(c.numerator, c.denominator)


@functools.lru_cache(maxsize=1 << 16)
def _expr(terms: tuple, constant: int | Fraction) -> sympy.Expr:
    # the arguments in the order sympy's Add and Mul would give them, without their flattening
    parts = [s if c == 1 else Mul._from_args((_rational(c), s)) for s, c in terms]
    _addsort(parts)
    if constant:
        parts.insert(0, _rational(constant))
    if len(parts) > 1:
        return Add._from_args(parts)
    return parts[0] if parts else sympy.Integer(0)


@functools.lru_cache(maxsize=1 << 16)
def _form_of(expr) -> Form | None:
    if not isinstance(expr, sympy.Expr):
        return None
    terms: dict = {}
    constant = 0
    for t in (expr.args if expr.is_Add else (expr,)):
        if t.is_Rational:
            constant += _number(t)
        elif t.is_Symbol:
            terms[t] = terms.get(t, 0) + 1
        elif t.is_Mul and len(t.args) == 2 and t.args[0].is_Rational and t.args[1].is_Symbol:
            terms[t.args[1]] = terms.get(t.args[1], 0) + _number(t.args[0])
        else:
            return None
    return Form({s: c for s, c in terms.items() if c}, constant)


def _number(value: sympy.Rational) -> int | Fraction:
    """A sympy rational as a Python int when it is one (the common case, and much faster
    than Fraction arithmetic), else a Fraction."""
    q = int(value.q)
    return int(value.p) if q == 1 else Fraction(int(value.p), q)


@functools.lru_cache(maxsize=4096)
def leading_symbol(symbols: frozenset) -> sympy.Symbol:
    """The symbol whose term sympy lists first in a sum of these symbols' terms (whatever
    the coefficients: the order is lexicographic in the monomials)."""
    return next(t for t in sympy.Add(*symbols).as_ordered_terms())
