"""Structured control flow of jax and tensorflow, read as the Python it stands for.

* ``lax.cond(pred, true_fun, false_fun, *operands)``: both functions are read (as jax
  traces both), and the result joins them as an ``if`` does: only the branch taken is
  evaluated and reaches the gradient (jax runs one branch of a ``cond``), so the other may
  be undefined or have an infinite derivative there.
* ``lax.select(pred, on_true, on_false)``: ``jnp.where`` (both are ``select_n``).
* ``lax.fori_loop(lower, upper, body_fun, init_val)`` with constant bounds and
  ``lax.scan(f, init, xs, length, reverse)``: the loops they describe, unrolled.
* ``jax.vmap(fun, in_axes, out_axes)``: ``fun`` applied to each slice along the mapped
  axes, the results stacked. Under ``vmap`` jax turns a ``cond`` with a batched predicate
  into a ``select`` (both branches evaluated, masks): a ``lax.cond`` inside ``vmap`` is
  refused rather than read with the wrong rule.

``lax.while_loop`` (its trip count depends on the values, and jax cannot reverse-
differentiate it) and ``lax.switch`` are not read.

tensorflow: ``tf.cond(pred, true_fn, false_fn)`` is an ``if`` (a tape records the branch
taken), ``tf.map_fn(fn, elems)`` applies ``fn`` to each slice along the first axis and
stacks the results.

>>> import pwverify
>>> pwverify.parse("lax.cond(a > b, lambda t: 2 * t, lambda t: -t, a)").gradient_at({"a": 1, "b": 1})
[[-1, 0]]
"""

from __future__ import annotations

from typing import Any

from ..ir.values import Array
from .registry import Call, Signature, add_call

_MAPPED = "pwverify.vmapped"


def _cond(b, bd):
    if b.vmap_depth:
        b.fail("lax.cond inside jax.vmap: jax turns it into a select when the predicate is batched",
               "jnp.where(pred, a, b) (a select, as vmap makes it), or lax.cond outside vmap")
    operands = list(bd["operands"])
    then = b.call(bd["true_fun"], operands)
    otherwise = b.call(bd["false_fun"], operands)
    return b.branch(bd["pred"], then, otherwise)


def _select(b, bd):
    return b.call_name("jax.numpy.where", [bd["pred"], bd["on_true"], bd["on_false"]])


def _constant_int(b, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, Array) and value.shape == () and isinstance(value.items[0], int):
            return value.items[0]
        b.fail(f"{what} must be a constant integer (the loop is unrolled)", f"{what}=3")
    return value


def _fori_loop(b, bd):
    lower, upper = _constant_int(b, bd["lower"], "lower"), _constant_int(b, bd["upper"], "upper")
    value = bd["init_val"]
    for i in range(lower, upper):
        value = b.call(bd["body_fun"], [i, value])
    return value


def _slices(b, xs: Any, length: Any) -> list:
    """The items ``lax.scan`` feeds: rows of an array, rows of each array of a tuple, or
    ``length`` Nones."""
    if xs is None:
        return [None] * _constant_int(b, length, "length")
    if isinstance(xs, (tuple, list)):
        columns = [_slices(b, x, length) for x in xs]
        if len({len(c) for c in columns}) > 1:
            b.fail("lax.scan: the arrays of xs have different leading lengths")
        return [type(xs)(row) for row in zip(*columns)]
    return b.sequence(xs)


def _stack(b, ys: list) -> Any:
    first = ys[0]
    if first is None:
        return None
    if isinstance(first, (tuple, list)):
        return type(first)(_stack(b, [y[k] for y in ys]) for k in range(len(first)))
    return b.call_name("jax.numpy.stack", [ys])


def _scan(b, bd):
    items = _slices(b, bd["xs"], bd["length"])
    if bd["reverse"]:
        items = items[::-1]
    carry, ys = bd["init"], []
    for x in items:
        out = b.sequence(b.call(bd["f"], [carry, x]))
        if len(out) != 2:
            b.fail("lax.scan: f must return a pair (carry, y)")
        carry, y = out
        ys.append(y)
    if bd["reverse"]:
        ys = ys[::-1]
    return (carry, _stack(b, ys) if ys else None)


def _vmap(b, bd):
    if bd.get("axis_name") is not None:
        b.fail("jax.vmap with axis_name (collectives) is not supported", "jax.vmap(f, in_axes)")
    return b.partial(b.qualified(_MAPPED), (bd["fun"], bd["in_axes"], bd["out_axes"]))


def _mapped(b, bd):
    """The call of a ``vmap``-ped function: ``fun`` on each slice, results stacked."""
    args, in_axes, out_axes = list(bd["args"]), bd["in_axes"], bd["out_axes"]
    axes = list(in_axes) if isinstance(in_axes, (tuple, list)) else [in_axes] * len(args)
    if len(axes) != len(args) or any(a not in (0, None) for a in axes) or out_axes != 0:
        b.fail("jax.vmap: in_axes of 0 or None per argument and out_axes=0 are supported",
               "jax.vmap(f) or jax.vmap(f, in_axes=(0, None))")
    sliced = [b.sequence(a) if axis == 0 else None for a, axis in zip(args, axes)]
    sizes = {len(s) for s in sliced if s is not None}
    if len(sizes) != 1:
        b.fail("jax.vmap: the mapped arguments need one common leading size")
    results = []
    b.vmap_depth += 1
    try:
        for i in range(sizes.pop()):
            results.append(b.call(bd["fun"], [s[i] if s is not None else a for s, a in zip(sliced, args)]))
    finally:
        b.vmap_depth -= 1
    return _stack(b, results)


def _tf_cond(b, bd):
    if bd["true_fn"] is None or bd["false_fn"] is None:
        b.fail("tf.cond needs both true_fn and false_fn", "tf.cond(pred, lambda: a, lambda: b)")
    return b.branch(bd["pred"], b.call(bd["true_fn"], []), b.call(bd["false_fn"], []))


def _map_fn(b, bd):
    elems = bd["elems"]
    rows = _slices(b, elems, None)
    results = [b.call(bd["fn"], [row]) for row in rows]
    if not results:
        b.fail("tf.map_fn over an empty tensor")
    first = results[0]
    if isinstance(first, (tuple, list)):
        return type(first)(b.call_name("tensorflow.stack", [[r[k] for r in results]]) for k in range(len(first)))
    return b.call_name("tensorflow.stack", [results])


for _name, _sig, _build in [
    ("tensorflow.cond", "pred, true_fn=None, false_fn=None, name=None", _tf_cond),
    ("tensorflow.map_fn", "fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False, "
                          "infer_shape=True, name=None, fn_output_signature=None", _map_fn),
]:
    add_call(Call(_name, "tensorflow", Signature.parse(_sig), _build))

for _name, _sig, _build in [
    ("jax.lax.cond", "pred, true_fun, false_fun, *operands", _cond),
    ("jax.lax.select", "pred, on_true, on_false", _select),
    ("jax.lax.fori_loop", "lower, upper, body_fun, init_val, unroll=None", _fori_loop),
    ("jax.lax.scan", "f, init, xs=None, length=None, reverse=False, unroll=1", _scan),
    ("jax.vmap", "fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None", _vmap),
    (_MAPPED, "fun, in_axes, out_axes, *args", _mapped),
]:
    add_call(Call(_name, "jax", Signature.parse(_sig), _build))
