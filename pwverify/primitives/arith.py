"""Field operations and integer powers: smooth, one branch, the same in every framework.

A division carries its domain (denominator nonzero), a negative power likewise.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import sympy

from ..core.exact import exact
from .registry import (ARGS, Branch, ExplicitTable, Local, PieceTable, Primitive, calls, elementwise, eq, ne, register,
                       smooth, table)

_SAME_EVERYWHERE = ("real arithmetic; no tie, no framework difference",)

register(Primitive(
    "add", lambda: smooth(lambda a, b: a + b, 2), "a0 + a1.", arity=2, smooth=True,
    calls=calls({"torch": ["torch.add"], "jax": ["jax.numpy.add"], "tensorflow": ["tensorflow.add", "tensorflow.math.add"],
                 None: ["numpy.add", "operator.add"]},
                "input, other", elementwise("add", "input", "other")),
    measured=_SAME_EVERYWHERE))
register(Primitive(
    "sub", lambda: smooth(lambda a, b: a - b, 2), "a0 - a1.", arity=2, smooth=True,
    calls=calls({"torch": ["torch.sub", "torch.subtract"], "jax": ["jax.numpy.subtract"],
                 "tensorflow": ["tensorflow.subtract", "tensorflow.math.subtract"], None: ["numpy.subtract", "operator.sub"]},
                "input, other", elementwise("sub", "input", "other")),
    measured=_SAME_EVERYWHERE))
register(Primitive(
    "mul", lambda: smooth(lambda a, b: a * b, 2), "a0 * a1.", arity=2, smooth=True,
    calls=calls({"torch": ["torch.mul", "torch.multiply"], "jax": ["jax.numpy.multiply"],
                 "tensorflow": ["tensorflow.multiply", "tensorflow.math.multiply"], None: ["numpy.multiply", "operator.mul"]},
                "input, other", elementwise("mul", "input", "other")),
    measured=_SAME_EVERYWHERE))
register(Primitive(
    "div", lambda: smooth(lambda a, b: a / b, 2, domain=lambda a, b: [ne(b, 0)]),
    "a0 / a1, defined where a1 != 0.", arity=2, smooth=True,
    calls=calls({"torch": ["torch.div", "torch.true_divide"], "jax": ["jax.numpy.divide", "jax.numpy.true_divide"],
                 "tensorflow": ["tensorflow.divide", "tensorflow.math.divide", "tensorflow.truediv"],
                 None: ["numpy.divide", "numpy.true_divide", "operator.truediv"]},
                "input, other", elementwise("div", "input", "other")),
    measured=_SAME_EVERYWHERE))
register(Primitive(
    "neg", lambda: smooth(lambda a: -a), "-a0.", smooth=True,
    calls=calls({"torch": ["torch.neg", "torch.negative"], "jax": ["jax.numpy.negative"],
                 "tensorflow": ["tensorflow.negative", "tensorflow.math.negative"], None: ["numpy.negative", "operator.neg"]},
                "input", elementwise("neg")),
    measured=_SAME_EVERYWHERE))


def _pow_table(n: int, nan_at_zero: bool = False):
    if n == 0 and nan_at_zero:
        # x ** 0. is 1 everywhere, but jax's float power and tensorflow differentiate it as
        # n * x ** (n - 1) = 0 * inf at 0: nan
        return table(1, [([ne(ARGS[0], 0)], 1), ([eq(ARGS[0], 0)], 1, ((sympy.nan,),))])
    return smooth(lambda a: a ** n, 1, domain=lambda a: [ne(a, 0)] if n < 0 else [])


def power_params(n: int, framework: str, integer_exponent: bool) -> tuple:
    """The parameters of ``x ** n`` under a framework: ``x ** 0`` at 0 has derivative 0 in
    torch (special-cased) and for jax's integer exponents (``lax.integer_pow``), but nan
    for jax's float exponents (``x ** 0.``) and in tensorflow (docs/reference/frameworks-measured.md §1,
    §8.8; measured on jax 0.10.2 and tensorflow 2.21.0).

    >>> power_params(0, "torch", False), power_params(0, "jax", True), power_params(0, "jax", False)
    ((0,), (0,), (0, True))
    """
    if n == 0 and (framework == "tensorflow" or framework == "jax" and not integer_exponent):
        return (0, True)
    return (n,)


register(Primitive(
    "pow", _pow_table, "a0 ** n for a fixed integer n (params: n, nan_at_zero); a0 != 0 when "
    "n < 0; x ** 0 has derivative nan at 0 where a framework returns it (see power_params).",
    smooth=True,
    calls=calls({"torch": ["torch.square"], "jax": ["jax.numpy.square"],
                 "tensorflow": ["tensorflow.square", "tensorflow.math.square"], None: ["numpy.square"]},
                "input", elementwise("pow", params=lambda bound: (2,))),
    measured=_SAME_EVERYWHERE))


# Detaching: the value passes through, the derivative is 0. torch's ``.detach()``, and
# what ``.item()``, ``float(t)`` and ``torch.no_grad()`` blocks do to a tensor (the frontend
# applies this primitive there); ``jax.lax.stop_gradient``; ``tf.stop_gradient``.
class _Detached(ExplicitTable):
    """One branch: the value a0, and no autodiff edge to a0."""

    def __init__(self):
        super().__init__(1, [Branch((), (ARGS[0],), "detached", jacobian=((0,),))])

    def detached_args(self, branch):
        return (0,)


register(Primitive(
    "stop_gradient", _Detached,
    "The value a0, with derivative 0: autodiff does not look through it.", smooth=True,
    calls=calls({"torch": ["torch.Tensor.detach", "torch.detach"], "jax": ["jax.lax.stop_gradient"],
                 "tensorflow": ["tensorflow.stop_gradient"]},
                "input", elementwise("stop_gradient")),
    measured=("torch 2.13.0 (detach, item, no_grad), jax 0.10.2 (lax.stop_gradient), "
              "tensorflow 2.21.0 (tf.stop_gradient): the gradient through them is 0",)))


# An affine combination ``c0 + c1 a0 + c2 a1 + ...`` with exact rational coefficients: what a
# matrix product with constant weights, ``F.linear``, a convolution or a sum computes per
# entry. One node instead of a chain of ``mul`` and ``add``, kept canonical (arguments in
# node order, no zero coefficient, see pwverify.engines.linear), so two programs that sum the same
# terms in another order share it.
class AffineTable(PieceTable):
    """The one-branch table of ``constant + sum(coefficients[i] * a_i)``.

    Its formula is built only when a symbolic engine asks for it; the exact, numeric and
    solver engines compute the sum directly (O(arguments), whatever the arity).

    >>> from fractions import Fraction
    >>> t = AffineTable(2, (Fraction(2), Fraction(-1, 2)), Fraction(3))
    >>> t.branches()[0]
    Branch(where=(), value=(2*a0 - a1/2 + 3,), label='smooth', order=(0,), jacobian=None)
    >>> [str(v) for v in t.at([exact(1), exact(4)]).values]
    ['3']
    """

    linear = True

    def __init__(self, n_args: int, coefficients: tuple, constant=0):
        if len(coefficients) != n_args:
            raise ValueError(f"affine over {n_args} arguments has {len(coefficients)} coefficients")
        self.n_args = n_args
        self.coefficients = tuple(coefficients)
        self.constant = constant

    @functools.cached_property
    def _exact(self) -> tuple:
        return tuple(exact(c) for c in self.coefficients)

    def branches(self) -> tuple[Branch, ...]:
        hit = self.__dict__.get("_branches")
        if hit is None:
            coefficients = [sympy.Rational(c.numerator, c.denominator) for c in self.coefficients]
            value = sympy.Add(sympy.Rational(self.constant.numerator, self.constant.denominator),
                              *[c * a for c, a in zip(coefficients, ARGS[:self.n_args])])
            branch = Branch((), (value,), "smooth", (0,))
            branch._compiled[("jacobian", self.n_args)] = (tuple(coefficients),)  # d/da_i is c_i: no diff
            hit = self.__dict__["_branches"] = (branch,)
        return hit

    def count(self) -> int:
        return 1

    def branch_at(self, values):
        return self.branches()[0]

    def at(self, values) -> Local:
        total = exact(self.constant)
        for c, v in zip(self._exact, values):
            total = total + c * v
        return Local("smooth", (total,), (self._exact,), ((False,) * self.n_args,), (), None)

    def numeric(self, args):
        from ..core.vectorised import NumericLocal
        total = float(self.constant)
        for c, a in zip(self.coefficients, args):
            total = total + float(c) * a
        return NumericLocal((total,), (tuple(float(c) for c in self.coefficients),))

    def encode_fast(self, Z, args, tangents):
        """The sum itself, and per channel the same combination of the tangents."""
        scaled = self._z3_scalers(Z)
        constant = [Z.RealVal(f"{self.constant.numerator}/{self.constant.denominator}")] if self.constant else []
        value = Z.Sum(constant + [f(a) for f, a in zip(scaled, args)])
        channels = len(tangents[0]) if tangents else 0
        rows = []
        for j in range(channels):
            terms = [f(t[j]) for f, t in zip(scaled, tangents) if not (isinstance(t[j], int) and t[j] == 0)]
            rows.append(0 if not terms else terms[0] if len(terms) == 1 else Z.Sum(terms))
        return [value], [rows]

    def _z3_scalers(self, Z) -> list:
        """Per coefficient, a function ``term -> c * term`` (1 and -1 without a product)."""
        hit = self.__dict__.get("_scalers")
        if hit is None:
            hit = []
            for c in self.coefficients:
                if c == 1:
                    hit.append(lambda t: t)
                elif c == -1:
                    hit.append(lambda t: -t)
                else:
                    value = Z.RealVal(f"{c.numerator}/{c.denominator}")
                    hit.append(lambda t, value=value: value * t)
            self.__dict__["_scalers"] = hit
        return hit


class Coefficients(tuple):
    """The coefficients of an ``affine`` node: a tuple that hashes once (a node over 784
    arguments is looked up many times)."""

    def __hash__(self):
        h = self.__dict__.get("_hash")
        if h is None:
            h = self.__dict__["_hash"] = tuple.__hash__(self)
        return h


def affine_params(coefficients, constant) -> tuple:
    """The parameters of an ``affine`` node: hashable, exact (integral values as ints).

    >>> affine_params([Fraction(2), Fraction(1, 2)], 0)
    ((2, Fraction(1, 2)), 0)
    """
    return (Coefficients(_compact(c) for c in coefficients), _compact(constant))


def _compact(c):
    if type(c) is int:
        return c
    c = Fraction(c)
    return c.numerator if c.denominator == 1 else c


register(Primitive(
    "affine", lambda n, coefficients, constant: AffineTable(n, coefficients, constant),
    "c0 + c1 a0 + c2 a1 + ... (params: the coefficients, the constant): a matrix product with "
    "constant weights, a linear layer, a convolution, a sum.", arity=None, smooth=True,
    measured=_SAME_EVERYWHERE))
