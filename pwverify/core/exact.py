"""Exact numbers: rationals, exact irrationals, and the signs of both, decided rigorously.

Constants of analysed programs and coordinates of points are exact rationals (``0.1``
is 1/10, never the nearest double). Values reached through ``sqrt``, ``exp``, ``log``
... are exact symbolic numbers (sympy expressions). Arithmetic never rounds:

* rationals are ``flint.fmpq`` (python-flint: exact, about seven times faster than
  sympy's rationals, which matters when a network with 10^5 nodes is evaluated at a
  witness point);
* irrationals are :class:`Irrational`, a sympy expression that combines with rationals;
* derivatives may also be non-finite (:data:`POS_INF`, :data:`NEG_INF`, :data:`NAN`),
  with IEEE's rules (``inf * 0`` is ``nan``): the derivative of ``sqrt`` at 0 is infinite
  in every framework, and what follows it in a chain is what autodiff computes.

The sign of an irrational is decided with ball arithmetic (``flint.arb``: every result
is an interval guaranteed to contain the true value) at increasing precision; a ball
that keeps containing 0 is settled by an exact zero test: the minimal polynomial for
algebraic numbers, symbolic simplification otherwise. When neither decides,
:class:`UndecidedSign` is raised: pwverify never guesses a comparison.

>>> parse_number("0.1")
1/10
>>> sign(sqrt(exact("10000001/10000000")) - 1)
1
>>> sign(sqrt(exact(2)) * sqrt(exact(2)) - 2)
0
>>> import sympy
>>> sign(exact(sympy.exp(1)) - exact("2718281828/1000000000"))
1
>>> sign(exact(sympy.log(sympy.exp(2))) - 2)
0
>>> POS_INF * 0, POS_INF + NEG_INF, POS_INF * exact(-2)
(nan, nan, -inf)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy
from flint import arb, ctx, fmpq, fmpz

#: Bits of precision tried, in order, before an exact zero test.
_PRECISIONS = (64, 256, 1024, 4096)


class UndecidedSign(ArithmeticError):
    """The sign of a number could not be decided exactly."""


# -- non-finite derivative values --------------------------------------------------------------
class NonFinite:
    """+inf, -inf or nan, with IEEE arithmetic against exact numbers."""

    __slots__ = ("kind",)

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self) -> str:
        return self.kind

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        # nan equals nan here: two programs that both return nan agree
        return isinstance(other, NonFinite) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(self.kind)

    def _sign(self) -> int:
        return {"inf": 1, "-inf": -1}.get(self.kind, 0)

    def __neg__(self):
        return {"inf": NEG_INF, "-inf": POS_INF}.get(self.kind, NAN)

    def __add__(self, other):
        if isinstance(other, NonFinite):
            if self is NAN or other is NAN or self.kind != other.kind:
                return NAN
            return self
        return self

    __radd__ = __add__

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if self is NAN:
            return NAN
        s = other._sign() if isinstance(other, NonFinite) else sign(other)
        if s == 0:
            return NAN
        return POS_INF if s * self._sign() > 0 else NEG_INF

    __rmul__ = __mul__

    def to_sympy(self):
        return {"inf": sympy.oo, "-inf": -sympy.oo}.get(self.kind, sympy.nan)


POS_INF, NEG_INF, NAN = NonFinite("inf"), NonFinite("-inf"), NonFinite("nan")


def is_finite(value) -> bool:
    return not isinstance(value, NonFinite)


# -- irrationals ---------------------------------------------------------------------------------
class Irrational:
    """An exact real number that may not be rational: a sympy expression.

    Arithmetic with rationals and other irrationals is exact; a result that sympy
    evaluates to a rational comes back as a rational.
    """

    __slots__ = ("expr", "_ball")

    def __init__(self, expr: sympy.Expr):
        self.expr = expr
        self._ball = None

    def __repr__(self) -> str:
        return sympy.sstr(self.expr)

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        if isinstance(other, NonFinite):
            return False
        try:
            return sign(self - other) == 0
        except UndecidedSign:
            return False

    def __hash__(self) -> int:
        return hash(self.expr)

    def _op(self, other, fn):
        if isinstance(other, NonFinite):
            return NotImplemented
        return exact(fn(self.expr, to_sympy(other)))

    def __add__(self, other):
        return self._op(other, lambda a, b: a + b)

    def __radd__(self, other):
        return self._op(other, lambda a, b: b + a)

    def __sub__(self, other):
        return self._op(other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._op(other, lambda a, b: b - a)

    def __mul__(self, other):
        return self._op(other, lambda a, b: a * b)

    def __rmul__(self, other):
        return self._op(other, lambda a, b: b * a)

    def __truediv__(self, other):
        return self._op(other, lambda a, b: a / b)

    def __rtruediv__(self, other):
        return self._op(other, lambda a, b: b / a)

    def __pow__(self, n: int):
        return exact(self.expr ** n)

    def __neg__(self):
        return Irrational(-self.expr)

    def ball(self, prec: int) -> arb:
        return _arb(self.expr, prec)


# -- conversions ---------------------------------------------------------------------------------
def exact(value: Any):
    """An exact number (``fmpq`` or :class:`Irrational`) from an int, Fraction, string,
    fmpq or sympy number. Floats are refused: they are not exact inputs."""
    if isinstance(value, (fmpq, Irrational, NonFinite)):
        return value
    if isinstance(value, bool):
        return fmpq(int(value))
    if isinstance(value, (int, fmpz)):
        return fmpq(value)
    if isinstance(value, Fraction):
        return fmpq(value.numerator, value.denominator)
    if isinstance(value, str):
        return exact(parse_number(value))
    if isinstance(value, float):
        raise TypeError("floats are not exact: give 0.1 as '0.1' or Fraction(1, 10)")
    value = sympy.sympify(value)
    if value.is_Rational:
        return fmpq(int(value.p), int(value.q))
    if value in (sympy.oo, -sympy.oo, sympy.nan, sympy.zoo):
        return {sympy.oo: POS_INF, -sympy.oo: NEG_INF}.get(value, NAN)
    if not value.is_number:
        raise TypeError(f"not a number: {value}")
    return Irrational(value)


def to_sympy(value) -> sympy.Expr:
    """The sympy number of an exact number (``oo``/``-oo``/``nan`` for non-finite ones)."""
    if isinstance(value, fmpq):
        return sympy.Rational(int(value.p), int(value.q))
    if isinstance(value, Irrational):
        return value.expr
    if isinstance(value, NonFinite):
        return value.to_sympy()
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    return sympy.sympify(value)


def to_fraction(value) -> Fraction | None:
    """A rational as a ``Fraction`` (None for irrationals)."""
    value = exact(value)
    if isinstance(value, fmpq):
        return Fraction(int(value.p), int(value.q))
    return None


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


# -- signs ---------------------------------------------------------------------------------------
def sign(value) -> int:
    """The exact sign (-1, 0, 1) of a real number (``fmpq``, int, Fraction, sympy, Irrational)."""
    if isinstance(value, fmpq):
        return (value > 0) - (value < 0)
    if isinstance(value, (int, Fraction)):
        return (value > 0) - (value < 0)
    if isinstance(value, NonFinite):
        if value is NAN:
            raise UndecidedSign("nan has no sign")
        return value._sign()
    if isinstance(value, Irrational):
        return _sign_of(value.expr, value)
    value = sympy.sympify(value)
    if isinstance(value, sympy.Rational):
        return (value.p > 0) - (value.p < 0)
    return _sign_of(value, None)


def _sign_of(expr: sympy.Expr, cache) -> int:
    if expr.has(sympy.nan, sympy.zoo, sympy.oo) or not expr.is_number:
        raise UndecidedSign(f"{expr} is not a finite real number")
    for prec in _PRECISIONS:
        try:
            ball = _arb(expr, prec)
        except _NotReal as exc:
            raise UndecidedSign(str(exc)) from None
        if ball > 0:
            return 1
        if ball < 0:
            return -1
    if is_zero(expr):
        return 0
    raise UndecidedSign(f"cannot decide the sign of {expr}: it is within 2^-{_PRECISIONS[-1] // 2} of 0 "
                        "and not provably 0")


def is_zero(expr: sympy.Expr) -> bool:
    """Is the number provably 0? Exact for algebraic numbers (minimal polynomial);
    for transcendental ones, True only when simplification proves it."""
    if _is_algebraic(expr):
        x = sympy.Dummy("x")
        try:
            return sympy.minimal_polynomial(expr, x) == x
        except (NotImplementedError, ValueError):
            pass
    attempts = (lambda v: v, _tidy, sympy.simplify, lambda v: sympy.simplify(_tidy(v)))
    for attempt in attempts if simplifiable(expr) else attempts[:1]:
        try:
            if attempt(expr) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError):
            continue
    return False


def _is_algebraic(expr: sympy.Expr) -> bool:
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow):
            if not node.exp.is_Rational:
                return False
        elif isinstance(node, (sympy.Add, sympy.Mul, sympy.Rational, sympy.CRootOf)):
            continue
        elif node.is_Atom:
            if node.is_number and not node.is_Rational:
                return False
        elif isinstance(node, sympy.Abs):
            continue
        else:
            return False
    return True


#: The largest expression (sympy operations) and the largest rational (digits of numerator
#: or denominator) handed to ``sympy.simplify``. simplify turns ``exp(p/q)`` into a power
#: of ``exp(1/q)``: with a float constant's q = 2**53 that is a dense polynomial of degree
#: p, which ran for minutes and out of memory on gelu's derivative at a point.
SIMPLIFY_OPS, SIMPLIFY_DIGITS = 300, 9


def simplifiable(expr: sympy.Expr) -> bool:
    """Is ``expr`` small enough for ``sympy.simplify`` to finish in reasonable time and memory?

    >>> x = sympy.Symbol("x")
    >>> simplifiable(sympy.exp(x / 3) ** 3), simplifiable(sympy.exp(x * sympy.Rational(6369051672525773, 2 ** 53)))
    (True, False)
    """
    limit = 10 ** SIMPLIFY_DIGITS
    for r in expr.atoms(sympy.Rational):
        if abs(r.p) > limit or r.q > limit:
            return False
    return sympy.count_ops(expr) <= SIMPLIFY_OPS


def simplified(expr: sympy.Expr) -> sympy.Expr:
    """``sympy.simplify(expr)`` where :func:`simplifiable`, else ``expr`` unchanged (the same
    number or function, in a longer form).

    >>> simplified(sympy.sqrt(8) / 2)
    sqrt(2)
    """
    expr = sympy.sympify(expr)
    if expr.is_Rational or not simplifiable(expr):
        return expr
    return sympy.simplify(expr)


def _tidy(value):
    return sympy.cancel(sympy.together(value.rewrite(sympy.exp)))


class _NotReal(ValueError):
    pass


def _arb(expr: sympy.Expr, prec: int) -> arb:
    """A ball guaranteed to contain the value of ``expr``, at ``prec`` bits."""
    old = ctx.prec
    ctx.prec = prec
    try:
        return _ball(expr, prec)
    finally:
        ctx.prec = old


def _ball(e: sympy.Expr, prec: int) -> arb:
    if e.is_Rational:
        return arb(fmpq(int(e.p), int(e.q)))
    if e.is_Add:
        out = arb(0)
        for a in e.args:
            out += _ball(a, prec)
        return out
    if e.is_Mul:
        out = arb(1)
        for a in e.args:
            out *= _ball(a, prec)
        return out
    if e.is_Pow:
        base, exponent = e.args
        b = _ball(base, prec)
        if exponent.is_Integer:
            n = int(exponent)
            if n < 0 and b.contains(0):
                raise _NotReal(f"division by a number that may be 0 in {e}")
            return b ** n
        if exponent.is_Rational:
            if b < 0:
                raise _NotReal(f"{e} is not real")
            p, q = int(exponent.p), int(exponent.q)
            if q == 2:
                root = b.sqrt()
            else:
                root = b.root(q)
            return root ** p if p > 0 else 1 / (root ** (-p))
        if b > 0:
            return (_ball(exponent, prec) * b.log()).exp()
        raise _NotReal(f"{e}: a real power of a number that may be negative")
    if e is sympy.pi:
        return arb.pi()
    if e is sympy.E:
        return arb(1).exp()
    if isinstance(e, sympy.CRootOf):
        approx = e.eval_rational(dx=sympy.Rational(1, 2 ** (prec + 8)), n=prec // 3 + 10)
        mid = arb(fmpq(int(approx.p), int(approx.q)))
        return mid + arb(0, fmpq(1, 2 ** (prec + 8)))
    if isinstance(e, sympy.Abs):
        return abs(_ball(e.args[0], prec))
    fn = _FUNCTIONS.get(type(e).__name__)
    if fn is not None:
        return fn(*[_ball(a, prec) for a in e.args])
    raise _NotReal(f"no exact evaluation of {e} ({type(e).__name__})")


def _log(b: arb) -> arb:
    if not b > 0:
        raise _NotReal("log of a number that may not be positive")
    return b.log()


_FUNCTIONS = {
    "exp": lambda b: b.exp(), "log": _log, "sin": lambda b: b.sin(), "cos": lambda b: b.cos(),
    "tan": lambda b: b.tan(), "tanh": lambda b: b.tanh(), "sinh": lambda b: b.sinh(),
    "cosh": lambda b: b.cosh(), "atan": lambda b: b.atan(), "erf": lambda b: b.erf(),
    "asin": lambda b: b.asin(), "acos": lambda b: b.acos(),
}


# -- exact functions of exact numbers ------------------------------------------------------------
def sqrt(value):
    """The exact square root of a nonnegative number (rational when it is a square)."""
    value = exact(value)
    if isinstance(value, fmpq):
        if value < 0:
            raise ValueError("sqrt of a negative number")
        try:
            return value.sqrt()
        except Exception:  # not a square: an irrational
            return Irrational(sympy.sqrt(to_sympy(value)))
    return exact(sympy.sqrt(to_sympy(value)))


def apply_function(name: str, *values):
    """``exp``, ``log``, ... of exact numbers, exactly (a rational when sympy finds one)."""
    fn = getattr(sympy, name)
    return exact(fn(*[to_sympy(v) for v in values]))


def format_number(value) -> str:
    """A short exact rendering: integers and fractions as ``3`` and ``-3/2``."""
    if isinstance(value, (fmpq, Irrational, NonFinite)):
        return str(value)
    value = sympy.sympify(value)
    if isinstance(value, sympy.Rational):
        return str(value)
    return sympy.sstr(value)


def tidy(value):
    """A canonical-ish sympy form of an exact number (rationals untouched)."""
    value = to_sympy(value)
    if value.is_Rational:
        return value
    return _tidy(value)
