"""Vector norms, and what each framework does at the origin.

Measured on torch 2.13.0, jax 0.10.2 and tensorflow 2.21.0 (docs/reference/frameworks-measured.md §6, §8.8):

* torch masks the 2-norm's gradient to 0 at the origin (``norm2_masked``); its 1-norm
  and inf-norm behave as ``sum(abs(x))`` and ``max(abs(x))`` with abs'(0) = 0, which is
  how they are built here.
* jax and tensorflow compute the 2-norm as ``sqrt(sum(x * x))``: at the origin the
  gradient is nan, i.e. the origin is outside the domain on which pwverify predicts a
  gradient. Their 1-norm is ``sum(abs(x))`` (jax: abs'(0) = 1, so (1, ..., 1) at 0), and
  jax's inf-norm is ``amax(abs(x), initial=0)``: the extra tie with 0 halves the split,
  1/(2n) to each entry at 0.

Orders other than 1, 2, inf and -inf are refused (they need powers pwverify does not
model).
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from .registry import ARGS, Call, Primitive, Signature, add_call, eq, ne, register, table
from ..ir.values import Infinity

_MEASURED = "torch 2.13.0, jax 0.10.2, tensorflow 2.21.0 (docs/reference/frameworks-measured.md §6)"


def _norm2_masked(n: int):
    """sqrt(sum of squares) on each piece where some entry is nonzero; 0 at the origin."""
    a = ARGS[:n]
    value = sympy.sqrt(sympy.Add(*[x ** 2 for x in a]))
    rows = [([eq(a[j], 0) for j in range(i)] + [ne(a[i], 0)], value) for i in range(n)]
    rows.append(([eq(x, 0) for x in a], 0))
    return table(n, rows)


register(Primitive(
    "norm2_masked", _norm2_masked,
    "The Euclidean norm with its gradient masked to 0 at the origin: torch.norm, "
    "linalg.vector_norm, linalg.norm, dist (docs/reference/frameworks-measured.md §6).", arity=None,
    measured=(_MEASURED,)))

#: abs, max, min and the binary tie of an ``initial`` value, per framework
_PARTS = {"torch": ("abs_sign0", None), "jax": ("abs_nonneg", "maximum_split"),
          "tensorflow": ("abs_sign0", None)}


def _order(b, ord_value, default):
    """2, 1, inf or -inf from a norm's ``ord``/``p`` argument."""
    if ord_value is None or ord_value in ("fro", "euclidean"):
        return default
    if isinstance(ord_value, Infinity):
        return "inf" if ord_value.sign > 0 else "-inf"
    if isinstance(ord_value, str) and ord_value.lstrip("-") == "inf":
        return ord_value
    if isinstance(ord_value, (int, Fraction)) and not isinstance(ord_value, bool) and ord_value in (1, 2):
        return int(ord_value)
    b.fail(f"the norm of order {ord_value} is not supported", "ord 1, 2, inf or -inf (and 'fro')")


def _sum(b, items):
    total = items[0]
    for item in items[1:]:
        total = b.apply("add", [total, item])
    return total


def vector_norm(b, items: list, order, framework: str):
    """The norm of one lane of scalars, as ``framework`` computes it."""
    absolute, initial = _PARTS[framework]
    if order == 2:
        if framework == "torch":
            return b.apply("norm2_masked", items)
        return b.apply("sqrt", [_sum(b, [b.apply("mul", [x, x]) for x in items])])
    magnitudes = [b.apply(absolute, [x]) for x in items]
    if order == 1:
        return _sum(b, magnitudes)
    if order == "-inf":
        return b.apply("min_even", magnitudes)
    top = b.apply("max_even", magnitudes)
    return b.apply(initial, [top, 0]) if initial else top


def _norm(framework: str, default=2, key="ord", matrix_ok: bool = False):
    def build(b, bd):
        order = _order(b, bd.get(key), default)
        arr = b.to_array(bd["input"])
        dim = bd.get("dim")
        if isinstance(dim, (tuple, list)):
            if len(dim) != 1:
                b.fail("norms over several dims are not supported", "dim=None or one dim")
            dim = dim[0]
        if dim is None and arr.ndim > 1 and order != 2 and not matrix_ok:
            b.fail(f"the order-{order} norm of a {arr.ndim}-D tensor is a matrix norm, which is not supported",
                   "a 1-D tensor, or dim=...")
        if arr.size == 0:
            b.fail("the norm of an empty tensor")
        if dim is None:
            out = vector_norm(b, list(arr.items), order, framework)
            return b.to_array([out]).reshape((1,) * arr.ndim) if bd.get("keepdim") else out
        outer, lanes = arr.lanes(int(dim))
        values = [vector_norm(b, lane, order, framework) for lane in lanes]
        return arr.stack_lanes(values, outer, int(dim), bool(bd.get("keepdim")))
    return build


def _dist(b, bd):
    diff = b.map("sub", bd["input"], bd["other"])
    return _norm("torch", key="p", matrix_ok=True)(b, {"input": diff, "p": bd["p"]})


_TORCH_NORM = "input, p='fro', dim=None, keepdim=False, out=None, dtype=None"
for _name, _sig, _build in [
        ("torch.norm", _TORCH_NORM, _norm("torch", key="p", matrix_ok=True)),
        ("torch.Tensor.norm", _TORCH_NORM, _norm("torch", key="p", matrix_ok=True)),
        ("torch.linalg.vector_norm", "x:input, ord=2, dim=None, keepdim=False, dtype=None, out=None",
         _norm("torch", matrix_ok=True)),
        ("torch.linalg.norm", "A:input, ord=None, dim=None, keepdim=False, out=None, dtype=None", _norm("torch")),
        ("torch.dist", "input, other, p=2", _dist)]:
    add_call(Call(_name, "torch", Signature.parse(_sig), _build), "norm2_masked")
for _name, _sig, _build in [
        ("jax.numpy.linalg.norm", "x:input, ord=None, axis:dim=None, keepdims:keepdim=False", _norm("jax")),
        ("jax.numpy.linalg.vector_norm", "x:input, axis:dim=None, keepdims:keepdim=False, ord=2",
         _norm("jax", matrix_ok=True))]:
    add_call(Call(_name, "jax", Signature.parse(_sig), _build), "sqrt")
for _name in ("tensorflow.norm", "tensorflow.linalg.norm"):
    add_call(Call(_name, "tensorflow",
                  Signature.parse("tensor:input, ord='euclidean', axis:dim=None, keepdims:keepdim=None, name=None"),
                  _norm("tensorflow")), "sqrt")
