"""Max pooling: each window is a ``max_first`` node (the first maximal entry wins).

Rule measured in torch 2.13.0 (``nn.MaxPool1d``, ``F.max_pool1d/2d``,
``adaptive_max_pool1d/2d``), jax 0.10.2 (``lax.reduce_window`` with ``lax.max``) and
tensorflow 2.21.0 (``tf.nn.max_pool1d/2d``): in each window the first maximal element
(row-major) gets the gradient, overlapping windows add up, and padding never wins
(docs/reference/frameworks-measured.md §4). Pooling is therefore not a primitive of its own: it builds
one ``max_first`` node per window, and shared entries of overlapping windows are shared
nodes of the DAG.

Layouts: torch pools the last one or two dims of ``(N, C, L)`` / ``(N, C, H, W)``;
tensorflow pools the middle dims of ``(N, W, C)`` / ``(N, H, W, C)``; ``reduce_window``
pools every dim with its own window (1 for the dims it leaves alone).
"""

from __future__ import annotations

import itertools

from .registry import Call, Signature, add_call
from .activations import _module_call
from ..ir.values import Infinity


def _pair(value, n: int = 1) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    return (int(value),) * n


def windows(length: int, kernel: int, stride: int, padding: int = 0, dilation: int = 1,
            ceil_mode: bool = False, padding_after: int | None = None) -> list[list[int]]:
    """The input positions of each pooling window (padding positions left out).

    ``padding`` is added before the entries, ``padding_after`` (default: the same) after.

    >>> windows(4, 2, 1)
    [[0, 1], [1, 2], [2, 3]]
    >>> windows(3, 2, 1, padding=1)
    [[0], [0, 1], [1, 2], [2]]
    >>> windows(5, 2, 2, padding=0, padding_after=1)
    [[0, 1], [2, 3], [4]]
    """
    after = padding if padding_after is None else padding_after
    span = dilation * (kernel - 1) + 1
    extent = length + padding + after - span
    if extent < 0:
        raise ValueError(f"a window of {span} does not fit in {length} entries with padding {padding}")
    count = (-(-extent // stride) if ceil_mode else extent // stride) + 1
    if ceil_mode and (count - 1) * stride >= length + padding:
        count -= 1
    out = []
    for w in range(count):
        start = w * stride - padding
        out.append([p for p in (start + j * dilation for j in range(kernel)) if 0 <= p < length])
    return out


def same_padding(length: int, kernel: int, stride: int) -> tuple[int, int]:
    """``"SAME"`` padding (tensorflow, jax): as many outputs as ceil(length / stride).

    >>> same_padding(4, 3, 1), same_padding(5, 2, 2)
    ((1, 1), (0, 1))
    """
    out = -(-length // stride)
    total = max((out - 1) * stride + kernel - length, 0)
    return total // 2, total - total // 2


def pool_windows(b, arr, per_dim: list[list[list[int]]], kind: str = "max"):
    """One ``{kind}_first`` node per window; ``per_dim[d]`` lists the windows along dim d."""
    items = []
    for combo in itertools.product(*per_dim):
        entries = [arr.item(idx) for idx in itertools.product(*combo)]
        if not entries:
            b.fail("a pooling window holds only padding", "less padding")
        items.append(b.apply(f"{kind}_first", entries))
    return arr.with_items(items, tuple(len(w) for w in per_dim))


def pool(b, x, kernel, stride, padding, dilation, ceil_mode, dims: int):
    """Max-pool the last ``dims`` dimensions of array ``x`` (torch's layout)."""
    arr = b.to_array(x)
    if arr.ndim < dims:
        b.fail(f"max pooling over {dims} dimension(s) needs an input with at least {dims} dimension(s), "
               f"got shape {arr.shape}", "a tensor of shape (C, L) or (N, C, L)")
    k = _pair(kernel, dims)
    s = _pair(stride if stride is not None else kernel, dims)
    p = _pair(padding, dims)
    d = _pair(dilation, dims)
    sizes = arr.shape[-dims:]
    try:
        pooled = [windows(sizes[i], k[i], s[i], p[i], d[i], bool(ceil_mode)) for i in range(dims)]
    except ValueError as exc:
        b.fail(str(exc), "kernel_size <= input length + 2 * padding")
    batch = [[[i] for i in range(n)] for n in arr.shape[:-dims]]
    return pool_windows(b, arr, batch + pooled)


def _f_pool(dims: int):
    def build(b, bd):
        values = pool(b, bd["input"], bd["kernel_size"], bd["stride"], bd["padding"], bd["dilation"],
                      bd["ceil_mode"], dims)
        # (values, indices): the values are read; using the indices is a located error
        return b.indexed_result(values, "max_pool") if bd.get("return_indices") else values
    return build


def adaptive_windows(length: int, out: int) -> list[list[int]]:
    """torch's adaptive windows: from floor(i*L/out) to ceil((i+1)*L/out).

    >>> adaptive_windows(5, 2)
    [[0, 1, 2], [2, 3, 4]]
    """
    return [list(range((i * length) // out, -(-((i + 1) * length) // out))) for i in range(out)]


def _adaptive(dims: int):
    def build(b, bd):
        arr = b.to_array(bd["input"])
        if arr.ndim < dims + 1:
            b.fail(f"adaptive pooling over {dims} dimension(s) needs a batch or channel dimension too",
                   "a tensor of shape (C, L) or (N, C, L)")
        sizes = _pair(bd["output_size"], dims)
        batch = [[[i] for i in range(n)] for n in arr.shape[:-dims]]
        values = pool_windows(b, arr, batch + [adaptive_windows(arr.shape[-dims + i], sizes[i]) for i in range(dims)])
        return b.indexed_result(values, "adaptive_max_pool") if bd.get("return_indices") else values
    return build


def _per_dim(value, ndim: int, what: str, b) -> tuple[int, ...]:
    """tensorflow's ksize/strides: an int, a list of one per pooled dim, or one per dim."""
    if isinstance(value, (tuple, list)):
        value = [int(v) for v in value]
        if len(value) == 1:
            return (value[0],) * (ndim - 2)
        if len(value) == ndim - 2:
            return tuple(value)
        if len(value) == ndim and value[0] == value[-1] == 1:
            return tuple(value[1:-1])
        b.fail(f"{what} must have 1, {ndim - 2} or {ndim} entries", f"{what}=2 or [2]")
    return (int(value),) * (ndim - 2)


def _padded(b, length: int, kernel: int, stride: int, padding, dilation: int = 1) -> list[list[int]]:
    if isinstance(padding, str) and padding.upper() == "VALID":
        lo = hi = 0
    elif isinstance(padding, str) and padding.upper() == "SAME":
        lo, hi = same_padding(length, dilation * (kernel - 1) + 1, stride)
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        lo, hi = (int(p) for p in padding)
    else:
        b.fail(f"padding {padding!r} is not supported", "'VALID', 'SAME' or (low, high) pairs")
    try:
        return windows(length, kernel, stride, lo, dilation, padding_after=hi)
    except ValueError as exc:
        b.fail(str(exc))


def _tf_pool(dims: int):
    def build(b, bd):
        arr = b.to_array(bd["input"])
        layout = "NWC" if dims == 1 else "NHWC"
        if bd.get("data_format") not in (None, layout):
            b.fail(f"data_format {bd['data_format']!r} is not supported", layout)
        if arr.ndim != dims + 2:
            b.fail(f"the input must have shape {layout} ({dims + 2} dims), got {arr.shape}", layout)
        k = _per_dim(bd["ksize"], arr.ndim, "ksize", b)
        s = _per_dim(bd["strides"], arr.ndim, "strides", b)
        pooled = [_padded(b, arr.shape[1 + i], k[i], s[i], bd["padding"]) for i in range(dims)]
        batch = [[[i] for i in range(arr.shape[0])]]
        channels = [[[i] for i in range(arr.shape[-1])]]
        return pool_windows(b, arr, batch + pooled + channels)
    return build


def _reduce_window(b, bd):
    """``lax.reduce_window(x, -inf, lax.max, window, strides, padding)`` (and min with +inf)."""
    fn = getattr(bd["computation"], "name", None)
    kinds = {"jax.lax.max": ("max", -1), "jax.numpy.maximum": ("max", -1),
             "jax.lax.min": ("min", 1), "jax.numpy.minimum": ("min", 1)}
    if fn not in kinds:
        b.fail("reduce_window is supported with lax.max (max pooling) or lax.min only",
               "lax.reduce_window(x, -jnp.inf, lax.max, window, strides, padding)")
    kind, inf_sign = kinds[fn]
    init = bd["init_value"]
    if not (isinstance(init, Infinity) and init.sign == inf_sign):
        b.fail(f"reduce_window with lax.{kind} needs the initial value {'-' if inf_sign < 0 else '+'}inf",
               f"{'-' if inf_sign < 0 else ''}jnp.inf")
    if bd.get("base_dilation") not in (None, (), []) and any(int(v) != 1 for v in bd["base_dilation"]):
        b.fail("base_dilation is not supported", "window_dilation")
    arr = b.to_array(bd["input"])
    window = tuple(int(v) for v in bd["window_dimensions"])
    strides = tuple(int(v) for v in bd["window_strides"]) if bd.get("window_strides") else (1,) * len(window)
    dilation = tuple(int(v) for v in bd["window_dilation"]) if bd.get("window_dilation") else (1,) * len(window)
    if not len(window) == len(strides) == len(dilation) == arr.ndim:
        b.fail(f"window_dimensions, window_strides and window_dilation need one entry per dim ({arr.ndim})")
    padding = bd["padding"]
    pads = [padding] * arr.ndim if isinstance(padding, str) else list(padding)
    if len(pads) != arr.ndim:
        b.fail(f"padding needs one (low, high) pair per dim ({arr.ndim})")
    per_dim = [_padded(b, arr.shape[i], window[i], strides[i], pads[i], dilation[i]) for i in range(arr.ndim)]
    return pool_windows(b, arr, per_dim, kind)


_F_SIG = "input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False"
_CTOR = "kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False"
for _dims in (1, 2, 3):
    add_call(Call(f"torch.nn.functional.max_pool{_dims}d", "torch", Signature.parse(_F_SIG), _f_pool(_dims)),
             "max_first")
    add_call(_module_call(f"torch.nn.MaxPool{_dims}d", "torch", _f_pool(_dims), _CTOR), "max_first")
    add_call(Call(f"torch.nn.functional.adaptive_max_pool{_dims}d", "torch",
                  Signature.parse("input, output_size, return_indices=False"), _adaptive(_dims)), "max_first")
    add_call(_module_call(f"torch.nn.AdaptiveMaxPool{_dims}d", "torch", _adaptive(_dims),
                          "output_size, return_indices=False"), "max_first")
    if _dims == 3:   # tensorflow's 3-D max pooling gradient has its own kernel: not measured
        continue
    add_call(Call(f"tensorflow.nn.max_pool{_dims}d", "tensorflow",
                  Signature.parse("input, ksize, strides, padding, data_format=None, name=None"), _tf_pool(_dims)),
             "max_first")
add_call(Call("jax.lax.reduce_window", "jax",
              Signature.parse("operand:input, init_value, computation, window_dimensions, window_strides=None, "
                              "padding='VALID', base_dilation=None, window_dilation=None"), _reduce_window),
         "max_first")
