"""The calculus of representations, as library functions that can be checked.

* :func:`compose` is Lemma 1 of Després (2024): the pieces of ``v ∘ u`` are
  ``P^α ∩ (u^α)^{-1}(Q^β)`` with formulas ``v^β ∘ u^α`` (empty ones pruned by the solver).
* :func:`combine` is Lemma 3: ``u + v`` (or any smooth combination) on ``P^α ∩ Q^β``.
* :func:`associativity` checks Lemma 2: ``(w∘v)∘u`` and ``w∘(v∘u)`` have the same pieces
  and formulas.
* :func:`integrate_along_segment` checks Proposition 2 of Bolte & Pauwels:
  ``f(y) - f(x) = ∫_0^1 <y - x, ∇̂f(x + t(y - x))> dt``, splitting the segment exactly
  at the piece boundaries it crosses.
* :func:`corollary_1` checks that the associated gradient equals the gradient of the
  function off a set of measure zero (Corollary 1 of Després 2024).

>>> from pwverify import parse
>>> u = parse("relu(t)").representation()
>>> v = parse("relu(1 - t)").representation()
>>> [p.describe() for p in compose(v, u).pieces]    # literally P ∩ u^-1(Q), unsimplified
['t > 0 and t < 1', 't > 0 and t >= 1', 't <= 0']
>>> integrate_along_segment(parse("abs(x) + relu(y - x)"), {"x": -1, "y": 2}, {"x": 3, "y": -1}).holds
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import sympy

from ..core.atoms import Atom, canonical, conjoin, strict
from ..core.exact import UndecidedSign, sign, simplified
from ..model.representation import Piece, Representation
from ..solver.smt import Smt
from ..model.verdicts import Verdict, Witness


def _gradient_rows(piece: Piece) -> tuple:
    return piece.gradient


def compose(outer: Representation, inner: Representation) -> Representation:
    """Lemma 1: ``outer ∘ inner``; ``outer``'s inputs are matched to ``inner``'s outputs."""
    if len(outer.inputs) != inner.n_outputs:
        raise ValueError(f"the outer function has {len(outer.inputs)} inputs, the inner one "
                         f"{inner.n_outputs} outputs")
    smt = Smt(inner.inputs)
    pieces = []
    for p in inner.pieces:
        mapping = dict(zip(outer.inputs, p.value))
        smt.push()
        try:
            smt.assert_atoms(p.where)
            for q in outer.pieces:
                atoms = [a.subs(mapping) for a in q.where]
                if any(a is False for a in atoms):
                    continue
                where = conjoin(p.where, atoms)
                if where is None:
                    continue
                if smt.check([a for a in atoms if a is not True], want_model=False).unsat:
                    continue
                value = tuple(canonical(v.xreplace(mapping)) for v in q.value)
                # chain rule: (∇v ∘ u) ∇u, with the pieces' own gradients (overrides included)
                outer_grad = [[g.xreplace(mapping) for g in row] for row in q.gradient]
                inner_grad = p.gradient
                rows = tuple(tuple(canonical(sum(outer_grad[i][k] * inner_grad[k][j]
                                                 for k in range(len(inner_grad))))
                                   for j in range(len(inner.inputs))) for i in range(len(outer_grad)))
                explicit = rows if (p.explicit_gradient is not None or q.explicit_gradient is not None) else None
                pieces.append(Piece(where, value, tuple(inner.inputs), trace=p.trace + q.trace,
                                    explicit_gradient=explicit))
        finally:
            smt.pop()
    return Representation(tuple(inner.inputs), pieces)


def combine(u: Representation, v: Representation, op: Callable = lambda a, b: a + b) -> Representation:
    """Lemma 3: ``op(u, v)`` on the intersections of their pieces (same inputs)."""
    smt = Smt(u.inputs)
    pieces = []
    for p in u.pieces:
        smt.push()
        try:
            smt.assert_atoms(p.where)
            for q in v.pieces:
                where = conjoin(p.where, q.where)
                if where is None or smt.check(q.where, want_model=False).unsat:
                    continue
                value = tuple(canonical(op(a, b)) for a, b in zip(p.value, q.value))
                pieces.append(Piece(where, value, tuple(u.inputs), trace=p.trace + q.trace))
        finally:
            smt.pop()
    return Representation(tuple(u.inputs), pieces)


def _same_set(smt: Smt, a: tuple, b: tuple) -> bool:
    return smt.check_not_any(a, [b]).unsat and smt.check_not_any(b, [a]).unsat


def associativity(w: Representation, v: Representation, u: Representation) -> Verdict:
    """Lemma 2: ``(w∘v)∘u`` and ``w∘(v∘u)`` give the same pieces and formulas."""
    left = compose(compose(w, v), u)
    right = compose(w, compose(v, u))
    smt = Smt(u.inputs)
    unmatched = list(right.pieces)
    for p in left.pieces:
        match = next((q for q in unmatched if all(canonical(a - b) == 0 for a, b in zip(p.value, q.value))
                      and _same_set(smt, p.where, q.where)), None)
        if match is None:
            point = smt.check(p.where).model or {}
            return Verdict.refuted("associativity", Witness({str(k): val for k, val in point.items()}, facts=
                                                            {"piece of (w∘v)∘u": p.describe()}))
        unmatched.remove(match)
    if unmatched:
        return Verdict.refuted("associativity", Witness({}, facts={"piece of w∘(v∘u)": unmatched[0].describe()}))
    return Verdict.proved("associativity", f"{len(left.pieces)} pieces on both sides")


# -- Proposition 2 ---------------------------------------------------------------------------------
@dataclass
class SegmentIntegral:
    """∫_0^1 <y - x, ∇̂f(x + t(y - x))> dt, computed exactly piece by piece."""

    integral: sympy.Expr
    difference: sympy.Expr           # f(y) - f(x)
    breakpoints: list                # the t in (0, 1) where the segment changes piece
    pieces: list[int]                # the piece (from 1) on each sub-interval
    holds: bool | None               # integral == difference (None: undecided)


def _roots_in_unit_interval(q: sympy.Expr, t: sympy.Symbol) -> list | None:
    q = sympy.expand(q)
    if q == 0 or not q.has(t):
        return []
    if q.is_polynomial(t):
        roots = [r for r in sympy.Poly(q, t).real_roots()]
        return [r for r in roots if sign(r) > 0 and sign(r - 1) < 0]
    return None


def integrate_along_segment(program_or_rep, x: dict, y: dict) -> SegmentIntegral:
    """Proposition 2 on the segment from ``x`` to ``y`` (exact where formulas allow)."""
    rep = program_or_rep if isinstance(program_or_rep, Representation) else program_or_rep.representation()
    t = sympy.Symbol("t_segment")
    xs = {s: sympy.sympify(x[str(s)]) for s in rep.inputs}
    ys = {s: sympy.sympify(y[str(s)]) for s in rep.inputs}
    gamma = {s: xs[s] + t * (ys[s] - xs[s]) for s in rep.inputs}
    cuts = {sympy.Integer(0), sympy.Integer(1)}
    for piece in rep.pieces:
        for atom in piece.where:
            roots = _roots_in_unit_interval(atom.expr.xreplace(gamma), t)
            if roots is None:
                raise ValueError(f"the boundary {atom} is not polynomial along the segment")
            cuts.update(roots)
    points = sorted(cuts, key=lambda r: sympy.N(r, 50))
    total, used = sympy.Integer(0), []
    for a, b in zip(points, points[1:]):
        mid = (a + b) / 2
        at_mid = {s: g.xreplace({t: mid}) for s, g in gamma.items()}
        k = next((i for i, p in enumerate(rep.pieces) if p.holds_at(at_mid)), None)
        if k is None:
            raise ValueError("the segment leaves the program's domain")
        used.append(k + 1)
        piece = rep.pieces[k]
        rate = sum(g.xreplace(gamma) * (ys[s] - xs[s]) for g, s in zip(piece.gradient[0], rep.inputs))
        total += sympy.integrate(sympy.expand(rate), (t, a, b))
    total = simplified(total)
    fx = rep.value_at({str(s): v for s, v in xs.items()})[0]
    fy = rep.value_at({str(s): v for s, v in ys.items()})[0]
    difference = simplified(fy - fx)
    try:
        holds = sign(total - difference) == 0
    except UndecidedSign:
        holds = None
    return SegmentIntegral(total, difference, points[1:-1], used, holds)


# -- Corollary 1 -----------------------------------------------------------------------------------
def corollary_1(rep: Representation) -> Verdict:
    """Is the associated gradient the gradient of f off a measure-zero set?

    On a piece with nonempty interior f equals the piece's formula, so its gradient
    there is the formula's; the associated gradient must be it. Only thin pieces
    (measure zero) may carry another one (a tie rule).
    """
    smt = Smt(rep.inputs)
    for i, piece in enumerate(rep.pieces, 1):
        if piece.consistent:
            continue
        interior = strict(piece.where)
        if any(a.rel == "==" for a in interior):
            continue
        r = smt.check(interior)
        if r.unsat:
            continue
        if r.status == "unknown":
            return Verdict.unknown("corollary 1", f"piece {i}: emptiness of its interior not decided")
        return Verdict.refuted("corollary 1", Witness({str(k): v for k, v in r.model.items()}, facts={
            "piece": i, "associated gradient": piece.gradient, "gradient of f": piece.formula_gradient}))
    return Verdict.proved("corollary 1")
