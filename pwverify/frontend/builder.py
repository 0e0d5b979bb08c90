"""The builder: how the frontend and the registry's calls create IR nodes.

Every node of a program is made here, so constant folding, the checks of a
primitive's domain on constants, the framework bookkeeping and the source location
of each node are handled once. A registered call (``pwverify.primitives``) receives
the builder and its bound arguments, and returns a value.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
import sys
from fractions import Fraction
from typing import Any, Callable, NoReturn, Sequence

import sympy

from ..core.atoms import Atom
from ..primitives.conventions import Profile
from ..core.errors import ArityError, FrameworkError, Location, UnsupportedError
from ..ir.graph import Graph, Node
from ..primitives import registry
from ..primitives.layers import Param
from ..primitives.arith import affine_params
from ..primitives.registry import ARGS
from ..primitives.tensors import Masked, Unset
from .objects import kind as _kind
from .services import ProgramServices
from ..ir.values import (Array, Cond, Infinity, ShapeError, Sym, broadcast_shapes, broadcast_to, cond_operands,
                     elementwise, is_number, is_scalar)


#: Python ints at or above this magnitude do not convert to a tensor (torch: uint64 at most).
_INT_TOO_BIG = Fraction(2**64)
_FLOAT_MAX = Fraction(sys.float_info.max)


@dataclass(frozen=True)
class Module:
    """A callable object made by a framework class (``torch.nn.MaxPool1d(2)``)."""

    call: Callable[..., Any]
    #: made with ``inplace=True``: calling it overwrites its input tensor
    in_place: bool = False

    def describe_value(self) -> str:
        return "a layer object"


@dataclass(frozen=True)
class IndexedResult:
    """``torch.max(x, dim)`` and ``torch.sort``: ``(values, indices)`` with names."""

    values: Any
    what: str

    def describe_value(self) -> str:
        return f"the (values, indices) result of {self.what}"

    def field(self, name: str, builder: "Builder"):
        if name == "values":
            return self.values
        if name == "indices":
            builder.fail(f"the indices of {self.what} are not supported",
                         "the .values of the result (or index 0)")
        builder.fail(f"{self.what} has no attribute {name!r}", "values")


@dataclass(frozen=True)
class ArgIndex:
    """What ``argmax``/``argmin`` return: an index used to gather, never a number.

    ``x[x.argmax()]``, ``jnp.take_along_axis(x, jnp.argmax(x, axis, keepdims=True), axis)``,
    ``torch.gather(x, dim, x.argmax(dim, keepdim=True))`` and ``tf.gather(x, tf.argmax(x))``
    read the entry at the first extremal key (docs/reference/frameworks-measured.md §3, §5).
    """

    keys: Array
    kind: str                 # "max" or "min"
    dim: int | None           # None: over all entries
    keepdim: bool

    def describe_value(self) -> str:
        return "the result of argmax/argmin (usable only as an index: x[x.argmax()])"


def _fraction(value: sympy.Expr) -> Fraction | None:
    value = sympy.nsimplify(value) if not value.is_Rational else value
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    return None


class Builder(ProgramServices):
    """Creates nodes in ``graph`` under a framework ``profile``."""

    def __init__(self, graph: Graph, profile: Profile):
        self.graph = graph
        self.profile = profile
        self.location: Location | None = None
        self.frameworks: dict[str, tuple[str, Location | None]] = {}
        #: inside ``with torch.no_grad()`` (reverse mode): every operation's result is detached
        self.detaching = False
        #: how many ``jax.vmap`` calls are being read around the current one
        self.vmap_depth = 0
        #: The interpreter reading the program: the program's own arithmetic, iteration
        #: and calls (of its functions, lambdas, layers) go through it.
        self.host: Any = None

    # -- errors ------------------------------------------------------------------------
    def fail(self, message: str, hint: str | None = None, kind=UnsupportedError) -> NoReturn:
        raise kind(message, self.location, hint)

    def note_framework(self, framework: str | None, name: str) -> None:
        """Record a framework-specific call; programs may not mix frameworks."""
        if framework is None:
            return
        if framework not in self.frameworks:
            others = {fw: v for fw, v in self.frameworks.items() if fw != framework}
            if others:
                other, (other_name, other_loc) = next(iter(others.items()))
                self.fail(f"{name} is a {framework} call, but the program already uses {other} "
                          f"({other_name} at {other_loc})",
                          "one framework per program", kind=FrameworkError)
            self.frameworks[framework] = (name, self.location)

    # -- scalars -----------------------------------------------------------------------
    def node(self, value: Any) -> int:
        if isinstance(value, Sym):
            return value.nid
        if is_number(value):
            value = Fraction(value)
            if abs(value) >= _INT_TOO_BIG and (value.denominator == 1 or abs(value) > _FLOAT_MAX):
                self.fail("a constant outside the range a tensor can hold (the frameworks raise "
                          "'int too big to convert' or read it as inf)",
                          "constants below 2**64 in magnitude")
            return self.graph.const(value, self.location)
        if isinstance(value, Array) and value.shape == ():
            return self.node(value.items[0])
        if isinstance(value, (Cond, bool, Unset)):
            return self.node(self.scalar(value))
        self.fail(f"expected a number, got {_kind(value)}", "a scalar value")

    def scalar(self, value: Any) -> Any:
        """A scalar from a scalar or a 0-d array; a condition used as a number is 1 or 0."""
        if isinstance(value, Array) and value.shape == ():
            value = value.items[0]
        if is_scalar(value):
            return value
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, Cond):
            return self.indicator(value)
        if isinstance(value, Unset):
            if value.random:
                self.fail(f"{value.where} makes random values, which pwverify does not model",
                          "random values only as the initial value of an nn.Parameter, or constants")
            self.fail(f"an entry of the array made by {value.where} is read before it is written",
                      "write every entry before reading it, or start from zeros")
        self.fail(f"expected a number, got {_kind(value)}", "a scalar value")

    def indicator(self, cond: Cond) -> Any:
        """A comparison used as a number: 1 where it holds, else 0. A boolean tensor is not
        on any framework's autodiff tape, so the step is detached: no tangent flows through
        it, not even a zero one (``jnp.linalg.norm(x < 0)`` has gradient 0 at x = 0, not
        the nan of an infinite derivative times 0)."""
        return self.detach(self.select(cond, [1], [0], lazy=False)[0])

    def number(self, value: Any) -> Any:
        """``value`` with conditions (also inside tensors) turned into 1/0 numbers."""
        if isinstance(value, (Cond, bool)):
            return self.scalar(value)
        if isinstance(value, Array) and any(isinstance(v, (Cond, bool)) for v in value.items):
            return value.with_items([self.scalar(v) if isinstance(v, (Cond, bool)) else v for v in value.items])
        return value

    @staticmethod
    def is_tensor(value: Any) -> bool:
        """Does the value depend on the inputs (a tensor argument, not a Python number)?"""
        if isinstance(value, Array):
            return any(isinstance(v, Sym) for v in value.items)
        return isinstance(value, Sym)

    def exact(self, value: Any) -> Fraction:
        """A parameter that must be a constant (a slope, a bound of a window)."""
        value = self.scalar(value)
        if not is_number(value):
            self.fail("this argument must be a constant, but it depends on the inputs",
                      "a number written in the program")
        return Fraction(value)

    def apply(self, prim: str, operands: Sequence[Any], params: tuple = ()) -> Any:
        """Apply a single-output primitive to scalars (folding constants exactly)."""
        out = self.apply_multi(prim, operands, params)
        if len(out) != 1:
            raise ValueError(f"{prim} has {len(out)} outputs")
        return out[0]

    def binary(self, prim: str, a: Any, b: Any) -> Sym:
        """``add``, ``sub``, ``mul`` or ``div`` of two scalars, one of them a node: what
        :meth:`apply` does, without its general steps (a loop summing 10^5 products)."""
        prim, params = self.profile.substitute(prim, ())
        ids = (a.nid if type(a) is Sym else self.node(a), b.nid if type(b) is Sym else self.node(b))
        nid = self.graph.add(Node(prim, ids, params), self.location)
        if self.detaching:
            return Sym(self.graph.op("stop_gradient", (nid,), (), 1, self.location))
        return Sym(nid)

    def apply_multi(self, prim: str, operands: Sequence[Any], params: tuple = ()) -> list[Any]:
        if any(isinstance(x, Infinity) for x in operands):
            return self._fold_infinite(prim, operands, params)
        operands = [self.scalar(x) for x in operands]
        prim, params = self.profile.substitute(prim, tuple(params))
        primitive = registry.get(prim)
        try:
            tbl = primitive.table(len(operands), tuple(params))
        except (ValueError, TypeError) as exc:
            self.fail(f"{prim}: {exc}", kind=ArityError)
        if all(is_number(x) for x in operands):
            folded = self._fold(prim, tbl, operands)
            if folded is not None:
                return folded
        nid = self.graph.op(prim, [self.node(x) for x in operands], tuple(params), tbl.n_out,
                            self.location)
        if tbl.n_out == 1:
            out = [Sym(nid)]
        else:
            out = [Sym(self.graph.op("get", (nid,), (k,), 1, self.location)) for k in range(tbl.n_out)]
        if self.detaching and prim != "stop_gradient":
            out = [Sym(self.graph.op("stop_gradient", (o.nid,), (), 1, self.location)) for o in out]
        return out

    def dot(self, us: Sequence[Any], vs: Sequence[Any], start: Any = 0) -> Any:
        """``start + sum(u * v)``: one ``affine`` node where one factor of each product is a
        constant (a matrix product with weights, a linear layer, a convolution, a sum),
        instead of a chain of ``mul`` and ``add`` (the same function and autodiff; a product
        of two values that depend on the inputs is a ``mul`` node, a term of the sum).

        Every term is kept, a zero coefficient too (``0 * sqrt(x)`` keeps its domain and its
        nan derivative at 0); :func:`pwverify.engines.linear.canonical` drops the zeros that change
        nothing when programs are compared."""
        terms: dict[int, Fraction] = {}
        constant = Fraction(0)

        def add(value, c) -> None:
            nonlocal constant
            if is_number(value):
                constant += c * Fraction(value)
            else:
                terms[value.nid] = terms.get(value.nid, Fraction(0)) + c
        add(self.scalar(start), Fraction(1))
        for u, v in zip(us, vs):
            tu, tv = type(u), type(v)
            if tv is Sym and (tu is int or tu is Fraction):   # the common case, first
                terms[v.nid] = terms.get(v.nid, 0) + u
                continue
            if tu is Sym and (tv is int or tv is Fraction):
                terms[u.nid] = terms.get(u.nid, 0) + v
                continue
            u, v = (self.scalar(self.param_value(w) if isinstance(w, Param) else w) for w in (u, v))
            if is_number(u) and is_number(v):
                constant += Fraction(u) * Fraction(v)
            elif is_number(u) or is_number(v):
                c, s = (u, v) if is_number(u) else (v, u)
                add(s, Fraction(c))
            else:
                add(self.apply("mul", [u, v]), Fraction(1))
        if not terms:
            return constant
        if len(terms) == 1 and constant == 0 and next(iter(terms.values())) == 1:
            return Sym(next(iter(terms)))
        ids = sorted(terms)
        return self.apply("affine", [Sym(i) for i in ids], affine_params([terms[i] for i in ids], constant))

    @contextlib.contextmanager
    def python_level(self):
        """Python's own selections (builtin ``max``/``min``, ``sorted``) return objects
        that already exist: under ``torch.no_grad()`` what they pick stays attached."""
        saved, self.detaching = self.detaching, False
        try:
            yield
        finally:
            self.detaching = saved

    def _fold_infinite(self, prim: str, operands: Sequence[Any], params: tuple) -> list[Any]:
        """A primitive applied to constants among which an infinity (a ``-inf`` fill of an
        attention mask): its limit, when that is a number or an infinity (``exp(-inf) = 0``);
        an infinity never meets a value that depends on the inputs (the graph holds only
        finite constants)."""
        if not all(isinstance(x, Infinity) or is_number(x) for x in operands):
            self.fail(f"{prim} of an infinite constant and a value that depends on the inputs",
                      "finite constants (e.g. -1e9 for a mask), or infinities only where a softmax or an exp "
                      "of a constant mask removes them")
        prim, params = self.profile.substitute(prim, tuple(params))
        tbl = registry.get(prim).table(len(operands), tuple(params))
        values = [sympy.oo * x.sign if isinstance(x, Infinity) else sympy.Rational(Fraction(x).numerator,
                                                                                  Fraction(x).denominator)
                  for x in operands]
        out = []
        try:
            branch = tbl.branch_at(values)
            results = [sympy.sympify(f).xreplace(dict(zip(ARGS, values))) for f in branch.value]
        except (TypeError, ValueError):
            results = [sympy.nan]
        for r in results:
            if r in (sympy.oo, -sympy.oo):
                out.append(Infinity(1 if r == sympy.oo else -1))
            elif r.is_Rational:
                out.append(Fraction(int(r.p), int(r.q)))
            else:
                args = ", ".join("inf" if v == sympy.oo else "-inf" if v == -sympy.oo else str(v) for v in values)
                self.fail(f"{prim}({args}) is not a number", "finite constants")
        return out

    def _fold(self, prim: str, tbl, operands: Sequence[Any]) -> list[Any] | None:
        values = [sympy.Rational(x.numerator, x.denominator) for x in map(Fraction, operands)]
        point = dict(zip(ARGS, values))
        for atom in tbl.domain:
            if not atom.holds_at(point):
                args = ", ".join(str(v) for v in values)
                self.fail(f"{prim}({args}) is outside its domain ({atom})", "arguments inside the domain")
        branch = tbl.branch_at(values)
        out = []
        for formula in branch.value:
            exact = _fraction(sympy.sympify(formula).xreplace(point))
            if exact is None:
                return None  # exp(1) and friends stay symbolic nodes
            out.append(exact)
        return out

    # -- arrays ------------------------------------------------------------------------
    def to_array(self, value: Any) -> Array:
        if isinstance(value, Array):
            return value
        if isinstance(value, (Cond, Unset)):
            return Array((), (value,))
        if isinstance(value, Masked):
            self.fail("x[mask] has as many entries as the mask holds, which depends on the inputs",
                      "x[mask].sum(), x[mask].mean(), y[mask] = x[mask], or torch.where(mask, x, 0)")
        if isinstance(value, Param):
            return self.param_value(value)
        if isinstance(value, (list, tuple)) and any(isinstance(v, (Cond, bool)) for v in _flat(value)):
            value = _map_nested(value, lambda v: self.scalar(v) if isinstance(v, (Cond, bool)) else v)
        try:
            return Array.from_nested(value if not isinstance(value, (list, tuple)) else list(value))
        except ShapeError as exc:
            self.fail(f"not a tensor: {exc}", "a tensor, a list of numbers, or a number")

    def _operand(self, value: Any) -> Any:
        if isinstance(value, (list, tuple, Param)):
            return self.to_array(value)
        if isinstance(value, (bool, Cond)):
            return self.scalar(value)
        if isinstance(value, (Array, Sym, Infinity)) or is_number(value):
            return value
        self.fail(f"expected a number or a tensor, got {_kind(value)}")

    def map(self, prim: str, *operands: Any, params: tuple = ()) -> Any:
        """Apply ``prim`` entrywise (numpy broadcasting) to scalars and arrays."""
        ops = [self._operand(x) for x in operands]
        try:
            return elementwise(lambda *s: self.apply(prim, s, params), *ops)
        except ShapeError as exc:
            self.fail(str(exc), "operands of the same shape, or broadcastable shapes")

    def reduce(self, prim: str, value: Any, dim: Any = None, keepdim: bool = False) -> Any:
        """Reduce all entries (``dim=None``) or along ``dim`` with an n-ary primitive."""
        arr = self.to_array(value)
        if arr.size == 0:
            self.fail("reduction of an empty tensor")
        if dim is None:
            result = self.apply(prim, list(arr.items))
            return Array((1,) * arr.ndim, (result,), arr.framework) if keepdim else result
        if isinstance(dim, (tuple, list)) and not dim:
            dim = tuple(range(arr.ndim))  # dim=() reduces every dimension, as torch does
        try:
            outer, lanes = arr.lanes(dim if isinstance(dim, (tuple, list)) else int(dim))
        except ShapeError as exc:
            self.fail(str(exc))
        values = [self.apply(prim, lane) for lane in lanes]
        return arr.stack_lanes(values, outer, dim if isinstance(dim, (tuple, list)) else int(dim), keepdim)

    def indexed_result(self, values: Any, what: str) -> IndexedResult:
        """``(values, indices)`` of ``what`` (e.g. ``torch.sort``); only the values are usable."""
        return IndexedResult(values, what)

    def arg_index(self, value: Any, kind: str, dim: Any = None, keepdim: bool = False) -> ArgIndex:
        arr = self.to_array(value)
        if arr.size == 0:
            self.fail(f"arg{kind} of an empty tensor")
        if dim is not None:
            try:
                dim = arr._dim(int(dim))
            except ShapeError as exc:
                self.fail(str(exc))
        return ArgIndex(arr, kind, dim, keepdim)

    def gather(self, values: Any, index: Any, dim: Any = None) -> Any:
        """The entries of ``values`` at an :class:`ArgIndex` (see there)."""
        if not isinstance(index, ArgIndex):
            self.fail("only the result of argmax/argmin can be used as an index that depends on the "
                      "inputs", "x[x.argmax()], take_along_axis(x, argmax(x, axis, keepdims=True), axis)")
        arr = self.to_array(values)
        keys = index.keys
        if arr.shape != keys.shape:
            self.fail(f"gathering from a tensor of shape {arr.shape} with the arg{index.kind} of a tensor of "
                      f"shape {keys.shape}", "tensors of the same shape")
        if dim is not None and index.dim is not None and arr._dim(int(dim)) != index.dim:
            self.fail(f"gathering along dim {dim} with an arg{index.kind} taken along dim {index.dim}",
                      "the same dim for both")
        if index.dim is None:
            if dim is not None and arr.ndim > 1:
                self.fail(f"gathering along dim {dim} with the arg{index.kind} of all entries",
                          f"x[x.arg{index.kind}()]")
            return self._gather_lane(index.kind, list(keys.items), list(arr.items))
        if dim is None and not index.keepdim and arr.ndim > 1:
            self.fail(f"indexing with the arg{index.kind} along a dim is not supported",
                      "take_along_axis / gather with keepdims=True")
        outer, key_lanes = keys.lanes(index.dim)
        _, value_lanes = arr.lanes(index.dim)
        results = [self._gather_lane(index.kind, k, v) for k, v in zip(key_lanes, value_lanes)]
        return arr.stack_lanes(results, outer, index.dim, keepdim=index.keepdim or dim is not None)

    def _gather_lane(self, kind: str, keys: list, values: list) -> Any:
        if all(_same(k, v) for k, v in zip(keys, values)):
            return self.apply(f"{kind}_first", keys)
        return self.apply(f"gather_{kind}_first", keys + values)

    def sort(self, value: Any, dim: Any, descending: bool, ties: str) -> Any:
        arr = self.to_array(value)
        if arr.ndim == 0:
            return arr
        try:
            outer, lanes = arr.lanes(int(dim))
        except ShapeError as exc:
            self.fail(str(exc))
        results = [self.apply_multi("sort", lane, (bool(descending), ties)) if len(lane) > 1 else lane
                   for lane in lanes]
        d = int(dim) % arr.ndim
        # put each sorted lane back along dim
        items = list(arr.items)
        import itertools
        for idx, (index, lane) in enumerate(zip(itertools.product(*[range(n) for n in outer]), results)):
            for k, v in enumerate(lane):
                full = index[:d] + (k,) + index[d:]
                items[sum(i * s for i, s in zip(full, arr.strides()))] = v
        return arr.with_items(items)

    def iterate(self, value: Any) -> list[Any]:
        if isinstance(value, (list, tuple)):
            return list(value)
        if isinstance(value, Array):
            if not value.ndim:
                self.fail("iteration over a 0-d tensor")
            # iterating a tensor makes a new tensor per entry: under no_grad, detached ones
            return [self.detach(v) for v in value.iterate()] if self.detaching else value.iterate()
        if isinstance(value, range):
            return list(value)
        self.fail(f"cannot iterate over {_kind(value)}", "lists, tuples, tensors, range(N)")

    def scalars_of_each(self, items: Sequence[Any]) -> list[Any]:
        return [self.scalar(x) for x in items]

    def module(self, call: Callable[..., Any], in_place: bool = False) -> Module:
        return Module(call, in_place)

    def bind(self, signature: registry.Signature, positional: Sequence, keywords: dict,
             name: str = "the call") -> dict:
        try:
            return signature.bind(positional, keywords)
        except TypeError as exc:
            self.fail(f"{name}() {exc}", f"{name}({signature.render()})", kind=ArityError)

    # -- selection ---------------------------------------------------------------------
    def select(self, cond: Any, thens: Sequence[Any], elses: Sequence[Any], lazy: bool = True) -> list[Any]:
        """Scalars ``thens`` where ``cond`` holds, else ``elses``: one ``select`` node."""
        if isinstance(cond, bool):
            return list(thens if cond else elses)
        thens = [self.scalar(x) for x in thens]
        elses = [self.scalar(x) for x in elses]
        differ = [i for i, (a, b) in enumerate(zip(thens, elses)) if not _same(a, b)]
        if not differ:
            return list(thens)
        operands = [x for x in cond_operands(cond.formula) if isinstance(x, Sym)]
        formula = self._atoms(cond.formula, operands)
        if isinstance(formula, bool):
            return list(thens if formula else elses)
        m, k = len(operands), len(differ)
        args = [self.node(x) for x in operands]
        args += [self.node(thens[i]) for i in differ] + [self.node(elses[i]) for i in differ]
        nid = self.graph.op("select", args, (formula, m, k, lazy), k, self.location)
        if k == 1:
            chosen = [Sym(nid)]
        else:
            chosen = [Sym(self.graph.op("get", (nid,), (j,), 1, self.location)) for j in range(k)]
        out = list(thens)
        for j, i in enumerate(differ):
            out[i] = chosen[j]
        return out

    def _atoms(self, formula: tuple, operands: list[Sym]) -> Any:
        """Replace ("cmp", rel, x, y) by atoms over the select's argument symbols."""
        index = {op: ARGS[i] for i, op in enumerate(operands)}

        def conv(f):
            kind = f[0]
            if kind == "cmp":
                _, rel, x, y = f
                lhs = index[x] if isinstance(x, Sym) else sympy.Rational(Fraction(x).numerator, Fraction(x).denominator)
                rhs = index[y] if isinstance(y, Sym) else sympy.Rational(Fraction(y).numerator, Fraction(y).denominator)
                atom = Atom.make(lhs, rel, rhs)
                return atom if isinstance(atom, bool) else ("atom", atom)
            if kind == "not":
                inner = conv(f[1])
                return (not inner) if isinstance(inner, bool) else ("not", inner)
            parts = [conv(g) for g in f[1]]
            if kind == "and":
                if any(p is False for p in parts):
                    return False
                parts = [p for p in parts if p is not True]
                return True if not parts else parts[0] if len(parts) == 1 else ("and", tuple(parts))
            if any(p is True for p in parts):
                return True
            parts = [p for p in parts if p is not False]
            return False if not parts else parts[0] if len(parts) == 1 else ("or", tuple(parts))

        return conv(formula)

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        """``torch.where``: entrywise, eager (both branches are evaluated)."""
        c = cond if isinstance(cond, (bool, Cond)) or isinstance(cond, Array) else None
        if c is None:
            if is_number(cond):
                c = bool(cond)
            else:
                self.fail("the condition of where must be a comparison", "where(x > 0, a, b)")
        ops = [c if not isinstance(c, (list, tuple)) else self.to_array(c), self._operand(a), self._operand(b)]
        try:
            return elementwise(lambda cc, x, y: self.select(cc, [x], [y], lazy=False)[0], *ops)
        except ShapeError as exc:
            self.fail(str(exc))


def _flat(value: Any):
    for v in value:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


def _map_nested(value: Any, fn) -> Any:
    if isinstance(value, (list, tuple)):
        return [_map_nested(v, fn) for v in value]
    return fn(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Sym) or isinstance(b, Sym):
        return a == b
    return is_number(a) and is_number(b) and Fraction(a) == Fraction(b)


__all__ = ["ArgIndex", "Builder", "Module", "IndexedResult", "broadcast_shapes", "broadcast_to"]
