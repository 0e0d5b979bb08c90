"""Maxima and minima: binary, n-ary with a first-index rule, and even-split reductions.

Tie rules (docs/reference/frameworks-measured.md §2, §3; torch 2.13.0, jax 0.10.2, tensorflow 2.21.0):

* ``maximum_split``: ``torch.maximum``, ``torch.max(a, b)``, ``jnp.maximum``,
  ``lax.max``: ``(a + b)/2`` on ``a == b``, i.e. gradient (1/2, 1/2).
* ``maximum_first``: ``tf.maximum`` gives everything to the first argument (``a >= b``).
* ``max_first``: Python's ``max`` (CPython keeps the first maximal item),
  ``torch.max(x, dim).values``, ``x[x.argmax()]``, and every max-pooling window: the
  first maximal entry gets the whole gradient.
* ``max_even``: value-only reductions ``torch.max(x)``, ``torch.amax``, ``jnp.max``,
  ``tf.reduce_max``: 1/k to each of the k tied maximal entries. Its table has
  2**n - 1 branches, one per set of tied maximal entries (Després 2024b, eq. 19), so it is
  enumerated lazily: the solver proposes the tie sets that are feasible on a piece.

The ``min`` versions mirror them.
"""

from __future__ import annotations

import dataclasses

import itertools
from typing import Sequence

import numpy as np
import sympy
import z3

from fractions import Fraction

from ..core.exact import exact, sign
from .registry import (ARGS, Branch, masking, multiplying, ExplicitTable, Local, PieceTable, Primitive, Signature, Call, add_call,
                       calls, elementwise, eq, ge, gt, le, lt, register, table)

_MEASURED = "torch 2.13.0, jax 0.10.2, tensorflow 2.21.0 (docs/reference/frameworks-measured.md §2-3)"


def _binary(kind: str, rule: str) -> ExplicitTable:
    a, b = ARGS[0], ARGS[1]
    better = gt if kind == "max" else lt
    if rule == "split":
        return table(2, [([better(a, b)], a), ([better(b, a)], b), ([eq(a, b)], (a + b) / 2)])
    if rule == "first":
        at_least = ge if kind == "max" else le
        return table(2, [([at_least(a, b)], a), ([better(b, a)], b)])
    if rule == "second":
        at_least = ge if kind == "max" else le
        return table(2, [([better(a, b)], a), ([at_least(b, a)], b)])
    raise ValueError(rule)


_ZERO, _ONE = exact(0), exact(1)


def _one_hot(label: str, value, index: int, n: int, output_rows: int = 1) -> Local:
    row = tuple(_ONE if i == index else _ZERO for i in range(n))
    return Local(label, (value,), (row,), (tuple(i != index for i in range(n)),))


class FirstWinsTable(ExplicitTable):
    """Entry i wins when it beats every earlier entry strictly and later ones weakly
    (``last``: the other way round, the last extremal entry wins). Listed with n
    branches; its compact encoding is the left fold a program would write."""

    def __init__(self, n: int, kind: str = "max", last: bool = False, python: bool = False):
        a = ARGS[:n]
        strict, weak = (gt, ge) if kind == "max" else (lt, le)
        rows = []
        for i in range(n):
            before = [(strict if not last else weak)(a[i], a[j]) for j in range(i)]
            after = [(weak if not last else strict)(a[i], a[j]) for j in range(i + 1, n)]
            rows.append((before + after, a[i]))
        super().__init__(n, table(n, rows).branches())
        self.kind, self.last, self.python = kind, last, python

    def detached_args(self, branch):
        """Python's ``max``/``min`` return the winning object: the others are not in the
        autodiff graph at all (no zero passes to them, so an infinite derivative behind a
        loser makes no nan, as it does behind ``torch.max(x, dim)``)."""
        if not self.python:
            return ()
        winner = ARGS[:self.n_args].index(branch.value[0])
        return tuple(i for i in range(self.n_args) if i != winner)

    def at(self, values):
        """The winner found by a scan (no symbolic branch): one-hot derivative."""
        better = (lambda s: s > 0) if self.kind == "max" else (lambda s: s < 0)
        best = 0
        for i in range(1, len(values)):
            s = sign(values[i] - values[best])
            if better(s) or (self.last and s == 0):
                best = i
        local = _one_hot(f"a{best} wins", values[best], best, len(values))
        if self.python:
            return dataclasses.replace(local, detached=tuple(i for i in range(len(values)) if i != best))
        return local

    def numeric(self, args):
        """The winner over arrays: ``argmax`` keeps the first maximal entry (``last``: the
        last one, found on the reversed entries); one-hot derivative. A nan entry wins
        (numpy's argmax picks it), so the value is nan where an entry is undefined."""
        from ..core.vectorised import NumericLocal, OneHot, rows, size_of
        n = size_of(args)
        if n is not None:
            scanned = self._scan(args, n)
            if scanned is not None:
                return NumericLocal(*scanned)
        x = rows(args, n)
        pick = np.argmax if self.kind == "max" else np.argmin
        index = len(args) - 1 - pick(x[::-1], axis=0) if self.last else pick(x, axis=0)
        value = np.take_along_axis(x, index[None], axis=0)[0]
        return NumericLocal((value if n is not None else value[0],), (OneHot(index),))

    def _scan(self, args, n: int) -> tuple | None:
        """The extremum by IEEE maximum (minimum), then the winner's index as the number of
        entries before the first (after the last) entry equal to it: plain passes, no
        masked copies, no (k, n) stack. None where an entry is nan (the IEEE extremum
        propagates it), which the caller settles by argmax."""
        from ..core.vectorised import OneHot
        extreme = np.maximum if self.kind == "max" else np.minimum
        value = np.array(np.broadcast_to(args[0], (n,)), dtype=float)
        for a in args[1:]:
            extreme(value, a, out=value)    # the winner's value, but for the sign of a zero
        if np.isnan(value).any():
            return None
        k = len(args)
        order = range(k - 1, 0, -1) if self.last else range(k - 1)
        index = np.full(n, k - 1 if self.last else 0, dtype=np.uint8 if k <= 256 else np.intp)
        before = np.ones(n, dtype=bool)    # no entry equal to the extremum met yet
        differs = np.empty(n, dtype=bool)
        for i in order:
            np.not_equal(args[i], value, out=differs)
            before &= differs
            if self.last:
                index -= before
            else:
                index += before
        zero = np.flatnonzero(value == 0)
        if len(zero):     # maximum(-0.0, 0.0) may be either: a zero is the winner's own
            winners = index[zero]
            for i in np.flatnonzero(np.bincount(winners)):    # (np.unique would import numpy.ma)
                chosen = zero[winners == i]
                value[chosen] = np.broadcast_to(args[i], (n,))[chosen]
        return (value,), (OneHot(index),)

    def encode_fast(self, Z, args, tangents):
        """``m = a0; m = ai if ai beats m``: strictly for the first winner, weakly for the last."""
        if self.kind == "max":
            beats = (lambda a, m: a >= m) if self.last else (lambda a, m: a > m)
        else:
            beats = (lambda a, m: a <= m) if self.last else (lambda a, m: a < m)
        value, tangent = args[0], list(tangents[0])
        for a, t in zip(args[1:], tangents[1:]):
            c = beats(a, value)
            value = Z.If(c, a, value)
            tangent = [Z.select(c, x, y) for x, y in zip(t, tangent)]
        return [value], [tangent]


def first_wins(n: int, kind: str = "max", last: bool = False, python: bool = False) -> ExplicitTable:
    return FirstWinsTable(n, kind, last, python)


class TiedSetTable(PieceTable):
    """The reduction whose formula on a tie set S is the mean of S (even split).

    Branches are listed as in Després 2024b (eq. 19): singletons, then pairs, ..., then
    the whole set; there are 2**n - 1 of them.
    """

    #: the losers' derivative is a product with 0 (``grad * (x == max) / count`` in torch's
    #: evenly_distribute_backward, jax's location indicators, tensorflow's _MinOrMaxGrad):
    #: a nan or infinite gradient reaching a loser is nan (torch 2.13, jax 0.10, tf 2.21)
    zero_masks = False

    implicit = True

    def __init__(self, n: int, kind: str = "max"):
        self.n_args = n
        self.n_out = 1
        self.kind = kind

    def branch(self, tied: Sequence[int]) -> Branch:
        a = ARGS[:self.n_args]
        s = tied[0]
        better = gt if self.kind == "max" else lt
        where = [eq(a[s], a[i]) for i in tied[1:]]
        where += [better(a[s], a[k]) for k in range(self.n_args) if k not in tied]
        value = sympy.Add(*[a[i] for i in tied]) / len(tied)
        return Branch(tuple(where), (value,), "tie " + "=".join(f"a{i}" for i in tied),
                      (len(tied), tuple(tied)))

    def branches(self):
        for size in range(1, self.n_args + 1):
            for tied in itertools.combinations(range(self.n_args), size):
                yield self.branch(tied)

    def count(self) -> int:
        return 2 ** self.n_args - 1

    def branch_at(self, values: Sequence) -> Branch:
        return self.branch(self._tied(values))

    def at(self, values):
        """The extremum, and 1/k on each of the k entries equal to it (no symbolic branch)."""
        tied = self._tied(values)
        share = exact(Fraction(1, len(tied)))
        row = tuple(share if i in tied else _ZERO for i in range(len(values)))
        zeros = tuple(i not in tied and self.zero_masks for i in range(len(values)))
        return Local("tie " + "=".join(f"a{i}" for i in tied), (values[tied[0]],), (row,), (zeros,))

    def numeric(self, args):
        """The extremum over arrays, and 1/k on each of the k entries equal to it."""
        from ..core.vectorised import NumericLocal, rows, size_of
        n = size_of(args)
        x = rows(args, n)
        with np.errstate(all="ignore"):
            m = x.max(axis=0) if self.kind == "max" else x.min(axis=0)   # nan if an entry is nan
            tied = x == m
            weights = tied / tied.sum(axis=0)
        if n is None:
            return NumericLocal((m[0],), (tuple(float(w[0]) for w in weights),))
        return NumericLocal((m,), (tuple(weights),))

    def _tied(self, values) -> list[int]:
        best = [0]
        for i in range(1, len(values)):
            s = sign(values[i] - values[best[0]])
            if (s > 0) if self.kind == "max" else (s < 0):
                best = [i]
            elif s == 0:
                best.append(i)
        return best

    def encode_fast(self, Z, args, tangents):
        """The running extremum, and the mean of the tangents of the entries equal to it."""
        better = (lambda a, b: a > b) if self.kind == "max" else (lambda a, b: a < b)
        m = args[0]
        for a in args[1:]:
            m = Z.If(better(a, m), a, m)
        channels = len(tangents[0]) if tangents else 0
        if all(isinstance(t, int) and t == 0 for row in tangents for t in row):
            return [m], [[0] * channels]
        tied = [a == m for a in args]
        count = Z.Sum([Z.If(t, 1, 0) for t in tied]) if len(args) > 1 else Z.IntVal(1)
        out = []
        for j in range(channels):
            total = 0
            for t, tan in zip(tied, tangents):
                if not (isinstance(tan[j], int) and tan[j] == 0):
                    total = Z.add(total, Z.If(t, Z.term(tan[j]), Z.RealVal(0)))
            if isinstance(total, int):
                out.append(0)
                continue
            mean = total
            for k in range(len(args), 1, -1):
                mean = Z.If(count == k, total / k, mean)
            out.append(mean)
        return [m], [out]

    def encode_choice(self, terms: Sequence, fresh) -> tuple[list, list, object]:
        m = fresh("m")
        inside = [z3.Bool(f"{m}_in{i}") for i in range(len(terms))]
        bound = [t <= m if self.kind == "max" else t >= m for t in terms]
        constraints = bound + [z3.Or([t == m for t in terms])]
        constraints += [inside[i] == (terms[i] == m) for i in range(len(terms))]

        def decode(model):
            tied = [i for i, b in enumerate(inside) if z3.is_true(model.eval(b, model_completion=True))]
            return self.branch(tied)
        return constraints, inside, decode


def _reduce(kind: str, forward: str | None = None):
    """Build a value-only reduction (all entries, or along ``dim``) on ``max_even``
    (``forward``: the primitive used in forward mode instead)."""
    def build(b, bound):
        prim = forward if forward and b.profile.mode == "forward" else f"{kind}_even"
        return b.reduce(prim, bound["input"], bound.get("dim"), bool(bound.get("keepdim")))
    return build


def _torch_max(kind: str):
    """``torch.max``: reduction, ``(values, indices)`` along ``dim``, or binary."""
    def build(b, bound):
        x, second = bound["input"], bound["dim"]
        if bound.get("other") is not None:
            second = bound["other"]
        if second is None:
            return b.reduce(f"{kind}_even", x, None, False)
        if isinstance(second, int) and not isinstance(second, bool):
            values = b.reduce(f"{kind}_first", x, second, bool(bound["keepdim"]))
            return b.indexed_result(values, f"torch.{kind}(x, dim)")
        return b.map(f"{'maximum' if kind == 'max' else 'minimum'}_split", x, second)
    return build


def _custom_binary(kind: str, weight):
    """Binary max/min giving ``weight`` of a tie to the first argument (custom profile)."""
    a, b = ARGS[0], ARGS[1]
    better = gt if kind == "max" else lt
    w = sympy.Rational(weight.numerator, weight.denominator)
    return table(2, [([better(a, b)], a), ([better(b, a)], b), ([eq(a, b)], w * a + (1 - w) * b)])


def gather_first(n: int, kind: str = "max") -> ExplicitTable:
    """``values[argmax(keys)]`` over ``n`` keys then ``n`` values: the entry of the first
    extremal key (argmax and argmin return the first index in every framework)."""
    rows = first_wins(n, kind).branches()
    return table(2 * n, [(b.where, ARGS[n + i]) for i, b in enumerate(rows)])


def _argmax(kind: str, none_axis: int | None = None):
    """``argmax``/``argmin``: an index that can only be used to gather (``x[i]``,
    ``take_along_axis``, ``gather``). ``none_axis``: what ``axis=None`` means (tf: 0)."""
    def build(b, bound):
        dim = bound.get("dim")
        if dim is None:
            dim = none_axis
        return b.arg_index(bound["input"], kind, dim, bool(bound.get("keepdim")))
    return build


def _take_along(b, bound):
    return b.gather(bound["input"], bound["index"], bound.get("dim"))


def _jax_reduce(kind: str):
    """``jnp.max(a, axis, keepdims, initial)``: ``initial`` joins by the binary tie split."""
    def build(b, bound):
        out = b.reduce(f"{kind}_even", bound["input"], bound.get("dim"), bool(bound.get("keepdim")))
        if bound.get("initial") is not None:
            out = b.map(f"{'maximum' if kind == 'max' else 'minimum'}_split", out, bound["initial"])
        return out
    return build


def _lax_reduce(kind: str):
    """``lax.reduce_max(operand, axes)``: over the given axes (ties split evenly)."""
    def build(b, bound):
        x = b.to_array(bound["input"])
        axes = sorted(int(a) % max(x.ndim, 1) for a in bound["axes"])
        if axes == list(range(x.ndim)):
            return b.reduce(f"{kind}_even", x, None, False)
        return b.reduce(f"{kind}_even", x, tuple(axes), False)
    return build


def _python_max(kind: str):
    """Python's ``max``/``min``: one iterable, or several arguments; first wins."""
    def build(b, bound):
        items = bound["args"]
        if bound.get("key") is not None or bound.get("default") is not None:
            b.fail(f"{kind}() with key= or default= is not supported", f"{kind}(a, b, ...) or {kind}(iterable)")
        if len(items) == 1:
            items = b.iterate(items[0])
        if not items:
            b.fail(f"{kind}() of an empty sequence", f"{kind} of at least one value")
        with b.python_level():
            return b.apply(f"{kind}_python", b.scalars_of_each(items))
    return build


for _kind in ("max", "min"):
    _other = "maximum" if _kind == "max" else "minimum"
    register(Primitive(
        f"{_other}_split", lambda k=_kind: _binary(k, "split"),
        f"Binary {_kind}; on a tie both arguments get 1/2.", arity=2,
        calls=calls({"torch": [f"torch.{_other}"], "jax": [f"jax.numpy.{_other}", f"jax.lax.{_kind}"]},
                    "input, other", elementwise(f"{_other}_split", "input", "other")),
        measured=(_MEASURED,)))
    register(Primitive(
        f"{_other}_split_mul", lambda k=_kind: multiplying(_binary(k, "split")),
        f"Binary {_kind} as {_other}_split, but its derivative multiplies by the indicator of the "
        "winner, so a nan or infinite gradient reaching the loser is nan: jax in both modes "
        f"(lax.{_kind}), torch.{_other} in forward mode (measured on jax 0.10.2, torch 2.13.0).",
        arity=2, measured=("jax 0.10.2", "torch 2.13.0")))
    register(Primitive(
        f"{_other}_first", lambda k=_kind: _binary(k, "first"),
        f"Binary {_kind}; on a tie the first argument gets everything (tf.{_other}).", arity=2,
        calls=calls({"tensorflow": [f"tensorflow.{_other}", f"tensorflow.math.{_other}"]},
                    "x, y", elementwise(f"{_other}_first", "x", "y")),
        measured=(_MEASURED,)))
    register(Primitive(
        f"{_kind}_first", lambda n, k=_kind: first_wins(n, k),
        f"n-ary {_kind}; the first extremal entry wins (torch.{_kind}(x, dim).values, pooling); the "
        "others get a zero gradient.",
        arity=None, measured=(_MEASURED,)))
    register(Primitive(
        f"{_kind}_python", lambda n, k=_kind: first_wins(n, k, python=True),
        f"Python's {_kind}: the first extremal entry wins and is the object returned; the others "
        "are not in the autodiff graph (no gradient, not even a zero, passes to them).",
        arity=None,
        calls=[Call(f"builtins.{_kind}", None, Signature.parse("*args, key=None, default=None"),
                    _python_max(_kind))],
        measured=(_MEASURED,)))
    register(Primitive(
        f"{_kind}_even_mask", lambda n, k=_kind: masking(TiedSetTable(n, k)),
        f"{_kind}_even whose losers get a masked zero (a nan or infinite gradient reaching them "
        f"passes as 0): torch.a{_kind} in forward mode (measured on torch 2.13.0, where "
        f"torch.{_kind}(x) multiplies).", arity=None, measured=("torch 2.13.0",)))
    register(Primitive(
        f"{_kind}_even", lambda n, k=_kind: TiedSetTable(n, k),
        f"Value-only {_kind} reduction; 1/k to each of k tied entries.", arity=None,
        calls=calls({"torch": [f"torch.Tensor.{_kind}", f"torch.{_kind}"]},
                    "input, dim=None, keepdim=False, other=None", _torch_max(_kind))
        + calls({"torch": [f"torch.a{_kind}", f"torch.Tensor.a{_kind}"]},
                "input, dim=None, keepdim=False", _reduce(_kind, forward=f"{_kind}_even_mask"))
        + calls({"jax": [f"jax.numpy.{_kind}", f"jax.numpy.a{_kind}", f"jax.Array.{_kind}"],
                 None: [f"numpy.{_kind}", f"numpy.a{_kind}"]},
                "a:input, axis:dim=None, out=None, keepdims:keepdim=False, initial=None", _jax_reduce(_kind))
        + calls({"tensorflow": [f"tensorflow.reduce_{_kind}", f"tensorflow.math.reduce_{_kind}"]},
                "input_tensor:input, axis:dim=None, keepdims:keepdim=False", _reduce(_kind)),
        measured=(_MEASURED,)))


for _kind in ("max", "min"):
    _other = "maximum" if _kind == "max" else "minimum"
    register(Primitive(
        f"{_other}_second", lambda k=_kind: _binary(k, "second"),
        f"Binary {_kind}; on a tie the second argument gets everything: jnp.f{_kind}, and "
        f"torch.f{_kind} in forward mode when it is fmax (docs/reference/frameworks-measured.md §2).", arity=2,
        calls=calls({"jax": [f"jax.numpy.f{_kind}"]}, "x1:input, x2:other",
                    elementwise(f"{_other}_second", "input", "other")),
        measured=(_MEASURED,)))
    register(Primitive(
        f"{_other}_second_mul", lambda k=_kind: multiplying(_binary(k, "second")),
        f"{_other}_second whose derivative multiplies by the indicator of the winner (a nan or "
        f"infinite gradient reaching the loser is nan): torch.f{_kind} in forward mode (measured on "
        "torch 2.13.0).", arity=2, measured=("torch 2.13.0",)))
    register(Primitive(
        f"{_other}_custom", lambda w, k=_kind: _custom_binary(k, w),
        f"Binary {_kind} with a chosen weight w of a tie to the first argument (params: w); "
        f"the custom profile's maxtie rule.", arity=2, measured=("a teaching profile, not a framework",)))
    register(Primitive(
        f"gather_{_kind}_first", lambda n, k=_kind: gather_first(n // 2, k),
        f"values[arg{_kind}(keys)]: the value at the first extremal key (x[x.arg{_kind}()], "
        f"take_along_axis, gather; docs/reference/frameworks-measured.md §3, §5).", arity=None,
        calls=calls({"torch": [f"torch.arg{_kind}", f"torch.Tensor.arg{_kind}"]},
                    "input, dim=None, keepdim=False", _argmax(_kind))
        + calls({"jax": [f"jax.numpy.arg{_kind}", f"jax.Array.arg{_kind}"]},
                "a:input, axis:dim=None, out=None, keepdims:keepdim=False", _argmax(_kind))
        + calls({"tensorflow": [f"tensorflow.arg{_kind}", f"tensorflow.math.arg{_kind}"]},
                "input, axis:dim=None, output_type=None, name=None", _argmax(_kind, none_axis=0)),
        measured=(_MEASURED,)))

# torch.fmax: reverse mode gives a tie to a (a >= b), forward mode to b (a > b): FWD≠REV
# (docs/reference/frameworks-measured.md §2, §8.9). torch.fmin gives it to a in both modes.
add_call(Call("torch.fmax", "torch", Signature.parse("input, other"),
              lambda b, bd: b.map("maximum_second" if b.profile.mode == "forward" else "maximum_first",
                                  bd["input"], bd["other"])), "maximum_first")
add_call(Call("torch.fmin", "torch", Signature.parse("input, other"),
              elementwise("minimum_first", "input", "other")), "minimum_first")
for _name in ("torch.gather",):
    add_call(Call(_name, "torch", Signature.parse("input, dim, index, sparse_grad=False"), _take_along),
             "gather_max_first")
add_call(Call("jax.numpy.take_along_axis", "jax",
              Signature.parse("arr:input, indices:index, axis:dim=-1, mode=None, fill_value=None"),
              _take_along), "gather_max_first")
add_call(Call("tensorflow.gather", "tensorflow",
              Signature.parse("params:input, indices:index, validate_indices=None, axis:dim=None, "
                              "batch_dims=0, name=None"), _take_along), "gather_max_first")
for _kind in ("max", "min"):
    add_call(Call(f"jax.lax.reduce_{_kind}", "jax", Signature.parse("operand:input, axes"), _lax_reduce(_kind)),
             f"{_kind}_even")
