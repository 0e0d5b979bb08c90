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

from ..core.atoms import Atom, is_linear, relaxed
from ..core.exact import simplified
from ..solver.smt import DEFAULT_TIMEOUT_MS, Smt
from ..model.checks import FileCheck, RepresentationCheck
from ..model.verdicts import Verdict, Witness
from .witnesses import differ


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
    return Witness(_model_point(smt, model), facts={"pieces": hits, "in": labels})


def _continuity(rep, pieces, smt: Smt, symbols, dom_term, side, exact: bool) -> Verdict:
    if len(pieces) < 2:
        return Verdict.proved("continuity", "a single smooth piece")
    linear = all(is_linear(a, symbols) for p in pieces for a in p.where)
    value_terms = [[smt.encode(v) for v in p.value] for p in pieces]
    defs = [c for row in value_terms for e in row for c in e.side]
    defined = [z3.And([c for e in row for c in e.domain]) for row in value_terms]
    member = [smt.conj(p.where)[0] for p in pieces]
    closure = [smt.conj(relaxed(p.where))[0] for p in pieces]
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
            limit = [simplified(v.xreplace(exact_point)) for v in pieces[a].value]
            value = [simplified(v.xreplace(exact_point)) for v in pieces[b].value]
            if differ(limit, value) and all(x.holds_at(exact_point) for x in pieces[b].where):
                return Verdict.refuted("continuity", Witness(
                    {str(s): v for s, v in exact_point.items()},
                    facts={f"limit from piece {a + 1}": limit, f"value in piece {b + 1}": value}))
    return Verdict.unknown("continuity", "the solver's jump could not be confirmed exactly")


# -- checking a hand-written representation ------------------------------------------------
def check_file(path_or_rep, against=None, framework: str | None = None,
               timeout_ms: int = DEFAULT_TIMEOUT_MS) -> FileCheck:
    """Check a representation file: well-formed, and (``against``) equal to a program
    with its associated gradient equal to the program's autodiff gradient."""
    from ..model.reprfile import load
    rep = load(path_or_rep) if isinstance(path_or_rep, str) else path_or_rep
    report = check_representation(rep, rep.domain, timeout_ms)
    _renumber(report, rep.numbering)
    result = FileCheck(rep.path or rep.label, report)
    if against is not None:
        from .compare import Source, as_source, compare
        program = as_source(against, framework)
        c = compare(Source(rep, rep.path), program, engine="direct", timeout_ms=timeout_ms)
        result.against = program.label
        result.agrees = _rename_question(c.function, "agrees", rep)
        result.gradient = _rename_question(c.gradient, "gradient", rep)
    return result


def check_program(program, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> FileCheck:
    """Check a program's own decomposition (disjoint, covering, no empty piece, continuous).

    >>> from pwverify import parse
    >>> print(check_program(parse("1 if t > 0 else 0 * t")).representation.continuity.describe())
    continuity: refuted at t = 0
      limit from piece 2 = [1]
      value in piece 1 = [0]
    """
    from ..program import as_program
    program = as_program(program)
    rep = program.representation()
    return FileCheck(program.label, check_representation(rep, timeout_ms=timeout_ms))


def check(subject, against=None, *, framework: str | None = None,
          timeout_ms: int = DEFAULT_TIMEOUT_MS) -> FileCheck:
    """Check a representation file (``.toml``), a :class:`Representation`, or a program
    (a :class:`~pwverify.program.Program` or a program string) for well-formedness;
    ``against``: also that it equals that program, gradients included.

    >>> print(check("relu(t) + relu(-t)").describe())
    relu(t) + relu(-t)
    disjoint: proved
    cover: proved
    empty pieces: none
    continuity: proved
    """
    from ..model.representation import Representation
    if isinstance(subject, Representation) or (isinstance(subject, str) and subject.strip().endswith(".toml")):
        return check_file(subject, against, framework, timeout_ms)
    if against is not None:
        raise TypeError("against= checks a hand-written representation against a program; "
                        "to compare two programs use pwverify.compare")
    from ..program import as_program
    return check_program(as_program(subject, framework=framework), timeout_ms)


def _renumber(report: RepresentationCheck, numbering: list[int]) -> None:
    """Sub-piece indices (from splitting disjunctive conditions) to file piece numbers."""
    report.empty_pieces = sorted({numbering[i - 1] for i in report.empty_pieces}
                                 - {numbering[i] for i in range(len(numbering))
                                    if i + 1 not in report.empty_pieces})
    w = report.disjoint.witness
    if w is not None and "pieces" in w.facts:
        w.facts["pieces"] = [numbering[i - 1] if i <= len(numbering) else i for i in w.facts["pieces"]]
        w.facts.pop("in", None)
    w = report.continuity.witness
    if w is not None:
        renamed = {}
        for key, value in w.facts.items():
            m = key.rsplit(" ", 1)
            renamed[f"{m[0]} {numbering[int(m[1]) - 1]}" if m[-1].isdigit() else key] = value
        w.facts = renamed


def _rename_question(v: Verdict, question: str, rep) -> Verdict:
    v.question = question
    if v.witness is not None:
        point = {s: v.witness.point[str(s)] for s in rep.inputs if str(s) in v.witness.point}
        if len(point) == len(rep.inputs):
            for i, piece in enumerate(rep.pieces):
                if piece.holds_at(point):
                    v.witness.facts["piece"] = rep.numbering[i]
                    break
    return v
