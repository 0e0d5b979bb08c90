"""Parameters of modules: their ``state_dict`` names, the program inputs they become, and
the exact values a checkpoint fixes them to.

A module's parameters are named as ``torch.nn.Module.state_dict()`` names them
(``fc1.weight``, ``features.0.bias``): the module's own parameters and buffers in the
order they were set in ``__init__``, then each child's, depth first. Without
``--weights``, a trainable parameter becomes program inputs, one per entry, whose names
are the key with dots replaced by ``_`` followed by the entry's index as for any vector
input (``fc1.weight[0, 1]`` is the input ``fc1_weight0_1``; ``--at`` and ``--wrt`` accept
both spellings). Buffers (``running_mean``) and parameters with ``requires_grad=False``
are constants. With ``--weights FILE`` (safetensors, or a ``torch.save``d state dict read
with ``weights_only=True``, never unpickling code), every parameter is the exact
rational of its float32/float64 value.

>>> identifier("features.0.weight"), entry_names("fc.bias", (2,))
('features_0_weight', ['fc_bias0', 'fc_bias1'])
"""

from __future__ import annotations

import itertools
import os
import re
from fractions import Fraction
from typing import Any, Iterator, Mapping

from ..core.errors import UsageError
from ..ir.values import Array
from ..primitives.layers import Layer, Param
from .classes import Instance

#: Keys under which checkpoints commonly nest the state dict.
_NESTED_KEYS = ("state_dict", "model_state_dict", "model", "net", "params")


def identifier(name: str) -> str:
    """The input name of a state_dict key (a valid identifier)."""
    out = re.sub(r"[^0-9A-Za-z_]", "_", name)
    return out if out and not out[0].isdigit() else "p_" + out


def entry_names(name: str, shape: tuple) -> list[str]:
    base = identifier(name)
    if not shape:
        return [base]
    return [base + "_".join(str(i) for i in idx) for idx in itertools.product(*[range(n) for n in shape])]


def named_parameters(root: Any, prefix: str = "") -> Iterator[tuple[str, Param]]:
    """``(state_dict key, Param)`` in torch's order; each Param once."""
    seen: set[int] = set()

    def walk(obj: Any, path: str) -> Iterator[tuple[str, Param]]:
        own, children = _members(obj)
        for name, p in own:
            if id(p) not in seen:
                seen.add(id(p))
                yield path + name, p
        for name, child in children:
            yield from walk(child, f"{path}{name}.")

    yield from walk(root, prefix)


def _members(obj: Any) -> tuple[list, list]:
    """(own parameters and buffers, children) of a module, an instance, or a list of them."""
    if isinstance(obj, Layer):
        own = list(obj.params.items()) + list(obj.buffers.items())
        return own, list(obj.children.items())
    if isinstance(obj, Instance):
        own = [(k, v) for k, v in obj.attrs.items() if isinstance(v, Param) and v.trainable]
        own += [(k, v) for k, v in obj.attrs.items() if isinstance(v, Param) and not v.trainable]
        children = [(k, v) for k, v in obj.attrs.items() if holds_parameters(v)]
        return own, children
    if isinstance(obj, (list, tuple)):
        return [], [(str(i), v) for i, v in enumerate(obj) if holds_parameters(v)]
    if isinstance(obj, dict):
        return [], [(str(k), v) for k, v in obj.items() if holds_parameters(v)]
    return [], []


def holds_parameters(value: Any) -> bool:
    if isinstance(value, (Layer, Instance)):
        return True
    if isinstance(value, (list, tuple)):
        return any(holds_parameters(v) for v in value)
    if isinstance(value, dict):
        return any(holds_parameters(v) for v in value.values())
    return False


# -- checkpoints -----------------------------------------------------------------------------------
def weight_arrays(weights: Any) -> dict[str, Array] | None:
    """The parameter values ``--weights`` gives (a checkpoint file, or a dict of state_dict
    keys to nested lists), as exact arrays; None without weights.

    >>> weight_arrays({"fc.bias": [0.5, 2]})["fc.bias"].items
    (Fraction(1, 2), 2)
    """
    if weights is None:
        return None
    if isinstance(weights, str):
        return load_weights(weights)
    if isinstance(weights, Mapping):
        return {k: (v if isinstance(v, Array) else Array.from_nested(_exact_nested(v))) for k, v in weights.items()}
    raise UsageError("weights must be a file name or a dict of state_dict keys to nested lists")


def _exact_nested(value: Any) -> Any:
    """Nested lists of numbers with every float as the exact rational it is."""
    if isinstance(value, (list, tuple)):
        return [_exact_nested(v) for v in value]
    if hasattr(value, "tolist"):          # a numpy array or scalar, a tensor
        return _exact_nested(value.tolist())
    if isinstance(value, float):
        return Fraction(value)
    if isinstance(value, (int, Fraction)):
        return value
    raise UsageError(f"a weight entry is {type(value).__name__}, not a number",
                     hint="nested lists of numbers, or a numpy array")


def load_weights(path: str) -> dict[str, Array]:
    """A checkpoint's tensors as exact arrays (float32/float64 entries as exact rationals)."""
    if not os.path.exists(path):
        raise UsageError(f"no such weights file: {path}", hint="--weights model.safetensors or model.pt")
    if path.endswith(".safetensors"):
        return _from_numpy(_load_safetensors(path), path)
    return _from_torch(path)


def _load_safetensors(path: str) -> dict:
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise UsageError("reading .safetensors needs the safetensors package",
                         hint="pip install 'pwverify[weights]'") from None
    try:
        return load_file(path)
    except Exception as exc:  # the library's own error types
        raise UsageError(f"cannot read {path} as safetensors: {exc}") from None


def _from_numpy(tensors: dict, path: str) -> dict[str, Array]:
    out = {}
    for key, arr in tensors.items():
        kind = arr.dtype.kind
        if kind == "f":
            values = tuple(Fraction(float(v)) for v in arr.reshape(-1).tolist())
        elif kind in "iub":
            values = tuple(int(v) for v in arr.reshape(-1).tolist())
        else:
            raise UsageError(f"{path}: {key} has dtype {arr.dtype}, which pwverify cannot read exactly",
                             hint="float32, float64 or integer tensors")
        out[key] = Array(tuple(int(n) for n in arr.shape), values, "torch")
    return out


def _from_torch(path: str) -> dict[str, Array]:
    try:
        import torch
    except ImportError:
        raise UsageError(f"reading {path} needs torch (or save the weights as .safetensors)",
                         hint="pip install 'pwverify[torch]'") from None
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # weights_only refuses anything but tensors and containers
        raise UsageError(f"cannot read {path} as a state dict with torch.load(weights_only=True): {exc}") from None
    if isinstance(data, dict):
        for key in _NESTED_KEYS:
            if isinstance(data.get(key), dict) and all(isinstance(v, torch.Tensor) for v in data[key].values()):
                data = data[key]
                break
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise UsageError(f"{path} does not hold a state dict (a dict of tensors)",
                         hint="torch.save(model.state_dict(), path)")
    arrays = {}
    for key, t in data.items():
        t = t.detach().cpu()
        if t.dtype in (torch.bfloat16, torch.float16):
            t = t.to(torch.float32)
        arrays[key] = t.numpy()
    return _from_numpy(arrays, path)


def check_shape(name: str, param: Param, value: Array) -> Array:
    if tuple(value.shape) != param.shape:
        raise UsageError(f"--weights: {name} has shape {tuple(value.shape)} in the file, {param.shape} in the "
                         f"program")
    return value
