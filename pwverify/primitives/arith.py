"""Field operations and integer powers: smooth, one branch, the same in every framework.

A division carries its domain (denominator nonzero), a negative power likewise.
"""

from __future__ import annotations

import sympy

from .registry import ARGS, Branch, ExplicitTable, Primitive, calls, elementwise, eq, ne, register, smooth, table

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
