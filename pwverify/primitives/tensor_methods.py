"""Tensor methods and functions that are the program's own operators in another spelling
(``x.mul(y)``, ``torch.lt(a, b)``, ``np.logical_and``), casts (``.float()``, ``.type(...)``,
``.astype``), reads into Python (``.item()``, ``.tolist()``: detached), masks
(``mask.sum()``, ``.any()``, ``.nonzero()``, ``masked_fill``) and jax's ``x.at[i].set``.

A comparison is a condition; used as a number (``(x > 0).float()``, ``mask.sum()``,
``(x > 0) * x``) it is a step function: 1 where it holds, else 0, with derivative 0.
"""

from __future__ import annotations

from typing import Any, Callable

from ..ir.values import Array, Cond, ShapeError, cond_not
from .structural import (TENSOR_CLASSES, add_all, alias, guarded, mean_method, structural, sum_method,
                         to_python)
from .tensors import AtIndexer, MaskIndex


def _arith(op: str, swap: bool = False):
    def build(b, bd):
        x, y = bd["input"], bd["other"]
        if bd.get("alpha") not in (None, 1):
            y = b.arith("*", y, bd["alpha"])
        return b.arith(op, y, x) if swap else b.arith(op, x, y)
    return build


def _compare(rel: str):
    def build(b, bd):
        return b.compare(rel, bd["input"], bd["other"])
    return build


def _logical(kind: str):
    def build(b, bd):
        x = b.truth_array(bd["input"])
        if kind == "not":
            return _map(x, cond_not)
        y = b.truth_array(bd["other"])
        return b.logical(kind, x, y)
    return build


def _map(value: Any, fn: Callable) -> Any:
    if isinstance(value, Array):
        return value.with_items([fn(v) for v in value.items])
    return fn(value)


def dtype_kind(dtype: Any) -> str:
    """``"bool"``, ``"int"`` or ``"float"`` for a dtype spelled any way (torch.long, np.float32,
    ``float``, ``"int64"``, ``torch.BoolTensor``)."""
    name = getattr(dtype, "name", dtype)
    if not isinstance(name, str):
        return "float"
    leaf = name.split(".")[-1].lower()
    if leaf.startswith("bool"):
        return "bool"
    if leaf.startswith(("int", "long", "uint", "short")) or leaf in ("longtensor", "inttensor", "bytetensor"):
        return "int"
    return "float"


def cast(b, value: Any, kind: str) -> Any:
    """A value as a bool, int or float tensor: conditions become 1/0 numbers and back."""
    value = b.unmask(value)
    if kind == "bool":
        return _map(value if isinstance(value, Array) else value, lambda v: v if isinstance(v, (Cond, bool))
                    else b.truth(v))
    value = b.number(value)
    if kind == "int":
        def to_int(v):
            if b.is_tensor(v):
                b.fail("a cast to an integer type rounds a value that depends on the inputs, which pwverify "
                       "does not model", "a float type, or integer casts of masks and constants")
            return v
        return _map(value, to_int)
    return value


def _cast_to(kind: str):
    return lambda b, bd: cast(b, bd["input"], kind)


def _type(b, bd):
    dtype = bd["dtype"]
    if dtype is None:
        return "torch.FloatTensor"
    return cast(b, bd["input"], dtype_kind(dtype))


def _to(b, bd):
    args = list(bd["args"]) + [bd.get("dtype")]
    for a in args:
        name = getattr(a, "name", None)
        if name and (name.startswith(("torch.float", "torch.int", "torch.long", "torch.bool", "torch.double",
                                      "torch.half", "torch.bfloat"))):
            return cast(b, bd["input"], dtype_kind(a))
        if isinstance(a, Array):
            return bd["input"]
    return bd["input"]


def _type_as(b, bd):
    other = bd["other"]
    kind = "bool" if isinstance(other, Cond) or isinstance(other, Array) and other.items and \
        all(isinstance(v, Cond) for v in other.items) else "float"
    return cast(b, bd["input"], kind)


def _item(b, bd):
    arr = b.to_array(b.unmask(bd["input"]))
    if arr.size != 1:
        b.fail(f".item() of a tensor of shape {arr.shape} (one entry needed)")
    return to_python(b, b.scalar(arr.items[0]), ".item()")


def _tolist(b, bd):
    arr = b.to_array(b.number(b.unmask(bd["input"])))
    return nested(arr.with_items([to_python(b, v, ".tolist()") for v in arr.items]))


def nested(arr: Array) -> Any:
    """An array as nested Python lists (a 0-d array: its entry)."""
    if not arr.shape:
        return arr.items[0]
    step = arr.size // arr.shape[0]
    return [nested(Array(arr.shape[1:], arr.items[i * step:(i + 1) * step])) for i in range(arr.shape[0])]


def _numpy(b, bd):
    value = b.number(b.unmask(bd["input"]))
    if b.profile.framework == "torch" and b.is_tensor(value):
        return b.detach(value)
    return value


def _any_all(kind: str):
    def build(b, bd):
        value = b.unmask(bd["input"])
        arr = b.truth_array(value)
        dim = alias(bd, "dim", "axis")
        if dim is None:
            items = arr.items if isinstance(arr, Array) else [arr]
            return b.any_of(items) if kind == "any" else b.all_of(items)
        d = dim % arr.ndim
        outer, lanes = arr.lanes(d)
        values = [b.any_of(lane) if kind == "any" else b.all_of(lane) for lane in lanes]
        return arr.stack_lanes(values, outer, d, bool(bd.get("keepdim") or bd.get("keepdims")))
    return build


def _count_nonzero(b, bd):
    arr = b.truth_array(b.unmask(bd["input"]))
    return add_all(b, [b.number(v) for v in (arr.items if isinstance(arr, Array) else [arr])])


def _nonzero(b, bd):
    return MaskIndex(b.to_array(b.truth_array(bd["input"])))


def _masked_fill(b, bd):
    arr = b.to_array(b.number(b.unmask(bd["input"])))
    mask = b.truth_array(bd["mask"])
    return b.where(mask, bd["value"], arr)


def _where_method(b, bd):
    return b.where(b.truth_array(bd["condition"]), bd["input"], bd["other"])


def _fill(value_of: Callable):
    def build(b, bd):
        arr = b.to_array(b.unmask(bd["input"]))
        return arr.with_items([b.number(value_of(bd))] * arr.size)
    return build


def _new(fill: Any):
    def build(b, bd):
        sizes = bd["size"]
        if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
            sizes = sizes[0]
        src = b.to_array(b.unmask(bd["input"]))
        value = fill if fill is not None else b.number(bd["fill_value"])
        n = 1
        for s in sizes:
            n *= s
        return Array(tuple(sizes), (value,) * n, src.framework)
    return build


def _matmul(b, bd):
    return b.arith("@", bd["input"], bd["other"])


def _pairwise_distance(b, bd):
    """``F.pairwise_distance(x1, x2, p, eps)``: the p-norm of ``x1 - x2 + eps`` over the last dim."""
    diff = b.arith("+", b.arith("-", bd["x1"], bd["x2"]), bd["eps"])
    return b.call_name("torch.linalg.vector_norm", [diff], {"ord": bd["p"], "dim": -1, "keepdim": bd["keepdim"]})


def _at_update(kind: str):
    """jax's ``x.at[key].set(v)`` / ``.add`` / ``.multiply`` / ``.divide`` / ``.min`` / ``.max`` / ``.get``."""
    def build(b, bd):
        at = bd["self"]
        if not isinstance(at, AtIndexer) or not at.indexed:
            b.fail("x.at needs an index: x.at[i].set(v)")
        key = at.key if isinstance(at.key, tuple) else (at.key,)
        if not all(isinstance(k, (int, slice)) or k is None or k is Ellipsis for k in key):
            b.fail("x.at[...] with an index that depends on the inputs or is not an int or a slice",
                   "constant integer indices, slices and loop counters")
        arr = at.array
        try:
            current = arr.index(key)
        except (ShapeError, IndexError) as exc:
            b.fail(f"x.at[...]: {exc}")
        if kind == "get":
            return current
        value = b.number(bd["values"])
        if kind == "set":
            new = value
        elif kind in ("min", "max"):
            new = b.call_name(f"jax.numpy.{kind}imum", [current, value])
        else:
            new = b.arith({"add": "+", "multiply": "*", "mul": "*", "divide": "/", "power": "**"}[kind],
                          current, value)
        try:
            return arr.set_index(key, new)
        except (ShapeError, IndexError) as exc:
            b.fail(f"x.at[...]: {exc}")
    return build


_ARITH = {"add": "+", "sub": "-", "subtract": "-", "mul": "*", "multiply": "*", "div": "/", "divide": "/",
          "true_divide": "/", "pow": "**"}
_COMPARE = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!=", "less": "<",
            "less_equal": "<=", "greater": ">", "greater_equal": ">=", "equal": "==", "not_equal": "!=",
            "not_equal_to": "!="}
_METHODS: dict[str, tuple[str, Callable]] = {
    **{name: ("input, other, alpha=None", guarded(_arith(op), name)) for name, op in _ARITH.items()},
    "rsub": ("input, other, alpha=None", guarded(_arith("-", swap=True), "rsub")),
    "square": ("input", lambda b, bd: b.arith("*", bd["input"], bd["input"])),
    **{name: ("input, other", guarded(_compare(rel), name)) for name, rel in _COMPARE.items()},
    "logical_and": ("input, other", _logical("and")),
    "logical_or": ("input, other", _logical("or")),
    "logical_xor": ("input, other", _logical("xor")),
    "logical_not": ("input", _logical("not")),
    "float": ("input, memory_format=None", _cast_to("float")),
    "double": ("input, memory_format=None", _cast_to("float")),
    "half": ("input, memory_format=None", _cast_to("float")),
    "long": ("input, memory_format=None", _cast_to("int")),
    "int": ("input, memory_format=None", _cast_to("int")),
    "bool": ("input, memory_format=None", _cast_to("bool")),
    "type": ("input, dtype=None, non_blocking=False", _type),
    "astype": ("input, dtype, copy=True, order=None, casting=None", lambda b, bd: cast(b, bd["input"],
                                                                                       dtype_kind(bd["dtype"]))),
    "to": ("input, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None", _to),
    "type_as": ("input, other", _type_as),
    "cpu": ("input, memory_format=None", lambda b, bd: bd["input"]),
    "cuda": ("input, device=None, non_blocking=False, memory_format=None", lambda b, bd: bd["input"]),
    "numpy": ("input, force=False", _numpy),
    "item": ("input", _item),
    "tolist": ("input", _tolist),
    "any": ("input, dim=None, keepdim=False, axis=None, keepdims=False", _any_all("any")),
    "all": ("input, dim=None, keepdim=False, axis=None, keepdims=False", _any_all("all")),
    "nonzero": ("input, as_tuple=False", _nonzero),
    "count_nonzero": ("input, dim=None", _count_nonzero),
    "masked_fill": ("input, mask, value", _masked_fill),
    "where": ("input, condition, other", _where_method),
    "fill_": ("input, value", _fill(lambda bd: bd["value"])),
    "zero_": ("input", _fill(lambda bd: 0)),
    "new_zeros": ("input, *size, dtype=None, device=None, requires_grad=False", _new(0)),
    "new_ones": ("input, *size, dtype=None, device=None, requires_grad=False", _new(1)),
    "new_full": ("input, size, fill_value, dtype=None, device=None, requires_grad=False",
                 lambda b, bd: _new(None)(b, {**bd, "size": [bd["size"]]})),
    "matmul": ("input, other", _matmul),
    "mm": ("input, other", _matmul),
    "bmm": ("input, other", _matmul),
    "dot": ("input, other", _matmul),
    "size": ("input, dim=None", guarded(lambda b, bd: tuple(b.to_array(bd["input"]).shape) if bd["dim"] is None
                                        else b.to_array(bd["input"]).shape[bd["dim"]], "size")),
    "sum": ("input, dim=None, keepdim=False, axis=None, keepdims=False, dtype=None", sum_method),
    "mean": ("input, dim=None, keepdim=False, axis=None, keepdims=False, dtype=None", mean_method),
    "dim": ("input", lambda b, bd: b.to_array(bd["input"]).ndim),
    "ndimension": ("input", lambda b, bd: b.to_array(bd["input"]).ndim),
    "numel": ("input", lambda b, bd: b.to_array(bd["input"]).size),
    "nelement": ("input", lambda b, bd: b.to_array(bd["input"]).size),
}
_NOT_METHODS = {"subtract", "multiply", "divide", "less", "less_equal", "greater", "greater_equal", "equal",
                "not_equal", "not_equal_to", "count_nonzero"}
for _cls in TENSOR_CLASSES:
    for _name, (_sig, _build) in _METHODS.items():
        if _name in _NOT_METHODS:
            continue
        structural(f"{_cls}.{_name}", _sig.replace("input", "self:input", 1), _build,
                   f"the tensor method .{_name}()")

# functions spelled in each namespace (those not registered with a primitive already)
_FUNCTIONS = {
    "torch": ["lt", "le", "gt", "ge", "eq", "ne", "less", "less_equal", "greater", "greater_equal",
              "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "any", "all", "nonzero",
              "count_nonzero", "masked_fill", "matmul", "mm", "bmm", "dot", "pow", "rsub", "numel"],
    "jax.numpy": ["less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "logical_and",
                  "logical_or", "logical_xor", "logical_not", "any", "all", "nonzero", "count_nonzero", "matmul",
                  "dot", "power"],
    "numpy": ["less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "logical_and", "logical_or",
              "logical_xor", "logical_not", "any", "all", "nonzero", "count_nonzero", "matmul", "dot", "power"],
    "tensorflow": ["less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "logical_and",
                   "logical_or", "logical_xor", "logical_not", "matmul", "pow"],
    "tensorflow.math": ["less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "logical_and",
                        "logical_or", "logical_not", "pow", "count_nonzero"],
}
for _ns, _names in _FUNCTIONS.items():
    for _name in _names:
        _sig, _build = _METHODS["pow" if _name == "power" else _name]
        structural(f"{_ns}.{_name}", _sig, _build, f"{_name}")
for _ns in ("numpy", "jax.numpy"):
    structural(f"{_ns}.ndarray.astype", _METHODS["astype"][0], _METHODS["astype"][1], "a cast")
structural("tensorflow.cast", "x:input, dtype, name=None", lambda b, bd: cast(b, bd["input"], dtype_kind(bd["dtype"])),
           "a cast (conditions become 1/0 numbers)")
structural("tensorflow.reduce_any", "input_tensor:input, axis:dim=None, keepdims:keepdim=False, name=None",
           _any_all("any"), "any entry holds")
structural("tensorflow.reduce_all", "input_tensor:input, axis:dim=None, keepdims:keepdim=False, name=None",
           _any_all("all"), "every entry holds")
structural("torch.nn.functional.pairwise_distance", "x1, x2, p=2.0, eps=1e-06, keepdim=False",
           _pairwise_distance, "the p-norm of x1 - x2 + eps over the last dim (torch's definition)")
for _kind in ("set", "add", "multiply", "mul", "divide", "power", "min", "max", "get"):
    structural(f"jax.Array.at.{_kind}", "self, values=None, indices_are_sorted=False, unique_indices=False, "
               "mode=None, fill_value=None", _at_update(_kind), f"x.at[i].{_kind}(v): a new array")
