"""Formulas compiled to z3 terms: each primitive formula is turned into Python once.

The direct encoding applies a primitive's formulas to the z3 terms of its arguments at
every node of a program; walking the sympy tree each time would dominate the cost on a
network with 10^5 nodes. :func:`z3_formula` generates, once per formula, a function
``f(ctx, *argument_terms)`` that builds the term with z3's operators. Square roots and
functions z3 has no theory for go through ``ctx`` (a :class:`TermContext`), which names
a fresh real for each application and records the facts that hold of it (``s >= 0``,
``s * s == u``; ``exp(u) > 0``, ``exp(u) >= 1 + u``, ...): an over-approximation, so an
``unsat`` answer is a proof and a ``sat`` answer a candidate to re-check exactly.

>>> import sympy, z3
>>> a0, a1 = sympy.symbols("a0 a1")
>>> ctx = TermContext()
>>> f = z3_formula(a0 / 2 + a1 ** 2, (a0, a1))
>>> x, y = z3.Reals("x y")
>>> z3.simplify(f(ctx, x, y) - (x / 2 + y * y))
0
"""

from __future__ import annotations

import functools
import itertools
from typing import Callable, Sequence

import sympy
import z3

from ..core.errors import PwverifyError

# Facts about y = f(u) for functions z3 has no theory for (true for every real u in the
# function's domain, so adding them removes no real model).
UF_FACTS = {
    "exp": lambda u, y: [y > 0, y >= 1 + u],
    "log": lambda u, y: [y <= u - 1],
    "sin": lambda u, y: [y >= -1, y <= 1],
    "cos": lambda u, y: [y >= -1, y <= 1],
    "tanh": lambda u, y: [y > -1, y < 1],
    "atan": lambda u, y: [y > -2, y < 2],
    "erf": lambda u, y: [y > -1, y < 1],
}
#: Functions that are strictly increasing (u < v implies f(u) < f(v)).
INCREASING = {"exp", "log", "tanh", "atan", "erf"}


class TermContext:
    """Fresh names and side facts for the terms one encoding builds."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.side: list[z3.BoolRef] = []
        self.exact = True                          # False once an uninterpreted function is used
        self._fresh = itertools.count()
        self._funcs: dict = {}
        self._apps: dict = {}                      # (name, arg term id) -> application
        self._sqrt: dict = {}
        self._bounded: dict = {}

    def fresh(self, stem: str) -> z3.ArithRef:
        return z3.Real(f"{self.prefix}{stem}!{next(self._fresh)}")

    def const(self, p: int, q: int) -> z3.ArithRef:
        return z3.RealVal(f"{p}/{q}") if q != 1 else z3.RealVal(p)

    def sqrt(self, u: z3.ArithRef) -> z3.ArithRef:
        key = u.get_id()
        hit = self._sqrt.get(key)
        if hit is None:
            hit = self.fresh("sqrt")
            self.side += [hit >= 0, z3.Implies(u >= 0, hit * hit == u)]
            self._sqrt[key] = hit
        return hit

    def function(self, name: str, u: z3.ArithRef) -> z3.ArithRef:
        key = (name, u.get_id())
        hit = self._apps.get(key)
        if hit is not None:
            return hit
        self.exact = False
        f = self._funcs.get(name)
        if f is None:
            f = z3.Function(f"{self.prefix}{name}", z3.RealSort(), z3.RealSort())
            self._funcs[name] = f
        app = f(u)
        facts = UF_FACTS.get(name)
        if facts is not None:
            self.side += facts(u, app)
        if name in INCREASING:
            for (other, _), prev in list(self._apps.items()):
                if other == name:
                    v = prev.arg(0)
                    self.side += [z3.Implies(u < v, app < prev), z3.Implies(v < u, prev < app)]
        self._apps[key] = app
        return app

    def bounded(self, bounds: tuple) -> z3.ArithRef:
        """A fresh real between rational ``bounds`` (an irrational constant): sound for
        every query, and not exact."""
        key = (bounds[0].as_string(), bounds[1].as_string())
        hit = self._bounded.get(key)
        if hit is None:
            self.exact = False
            hit = self._bounded[key] = self.fresh("c")
            self.side += [hit >= bounds[0], hit <= bounds[1]]
        return hit

    def abs(self, u):
        return z3.If(u >= 0, u, -u)

    def maximum(self, *us):
        out = us[0]
        for u in us[1:]:
            out = z3.If(u > out, u, out)
        return out

    def minimum(self, *us):
        out = us[0]
        for u in us[1:]:
            out = z3.If(u < out, u, out)
        return out

    def rpow(self, u, p: int, q: int):
        if q == 2:
            root = self.sqrt(u)
            out = root
            for _ in range(abs(p) - 1):
                out = out * root
            return out if p > 0 else 1 / out
        self.exact = False
        return self.function(f"pow{p}_{q}", u)


class Unencodable(PwverifyError, ValueError):
    """A formula or a table with no z3 encoding: no verdict can be had from the solver
    (exit code 3, with the reason)."""

    exit_code = 3


def _code(e: sympy.Expr, names: dict, consts: dict) -> str:
    if e in names:
        return names[e]
    if e.is_Rational:
        key = (int(e.p), int(e.q))
        if key not in consts:
            consts[key] = f"_c{len(consts)}"
        return consts[key]
    if e.is_Add:
        return "(" + " + ".join(_code(a, names, consts) for a in e.args) + ")"
    if e.is_Mul:
        return "(" + " * ".join(_code(a, names, consts) for a in e.args) + ")"
    if e.is_Pow:
        base, exponent = e.args
        b = _code(base, names, consts)
        if exponent.is_Integer:
            n = int(exponent)
            if n == 0:
                return "_one"
            body = " * ".join([f"({b})"] * abs(n))
            return f"({body})" if n > 0 else f"(1 / ({body}))"
        if exponent.is_Rational:
            return f"ctx.rpow({b}, {int(exponent.p)}, {int(exponent.q)})"
        raise Unencodable(f"no z3 encoding of {e}")
    if isinstance(e, sympy.Abs):
        return f"ctx.abs({_code(e.args[0], names, consts)})"
    if isinstance(e, (sympy.Max, sympy.Min)):
        head = "ctx.maximum" if isinstance(e, sympy.Max) else "ctx.minimum"
        return f"{head}({', '.join(_code(a, names, consts) for a in e.args)})"
    if e is sympy.E:
        return "ctx.function('exp', _one)"
    if e.is_Function and len(e.args) == 1:
        return f"ctx.function({type(e).__name__!r}, {_code(e.args[0], names, consts)})"
    if e.is_number:         # an irrational constant (pi, sqrt(2) * exp(3), ...)
        key = ("bounded", e)
        if key not in consts:
            consts[key] = f"_k{len(consts)}"
        return f"ctx.bounded({consts[key]})"
    raise Unencodable(f"no z3 encoding of {e} ({type(e).__name__})")


@functools.lru_cache(maxsize=65536)
def z3_formula(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> Callable:
    """A function ``(ctx, *terms) -> z3 term`` computing ``expr`` of ``symbols``."""
    names = {s: f"x{i}" for i, s in enumerate(symbols)}
    consts: dict = {}
    body = _code(sympy.sympify(expr), names, consts)
    ns = {"_one": z3.RealVal(1)}
    for key, name in consts.items():
        if key[0] == "bounded":
            ns[name] = rational_bounds(key[1])
        else:
            p, q = key
            ns[name] = z3.RealVal(f"{p}/{q}") if q != 1 else z3.RealVal(p)
    args = ", ".join(["ctx"] + [names[s] for s in symbols])
    return eval(f"lambda {args}: {body}", ns)  # noqa: S307 - generated from a sympy tree above


def rational_bounds(e: sympy.Expr) -> tuple[z3.ArithRef, z3.ArithRef]:
    """Rational bounds that provably enclose the irrational constant ``e`` (ball
    arithmetic at 200 bits).

    >>> lo, hi = rational_bounds(sympy.pi)
    >>> z3.simplify(lo < 3.1416), z3.simplify(hi > 3.1415)
    (True, True)
    """
    from flint import ctx
    from ..core.exact import _arb
    ball = _arb(e, 200)
    old = ctx.prec
    ctx.prec = 200
    try:
        lo, hi = ball.lower().man_exp(), ball.upper().man_exp()
    finally:
        ctx.prec = old

    def value(man_exp):
        man, exp = int(man_exp[0]), int(man_exp[1])
        return z3.RealVal(f"{man * 2 ** exp}") if exp >= 0 else z3.RealVal(f"{man}/{2 ** -exp}")
    return value(lo), value(hi)


_RELATION = {">": lambda t: t > 0, ">=": lambda t: t >= 0, "<": lambda t: t < 0,
             "<=": lambda t: t <= 0, "==": lambda t: t == 0, "!=": lambda t: t != 0}


@functools.lru_cache(maxsize=65536)
def z3_atom(atom, symbols: Sequence[sympy.Symbol]) -> Callable:
    """A function ``(ctx, *terms) -> z3 Bool`` for an atom ``expr rel 0``."""
    f = z3_formula(atom.expr, symbols)
    rel = _RELATION[atom.rel]
    return lambda ctx, *terms: rel(f(ctx, *terms))
