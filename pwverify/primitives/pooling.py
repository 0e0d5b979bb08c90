"""Max pooling: each window is a ``max_first`` node (the first maximal entry wins).

Rule measured in torch 2.13.0 (``nn.MaxPool1d``, ``F.max_pool1d/2d``), jax 0.10.2
(``lax.reduce_window``) and tensorflow 2.21.0 (``tf.nn.max_pool1d/2d``): in each
window the first maximal element (row-major) gets the gradient, overlapping windows
add up, and padding never wins (frameworks-measured.md §4). Pooling is therefore not
a primitive of its own: it builds one ``max_first`` node per window, and shared
entries of overlapping windows are shared nodes of the DAG.
"""

from __future__ import annotations

from .registry import Call, Signature, add_call
from .activations import _module_call


def _pair(value, n: int = 1) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    return (int(value),) * n


def windows(length: int, kernel: int, stride: int, padding: int = 0, dilation: int = 1,
            ceil_mode: bool = False) -> list[list[int]]:
    """The input positions of each pooling window (padding positions left out).

    >>> windows(4, 2, 1)
    [[0, 1], [1, 2], [2, 3]]
    >>> windows(3, 2, 1, padding=1)
    [[0], [0, 1], [1, 2], [2]]
    """
    span = dilation * (kernel - 1) + 1
    extent = length + 2 * padding - span
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


def pool(b, x, kernel, stride, padding, dilation, ceil_mode, dims: int):
    """Max-pool the last ``dims`` dimensions of array ``x``."""
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
        per_dim = [windows(sizes[i], k[i], s[i], p[i], d[i], bool(ceil_mode)) for i in range(dims)]
    except ValueError as exc:
        b.fail(str(exc), "kernel_size <= input length + 2 * padding")
    batch = arr.shape[:-dims]
    out_shape = batch + tuple(len(w) for w in per_dim)
    items = []
    import itertools
    for prefix in itertools.product(*[range(n) for n in batch]):
        for combo in itertools.product(*per_dim):
            entries = [arr.item(prefix + idx) for idx in itertools.product(*combo)]
            items.append(b.apply("max_first", entries))
    return arr.with_items(items, out_shape)


def _f_pool(dims: int):
    def build(b, bd):
        if bd.get("return_indices"):
            b.fail("return_indices=True is not supported", "the pooled values")
        return pool(b, bd["input"], bd["kernel_size"], bd["stride"], bd["padding"], bd["dilation"],
                    bd["ceil_mode"], dims)
    return build


_F_SIG = "input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False"
_CTOR = "kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False"
for _dims in (1, 2):
    add_call(Call(f"torch.nn.functional.max_pool{_dims}d", "torch", Signature.parse(_F_SIG), _f_pool(_dims)),
             "max_first")
    add_call(_module_call(f"torch.nn.MaxPool{_dims}d", "torch", _f_pool(_dims), _CTOR), "max_first")
