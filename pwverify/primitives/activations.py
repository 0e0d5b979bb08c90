"""Elementwise kinks: relu, abs, sign, clamp and the activations, with each framework's rule.

Which side owns the kink is the whole story here (docs/reference/frameworks-measured.md §1, measured
on torch 2.13.0, jax 0.10.2, tensorflow 2.21.0):

* ``relu``: mask ``x > 0`` everywhere (torch, jax, tensorflow): relu'(0) = 0.
* ``abs_sign0``: torch and tensorflow, ``sign(0) = 0``: abs'(0) = 0.
* ``abs_nonneg``: jax, ``select(x >= 0, g, -g)``: abs'(0) = 1.
* ``sign``: derivative 0 everywhere, so ``x * sign(x)`` has derivative sign(0) = 0 at 0.
* Clamp has four conventions at a bound: torch ``clamp``/``clip`` give the gradient to
  x (``clamp_torch``, inclusive); ``hardtanh``/``relu6``/``hardsigmoid`` and jax/tf
  ``relu6`` give it to nobody (``clamp_strict``); ``jnp.clip`` is
  ``minimum(maximum(x, lo), hi)`` and splits a tie; ``lax.clamp`` is strict and, with
  traced bounds, gives a tie to no operand at all (``lax_clamp``). ``tf.clip_by_value``
  is ``maximum(minimum(x, hi), lo)`` with tf's first-argument ties.
* ``leaky_relu``: torch and tensorflow: the negative branch owns 0 (slope; tf stores its
  alpha as float32); jax: the positive branch (1).
* ``elu``/``selu``/``celu``: the negative branch owns 0, except tensorflow's ``selu``
  (positive branch: scale). jax's ``celu`` is built from ``maximum``/``minimum``.
* Where a framework composes an activation from simpler operations (jax
  ``hard_sigmoid = relu6(x + 3) / 6``, ``hard_swish = x * hard_sigmoid(x)``; keras
  ``hard_sigmoid``/``hard_silu`` likewise), pwverify composes it the same way, so the
  tie rules follow from those of the parts.
"""

from __future__ import annotations

import struct
from fractions import Fraction

import sympy

from .registry import (ARGS, Call, multiplying, variant, Primitive, Signature, add_call, calls, elementwise, eq, ge, gt,
                       le, lt, register, table)

_M = "torch 2.13.0, jax 0.10.2, tensorflow 2.21.0 (docs/reference/frameworks-measured.md §1)"
#: SELU's constants, as torch, jax and tensorflow write them in their sources.
SELU_ALPHA = Fraction("1.6732632423543772848170429916717")
SELU_SCALE = Fraction("1.0507009873554804934193349852946")


def module(build_forward, ctor: str, forward: str = "input"):
    """A ``torch.nn`` module: calling the class returns a callable applying the op."""
    ctor_sig = Signature.parse(ctor)
    fwd_sig = Signature.parse(forward)

    def build(b, bound):
        return b.module(lambda b2, pos, kw: build_forward(b2, {**bound, **b2.bind(fwd_sig, pos, kw)}),
                        in_place=bound.get("inplace") is True)
    return build, ctor_sig


def _module_call(name, framework, build_forward, ctor="", forward="input"):
    build, sig = module(build_forward, ctor, forward)
    return Call(name, framework, sig, build)


def rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def float32(value: Fraction) -> Fraction:
    """The float32 nearest to ``value`` (round half to even), exactly.

    tensorflow stores ``leaky_relu``'s alpha as a float32 attribute, so its slope is
    this number even in float64 (docs/reference/frameworks-measured.md §8.11):

    >>> float(float32(Fraction(1, 5)))
    0.20000000298023224
    """
    if value == 0:
        return Fraction(0)
    sign = -1 if value < 0 else 1
    mag = abs(value)
    exponent = mag.numerator.bit_length() - mag.denominator.bit_length()
    if Fraction(2) ** exponent > mag:
        exponent -= 1
    quantum = Fraction(2) ** (max(exponent, -126) - 23)
    scaled = mag / quantum
    whole = scaled.numerator // scaled.denominator
    rest = scaled - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2):
        whole += 1
    result = sign * whole * quantum
    assert struct.unpack("f", struct.pack("f", float(result)))[0] == float(result)
    return result


a0, a1, a2 = ARGS[:3]



# -- relu ------------------------------------------------------------------------------
register(Primitive(
    "relu", lambda: table(1, [([gt(a0, 0)], a0), ([le(a0, 0)], 0)]),
    "max(x, 0) with relu'(0) = 0 (mask x > 0): torch relu/F.threshold(x, 0, 0), jax.nn.relu, "
    "tf.nn.relu (docs/reference/frameworks-measured.md §1).",
    calls=calls({"torch": ["torch.relu", "torch.Tensor.relu"],
                 "jax": ["jax.nn.relu"], "tensorflow": ["tensorflow.nn.relu", "keras.activations.relu"]},
                "input", elementwise("relu"))
    + calls({"torch": ["torch.nn.functional.relu"]}, "input, inplace=False", elementwise("relu"))
    + [_module_call("torch.nn.ReLU", "torch", elementwise("relu"), "inplace=False")],
    measured=(_M,)))


def _relu_custom(z: Fraction):
    return table(1, [([gt(a0, 0)], a0), ([eq(a0, 0)], rational(z) * a0), ([lt(a0, 0)], 0)])


register(Primitive(
    "relu_custom", _relu_custom,
    "relu with a chosen relu'(0) = z (params: z); Després 2024b §4.1: any z is a valid "
    "associated derivative.", measured=("a teaching profile, not a framework",)))

# -- abs and sign ------------------------------------------------------------------------
register(Primitive(
    "abs_sign0", lambda: multiplying(table(1, [([gt(a0, 0)], a0), ([lt(a0, 0)], -a0), ([eq(a0, 0)], 0)])),
    "|x| with abs'(0) = sign(0) = 0: torch abs/l1_loss, tf.abs (docs/reference/frameworks-measured.md §1).",
    calls=calls({"torch": ["torch.abs", "torch.absolute", "torch.Tensor.abs"],
                 "tensorflow": ["tensorflow.abs", "tensorflow.math.abs"]},
                "input", elementwise("abs_sign0")),
    measured=(_M,)))
register(Primitive(
    "abs_nonneg", lambda: table(1, [([ge(a0, 0)], a0), ([lt(a0, 0)], -a0)]),
    "|x| with abs'(0) = 1: jax's select(x >= 0, g, -g) (jax 0.10.2 _abs_jvp_rule; "
    "docs/reference/frameworks-measured.md §8.1).",
    calls=calls({"jax": ["jax.numpy.abs", "jax.numpy.absolute", "jax.lax.abs"]},
                "x:input", elementwise("abs_nonneg")),
    measured=(_M,)))


def _abs_custom(z: Fraction):
    return table(1, [([gt(a0, 0)], a0), ([lt(a0, 0)], -a0), ([eq(a0, 0)], rational(z) * a0)])


register(Primitive(
    "abs_custom", _abs_custom,
    "|x| with a chosen abs'(0) = z (params: z), for the custom profile.",
    measured=("a teaching profile, not a framework",)))
register(Primitive(
    "sign", lambda: table(1, [([gt(a0, 0)], 1), ([lt(a0, 0)], -1), ([eq(a0, 0)], 0)]),
    "sign(x) with derivative 0 everywhere (sign(0) = 0): torch sign/sgn, jnp.sign, tf.sign; "
    "x * sign(x) has derivative 0 at 0 in all three (docs/reference/frameworks-measured.md §1).",
    calls=calls({"torch": ["torch.sign", "torch.sgn", "torch.Tensor.sign", "torch.Tensor.sgn"],
                 "jax": ["jax.numpy.sign", "jax.lax.sign"],
                 "tensorflow": ["tensorflow.sign", "tensorflow.math.sign"]},
                "x:input", elementwise("sign")),
    measured=(_M,)))


def _no_tangent(t):
    """The table of an op whose derivative is a *symbolic* zero (jax's ``defjvp_zero``):
    no tangent or cotangent passes at all, so an infinite derivative behind it never
    meets a zero (``jnp.sign(jnp.sqrt(x))`` has gradient 0 at 0, torch's is nan)."""
    t.detached_args = lambda branch: tuple(range(t.n_args))
    return t


register(Primitive(
    "sign_jax", lambda: _no_tangent(table(1, [([gt(a0, 0)], 1), ([lt(a0, 0)], -1), ([eq(a0, 0)], 0)])),
    "jax's sign: as sign, but its derivative is a symbolic zero (defjvp_zero), so nothing "
    "passes through it, not even a zero (jnp.sign(jnp.sqrt(x)) at 0: gradient 0 in both modes, "
    "measured on jax 0.10.2). Every sign of a jax program is this one.",
    measured=("jax 0.10.2",)))

# -- clamp -----------------------------------------------------------------------------
register(Primitive(
    "clamp_inclusive",
    lambda: table(3, [([ge(a0, a1), le(a0, a2)], a0), ([ge(a0, a1), gt(a0, a2)], a2),
                      ([lt(a0, a1), le(a1, a2)], a1), ([lt(a0, a1), gt(a1, a2)], a2)]),
    "min(max(x, lo), hi) with the gradient to x on both bounds (mask lo <= x <= hi): "
    "jax.nn.hard_tanh (where-based; docs/reference/frameworks-measured.md §1).",
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
    "max(x, lo) with the gradient to x on the bound (mask x >= lo): torch clamp(min=), "
    "clamp_min.", arity=2, measured=(_M,)))
register(Primitive(
    "clamp_max", lambda: table(2, [([le(a0, a1)], a0), ([gt(a0, a1)], a1)]),
    "min(x, hi) with the gradient to x on the bound (mask x <= hi): torch clamp(max=), "
    "clamp_max.", arity=2, measured=(_M,)))
register(Primitive(
    "clamp_min_to_bound", lambda: table(2, [([gt(a0, a1)], a0), ([le(a0, a1)], a1)]),
    "max(x, lo) with the gradient to the bound on a tie: torch.clamp(a, min=b) with a tensor "
    "bound in forward mode (FWD≠REV in docs/reference/frameworks-measured.md §1).", arity=2, measured=(_M,)))
register(Primitive(
    "clamp_max_to_bound", lambda: table(2, [([lt(a0, a1)], a0), ([ge(a0, a1)], a1)]),
    "min(x, hi) with the gradient to the bound on a tie: torch.clamp(a, max=b) with a tensor "
    "bound in forward mode.", arity=2, measured=(_M,)))
register(Primitive(
    "clamp_strict",
    lambda: table(3, [([gt(a0, a1), lt(a0, a2)], a0), ([le(a0, a1), le(a1, a2)], a1),
                      ([gt(a0, a1), ge(a0, a2)], a2), ([le(a0, a1), gt(a1, a2)], a2)]),
    "min(max(x, lo), hi) with the bounds owning the kinks (mask lo < x < hi): "
    "torch hardtanh/relu6, jax.nn.relu6 (custom jvp), tf.nn.relu6 (docs/reference/frameworks-measured.md §1).",
    arity=3, measured=(_M,)))
# tensorflow's ReluGrad and Relu6Grad multiply the gradient by the mask (``g * (x > 0)``):
# a nan or infinite gradient reaching a relu where it is flat is nan there, in both modes
# (tf.nn.relu(tf.sqrt(x) - 1) at x = 0: nan; measured on tensorflow 2.21.0).
for _base in ("relu", "clamp_strict"):
    variant(_base, f"{_base}_mul", multiplying,
            f"{_base} whose zero derivative multiplies (tensorflow's ReluGrad/Relu6Grad: g * mask), so "
            "a nan or infinite gradient where it is flat is nan: every relu, relu6, hard_sigmoid "
            "and hard_swish of a tensorflow program.", ("tensorflow 2.21.0",))
register(Primitive(
    "lax_clamp",
    lambda: table(3, [([lt(a1, a2), gt(a0, a1), lt(a0, a2)], a0),
                      ([lt(a1, a2), lt(a0, a1)], a1), ([lt(a1, a2), gt(a0, a2)], a2),
                      ([lt(a1, a2), eq(a0, a1)], a1, [[0, 0, 0]]),
                      ([lt(a1, a2), eq(a0, a2)], a2, [[0, 0, 0]]),
                      ([ge(a1, a2), gt(a0, a2)], a2),
                      ([ge(a1, a2), le(a0, a2)], a2, [[0, 0, 0]])]),
    "jax.lax.clamp(lo, x, hi) (arguments here x, lo, hi): d/dx = [lo < x < hi], "
    "d/dlo = [x < lo < hi], d/dhi = [hi < x] (the jvp rules of clamp_p, jax 0.10.2). At a "
    "tie no operand gets a gradient (docs/reference/frameworks-measured.md §8.2), and with lo >= hi the "
    "value hi gets none unless x > hi: not the gradient of a formula there.",
    arity=3, measured=(_M,)))


def _clamp(b, bound):
    x, lo, hi = bound["input"], bound["min"], bound["max"]
    if lo is None and hi is None:
        b.fail("clamp needs min or max", "clamp(x, min=lo), clamp(x, max=hi) or clamp(x, lo, hi)")
    # torch 2.13: with one tensor bound, reverse mode gives a tie to x, forward mode to the bound
    to_bound = b.profile.mode == "forward"
    if hi is None:
        return b.map("clamp_min_to_bound" if to_bound and b.is_tensor(lo) else "clamp_min", x, lo)
    if lo is None:
        return b.map("clamp_max_to_bound" if to_bound and b.is_tensor(hi) else "clamp_max", x, hi)
    return b.map("clamp_torch_forward" if b.profile.mode == "forward" else "clamp_torch", x, lo, hi)


def _jnp_clip(b, bound):
    """``jnp.clip`` is ``minimum(max, maximum(min, x))`` (jax 0.10.2 source): ties split."""
    x = bound["input"]
    lo, hi = bound["min"], bound["max"]
    if lo is None:
        lo = bound.get("a_min")
    if hi is None:
        hi = bound.get("a_max")
    if lo is not None:
        x = b.map("maximum_split", lo, x)
    if hi is not None:
        x = b.map("minimum_split", hi, x)
    return x


def _tf_clip(b, bound):
    """``tf.clip_by_value`` is ``maximum(minimum(t, hi), lo)`` (tensorflow 2.21 source),
    with tensorflow's first-argument ties: inclusive at both bounds, and a tie with a
    tensor bound goes to t."""
    return b.map("maximum_first", b.map("minimum_first", bound["input"], bound["max"]), bound["min"])


def _lax_clamp(b, bound):
    return b.map("lax_clamp", bound["input"], bound["min"], bound["max"])


for _name in ("torch.clamp", "torch.clip", "torch.Tensor.clamp", "torch.Tensor.clip"):
    add_call(Call(_name, "torch", Signature.parse("input, min=None, max=None"), _clamp), "clamp_torch")
add_call(Call("tensorflow.clip_by_value", "tensorflow",
              Signature.parse("t:input, clip_value_min:min, clip_value_max:max, name=None"), _tf_clip),
         "maximum_first")
add_call(Call("jax.numpy.clip", "jax",
              Signature.parse("arr:input, min=None, max=None, a_min=None, a_max=None"), _jnp_clip),
         "maximum_split")
add_call(Call("jax.lax.clamp", "jax", Signature.parse("min, x:input, max"), _lax_clamp), "lax_clamp")
for _name in ("torch.clamp_min", "torch.Tensor.clamp_min"):
    add_call(Call(_name, "torch", Signature.parse("input, min"), elementwise("clamp_min", "input", "min")),
             "clamp_min")
for _name in ("torch.clamp_max", "torch.Tensor.clamp_max"):
    add_call(Call(_name, "torch", Signature.parse("input, max"), elementwise("clamp_max", "input", "max")),
             "clamp_max")


def _hardtanh(b, bound):
    return b.map("clamp_strict", bound["input"], bound["min_val"], bound["max_val"])


def _relu6(b, bound):
    return b.map("clamp_strict", bound["input"], 0, 6)


add_call(Call("torch.nn.functional.hardtanh", "torch",
              Signature.parse("input, min_val=-1, max_val=1, inplace=False"), _hardtanh), "clamp_strict")
add_call(_module_call("torch.nn.Hardtanh", "torch", _hardtanh, "min_val=-1, max_val=1, inplace=False"),
         "clamp_strict")
for _name, _fw in (("torch.nn.functional.relu6", "torch"), ("jax.nn.relu6", "jax"),
                   ("tensorflow.nn.relu6", "tensorflow"), ("keras.activations.relu6", "tensorflow")):
    add_call(Call(_name, _fw, Signature.parse("input, inplace=False"), _relu6), "clamp_strict")
add_call(_module_call("torch.nn.ReLU6", "torch", _relu6, "inplace=False"), "clamp_strict")
for _name in ("jax.nn.hard_tanh",):
    add_call(Call(_name, "jax", Signature.parse("x:input"),
                  lambda b, bd: b.map("clamp_inclusive", bd["input"], -1, 1)), "clamp_inclusive")


# -- hard sigmoid / hard swish -------------------------------------------------------------
def hard_sigmoid_composed(b, x):
    """``relu6(x + 3) / 6``: how jax and keras write hard_sigmoid (strict at ±3)."""
    return b.map("div", b.map("clamp_strict", b.map("add", x, 3), 0, 6), 6)


def _hard_swish_composed(b, bound):
    x = bound["input"]
    return b.map("mul", x, hard_sigmoid_composed(b, x))


#: torch's hardsigmoid backward multiplies by 1/6 written as a float32 constant.
_SIXTH_F32 = sympy.Rational(*float32(Fraction(1, 6)).as_integer_ratio())
register(Primitive(
    "hardsigmoid_torch",
    lambda: table(1, [([le(a0, -3)], 0),
                      ([gt(a0, -3), lt(a0, 3)], a0 / 6 + sympy.Rational(1, 2), [[_SIXTH_F32]]),
                      ([ge(a0, 3)], 1)]),
    "torch F.hardsigmoid: strict mask -3 < x < 3 (docs/reference/frameworks-measured.md §1). Its backward "
    "multiplies by 1/6 rounded to float32 (0.1666666716...), even in float64 (measured on "
    "torch 2.13.0), so the derivative in the middle is that number, not 1/6.",
    calls=calls({"torch": ["torch.nn.functional.hardsigmoid"]}, "input, inplace=False",
                elementwise("hardsigmoid_torch"))
    + [_module_call("torch.nn.Hardsigmoid", "torch", elementwise("hardsigmoid_torch"), "inplace=False")],
    measured=(_M,)))
register(Primitive(
    "hardswish_torch",
    lambda: table(1, [([le(a0, -3)], 0), ([gt(a0, -3), lt(a0, 3)], a0 * (a0 + 3) / 6), ([ge(a0, 3)], a0)]),
    "torch F.hardswish: the outer branches own both kinks (derivative 0 at -3, 1 at 3; "
    "docs/reference/frameworks-measured.md §1).",
    calls=calls({"torch": ["torch.nn.functional.hardswish"]}, "input, inplace=False",
                elementwise("hardswish_torch"))
    + [_module_call("torch.nn.Hardswish", "torch", elementwise("hardswish_torch"), "inplace=False")],
    measured=(_M,)))
for _name, _fw in (("jax.nn.hard_sigmoid", "jax"), ("keras.activations.hard_sigmoid", "tensorflow")):
    add_call(Call(_name, _fw, Signature.parse("x:input"), lambda b, bd: hard_sigmoid_composed(b, bd["input"])),
             "clamp_strict")
for _name, _fw in (("jax.nn.hard_swish", "jax"), ("jax.nn.hard_silu", "jax"),
                   ("keras.activations.hard_silu", "tensorflow"), ("keras.activations.hard_swish", "tensorflow")):
    add_call(Call(_name, _fw, Signature.parse("x:input"), _hard_swish_composed), "clamp_strict")


# -- leaky relu and relatives ----------------------------------------------------------------
def _leaky_table(slope: Fraction, owner: str):
    s = rational(slope)
    if owner == "negative":
        return table(1, [([gt(a0, 0)], a0), ([le(a0, 0)], s * a0)])
    return table(1, [([ge(a0, 0)], a0), ([lt(a0, 0)], s * a0)])


def _leaky(slope_key: str, owner: str, float32_slope: bool = False):
    def build(b, bd):
        slope = b.exact(bd[slope_key])
        return b.map("leaky_relu", bd["input"], params=(float32(slope) if float32_slope else slope, owner))
    return build


def _rrelu(b, bd):
    if bd["training"]:
        b.fail("rrelu in training mode draws random slopes", "F.rrelu(x, training=False)")
    upper = Fraction(1, 3) if bd["upper"] is None else b.exact(bd["upper"])
    slope = (b.exact(bd["lower"]) + upper) / 2
    return b.map("leaky_relu", bd["input"], params=(slope, "negative"))


register(Primitive(
    "leaky_relu", _leaky_table,
    "x if x > 0 else s*x (params: slope, owner of 0). torch leaky_relu/rrelu(training=False) "
    "and tensorflow (alpha rounded to float32): the negative branch owns 0 (slope s); jax: "
    "the positive branch (1) (docs/reference/frameworks-measured.md §1, §8.4).",
    calls=[Call("torch.nn.functional.leaky_relu", "torch",
                Signature.parse("input, negative_slope=0.01, inplace=False"), _leaky("negative_slope", "negative")),
           Call("torch.nn.functional.rrelu", "torch",
                Signature.parse("input, lower=0.125, upper=None, training=False, inplace=False"),
                _rrelu),
           Call("jax.nn.leaky_relu", "jax", Signature.parse("x:input, negative_slope=0.01"),
                _leaky("negative_slope", "positive")),
           Call("tensorflow.nn.leaky_relu", "tensorflow", Signature.parse("features:input, alpha=0.2, name=None"),
                _leaky("alpha", "negative", float32_slope=True))]
    + [_module_call("torch.nn.LeakyReLU", "torch", _leaky("negative_slope", "negative"),
                    "negative_slope=0.01, inplace=False")],
    measured=(_M,)))


def _prelu_table(forward: bool):
    if forward:
        return table(2, [([ge(a0, 0)], a0), ([lt(a0, 0)], a1 * a0)])
    return table(2, [([gt(a0, 0)], a0), ([le(a0, 0)], a1 * a0)])


def prelu(b, x, weight):
    """torch's prelu: ``weight`` holds one slope, or one per channel (dim 1 of the input);
    the output has the input's shape (a 0-d input gives a 0-d output)."""
    params = (b.profile.mode == "forward",)
    w = b.to_array(weight)
    if w.size == 1:
        return b.map("prelu", x, w.items[0], params=params)
    arr = b.to_array(x)
    if w.ndim != 1 or arr.ndim < 2 or arr.shape[1] != w.size:
        b.fail(f"prelu: {w.size} slopes need an input with {w.size} channels on dim 1, got shape {arr.shape}",
               "one slope, or one per channel of an (N, C, ...) input")
    return b.map("prelu", arr, w.reshape((1, w.size) + (1,) * (arr.ndim - 2)), params=params)


def _prelu(b, bd):
    return prelu(b, bd["input"], bd["weight"])


register(Primitive(
    "prelu", _prelu_table,
    "torch F.prelu(x, w): x if x > 0 else w*x. FWD≠REV at 0: reverse mode gives w (mask "
    "x > 0), forward mode 1 (mask x >= 0) (params: forward; docs/reference/frameworks-measured.md §1, §8.9).",
    arity=2,
    calls=[Call("torch.nn.functional.prelu", "torch", Signature.parse("input, weight"), _prelu)],
    measured=(_M,)))


def _threshold_table(threshold: Fraction, value: Fraction):
    return table(1, [([gt(a0, rational(threshold))], a0), ([le(a0, rational(threshold))], rational(value))])


def _threshold(b, bd):
    return b.map("threshold", bd["input"], params=(b.exact(bd["threshold"]), b.exact(bd["value"])))


register(Primitive(
    "threshold", _threshold_table,
    "torch F.threshold(x, th, v): x if x > th else v, strict (derivative 0 at th; "
    "docs/reference/frameworks-measured.md §1).",
    calls=[Call("torch.nn.functional.threshold", "torch",
                Signature.parse("input, threshold, value, inplace=False"), _threshold),
           _module_call("torch.nn.Threshold", "torch", _threshold, "threshold, value, inplace=False")],
    measured=(_M,)))


def _shrink_table(lambd: Fraction, soft: bool):
    lam = rational(lambd)
    return table(1, [([gt(a0, lam)], a0 - lam if soft else a0), ([lt(a0, -lam)], a0 + lam if soft else a0),
                     ([ge(a0, -lam), le(a0, lam)], 0)])


def _shrink(soft: bool):
    def build(b, bd):
        return b.map("shrink", bd["input"], params=(b.exact(bd["lambd"]), soft))
    return build


register(Primitive(
    "shrink", _shrink_table,
    "torch hardshrink/softshrink(λ) (params: λ, soft): zero on |x| <= λ, strict mask "
    "|x| > λ (derivative 0 at ±λ; docs/reference/frameworks-measured.md §1).",
    calls=[Call("torch.nn.functional.hardshrink", "torch", Signature.parse("input, lambd=0.5"), _shrink(False)),
           Call("torch.nn.functional.softshrink", "torch", Signature.parse("input, lambd=0.5"), _shrink(True)),
           _module_call("torch.nn.Hardshrink", "torch", _shrink(False), "lambd=0.5"),
           _module_call("torch.nn.Softshrink", "torch", _shrink(True), "lambd=0.5")],
    measured=(_M,)))


# -- exponential linear units ----------------------------------------------------------------
def _elu_table(alpha: Fraction, scale: Fraction, input_scale: Fraction, owner: str):
    al, sc, ins = rational(alpha), rational(scale), rational(input_scale)
    negative = sc * al * (sympy.exp(ins * a0) - 1)
    if owner == "negative":
        return table(1, [([gt(a0, 0)], sc * a0), ([le(a0, 0)], negative)])
    return table(1, [([ge(a0, 0)], sc * a0), ([lt(a0, 0)], negative)])


def _elu(owner: str, alpha_key: str | None = "alpha", alpha=Fraction(1), scale=Fraction(1), celu=False):
    def build(b, bd):
        a = b.exact(bd[alpha_key]) if alpha_key else alpha
        if a == 0 and celu:
            b.fail("celu with alpha = 0 divides by zero", "alpha != 0")
        return b.map("elu", bd["input"], params=(a, scale, 1 / a if celu else Fraction(1), owner))
    return build


def _jax_celu(b, bd):
    """``jax.nn.celu`` is ``maximum(x, 0) + alpha * expm1(minimum(x, 0) / alpha)`` (jax 0.10.2)."""
    x, alpha = bd["input"], b.exact(bd["alpha"])
    negative = b.map("expm1", b.map("div", b.map("minimum_split", x, 0), alpha))
    return b.map("add", b.map("maximum_split", x, 0), b.map("mul", alpha, negative))


register(Primitive(
    "elu", _elu_table,
    "scale*x if x > 0 else scale*alpha*(exp(input_scale*x) - 1) (params: alpha, scale, "
    "input_scale, owner of 0). torch elu/selu/celu and jax elu/selu: the negative branch owns "
    "0 (derivative scale*alpha); tensorflow selu: the positive branch (scale); tensorflow elu "
    "has alpha = 1, where both agree (docs/reference/frameworks-measured.md §1, §8.4).",
    calls=[Call("torch.nn.functional.elu", "torch", Signature.parse("input, alpha=1.0, inplace=False"),
                _elu("negative")),
           Call("torch.nn.functional.selu", "torch", Signature.parse("input, inplace=False"),
                _elu("negative", None, SELU_ALPHA, SELU_SCALE)),
           Call("torch.selu", "torch", Signature.parse("input"), _elu("negative", None, SELU_ALPHA, SELU_SCALE)),
           Call("torch.nn.functional.celu", "torch", Signature.parse("input, alpha=1.0, inplace=False"),
                _elu("negative", celu=True)),
           _module_call("torch.nn.ELU", "torch", _elu("negative"), "alpha=1.0, inplace=False"),
           _module_call("torch.nn.SELU", "torch", _elu("negative", None, SELU_ALPHA, SELU_SCALE), "inplace=False"),
           _module_call("torch.nn.CELU", "torch", _elu("negative", celu=True), "alpha=1.0, inplace=False"),
           Call("jax.nn.elu", "jax", Signature.parse("x:input, alpha=1.0"), _elu("negative")),
           Call("jax.nn.selu", "jax", Signature.parse("x:input"), _elu("negative", None, SELU_ALPHA, SELU_SCALE)),
           Call("tensorflow.nn.elu", "tensorflow", Signature.parse("features:input, name=None"),
                _elu("positive", None)),
           Call("tensorflow.nn.selu", "tensorflow", Signature.parse("features:input, name=None"),
                _elu("positive", None, SELU_ALPHA, SELU_SCALE))],
    measured=(_M,)))
add_call(Call("jax.nn.celu", "jax", Signature.parse("x:input, alpha=1.0"), _jax_celu), "maximum_split")
