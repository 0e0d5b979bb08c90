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

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

from ..core.errors import ArityError
from ..ir.values import Array, Infinity, ShapeError, is_number
from .conventions import resolve_name
from .registry import Call, Signature, add_call, python_number
from .tensors import Masked

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
    value = b.unmask(bd["x"])
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
    return to_python(b, b.scalar(value), "float()")


def to_python(b, value: Any, what: str) -> Any:
    """A tensor turned into a Python number: see :func:`registry.python_number`."""
    return python_number(b, value, what)


def _int(b, bd):
    value = b.unmask(bd["x"])
    if isinstance(value, str):
        return int(value)
    if is_number(value):
        return int(value)
    value = b.scalar(value)
    if is_number(value):
        return int(value)
    b.fail("int() of a value that depends on the inputs rounds it, which pwverify does not model",
           "keep it a float, or int() of shapes and constants")


def _bool(b, bd):
    value = bd["x"]
    if isinstance(value, (bool, int, Fraction, str)) or value is None:
        return bool(value)
    return b.truth(value)


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


def _select(b, bd):
    """``np.select(conditions, choices, default)``: the choice of the first condition that
    holds, built as a chain of the profile's ``where`` (jnp.select is ``lax.select_n``: a
    select too, with the same masks)."""
    conditions, choices = b.sequence(bd["condlist"]), b.sequence(bd["choicelist"])
    if len(conditions) != len(choices):
        b.fail(f"select: {len(conditions)} conditions but {len(choices)} choices", "one choice per condition")
    where = resolve_name("numpy.where", b.profile.framework)
    out = bd["default"]
    for condition, choice in reversed(list(zip(conditions, choices))):
        out = b.call_name(where, [condition, choice, out])
    return out


_TENSOR_CLASSES = {"torch.Tensor", "torch.FloatTensor", "torch.DoubleTensor", "numpy.ndarray", "jax.Array",
                   "jax.numpy.ndarray", "tensorflow.Tensor", "tensorflow.Variable", "torch.nn.Parameter"}
_PYTHON_CLASSES = {"builtins.int": int, "builtins.float": float, "builtins.bool": bool, "builtins.str": str,
                   "builtins.list": list, "builtins.tuple": tuple, "builtins.dict": dict}


def _isinstance(b, bd):
    """isinstance with tensor classes (a tensor, or a number that depends on the inputs, is one)
    and Python's classes (checked on constants)."""
    classes = bd["classinfo"]
    classes = list(classes) if isinstance(classes, (tuple, list)) else [classes]
    value = bd["obj"]
    for cls in classes:
        name = getattr(cls, "name", None)
        if name in _TENSOR_CLASSES and (isinstance(value, Array) or b.is_tensor(value)):
            return True
        py = _PYTHON_CLASSES.get(name)
        if py is not None and not b.is_tensor(value) and not isinstance(value, Array):
            if py is float and is_number(value) or isinstance(value, py) and not \
                    (py is int and isinstance(value, bool)):
                return True
        if name is None:
            b.fail(f"isinstance() with {b.describe(cls)}", "tensor classes and int/float/bool/str/list/tuple/dict")
    return False


def _partial(b, bd):
    return b.partial(bd["func"], tuple(bd["args"]))


def _identity(b, bd):
    return bd["x"]


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
    "bool": ("x=False", _bool),
    "str": ("x=''", lambda b, bd: bd["x"] if isinstance(bd["x"], str) else "<str>"),
    "dict": ("iterable=None", lambda b, bd: dict(b.sequence(bd["iterable"])) if bd["iterable"] else {}),
    "round": ("number, ndigits=None", lambda b, bd: round(bd["number"], bd["ndigits"]) if is_number(bd["number"])
              else b.fail("round() of a value that depends on the inputs is not supported")),
    "any": ("iterable", lambda b, bd: b.any_of(b.sequence(bd["iterable"]))),
    "all": ("iterable", lambda b, bd: b.all_of(b.sequence(bd["iterable"]))),
    "input": ("prompt=''", lambda b, bd: b.fail("input() reads from the keyboard",
                                                 "a constant, or a parameter of the analysed function")),
    "__pwverify_identity__": ("x", _identity),
}
for _name, (_sig, _build) in _BUILTINS.items():
    structural(f"builtins.{_name}", _sig, guarded(_build, _name), f"Python's {_name}")
structural("functools.reduce", "function, iterable, *initial", guarded(_reduce, "reduce"),
           "folds the function over the items (the function's tie rule applies at each step)")
structural("math.fsum", "iterable, start=0", guarded(_sum, "fsum"), "exact sum")
structural("functools.partial", "func, *args", _partial, "the function with its first arguments fixed")
for _name, _value in (("iscomplexobj", False), ("iscomplex", False), ("isrealobj", True), ("isreal", True)):
    structural(f"numpy.{_name}", "x", (lambda v: lambda b, bd: v)(_value), "pwverify's values are real")
    structural(f"torch.{_name}" if _name != "iscomplexobj" else "torch.is_complex", "x",
               (lambda v: lambda b, bd: v)(_value), "pwverify's values are real")


# -- gradient modes: torch.no_grad() and friends, as context managers -------------------------
@dataclass(frozen=True)
class GradMode:
    """What ``with torch.no_grad():`` (``enabled=False``) and similar context managers do.

    Measured on torch 2.13.0: ``no_grad`` and ``set_grad_enabled(False)`` detach in reverse
    mode only (forward-mode AD still propagates tangents through them);
    ``inference_mode`` detaches in both modes (``forward=True``)."""

    enabled: bool
    name: str
    forward: bool = False

    def detaches(self, mode: str) -> bool:
        return not self.enabled and (mode == "reverse" or self.forward)

    def describe_value(self) -> str:
        return self.name


def _grad_mode(enabled: bool, name: str):
    return lambda b, bd: GradMode(enabled, name)


for _name in ("torch.no_grad", "torch.autograd.no_grad", "torch.autograd.grad_mode.no_grad"):
    structural(_name, "", _grad_mode(False, _name), "a block whose values are detached (reverse mode)")
structural("torch.inference_mode", "mode=True",
           lambda b, bd: GradMode(not bd["mode"], "torch.inference_mode", True),
           "a block whose values are detached (in both modes)")
structural("torch.set_grad_enabled", "mode", lambda b, bd: GradMode(bool(bd["mode"]), "torch.set_grad_enabled"),
           "detached when mode is False")
for _name in ("torch.enable_grad", "torch.autocast", "torch.cuda.amp.autocast", "torch.cpu.amp.autocast",
              "contextlib.nullcontext", "warnings.catch_warnings", "numpy.errstate",
              "torch.autograd.set_detect_anomaly", "torch.autograd.detect_anomaly"):
    structural(_name, "*args, device_type=None, dtype=None, enabled=True, cache_enabled=None, all=None, "
               "divide=None, over=None, under=None, invalid=None, record=False, check_nan=True",
               (lambda n: lambda b, bd: GradMode(True, n))(_name),
               "no effect on the computed function")


# -- tensors: construction, joining, sums ----------------------------------------------------
def _tensor(framework: str | None, copies: bool = False):
    """``torch.tensor(data)`` and friends; ``copies``: the data is copied without its
    gradient (torch.tensor of a tensor, measured on torch 2.13: the gradient stops there)."""
    def build(b, bd):
        data = b.unmask(bd["data"])
        if isinstance(data, Array):
            arr = data
        else:
            arr = b.to_array(data if isinstance(data, (list, tuple)) else b.number(data))
        arr = b.number(arr)
        if copies:
            arr = b.detach(arr)
        dtype = getattr(bd.get("dtype"), "name", bd.get("dtype"))
        if isinstance(dtype, str) and dtype.split(".")[-1] in ("bool", "bool_"):
            return Array(arr.shape, arr.items, framework)
        return Array(arr.shape, arr.items, framework)
    return build


def _dim_of(bd, default: Any = 0) -> Any:
    """``dim`` or its alias ``axis`` (torch accepts both, numpy and jax say axis)."""
    for key in ("dim", "axis"):
        if bd.get(key) is not None:
            return bd[key]
    return default


def alias(bd, *names, default: Any = None) -> Any:
    """The first of several spellings of one argument that was given (``dim`` or ``axis``)."""
    for key in names:
        if bd.get(key) is not None:
            return bd[key]
    return default


def _keepdim_of(bd) -> bool:
    return bool(bd.get("keepdim") or bd.get("keepdims"))


def reshape(b, arr: Array, shape: tuple) -> Array:
    try:
        return arr.reshape(shape)
    except ShapeError as exc:
        b.fail(str(exc))


def sum_along(b, x: Array, dim, keep) -> Any:
    """The sum of all entries (``dim=None``) or along ``dim`` (an int or a tuple of dims)."""
    if dim is None:
        return add_all(b, x.items)
    dim = _dims_arg(b, x, dim)
    outer, lanes = x.lanes(dim)
    return x.stack_lanes([add_all(b, lane) for lane in lanes], outer, dim, bool(keep))


def _dims_arg(b, x: Array, dim):
    """``dim`` as an int or a tuple of ints (``()``: every dimension, as torch reads it)."""
    if isinstance(dim, (tuple, list)):
        dim = tuple(dim) or tuple(range(x.ndim))
        try:
            x._dims(dim)
        except ShapeError as exc:
            b.fail(str(exc))
        return dim
    return int(dim)


def dims_size(x: Array, dim) -> int:
    """How many entries a reduction along ``dim`` (an int or a tuple) takes per lane."""
    return math.prod(x.shape[d] for d in x._dims(dim))


def masked_entries(b, value: Any) -> tuple[Array, Any]:
    """The entries to sum, and how many there are: ``x[mask]`` contributes ``x`` where the
    mask holds and 0 elsewhere (a lazy select), and counts ``mask.sum()`` entries."""
    if isinstance(value, Masked):
        items = [b.select(c, [v], [0], lazy=True)[0] for c, v in zip(value.mask.items, b.number(value.values).items)]
        return value.values.with_items(items), add_all(b, [b.number(c) for c in value.mask.items])
    arr = b.to_array(b.number(value))
    return arr, None


def _sum_fn(b, bd):
    x, _ = masked_entries(b, bd["input"])
    if isinstance(bd["input"], Masked) and _dim_of(bd, None) is not None:
        b.fail("x[mask].sum(dim): x[mask] is 1-D with as many entries as the mask holds", "x[mask].sum()")
    return sum_along(b, x, _dim_of(bd, None), _keepdim_of(bd))


def _mean_fn(b, bd):
    x, count = masked_entries(b, bd["input"])
    dim = _dim_of(bd, None)
    if count is not None and dim is not None:
        b.fail("x[mask].mean(dim): x[mask] is 1-D with as many entries as the mask holds", "x[mask].mean()")
    total = sum_along(b, x, dim, _keepdim_of(bd))
    if count is None:
        count = x.size if dim is None else dims_size(x, _dims_arg(b, x, dim))
    return b.arith("/", total, count)


sum_method = guarded(_sum_fn, "sum")
mean_method = guarded(_mean_fn, "mean")
_DATA = ("data, dtype=None, device=None, requires_grad=False, name=None, copy=None, shape=None, ndmin=None, "
         "order=None, trainable=None, pin_memory=None, dtype_hint=None")
_REDUCE = "input, dim=None, keepdim=False, axis=None, keepdims=False, dtype=None, name=None, out=None"
for _fw, _ns in NAMESPACES:
    structural(f"{_ns}.sum", _REDUCE, guarded(_sum_fn, "sum"), "sum of entries")
    structural(f"{_ns}.mean", _REDUCE, guarded(_mean_fn, "mean"), "mean of entries")
for _name, _fw in (("torch.tensor", "torch"), ("torch.as_tensor", "torch"), ("torch.Tensor", "torch"),
                   ("jax.numpy.array", "jax"), ("jax.numpy.asarray", "jax"),
                   ("tensorflow.constant", "tensorflow"), ("tensorflow.convert_to_tensor", "tensorflow"),
                   ("tensorflow.Variable", "tensorflow"), ("numpy.array", None), ("numpy.asarray", None)):
    structural(_name, _DATA, guarded(_tensor(_fw, copies=_name == "torch.tensor"), "tensor"),
               "a tensor of the given entries" + (" (copied without their gradient)" if _name == "torch.tensor" else ""))
for _name in ("numpy.select", "jax.numpy.select"):
    structural(_name, "condlist, choicelist, default=0", guarded(_select, "select"),
               "the choice of the first condition that holds (a chain of where)")
for _name in ("tensorflow.reduce_sum", "tensorflow.math.reduce_sum"):
    structural(_name, "input_tensor:input, axis=None, keepdims=False, name=None",
               guarded(_sum_fn, "reduce_sum"), "sum of entries")
for _name in ("tensorflow.reduce_mean", "tensorflow.math.reduce_mean"):
    structural(_name, "input_tensor:input, axis=None, keepdims=False, name=None",
               guarded(_mean_fn, "reduce_mean"), "mean of entries")
