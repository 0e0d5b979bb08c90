"""Exact points on the pieces of a representation, the thin ones (ties, kinks) first.

Random tests almost never land on a tie; these points do. Each point is a model of a
piece's conditions found by the solver, simplified towards small integers (zeros
first), and re-checked exactly against the piece before it is returned.

>>> from pwverify import parse
>>> rep = parse("relu(t) + relu(-t)").representation()
>>> [(p.piece, p.point) for p in points_in_pieces(rep)]
[(3, {'t': 0}), (1, {'t': -1}), (2, {'t': 1})]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import sympy

from .conditions import Atom, describe
from .smt import Smt


@dataclass
class PiecePoint:
    """An exact point inside piece ``piece`` (numbered from 1)."""

    piece: int
    point: dict
    thin: bool
    where: str
    labels: list[str] = field(default_factory=list)


def simplest_model(smt: Smt, atoms: tuple[Atom, ...], symbols, prefer=(0, 1, -1, 2, -2)) -> dict | None:
    """A model of ``atoms`` with as many coordinates as possible set to small integers.

    Returns ``{symbol: exact number}`` (re-checked exactly), or None when the solver
    finds no model (or only an inexact one that fails the re-check).
    """
    first = smt.check(atoms)
    if not first.sat:
        return None
    fixed: list[Atom] = []
    for sym in symbols:
        for value in prefer:
            trial = Atom.make(sym, "==", value)
            if trial is True:
                break
            r = smt.check(tuple(atoms) + tuple(fixed) + (trial,), want_model=False, timeout_ms=2000)
            if r.sat:
                fixed.append(trial)
                break
    final = smt.check(tuple(atoms) + tuple(fixed))
    model = final.model if final.sat else first.model
    point = {s: model[s] for s in symbols}
    if all(a.holds_at(point) for a in atoms):
        return point
    return None


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


def iter_tie_points(rep) -> Iterator[PiecePoint]:
    """The points of :func:`points_in_pieces` that lie on thin pieces."""
    return (p for p in points_in_pieces(rep) if p.thin)
