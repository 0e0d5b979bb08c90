"""Structural calls that move entries around: construction (``zeros``, ``empty``, ``full``,
``arange``), reshaping, permuting, joining and splitting, in every framework's spelling.

None of them reaches a primitive: entries are copied (or, for ``diff``/``cumsum``/``prod``,
combined with the program's own arithmetic), so gradients are those of the entries.

>>> from pwverify.primitives import registry
>>> sorted(n for n in registry.all_calls() if n.endswith(".permute"))
['jax.Array.permute', 'tensorflow.Tensor.permute', 'torch.Tensor.permute', 'torch.permute']
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any, Callable

from ..ir.values import Array, ShapeError, broadcast_to, is_number
from .structural import NAMESPACES, TENSOR_CLASSES, alias, guarded, structural
from .tensors import Unset

_FW = {ns: fw for fw, ns in NAMESPACES}


def dim_index(arr: Array, dim: Any, extra: int = 0) -> int:
    """``dim`` counted from 0 (negative dims from the end); ``extra`` allows one past the end."""
    n = arr.ndim + extra
    if not isinstance(dim, int) or not -max(n, 1) <= dim < max(n, 1):
        raise ShapeError(f"dimension {dim} out of range for a tensor of shape {arr.shape}")
    return dim % max(n, 1)


def _shape_arg(values: Any, free: bool = False) -> tuple[int, ...]:
    """``zeros(3, 4)``, ``zeros((3, 4))``, ``zeros([3, 4])`` and ``zeros(n)`` (``free``: one
    dim may be -1, as in ``reshape(-1, 2)``)."""
    if isinstance(values, (list, tuple)) and len(values) == 1 and isinstance(values[0], (list, tuple)):
        values = values[0]
    if isinstance(values, int):
        values = (values,)
    out = tuple(values)
    lowest = -1 if free else 0
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= lowest for n in out):
        raise ShapeError(f"a shape must be non-negative integers known when reading the program, got {out}")
    return out


def permute(arr: Array, perm: tuple[int, ...]) -> Array:
    perm = tuple(dim_index(arr, p) for p in perm)
    if sorted(perm) != list(range(arr.ndim)):
        raise ShapeError(f"{perm} is not a permutation of the dims of a tensor of shape {arr.shape}")
    shape = tuple(arr.shape[p] for p in perm)
    items = []
    for idx in itertools.product(*[range(n) for n in shape]):
        src = [0] * arr.ndim
        for i, p in enumerate(perm):
            src[p] = idx[i]
        items.append(arr.item(tuple(src)))
    return arr.with_items(items, shape)


def swap(arr: Array, d0: int, d1: int) -> Array:
    if arr.ndim < 2:
        return arr
    perm = list(range(arr.ndim))
    a, b = dim_index(arr, d0), dim_index(arr, d1)
    perm[a], perm[b] = perm[b], perm[a]
    return permute(arr, tuple(perm))


def stack(arrays: list[Array], dim: int, framework: str | None) -> Array:
    if not arrays or any(a.shape != arrays[0].shape for a in arrays):
        raise ShapeError("stack() needs tensors of the same shape")
    d = dim_index(arrays[0], dim, extra=1)
    inner = arrays[0].shape
    shape = inner[:d] + (len(arrays),) + inner[d:]
    items = [arrays[idx[d]].item(idx[:d] + idx[d + 1:]) if inner else arrays[idx[d]].items[0]
             for idx in itertools.product(*[range(n) for n in shape])]
    return Array(shape, tuple(items), framework)


def concat(arrays: list[Array], dim: int, framework: str | None) -> Array:
    arrays = [a for a in arrays if a.size or a.ndim > 1]
    if not arrays:
        raise ShapeError("cat() of no tensors")
    if any(a.ndim == 0 for a in arrays):
        raise ShapeError("cat() of a 0-d tensor (stack() makes a new dim)")
    d = dim_index(arrays[0], dim)
    for a in arrays:
        if a.ndim != arrays[0].ndim or a.shape[:d] + a.shape[d + 1:] != arrays[0].shape[:d] + arrays[0].shape[d + 1:]:
            raise ShapeError(f"cat() of shapes {' and '.join(str(x.shape) for x in arrays)} along dim {dim}")
    total = sum(a.shape[d] for a in arrays)
    shape = arrays[0].shape[:d] + (total,) + arrays[0].shape[d + 1:]
    owners = [(a, k) for a in arrays for k in range(a.shape[d])]
    items = []
    for idx in itertools.product(*[range(n) for n in shape]):
        a, k = owners[idx[d]]
        items.append(a.item(idx[:d] + (k,) + idx[d + 1:]))
    return Array(shape, tuple(items), framework or arrays[0].framework)


def flip(arr: Array, dims: tuple[int, ...]) -> Array:
    ds = {dim_index(arr, d) for d in dims}
    items = [arr.item(tuple(arr.shape[i] - 1 - j if i in ds else j for i, j in enumerate(idx)))
             for idx in itertools.product(*[range(n) for n in arr.shape])]
    return arr.with_items(items)


def roll(arr: Array, shifts: Any, dims: Any) -> Array:
    if dims is None:
        return roll(arr.reshape((arr.size,)), shifts, 0).reshape(arr.shape)
    shifts = tuple(shifts) if isinstance(shifts, (list, tuple)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    moves = {dim_index(arr, d): int(s) for s, d in zip(shifts, dims)}
    items = [arr.item(tuple((j - moves.get(i, 0)) % arr.shape[i] for i, j in enumerate(idx)))
             for idx in itertools.product(*[range(n) for n in arr.shape])]
    return arr.with_items(items)


def lanes_apply(b, arr: Array, dim: Any, fn: Callable[[list], list]) -> Array:
    """Replace each 1-D slice along ``dim`` by ``fn(slice)`` (same length or not)."""
    d = dim_index(arr, dim)
    outer, lanes = arr.lanes(d)
    results = [fn(lane) for lane in lanes]
    length = len(results[0]) if results else 0
    shape = arr.shape[:d] + (length,) + arr.shape[d + 1:]
    items = [None] * math.prod(shape)
    strides = Array(shape, tuple(range(math.prod(shape)))).strides()
    for index, res in zip(itertools.product(*[range(n) for n in outer]), results):
        for k, v in enumerate(res):
            full = index[:d] + (k,) + index[d:]
            items[sum(i * s for i, s in zip(full, strides))] = v
    return Array(shape, tuple(items), arr.framework)


# -- construction ---------------------------------------------------------------------------------
def _filled(fill: Callable[[Any, Any], Any], framework: str | None, like: bool = False):
    def build(b, bd):
        if like:
            src = b.to_array(bd["input"])
            shape = src.shape
            fw = src.framework or framework
        else:
            shape = _shape_arg(bd["size"] if "size" in bd else bd["shape"])
            fw = framework
        value = fill(b, bd)
        return Array(shape, (value,) * math.prod(shape), fw)
    return build


def _fill_value(b, bd):
    value = bd["fill_value"]
    if isinstance(value, (list, tuple, Array)):
        b.fail("full() with a tensor as the fill value", "a number")
    return b.number(value)


def _unset(what: str):
    return lambda b, bd: Unset(f"{what} at {b.location}")


def _arange(framework: str | None):
    def build(b, bd):
        args = [a for a in (bd["start"], bd["end"], bd["step"]) if a is not None]
        if not all(is_number(a) for a in args):
            b.fail("arange() bounds must be constants", "arange(N) with N known when reading the program")
        start, end, step = (0, args[0], 1) if len(args) == 1 else (args[0], args[1], args[2] if len(args) > 2 else 1)
        if step == 0:
            b.fail("arange() with step 0")
        count = max(0, math.ceil(Fraction(end - start) / Fraction(step)))
        return Array((count,), tuple(start + k * step for k in range(count)), framework)
    return build


def _linspace(framework: str | None):
    def build(b, bd):
        start, stop, num = bd["start"], bd["stop"], bd["num"]
        if not (is_number(start) and is_number(stop) and isinstance(num, int)):
            b.fail("linspace() needs constant bounds and count")
        if num == 1:
            return Array((1,), (Fraction(start),), framework)
        step = Fraction(stop - start) / (num - 1)
        return Array((num,), tuple(Fraction(start) + k * step for k in range(num)), framework)
    return build


def _eye(framework: str | None):
    def build(b, bd):
        n, m = bd["n"], bd["m"] if bd["m"] is not None else bd["n"]
        return Array((n, m), tuple(int(i == j) for i in range(n) for j in range(m)), framework)
    return build


_ZERO = lambda b, bd: 0  # noqa: E731
_ONE = lambda b, bd: 1  # noqa: E731
_KW = "dtype=None, device=None, requires_grad=False, layout=None, out=None, name=None, order=None, like=None"
for _fw, _ns in NAMESPACES:
    _size = "*size" if _fw == "torch" else "shape"
    for _name, _fill in (("zeros", _ZERO), ("ones", _ONE)):
        structural(f"{_ns}.{_name}", f"{_size}, {_KW}", guarded(_filled(_fill, _fw), _name),
                   f"a tensor of {_name}")
        structural(f"{_ns}.{_name}_like", f"input, {_KW}, memory_format=None, shape=None",
                   guarded(_filled(_fill, _fw, like=True), f"{_name}_like"), f"a tensor of {_name}")
    structural(f"{_ns}.full", f"{'size' if _fw == 'torch' else 'shape'}, fill_value, {_KW}",
               guarded(_filled(_fill_value, _fw), "full"), "a tensor of one value")
    structural(f"{_ns}.full_like", f"input, fill_value, {_KW}, memory_format=None, shape=None",
               guarded(_filled(_fill_value, _fw, like=True), "full_like"), "a tensor of one value")
    structural(f"{_ns}.arange", f"start, end=None, step=None, {_KW}", _arange(_fw), "constants start, start+step, ...")
    structural(f"{_ns}.linspace", f"start, stop, num=50, endpoint=True, {_KW}", _linspace(_fw),
               "evenly spaced constants (exact)")
    structural(f"{_ns}.eye", f"n, m=None, k=0, {_KW}", _eye(_fw), "the identity matrix")
    if _fw != "tensorflow":
        structural(f"{_ns}.empty", f"{_size}, {_KW}", guarded(_filled(_unset(f"{_ns}.empty"), _fw), "empty"),
                   "entries to be written before they are read")
        structural(f"{_ns}.empty_like", f"input, {_KW}, memory_format=None, shape=None",
                   guarded(_filled(_unset(f"{_ns}.empty_like"), _fw, like=True), "empty_like"),
                   "entries to be written before they are read")
def _random(name: str):
    return lambda b, bd: Unset(f"{name} at {b.location}", random=True)


for _name in ("torch.randn", "torch.rand", "torch.empty_strided", "numpy.random.randn", "numpy.random.rand"):
    structural(_name, f"*size, generator=None, {_KW}",
               guarded(_filled(_random(_name), "torch" if _name.startswith("torch") else None), "random"),
               "random values: usable only as the initial value of a parameter")
for _name in ("torch.randn_like", "torch.rand_like"):
    structural(_name, f"input, {_KW}, memory_format=None",
               guarded(_filled(_random(_name), "torch", like=True), "random"),
               "random values: usable only as the initial value of a parameter")
structural("tensorflow.fill", "dims, value, name=None",
           guarded(lambda b, bd: Array(_shape_arg(bd["dims"]), (b.number(bd["value"]),) * math.prod(
               _shape_arg(bd["dims"])), "tensorflow"), "fill"), "a tensor of one value")


# -- reshaping ---------------------------------------------------------------------------------------
def _arr(b, bd, key="input") -> Array:
    return b.to_array(b.unmask(bd[key]))


def _flatten(b, bd):
    arr = _arr(b, bd)
    if arr.ndim == 0:
        return arr.reshape((1,))
    lo, hi = dim_index(arr, bd["start_dim"]), dim_index(arr, bd["end_dim"])
    if lo > hi:
        raise ShapeError(f"flatten with start_dim {bd['start_dim']} after end_dim {bd['end_dim']}")
    return arr.reshape(arr.shape[:lo] + (math.prod(arr.shape[lo:hi + 1]),) + arr.shape[hi + 1:])


def _squeeze(b, bd):
    arr, dim = _arr(b, bd), alias(bd, "dim", "axis")
    if dim is None:
        return arr.squeeze()
    for d in sorted((dim_index(arr, d) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))),
                    reverse=True):
        if arr.shape[d] == 1:
            arr = arr.reshape(arr.shape[:d] + arr.shape[d + 1:])
    return arr


def _unsqueeze(b, bd):
    arr = _arr(b, bd)
    dims = bd["dim"] if isinstance(bd["dim"], (tuple, list)) else (bd["dim"],)
    for d in dims:
        arr = arr.unsqueeze(dim_index(arr, d, extra=1))
    return arr


def _transpose(b, bd):
    arr = _arr(b, bd)
    if bd.get("dim0") is not None:
        return swap(arr, bd["dim0"], bd["dim1"])
    perm = alias(bd, "axes", "perm")
    if perm is None:
        return permute(arr, tuple(reversed(range(arr.ndim))))
    return permute(arr, tuple(perm))


def _permute(b, bd):
    dims = bd["dims"]
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    return permute(_arr(b, bd), tuple(dims))


def _join(kind: str, framework: str | None):
    def build(b, bd):
        arrays = [b.to_array(b.number(x)) for x in b.sequence(bd["tensors"])]
        dim = next((bd[k] for k in ("dim", "axis") if bd.get(k) is not None), 0)
        if kind == "stack":
            return stack(arrays, dim, framework)
        if kind == "hstack":
            return concat([a.reshape((a.size,)) if a.ndim == 0 else a for a in arrays], 0 if arrays[0].ndim <= 1 else 1,
                          framework)
        if kind == "vstack":
            return concat([a.reshape((1, a.size)) if a.ndim <= 1 else a for a in arrays], 0, framework)
        return concat(arrays, dim, framework)
    return build


def _split(b, bd):
    arr = _arr(b, bd)
    d = dim_index(arr, bd["dim"])
    size = bd["split_size_or_sections"]
    n = arr.shape[d]
    sizes = list(size) if isinstance(size, (list, tuple)) else [size] * (n // size) + ([n % size] if n % size else [])
    return _pieces(arr, d, sizes)


def _chunk(b, bd):
    arr = _arr(b, bd)
    d = dim_index(arr, bd["dim"])
    n, chunks = arr.shape[d], int(bd["chunks"])
    size = -(-n // chunks)
    sizes = [size] * (n // size) + ([n % size] if n % size else [])
    return _pieces(arr, d, sizes)


def _np_split(b, bd):
    arr = _arr(b, bd)
    d = dim_index(arr, bd["axis"])
    n, sections = arr.shape[d], bd["indices_or_sections"]
    if isinstance(sections, int):
        if n % sections:
            raise ShapeError(f"array split does not result in an equal division of {n} into {sections}")
        sizes = [n // sections] * sections
    else:
        bounds = [0] + list(sections) + [n]
        sizes = [bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1)]
    return _pieces(arr, d, sizes)


def _pieces(arr: Array, d: int, sizes: list[int]) -> tuple:
    out, start = [], 0
    for size in sizes:
        out.append(arr.index((slice(None),) * d + (slice(start, start + size),)))
        start += size
    return tuple(out)


def _expand(b, bd):
    arr = _arr(b, bd)
    sizes = bd["sizes"]
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    pad = (1,) * (len(sizes) - arr.ndim) + arr.shape
    shape = tuple(p if s == -1 else s for s, p in zip(sizes, pad))
    return broadcast_to(arr.reshape(pad), shape)


def _repeat(b, bd):
    """torch's ``x.repeat(*sizes)`` and numpy's ``tile``: whole copies along each dim."""
    arr = _arr(b, bd)
    reps = bd["sizes"]
    if len(reps) == 1 and isinstance(reps[0], (tuple, list)):
        reps = reps[0]
    reps = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    pad = (1,) * (len(reps) - arr.ndim) + arr.shape
    reps = (1,) * (len(pad) - len(reps)) + reps
    src = arr.reshape(pad)
    shape = tuple(p * r for p, r in zip(pad, reps))
    items = [src.item(tuple(i % p for i, p in zip(idx, pad))) for idx in itertools.product(*[range(n) for n in shape])]
    return Array(shape, tuple(items), arr.framework)


def _diff(b, bd):
    arr = _arr(b, bd)
    for _ in range(int(bd["n"])):
        arr = lanes_apply(b, arr, alias(bd, "axis", "dim", default=-1), lambda lane: [b.arith("-", lane[i + 1], lane[i])
                                                           for i in range(len(lane) - 1)])
    return arr


def _scan(op: str, start: int):
    """``cumsum`` (``op`` "+") and ``cumprod`` ("*"): running totals along a dim (all
    entries flattened when no dim is given), with the program's own arithmetic."""
    def build(b, bd):
        arr = _arr(b, bd)
        dim = alias(bd, "dim", "axis")
        if dim is None:
            arr, dim = arr.reshape((arr.size,)), 0

        def run(lane):
            out, total = [], start
            for v in lane:
                total = b.arith(op, total, v)
                out.append(total)
            return out
        return lanes_apply(b, arr, dim, run)
    return build


def _select(b, bd):
    """``x.select(dim, index)``: ``x[..., index, ...]`` with that dim removed."""
    arr = _arr(b, bd)
    d = dim_index(arr, bd["dim"])
    index = bd["index"]
    if not isinstance(index, int) or isinstance(index, bool) or not -arr.shape[d] <= index < arr.shape[d]:
        raise ShapeError(f"select: index {index!r} out of range for dim {d} of size {arr.shape[d]}")
    return arr.index((slice(None),) * d + (index,))


def _narrow(b, bd):
    arr = _arr(b, bd)
    d = dim_index(arr, bd["dim"])
    start, length = bd["start"], bd["length"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, length)):
        raise ShapeError("narrow's start and length must be integers known when reading the program")
    if start < 0:
        start += arr.shape[d]
    if not (0 <= start and length >= 0 and start + length <= arr.shape[d]):
        raise ShapeError(f"narrow: start {bd['start']} and length {length} do not fit dim {d} of size {arr.shape[d]}")
    return arr.index((slice(None),) * d + (slice(start, start + length),))


def _triangle(upper: bool):
    """``triu``/``tril``: the entries on and above (below) the ``diagonal``-th diagonal of
    the last two dims are kept, the others become the constant 0 (no gradient reaches them,
    as the frameworks' backward masks it)."""
    def build(b, bd):
        arr = _arr(b, bd)
        k = bd["k"] if bd.get("k") is not None else bd["diagonal"]
        if not isinstance(k, int) or isinstance(k, bool):
            raise ShapeError("the diagonal must be an integer known when reading the program")
        if arr.ndim < 2:
            raise ShapeError(f"triu/tril need at least 2 dims, got shape {arr.shape}")
        rows, cols = arr.shape[-2:]
        items = [v if ((c - r >= k) if upper else (c - r <= k)) else 0
                 for (r, c), v in zip(itertools.cycle(itertools.product(range(rows), range(cols))), arr.items)]
        return arr.with_items(items)
    return build


def _prod(b, bd):
    arr = b.to_array(b.number(b.unmask(bd["input"])))
    dim = alias(bd, "dim", "axis")

    def product(items):
        total = 1
        for v in items:
            total = b.arith("*", total, v)
        return total
    if dim is None:
        return product(arr.items)
    d = dim_index(arr, dim)
    outer, lanes = arr.lanes(d)
    return arr.stack_lanes([product(lane) for lane in lanes], outer, d, bool(bd["keepdim"] or bd["keepdims"]))


def _flip(b, bd):
    dims = alias(bd, "dims", "axis")
    if dims is None:
        dims = tuple(range(_arr(b, bd).ndim))
    elif not isinstance(dims, (list, tuple)):
        dims = (dims,)
    elif len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = dims[0]
    return flip(_arr(b, bd), tuple(dims))


def _roll(b, bd):
    return roll(_arr(b, bd), alias(bd, "shifts", "shift", default=0), alias(bd, "dims", "axis"))


def _broadcast_to(b, bd):
    return broadcast_to(_arr(b, bd), _shape_arg(bd["shape"]))


def _copy(b, bd):
    """A copy: a new tensor, so writing into it in place leaves the original as it was."""
    value = b.unmask(bd["input"])
    return value.with_items(value.items) if isinstance(value, Array) else value


_CALLS: dict[str, tuple[str, Callable]] = {
    # name: (signature, build); registered under each namespace and as tensor methods
    "reshape": ("input, *shape, order=None", lambda b, bd: _arr(b, bd).reshape(_shape_arg(bd["shape"], True))),
    "view": ("input, *shape", lambda b, bd: _arr(b, bd).reshape(_shape_arg(bd["shape"], True))),
    "flatten": ("input, start_dim=0, end_dim=-1", _flatten),
    "ravel": ("input, order=None", lambda b, bd: _arr(b, bd).reshape((_arr(b, bd).size,))),
    "squeeze": ("input, dim=None, axis=None, name=None", _squeeze),
    "unsqueeze": ("input, dim", _unsqueeze),
    "expand_dims": ("input, axis:dim, name=None", _unsqueeze),
    "permute": ("input, *dims", _permute),
    "transpose": ("input, dim0=None, dim1=None, axes=None, perm=None, name=None, conjugate=False",
                  _transpose),
    "swapaxes": ("input, axis1:dim0, axis2:dim1", lambda b, bd: swap(_arr(b, bd), bd["dim0"], bd["dim1"])),
    "t": ("input", lambda b, bd: swap(_arr(b, bd), 0, 1) if _arr(b, bd).ndim == 2 else _arr(b, bd)),
    "split": ("input, split_size_or_sections, dim=0", _split),
    "chunk": ("input, chunks, dim=0", _chunk),
    "expand": ("input, *sizes", _expand),
    "repeat": ("input, *sizes", _repeat),
    "tile": ("input, *sizes", _repeat),
    "broadcast_to": ("input, shape", _broadcast_to),
    "flip": ("input, dims=None, axis=None", _flip),
    "roll": ("input, shifts=None, dims=None, axis=None, shift=None", _roll),
    "diff": ("input, n=1, axis=None, dim=None", _diff),
    "cumsum": ("input, dim=None, axis=None, dtype=None, out=None", _scan("+", 0)),
    "cumprod": ("input, dim=None, axis=None, dtype=None, out=None", _scan("*", 1)),
    "narrow": ("input, dim, start, length", _narrow),
    "select": ("input, dim, index", _select),
    "triu": ("input, diagonal=0, k=None", _triangle(True)),
    "tril": ("input, diagonal=0, k=None", _triangle(False)),
    "prod": ("input, dim=None, keepdim=False, axis=None, keepdims=False, dtype=None, out=None", _prod),
    "copy": ("input, order=None", _copy),
    "clone": ("input, memory_format=None", _copy),
    "contiguous": ("input, memory_format=None", _copy),
    "view_as": ("input, other", lambda b, bd: _arr(b, bd).reshape(b.to_array(bd["other"]).shape)),
    "reshape_as": ("input, other", lambda b, bd: _arr(b, bd).reshape(b.to_array(bd["other"]).shape)),
    "expand_as": ("input, other", lambda b, bd: broadcast_to(_arr(b, bd), b.to_array(bd["other"]).shape)),
}
#: which of them each namespace has as a function (the rest are methods only)
_FUNCTIONS = {
    "torch": ["reshape", "flatten", "ravel", "squeeze", "unsqueeze", "permute", "transpose", "swapaxes", "t",
              "split", "chunk", "tile", "broadcast_to", "flip", "roll", "diff", "cumsum", "prod", "clone",
              "cumprod", "narrow", "select", "triu", "tril"],
    "jax.numpy": ["reshape", "ravel", "squeeze", "expand_dims", "transpose", "swapaxes", "tile", "broadcast_to", "flip",
                  "roll", "diff", "cumsum", "prod", "copy", "cumprod", "triu", "tril"],
    "numpy": ["reshape", "ravel", "squeeze", "expand_dims", "transpose", "swapaxes", "tile", "broadcast_to", "flip",
              "roll", "diff", "cumsum", "prod", "copy", "cumprod", "triu", "tril"],
    "tensorflow": ["reshape", "squeeze", "expand_dims", "transpose", "tile", "broadcast_to", "roll"],
}
for _ns, _names in _FUNCTIONS.items():
    for _name in _names:
        _sig, _build = _CALLS[_name]
        if _name == "tile" and _ns != "torch":
            _sig = "input, reps:sizes"
        structural(f"{_ns}.{_name}", _sig, guarded(_build, _name), f"{_name} (entries are moved, not changed)")
for _cls in TENSOR_CLASSES:
    for _name, (_sig, _build) in _CALLS.items():
        if _name in ("tile", "broadcast_to", "diff", "expand_dims", "swapaxes") or (
                _name in ("narrow", "select", "triu", "tril") and _cls != "torch.Tensor"):
            continue
        structural(f"{_cls}.{_name}", _sig.replace("input", "self:input", 1), guarded(_build, _name),
                   f"the tensor method .{_name}()")
def _copy_into(b, bd):
    """``x.copy_(src)``: x now holds src's entries (broadcast to x's shape); the gradient goes
    to src, none to x's old entries."""
    values = broadcast_to(b.to_array(bd["src"]), b.to_array(bd["input"]).shape)
    return values.with_items(values.items)   # the tensor's own entries: src is not aliased


structural("torch.Tensor.copy_", "self:input, src, non_blocking=False", guarded(_copy_into, "copy_"),
           "writes src's entries into the tensor")
structural("numpy.split", "input, indices_or_sections, axis=0", guarded(_np_split, "split"), "equal pieces")
structural("numpy.array_split", "input, indices_or_sections, axis=0", guarded(_np_split, "split"), "pieces")
for _fw, _ns in NAMESPACES:
    for _kind, _names in (("stack", ["stack"]), ("cat", ["concatenate"] + (["cat", "concat"] if _fw == "torch" else [])),
                          ("hstack", ["hstack"]), ("vstack", ["vstack"])):
        for _name in _names:
            _sig = "tensors, dim=None, axis=None, out=None, name=None, dtype=None, casting=None"
            structural(f"{_ns}.{_name}", _sig, guarded(_join(_kind, _fw), _name), f"joins tensors ({_kind})")
structural("tensorflow.concat", "values:tensors, axis=None, name=None", guarded(_join("cat", "tensorflow"), "concat"),
           "joins tensors along a dim")


# -- padding ---------------------------------------------------------------------------------
def pad(b, arr: Array, pads: Any, mode: str, value: Any) -> Array:
    """torch's ``F.pad``: ``pads`` = (before, after) pairs from the last dim backwards.
    ``constant`` fills with ``value`` (a negative width crops); ``reflect``, ``replicate``
    and ``circular`` copy entries, so an entry copied twice receives both gradients.

    >>> from pwverify.ir.values import Array
    >>> pad(None, Array((3,), (1, 2, 3)), (2, 1), "reflect", 0).items
    (3, 2, 1, 2, 3, 2)
    """
    pads = tuple(pads) if isinstance(pads, (list, tuple)) else (pads,)
    if len(pads) % 2 or len(pads) // 2 > arr.ndim or not all(isinstance(p, int) for p in pads):
        raise ShapeError(f"pad widths {pads} must be integer (before, after) pairs, at most one per dim "
                         f"of a tensor of shape {arr.shape}")
    widths = [(0, 0)] * arr.ndim
    for i in range(len(pads) // 2):
        widths[arr.ndim - 1 - i] = (pads[2 * i], pads[2 * i + 1])
    if mode != "constant":
        for n, (lo, hi) in zip(arr.shape, widths):
            limit = n - 1 if mode == "reflect" else n if mode == "circular" else None
            if min(lo, hi) < 0 or limit is not None and max(lo, hi) > limit:
                raise ShapeError(f"{mode} padding of ({lo}, {hi}) on a dim of size {n}")
    shape = tuple(n + lo + hi for n, (lo, hi) in zip(arr.shape, widths))
    if min(shape, default=1) < 0:
        raise ShapeError(f"pad widths {pads} crop more than the tensor of shape {arr.shape} holds")

    def source(j: int, n: int) -> int | None:
        if mode == "constant":
            return j if 0 <= j < n else None
        if mode == "replicate":
            return min(max(j, 0), n - 1)
        if mode == "circular":
            return j % n
        return -j if j < 0 else 2 * (n - 1) - j if j >= n else j       # reflect
    items = []
    for index in itertools.product(*[range(m) for m in shape]):
        src = [source(j - lo, n) for j, n, (lo, _) in zip(index, arr.shape, widths)]
        items.append(value if None in src else arr.item(tuple(src)))
    return arr.with_items(items, shape)


def _f_pad(b, bd):
    mode = bd["mode"]
    if mode not in ("constant", "reflect", "replicate", "circular"):
        b.fail(f"pad mode {mode!r} is not supported", "'constant', 'reflect', 'replicate' or 'circular'")
    value = 0 if bd["value"] is None else b.number(bd["value"])
    return pad(b, _arr(b, bd), bd["pad"], mode, value)


def _pad_module(mode: str, dims: int):
    def build(b, bd):
        widths = bd["padding"]
        widths = (widths,) * (2 * dims) if isinstance(widths, int) else tuple(widths)
        return pad(b, _arr(b, bd), widths, mode, b.number(bd.get("value") or 0))
    return build


def _register_pads() -> None:
    from .activations import _module_call
    from .registry import add_call
    structural("torch.nn.functional.pad", "input, pad, mode='constant', value=None", guarded(_f_pad, "pad"),
               "padding: a constant fill, or copies of entries (reflect, replicate, circular)")
    for dims in (1, 2, 3):
        for stem, mode, ctor in (("ZeroPad", "constant", "padding"), ("ConstantPad", "constant", "padding, value"),
                                 ("ReflectionPad", "reflect", "padding"), ("ReplicationPad", "replicate", "padding"),
                                 ("CircularPad", "circular", "padding")):
            add_call(_module_call(f"torch.nn.{stem}{dims}d", "torch", guarded(_pad_module(mode, dims), "pad"), ctor))


_register_pads()
