"""Checks of representations: disjoint, covering, no empty pieces, continuous.

Each property is one SMT query over all pieces at once (not one per pair):

* disjoint: is there a point in at least two pieces? (a pseudo-Boolean constraint
  over the pieces' memberships);
* cover: is there a point of the domain in no piece?
* continuity: is there a piece α and a point of the closure of P^α lying in a piece
  β with f^α ≠ f^β there? The closure of a piece with linear atoms is its relaxation
  (``>`` to ``>=``, ``!=`` dropped); with nonlinear atoms a discontinuity cannot be
  certified this way and the verdict is *unknown*.

>>> from pwverify import parse
>>> report = check_representation(parse("1 if t > 0 else 0").representation())
>>> report.disjoint.status, report.cover.status
('proved', 'proved')
>>> print(report.continuity.describe())
continuity: refuted at t = 0
  limit from piece 2 = [1]
  value in piece 1 = [0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import sympy
import z3

from .conditions import Atom
from .smt import DEFAULT_TIMEOUT_MS, Smt
from .verdicts import Verdict, Witness


@dataclass
class RepresentationCheck:
    """Verdicts on one representation (pieces numbered from 1)."""

    disjoint: Verdict
    cover: Verdict
    empty_pieces: list[int]
    continuity: Verdict
    extra: dict = field(default_factory=dict)

    def verdicts(self) -> list[Verdict]:
        return [self.disjoint, self.cover, self.continuity] + [
            v for v in self.extra.values() if isinstance(v, Verdict)]

    def describe(self) -> str:
        lines = [self.disjoint.describe(), self.cover.describe()]
        lines.append("empty pieces: " + (", ".join(map(str, self.empty_pieces)) or "none"))
        lines.append(self.continuity.describe())
        for v in self.extra.values():
            if isinstance(v, Verdict):
                lines.append(v.describe())
        return "\n".join(lines)


def _is_linear(atom: Atom, symbols) -> bool:
    try:
        return sympy.Poly(atom.expr, *symbols).total_degree() <= 1
    except sympy.PolynomialError:
        return False


def _relaxed(atoms: Sequence[Atom]) -> list[Atom]:
    out = []
    for a in atoms:
        if a.rel == "!=":
            continue
        out.append(Atom(a.expr, {">": ">=", "<": "<="}.get(a.rel, a.rel)))
    return out


def _model_point(smt: Smt, model: z3.ModelRef) -> dict:
    return {str(s): v for s, v in smt.model_values(model).items()}


def check_representation(rep, domain: Sequence[Atom] = (), timeout_ms: int = DEFAULT_TIMEOUT_MS,
                         pieces=None, outside=None) -> RepresentationCheck:
    """Disjointness, coverage (of ``domain``, default the whole space minus the
    representation's undefined set), empty pieces and continuity."""
    symbols = list(rep.inputs)
    pieces = list(rep.pieces if pieces is None else pieces)
    outside = list(rep.outside if outside is None else outside)
    smt = Smt(symbols, timeout_ms)
    member, side, encoded = [], [], []
    for piece in pieces:
        term, s, enc = smt.conj(piece.where)
        member.append(term)
        side.extend(s)
        encoded.extend(enc)
    dom_term, dom_side, dom_enc = smt.conj(domain)
    undefined = []
    for where in outside:
        term, s, enc = smt.conj(where)
        undefined.append(term)
        side.extend(s)
        encoded.extend(enc)
    side.extend(dom_side)
    exact = not any(e.ufs for e in encoded + dom_enc)

    # disjoint: at least two memberships at once
    if len(member) + len(undefined) < 2:
        disjoint = Verdict.proved("disjoint", "fewer than two pieces")
    else:
        everything = member + undefined
        r = smt.check_z3([z3.PbGe([(m, 1) for m in everything], 2)] + side, abstracted=not exact)
        disjoint = _verdict_from(r, "disjoint", smt, lambda m: _overlap_witness(smt, m, everything, len(member)),
                                 exact)
    # cover: a point of the domain in no piece (nor in the undefined set)
    r = smt.check_z3([dom_term, z3.Not(z3.Or(member + undefined))] + side, abstracted=not exact)
    cover = _verdict_from(r, "cover", smt, lambda m: Witness(_model_point(smt, m)), exact)
    # empty pieces
    empty = []
    for i, piece in enumerate(pieces, 1):
        if smt.check(piece.where, want_model=False).unsat:
            empty.append(i)
    continuity = _continuity(rep, pieces, smt, symbols, dom_term, side, exact)
    return RepresentationCheck(disjoint, cover, empty, continuity)


def _verdict_from(result, question: str, smt: Smt, witness_of, exact: bool) -> Verdict:
    if result.unsat:
        return Verdict.proved(question)
    if result.status == "unknown":
        return Verdict.unknown(question, result.reason or "solver gave up")
    if not exact:
        return Verdict.unknown(question, "the solver's counterexample involves transcendental functions "
                                         "and could not be confirmed exactly")
    return Verdict.refuted(question, witness_of(result.raw_model))


def _overlap_witness(smt: Smt, model, memberships, n_pieces) -> Witness:
    hits = [i + 1 for i, m in enumerate(memberships) if z3.is_true(model.eval(m, model_completion=True))]
    labels = [f"piece {i}" if i <= n_pieces else "undefined set" for i in hits]
    return Witness(_model_point(smt, model), {"pieces": hits, "in": labels})


def _continuity(rep, pieces, smt: Smt, symbols, dom_term, side, exact: bool) -> Verdict:
    if len(pieces) < 2:
        return Verdict.proved("continuity", "a single smooth piece")
    linear = all(_is_linear(a, symbols) for p in pieces for a in p.where)
    value_terms = [[smt.encode(v) for v in p.value] for p in pieces]
    defs = [c for row in value_terms for e in row for c in e.side]
    defined = [z3.And([c for e in row for c in e.domain]) for row in value_terms]
    member = [smt.conj(p.where)[0] for p in pieces]
    closure = [smt.conj(_relaxed(p.where))[0] for p in pieces]
    jumps, holes = [], []
    for a in range(len(pieces)):
        for b in range(len(pieces)):
            if a == b:
                continue
            differs = z3.Or([va.term != vb.term for va, vb in zip(value_terms[a], value_terms[b])])
            jumps.append((a, b, z3.And(closure[a], member[b], defined[a], differs)))
            holes.append((a, b, z3.And(closure[a], member[b], z3.Not(defined[a]))))
    r = smt.check_z3([dom_term, z3.Or([h for _, _, h in holes])] + side + defs, abstracted=not exact)
    if r.sat:
        a, b = next((a, b) for a, b, h in holes if z3.is_true(r.raw_model.eval(h, model_completion=True)))
        point = ", ".join(f"{k} = {v}" for k, v in _model_point(smt, r.raw_model).items())
        return Verdict.unknown("continuity", f"the formula of piece {a + 1} has no value at {point}, on the "
                                             f"boundary with piece {b + 1}; its limit there is not decided")
    r = smt.check_z3([dom_term, z3.Or([j for _, _, j in jumps])] + side + defs,
                     abstracted=not exact)
    if r.unsat:
        return Verdict.proved("continuity")
    if r.status == "unknown":
        return Verdict.unknown("continuity", r.reason or "solver gave up")
    if not linear:
        return Verdict.unknown("continuity", "a possible jump lies on a nonlinear boundary, where the "
                                             "closure of a piece is not decided")
    model = r.raw_model
    point = smt.model_values(model)
    for a, b, j in jumps:
        if z3.is_true(model.eval(j, model_completion=True)):
            exact_point = {s: point[s] for s in symbols}
            limit = [sympy.simplify(v.xreplace(exact_point)) for v in pieces[a].value]
            value = [sympy.simplify(v.xreplace(exact_point)) for v in pieces[b].value]
            if limit != value and all(x.holds_at(exact_point) for x in pieces[b].where):
                return Verdict.refuted("continuity", Witness(
                    {str(s): v for s, v in exact_point.items()},
                    {f"limit from piece {a + 1}": limit, f"value in piece {b + 1}": value}))
    return Verdict.unknown("continuity", "the solver's jump could not be confirmed exactly")
