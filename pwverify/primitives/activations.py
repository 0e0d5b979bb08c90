"""Elementwise kinks: relu, abs, clamp and their relatives, with each framework's rule.

Which side owns the kink is the whole story here (frameworks-measured.md §1, measured
on torch 2.13.0, jax 0.10.2, tensorflow 2.21.0):

* ``relu``: mask ``x > 0`` everywhere (torch, jax, tensorflow): relu'(0) = 0.
* ``abs_sign0``: torch and tensorflow, ``sign(0) = 0``: abs'(0) = 0.
* ``abs_nonneg``: jax, ``select(x >= 0, g, -g)``: abs'(0) = 1.
* ``clamp_inclusive`` / ``clamp_min`` / ``clamp_max``: torch ``clamp``/``clip`` and
  tensorflow ``clip_by_value`` give the gradient to x on the bounds (mask
  ``lo <= x <= hi``); with tensor bounds, torch's reverse mode gives it to ``a``.
* ``clamp_strict``: torch ``hardtanh``/``relu6``, ``lax.clamp``, jax/tf ``relu6``: the
  bounds own the kinks (mask ``lo < x < hi``).
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from .registry import (ARGS, Call, Primitive, Signature, calls, elementwise, eq, ge, gt,
                       le, lt, register, table)

_M = "torch 2.13.0, jax 0.10.2, tensorflow 2.21.0 (frameworks-measured.md §1)"


def module(build_forward, ctor: str, forward: str = "input"):
    """A ``torch.nn`` module: calling the class returns a callable applying the op."""
    ctor_sig = Signature.parse(ctor)
    fwd_sig = Signature.parse(forward)

    def build(b, bound):
        return b.module(lambda b2, pos, kw: build_forward(b2, {**bound, **b2.bind(fwd_sig, pos, kw)}))
    return build, ctor_sig


def _module_call(name, framework, build_forward, ctor="", forward="input"):
    build, sig = module(build_forward, ctor, forward)
    return Call(name, framework, sig, build)


a0, a1, a2 = ARGS[:3]

# -- relu ------------------------------------------------------------------------------
register(Primitive(
    "relu", lambda: table(1, [([gt(a0, 0)], a0), ([le(a0, 0)], 0)]),
    "max(x, 0) with relu'(0) = 0 (mask x > 0).",
    calls=calls({"torch": ["torch.relu", "torch.nn.functional.relu", "torch.Tensor.relu"],
                 "jax": ["jax.nn.relu"], "tensorflow": ["tensorflow.nn.relu", "keras.activations.relu"]},
                "input", elementwise("relu"))
    + [_module_call("torch.nn.ReLU", "torch", elementwise("relu"), "inplace=False")],
    measured=(_M,)))


def _relu_custom(z: Fraction):
    return table(1, [([gt(a0, 0)], a0), ([eq(a0, 0)], sympy.Rational(z.numerator, z.denominator) * a0),
                     ([lt(a0, 0)], 0)])


register(Primitive(
    "relu_custom", _relu_custom,
    "relu with a chosen relu'(0) = z (params: z); seed 001 §4.1: any z is a valid "
    "associated derivative.", measured=("a teaching profile, not a framework",)))

# -- abs -------------------------------------------------------------------------------
register(Primitive(
    "abs_sign0", lambda: table(1, [([gt(a0, 0)], a0), ([lt(a0, 0)], -a0), ([eq(a0, 0)], 0)]),
    "|x| with abs'(0) = sign(0) = 0 (torch, tensorflow).",
    calls=calls({"torch": ["torch.abs", "torch.absolute", "torch.Tensor.abs"],
                 "tensorflow": ["tensorflow.abs", "tensorflow.math.abs"]},
                "input", elementwise("abs_sign0")),
    measured=(_M,)))
register(Primitive(
    "abs_nonneg", lambda: table(1, [([ge(a0, 0)], a0), ([lt(a0, 0)], -a0)]),
    "|x| with abs'(0) = 1: jax's select(x >= 0, g, -g) (jax 0.10.2 _abs_jvp_rule).",
    calls=calls({"jax": ["jax.numpy.abs", "jax.numpy.absolute", "jax.lax.abs"]},
                "x:input", elementwise("abs_nonneg")),
    measured=(_M,)))

# -- clamp -----------------------------------------------------------------------------
register(Primitive(
    "clamp_inclusive",
    lambda: table(3, [([ge(a0, a1), le(a0, a2)], a0), ([ge(a0, a1), gt(a0, a2)], a2),
                      ([lt(a0, a1), le(a1, a2)], a1), ([lt(a0, a1), gt(a1, a2)], a2)]),
    "min(max(x, lo), hi) with the gradient to x on both bounds (mask lo <= x <= hi).",
    arity=3, measured=(_M,)))
register(Primitive(
    "clamp_torch",
    lambda: table(3, [([ge(a0, a1), le(a0, a2)], a0), ([lt(a0, a1), lt(a1, a2)], a1),
                      ([lt(a0, a1), eq(a1, a2)], a1, [[0, 0, 0]]),
                      ([gt(a0, a2), le(a1, a2)], a2), ([gt(a1, a2)], a2)]),
    "torch.clamp(x, lo, hi), reverse mode: d/dx = [lo <= x <= hi], d/dlo = [x < lo < hi], "
    "d/dhi = [x > hi or lo > hi]. Below lo == hi nobody gets a gradient, which is not the "
    "gradient of any formula equal to the function there (measured on torch 2.13.0).",
    arity=3, measured=("torch 2.13.0, tensor bounds, all orderings of x, lo, hi",)))
register(Primitive(
    "clamp_torch_forward",
    lambda: table(3, [([ge(a0, a1), le(a0, a2)], a0), ([lt(a0, a1), le(a1, a2)], a1),
                      ([gt(a0, a2), le(a1, a2)], a2), ([gt(a1, a2)], a2)]),
    "torch.clamp(x, lo, hi), forward mode: below lo == hi the tangent of lo passes "
    "(measured on torch 2.13.0).", arity=3, measured=("torch 2.13.0, forward AD",)))
register(Primitive(
    "clamp_min", lambda: table(2, [([ge(a0, a1)], a0), ([lt(a0, a1)], a1)]),
    "max(x, lo) with the gradient to x on the bound (mask x >= lo).", arity=2, measured=(_M,)))
register(Primitive(
    "clamp_max", lambda: table(2, [([le(a0, a1)], a0), ([gt(a0, a1)], a1)]),
    "min(x, hi) with the gradient to x on the bound (mask x <= hi).", arity=2, measured=(_M,)))
register(Primitive(
    "clamp_min_to_bound", lambda: table(2, [([gt(a0, a1)], a0), ([le(a0, a1)], a1)]),
    "max(x, lo) with the gradient to the bound on a tie: torch.clamp(a, min=b) with a tensor "
    "bound in forward mode (FWD≠REV in frameworks-measured.md §1).", arity=2, measured=(_M,)))
register(Primitive(
    "clamp_max_to_bound", lambda: table(2, [([lt(a0, a1)], a0), ([ge(a0, a1)], a1)]),
    "min(x, hi) with the gradient to the bound on a tie: torch.clamp(a, max=b) with a tensor "
    "bound in forward mode.", arity=2, measured=(_M,)))
register(Primitive(
    "clamp_strict",
    lambda: table(3, [([gt(a0, a1), lt(a0, a2)], a0), ([le(a0, a1), le(a1, a2)], a1),
                      ([gt(a0, a1), ge(a0, a2)], a2), ([le(a0, a1), gt(a1, a2)], a2)]),
    "min(max(x, lo), hi) with the bounds owning the kinks (mask lo < x < hi): "
    "torch hardtanh/relu6, lax.clamp, jax/tf relu6.", arity=3, measured=(_M,)))


def _clamp(b, bound):
    x, lo, hi = bound["input"], bound["min"], bound["max"]
    if lo is None and hi is None:
        b.fail("clamp needs min or max", "clamp(x, min=lo), clamp(x, max=hi) or clamp(x, lo, hi)")
    # torch 2.13: with one tensor bound, reverse mode gives a tie to x, forward mode to the bound
    to_bound = b.profile.mode == "forward" and b.profile.framework == "torch"
    if hi is None:
        return b.map("clamp_min_to_bound" if to_bound and b.is_tensor(lo) else "clamp_min", x, lo)
    if lo is None:
        return b.map("clamp_max_to_bound" if to_bound and b.is_tensor(hi) else "clamp_max", x, hi)
    if b.profile.framework == "torch":
        return b.map("clamp_torch_forward" if b.profile.mode == "forward" else "clamp_torch", x, lo, hi)
    return b.map("clamp_inclusive", x, lo, hi)


for _name in ("torch.clamp", "torch.clip", "torch.Tensor.clamp", "torch.Tensor.clip"):
    from .registry import add_call
    add_call(Call(_name, "torch", Signature.parse("input, min=None, max=None"), _clamp), "clamp_inclusive")
add_call(Call("tensorflow.clip_by_value", "tensorflow",
              Signature.parse("t:input, clip_value_min:min, clip_value_max:max"), _clamp), "clamp_inclusive")
for _name, _fw in (("torch.clamp_min", "torch"), ("torch.Tensor.clamp_min", "torch")):
    add_call(Call(_name, _fw, Signature.parse("input, min"), elementwise("clamp_min", "input", "min")), "clamp_min")
for _name, _fw in (("torch.clamp_max", "torch"), ("torch.Tensor.clamp_max", "torch")):
    add_call(Call(_name, _fw, Signature.parse("input, max"), elementwise("clamp_max", "input", "max")), "clamp_max")


def _hardtanh(b, bound):
    return b.map("clamp_strict", bound["input"], bound["min_val"], bound["max_val"])


def _relu6(b, bound):
    return b.map("clamp_strict", bound["input"], 0, 6)


add_call(Call("torch.nn.functional.hardtanh", "torch",
              Signature.parse("input, min_val=-1, max_val=1, inplace=False"), _hardtanh), "clamp_strict")
add_call(_module_call("torch.nn.Hardtanh", "torch", _hardtanh, "min_val=-1, max_val=1, inplace=False"),
         "clamp_strict")
for _name, _fw in (("torch.nn.functional.relu6", "torch"), ("jax.nn.relu6", "jax"),
                   ("tensorflow.nn.relu6", "tensorflow")):
    add_call(Call(_name, _fw, Signature.parse("input, inplace=False"), _relu6), "clamp_strict")
add_call(_module_call("torch.nn.ReLU6", "torch", _relu6, "inplace=False"), "clamp_strict")


def _leaky_table(slope: Fraction, owner: str):
    s = sympy.Rational(slope.numerator, slope.denominator)
    if owner == "negative":
        return table(1, [([gt(a0, 0)], a0), ([le(a0, 0)], s * a0)])
    return table(1, [([ge(a0, 0)], a0), ([lt(a0, 0)], s * a0)])


register(Primitive(
    "leaky_relu", _leaky_table,
    "x if x > 0 else s*x (params: slope, owner of 0). torch and tensorflow: the negative "
    "branch owns 0 (slope s); jax: the positive branch (1).",
    calls=[Call("torch.nn.functional.leaky_relu", "torch",
                Signature.parse("input, negative_slope=0.01, inplace=False"),
                lambda b, bd: b.map("leaky_relu", bd["input"],
                                    params=(b.exact(bd["negative_slope"]), "negative")))],
    measured=(_M,)))
