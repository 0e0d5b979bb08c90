"""The values the frontend computes with while it reads a program.

The frontend interprets the program's syntax abstractly: concrete Python values
(ints, exact ``Fraction`` constants, lists, tuples, ranges) are computed directly,
while anything that depends on the inputs is a :class:`Sym` (a scalar node of the
IR), an :class:`Array` of scalars (a tensor), or a :class:`Cond` (a comparison of
scalars, combined with ``and``/``or``/``not``).

>>> a = Array.from_nested([[1, 2, 3], [4, 5, 6]])
>>> a.shape
(2, 3)
>>> a.index((1,)).items
(4, 5, 6)
>>> a.reshape((3, -1)).shape
(3, 2)
>>> broadcast_shapes((2, 3), (3,))
(2, 3)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence, Union


@dataclass(frozen=True)
class Sym:
    """A scalar that depends on the inputs: node ``nid`` of the IR."""

    nid: int


Scalar = Union[Sym, Fraction, int]


def is_number(value: Any) -> bool:
    return isinstance(value, (int, Fraction)) and not isinstance(value, bool)


def is_scalar(value: Any) -> bool:
    return isinstance(value, Sym) or is_number(value)


class ShapeError(ValueError):
    pass


@dataclass(frozen=True)
class Infinity:
    """``math.inf``, ``float("inf")``, ``-jnp.inf``: only a parameter of some calls (the
    initial value of ``lax.reduce_window``, the order of a norm), never a value."""

    sign: int = 1

    def __neg__(self) -> "Infinity":
        return Infinity(-self.sign)


@dataclass(frozen=True)
class Array:
    """An n-dimensional array of scalars in row-major order (a tensor's entries).

    ``framework`` is the framework that created it (its methods follow that
    framework), or None for a program's own vector inputs and plain lists.
    """

    shape: tuple[int, ...]
    items: tuple[Any, ...]
    framework: str | None = None

    def __post_init__(self):
        if math.prod(self.shape) != len(self.items):
            raise ShapeError(f"shape {self.shape} does not hold {len(self.items)} entries")

    # -- construction -------------------------------------------------------------
    @staticmethod
    def from_nested(value: Any, framework: str | None = None) -> "Array":
        """An array from nested lists/tuples/arrays of scalars (all rows equal length)."""
        if isinstance(value, Array):
            return Array(value.shape, value.items, framework or value.framework)
        if isinstance(value, (list, tuple)):
            if not value:
                return Array((0,), (), framework)
            value = [v.items[0] if isinstance(v, Array) and v.shape == () else v for v in value]  # 0-d: a scalar
            rows = [Array.from_nested(v) if not is_scalar(v) else None for v in value]
            if all(r is None for r in rows):
                return Array((len(value),), tuple(value), framework)
            if any(r is None for r in rows):
                raise ShapeError("a list mixes numbers and lists")
            inner = rows[0].shape
            if any(r.shape != inner for r in rows):
                raise ShapeError("rows of different lengths")
            items = tuple(itertools.chain.from_iterable(r.items for r in rows))
            return Array((len(value),) + inner, items, framework)
        if is_scalar(value):
            return Array((), (value,), framework)
        raise ShapeError(f"cannot make an array from {type(value).__name__}")

    @staticmethod
    def scalar(value: Scalar, framework: str | None = None) -> "Array":
        return Array((), (value,), framework)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return len(self.items)

    def with_items(self, items: Iterable[Any], shape: tuple[int, ...] | None = None) -> "Array":
        return Array(self.shape if shape is None else shape, tuple(items), self.framework)

    def strides(self) -> tuple[int, ...]:
        out, acc = [], 1
        for n in reversed(self.shape):
            out.append(acc)
            acc *= n
        return tuple(reversed(out))

    def item(self, index: Sequence[int]) -> Any:
        return self.items[sum(i * s for i, s in zip(index, self.strides()))]

    def to_nested(self) -> Any:
        if not self.shape:
            return self.items[0]
        return [self.index((i,)).to_nested() for i in range(self.shape[0])]

    # -- shape manipulation --------------------------------------------------------
    def reshape(self, shape: Sequence[int]) -> "Array":
        shape = list(shape)
        if shape.count(-1) > 1:
            raise ShapeError("only one dimension can be -1")
        if -1 in shape:
            known = math.prod(n for n in shape if n != -1)
            if known == 0 or self.size % known:
                raise ShapeError(f"cannot reshape {self.shape} to {tuple(shape)}")
            shape[shape.index(-1)] = self.size // known
        if math.prod(shape) != self.size:
            raise ShapeError(f"cannot reshape {self.shape} to {tuple(shape)}")
        return self.with_items(self.items, tuple(shape))

    def unsqueeze(self, dim: int) -> "Array":
        dim = dim if dim >= 0 else dim + self.ndim + 1
        if not 0 <= dim <= self.ndim:
            raise ShapeError(f"dimension {dim} out of range")
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim: int | None = None) -> "Array":
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dim = self._dim(dim)
        if self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1:])

    def transpose(self) -> "Array":
        if self.ndim < 2:
            return self
        rows, cols = self.shape[-2], self.shape[-1]
        out = []
        for batch in range(math.prod(self.shape[:-2])):
            base = batch * rows * cols
            for j in range(cols):
                for i in range(rows):
                    out.append(self.items[base + i * cols + j])
        return self.with_items(out, self.shape[:-2] + (cols, rows))

    def _dim(self, dim: int) -> int:
        d = dim + self.ndim if dim < 0 else dim
        if not 0 <= d < max(self.ndim, 1):
            raise ShapeError(f"dimension {dim} out of range for shape {self.shape}")
        return d

    def lanes(self, dim) -> tuple[tuple[int, ...], list[list[Any]]]:
        """The slices along ``dim`` (an int, or a tuple of dims reduced together, their
        entries in row-major order): (shape without those dims, [entries of each slice]).

        >>> Array((2, 2, 2), tuple(range(8))).lanes((0, 2))
        ((2,), [[0, 1, 4, 5], [2, 3, 6, 7]])
        """
        dims = self._dims(dim)
        outer = tuple(n for d, n in enumerate(self.shape) if d not in dims)
        inner = [range(self.shape[d]) for d in dims]
        out = []
        for index in itertools.product(*[range(n) for n in outer]):
            lane = []
            for sub in itertools.product(*inner):
                full, it_outer, it_sub = [], iter(index), iter(sub)
                for d in range(self.ndim):
                    full.append(next(it_sub) if d in dims else next(it_outer))
                lane.append(self.item(tuple(full)))
            out.append(lane)
        return outer, out

    def _dims(self, dim) -> tuple[int, ...]:
        """``dim`` as sorted distinct dims (an int or a sequence of ints, negative allowed)."""
        if isinstance(dim, (tuple, list)):
            dims = sorted({self._dim(int(d)) for d in dim})
            if len(dims) != len(dim):
                raise ShapeError(f"dim {tuple(dim)} names a dimension twice")
            return tuple(dims)
        return (self._dim(int(dim)),)

    def stack_lanes(self, values: Sequence[Any], outer: tuple[int, ...], dim,
                    keepdim: bool = False) -> "Array":
        shape = outer
        if keepdim:
            dims = self._dims(dim)
            it = iter(outer)
            shape = tuple(1 if d in dims else next(it) for d in range(self.ndim))
        return self.with_items(values, shape)

    # -- indexing ------------------------------------------------------------------
    def index(self, key: tuple) -> "Array | Any":
        """Basic indexing: ints, slices, None (new axis) and one Ellipsis."""
        if any(k is Ellipsis for k in key):
            at = key.index(Ellipsis)
            fill = self.ndim - (len([k for k in key if k is not None]) - 1)
            key = key[:at] + (slice(None),) * fill + key[at + 1:]
        dims = [k for k in key if k is not None]
        if len(dims) > self.ndim:
            raise ShapeError(f"too many indices for an array of shape {self.shape}")
        key = key + (slice(None),) * (self.ndim - len(dims))
        axes: list[list[int] | int] = []
        out_shape: list[int] = []
        d = 0
        for k in key:
            if k is None:
                out_shape.append(1)
                axes.append([0])
                continue
            n = self.shape[d]
            if isinstance(k, int):
                i = k + n if k < 0 else k
                if not 0 <= i < n:
                    raise IndexError(f"index {k} is out of range for a dimension of size {n}")
                axes.append(i)
            elif isinstance(k, slice):
                rng = range(*k.indices(n))
                axes.append(list(rng))
                out_shape.append(len(rng))
            else:
                raise ShapeError(f"unsupported index {k!r}")
            d += 1
        real_axes = [a for a, k in zip(axes, key) if k is not None]
        items = []
        pools = [[a] if isinstance(a, int) else a for a in real_axes]
        for idx in itertools.product(*pools):
            items.append(self.item(idx))
        if not out_shape:
            return items[0]
        return self.with_items(items, tuple(out_shape))

    def set_index(self, key: tuple, value: Any) -> "Array":
        """A copy with ``self[key] = value`` (value broadcast to the selected shape)."""
        positions = Array(self.shape, tuple(range(self.size))).index(key)
        targets = positions.items if isinstance(positions, Array) else (positions,)
        tshape = positions.shape if isinstance(positions, Array) else ()
        vals = broadcast_to(value, tshape).items if isinstance(value, Array) or tshape else (value,)
        items = list(self.items)
        for pos, v in zip(targets, vals):
            items[pos] = v
        return self.with_items(items)

    def iterate(self) -> list[Any]:
        if not self.shape:
            raise ShapeError("iteration over a 0-d array")
        return [self.index((i,)) for i in range(self.shape[0])]


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """numpy's broadcasting rule."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(ndim):
        sizes = {s[len(s) - ndim + axis] for s in shapes if len(s) - ndim + axis >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise ShapeError(f"shapes {' and '.join(map(str, shapes))} do not broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_to(value: Any, shape: tuple[int, ...]) -> Array:
    arr = value if isinstance(value, Array) else Array.scalar(value)
    if arr.shape == shape:
        return arr
    broadcast_shapes(arr.shape, shape)
    pad = (1,) * (len(shape) - arr.ndim) + arr.shape
    items = []
    for index in itertools.product(*[range(n) for n in shape]):
        src = tuple(0 if p == 1 else i for i, p in zip(index, pad))
        items.append(arr.reshape(pad).item(src) if arr.shape else arr.items[0])
    return Array(shape, tuple(items), arr.framework)


def elementwise(fn: Callable[..., Any], *operands: Any, framework: str | None = None) -> Any:
    """Apply a scalar function entrywise with broadcasting; scalars stay scalars."""
    if not any(isinstance(op, Array) for op in operands):
        return fn(*operands)
    arrays = [op if isinstance(op, Array) else Array.scalar(op) for op in operands]
    shape = broadcast_shapes(*(a.shape for a in arrays))
    full = [broadcast_to(a, shape) for a in arrays]
    fw = framework or next((a.framework for a in arrays if a.framework), None)
    return Array(shape, tuple(fn(*entries) for entries in zip(*(a.items for a in full))), fw)


# -- conditions ---------------------------------------------------------------------
@dataclass(frozen=True)
class Cond:
    """A symbolic truth value: a formula whose atoms are ``("cmp", rel, x, y)`` with
    scalar operands ``x``, ``y`` (``Sym`` or numbers)."""

    formula: tuple

    def __and__(self, other: "Cond") -> "Cond":
        return Cond(("and", (self.formula, other.formula)))

    def __or__(self, other: "Cond") -> "Cond":
        return Cond(("or", (self.formula, other.formula)))

    def __invert__(self) -> "Cond":
        return Cond(("not", self.formula))


def _junction(kind: str, parts: Sequence[Any]) -> Any:
    """``and``/``or`` of truth values that may be Python bools or Conds."""
    absorbing = kind == "or"  # True absorbs an `or`, False an `and`
    live = []
    for p in parts:
        if p is absorbing:
            return absorbing
        if p is not (not absorbing):
            live.append(p)
    if not live:
        return not absorbing
    if len(live) == 1:
        return live[0]
    return Cond((kind, tuple(c.formula for c in live)))


def cond_and(parts: Sequence[Any]) -> Any:
    return _junction("and", parts)


def cond_or(parts: Sequence[Any]) -> Any:
    return _junction("or", parts)


def cond_not(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    return ~value


def cond_operands(formula: tuple) -> list[Any]:
    """The scalar operands of a condition's comparisons, in order of appearance."""
    from ..core.atoms import formula_leaves
    found: list[Any] = []
    for leaf in formula_leaves(formula):
        for x in leaf[2:]:
            if x not in found:
                found.append(x)
    return found
