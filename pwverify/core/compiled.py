"""Formulas compiled to Python: evaluate a sympy expression fast, exactly or in float64.

A primitive's branches are sympy formulas over its arguments ``a0, a1, ...``. Engines
evaluate them millions of times, so each formula is turned once into a Python function:

* ``backend="exact"``: over exact numbers (:mod:`pwverify.core.exact`): rationals stay
  ``fmpq``, ``sqrt(2)`` becomes an exact irrational; nothing is rounded;
* ``backend="numpy"``: over float64 arrays, for numeric evaluation.

>>> import sympy
>>> from pwverify.core.exact import exact
>>> a0, a1 = sympy.symbols("a0 a1")
>>> f = compile_formula(a0 / 3 + a1 ** 2, (a0, a1))
>>> f(exact(1), exact(2))
13/3
>>> g = compile_formula(sympy.sqrt(a0) - 1, (a0,))
>>> g(exact("10000001/10000000"))
-1 + sqrt(100000010)/10000
>>> import numpy as np
>>> compile_formula(a0 / 3 + a1 ** 2, (a0, a1), "numpy")(np.array([3.0]), np.array([1.0]))
array([2.])
"""

from __future__ import annotations

import functools
import math
from typing import Callable, Sequence

import sympy
from flint import fmpq

from . import exact as ex


def _exact_namespace() -> dict:
    def fn(name):
        return lambda *xs: ex.apply_function(name, *xs)

    def absolute(x):
        return x if ex.sign(x) >= 0 else -x

    def rpow(x, p, q):
        return ex.exact(sympy.Pow(ex.to_sympy(x), sympy.Rational(p, q)))

    def gpow(x, y):
        return ex.exact(sympy.Pow(ex.to_sympy(x), ex.to_sympy(y)))

    def maximum(*xs):
        best = xs[0]
        for x in xs[1:]:
            if ex.sign(x - best) > 0:
                best = x
        return best

    def minimum(*xs):
        best = xs[0]
        for x in xs[1:]:
            if ex.sign(x - best) < 0:
                best = x
        return best

    ns = {"_sqrt": ex.sqrt, "_abs": absolute, "_rpow": rpow, "_pow": gpow, "_max": maximum, "_min": minimum,
          "_pi": ex.exact(sympy.pi), "_e": ex.exact(sympy.E)}
    for name in _FUNCTIONS:
        ns["_f_" + name] = fn(name)
    return ns


def _numpy_namespace() -> dict:
    import numpy as np
    ns = {"_sqrt": np.sqrt, "_abs": np.abs, "_rpow": lambda x, p, q: np.power(x, p / q),
          "_pow": np.power, "_max": np.maximum, "_min": np.minimum, "_pi": math.pi, "_e": math.e}
    for name in _FUNCTIONS:
        ns["_f_" + name] = getattr(np, _NUMPY_NAMES.get(name, name), None) or np.vectorize(getattr(math, name), otypes=[float])
    return ns


_FUNCTIONS = ("exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "atan", "asin", "acos", "erf")
_NUMPY_NAMES = {"atan": "arctan", "asin": "arcsin", "acos": "arccos"}


class Unsupported(ValueError):
    """The formula uses something with no exact or numeric evaluation here."""


def _code(e: sympy.Expr, names: dict, consts: dict, backend: str) -> str:
    if e in names:
        return names[e]
    if e.is_Rational:
        key = (int(e.p), int(e.q))
        if key not in consts:
            consts[key] = f"_c{len(consts)}"
        return consts[key]
    if e.is_Add:
        return "(" + " + ".join(_code(a, names, consts, backend) for a in e.args) + ")"
    if e.is_Mul:
        return "(" + " * ".join(_code(a, names, consts, backend) for a in e.args) + ")"
    if e.is_Pow:
        base, exponent = e.args
        b = _code(base, names, consts, backend)
        if exponent.is_Integer:
            n = int(exponent)
            return f"({b})**({n})" if backend == "exact" or n >= 0 else f"(1.0/({b})**({-n}))"
        if exponent == sympy.Rational(1, 2):
            return f"_sqrt({b})"
        if exponent == -sympy.Rational(1, 2):
            return f"(1/_sqrt({b}))"
        if exponent.is_Rational:
            return f"_rpow({b}, {int(exponent.p)}, {int(exponent.q)})"
        return f"_pow({b}, {_code(exponent, names, consts, backend)})"
    if e is sympy.pi:
        return "_pi"
    if e is sympy.E:
        return "_e"
    if isinstance(e, sympy.Abs):
        return f"_abs({_code(e.args[0], names, consts, backend)})"
    if isinstance(e, (sympy.Max, sympy.Min)):
        head = "_max" if isinstance(e, sympy.Max) else "_min"
        args = [_code(a, names, consts, backend) for a in e.args]
        if backend == "numpy":  # np.maximum is binary
            out = args[0]
            for a in args[1:]:
                out = f"{head}({out}, {a})"
            return out
        return f"{head}({', '.join(args)})"
    name = type(e).__name__
    if e.is_Function and name in _FUNCTIONS:
        return f"_f_{name}({', '.join(_code(a, names, consts, backend) for a in e.args)})"
    raise Unsupported(f"no {backend} evaluation of {e} ({name})")


@functools.lru_cache(maxsize=None)
def _namespace(backend: str) -> dict:
    return _exact_namespace() if backend == "exact" else _numpy_namespace()


@functools.lru_cache(maxsize=65536)
def compile_formula(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], backend: str = "exact") -> Callable:
    """A Python function of ``symbols`` computing ``expr`` (see the module docstring)."""
    expr = sympy.sympify(expr)
    names = {s: f"x{i}" for i, s in enumerate(symbols)}
    consts: dict = {}
    body = _code(expr, names, consts, backend)
    ns = dict(_namespace(backend))
    for (p, q), name in consts.items():
        ns[name] = fmpq(p, q) if backend == "exact" else p / q
    args = ", ".join(names[s] for s in symbols)
    if backend == "numpy" and not expr.free_symbols & set(symbols):
        # a constant: broadcast to the shape of the first argument
        first = names[symbols[0]] if symbols else None
        code = f"lambda {args}: _full({first}, {body})" if first else f"lambda: {body}"
        import numpy as np
        ns["_full"] = lambda like, v: np.full(np.shape(like), float(v))
        return eval(code, ns)  # noqa: S307 - code generated from a sympy tree above
    return eval(f"lambda {args}: {body}", ns)  # noqa: S307 - code generated from a sympy tree above
