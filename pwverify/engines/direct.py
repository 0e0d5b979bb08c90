"""The direct encoding: a program's values and autodiff tangents as z3 terms, no decomposition.

Every node becomes z3 terms for its values, its forward-mode tangents (what autodiff
computes, tie rules included), a Boolean "defined here" (domains of log, sqrt,
division; a lazy ``if`` needs only its taken branch) and a Boolean "a non-finite local
derivative is taken on the way" (``sqrt`` at 0). A primitive becomes an ``If`` chain
over its branches, derived from its piece table, so the solver splits cases lazily,
only where a question needs them. Tables with very many branches carry a compact
encoding next to their branches (``encode_fast``: the running maximum of ``torch.max``,
the fold of a first-index maximum, the rank counting of a sort); a test checks each
against the branches.

Tangents come in *channels*. With ``channels="direction"`` there is one channel, the
directional derivative along a symbolic direction ``d`` (free reals, one per input
asked about): two gradients differ at ``x`` exactly when some ``d`` separates them,
and for piecewise-linear programs the query stays linear. With ``channels="basis"``
there is one channel per input (forward mode with basis tangents), which keeps
polynomial programs of lower degree.

>>> import z3
>>> from pwverify import parse
>>> p = parse("relu(-t) + t")
>>> enc = encode_graph(p.graph, channels="basis")
>>> z3.simplify(z3.substitute(enc.tangent(0, 0), (enc.inputs[0], z3.RealVal(0))))
1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import sympy
import z3

from ..ir.graph import Graph
from ..ir.walker import Visitor, walk
from ..primitives.registry import ARGS, PieceTable
from ..solver.terms import TermContext, Unencodable, z3_atom, z3_formula
from .common import required, table_of

#: Tables with more branches than this and no compact encoding are not encoded.
MAX_CHAIN = 5000
ZERO = 0  # a tangent entry known to vanish: kept as a Python 0 so terms stay small
_TRUE, _FALSE = z3.BoolVal(True), z3.BoolVal(False)


class Z:
    """Term helpers for compact encodings (``PieceTable.encode_fast``): they keep known
    zeros as Python 0 and fold ``If`` arms that are the same term. An instance also makes
    fresh variables (``fresh``), for tangents an encoding leaves free."""

    def __init__(self, ctx: TermContext | None = None):
        self.ctx = ctx or TermContext()
        self.abstractions: list[Abstraction] = []

    def fresh(self, stem: str = "free") -> z3.ArithRef:
        return self.ctx.fresh(stem)

    def abstract(self, table, where, rows, args, tangents) -> list:
        """``rows`` where ``where`` is false, fresh variables where it holds: an encoding that
        leaves a tangent free (ties an algorithm orders). The record lets a caller refine
        it at a point (:meth:`Abstraction.lemma`) when a counterexample is not a real one."""
        free = [[self.fresh("tie") for _ in row] for row in rows]
        out = [[Z.select(where, f, t) for f, t in zip(frow, row)] for frow, row in zip(free, rows)]
        self.abstractions.append(Abstraction(table, list(args), [list(t) for t in tangents], free))
        return out

    If = staticmethod(z3.If)
    Or = staticmethod(z3.Or)
    And = staticmethod(z3.And)
    Sum = staticmethod(z3.Sum)
    RealVal = staticmethod(z3.RealVal)
    IntVal = staticmethod(z3.IntVal)

    @staticmethod
    def add(a, b):
        if isinstance(a, int) and a == 0:
            return b
        if isinstance(b, int) and b == 0:
            return a
        return a + b

    @staticmethod
    def scale(c, t):
        """``c * t`` for a coefficient term ``c`` and a tangent entry ``t``."""
        if isinstance(t, int) and t == 0:
            return 0
        if z3.is_rational_value(c):
            if c.numerator_as_long() == 0:
                return 0
            if c.numerator_as_long() == c.denominator_as_long():
                return t
        return c * t

    @staticmethod
    def select(cond, a, b):
        if isinstance(a, int) and isinstance(b, int) and a == b:
            return a
        a = z3.RealVal(a) if isinstance(a, int) else a
        b = z3.RealVal(b) if isinstance(b, int) else b
        if a.eq(b):
            return a
        if z3.is_true(cond):
            return a
        if z3.is_false(cond):
            return b
        return z3.If(cond, a, b)

    @staticmethod
    def term(t):
        return z3.RealVal(t) if isinstance(t, int) else t


@dataclass
class Abstraction:
    """Tangents left free by a compact encoding, with what is needed to pin them at a point."""

    table: object
    args: list                 # the z3 terms of the node's arguments
    tangents: list             # the arguments' tangents (per argument, per channel)
    free: list                 # the free variables (per output, per channel)
    node: int = -1             # the node in the encoded graph

    def lemma(self, values) -> z3.BoolRef:
        """A fact true everywhere: on the tie pattern of the exact argument ``values``,
        the free tangents are the exact ones."""
        from ..primitives.sorting import ranks_of
        ranks = ranks_of(values)
        branch = self.table.branch(ranks)
        symbols = ARGS[:len(self.args)]
        cond = [z3_atom(a, symbols)(TermContext(), *self.args) for a in branch.where]
        exact = self.table.exact_rows(ranks, self.tangents)
        equal = [f == Z.term(t) for frow, row in zip(self.free, exact) for f, t in zip(frow, row)]
        return z3.Implies(z3.And(cond), z3.And(equal)) if cond else z3.And(equal)


@dataclass
class Encoded:
    """A function as z3 terms: per output, its value, its tangent per channel, and flags."""

    inputs: list                       # the z3 variable of each input
    values: list                       # one term per output
    tangents: list[list]               # per output, per channel (Python 0 where it vanishes)
    defined: z3.BoolRef                # the function has a value here
    bad: z3.BoolRef                    # the tangents are not exact here: a non-finite local derivative,
                                       # or a tie whose order an algorithm sets; checked point by point
    directions: list = field(default_factory=list)   # the direction variables ("direction" channels)
    side: list = field(default_factory=list)         # facts about auxiliary variables
    exact: bool = True                 # False: uninterpreted functions were used
    abstractions: list = field(default_factory=list)  # tangents left free (see Abstraction)

    def tangent(self, output: int, channel: int) -> z3.ArithRef:
        return Z.term(self.tangents[output][channel])


class _Encoder(Visitor):
    def __init__(self, graph: Graph, inputs: list, input_tangents: list[list], ctx: TermContext,
                 with_tangents: bool):
        self.graph = graph
        self.inputs = inputs
        self.input_tangents = input_tangents
        self.ctx = ctx
        self.with_tangents = with_tangents
        self.channels = len(input_tangents[0]) if input_tangents else 0
        self.val: dict[int, tuple] = {}
        self.tan: dict[int, tuple] = {}
        self.dfn: dict[int, z3.BoolRef] = {}
        self.bad: dict[int, z3.BoolRef] = {}
        self.terms = Z(ctx)

    # -- leaves ------------------------------------------------------------------------------
    def input(self, nid, name, index):
        self.val[nid] = (self.inputs[index],)
        self.tan[nid] = (tuple(self.input_tangents[index]),)
        self.dfn[nid] = _TRUE
        self.bad[nid] = _FALSE

    def const(self, nid, value):
        self.val[nid] = (z3.RealVal(f"{value.numerator}/{value.denominator}"),)
        self.tan[nid] = ((ZERO,) * self.channels,)
        self.dfn[nid] = _TRUE
        self.bad[nid] = _FALSE

    def get(self, nid, node):
        arg, k = node.args[0], node.params[0]
        self.val[nid] = (self.val[arg][k],)
        self.tan[nid] = (self.tan[arg][k],)
        self.dfn[nid] = self.dfn[arg]
        self.bad[nid] = self.bad[arg]

    # -- primitives ----------------------------------------------------------------------------
    def apply(self, nid, node):
        table = table_of(node)
        args = [self.val[a][0] for a in node.args]
        tans = [self.tan[a][0] for a in node.args]
        defs = [self.dfn[a] for a in node.args]
        bads = [self.bad[a] for a in node.args]
        fast = getattr(table, "encode_fast", None)
        if fast is not None and getattr(table, "positions", True) is not None:
            before = len(self.terms.abstractions)
            encoded = fast(self.terms, args, tans if self.with_tangents else [(ZERO,) * self.channels] * len(args))
            for record in self.terms.abstractions[before:]:
                record.node = nid
            values, tangents = encoded[0], encoded[1]
            # a third item: where the tangents are not exact (ties an algorithm orders)
            opaque = encoded[2] if len(encoded) > 2 and encoded[2] is not None else _FALSE
            dom = self._conj(table.domain, args)
            self.val[nid], self.tan[nid] = tuple(values), tuple(tuple(r) for r in tangents)
            self.dfn[nid] = z3.And(*defs, dom) if defs else dom
            self.bad[nid] = _or(bads + [opaque])
            return
        if table.count() > MAX_CHAIN:
            raise Unencodable(f"{node.op} over {len(args)} entries has {table.count()} cases and no compact "
                              "encoding")
        self._chain(nid, node, table, args, tans, defs, bads)

    def _conj(self, atoms, args) -> z3.BoolRef:
        symbols = ARGS[:len(args)]
        terms = [z3_atom(a, symbols)(self.ctx, *args) for a in atoms]
        return z3.And(terms) if len(terms) > 1 else terms[0] if terms else _TRUE

    def _chain(self, nid, node, table: PieceTable, args, tans, defs, bads):
        """The ``If`` chain over the table's branches (the default encoding)."""
        n = len(args)
        symbols = ARGS[:n]
        branches = list(table.branches())
        conds, vals, tangents, defined, nonfinite = [], [], [], [], []
        for branch in branches:
            conds.append(self._conj(branch.where, args))
            vals.append([z3_formula(f, symbols)(self.ctx, *args) for f in branch.value])
            need = required(table, branch, n)
            defined.append(z3.And([defs[i] for i in need]) if len(need) else _TRUE)
            plan, infinite = _derivative_plan(branch, n)
            if self.with_tangents:
                rows = []
                for row in plan:
                    acc = [ZERO] * self.channels
                    for i, coefficient in row:
                        if coefficient is None:    # a derivative of 1
                            acc = [Z.add(a, t) for a, t in zip(acc, tans[i])]
                            continue
                        c = coefficient(self.ctx, *args)
                        acc = [Z.add(a, _times(c, t)) for a, t in zip(acc, tans[i])]
                    rows.append(acc)
                tangents.append(rows)
            nonfinite.append(infinite and self.with_tangents)
        last = len(branches) - 1
        out_vals, out_def = list(vals[last]), defined[last]
        out_tans = tangents[last] if self.with_tangents else [[ZERO] * self.channels for _ in vals[last]]
        out_bad = _TRUE if nonfinite[last] else _FALSE
        for k in range(last - 1, -1, -1):
            c = conds[k]
            out_vals = [Z.select(c, a, b) for a, b in zip(vals[k], out_vals)]
            if self.with_tangents:
                out_tans = [[Z.select(c, a, b) for a, b in zip(ra, rb)] for ra, rb in zip(tangents[k], out_tans)]
            out_def = _if_bool(c, defined[k], out_def)
            out_bad = _if_bool(c, _TRUE if nonfinite[k] else _FALSE, out_bad)
        dom = self._conj(table.domain, args)
        self.val[nid] = tuple(out_vals)
        self.tan[nid] = tuple(tuple(r) for r in out_tans)
        self.dfn[nid] = z3.And(out_def, dom) if not z3.is_true(dom) else out_def
        self.bad[nid] = _or(bads + [out_bad])


def _derivative_plan(branch, n: int) -> tuple[tuple, bool]:
    """A branch's derivative rows for the encoder, the same for every node of its table:
    per row the ``(argument, z3 builder of the coefficient, or None for 1)`` of the
    entries that are neither 0 nor infinite, and whether an entry is infinite."""
    key = ("z3 derivative", n)
    hit = branch._compiled.get(key)
    if hit is None:
        symbols = ARGS[:n]
        infinite = False
        rows = []
        for row in branch.local_jacobian(n):
            entries = []
            for i, d in enumerate(row):
                if d == 0:
                    continue
                if d.has(sympy.oo, sympy.nan, sympy.zoo):
                    infinite = True
                    continue
                entries.append((i, None if d == 1 else z3_formula(d, symbols)))
            rows.append(tuple(entries))
        hit = branch._compiled[key] = (tuple(rows), infinite)
    return hit


def _times(c, t):
    """``c * t`` for a coefficient term that is not 1 (a known zero tangent stays 0)."""
    if isinstance(t, int) and t == 0:
        return 0
    return c * t


def _if_bool(c, a, b):
    if a.eq(b):
        return a
    return z3.If(c, a, b)


def _or(terms: list) -> z3.BoolRef:
    terms = [t for t in terms if not z3.is_false(t)]
    if not terms:
        return _FALSE
    if any(z3.is_true(t) for t in terms):
        return _TRUE
    return terms[0] if len(terms) == 1 else z3.Or(terms)


def input_variables(names: Sequence[str]) -> list[z3.ArithRef]:
    return [z3.Real(n) for n in names]


def encode_graph(graph: Graph, outputs: Sequence[int] | None = None, *, channels: str = "direction",
                 wrt: Sequence[int] | None = None, tangents: bool = True, ctx: TermContext | None = None,
                 inputs: list | None = None, directions: list | None = None) -> Encoded:
    """Encode the cone of ``outputs`` (default: the graph's outputs).

    ``wrt``: the input positions whose gradient columns are asked about (default: all).
    ``channels``: ``"direction"`` (one symbolic direction) or ``"basis"`` (one channel per
    input in ``wrt``). ``inputs``/``directions``: reuse variables of another encoding.
    """
    outputs = list(graph.outputs if outputs is None else outputs)
    return encode_sides(graph, [outputs], channels=channels, wrt=wrt, tangents=tangents, ctx=ctx,
                        inputs=inputs, directions=directions)[0]


def encode_sides(graph: Graph, sides: Sequence[Sequence[int]], *, channels: str = "direction",
                 wrt: Sequence[int] | None = None, tangents: bool = True, ctx: TermContext | None = None,
                 inputs: list | None = None, directions: list | None = None) -> list[Encoded]:
    """Encode several sets of outputs of one graph in one walk: a node two sides share
    (two programs joined with :meth:`Graph.joined`) is encoded once."""
    ctx = ctx or TermContext()
    p = len(graph.inputs)
    wrt = list(range(p)) if wrt is None else list(wrt)
    inputs = inputs if inputs is not None else input_variables(graph.input_names())
    if channels == "direction":
        directions = directions if directions is not None else [z3.Real(f"d!{graph.input_names()[j]}") for j in wrt]
        seeds = [[directions[wrt.index(j)] if j in wrt else ZERO] for j in range(p)]
    elif channels == "basis":
        directions = []
        seeds = [[1 if j == c else ZERO for c in wrt] for j in range(p)]
        seeds = [[z3.RealVal(1) if s == 1 else s for s in row] for row in seeds]
    else:
        raise ValueError(f"channels must be 'direction' or 'basis', not {channels!r}")
    encoder = _Encoder(graph, inputs, seeds, ctx, tangents)
    walk(graph, encoder, [o for side in sides for o in side])
    out = []
    for outputs in sides:
        defined = z3.And([encoder.dfn[o] for o in outputs]) if outputs else _TRUE
        bad = _or([encoder.bad[o] for o in outputs])
        out.append(Encoded(inputs, [encoder.val[o][0] for o in outputs],
                           [list(encoder.tan[o][0]) for o in outputs], defined, bad, directions, ctx.side,
                           ctx.exact, encoder.terms.abstractions))
    return out


def encode_nodes(graph: Graph, ctx: TermContext | None = None) -> tuple[list, dict, dict]:
    """The value terms and "defined" terms of every node of the outputs' cone (no tangents):
    ``(input variables, values by node, defined by node)``."""
    ctx = ctx or TermContext()
    inputs = input_variables(graph.input_names())
    encoder = _Encoder(graph, inputs, [[] for _ in inputs], ctx, False)
    walk(graph, encoder)
    return inputs, encoder.val, encoder.dfn


def encode_representation(rep, inputs: list | None = None, channels: str = "basis",
                          directions: list | None = None, ctx: TermContext | None = None) -> Encoded:
    """A representation as an ``If`` chain over its pieces (outside them: undefined)."""
    ctx = ctx or TermContext()
    symbols = tuple(rep.inputs)
    inputs = inputs if inputs is not None else input_variables([str(s) for s in symbols])
    p = len(symbols)
    if channels == "direction":
        directions = directions if directions is not None else [z3.Real(f"d!{s}") for s in symbols]
    n_out = rep.n_outputs
    n_ch = 1 if channels == "direction" else p
    values = [z3.RealVal(0)] * n_out
    tangents = [[ZERO] * n_ch for _ in range(n_out)]
    defined, bad = _FALSE, _FALSE
    for piece in reversed(rep.pieces):
        cond = z3.And([z3_atom(a, symbols)(ctx, *inputs) for a in piece.where]) if piece.where else _TRUE
        piece_vals = [z3_formula(v, symbols)(ctx, *inputs) for v in piece.value]
        rows, infinite = [], False
        for row in piece.gradient:
            entries = []
            for g in row:
                if g.has(sympy.oo, sympy.nan, sympy.zoo):
                    infinite = True
                    entries.append(ZERO)
                else:
                    entries.append(ZERO if g == 0 else z3_formula(g, symbols)(ctx, *inputs))
            if channels == "direction":
                acc = ZERO
                for e, d in zip(entries, directions):
                    acc = Z.add(acc, Z.scale(e, d) if not isinstance(e, int) else ZERO)
                rows.append([acc])
            else:
                rows.append(entries)
        values = [Z.select(cond, a, b) for a, b in zip(piece_vals, values)]
        tangents = [[Z.select(cond, a, b) for a, b in zip(ra, rb)] for ra, rb in zip(rows, tangents)]
        defined = z3.If(cond, _TRUE, defined)
        bad = z3.If(cond, _TRUE if infinite else _FALSE, bad)
    return Encoded(inputs, values, tangents, defined, bad, list(directions or []), ctx.side, ctx.exact)


__all__ = ["Encoded", "Unencodable", "Z", "encode_graph", "encode_nodes", "encode_representation", "encode_sides",
           "input_variables"]
