"""The piece engine of ``compare``: the two representations intersected piece by piece (Lemma 3).

It gives the *disagreement set* of the gradients as a union of regions (conjunctions of
atoms), whether it has measure zero, and proofs by exact algebra where the solver has
no theory (a log-sum-exp identity, say). Its cost follows the number of pieces, so
``compare`` runs it only on request or within a budget.
"""

from __future__ import annotations

import time

from typing import Any

import sympy

from ..core.atoms import Atom, canonical, conjoin, strict
from ..core.exact import UndecidedSign, sign, simplifiable
from ..model.comparison import Region
from ..model.representation import Representation
from ..model.verdicts import DomainWitness, Verdict, Witness
from ..solver.smt import Smt
from .witnesses import confirm


class PieceComparison:
    """Both representations, their pairs of intersecting pieces, and the questions on them."""

    def __init__(self, A: Source, B: Source, symbols, columns, timeout_ms, budget, seconds: float | None = None):
        self.symbols, self.columns = symbols, columns
        deadline = time.monotonic() + seconds if seconds is not None else None

        def left() -> float | None:
            return None if deadline is None else max(deadline - time.monotonic(), 0.0)
        self.ra = _renamed(A.representation(max_pieces=budget, max_seconds=left()), symbols)
        self.rb = _renamed(B.representation(max_pieces=budget, max_seconds=left()), symbols)
        self.A, self.B = A, B
        self.smt = Smt(symbols, timeout_ms)
        self.pairs = self._pairs()
        self.pair_count = len(self.pairs)
        self.regions: list[Region] = []

    def _pairs(self) -> list[tuple[int, int, tuple[Atom, ...]]]:
        out = []
        for i, p in enumerate(self.ra.pieces):
            self.smt.push()
            try:
                self.smt.assert_atoms(p.where)
                for j, q in enumerate(self.rb.pieces):
                    region = conjoin(p.where, q.where)
                    if region is None:
                        continue
                    if self.smt.check(q.where, want_model=False).status != "unsat":
                        out.append((i, j, region))
            finally:
                self.smt.pop()
        return out

    def _equal_on(self, region, d) -> tuple[str, Any]:
        """Is ``d`` zero on ``region``? ('yes' | 'no' with a point | 'unknown' with a reason)."""
        d = canonical(d)
        if d == 0:
            return "yes", None
        if d.has(sympy.oo, sympy.nan, sympy.zoo):
            return "unknown", "a derivative is not finite on some pieces (the direct engine checks those points)"
        if not d.is_number and _zero_by_algebra(d, self.symbols):
            return "yes", "exact algebra"
        atom = Atom.make(d, "!=", 0)
        if atom is False:
            return "yes", None
        if atom is True:
            r = self.smt.check(region)
        else:
            r = self.smt.check(region + (atom,))
        if r.unsat:
            return "yes", None
        if r.status == "unknown":
            return "unknown", r.reason
        point = r.model
        if all(a.holds_at(point) for a in region):
            try:
                if sign(d.xreplace(point)) != 0:
                    return "no", point
            except UndecidedSign:
                pass
        return "unknown", "transcendental functions: no exact witness"

    def function(self) -> Verdict:
        domain = self._domain_difference()
        if domain is not None:
            return domain
        reasons, algebra = [], False
        for i, j, region in self.pairs:
            for f, g in zip(self.ra.pieces[i].value, self.rb.pieces[j].value):
                answer, info = self._equal_on(region, f - g)
                if answer == "no":
                    w = self._witness(info, values=True)
                    if w is not None:
                        return Verdict.refuted("function", w)
                    reasons.append("a candidate witness failed the exact check")
                elif answer == "unknown":
                    reasons.append(info)
                algebra = algebra or info == "exact algebra"
        if reasons:
            return Verdict.unknown("function", "; ".join(sorted(set(map(str, reasons)))))
        return Verdict.proved("function", "by exact algebra on some pieces" if algebra else None)

    def _domain_difference(self) -> Verdict | None:
        for rep, other, name in ((self.ra, self.rb, "a"), (self.rb, self.ra, "b")):
            for piece in rep.pieces:
                for where in other.outside:
                    region = conjoin(piece.where, where)
                    if region is None:
                        continue
                    r = self.smt.check(region)
                    if r.sat and all(a.holds_at(r.model) for a in region):
                        point = {str(s): r.model[s] for s in self.symbols}
                        return Verdict.refuted("function", DomainWitness(
                            point, defined_a=name == "a", defined_b=name == "b"), "the domains differ")
        return None

    def gradient(self) -> Verdict:
        witness, reasons, algebra = None, [], False
        for i, j, region in self.pairs:
            ga, gb = self.ra.pieces[i].gradient, self.rb.pieces[j].gradient
            for k in range(len(ga)):
                for col in self.columns:
                    d = canonical(ga[k][col] - gb[k][col])
                    answer, info = self._equal_on(region, d)
                    if answer == "yes":
                        algebra = algebra or info == "exact algebra"
                        continue
                    if answer == "unknown":
                        reasons.append(info)
                        continue
                    where = region if d.is_number else conjoin(region, [Atom.make(d, "!=", 0)])
                    self._add_region(where)
                    if witness is None:
                        witness = self._witness(info, values=False)
        if witness is not None:
            return Verdict.refuted("gradient", witness)
        if self.regions:
            return Verdict.unknown("gradient", "the gradients differ on some pieces, but no exact witness was found")
        if reasons:
            return Verdict.unknown("gradient", "; ".join(sorted(set(map(str, reasons)))))
        return Verdict.proved("gradient", "by exact algebra on some pieces" if algebra else None)

    def _witness(self, point, values: bool) -> Witness | None:
        return confirm(self.A, self.B, self.symbols, self.columns, point, "values" if values else "gradients")

    def _add_region(self, where: tuple[Atom, ...]) -> None:
        where = _simplified(self.smt, where)
        if any(r.where == where for r in self.regions):
            return
        self.regions.append(Region(where, _measure_zero(self.smt, where)))


def _renamed(rep: Representation, symbols) -> Representation:
    if list(rep.inputs) == list(symbols):
        return rep
    from ..model.representation import Piece
    mapping = dict(zip(rep.inputs, symbols))
    pieces = [Piece(tuple(a.subs(mapping) for a in p.where), tuple(v.xreplace(mapping) for v in p.value),
                    tuple(symbols), p.possibly_empty, p.trace,
                    tuple(tuple(g.xreplace(mapping) for g in row) for row in p.explicit_gradient)
                    if p.explicit_gradient is not None else None) for p in rep.pieces]
    outside = [tuple(a.subs(mapping) for a in w) for w in rep.outside]
    return Representation(tuple(symbols), pieces, outside, rep.output_shape, rep.stats, {}, rep.label)


#: Points at which a difference is evaluated (ball arithmetic) before any algebra.
_PROBES = ((sympy.Rational(3, 7), sympy.Rational(-5, 11)), (sympy.Rational(13, 17), sympy.Rational(2, 19)))


def _zero_by_algebra(d: sympy.Expr, symbols) -> bool:
    """Is ``d`` identically zero as a real-analytic expression (exp/log identities)?

    A value provably nonzero at a probe point (ball arithmetic) settles "no" at once;
    ``simplify`` runs only on expressions it can finish (:func:`~pwverify.core.exact.simplifiable`).

    >>> x = sympy.Symbol("x")
    >>> _zero_by_algebra(sympy.log(sympy.exp(x)) - x, [x]), _zero_by_algebra(sympy.erf(x) - x, [x])
    (True, False)
    """
    real = {s: sympy.Symbol(s.name, real=True) for s in d.free_symbols}
    e = d.xreplace(real)
    if _nonzero_somewhere(e, sorted(e.free_symbols, key=lambda s: s.name)):
        return False
    if not simplifiable(e):
        return False
    for attempt in (lambda x: sympy.simplify(x), lambda x: sympy.simplify(sympy.expand_log(sympy.logcombine(x, force=True), force=True))):
        try:
            if attempt(e) == 0:
                return True
        except Exception:  # sympy may fail on exotic input; then algebra decides nothing
            return False
    return False


def _nonzero_somewhere(e: sympy.Expr, symbols) -> bool:
    """Is ``e`` provably nonzero at one of the probe points (where it is defined)?"""
    from ..core.exact import _arb
    for probe in _PROBES:
        point = {s: probe[i % len(probe)] * (1 + i // len(probe)) for i, s in enumerate(symbols)}
        try:
            ball = _arb(e.xreplace(point), 64)
        except Exception:  # outside the domain, or no ball evaluation: this probe decides nothing
            continue
        if ball.is_finite() and not ball.contains(0):
            return True
    return False


def _simplified(smt: Smt, where: tuple[Atom, ...]) -> tuple[Atom, ...]:
    """Drop atoms implied by the others (for a readable disagreement set)."""
    atoms = list(where)
    i = 0
    while i < len(atoms):
        rest = tuple(atoms[:i] + atoms[i + 1:])
        if smt.check(rest + (atoms[i].negated(),), want_model=False).unsat:
            del atoms[i]
        else:
            i += 1
    return tuple(atoms)


def _measure_zero(smt: Smt, where: tuple[Atom, ...]) -> bool | None:
    """A region has measure zero iff it lies in the zero set of a nonzero analytic
    function: it contains an equality, or its strict version (>= to >) is empty."""
    if any(a.rel == "==" for a in where):
        return True
    r = smt.check(strict(where), want_model=False)
    if r.unsat:
        return True
    if r.sat and r.exact:
        return False
    return None
