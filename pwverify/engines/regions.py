"""Facts about the regions of pieces that need no solver question.

Exact truth of atoms at rational points, the shortcuts of merging (a union that cannot be
a conjunction, atoms a neighbouring piece shows to be needed), and the small operations on
conjunctions the composition uses (substitution, weakening). Everything here is exact:
a shortcut either decides a question as the solver would, or declines.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import sympy

from ..core.affine import Form
from ..core.atoms import Atom, conjoin


def truth_at(atom: Atom, point: dict) -> bool | None:
    """The atom's truth at a rational point, or None when its value there is not a
    rational number (no sign computation for algebraic or transcendental values)."""
    form = Form.of(atom.expr)
    if form is not None:   # the common case, in integer arithmetic: no sympy substitution
        total = form.at(point)
        if total is not None:
            return atom.truth_from_sign((total > 0) - (total < 0))
    value = atom.expr.xreplace(point)
    return atom.truth_from_sign((value.p > 0) - (value.p < 0)) if value.is_Rational else None


#: Pairs of pieces whose midpoint is tried before a union is asked of the solver.
MIDPOINT_PAIRS = 8


def union_not_convex(wheres: list, points: list, atoms: tuple) -> bool:
    """Can no conjunction of these atoms' expressions (compared with 0) be the union of these
    pieces? Shown by a point m between two pieces' points that lies in none of them and on
    none of the expressions' zero sets: the convex atoms of such a conjunction hold on the
    whole segment, and its ``!=`` atoms fail only on those zero sets, so it would hold at m.
    Only judged when every atom is affine (a nonlinear atom need not be convex)."""
    if any(Form.of(a.expr) is None for a in atoms):
        return False
    forms = [Form.of(e) for e in {a.expr: None for a in atoms}]
    known = [p for p in points if p is not None]
    pairs = list(zip(known, known[1:]))[:MIDPOINT_PAIRS - 1] + ([(known[0], known[-1])] if len(known) > 2 else [])
    for p, q in pairs:
        if p.keys() != q.keys() or not all(v.is_Rational for v in itertools.chain(p.values(), q.values())):
            continue
        for t in (sympy.Rational(1, 2), sympy.Rational(1, 3)):
            m = {s: p[s] + t * (q[s] - p[s]) for s in p}
            if any(f.at(m) in (None, 0) for f in forms):
                continue     # on a zero set (or not decided): try another point
            if not any(all(truth_at(a, m) is not False for a in w) for w in wheres):
                return True
            break
    return False


def hold_at(atoms: Sequence[Atom], point: dict) -> bool:
    """Do all ``atoms`` decidedly hold at ``point``?"""
    return all(truth_at(atom, point) is True for atom in atoms)


def holding_at(options: Sequence[tuple], point: dict | None) -> int | None:
    """The index of the first ``(branch, atoms)`` option whose atoms all hold at ``point``
    (that branch is feasible without a solver question), or None."""
    if point is None:
        return None
    return next((i for i, (_, atoms) in enumerate(options) if hold_at(atoms, point)), None)


def false_at(atom: Atom, point: dict) -> bool:
    """Is ``atom`` decidedly false at ``point``?"""
    return truth_at(atom, point) is False


def exact_point(result) -> dict | None:
    """A solver model as a point, when it is exact and rational."""
    if result.status != "sat" or not result.exact or result.model is None:
        return None
    return result.model if all(v.is_Rational for v in result.model.values()) else None


def substitute(atoms: Sequence[Atom], mapping: dict) -> tuple[Atom, ...] | None:
    out = []
    for atom in atoms:
        a = atom.subs(mapping)
        if a is False:
            return None
        if a is not True:
            out.append(a)
    return conjoin(out)


def weakened(atoms: Sequence[Atom]) -> list[Atom]:
    out = []
    for a in atoms:
        if a.rel == ">":
            out.extend([Atom(a.expr, ">="), Atom(a.expr, "!=")])
        elif a.rel == "<":
            out.extend([Atom(a.expr, "<="), Atom(a.expr, "!=")])
        elif a.rel == "==":
            out.extend([Atom(a.expr, ">="), Atom(a.expr, "<=")])
    return out


def facets_with_a_neighbour(states: list) -> list[frozenset]:
    """Per piece, its atoms ``a`` for which another piece is ``C and not a``, C being the
    piece's other atoms: a piece is not empty (unless flagged), so C does not imply ``a``,
    nor does any part of C. Such an atom stays in the simplified piece without a question
    (the two sides of a ReLU whose later choices are the same)."""
    index: dict = {}
    for k, st in enumerate(states):
        atoms = frozenset(st.where)
        for a in st.where:
            index.setdefault((atoms - {a}, a), k)
    out = []
    for st in states:
        atoms = frozenset(st.where)
        out.append(frozenset(a for a in st.where
                             if (j := index.get((atoms - {a}, a.negated()))) is not None
                             and not states[j].possibly_empty))
    return out
