"""Medians and quantiles: each framework's definition, ties included.

Measured on torch 2.13.0 and jax 0.10.2 (docs/reference/frameworks-measured.md §5, §8.6):

* ``torch.median(x)`` (no dim) and ``torch.nanmedian(x)``: the lower median, with the
  gradient split evenly over every entry equal to it (``median_lower``).
* ``jnp.median``: the mean of the two middle entries of the stable sort (n even), the
  middle entry (n odd); ``jnp.quantile``/``jnp.percentile`` interpolate on the stable
  sort; ``torch.quantile`` likewise (linear). These are built from ``sort``.
* ``torch.median(x, dim)`` returns the entry at position (n-1)//2 of the stable sort, and
  ``torch.kthvalue`` the one its quickselect picks (:mod:`pwverify.primitives.sorting`).
* ``torch.mode``'s value jumps (it is not a continuous selection) and ``cummax`` hands a
  tie to the last index along a scan: they are refused with an error that says so.
"""

from __future__ import annotations

import functools
import itertools
from fractions import Fraction
from math import comb
from typing import Sequence

import sympy
import z3

from ..core.exact import sign
from .registry import ARGS, Branch, Call, PieceTable, Primitive, Signature, eq, gt, lt, register

_MEASURED = "torch 2.13.0, jax 0.10.2 (docs/reference/frameworks-measured.md §5)"


class RankTable(PieceTable):
    """The ``rank``-th smallest of n entries, its gradient split over every entry equal to it.

    A branch is a pair (entries below, entries tied with the value); there is one per
    such pair with ``|below| <= rank < |below| + |tied|``. The solver proposes the
    feasible ones.

    >>> t = RankTable(4, 1)
    >>> str(t.branch_at([2, 2, 1, 1]))
    'a2 == a3 and a0 > a2 and a1 > a2: a2/2 + a3/2'
    """

    implicit = True
    #: torch's median without dim multiplies the gradient by the indicator of the tied
    #: entries (in both modes): a nan or infinite gradient reaching another entry is nan
    zero_masks = False

    def __init__(self, n: int, rank: int):
        self.n_args, self.n_out, self.rank = n, 1, rank

    def branch(self, below: Sequence[int], tied: Sequence[int]) -> Branch:
        a = ARGS[:self.n_args]
        s = tied[0]
        where = [eq(a[s], a[i]) for i in tied[1:]]
        where += [lt(a[i], a[s]) for i in below]
        where += [gt(a[i], a[s]) for i in range(self.n_args) if i not in below and i not in tied]
        value = sympy.Add(*[a[i] for i in tied]) / len(tied)
        label = "median " + "=".join(f"a{i}" for i in tied)
        return Branch(tuple(where), (value,), label, (len(tied), tuple(below), tuple(tied)))

    def branches(self):
        n = self.n_args
        for nb in range(self.rank + 1):
            for below in itertools.combinations(range(n), nb):
                rest = [i for i in range(n) if i not in below]
                for nt in range(self.rank - nb + 1, len(rest) + 1):
                    for tied in itertools.combinations(rest, nt):
                        yield self.branch(below, tied)

    def count(self) -> int:
        n = self.n_args
        return sum(comb(n, b) * comb(n - b, t) for b in range(self.rank + 1)
                   for t in range(self.rank - b + 1, n - b + 1))

    def numeric(self, args):
        """The ``rank``-th smallest over arrays, and 1/k on each of the k entries equal to it."""
        import numpy as np
        from ..core.vectorised import NumericLocal, size_of, stack
        n = size_of(args)
        x = stack(args, n)
        with np.errstate(all="ignore"):
            m = np.sort(x, axis=1)[:, self.rank]
            m = np.where(np.isnan(x).any(axis=1), np.nan, m)
            tied = x == m[:, None]
            weights = tied / tied.sum(axis=1)[:, None]
        if n is None:
            return NumericLocal((m[0],), (tuple(float(w) for w in weights[0]),))
        return NumericLocal((m,), (tuple(weights[:, i] for i in range(x.shape[1])),))

    def branch_at(self, values: Sequence) -> Branch:
        order = sorted(range(self.n_args), key=functools.cmp_to_key(lambda i, j: sign(values[i] - values[j])))
        m = values[order[self.rank]]
        below = [i for i in range(self.n_args) if sign(values[i] - m) < 0]
        tied = [i for i in range(self.n_args) if sign(values[i] - m) == 0]
        return self.branch(below, tied)

    def encode_choice(self, terms: Sequence, fresh):
        m = fresh("median")
        tied = [t == m for t in terms]
        below = [t < m for t in terms]
        count = lambda bs: z3.Sum([z3.If(b, 1, 0) for b in bs])  # noqa: E731
        constraints = [z3.Or(tied), count(below) <= self.rank, count(below) + count(tied) > self.rank]

        def decode(model):
            truth = lambda b: z3.is_true(model.eval(b, model_completion=True))  # noqa: E731
            return self.branch([i for i, b in enumerate(below) if truth(b)],
                               [i for i, b in enumerate(tied) if truth(b)])
        return constraints, tied + below, decode


def _per_lane(b, x, dim, keepdim, fn):
    """``fn(lane) -> scalar`` along ``dim``, or over all entries."""
    arr = b.to_array(x)
    if arr.size == 0:
        b.fail("a quantile of an empty tensor")
    if dim is None:
        return fn(list(arr.items))
    outer, lanes = arr.lanes(int(dim))
    return arr.stack_lanes([fn(lane) for lane in lanes], outer, int(dim), bool(keepdim))


def _torch_median(what: str):
    def build(b, bd):
        if bd.get("dim") is not None:
            from .sorting import _median_dim
            return _median_dim(b, bd)
        arr = b.to_array(bd["input"])
        n = arr.size
        if n == 0:
            b.fail(f"{what} of an empty tensor")
        return b.apply("median_lower", list(arr.items), ((n - 1) // 2,))
    return build


def _sorted_lane(b, lane: list, ties="input") -> list:
    if len(lane) == 1:
        return lane
    return b.apply_multi("sort", lane, (False, ties))


#: torch.quantile sorts with torch's default sort: stable up to 16 entries, then
#: introsort's tie order (measured; see :mod:`pwverify.primitives.orders`).
TORCH_SORT = ("torch", "sort", (("stable", False), ("descending", False)))


def quantile_of_lane(b, lane: list, q: Fraction, method: str, ties="input"):
    """The q-quantile of the ascending sort of ``lane`` (numpy's methods; ``ties``: the
    sort's tie order, stable by default)."""
    s = _sorted_lane(b, lane, ties)
    pos = q * (len(s) - 1)
    lo = pos.numerator // pos.denominator
    frac = pos - lo
    hi = min(lo + 1, len(s) - 1) if frac else lo   # ceil(pos), as torch and jnp.quantile take it
    if method == "nearest":
        # round half to even, as numpy's around and torch's round do
        up = frac > Fraction(1, 2) or frac == Fraction(1, 2) and lo % 2 == 1
        return s[hi] if up else s[lo]
    if method == "lower":
        return s[lo]
    if method == "higher":
        return s[hi] if frac else s[lo]
    if method == "midpoint":
        return b.apply("mul", [b.apply("add", [s[lo], s[hi] if frac else s[lo]]), Fraction(1, 2)])
    # linear: s[lo] * (1 - frac) + s[hi] * frac, as torch.lerp and jnp.quantile compute it,
    # even for frac = 0: the products with 0 turn an infinite gradient into nan there too
    return b.apply("add", [b.apply("mul", [s[lo], 1 - frac]), b.apply("mul", [s[hi], frac])])


def _quantile(what: str, scale: int = 1, default_method: str = "linear", fixed_q=None, ties="input"):
    def build(b, bd):
        q = fixed_q if fixed_q is not None else b.exact(bd["q"]) / scale
        if not 0 <= q <= 1:
            b.fail(f"{what}: q = {q} is outside [0, 1]")
        method = bd.get("interpolation") or bd.get("method") or default_method
        if method not in ("linear", "lower", "higher", "midpoint", "nearest"):
            b.fail(f"{what}: method {method!r} is not supported", "linear, lower, higher, midpoint, nearest")
        return _per_lane(b, bd["input"], bd.get("dim"), bd.get("keepdim"),
                         lambda lane: quantile_of_lane(b, lane, q, method, ties))
    return build


def _refuse(what: str, why: str, instead: str):
    def build(b, bd):
        b.fail(f"{what} is not supported: {why}", instead)
    return build


register(Primitive(
    "median_lower", lambda n, rank: RankTable(n, rank),
    "The rank-th smallest entry (params: rank), the gradient split evenly over every entry "
    "equal to it: torch.median(x) and nanmedian(x) without dim, the lower median "
    "(docs/reference/frameworks-measured.md §5: (1,2,2,2,3) gives (0,1/3,1/3,1/3,0)).",
    arity=None,
    calls=[Call(name, "torch", Signature.parse("input, dim=None, keepdim=False"), _torch_median(what))
           for name, what in (("torch.median", "torch.median"), ("torch.Tensor.median", "torch.median"),
                              ("torch.nanmedian", "torch.nanmedian"), ("torch.Tensor.nanmedian", "torch.nanmedian"))],
    measured=(_MEASURED,)))

_QUANTILE_SIG = ("a:input, q, axis:dim=None, out=None, overwrite_input=False, method='linear', "
                 "keepdims:keepdim=False, interpolation=None")
_QUANTILE_CALLS = [
    Call("jax.numpy.median", "jax",
         Signature.parse("a:input, axis:dim=None, out=None, overwrite_input=False, keepdims:keepdim=False"),
         _quantile("jnp.median", default_method="midpoint", fixed_q=Fraction(1, 2))),
    Call("jax.numpy.nanmedian", "jax",
         Signature.parse("a:input, axis:dim=None, out=None, overwrite_input=False, keepdims:keepdim=False"),
         _quantile("jnp.nanmedian", default_method="midpoint", fixed_q=Fraction(1, 2))),
    Call("jax.numpy.quantile", "jax", Signature.parse(_QUANTILE_SIG), _quantile("jnp.quantile")),
    Call("jax.numpy.percentile", "jax", Signature.parse(_QUANTILE_SIG),
         _quantile("jnp.percentile", scale=100)),
    Call("torch.quantile", "torch",
         Signature.parse("input, q, dim=None, keepdim=False, interpolation='linear'"),
         _quantile("torch.quantile", ties=TORCH_SORT)),
    # numpy's median, quantile and percentile read under torch: torch.quantile (linear)
    Call("numpy_on_torch.median", "torch",
         Signature.parse("a:input, axis:dim=None, out=None, overwrite_input=False, keepdims:keepdim=False"),
         _quantile("np.median", fixed_q=Fraction(1, 2), ties=TORCH_SORT)),
    Call("numpy_on_torch.quantile", "torch", Signature.parse(_QUANTILE_SIG),
         _quantile("np.quantile", ties=TORCH_SORT)),
    Call("numpy_on_torch.percentile", "torch", Signature.parse(_QUANTILE_SIG),
         _quantile("np.percentile", scale=100, ties=TORCH_SORT)),
    Call("torch.Tensor.quantile", "torch",
         Signature.parse("input, q, dim=None, keepdim=False, interpolation='linear'"),
         _quantile("torch.quantile", ties=TORCH_SORT)),
]
_REFUSED = [
    Call("torch.mode", "torch", Signature.parse("input, dim=-1, keepdim=False"),
         _refuse("torch.mode", "the value that occurs most often changes only by jumps: it is not a "
                 "continuous selection of its inputs", "sort, median")),
    Call("torch.cummax", "torch", Signature.parse("input, dim"),
         _refuse("torch.cummax", "a scan whose ties go to the last index is not modelled yet",
                 "torch.max over a slice, or a Python loop")),
]
for _call in _QUANTILE_CALLS:
    from .registry import add_call
    add_call(_call, "sort")
for _call in _REFUSED:
    add_call(_call, "median_lower")
