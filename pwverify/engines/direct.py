"""The direct encoding: a program (or a representation) as z3 terms, no decomposition.

Every node becomes z3 terms for its values, its forward-mode tangents (one per input:
exactly what autodiff computes, tie rules included) and a Boolean "defined here"
(domains of log, sqrt, division; a lazy ``if`` only needs its taken branch). A primitive
with several branches becomes an ``If`` chain over its branch conditions, so the
solver splits cases lazily, only where a question needs it. Two families have compact
encodings instead of their tables: the even-split reductions (``torch.max``: a running
maximum, a count of the tied entries, and the tangent as the mean over the tied set),
and the first-index maxima (Python's ``max``, pooling windows: a left fold).

>>> import z3
>>> from pwverify import parse
>>> from pwverify.solver.smt import Smt
>>> p = parse("relu(-t) + t")
>>> smt = Smt(p.symbols)
>>> enc = encode_program(p, smt)
>>> t = smt.var(p.symbols[0])
>>> z3.simplify(z3.substitute(enc.tangents[0][0], (t, z3.RealVal(0))))
1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import sympy
import z3

from ..primitives import registry
from ..primitives.registry import ARGS, PieceTable
from ..solver.smt import Smt

Zero = 0  # a tangent entry known to vanish: kept as a Python 0 so terms stay small


@dataclass
class Encoded:
    """A function as z3 terms over the input variables of ``smt``."""

    values: list                      # one term per output
    tangents: list[list]              # per output, per input (Python 0 where it vanishes)
    defined: z3.BoolRef               # the function has a value here
    side: list = field(default_factory=list)   # definitions of auxiliary variables
    exact: bool = True                # False: uninterpreted functions were used

    def tangent_term(self, k: int, j: int) -> z3.ArithRef:
        t = self.tangents[k][j]
        return z3.RealVal(t) if isinstance(t, int) else t


def _add(a, b):
    if isinstance(a, int) and a == 0:
        return b
    if isinstance(b, int) and b == 0:
        return a
    return a + b


def _scale(c, t):
    """c * t with c a z3 term or number and t a tangent entry."""
    if isinstance(t, int) and t == 0:
        return 0
    if z3.is_rational_value(c):
        if c.numerator_as_long() == 0:
            return 0
        if c.numerator_as_long() == c.denominator_as_long():
            return t
    return c * t


def _if(cond, a, b):
    if isinstance(a, int) and isinstance(b, int) and a == b:
        return a
    a = z3.RealVal(a) if isinstance(a, int) else a
    b = z3.RealVal(b) if isinstance(b, int) else b
    if a.eq(b):
        return a
    return z3.If(cond, a, b)


class _Encoder:
    def __init__(self, smt: Smt, tangents: bool):
        self.smt = smt
        self.with_tangents = tangents
        self.side: list = []
        self.exact = True

    def translator(self, terms: Sequence):
        mapping = {ARGS[i]: t for i, t in enumerate(terms)}
        return self.smt.translator(lambda s: mapping[s] if s in mapping else self.smt.var(s))

    def term(self, translate, expr):
        enc = translate(expr)
        self.side.extend(enc.side)
        if enc.ufs:
            self.exact = False
        return enc.term, list(enc.domain)

    def conj(self, translate, atoms) -> tuple[z3.BoolRef, list]:
        terms, domain = [], []
        for atom in atoms:
            t, d = self.term(translate, atom.expr)
            domain.extend(d)
            terms.append({">": t > 0, ">=": t >= 0, "<": t < 0, "<=": t <= 0, "==": t == 0, "!=": t != 0}[atom.rel])
        return (z3.And(terms) if terms else z3.BoolVal(True)), domain

    def node(self, node, table: PieceTable, args: list, tangents: list, defined: list):
        """(values, tangents, defined) of one primitive application."""
        special = _COMPACT.get(node.op)
        if special is not None:
            if not self.with_tangents:
                tangents = [[] for _ in tangents]
            return special(node.op.split("_")[0], args, tangents, defined)
        translate = self.translator(args)
        p = len(tangents[0]) if tangents else 0
        dom_term, dom_extra = self.conj(translate, table.domain)
        branches = list(table.branches())
        conds, vals, tans, defs = [], [], [], []
        for branch in branches:
            cond, extra = self.conj(translate, branch.where)
            conds.append(cond)
            values, value_domain = [], list(extra)
            for f in branch.value:
                term, d = self.term(translate, f)
                values.append(term)
                value_domain.extend(d)
            vals.append(values)
            if _lazy(node):
                m = node.params[1]
                used = {i for f in branch.value for i, a in enumerate(ARGS[:len(args)]) if a in f.free_symbols}
                needed = [defined[i] for i in range(m)] + [defined[i] for i in sorted(used)]
            else:
                needed = list(defined)
            defs.append(z3.And(needed + value_domain) if needed or value_domain else z3.BoolVal(True))
            if self.with_tangents:
                rows = []
                for row in branch.local_jacobian(len(args)):
                    acc = [0] * p
                    for i, d in enumerate(row):
                        if d == 0:
                            continue
                        dt, _ = self.term(translate, d)
                        acc = [_add(a, _scale(dt, t)) for a, t in zip(acc, tangents[i])]
                    rows.append(acc)
                tans.append(rows)
        n_out = table.n_out
        out_vals = list(vals[-1])
        out_tans = [list(r) for r in tans[-1]] if self.with_tangents else [[0] * p for _ in range(n_out)]
        out_def = defs[-1]
        for k in range(len(branches) - 2, -1, -1):
            c = conds[k]
            out_vals = [_if(c, a, b) for a, b in zip(vals[k], out_vals)]
            if self.with_tangents:
                out_tans = [[_if(c, a, b) for a, b in zip(ra, rb)] for ra, rb in zip(tans[k], out_tans)]
            out_def = z3.If(c, defs[k], out_def)
        if not _lazy(node):
            out_def = z3.And(out_def, *defined)
        out_def = z3.And(out_def, dom_term, *dom_extra)
        return out_vals, out_tans, out_def


def _lazy(node) -> bool:
    return node.op == "select" and bool(node.params[3])


def _tied_set(kind: str, args, tangents, defined):
    """Even split over the tied extremal entries (torch.max(x), jnp.max, tf.reduce_max)."""
    better = (lambda a, b: a > b) if kind == "max" else (lambda a, b: a < b)
    m = args[0]
    for a in args[1:]:
        m = z3.If(better(a, m), a, m)
    p = len(tangents[0])
    if p == 0:
        return [m], [[]], z3.And(*defined) if defined else z3.BoolVal(True)
    tied = [a == m for a in args]
    count = z3.Sum([z3.If(t, 1, 0) for t in tied]) if len(args) > 1 else z3.IntVal(1)
    out = []
    for j in range(p):
        total = 0
        for t, tan in zip(tied, tangents):
            entry = tan[j]
            if not (isinstance(entry, int) and entry == 0):
                total = _add(total, z3.If(t, z3.RealVal(entry) if isinstance(entry, int) else entry, 0))
        if isinstance(total, int):
            out.append(0)
            continue
        mean = total
        for k in range(len(args), 1, -1):
            mean = z3.If(count == k, total / k, mean)
        out.append(mean)
    return [m], [out], z3.And(*defined) if defined else z3.BoolVal(True)


def _first_wins(kind: str, args, tangents, defined):
    """The first extremal entry wins (Python's max, max(dim).values, pooling windows)."""
    better = (lambda a, b: a > b) if kind == "max" else (lambda a, b: a < b)
    value, tangent = args[0], list(tangents[0])
    for a, t in zip(args[1:], tangents[1:]):
        c = better(a, value)
        value = z3.If(c, a, value)
        tangent = [_if(c, x, y) for x, y in zip(t, tangent)]
    return [value], [tangent], z3.And(*defined) if defined else z3.BoolVal(True)


_COMPACT: dict[str, Callable] = {
    "max_even": _tied_set, "min_even": _tied_set,
    "max_first": _first_wins, "min_first": _first_wins,
}


def encode_program(program, smt: Smt, tangents: bool = True, symbols: Sequence[sympy.Symbol] | None = None
                   ) -> Encoded:
    """The program's outputs, tangents and domain as z3 terms over ``smt``'s variables.

    ``symbols``: the input symbols to use, in the program's input order (to compare
    programs whose inputs have other names, matched by position).
    """
    graph = program.graph
    symbols = list(symbols) if symbols is not None else list(program.symbols)
    enc = _Encoder(smt, tangents)
    p = len(graph.inputs)
    values: dict[int, list] = {}
    tans: dict[int, list] = {}
    defined: dict[int, z3.BoolRef] = {}
    input_index = {nid: k for k, nid in enumerate(graph.inputs)}
    for nid, node in enumerate(graph.nodes):
        if node.op == "input":
            values[nid] = [smt.var(symbols[input_index[nid]])]
            tans[nid] = [[1 if j == input_index[nid] else 0 for j in range(p)]]
            defined[nid] = z3.BoolVal(True)
            continue
        if node.op == "const":
            v = node.params[0]
            values[nid] = [z3.RealVal(f"{v.numerator}/{v.denominator}")]
            tans[nid] = [[0] * p]
            defined[nid] = z3.BoolVal(True)
            continue
        if node.op == "get":
            arg, k = node.args[0], node.params[0]
            values[nid], tans[nid], defined[nid] = [values[arg][k]], [tans[arg][k]], defined[arg]
            continue
        table = registry.get(node.op).table(len(node.args), node.params)
        args = [values[a][0] for a in node.args]
        arg_tans = [tans[a][0] for a in node.args]
        arg_defs = [defined[a] for a in node.args]
        values[nid], tans[nid], defined[nid] = enc.node(node, table, args, arg_tans, arg_defs)
    outs = graph.outputs
    return Encoded([values[o][0] for o in outs], [tans[o][0] for o in outs],
                   z3.And([defined[o] for o in outs]), enc.side, enc.exact)


def encode_representation(rep, smt: Smt, symbols: Sequence[sympy.Symbol] | None = None) -> Encoded:
    """A representation as an ``If`` chain over its pieces (outside them: undefined)."""
    symbols = list(symbols) if symbols is not None else list(rep.inputs)
    mapping = dict(zip(rep.inputs, symbols))
    translate = smt.translator(lambda s: smt.var(mapping.get(s, s)))
    enc = _Encoder(smt, True)
    p = len(rep.inputs)
    n_out = rep.n_outputs
    values = [z3.RealVal(0)] * n_out
    tangents = [[0] * p for _ in range(n_out)]
    defined = z3.BoolVal(False)
    for piece in reversed(rep.pieces):
        cond, cond_dom = enc.conj(translate, piece.where)
        piece_vals, piece_dom = [], list(cond_dom)
        for v in piece.value:
            term, d = enc.term(translate, v)
            piece_vals.append(term)
            piece_dom.extend(d)
        rows = []
        for row in piece.gradient:
            rows.append([enc.term(translate, g)[0] if g != 0 else 0 for g in row])
        values = [_if(cond, a, b) for a, b in zip(piece_vals, values)]
        tangents = [[_if(cond, a, b) for a, b in zip(ra, rb)] for ra, rb in zip(rows, tangents)]
        defined = z3.If(cond, z3.And(piece_dom) if piece_dom else z3.BoolVal(True), defined)
    return Encoded(values, tangents, defined, enc.side, enc.exact)
