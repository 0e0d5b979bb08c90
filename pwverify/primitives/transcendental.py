"""Smooth elementary functions: exp, log, sqrt and friends, with their domains.

``log`` is defined for a0 > 0. ``sqrt`` is defined for a0 >= 0; at 0 its value is 0 and
every framework returns an infinite derivative (torch, jax and tensorflow measured:
``sqrt`` at 0 gives inf, docs/reference/frameworks-measured.md §1), which the tables
carry as the derivative of the branch ``a0 == 0``: what follows it in a chain is what
IEEE arithmetic makes of it (``inf * 0`` is nan: ``sqrt(x**2)`` at 0).
"""

from __future__ import annotations

import sympy

from .registry import ARGS, Branch, ExplicitTable, Primitive, calls, elementwise, eq, ge, gt, register, smooth


def _names(*stems: str, torch=True, jax=True, tf=True, math=True, numpy=True,
           jax_ns="jax.numpy", tf_ns=("tensorflow", "tensorflow.math")) -> dict:
    spec: dict = {}
    for stem in stems:
        if torch:
            spec.setdefault("torch", []).extend([f"torch.{stem}", f"torch.Tensor.{stem}"])
        if jax:
            spec.setdefault("jax", []).append(f"{jax_ns}.{stem}")
        if tf:
            spec.setdefault("tensorflow", []).extend(f"{ns}.{stem}" for ns in tf_ns)
        if math:
            spec.setdefault(None, []).append(f"math.{stem}")
        if numpy:
            spec.setdefault(None, []).append(f"numpy.{stem}")
    return spec


def _smooth_unary(name: str, formula, doc: str, spec: dict, domain=lambda a: ()) -> None:
    register(Primitive(name, lambda: smooth(formula, 1, domain), doc, smooth=True,
                       calls=calls(spec, "input", elementwise(name)),
                       measured=("smooth on its domain; no tie",)))


_smooth_unary("exp", sympy.exp, "exp(a0).", _names("exp"))
# tensorflow 2.21 has log, log1p and expm1 in tf.math only
_smooth_unary("log", sympy.log, "log(a0), defined for a0 > 0.", _names("log", tf_ns=("tensorflow.math",)),
              lambda a: [gt(a, 0)])
def _sqrt_table(absorbs: bool = False) -> ExplicitTable:
    t = ExplicitTable(1, [Branch((gt(ARGS[0], 0),), (sympy.sqrt(ARGS[0]),)),
                          Branch((eq(ARGS[0], 0),), (sympy.Integer(0),), jacobian=((sympy.oo,),))],
                      domain=[ge(ARGS[0], 0)])
    t.zero_cotangent_absorbs = absorbs
    return t


register(Primitive(
    "sqrt", _sqrt_table,
    "sqrt(a0), defined for a0 >= 0; its derivative at 0 is inf in every framework.",
    calls=calls(_names("sqrt"), "input", elementwise("sqrt")),
    measured=("torch 2.13.0, jax 0.10.2, tensorflow 2.21.0: sqrt'(0) = inf "
              "(docs/reference/frameworks-measured.md §1)",)))
register(Primitive(
    "sqrt_tf", lambda: _sqrt_table(absorbs=True),
    "tensorflow's sqrt: as sqrt, but its gradient (SqrtGrad) is 0 for a zero cotangent, even at "
    "0 (tf.maximum(a, tf.sqrt(x)) at a = 1, x = 0: [1, 0], measured on tensorflow 2.21); forward "
    "mode multiplies (0 * inf = nan). Every sqrt of a tensorflow program is this one.",
    measured=("tensorflow 2.21.0",)))
_smooth_unary("sin", sympy.sin, "sin(a0).", _names("sin"))
_smooth_unary("cos", sympy.cos, "cos(a0).", _names("cos"))
_smooth_unary("tanh", sympy.tanh, "tanh(a0).",
              {**_names("tanh"), "jax": ["jax.numpy.tanh", "jax.nn.tanh"],
               "tensorflow": ["tensorflow.tanh", "tensorflow.math.tanh", "tensorflow.nn.tanh"]})
_smooth_unary("log1p", lambda a: sympy.log(1 + a), "log(1 + a0), defined for a0 > -1.",
              _names("log1p", tf_ns=("tensorflow.math",)), lambda a: [gt(a, -1)])
_smooth_unary("expm1", lambda a: sympy.exp(a) - 1, "exp(a0) - 1.", _names("expm1", tf_ns=("tensorflow.math",)))
_smooth_unary("sigmoid", lambda a: 1 / (1 + sympy.exp(-a)), "1 / (1 + exp(-a0)).",
              {"torch": ["torch.sigmoid", "torch.Tensor.sigmoid", "torch.nn.functional.sigmoid"],
               "jax": ["jax.nn.sigmoid"], "tensorflow": ["tensorflow.sigmoid", "tensorflow.math.sigmoid",
                                                          "tensorflow.nn.sigmoid"]})
_smooth_unary("erf", sympy.erf, "erf(a0) = 2/sqrt(pi) times the integral of exp(-t**2) from 0 to a0.",
              {"torch": ["torch.erf", "torch.Tensor.erf", "torch.special.erf"],
               "jax": ["jax.scipy.special.erf", "jax.lax.erf"],
               "tensorflow": ["tensorflow.math.erf"], None: ["math.erf", "scipy.special.erf"]})
_smooth_unary("erfc", lambda a: 1 - sympy.erf(a), "1 - erf(a0).",
              {"torch": ["torch.erfc", "torch.Tensor.erfc", "torch.special.erfc"],
               "jax": ["jax.scipy.special.erfc", "jax.lax.erfc"],
               "tensorflow": ["tensorflow.math.erfc"], None: ["math.erfc", "scipy.special.erfc"]})
register(Primitive(
    "xlogy", lambda: smooth(lambda a, b: a * sympy.log(b), 2, lambda a, b: [gt(b, 0)]),
    "a0 * log(a1), defined for a1 > 0 (there torch's and jax's rules are its derivative, at a0 = 0 too: "
    "d/da0 = log(a1)). The frameworks return 0 at a0 = 0, a1 <= 0 with differing derivatives "
    "(torch xlogy(0, 0): gradient (0, nan)); pwverify reads those points as outside the domain.",
    arity=2, smooth=True,
    calls=calls({"torch": ["torch.xlogy", "torch.special.xlogy", "torch.Tensor.xlogy"],
                 "jax": ["jax.scipy.special.xlogy"], None: ["scipy.special.xlogy"]},
                "input, other", elementwise("xlogy", "input", "other")),
    measured=("smooth on its domain a1 > 0; no tie",)))
register(Primitive(
    "times_pi", lambda: smooth(lambda a: sympy.pi * a, 1), "pi * a0: how the constants math.pi, numpy.pi, "
    "torch.pi and math.tau enter a program (pi is irrational: no rational constant node holds it).",
    smooth=True, measured=("smooth; no tie",)))
