"""Exact points where autodiff is ambiguous: ties and kinks, labelled by what they exercise.

Random tests almost never land on a tie; these points do. :func:`points_in_pieces`
gives one exact point per piece of a representation (thin pieces first).
:func:`tie_points` gives points on the *kinks*: the thin pieces (``x0 == x1``), and the
boundary of every piece where a weak inequality of its condition is tight (``t == 0``
on the piece ``t >= 0``: the kink a ``relu`` owns). Each point is found by the solver,
simplified towards small integers (zeros first), re-checked exactly, and labelled with
its piece and the primitives whose tie or kink it sits on.

>>> from pwverify import parse
>>> rep = parse("relu(t) + relu(-t)").representation()
>>> [(p.piece, p.point) for p in points_in_pieces(rep)]
[(3, {'t': 0}), (1, {'t': -1}), (2, {'t': 1})]
>>> p = parse("relu(-t) + t")
>>> [(str(tp.point), [s.describe() for s in tp.sites]) for tp in tie_points(p)]
[("{'t': 0}", ['relu at <expr>:1:1 (branch a0 <= 0)'])]

The points feed gradient checkers and tests, as float64 arrays (every coordinate is
a dyadic rational, exact in float64):

>>> tie_points(p)[0].arrays("numpy")
(array(0.),)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from ..core.atoms import Atom, describe
from ..core.errors import PwverifyError
from ..core.exact import sign
from ..solver.smt import Smt, SolverUnknown

#: Preferred coordinates of the first point of each kink, then of the further ones.
_SIMPLE = (0, 1, -1, 2, -2)
_MORE = tuple(Fraction(n, d) for d in (1, 2, 4) for n in range(-6, 7) if n % d or d == 1)


@dataclass
class PiecePoint:
    """An exact point inside piece ``piece`` (numbered from 1)."""

    piece: int
    point: dict
    thin: bool
    where: str
    labels: list[str] = field(default_factory=list)


def simplest_model(smt: Smt, atoms: tuple[Atom, ...], symbols, prefer=_SIMPLE) -> dict | None:
    """A model of ``atoms`` with as many coordinates as possible set to small integers.

    Returns ``{symbol: exact number}`` (re-checked exactly), or None when the solver
    finds no model (or only an inexact one that fails the re-check).
    """
    term, side, _ = smt.conj(atoms)
    try:
        model = smt.simplest_model([term] + side, prefer=prefer)
    except SolverUnknown:
        return None
    if model is None:
        return None
    point = {s: model[s] for s in symbols}
    return point if all(a.holds_at(point) for a in atoms) else None


def points_in_pieces(rep, thin_first: bool = True) -> list[PiecePoint]:
    """One exact point per non-empty piece (lower-dimensional pieces first)."""
    smt = Smt(rep.inputs)
    order = list(range(len(rep.pieces)))
    if thin_first:
        order.sort(key=lambda i: -sum(1 for a in rep.pieces[i].where if a.rel == "=="))
    out = []
    for i in order:
        piece = rep.pieces[i]
        point = simplest_model(smt, piece.where, rep.inputs)
        if point is None:
            continue
        thin = any(a.rel == "==" for a in piece.where)
        out.append(PiecePoint(i + 1, {str(s): v for s, v in point.items()}, thin, describe(piece.where)))
    return out


# -- kinks and the primitives they exercise ------------------------------------------------
@dataclass(frozen=True)
class TieSite:
    """A node of the program whose primitive sits on a tie or kink at a point."""

    node: int
    op: str
    location: str
    branch: str        # the branch the framework takes there (its condition)

    def describe(self) -> str:
        where = f" at {self.location}" if self.location else ""
        return f"{self.op}{where} (branch {self.branch})"


def tie_sites(program, point) -> list[TieSite]:
    """The nodes whose primitive is on a tie or kink at ``point`` (exact evaluation).

    A node is on a kink when a weak or equality atom of the branch it takes holds with
    equality at its arguments: ``relu`` at 0, ``max`` with two equal entries, a clamp at
    a bound.
    """
    from ..engines.common import table_of
    from ..engines.pointwise import evaluate
    from ..primitives.registry import atom_holds
    graph = program.graph
    _, taken = evaluate(graph, program.point(point))
    sites = []
    for nid in sorted(taken):
        local, args = taken[nid]
        node = graph.nodes[nid]
        table = table_of(node)
        if node.op != "select" and not table.selection:
            continue
        branch = local.branch if local.branch is not None else table.branch_at(list(args))
        tight = [a for a in branch.where if a.rel in ("==", "<=", ">=") and atom_holds(Atom(a.expr, "=="), list(args))]
        if tight:
            loc = graph.locations.get(nid)
            sites.append(TieSite(nid, node.op, str(loc) if loc else "", describe(branch.where) or "all"))
    return sites


@dataclass
class TiePoint:
    """An exact point on a kink of a program, with its piece and the ties it exercises."""

    point: dict                     # input name -> exact rational
    piece: int | None               # the piece containing it (numbered from 1), when pieces were computed
    where: str                      # the condition that makes it a kink
    sites: list[TieSite]
    shapes: dict = field(default_factory=dict, repr=False)    # declared inputs and shapes
    groups: dict = field(default_factory=dict, repr=False)    # declared input -> entries

    def describe(self) -> str:
        coords = ", ".join(f"{k} = {sympy.sstr(v)}" for k, v in self.point.items())
        ties = "; ".join(s.describe() for s in self.sites) or "no primitive on a tie"
        where = f"piece {self.piece}: {self.where}" if self.piece is not None else self.where
        return f"{coords}  [{where}]  {ties}"

    def to_json(self) -> dict:
        return {"point": {k: sympy.sstr(v) for k, v in self.point.items()}, "piece": self.piece,
                "where": self.where,
                "ties": [{"node": s.node, "op": s.op, "location": s.location, "branch": s.branch}
                         for s in self.sites]}

    def arrays(self, kind: str = "numpy", requires_grad: bool = False) -> tuple:
        """One float64 array per declared input, in the program's parameter order.

        ``kind``: ``"numpy"``, ``"torch"`` (``requires_grad`` for ``gradcheck``) or
        ``"jax"``. Coordinates are dyadic, so the arrays hold the exact point.
        """
        out = []
        for name, shape in self.shapes.items():
            values = [float(self.point[e]) for e in self.groups[name]]
            out.append(_array(kind, values, tuple(shape), requires_grad))
        return tuple(out)


def _array(kind: str, values: list[float], shape: tuple, requires_grad: bool):
    if kind == "numpy":
        import numpy
        return numpy.asarray(values, dtype=numpy.float64).reshape(shape)
    if kind == "torch":
        import torch
        return torch.tensor(values, dtype=torch.float64).reshape(shape).requires_grad_(requires_grad)
    if kind == "jax":
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        return jnp.asarray(values, dtype=jnp.float64).reshape(shape)
    from ..core.errors import UsageError
    raise UsageError(f"unknown array kind {kind!r}", hint="numpy, torch, jax")


def float_exact(point: dict) -> bool:
    """Is every coordinate a rational that float64 holds exactly?"""
    for v in point.values():
        if not isinstance(v, sympy.Rational):
            return False
        f = Fraction(int(v.p), int(v.q))
        if f.denominator & (f.denominator - 1) or Fraction(float(f)) != f:
            return False
    return True


def _kink_conditions(rep) -> list[tuple[int, tuple[Atom, ...]]]:
    """(piece index, atoms) for each thin piece and each tight weak atom of a piece."""
    out = []
    for i, piece in enumerate(rep.pieces):
        if any(a.rel == "==" for a in piece.where):
            out.append((i, piece.where))
        for k, atom in enumerate(piece.where):
            if atom.rel in ("<=", ">="):
                tight = Atom.make(atom.expr, "==", 0)
                out.append((i, piece.where[:k] + (tight,) + piece.where[k + 1:]))
    return out


def tie_points(program, count: int | None = None, seed: int = 0, rep=None) -> list[TiePoint]:
    """Exact points on the kinks of ``program``, each labelled (see the module docstring).

    The kinks are found node by node: for every selection (relu, max, sort, if ...), a
    point where its arguments sit on a tie or a kink of its table, so the cost follows
    the size of the program, not its number of pieces. With ``rep`` (a representation of
    the program), the kinks are its thin pieces and the tight boundaries of its pieces,
    and each point is labelled with its piece.

    Without ``count``: one point per kink. With ``count``: that many distinct points,
    cycling over the kinks with further coordinates drawn (``seed``) from small dyadic
    numbers. Only points float64 holds exactly are returned, and only those where some
    primitive is on a tie.

    >>> from pwverify import parse
    >>> [tp.point for tp in tie_points(parse("torch.maximum(a, b)"), count=3, seed=1)]
    [{'a': 0, 'b': 0}, {'a': 2, 'b': 2}, {'a': -3, 'b': -3}]
    """
    from ..program import as_program
    program = as_program(program)
    if rep is not None:
        smt = Smt(rep.inputs, program.timeout_ms)
        kinks = [(i + 1, describe(atoms), [c for enc in smt.formula(atoms) for c in (enc.term, *enc.constraints)])
                 for i, atoms in _kink_conditions(rep)]
        symbols = list(rep.inputs)
    else:
        symbols = list(program.symbols)
        smt = Smt(symbols, program.timeout_ms)
        kinks = _node_kinks(program)
    rng = random.Random(seed)
    seen: set = set()
    out: list[TiePoint] = []
    tried: dict[int, list[dict]] = {}
    dead: set[int] = set()
    rounds = 0
    while kinks and len(dead) < len(kinks):
        for k, (piece, where, constraints) in enumerate(kinks):
            if k in dead:
                continue
            found = None
            for _attempt in range(8):
                if rounds == 0:
                    try:
                        model = smt.simplest_model(constraints, prefer=_SIMPLE, avoid=tried.setdefault(k, []))
                    except SolverUnknown:
                        model = None  # undecided here: no point from this kink
                else:
                    model = _random_model(smt, constraints, rng, tried[k])
                if model is None:
                    dead.add(k)
                    break
                tried[k].append(model)
                point = {str(s): model[s] for s in symbols}
                key = tuple(sorted(point.items()))
                if key in seen or not float_exact(point):
                    continue
                seen.add(key)
                try:
                    sites = tie_sites(program, point)
                except PwverifyError:
                    continue
                if sites:
                    found = TiePoint(point, piece, where, sites, dict(program.parsed.input_shapes),
                                     dict(program.parsed.input_groups))
                    break
            else:
                if len(tried[k]) > 16 + rounds:
                    dead.add(k)
            if found is None:
                continue
            out.append(found)
            if count is not None and len(out) >= count:
                return out
        rounds += 1
        if count is None:
            break
    return out


#: Pairs of arguments tried as ties of a selection with many branches (sort, max over n).
MAX_PAIRS = 40


def _node_kinks(program) -> list[tuple[None, str, list]]:
    """For each selection node, the conditions that put it on a kink, as solver constraints
    over the inputs: its weak and equality atoms made tight (relu at 0, clamp at a bound,
    a tie of two entries of a max or a sort)."""
    import itertools

    import z3

    from ..engines.common import table_of
    from ..engines.direct import encode_nodes
    from ..primitives.registry import ARGS
    from ..solver.terms import TermContext, z3_atom
    graph = program.graph
    ctx = TermContext()
    _, values, defined = encode_nodes(graph, ctx)
    everywhere = [defined[o] for o in graph.outputs]
    out = []
    for nid in sorted(values):
        node = graph.nodes[nid]
        if node.op in ("input", "const", "get"):
            continue
        table = table_of(node)
        if table.count() < 2:
            continue
        n = len(node.args)
        args = [values[a][0] for a in node.args]
        if table.implicit or table.count() > 64:
            atoms = [Atom.make(ARGS[i], "==", ARGS[j]) for i, j in itertools.combinations(range(n), 2)][:MAX_PAIRS]
        else:
            atoms = list(dict.fromkeys(Atom.make(a.expr, "==", 0) for b in table.branches() for a in b.where
                                       if a.rel in ("==", "<=", ">=")))
        loc = graph.locations.get(nid)
        for atom in atoms:
            if isinstance(atom, bool):
                continue
            tight = z3_atom(atom, ARGS[:n])(ctx, *args)
            where = f"{node.op}{' at ' + str(loc) if loc else ''}: {atom}"
            out.append((None, where, list(ctx.side) + everywhere + [defined[nid], tight]))
    return out


def _random_model(smt: Smt, constraints: list, rng: random.Random, avoid: list[dict]) -> dict | None:
    """A model of ``constraints`` other than the ``avoid`` points, its coordinates set to
    random small dyadic numbers wherever the solver allows."""
    return smt.random_model(constraints, rng, _MORE, avoid)


def random_points(program, count: int, seed: int = 0, scale: int = 4) -> list[dict]:
    """Points with coordinates k/4 for integers |k| <= 12 (exact in float64)."""
    rng = random.Random(seed)
    return [{n: sympy.Rational(rng.randint(-3 * scale, 3 * scale), scale) for n in program.inputs}
            for _ in range(count)]


__all__ = ["PiecePoint", "TiePoint", "TieSite", "points_in_pieces", "tie_points", "tie_sites",
           "random_points", "float_exact", "simplest_model"]
