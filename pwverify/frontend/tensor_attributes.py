"""Attributes of tensors that are values, not methods: ``x.shape``, ``x.T``, ``x.size``, ...

``x.size`` is numpy's entry count and torch's method at once: a :class:`SizeInt` is the
count and, called, the shape (``x.size()``, ``x.size(0)``), so ``range(x.size)`` and
``x.size(0)`` both read.
"""

from __future__ import annotations

from typing import Any, Callable

from ..ir.values import Array, Sym
from ..primitives.tensors import AtIndexer


class SizeInt(int):
    """numpy's ``x.size`` (an int) that torch code calls as ``x.size()``/``x.size(dim)``."""

    def __new__(cls, shape: tuple):
        obj = super().__new__(cls, _prod(shape))
        obj.shape = tuple(shape)
        return obj

    def size_of(self, dim: Any = None) -> Any:
        if dim is None:
            return tuple(self.shape)
        if not isinstance(dim, int) or not -len(self.shape) <= dim < len(self.shape):
            raise IndexError(f"dimension {dim} out of range for shape {self.shape}")
        return self.shape[dim]

    def describe_value(self) -> str:
        return f"the size {int(self)}"


def _prod(shape: tuple) -> int:
    out = 1
    for n in shape:
        out *= n
    return out


def _requires_grad(it, value: Any, arr: Array, node) -> bool:
    """True when the tensor depends on an input whose gradient is asked for."""
    return any(isinstance(v, Sym) and it.depends_on_selected(v) for v in arr.items)


TENSOR_ATTRIBUTES: dict[str, Callable] = {
    "shape": lambda it, v, arr, node: tuple(arr.shape),
    "T": lambda it, v, arr, node: arr.transpose(),
    "mT": lambda it, v, arr, node: arr.transpose(),
    "ndim": lambda it, v, arr, node: arr.ndim,
    "real": lambda it, v, arr, node: v,
    "size": lambda it, v, arr, node: SizeInt(arr.shape),
    "data": lambda it, v, arr, node: it.b.detach(v),
    "requires_grad": _requires_grad,
    "is_cuda": lambda it, v, arr, node: False,
    "at": lambda it, v, arr, node: AtIndexer(arr),
    "flat": lambda it, v, arr, node: arr.reshape((arr.size,)),
    "dtype": lambda it, v, arr, node: "float64",
    "device": lambda it, v, arr, node: "cpu",
}
