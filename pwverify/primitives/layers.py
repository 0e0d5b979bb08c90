"""Layers with parameters: ``nn.Linear``, ``nn.Conv1d/2d``, ``nn.Sequential``, ... and
their functional forms (``F.linear``, ``F.conv1d/2d``, ``F.avg_pool``, ``F.unfold``).

A layer is a :class:`Layer`: its parameters (:class:`Param`) have a shape when the
layer is made; the frontend names them with their ``state_dict`` keys (``fc1.weight``)
once the module that owns them is built, and makes them inputs of the program (or
exact constants read from a checkpoint). Layers compute with the builder's arithmetic,
so a network's kinks are those of its activations and pooling; the layers themselves
are smooth (affine). Modules run in evaluation mode: dropout is the identity,
batch norm uses its running statistics.

>>> from pwverify.primitives import registry
>>> registry.resolve("torch.nn.Linear").signature.render()
'in_features, out_features, bias=True, device=None, dtype=None'
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any, Callable, Sequence

from ..ir.values import Array, ShapeError
from .pooling import _pair, adaptive_windows, windows
from .registry import Call, Signature, add_call


class Param:
    """A parameter or buffer: its shape, its initial data when written in the program,
    its ``state_dict`` name once known, and its value once the program has it."""

    def __init__(self, shape: tuple, init: Array | None = None, trainable: bool = True):
        self.shape = tuple(int(n) for n in shape)
        self.init = init
        self.trainable = trainable
        self.name: str | None = None
        self.value: Array | None = None

    def __repr__(self) -> str:
        return f"Param({self.name or '?'}, {self.shape})"


class Layer:
    """A framework layer: parameters, buffers, child layers, constant attributes, forward."""

    def __init__(self, kind: str, forward: Callable, params: dict | None = None,
                 buffers: dict | None = None, children: dict | None = None, attrs: dict | None = None):
        self.kind = kind
        self.forward = forward
        self.params: dict[str, Param] = dict(params or {})
        self.buffers: dict[str, Param] = dict(buffers or {})
        self.children: dict[str, Any] = dict(children or {})
        self.attrs: dict[str, Any] = dict(attrs or {})

    def call(self, b, positional, keywords) -> Any:
        return self.forward(b, self, list(positional), dict(keywords))

    def get(self, b, name: str) -> Any:
        """The value of ``layer.name`` (a parameter's entries, a child, a constant)."""
        for table in (self.params, self.buffers):
            if name in table:
                return b.param_value(table[name])
        if name in self.children:
            return self.children[name]
        if name in self.attrs:
            return self.attrs[name]
        b.fail(f"{self.kind.split('.')[-1]} has no attribute {name!r}",
               ", ".join(list(self.params) + list(self.buffers) + list(self.attrs)) or None)

    def __repr__(self) -> str:
        return f"{self.kind}()"


def layer_call(name: str, ctor: str, make: Callable, doc: str) -> Call:
    """A registered class whose instances are :class:`Layer` objects."""
    sig = Signature.parse(ctor)
    return Call(name, "torch", sig, lambda b, bound: make(b, bound), "", doc)


def _forward(signature: str, compute: Callable) -> Callable:
    sig = Signature.parse(signature)

    def forward(b, layer, positional, keywords):
        return compute(b, layer, b.bind(sig, positional, keywords, layer.kind))
    return forward


# -- arithmetic helpers ----------------------------------------------------------------------
def dot(b, us, vs, start: Any = 0) -> Any:
    """``start + sum(u * v)`` with the program's arithmetic (constants fold exactly)."""
    return b.dot(us, vs, start)


def linear(b, x: Any, weight: Any, bias: Any = None) -> Array:
    """``x @ weight.T + bias`` over the last dim of ``x`` (torch's ``F.linear``)."""
    arr, w = b.to_array(x), b.to_array(weight)
    if w.ndim != 2:
        b.fail(f"the weight of a linear layer must be 2-D, got shape {w.shape}")
    n_out, n_in = w.shape
    if arr.ndim == 0 or arr.shape[-1] != n_in:
        b.fail(f"a linear layer with {n_in} input features applied to a tensor of shape {arr.shape}",
               f"an input whose last dim is {n_in}")
    bias_items = b.to_array(bias).items if bias is not None else (0,) * n_out
    rows = arr.reshape((-1, n_in))
    out = []
    for r in range(rows.shape[0]):
        row = rows.items[r * n_in:(r + 1) * n_in]
        out.extend(dot(b, row, w.items[j * n_in:(j + 1) * n_in], bias_items[j]) for j in range(n_out))
    return Array(arr.shape[:-1] + (n_out,), tuple(out), arr.framework or "torch")


def _padding(b, padding, dims: int, kernel: tuple, dilation: tuple, stride: tuple) -> list[tuple[int, int]]:
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * dims
        if padding == "same":
            if any(s != 1 for s in stride):
                b.fail("padding='same' with a stride other than 1", "stride=1, or integer padding")
            out = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                out.append((total // 2, total - total // 2))
            return out
        b.fail(f"padding {padding!r} is not supported", "an int, a tuple, 'valid' or 'same'")
    return [(p, p) for p in _pair(padding, dims)]


def _conv_operands(b, x: Any, weight: Any, dims: int, what: str) -> tuple[Array, Array, bool]:
    """The input as (N, C, *spatial) (an unbatched (C, *spatial) gets N = 1), the weight,
    and whether the input was batched."""
    arr, w = b.to_array(x), b.to_array(weight)
    if w.ndim != dims + 2:
        b.fail(f"a {dims}-D {what} needs a weight of {dims + 2} dims, got shape {w.shape}")
    batched = arr.ndim == dims + 2
    if not batched:
        if arr.ndim != dims + 1:
            b.fail(f"a {dims}-D {what} needs an input of shape (N, C, ...) or (C, ...) with {dims} "
                   f"spatial dim(s), got shape {arr.shape}")
        arr = arr.unsqueeze(0)
    return arr, w, batched


def conv(b, x: Any, weight: Any, bias: Any, stride, padding, dilation, groups, dims: int) -> Array:
    """torch's ``conv1d``/``conv2d``: (N, C, *spatial) or unbatched (C, *spatial)."""
    arr, w, batched = _conv_operands(b, x, weight, dims, "convolution")
    groups = int(groups)
    n, c = arr.shape[:2]
    c_out, c_in = w.shape[:2]
    kernel = w.shape[2:]
    if c != c_in * groups or c_out % groups:
        b.fail(f"the convolution's weight of shape {w.shape} with groups={groups} does not fit an input "
               f"with {c} channels", f"{c_in * groups} input channels")
    s, d = _pair(stride, dims), _pair(dilation, dims)
    pads = _padding(b, padding, dims, kernel, d, s)
    spatial = arr.shape[2:]
    sizes = []
    for i in range(dims):
        extent = spatial[i] + pads[i][0] + pads[i][1] - d[i] * (kernel[i] - 1) - 1
        if extent < 0:
            b.fail(f"the convolution's kernel does not fit in an input of size {spatial[i]}")
        sizes.append(extent // s[i] + 1)
    bias_items = b.to_array(bias).items if bias is not None else (0,) * c_out
    per_group = c_out // groups
    out = []
    for batch in range(n):
        for co in range(c_out):
            g = co // per_group
            for pos in itertools.product(*[range(m) for m in sizes]):
                us, vs = [], []
                for ci in range(c_in):
                    for k in itertools.product(*[range(m) for m in kernel]):
                        src = [pos[i] * s[i] - pads[i][0] + k[i] * d[i] for i in range(dims)]
                        if all(0 <= src[i] < spatial[i] for i in range(dims)):
                            us.append(arr.item((batch, g * c_in + ci, *src)))
                            vs.append(w.item((co, ci, *k)))
                out.append(dot(b, us, vs, bias_items[co]))
    result = Array((n, c_out, *sizes), tuple(out), arr.framework or "torch")
    return result if batched else result.reshape(result.shape[1:])


def conv_transpose(b, x: Any, weight: Any, bias: Any, stride, padding, output_padding, groups, dilation,
                   dims: int) -> Array:
    """torch's ``conv_transpose1d/2d/3d``: each input entry adds ``x * weight`` into the
    output window it maps to (the adjoint of a convolution); weight (C_in, C_out / groups, *k)."""
    arr, w, batched = _conv_operands(b, x, weight, dims, "transposed convolution")
    groups = int(groups)
    n, c = arr.shape[:2]
    c_in, per_group = w.shape[:2]
    kernel = w.shape[2:]
    if c != c_in or c_in % groups:
        b.fail(f"the transposed convolution's weight of shape {w.shape} with groups={groups} does not fit an "
               f"input with {c} channels", f"{c_in} input channels, divisible by groups")
    s, d = _pair(stride, dims), _pair(dilation, dims)
    p, op = _pair(padding, dims), _pair(output_padding, dims)
    if any(op[i] >= max(s[i], d[i]) for i in range(dims)):
        b.fail(f"output_padding {op} must be smaller than the stride or the dilation")
    spatial = arr.shape[2:]
    sizes = [(spatial[i] - 1) * s[i] - 2 * p[i] + d[i] * (kernel[i] - 1) + op[i] + 1 for i in range(dims)]
    if min(sizes) <= 0:
        b.fail(f"the transposed convolution's output would be empty (sizes {sizes})")
    in_per_group = c_in // groups
    c_out = per_group * groups
    bias_items = b.to_array(bias).items if bias is not None else (0,) * c_out
    out = []
    for batch in range(n):
        for co in range(c_out):
            g, local = divmod(co, per_group)
            for pos in itertools.product(*[range(m) for m in sizes]):
                us, vs = [], []
                for ci in range(g * in_per_group, (g + 1) * in_per_group):
                    for k in itertools.product(*[range(m) for m in kernel]):
                        src = []
                        for i in range(dims):
                            q, r = divmod(pos[i] + p[i] - k[i] * d[i], s[i])
                            if r or not 0 <= q < spatial[i]:
                                break
                            src.append(q)
                        else:
                            us.append(arr.item((batch, ci, *src)))
                            vs.append(w.item((ci, local, *k)))
                out.append(dot(b, us, vs, bias_items[co]))
    result = Array((n, c_out, *sizes), tuple(out), arr.framework or "torch")
    return result if batched else result.reshape(result.shape[1:])


def avg_pool(b, x: Any, kernel, stride, padding, ceil_mode, count_include_pad, dims: int,
             adaptive: tuple | None = None) -> Array:
    """Average pooling of the last ``dims`` dims (``adaptive``: the output sizes)."""
    arr = b.to_array(x)
    if arr.ndim < dims + 1:
        b.fail(f"average pooling over {dims} dim(s) needs a channel dim too, got shape {arr.shape}")
    sizes = arr.shape[-dims:]
    if adaptive is not None:
        per_dim = [adaptive_windows(sizes[i], adaptive[i]) for i in range(dims)]
        divisors = None
    else:
        k = _pair(kernel, dims)
        s = _pair(stride if stride is not None else kernel, dims)
        p = _pair(padding, dims)
        try:
            per_dim = [windows(sizes[i], k[i], s[i], p[i], 1, bool(ceil_mode)) for i in range(dims)]
        except ValueError as exc:
            b.fail(str(exc))
        divisors = math.prod(k) if count_include_pad else None
    out = []
    for outer in itertools.product(*[range(m) for m in arr.shape[:-dims]]):
        for combo in itertools.product(*per_dim):
            entries = [arr.item(outer + idx) for idx in itertools.product(*combo)]
            total = dot(b, entries, [1] * len(entries))
            out.append(b.arith("/", total, divisors or len(entries)))
    return Array(arr.shape[:-dims] + tuple(len(w) for w in per_dim), tuple(out), arr.framework or "torch")


# -- nn layers -----------------------------------------------------------------------------------
def _linear_layer(b, bd):
    n_in, n_out = int(bd["in_features"]), int(bd["out_features"])
    params = {"weight": Param((n_out, n_in))}
    if bd["bias"]:
        params["bias"] = Param((n_out,))
    return Layer("torch.nn.Linear", _forward("input", lambda b, L, a: linear(
        b, a["input"], L.get(b, "weight"), L.get(b, "bias") if "bias" in L.params else None)),
        params, attrs={"in_features": n_in, "out_features": n_out})


def _conv_parameters(b, bd, dims: int, transposed: bool) -> tuple[int, int, tuple, dict]:
    """Channels, kernel and parameters of a convolution layer: weight (out, in / groups, *k),
    or (in, out / groups, *k) when transposed, and a bias (out)."""
    if bd["padding_mode"] != "zeros":
        b.fail(f"padding_mode={bd['padding_mode']!r} is not supported", "padding_mode='zeros'")
    c_in, c_out, groups = int(bd["in_channels"]), int(bd["out_channels"]), int(bd["groups"])
    if c_in % groups or c_out % groups:
        b.fail(f"in_channels and out_channels must be divisible by groups={groups}")
    kernel = _pair(bd["kernel_size"], dims)
    shape = (c_in, c_out // groups) if transposed else (c_out, c_in // groups)
    params = {"weight": Param(shape + kernel)}
    if bd["bias"]:
        params["bias"] = Param((c_out,))
    return c_in, c_out, kernel, params


def _conv_layer(dims: int):
    def make(b, bd):
        c_in, c_out, kernel, params = _conv_parameters(b, bd, dims, transposed=False)
        keep = {k: bd[k] for k in ("stride", "padding", "dilation", "groups")}

        def compute(b, L, a):
            return conv(b, a["input"], L.get(b, "weight"), L.get(b, "bias") if "bias" in L.params else None,
                        keep["stride"], keep["padding"], keep["dilation"], keep["groups"], dims)
        return Layer(f"torch.nn.Conv{dims}d", _forward("input", compute), params,
                     attrs={"in_channels": c_in, "out_channels": c_out, "kernel_size": kernel, **keep})
    return make


def _conv_transpose_layer(dims: int):
    def make(b, bd):
        c_in, c_out, kernel, params = _conv_parameters(b, bd, dims, transposed=True)
        keep = {k: bd[k] for k in ("stride", "padding", "output_padding", "groups", "dilation")}

        def compute(b, L, a):
            if a["output_size"] is not None:
                b.fail("a transposed convolution called with output_size", "output_padding in the constructor")
            return conv_transpose(b, a["input"], L.get(b, "weight"), L.get(b, "bias") if "bias" in L.params
                                  else None, keep["stride"], keep["padding"], keep["output_padding"],
                                  keep["groups"], keep["dilation"], dims)
        return Layer(f"torch.nn.ConvTranspose{dims}d", _forward("input, output_size=None", compute), params,
                     attrs={"in_channels": c_in, "out_channels": c_out, "kernel_size": kernel, **keep})
    return make


def _group_norm_layer(b, bd):
    c = int(bd["num_channels"])
    params = {}
    if bd["affine"]:
        params = {"weight": Param((c,), Array((c,), (1,) * c)), "bias": Param((c,), Array((c,), (0,) * c))}
    groups, eps = int(bd["num_groups"]), bd["eps"]
    if groups <= 0 or c % groups:
        b.fail(f"GroupNorm: {c} channels do not split into {groups} groups", "num_groups dividing num_channels")
    return Layer("torch.nn.GroupNorm", _forward("input", lambda b, L, a: group_norm(
        b, a["input"], groups, L.get(b, "weight") if params else None, L.get(b, "bias") if params else None, eps,
        "GroupNorm")), params, attrs={"num_groups": groups, "num_channels": c, "eps": eps})


def instance_norm(b, x, weight, bias, eps, dims: int, what: str = "instance_norm"):
    """Each channel of each sample standardized over its spatial entries (the input's own
    statistics), then a per-channel ``weight`` and ``bias``; an unbatched input (C, ...) too."""
    arr = b.to_array(x)
    if arr.ndim == dims + 1:
        return group_norm(b, arr.unsqueeze(0), arr.shape[0], weight, bias, eps, what).reshape(arr.shape)
    return group_norm(b, arr, arr.shape[1] if arr.ndim >= 2 else 1, weight, bias, eps, what)


def _instance_norm_layer(dims: int):
    kind = f"torch.nn.InstanceNorm{dims}d"

    def make(b, bd):
        if bd["track_running_stats"]:   # evaluation mode with running statistics: batch norm's formula
            return _batch_norm(kind)(b, bd)
        n = int(bd["num_features"])
        params = {}
        if bd["affine"]:
            params = {"weight": Param((n,), Array((n,), (1,) * n)), "bias": Param((n,), Array((n,), (0,) * n))}
        eps = bd["eps"]
        return Layer(kind, _forward("input", lambda b, L, a: instance_norm(
            b, a["input"], L.get(b, "weight") if params else None, L.get(b, "bias") if params else None, eps, dims,
            kind.split(".")[-1])), params, attrs={"num_features": n, "eps": eps})
    return make


def _f_instance_norm(b, bd):
    if not bd["use_input_stats"]:
        if bd["running_mean"] is None or bd["running_var"] is None:
            b.fail("instance_norm with use_input_stats=False needs running_mean and running_var")
        b.fail("instance_norm with running statistics (use_input_stats=False)",
               "the input's own statistics (use_input_stats=True)")
    arr = b.to_array(bd["input"])
    return instance_norm(b, arr, bd["weight"], bd["bias"], bd["eps"], max(arr.ndim - 2, 1))


def _sequential(b, bd):
    items = list(bd["modules"])
    if len(items) == 1 and isinstance(items[0], dict):
        children = dict(items[0])
    else:
        children = {str(i): m for i, m in enumerate(items)}

    def forward(b, L, positional, keywords):
        if len(positional) != 1 or keywords:
            b.fail("a Sequential is called with one input", "seq(x)")
        x = positional[0]
        for child in L.children.values():
            x = b.call(child, [x])
        return x
    return Layer("torch.nn.Sequential", forward, children=children)


def _module_list(b, bd):
    children = {str(i): m for i, m in enumerate(b.sequence(bd["modules"]) if bd["modules"] is not None else [])}

    def forward(b, L, positional, keywords):
        b.fail("a ModuleList is not callable", "iterate over it: for layer in self.layers: x = layer(x)")
    return Layer("torch.nn.ModuleList", forward, children=children)


def _module_dict(b, bd):
    children = dict(bd["modules"] or {})

    def forward(b, L, positional, keywords):
        b.fail("a ModuleDict is not callable", "self.layers[key](x)")
    return Layer("torch.nn.ModuleDict", forward, children=children)


def _identity_layer(kind: str):
    def make(b, bd):
        def forward(b, L, positional, keywords):
            if len(positional) != 1:
                b.fail(f"{kind.split('.')[-1]} is called with one input")
            return positional[0]
        return Layer(kind, forward)
    return make


def _flatten_layer(b, bd):
    start, end = int(bd["start_dim"]), int(bd["end_dim"])
    return Layer("torch.nn.Flatten", _forward("input", lambda b, L, a: flatten(b, a["input"], start, end)),
                 attrs={"start_dim": start, "end_dim": end})


def flatten(b, x: Any, start: int = 0, end: int = -1) -> Any:
    """torch's ``flatten(start_dim, end_dim)``."""
    arr = b.to_array(x)
    if arr.ndim == 0:
        return arr.reshape((1,))
    lo, hi = start % arr.ndim, end % arr.ndim
    if lo > hi:
        b.fail(f"flatten with start_dim {start} after end_dim {end}")
    return arr.reshape(arr.shape[:lo] + (math.prod(arr.shape[lo:hi + 1]),) + arr.shape[hi + 1:])


def _batch_norm(kind: str):
    def make(b, bd):
        n = int(bd["num_features"])
        eps = Fraction(bd["eps"])
        params = {"weight": Param((n,)), "bias": Param((n,))} if bd["affine"] else {}
        buffers = {}
        if bd["track_running_stats"]:
            buffers = {"running_mean": Param((n,), Array((n,), (0,) * n), False),
                       "running_var": Param((n,), Array((n,), (1,) * n), False),
                       "num_batches_tracked": Param((), Array((), (0,)), False)}
        else:
            b.fail("batch norm without running statistics normalises with the batch's own statistics",
                   "track_running_stats=True (evaluation mode)")

        def compute(b, L, a):
            arr = b.to_array(a["input"])
            if arr.ndim < 2 or arr.shape[1] != n:
                b.fail(f"{kind.split('.')[-1]}({n}) applied to a tensor of shape {arr.shape}",
                       f"an input of shape (N, {n}, ...)")
            mean, var = L.get(b, "running_mean"), L.get(b, "running_var")
            w = L.get(b, "weight") if L.params else None
            bias = L.get(b, "bias") if L.params else None
            items = []
            for idx in itertools.product(*[range(m) for m in arr.shape]):
                ch = idx[1]
                scale = b.call_name("torch.sqrt", [b.arith("+", var.items[ch], eps)])
                v = b.arith("/", b.arith("-", arr.item(idx), mean.items[ch]), scale)
                if w is not None:
                    v = b.arith("+", b.arith("*", v, w.items[ch]), bias.items[ch])
                items.append(v)
            return arr.with_items(items)
        return Layer(kind, _forward("input", compute), params, buffers, attrs={"num_features": n, "eps": eps})
    return make


def standardized(b, values: Sequence[Any], eps: Fraction) -> list[Any]:
    """``(v - mean) / sqrt(var + eps)`` for a block of values, with the biased variance, as
    ATen's layer, group and instance norms compute it (their backward kernels are the exact
    derivative of this formula, so the composition has torch's autodiff)."""
    count = len(values)
    mean = b.arith("/", b.dot(values, [1] * count), count)
    centered = [b.arith("-", v, mean) for v in values]
    var = b.arith("/", b.dot(centered, centered), count)
    scale = b.call_name("torch.sqrt", [b.arith("+", var, eps)])
    return [b.arith("/", c, scale) for c in centered]


def _affine(b, v: Any, weight: Any, bias: Any) -> Any:
    if weight is not None:
        v = b.arith("*", v, weight)
    if bias is not None:
        v = b.arith("+", v, bias)
    return v


def layer_norm(b, x, normalized_shape, weight, bias, eps):
    """``(x - mean) / sqrt(var + eps) * weight + bias`` over the last dims (``normalized_shape``)."""
    arr = b.to_array(x)
    shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(int(d) for d in normalized_shape)
    if not shape or arr.shape[len(arr.shape) - len(shape):] != shape or len(arr.shape) < len(shape):
        b.fail(f"layer_norm over {shape} of a tensor of shape {arr.shape}",
               "normalized_shape equal to the last dims of the input")
    eps = b.exact(eps)
    group = math.prod(shape)
    w = b.to_array(weight).items if weight is not None else None
    bias_items = b.to_array(bias).items if bias is not None else None
    items = []
    for start in range(0, arr.size, group):
        for k, v in enumerate(standardized(b, arr.items[start:start + group], eps)):
            items.append(_affine(b, v, w[k] if w else None, bias_items[k] if bias_items else None))
    return arr.with_items(items)


def group_norm(b, x, num_groups, weight, bias, eps, what: str = "group_norm"):
    """torch's ``group_norm``: the channels (dim 1) of each sample split into ``num_groups``
    blocks, each standardized over its channels and spatial entries, then a per-channel
    ``weight`` and ``bias``. ``instance_norm`` is the case of one channel per group."""
    arr = b.to_array(x)
    if arr.ndim < 2:
        b.fail(f"{what} needs an input of shape (N, C, ...), got shape {arr.shape}")
    c = arr.shape[1]
    groups = int(num_groups)
    if groups <= 0 or c % groups:
        b.fail(f"{what}: {c} channels do not split into {groups} groups", "num_groups dividing the channels")
    eps = b.exact(eps)
    w = b.to_array(weight).items if weight is not None else None
    bias_items = b.to_array(bias).items if bias is not None else None
    block = arr.size // (arr.shape[0] * groups)      # the entries of one group of one sample: contiguous
    spatial = arr.size // (arr.shape[0] * c)
    items = []
    for start in range(0, arr.size, block):
        first_channel = (start // spatial) % c
        for k, v in enumerate(standardized(b, arr.items[start:start + block], eps)):
            ch = first_channel + k // spatial
            items.append(_affine(b, v, w[ch] if w else None, bias_items[ch] if bias_items else None))
    return arr.with_items(items)


def _layer_norm_layer(b, bd):
    shape = bd["normalized_shape"]
    shape = (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)
    n = math.prod(shape)
    params = {}
    if bd["elementwise_affine"]:
        params["weight"] = Param(shape, Array(shape, (1,) * n))
        if bd["bias"]:
            params["bias"] = Param(shape, Array(shape, (0,) * n))
    eps = bd["eps"]
    return Layer("torch.nn.LayerNorm", _forward("input", lambda b, L, a: layer_norm(
        b, a["input"], shape, L.get(b, "weight") if "weight" in L.params else None,
        L.get(b, "bias") if "bias" in L.params else None, eps)), params, attrs={"normalized_shape": shape})


def _avg_pool_layer(dims: int):
    def make(b, bd):
        keep = dict(bd)
        return Layer(f"torch.nn.AvgPool{dims}d", _forward("input", lambda b, L, a: avg_pool(
            b, a["input"], keep["kernel_size"], keep["stride"], keep["padding"], keep["ceil_mode"],
            keep["count_include_pad"], dims)))
    return make


def _adaptive_avg_layer(dims: int):
    def make(b, bd):
        size = _pair(bd["output_size"], dims)
        return Layer(f"torch.nn.AdaptiveAvgPool{dims}d", _forward("input", lambda b, L, a: avg_pool(
            b, a["input"], None, None, 0, False, True, dims, adaptive=size)))
    return make


def _prelu_layer(b, bd):
    from .activations import prelu
    n = int(bd["num_parameters"])
    init = b.exact(bd["init"])
    params = {"weight": Param((n,), Array((n,), (init,) * n))}
    return Layer("torch.nn.PReLU", _forward("input", lambda b, L, a: prelu(b, a["input"], L.get(b, "weight"))),
                 params)


def _parameter(b, bd):
    data = b.to_array(bd["data"])
    return Param(data.shape, data, bool(bd["requires_grad"]))


_CONV = ("in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, "
         "padding_mode='zeros', device=None, dtype=None")
_CONV_T = ("in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, "
           "dilation=1, padding_mode='zeros', device=None, dtype=None")
_IN = "num_features, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False, device=None, dtype=None"
_AVG = "kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None"
_BN = "num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None"
_LAYERS = [
    ("torch.nn.Linear", "in_features, out_features, bias=True, device=None, dtype=None", _linear_layer,
     "y = x W^T + b; parameters weight (out, in) and bias (out)"),
    ("torch.nn.Conv1d", _CONV, _conv_layer(1), "1-D convolution; parameters weight (out, in/groups, k), bias"),
    ("torch.nn.Conv2d", _CONV, _conv_layer(2), "2-D convolution; parameters weight (out, in/groups, kh, kw), bias"),
    ("torch.nn.Conv3d", _CONV, _conv_layer(3), "3-D convolution; parameters weight (out, in/groups, kd, kh, kw), bias"),
    *[(f"torch.nn.ConvTranspose{_d}d", _CONV_T, _conv_transpose_layer(_d),
       f"{_d}-D transposed convolution; parameters weight (in, out/groups, *kernel), bias") for _d in (1, 2, 3)],
    ("torch.nn.GroupNorm", "num_groups, num_channels, eps=1e-05, affine=True, device=None, dtype=None",
     _group_norm_layer, "(x - mean) / sqrt(var + eps) over each group of channels, then weight and bias per channel"),
    *[(f"torch.nn.InstanceNorm{_d}d", _IN, _instance_norm_layer(_d),
       "(x - mean) / sqrt(var + eps) over each channel's entries; weight and bias with affine=True")
      for _d in (1, 2, 3)],
    ("torch.nn.Sequential", "*modules", _sequential, "applies its children in order"),
    ("torch.nn.ModuleList", "modules=None", _module_list, "a list of layers (iterate or index it)"),
    ("torch.nn.ModuleDict", "modules=None", _module_dict, "a dict of layers"),
    ("torch.nn.Identity", "*args", _identity_layer("torch.nn.Identity"), "the identity"),
    ("torch.nn.Dropout", "p=0.5, inplace=False", _identity_layer("torch.nn.Dropout"),
     "the identity (evaluation mode)"),
    ("torch.nn.Dropout1d", "p=0.5, inplace=False", _identity_layer("torch.nn.Dropout1d"), "the identity (evaluation mode)"),
    ("torch.nn.Dropout2d", "p=0.5, inplace=False", _identity_layer("torch.nn.Dropout2d"), "the identity (evaluation mode)"),
    ("torch.nn.Dropout3d", "p=0.5, inplace=False", _identity_layer("torch.nn.Dropout3d"), "the identity (evaluation mode)"),
    ("torch.nn.AlphaDropout", "p=0.5, inplace=False", _identity_layer("torch.nn.AlphaDropout"),
     "the identity (evaluation mode)"),
    ("torch.nn.Flatten", "start_dim=1, end_dim=-1", _flatten_layer, "flattens dims start_dim..end_dim"),
    ("torch.nn.BatchNorm1d", _BN, _batch_norm("torch.nn.BatchNorm1d"),
     "evaluation mode: (x - running_mean) / sqrt(running_var + eps) * weight + bias"),
    ("torch.nn.BatchNorm2d", _BN, _batch_norm("torch.nn.BatchNorm2d"),
     "evaluation mode: (x - running_mean) / sqrt(running_var + eps) * weight + bias"),
    ("torch.nn.BatchNorm3d", _BN, _batch_norm("torch.nn.BatchNorm3d"),
     "evaluation mode: (x - running_mean) / sqrt(running_var + eps) * weight + bias"),
    ("torch.nn.LayerNorm", "normalized_shape, eps=1e-05, elementwise_affine=True, bias=True, device=None, "
                           "dtype=None", _layer_norm_layer,
     "(x - mean) / sqrt(var + eps) * weight + bias over the last dims; parameters weight and bias"),
    ("torch.nn.AvgPool1d", _AVG, _avg_pool_layer(1), "mean of each window"),
    ("torch.nn.AvgPool2d", _AVG, _avg_pool_layer(2), "mean of each window"),
    ("torch.nn.AvgPool3d", _AVG, _avg_pool_layer(3), "mean of each window"),
    ("torch.nn.AdaptiveAvgPool1d", "output_size", _adaptive_avg_layer(1), "mean of each adaptive window"),
    ("torch.nn.AdaptiveAvgPool2d", "output_size", _adaptive_avg_layer(2), "mean of each adaptive window"),
    ("torch.nn.AdaptiveAvgPool3d", "output_size", _adaptive_avg_layer(3), "mean of each adaptive window"),
    ("torch.nn.PReLU", "num_parameters=1, init=0.25, device=None, dtype=None", _prelu_layer,
     "x if x > 0 else weight * x; parameter weight (num_parameters), one slope per channel (dim 1)"),
    ("torch.nn.Parameter", "data=None, requires_grad=True", _parameter,
     "a parameter: an input of the program named by its state_dict key"),
    ("torch.nn.parameter.Parameter", "data=None, requires_grad=True", _parameter,
     "a parameter: an input of the program named by its state_dict key"),
]
for _name, _sig, _make, _doc in _LAYERS:
    add_call(layer_call(_name, _sig, _make, _doc))


# -- functional forms -------------------------------------------------------------------------
def _f_conv(dims: int):
    def build(b, bd):
        return conv(b, bd["input"], bd["weight"], bd["bias"], bd["stride"], bd["padding"], bd["dilation"],
                    bd["groups"], dims)
    return build


def _f_conv_transpose(dims: int):
    def build(b, bd):
        return conv_transpose(b, bd["input"], bd["weight"], bd["bias"], bd["stride"], bd["padding"],
                              bd["output_padding"], bd["groups"], bd["dilation"], dims)
    return build


def _f_avg(dims: int):
    def build(b, bd):
        return avg_pool(b, bd["input"], bd["kernel_size"], bd["stride"], bd["padding"], bd["ceil_mode"],
                        bd["count_include_pad"], dims)
    return build


def _f_adaptive_avg(dims: int):
    def build(b, bd):
        return avg_pool(b, bd["input"], None, None, 0, False, True, dims, adaptive=_pair(bd["output_size"], dims))
    return build


def _tensor_unfold(b, bd):
    """``x.unfold(dimension, size, step)``: the windows along a dim, as a new last dim."""
    arr = b.to_array(bd["self"])
    try:
        d = arr._dim(int(bd["dimension"]))
    except ShapeError as exc:
        b.fail(str(exc))
    size, step = int(bd["size"]), int(bd["step"])
    count = (arr.shape[d] - size) // step + 1
    if count <= 0:
        b.fail(f"unfold: a window of {size} does not fit in a dim of size {arr.shape[d]}")
    shape = arr.shape[:d] + (count,) + arr.shape[d + 1:] + (size,)
    items = []
    for idx in itertools.product(*[range(m) for m in shape[:-1]]):
        for k in range(size):
            src = idx[:d] + (idx[d] * step + k,) + idx[d + 1:]
            items.append(arr.item(src))
    return Array(shape, tuple(items), arr.framework)


def _f_unfold(b, bd):
    """``F.unfold`` (im2col): (N, C, H, W) -> (N, C * kh * kw, L), zero padding."""
    arr = b.to_array(bd["input"])
    batched = arr.ndim == 4
    if not batched:
        if arr.ndim != 3:
            b.fail(f"F.unfold needs an input of shape (N, C, H, W) or (C, H, W), got {arr.shape}")
        arr = arr.unsqueeze(0)
    k, d = _pair(bd["kernel_size"], 2), _pair(bd["dilation"], 2)
    p, s = _pair(bd["padding"], 2), _pair(bd["stride"], 2)
    n, c, h, w = arr.shape
    outs = [(size + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i, size in enumerate((h, w))]
    if min(outs) <= 0:
        b.fail("F.unfold: the kernel does not fit in the input")
    items = []
    for batch in range(n):
        for ch in range(c):
            for ki in range(k[0]):
                for kj in range(k[1]):
                    for oi in range(outs[0]):
                        for oj in range(outs[1]):
                            y, x = oi * s[0] - p[0] + ki * d[0], oj * s[1] - p[1] + kj * d[1]
                            items.append(arr.item((batch, ch, y, x)) if 0 <= y < h and 0 <= x < w else 0)
    result = Array((n, c * k[0] * k[1], outs[0] * outs[1]), tuple(items), arr.framework or "torch")
    return result if batched else result.reshape(result.shape[1:])


def _f_dropout(b, bd):
    """The functional dropouts: the identity when ``training`` is False (a module's
    ``self.training`` in evaluation mode); with training=True they draw random masks."""
    if bd["training"]:
        b.fail("dropout with training=True draws a random mask, which pwverify does not model",
               "training=False (or training=self.training: modules are read in evaluation mode)")
    return bd["input"]


def _f_linear(b, bd):
    return linear(b, bd["input"], bd["weight"], bd["bias"])


_F_CONV = "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1"
_F_AVG = "input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None"
_FUNCTIONAL = [
    ("torch.nn.functional.linear", "input, weight, bias=None", _f_linear, "x W^T + b"),
    ("torch.nn.functional.conv1d", _F_CONV, _f_conv(1), "1-D convolution"),
    ("torch.nn.functional.conv2d", _F_CONV, _f_conv(2), "2-D convolution"),
    ("torch.nn.functional.conv3d", _F_CONV, _f_conv(3), "3-D convolution"),
    *[(f"torch.nn.functional.conv_transpose{_d}d", "input, weight, bias=None, stride=1, padding=0, "
       "output_padding=0, groups=1, dilation=1", _f_conv_transpose(_d), f"{_d}-D transposed convolution")
      for _d in (1, 2, 3)],
    *[(f"torch.nn.functional.avg_pool{_d}d", _F_AVG, _f_avg(_d), "mean of each window") for _d in (1, 2, 3)],
    *[(f"torch.nn.functional.adaptive_avg_pool{_d}d", "input, output_size", _f_adaptive_avg(_d),
       "mean of each window") for _d in (1, 2, 3)],
    *[(f"torch.nn.functional.{_name}", "input, p=0.5, training=True, inplace=False", _f_dropout,
       "the identity with training=False") for _name in ("dropout", "dropout1d", "dropout2d", "dropout3d",
                                                          "alpha_dropout", "feature_alpha_dropout")],
    ("torch.nn.functional.group_norm", "input, num_groups, weight=None, bias=None, eps=1e-05",
     lambda b, bd: group_norm(b, bd["input"], bd["num_groups"], bd["weight"], bd["bias"], bd["eps"]),
     "(x - mean) / sqrt(var + eps) over each group of channels, then weight and bias per channel"),
    ("torch.nn.functional.instance_norm", "input, running_mean=None, running_var=None, weight=None, bias=None, "
     "use_input_stats=True, momentum=0.1, eps=1e-05", _f_instance_norm,
     "(x - mean) / sqrt(var + eps) over each channel of each sample"),
    ("torch.nn.functional.unfold", "input, kernel_size, dilation=1, padding=0, stride=1", _f_unfold,
     "im2col: the sliding windows as columns"),
    ("torch.Tensor.unfold", "self, dimension, size, step", _tensor_unfold, "the windows along a dim"),
    ("torch.nn.functional.layer_norm", "input, normalized_shape, weight=None, bias=None, eps=1e-05",
     lambda b, bd: layer_norm(b, bd["input"], bd["normalized_shape"], bd["weight"], bd["bias"], bd["eps"]),
     "(x - mean) / sqrt(var + eps) * weight + bias over the last dims"),
]
for _name, _sig, _build, _doc in _FUNCTIONAL:
    add_call(Call(_name, "torch", Signature.parse(_sig), _build, "", _doc))


# -- recurrent layers ---------------------------------------------------------------------------
#: gates per kind, in torch's order within the stacked weights
_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def _affine_rows(b, weight: Array, bias: Any, vector: Sequence[Any], rows: range) -> list[Any]:
    """``(weight @ vector + bias)[rows]``: one dot product per row (bias None: none)."""
    n = weight.shape[1]
    return [dot(b, vector, weight.items[r * n:(r + 1) * n], bias.items[r] if bias is not None else 0) for r in rows]


def _cell(b, kind: str, nonlinearity: str, x: list, h: list, c: list | None, w_ih: Array, w_hh: Array,
          b_ih: Any, b_hh: Any, hidden: int) -> tuple[list, list | None]:
    """One step of a recurrent cell, as torch's RNN/LSTM/GRU cells compute it."""
    act = "tanh" if nonlinearity == "tanh" else "relu"
    if kind == "RNN":
        pre = [b.arith("+", u, v) for u, v in zip(_affine_rows(b, w_ih, b_ih, x, range(hidden)),
                                                   _affine_rows(b, w_hh, b_hh, h, range(hidden)))]
        return [b.apply(act, [p]) for p in pre], None
    gates = _GATES[kind] * hidden
    gi = _affine_rows(b, w_ih, b_ih, x, range(gates))
    gh = _affine_rows(b, w_hh, b_hh, h, range(gates))
    if kind == "LSTM":      # gates i, f, g, o
        pre = [b.arith("+", u, v) for u, v in zip(gi, gh)]
        i, f, g, o = (pre[k * hidden:(k + 1) * hidden] for k in range(4))
        c_new = [b.arith("+", b.arith("*", b.apply("sigmoid", [fk]), ck),
                         b.arith("*", b.apply("sigmoid", [ik]), b.apply("tanh", [gk])))
                 for ik, fk, gk, ck in zip(i, f, g, c)]
        h_new = [b.arith("*", b.apply("sigmoid", [ok]), b.apply("tanh", [ck])) for ok, ck in zip(o, c_new)]
        return h_new, c_new
    # GRU: gates r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    r = [b.apply("sigmoid", [b.arith("+", gi[k], gh[k])]) for k in range(hidden)]
    z = [b.apply("sigmoid", [b.arith("+", gi[hidden + k], gh[hidden + k])]) for k in range(hidden)]
    n = [b.apply("tanh", [b.arith("+", gi[2 * hidden + k], b.arith("*", r[k], gh[2 * hidden + k]))])
         for k in range(hidden)]
    return [b.arith("+", b.arith("*", b.arith("-", 1, zk), nk), b.arith("*", zk, hk))
            for zk, nk, hk in zip(z, n, h)], None


def _recurrent_layer(kind: str):
    def make(b, bd):
        size_in, hidden, layers = int(bd["input_size"]), int(bd["hidden_size"]), int(bd["num_layers"])
        if bd.get("proj_size"):
            b.fail("an LSTM with proj_size", "proj_size=0")
        nonlinearity = bd.get("nonlinearity") or "tanh"
        if nonlinearity not in ("tanh", "relu"):
            b.fail(f"nonlinearity={nonlinearity!r}", "'tanh' or 'relu'")
        directions = 2 if bd["bidirectional"] else 1
        gates = _GATES[kind] * hidden
        params = {}
        for layer in range(layers):
            width = size_in if layer == 0 else hidden * directions
            for sfx in ("", "_reverse")[:directions]:
                params[f"weight_ih_l{layer}{sfx}"] = Param((gates, width))
                params[f"weight_hh_l{layer}{sfx}"] = Param((gates, hidden))
                if bd["bias"]:
                    params[f"bias_ih_l{layer}{sfx}"] = Param((gates,))
                    params[f"bias_hh_l{layer}{sfx}"] = Param((gates,))
        batch_first = bool(bd["batch_first"])

        def forward(b, L, positional, keywords):
            bound = b.bind(Signature.parse("input, hx=None"), positional, keywords)
            x = b.to_array(bound["input"])
            unbatched = x.ndim == 2
            if x.ndim not in (2, 3) or x.shape[-1] != size_in:
                b.fail(f"{kind}({size_in}, {hidden}) applied to a tensor of shape {x.shape}",
                       f"(L, N, {size_in}), (N, L, {size_in}) with batch_first, or (L, {size_in})")
            if unbatched:
                x = x.unsqueeze(1)
            elif batch_first:
                x = _swap01(x)
            steps, batch = x.shape[:2]
            states = layers * directions
            h0 = c0 = None
            if bound["hx"] is not None:
                hx = bound["hx"]
                if kind == "LSTM":
                    h0, c0 = (b.to_array(v) for v in b.sequence(hx))
                else:
                    h0 = b.to_array(hx)
                if unbatched:
                    h0 = h0.unsqueeze(1)
                    c0 = c0.unsqueeze(1) if c0 is not None else None
            zeros = [0] * hidden
            seq = [[list(x.items[(t * batch + n) * size_in:(t * batch + n + 1) * size_in]) for n in range(batch)]
                   for t in range(steps)]
            last_h, last_c = [], []
            for layer in range(layers):
                outputs = [[[] for _ in range(batch)] for _ in range(steps)]
                for d, sfx in enumerate(("", "_reverse")[:directions]):
                    w_ih, w_hh = L.get(b, f"weight_ih_l{layer}{sfx}"), L.get(b, f"weight_hh_l{layer}{sfx}")
                    b_ih = L.get(b, f"bias_ih_l{layer}{sfx}") if bd["bias"] else None
                    b_hh = L.get(b, f"bias_hh_l{layer}{sfx}") if bd["bias"] else None
                    k = layer * directions + d
                    for n in range(batch):
                        h = list(h0.items[(k * batch + n) * hidden:(k * batch + n + 1) * hidden]) if h0 is not None else zeros
                        c = (list(c0.items[(k * batch + n) * hidden:(k * batch + n + 1) * hidden]) if c0 is not None
                             else zeros) if kind == "LSTM" else None
                        order = range(steps) if d == 0 else range(steps - 1, -1, -1)
                        for t in order:
                            h, c = _cell(b, kind, nonlinearity, seq[t][n], h, c, w_ih, w_hh, b_ih, b_hh, hidden)
                            outputs[t][n] = outputs[t][n] + h if d == 0 else h + outputs[t][n]
                        last_h.append((k, n, h))
                        last_c.append((k, n, c))
                seq = outputs
            width = hidden * directions
            out = Array((steps, batch, width), tuple(v for t in seq for n in t for v in n), "torch")
            h_n = _states(last_h, states, batch, hidden)
            if unbatched:
                out, h_n = out.reshape((steps, width)), h_n.reshape((states, hidden))
            elif batch_first:
                out = _swap01(out)
            if kind != "LSTM":
                return out, h_n
            c_n = _states(last_c, states, batch, hidden)
            return out, (h_n, c_n.reshape((states, hidden)) if unbatched else c_n)
        return Layer(f"torch.nn.{kind}", forward, params,
                     attrs={"input_size": size_in, "hidden_size": hidden, "num_layers": layers,
                            "batch_first": batch_first, "bidirectional": directions == 2})
    return make


def _states(entries: list, states: int, batch: int, hidden: int) -> Array:
    items: list = [None] * (states * batch * hidden)
    for k, n, values in entries:
        items[(k * batch + n) * hidden:(k * batch + n + 1) * hidden] = values
    return Array((states, batch, hidden), tuple(items), "torch")


def _swap01(arr: Array) -> Array:
    a, c = arr.shape[:2]
    rest = math.prod(arr.shape[2:])
    items = [arr.items[(i * c + j) * rest + k] for j in range(c) for i in range(a) for k in range(rest)]
    return Array((c, a) + arr.shape[2:], tuple(items), arr.framework)


_RNN_SIG = ("input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0, "
            "bidirectional=False, device=None, dtype=None")
_LSTM_SIG = ("input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, "
             "bidirectional=False, proj_size=0, device=None, dtype=None")
for _kind, _sig in (("RNN", _RNN_SIG), ("LSTM", _LSTM_SIG), ("GRU", _LSTM_SIG.replace(", proj_size=0", ""))):
    add_call(layer_call(f"torch.nn.{_kind}", _sig, _recurrent_layer(_kind),
                        f"{_kind} (evaluation mode: no dropout between layers); parameters weight_ih_l0, "
                        "weight_hh_l0, bias_ih_l0, bias_hh_l0 (and _reverse, further layers)"))


# -- resampling -----------------------------------------------------------------------------------
def _source_weights(mode: str, size_in: int, size_out: int, factor, align_corners: bool) -> list[list]:
    """For each output position along one dim, the (input index, weight) pairs torch's
    ``interpolate`` combines. The weights are the floats ATen computes (UpSample.h: the
    scale 1 / scale_factor, or input / output size, and the source index, in float64 for
    linear modes and float32 for nearest ones), taken exactly: a scale such as 1 / 1.5 is
    not a binary fraction, and torch's rounded weights decide its ties."""
    import numpy as np
    if mode.startswith("nearest"):
        f32 = np.float32
        scale = f32(1.0 / float(factor)) if factor else f32(size_in) / f32(size_out)
        out = []
        for j in range(size_out):
            if mode == "nearest" and size_out == size_in:
                src = j
            elif mode == "nearest" and size_out == 2 * size_in:
                src = j >> 1
            elif mode == "nearest":
                src = min(int(np.floor(f32(j) * scale)), size_in - 1)
            else:
                src = min(int(np.floor((f32(j) + f32(0.5)) * scale)), size_in - 1)
            out.append([(src, 1)])
        return out
    if align_corners:
        scale = float(size_in - 1) / (size_out - 1) if size_out > 1 else 0.0
    else:
        scale = 1.0 / float(factor) if factor else float(size_in) / size_out
    out = []
    for j in range(size_out):
        src = scale * j if align_corners else max(scale * (j + 0.5) - 0.5, 0.0)
        i0 = min(math.floor(src), size_in - 1)
        i1 = i0 + (1 if i0 < size_in - 1 else 0)
        t = min(max(src - i0, 0.0), 1.0)
        weights = [(i0, Fraction(1.0 - t)), (i1, Fraction(t))]
        out.append([(i, w) for i, w in weights if w] if i1 != i0 else [(i0, Fraction(1.0 - t) + Fraction(t))])
    return out


def interpolate(b, x: Any, size, scale_factor, mode: str, align_corners, recompute: bool = False) -> Array:
    """torch's ``F.interpolate`` (nearest, nearest-exact, linear, bilinear, trilinear): every
    output entry a fixed combination of input entries, so a linear map with exact weights."""
    arr = b.to_array(x)
    dims = arr.ndim - 2
    linear_modes = {"linear": 1, "bilinear": 2, "trilinear": 3}
    if mode not in ("nearest", "nearest-exact") and linear_modes.get(mode) != dims:
        b.fail(f"interpolate mode {mode!r} on a tensor of shape {arr.shape}",
               "'nearest', 'nearest-exact', or linear/bilinear/trilinear on 3-/4-/5-D input")
    if dims < 1:
        b.fail(f"interpolate needs an input of shape (N, C, ...), got {arr.shape}")
    if align_corners and mode.startswith("nearest"):
        b.fail("align_corners with a nearest mode", "align_corners=None")
    sizes_in = arr.shape[2:]
    if size is not None:
        sizes_out = _pair(size, dims)
        factors = [None] * dims
    elif scale_factor is not None:
        factors = [Fraction(f) for f in (scale_factor if isinstance(scale_factor, (list, tuple))
                                          else [scale_factor] * dims)]
        sizes_out = tuple(math.floor(i * f) for i, f in zip(sizes_in, factors))
        if recompute:
            factors = [None] * dims
    else:
        b.fail("interpolate needs size or scale_factor")
    per_dim = [_source_weights(mode, i, o, f, bool(align_corners)) for i, o, f in zip(sizes_in, sizes_out, factors)]
    items = []
    for lead in itertools.product(*[range(m) for m in arr.shape[:2]]):
        for combo in itertools.product(*per_dim):
            us, vs = [], []
            for pairs in itertools.product(*combo):
                weight = math.prod(w for _, w in pairs)
                if weight:
                    us.append(arr.item(lead + tuple(i for i, _ in pairs)))
                    vs.append(weight)
            items.append(dot(b, us, vs))
    return Array(arr.shape[:2] + tuple(sizes_out), tuple(items), arr.framework or "torch")


def _f_interpolate(b, bd):
    if bd.get("antialias"):
        b.fail("interpolate with antialias=True", "antialias=False")
    return interpolate(b, bd["input"], bd["size"], bd["scale_factor"], bd["mode"], bd["align_corners"],
                       bool(bd.get("recompute_scale_factor")))


def _upsample_layer(b, bd):
    keep = dict(bd)
    return Layer("torch.nn.Upsample", _forward("input", lambda b, L, a: interpolate(
        b, a["input"], keep["size"], keep["scale_factor"], keep["mode"], keep["align_corners"],
        bool(keep["recompute_scale_factor"]))))


def pixel_shuffle(b, x: Any, factor: int, inverse: bool = False) -> Array:
    """``pixel_shuffle`` (C*r*r, H, W) -> (C, H*r, W*r), or its inverse: entries moved."""
    arr = b.to_array(x)
    r = int(factor)
    if arr.ndim < 3:
        b.fail(f"pixel_shuffle needs at least 3 dims, got shape {arr.shape}")
    *lead, c, h, w = arr.shape
    if not inverse and c % (r * r) or inverse and (h % r or w % r):
        b.fail(f"pixel_{'un' if inverse else ''}shuffle by {r} of shape {arr.shape}")
    batch = math.prod(lead)
    flat = arr.reshape((batch, c, h, w))
    items = []
    if not inverse:
        for n in range(batch):
            for co in range(c // (r * r)):
                for i in range(h * r):
                    for j in range(w * r):
                        items.append(flat.item((n, co * r * r + (i % r) * r + j % r, i // r, j // r)))
        shape = (*lead, c // (r * r), h * r, w * r)
    else:
        for n in range(batch):
            for co in range(c * r * r):
                base, k = divmod(co, r * r)
                for i in range(h // r):
                    for j in range(w // r):
                        items.append(flat.item((n, base, i * r + k // r, j * r + k % r)))
        shape = (*lead, c * r * r, h // r, w // r)
    return Array(tuple(shape), tuple(items), arr.framework or "torch")


_INTERP = "input, size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None, " \
          "antialias=False"
add_call(Call("torch.nn.functional.interpolate", "torch", Signature.parse(_INTERP), _f_interpolate, "",
              "resampling: nearest or (bi/tri)linear, a linear map with exact weights"))
add_call(Call("torch.nn.functional.upsample", "torch", Signature.parse(_INTERP.replace(", antialias=False", "")),
              _f_interpolate, "", "resampling (the old name of interpolate)"))
add_call(layer_call("torch.nn.Upsample", "size=None, scale_factor=None, mode='nearest', align_corners=None, "
                    "recompute_scale_factor=None", _upsample_layer, "resampling, as F.interpolate"))
add_call(Call("torch.nn.functional.pixel_shuffle", "torch", Signature.parse("input, upscale_factor"),
              lambda b, bd: pixel_shuffle(b, bd["input"], bd["upscale_factor"]), "", "channels to space"))
add_call(Call("torch.nn.functional.pixel_unshuffle", "torch", Signature.parse("input, downscale_factor"),
              lambda b, bd: pixel_shuffle(b, bd["input"], bd["downscale_factor"], True), "", "space to channels"))
for _cls, _arg, _inverse in (("PixelShuffle", "upscale_factor", False), ("PixelUnshuffle", "downscale_factor", True)):
    add_call(layer_call(f"torch.nn.{_cls}", _arg, (lambda arg, inv: lambda b, bd: Layer(
        f"torch.nn.{_cls}", _forward("input", lambda b2, L, a: pixel_shuffle(b2, a["input"], bd[arg], inv))))(
        _arg, _inverse), "entries moved between channels and space"))
