"""Same function? Same autodiff gradient? Two engines, one answer.

``compare(a, b)`` asks two questions about two programs (or a program and a
hand-written representation): do they compute the same function, and does autodiff
return the same gradient for both, at every point of the common domain?

* The **direct engine** (:mod:`pwverify.engines.direct`) puts both programs' values and forward
  tangents into one SMT query per question; the solver splits cases lazily. It gives
  the verdicts and the witnesses, fast.
* The **piece engine** intersects the two representations piece by piece (Lemma 3):
  it gives the *disagreement set* of the gradients as a union of conditions, whether it
  has measure zero, and proofs by exact algebra where the solver has no theory (a
  log-sum-exp identity, say).

A witness is an exact point, simplified towards zeros and small integers, and
re-evaluated in exact arithmetic on both programs before it is reported.

>>> r = compare("relu(t)", "relu(-t) + t")
>>> print(r.describe())
function: proved equal
gradient: refuted at t = 0: d/dt relu(t) = 0, d/dt (relu(-t) + t) = 1
          disagreement set: {t == 0} (measure zero)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import sympy
import z3

from ..engines.pieces import DecompositionUnknown
from ..core.atoms import Atom, canonical, conjoin, strict
from ..core.errors import DomainError, UsageError
from ..core.exact import UndecidedSign, sign
from ..model.representation import Representation
from ..solver.smt import DEFAULT_TIMEOUT_MS, Smt
from ..model.comparison import Comparison, Region
from ..model.verdicts import (PROVED, UNKNOWN, DomainWitness, GradientWitness, ValueWitness, Verdict,
                              Witness)

#: Pieces a representation may have before the piece engine gives up.
PIECE_BUDGET = 2000
#: Spurious candidate witnesses (from uninterpreted functions) tried before "unknown".
MAX_SPURIOUS = 3


# -- what can be compared ----------------------------------------------------------------
class Source:
    """A program or a representation, seen through the operations compare needs."""

    def __init__(self, obj, label: str | None = None):
        self.obj = obj
        self.is_program = not isinstance(obj, Representation)
        self.label = label or (obj.label if self.is_program else (obj.label or "representation"))

    @property
    def names(self) -> list[str]:
        return list(self.obj.inputs) if self.is_program else self.obj.input_names

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        return self.obj.symbols if self.is_program else tuple(self.obj.inputs)

    @property
    def framework(self) -> str:
        return self.obj.profile.name if self.is_program else "representation"

    def encode(self, smt: Smt, symbols, tangents: bool = True):
        from ..engines.direct import encode_program, encode_representation
        if self.is_program:
            return encode_program(self.obj, smt, tangents=tangents, symbols=symbols)
        return encode_representation(self.obj, smt, symbols)

    def representation(self, max_pieces: int | None = None) -> Representation:
        return self.obj.representation(max_pieces=max_pieces) if self.is_program else self.obj

    def value_at(self, point: dict) -> list:
        return self.obj.value_at(point)

    def gradient_at(self, point: dict) -> list[list]:
        return self.obj.gradient_at(point)


def as_source(x, framework=None) -> Source:
    if isinstance(x, Source):
        return x
    if isinstance(x, str):
        from ..program import parse
        return Source(parse(x, framework=framework))
    return Source(x)


# -- the entry point -------------------------------------------------------------------------------
def compare(a, b, *, framework: str | None = None, wrt: Sequence[str] | None = None,
            engine: str = "auto", timeout_ms: int = DEFAULT_TIMEOUT_MS, disagreement: bool = True,
            piece_budget: int = PIECE_BUDGET, questions: Sequence[str] = ("function", "gradient")
            ) -> Comparison:
    """Compare two programs (specs, ``Program`` or ``Representation``) as functions and as
    autodiff gradients. ``wrt``: compare gradients with respect to these inputs only.
    ``engine``: ``"auto"`` (direct verdicts, pieces for the disagreement set),
    ``"direct"``, ``"pieces"``, or ``"both"`` (both, cross-checked). ``questions``: ask
    only ``("function",)`` or only ``("gradient",)``; the other verdict is then unknown.
    """
    if engine not in ("auto", "direct", "pieces", "both"):
        raise UsageError(f"unknown engine {engine!r}", hint="auto, direct, pieces, both")
    A, B = as_source(a, framework), as_source(b, framework)
    names, notes = _align(A, B)
    columns = _columns(names, B.names, wrt)
    symbols = [sympy.Symbol(n) for n in names]
    result = Comparison(A.label, B.label, names, Verdict.unknown("function", "not run"),
                        Verdict.unknown("gradient", "not run"), notes=notes,
                        frameworks=(A.framework, B.framework))
    start = time.perf_counter()
    if engine in ("auto", "direct", "both"):
        direct = _Direct(A, B, symbols, columns, timeout_ms, tangents="gradient" in questions)
        if "function" in questions:
            result.function = direct.function()
        if "gradient" in questions:
            result.gradient = direct.gradient()
        result.stats["direct"] = {"solver_calls": direct.smt.stats.checks,
                                  "seconds": round(time.perf_counter() - start, 4)}
    asked = [getattr(result, q) for q in questions]
    wants_pieces = engine in ("pieces", "both") or (
        engine == "auto" and ("gradient" in questions and disagreement and result.gradient.status != PROVED
                              or any(v.status == UNKNOWN for v in asked)))
    if wants_pieces:
        started = time.perf_counter()
        try:
            pieces = _Pieces(A, B, symbols, columns, timeout_ms, piece_budget)
            fn, gr = pieces.function(), pieces.gradient()
            result.regions = list(pieces.regions)
            result.stats["pieces"] = {"solver_calls": pieces.smt.stats.checks, "pairs": pieces.pair_count,
                                      "seconds": round(time.perf_counter() - started, 4)}
        except DecompositionUnknown as exc:
            result.disagreement_reason = exc.message
            fn = gr = None
            if engine == "pieces":
                result.function = Verdict.unknown("function", exc.message)
                result.gradient = Verdict.unknown("gradient", exc.message)
        if fn is not None:
            if engine == "pieces":
                result.function, result.gradient = fn, gr
            else:
                if "function" in questions:
                    result.function = _reconcile(result.function, fn, result)
                if "gradient" in questions:
                    result.gradient = _reconcile(result.gradient, gr, result)
    if result.function.status == PROVED and result.measure_zero is False:
        result.notes.append("the functions are equal but the gradients differ on a set of positive measure: "
                            "a rule on the way is not a selection derivative (Corollary 1 fails)")
    result.stats["seconds"] = round(time.perf_counter() - start, 4)
    return result


def _reconcile(first: Verdict, second: Verdict, result: Comparison) -> Verdict:
    """Combine the verdicts of the two engines; a contradiction is a bug, said as such."""
    if first.status == second.status or second.status == UNKNOWN:
        return first
    if first.status == UNKNOWN:
        return second
    result.notes.append(f"the two engines disagree on the {first.question} ({first.status} vs "
                        f"{second.status}): this is a bug in pwverify")
    return Verdict.unknown(first.question, "the direct and piece engines disagree")


def _align(A: Source, B: Source) -> tuple[list[str], list[str]]:
    if A.names == B.names:
        return A.names, []
    if len(A.names) != len(B.names):
        raise UsageError(f"{A.label} has {len(A.names)} inputs ({', '.join(A.names)}) but {B.label} has "
                         f"{len(B.names)} ({', '.join(B.names)})", hint="programs with the same inputs")
    pairs = ", ".join(f"{x}~{y}" for x, y in zip(A.names, B.names) if x != y)
    return A.names, [f"inputs matched by position: {pairs}"]


def _columns(names: list[str], other: list[str], wrt) -> list[int]:
    if not wrt:
        return list(range(len(names)))
    out = []
    for w in wrt:
        if w in names:
            out.append(names.index(w))
        elif w in other:
            out.append(other.index(w))
        else:
            raise UsageError(f"--wrt {w}: not an input", hint=", ".join(names))
    return out


# -- the direct engine -----------------------------------------------------------------------------
class _Direct:
    def __init__(self, A: Source, B: Source, symbols, columns, timeout_ms, tangents: bool = True):
        self.A, self.B, self.symbols, self.columns = A, B, symbols, columns
        self.smt = Smt(symbols, timeout_ms)
        self.ea = A.encode(self.smt, symbols, tangents)
        self.eb = B.encode(self.smt, symbols, tangents)
        self.side = self.ea.side + self.eb.side
        self.exact = self.ea.exact and self.eb.exact

    def _points(self, constraints, check):
        """Exact, simplified witness candidates; ``check(point)`` confirms one exactly."""
        tried: list[dict] = []
        for _ in range(MAX_SPURIOUS):
            model = self.smt.simplest_model(self.side + constraints, avoid=tried)
            if model is None:
                return None, tried
            confirmed = check(model)
            if confirmed is not None:
                return confirmed, tried
            tried.append(model)
        return None, tried

    def _status(self, constraints) -> tuple[str, str | None]:
        r = self.smt.check_z3(self.side + constraints, want_model=False, abstracted=not self.exact)
        return r.status, r.reason

    def function(self) -> Verdict:
        ea, eb = self.ea, self.eb
        status, reason = "unsat", None
        if not (z3.is_true(z3.simplify(ea.defined)) and z3.is_true(z3.simplify(eb.defined))):
            status, reason = self._status([ea.defined != eb.defined])
        if status == "sat":
            point, _ = self._points([ea.defined != eb.defined], self._confirm_domain)
            if point is not None:
                return Verdict.refuted("function", point, "the domains differ")
            return Verdict.unknown("function", "the domains may differ; no exact witness was found")
        if status == "unknown":
            return Verdict.unknown("function", f"domains: {reason}")
        differs = [z3.Or([va != vb for va, vb in zip(ea.values, eb.values)])]
        status, reason = self._status([ea.defined, eb.defined] + differs)
        if status == "unsat":
            return Verdict.proved("function")
        if status == "unknown":
            return Verdict.unknown("function", reason or "solver gave up")
        point, tried = self._points([ea.defined, eb.defined] + differs, self._confirm_values)
        if point is not None:
            return Verdict.refuted("function", point)
        return Verdict.unknown("function", "transcendental functions: the solver's counterexamples "
                                           f"({len(tried)} tried) are not real ones")

    def gradient(self) -> Verdict:
        ea, eb = self.ea, self.eb
        terms = [ea.tangent_term(k, j) != eb.tangent_term(k, j)
                 for k in range(len(ea.values)) for j in self.columns]
        constraints = [ea.defined, eb.defined, z3.Or(terms)]
        status, reason = self._status(constraints)
        if status == "unsat":
            return Verdict.proved("gradient")
        if status == "unknown":
            return Verdict.unknown("gradient", reason or "solver gave up")
        point, tried = self._points(constraints, self._confirm_gradients)
        if point is not None:
            return Verdict.refuted("gradient", point)
        return Verdict.unknown("gradient", "transcendental functions: the solver's counterexamples "
                                           f"({len(tried)} tried) are not real ones")

    # exact confirmation at a candidate point
    def _confirm_values(self, model) -> Witness | None:
        return confirm(self.A, self.B, self.symbols, self.columns, model, "values")

    def _confirm_gradients(self, model) -> Witness | None:
        return confirm(self.A, self.B, self.symbols, self.columns, model, "gradients")

    def _confirm_domain(self, model) -> Witness | None:
        defined = []
        for source in (self.A, self.B):
            try:
                source.value_at(_own(source, self.symbols, model))
                defined.append(True)
            except DomainError:
                defined.append(False)
        if defined[0] != defined[1]:
            return DomainWitness(_named(self.symbols, model), defined_a=defined[0], defined_b=defined[1])
        return None


def _own(source: Source, symbols, model: dict) -> dict:
    """A point in a source's own input names (inputs are matched by position)."""
    return {name: model[s] for name, s in zip(source.names, symbols)}


def _named(symbols, model: dict) -> dict:
    return {str(s): model[s] for s in symbols}


def confirm(A: Source, B: Source, symbols, columns, model: dict, what: str) -> Witness | None:
    """Evaluate both sources exactly at a candidate point; a witness if their values
    (``what="values"``) or gradients (``"gradients"``, on ``columns``) really differ."""
    try:
        if what == "values":
            va, vb = A.value_at(_own(A, symbols, model)), B.value_at(_own(B, symbols, model))
            return ValueWitness(_named(symbols, model), value_a=va, value_b=vb) if _differ(va, vb) else None
        ga, gb = A.gradient_at(_own(A, symbols, model)), B.gradient_at(_own(B, symbols, model))
    except (DomainError, UndecidedSign):
        return None
    if any(_differ([ra[j] for j in columns], [rb[j] for j in columns]) for ra, rb in zip(ga, gb)):
        return GradientWitness(_named(symbols, model), gradient_a=ga, gradient_b=gb)
    return None


def _differ(xs, ys) -> bool:
    try:
        return any(sign(sympy.sympify(x) - sympy.sympify(y)) != 0 for x, y in zip(xs, ys))
    except UndecidedSign:
        return False


# -- the piece engine ----------------------------------------------------------------------------------
class _Pieces:
    def __init__(self, A: Source, B: Source, symbols, columns, timeout_ms, budget):
        self.symbols, self.columns = symbols, columns
        self.ra = _renamed(A.representation(max_pieces=budget), symbols)
        self.rb = _renamed(B.representation(max_pieces=budget), symbols)
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


def _zero_by_algebra(d: sympy.Expr, symbols) -> bool:
    """Is ``d`` identically zero as a real-analytic expression (exp/log identities)?"""
    real = {s: sympy.Symbol(s.name, real=True) for s in d.free_symbols}
    e = d.xreplace(real)
    for attempt in (lambda x: sympy.simplify(x), lambda x: sympy.simplify(sympy.expand_log(sympy.logcombine(x, force=True), force=True))):
        try:
            if attempt(e) == 0:
                return True
        except Exception:  # sympy may fail on exotic input; then algebra decides nothing
            return False
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
