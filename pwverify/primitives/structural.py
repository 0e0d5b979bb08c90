"""Structural calls: Python builtins, tensor construction and shape manipulation.

These calls reach no primitive (``Call.primitive`` is empty): they build values from
their arguments with the builder's API (arithmetic, iteration, arrays), so the tie
rules of whatever they are made of apply. They are registered like every other call,
so a program's every callable name resolves in one registry.

>>> from pwverify.primitives import registry
>>> call = registry.resolve("torch.stack")
>>> call.primitive, call.framework
('', None)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable

from ..core.errors import ArityError
from ..ir.values import Array, Infinity, ShapeError, is_number
from .conventions import resolve_name
from .registry import Call, Signature, add_call

#: The frameworks' namespaces, and the framework the arrays they make belong to.
NAMESPACES = (("torch", "torch"), ("jax", "jax.numpy"), ("tensorflow", "tensorflow"), (None, "numpy"))
#: The classes whose methods tensors have.
TENSOR_CLASSES = ("torch.Tensor", "jax.Array", "tensorflow.Tensor")


def structural(name: str, signature: str, build: Callable, doc: str = "") -> None:
    """Register a call that reaches no primitive."""
    add_call(Call(name, None, Signature.parse(signature), build, "", doc))


def guarded(build: Callable, what: str) -> Callable:
    """``build`` with Python's TypeError/ValueError reported as a located ArityError."""
    def run(b, bound):
        try:
            return build(b, bound)
        except ShapeError as exc:
            b.fail(f"{what}: {exc}")
        except (TypeError, ValueError) as exc:
            b.fail(f"{what}(): {exc}", kind=ArityError)
    return run


# -- Python builtins ---------------------------------------------------------------------------
def _len(b, bd):
    value = bd["obj"]
    if isinstance(value, Array):
        if not value.shape:
            b.fail("len() of a 0-d tensor")
        return value.shape[0]
    if isinstance(value, (list, tuple, str, range)):
        return len(value)
    b.fail(f"len() of {b.describe(value)}")


def _range(b, bd):
    for p in bd["args"]:
        if not isinstance(p, int) or isinstance(p, bool):
            b.fail("range() bounds must be constant integers (a loop bound that depends on "
                   "the inputs cannot be unrolled)", "range(N) with N known when reading the program")
    return range(*bd["args"])


def add_all(b, items, start: Any = 0) -> Any:
    """``start + items[0] + items[1] + ...`` with the program's own arithmetic."""
    total = start
    for item in items:
        total = b.arith("+", total, item)
    return total


def _sum(b, bd):
    return add_all(b, b.sequence(bd["iterable"]), bd["start"])


def _float(b, bd):
    value = bd["x"]
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("inf", "+inf", "infinity", "+infinity"):
            return Infinity(1)
        if text in ("-inf", "-infinity"):
            return Infinity(-1)
        if text == "nan":
            b.fail("NaN constants are not supported", "finite numbers")
        return Fraction(value.strip())
    if is_number(value):
        return Fraction(value)
    return b.scalar(value)


def _int(b, bd):
    value = bd["x"]
    if is_number(value):
        return int(value)
    b.fail("int() of a value that depends on the inputs is not supported")


def _reduce(b, bd):
    items = b.sequence(bd["iterable"])
    if len(bd["initial"]) > 1:
        b.fail("functools.reduce(function, iterable[, initial])", kind=ArityError)
    items = list(bd["initial"]) + items
    if not items:
        b.fail("reduce() of an empty sequence")
    acc = items[0]
    for item in items[1:]:
        acc = b.call(bd["function"], [acc, item], {})
    return acc


def _abs(b, bd):
    return b.call_name(resolve_name("builtins.abs", b.profile.framework), [bd["x"]], {})


def _isinstance(b, bd):
    b.fail("isinstance() is not supported")


_BUILTINS = {
    "len": ("obj", _len),
    "range": ("*args", _range),
    "sum": ("iterable, start=0", _sum),
    "float": ("x=0", _float),
    "int": ("x=0", _int),
    "list": ("iterable=()", lambda b, bd: list(b.sequence(bd["iterable"]))),
    "tuple": ("iterable=()", lambda b, bd: tuple(b.sequence(bd["iterable"]))),
    "enumerate": ("iterable, start=0", lambda b, bd: list(enumerate(b.sequence(bd["iterable"]), bd["start"]))),
    "zip": ("*iterables", lambda b, bd: list(zip(*[b.sequence(p) for p in bd["iterables"]]))),
    "reversed": ("seq", lambda b, bd: list(reversed(b.sequence(bd["seq"])))),
    "print": ("*args", lambda b, bd: None),
    "isinstance": ("obj, classinfo", _isinstance),
    "abs": ("x", _abs),
}
for _name, (_sig, _build) in _BUILTINS.items():
    structural(f"builtins.{_name}", _sig, guarded(_build, _name), f"Python's {_name}")
structural("functools.reduce", "function, iterable, *initial", guarded(_reduce, "reduce"),
           "folds the function over the items (the function's tie rule applies at each step)")
structural("math.fsum", "iterable, start=0", guarded(_sum, "fsum"), "exact sum")


# -- tensors: construction, joining, sums ----------------------------------------------------
def _tensor(framework: str | None):
    def build(b, bd):
        data = bd["data"]
        if isinstance(data, Array):
            return Array(data.shape, data.items, framework)
        try:
            return Array.from_nested(data, framework)
        except ShapeError as exc:
            b.fail(f"tensor(): {exc}")
    return build


def _dim_of(bd, default: Any = 0) -> Any:
    """``dim`` or its alias ``axis`` (torch accepts both, numpy and jax say axis)."""
    for key in ("dim", "axis"):
        if bd.get(key) is not None:
            return bd[key]
    return default


def _keepdim_of(bd) -> bool:
    return bool(bd.get("keepdim") or bd.get("keepdims"))


def _stack(framework: str | None):
    def build(b, bd):
        items = b.sequence(bd["tensors"])
        dim = _dim_of(bd)
        arrays = [b.to_array(x) for x in items]
        if not arrays or any(a.shape != arrays[0].shape for a in arrays):
            b.fail("stack() needs tensors of the same shape")
        nested = Array.from_nested([a.to_nested() if a.shape else a.items[0] for a in arrays], framework)
        if dim not in (0, -nested.ndim):
            if nested.ndim == 2 and dim in (1, -1):
                return nested.transpose()
            b.fail(f"stack along dim {dim} of shape {nested.shape} is not supported", "dim=0")
        return nested
    return build


def _cat(framework: str | None):
    def build(b, bd):
        items = [b.to_array(x) for x in b.sequence(bd["tensors"])]
        dim = _dim_of(bd)
        if dim not in (0, -1) or any(a.ndim != 1 for a in items):
            b.fail("cat() of 1-D tensors only", "cat([a, b]) of 1-D tensors")
        return Array((sum(a.size for a in items),), tuple(v for a in items for v in a.items), framework)
    return build


def _reshape_fn(b, bd):
    return reshape(b, b.to_array(bd["input"]), tuple(bd["shape"]))


def reshape(b, arr: Array, shape: tuple) -> Array:
    try:
        return arr.reshape(shape)
    except ShapeError as exc:
        b.fail(str(exc))


def sum_along(b, x: Array, dim, keep) -> Any:
    """The sum of all entries (``dim=None``) or along ``dim``."""
    if dim is None:
        return add_all(b, x.items)
    outer, lanes = x.lanes(int(dim))
    return x.stack_lanes([add_all(b, lane) for lane in lanes], outer, int(dim), bool(keep))


def _sum_fn(b, bd):
    return sum_along(b, b.to_array(bd["input"]), _dim_of(bd, None), _keepdim_of(bd))


def _mean_fn(b, bd):
    x, dim = b.to_array(bd["input"]), _dim_of(bd, None)
    total = sum_along(b, x, dim, _keepdim_of(bd))
    count = x.size if dim is None else x.shape[dim]
    return b.arith("/", total, count)


_DATA = ("data, dtype=None, device=None, requires_grad=False, name=None, copy=None, shape=None, ndmin=None, "
         "order=None, trainable=None, pin_memory=None, dtype_hint=None")
_JOIN = "tensors, dim=None, axis=None, out=None, name=None, dtype=None"
_REDUCE = "input, dim=None, keepdim=False, axis=None, keepdims=False, dtype=None, name=None, out=None"
for _fw, _ns in NAMESPACES:
    structural(f"{_ns}.stack", _JOIN, guarded(_stack(_fw), "stack"), "joins tensors along a new dim")
    structural(f"{_ns}.sum", _REDUCE, guarded(_sum_fn, "sum"), "sum of entries")
    structural(f"{_ns}.mean", _REDUCE, guarded(_mean_fn, "mean"), "mean of entries")
    structural(f"{_ns}.reshape", "input, shape", guarded(_reshape_fn, "reshape"), "same entries, new shape")
for _name, _fw in (("torch.tensor", "torch"), ("torch.as_tensor", "torch"), ("torch.Tensor", "torch"),
                   ("jax.numpy.array", "jax"), ("jax.numpy.asarray", "jax"),
                   ("tensorflow.constant", "tensorflow"), ("tensorflow.convert_to_tensor", "tensorflow"),
                   ("tensorflow.Variable", "tensorflow"), ("numpy.array", None), ("numpy.asarray", None)):
    structural(_name, _DATA, guarded(_tensor(_fw), "tensor"), "a tensor of the given entries")
for _name, _fw in (("torch.cat", "torch"), ("jax.numpy.concatenate", "jax"), ("tensorflow.concat", "tensorflow"),
                   ("numpy.concatenate", None)):
    structural(_name, _JOIN if _fw != "tensorflow" else "values:tensors, axis=None, name=None",
               guarded(_cat(_fw), "cat"), "joins tensors along a dim")
for _name in ("tensorflow.reduce_sum", "tensorflow.math.reduce_sum"):
    structural(_name, "input_tensor:input, axis=None, keepdims=False, name=None",
               guarded(_sum_fn, "reduce_sum"), "sum of entries")
for _name in ("tensorflow.reduce_mean", "tensorflow.math.reduce_mean"):
    structural(_name, "input_tensor:input, axis=None, keepdims=False, name=None",
               guarded(_mean_fn, "reduce_mean"), "mean of entries")


# -- tensor methods ------------------------------------------------------------------------------
def _m_reshape(b, bd):
    shape = bd["shape"]
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return reshape(b, b.to_array(bd["self"]), tuple(shape))


def _method(fn: Callable) -> Callable:
    def build(b, bd):
        arr = b.to_array(bd.pop("self"))
        try:
            return fn(arr, **bd)
        except (ShapeError, TypeError) as exc:
            b.fail(str(exc))
    return build


def _item(a: Array):
    if a.size != 1:
        raise ShapeError("item() of several entries")
    return a.items[0]


_METHODS: dict[str, tuple[str, Callable]] = {
    "reshape": ("self, *shape", _m_reshape),
    "view": ("self, *shape", _m_reshape),
    "unsqueeze": ("self, dim", _method(lambda a, dim: a.unsqueeze(dim))),
    "squeeze": ("self, dim=None", _method(lambda a, dim: a.squeeze(dim))),
    "flatten": ("self, *rest", _method(lambda a, rest: a.reshape((a.size,)))),
    "ravel": ("self", _method(lambda a: a.reshape((a.size,)))),
    "tolist": ("self", _method(lambda a: a.to_nested())),
    "item": ("self", _method(_item)),
    "size": ("self, dim=None", _method(lambda a, dim: tuple(a.shape) if dim is None else a.shape[dim])),
    "dim": ("self", _method(lambda a: a.ndim)),
    "numel": ("self", _method(lambda a: a.size)),
    "t": ("self", _method(lambda a: a.transpose())),
    "float": ("self", _method(lambda a: a if a.shape else a.items[0])),
    "double": ("self", _method(lambda a: a if a.shape else a.items[0])),
    "clone": ("self", _method(lambda a: a if a.shape else a.items[0])),
    "sum": ("self:input, dim=None, keepdim=False, axis=None, keepdims=False, dtype=None", _sum_fn),
    "mean": ("self:input, dim=None, keepdim=False, axis=None, keepdims=False, dtype=None", _mean_fn),
}
for _cls in TENSOR_CLASSES:
    for _name, (_sig, _build) in _METHODS.items():
        structural(f"{_cls}.{_name}", _sig, _build, f"the tensor method .{_name}()")
