"""Exact numbers: parsing user input into rationals, and deciding signs exactly.

Constants of analysed programs and coordinates of points are exact rationals
(``0.1`` is 1/10, never the nearest double). Values reached through ``exp``/``log``/
``sqrt`` are exact sympy numbers; their sign is decided by :func:`sign`, which never
guesses: it proves zero symbolically or separates from zero with verified precision.

>>> parse_number("0.1")
1/10
>>> parse_number("-3/2")
-3/2
>>> sign(parse_number("1e-30"))
1
>>> import sympy
>>> sign(sympy.exp(1) - sympy.Rational(2718281828, 10**9))
1
>>> sign(sympy.log(sympy.exp(2)) - 2)
0
"""

from __future__ import annotations

from fractions import Fraction

import sympy


class UndecidedSign(ArithmeticError):
    """The sign of a number could not be decided (it is within 10**-900 of zero)."""


def parse_number(text: str) -> sympy.Rational:
    """Read ``'3'``, ``'-0.25'``, ``'1e-3'`` or ``'2/3'`` as an exact rational."""
    text = text.strip().replace("_", "")
    try:
        return sympy.Rational(Fraction(text))
    except (ValueError, ZeroDivisionError):
        pass
    try:
        value = sympy.sympify(text, rational=True)
    except (sympy.SympifyError, SyntaxError, TypeError) as exc:
        raise ValueError(f"not a number: {text!r}") from exc
    if not getattr(value, "is_number", False) or value.has(sympy.zoo, sympy.nan, sympy.oo):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def sign(value) -> int:
    """The exact sign (-1, 0, 1) of a real number given as a sympy expression."""
    value = sympy.sympify(value)
    if isinstance(value, sympy.Rational):
        return (value.p > 0) - (value.p < 0)
    if value.has(sympy.nan, sympy.zoo) or not value.is_number:
        raise UndecidedSign(f"{value} is not a finite real number")
    if value.is_extended_real is False:
        raise UndecidedSign(f"{value} is not real")
    for digits in (30, 120):
        approx = value.evalf(digits)
        if approx.is_Number and abs(approx) > sympy.Float(10) ** (-(digits // 2)):
            return 1 if approx > 0 else -1
    if _is_zero_symbolically(value):
        return 0
    approx = value.evalf(1000)
    if approx.is_Number and abs(approx) > sympy.Float(10) ** -900:
        return 1 if approx > 0 else -1
    raise UndecidedSign(f"cannot decide the sign of {value}")


def tidy(value):
    """A canonical-ish form of an exact number: rationals untouched; otherwise
    hyperbolic and trigonometric parts rewritten through exp, then cancelled."""
    value = sympy.sympify(value)
    if value.is_Rational:
        return value
    return sympy.cancel(sympy.together(value.rewrite(sympy.exp)))


def _is_zero_symbolically(value) -> bool:
    for attempt in (lambda v: v, tidy, sympy.simplify, lambda v: sympy.simplify(tidy(v))):
        try:
            if attempt(value) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError):
            continue
    return bool(value.equals(0))


def format_number(value) -> str:
    """A short exact rendering: integers and fractions as ``3`` and ``-3/2``."""
    value = sympy.sympify(value)
    if isinstance(value, sympy.Rational):
        return str(value)
    return sympy.sstr(value)
