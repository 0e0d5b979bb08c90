"""The direct engine of ``compare``: both programs in one SMT encoding, one query per question.

The two programs are joined into one graph (:meth:`~pwverify.ir.graph.Graph.joined`), so
whatever they compute the same way is encoded once, then their values, tangents and
domains become z3 terms (:mod:`pwverify.engines.direct`) and each question is one query:

* same function: is there a point where exactly one is defined, or both are and their
  values differ?
* same gradient: is there a point where both are defined, no non-finite derivative is
  taken, and some tangent differs? Then, separately, the points where a non-finite
  derivative is taken (``sqrt`` at 0): they are enumerated and checked exactly, since
  what IEEE arithmetic makes of ``inf`` there depends on the mode and the order of
  the products.

Every candidate point is re-checked in exact arithmetic before it is a witness.
"""

from __future__ import annotations

import sympy
import z3

from ..core.errors import DomainError
from ..engines.common import piecewise_linear
from ..engines.linear import canonical
from ..engines.direct import Encoded, Unencodable, encode_representation, encode_sides
from ..model.verdicts import DomainWitness, Verdict, Witness
from ..solver.smt import Smt, SolverUnknown
from ..solver.terms import TermContext
from .witnesses import confirm, differ, named_point, own_point

#: Spurious candidate witnesses (from uninterpreted functions) tried before "unknown".
MAX_SPURIOUS = 3
#: Refinements of free tangents (ties an algorithm orders) tried before giving up.
MAX_REFINEMENTS = 16
#: Points where a non-finite derivative is taken that are checked one by one.
MAX_NONFINITE_POINTS = 8


#: Sweep the joint graph before the solver's query (:mod:`pwverify.engines.sweep`); the
#: verdicts are the same without it (tests/test_sweep.py checks), only slower on large pairs.
SWEEP = True
#: Smaller joint graphs go to the solver directly (0: every pair is swept first).
SWEEP_MIN_NODES = 0
#: Joint graphs from this size on look for a witness at the ties the sweep recorded before
#: the query on both whole programs (which may not finish on a layer of 5000 relus).
TIE_SEARCH_MIN_NODES = 3000

class DirectComparison:
    """The encodings of two sources over shared input variables, and the queries on them."""

    def __init__(self, A, B, symbols, columns, timeout_ms: int, tangents: bool = True):
        self.last_unknown: str | None = None  # why the solver could not give a candidate point
        self.refinements = 0                  # abstractions refined by the last search for points
        self.sides: tuple | None = None          # the outputs of A and B in the joint graph
        self.sweeps: dict[bool, object] = {}     # stats of the sweeps done (by tangents)
        self.A, self.B, self.symbols, self.columns = A, B, list(symbols), list(columns)
        self.smt = Smt(self.symbols, timeout_ms)
        self.tangents = tangents
        self.graphs = []
        if A.is_program and B.is_program:
            joint, outs_a, outs_b = A.obj.linear_graph.joined(B.obj.linear_graph)
            joint = canonical(joint)  # the same sums in any order are one node
            self.graphs = [joint]
            self.sides = (joint.outputs[:len(outs_a)], joint.outputs[len(outs_a):])
        self._encoded = False

    def _encode_both(self) -> None:
        """The encodings of both sides, made on first need (a refutation at the origin or a
        proof by sweeping needs none: on large programs, building the terms is the cost)."""
        if self._encoded:
            return
        self._encoded = True
        A, B, tangents = self.A, self.B, self.tangents
        inputs = [self.smt.var(s) for s in self.symbols]
        ctx = TermContext()
        linear = all(not s.is_program or piecewise_linear(s.obj.graph) for s in (A, B))
        self.channels = "direction" if linear else "basis"
        directions = [z3.Real(f"d!{s}") for i, s in enumerate(self.symbols) if i in self.columns]
        if self.sides is not None:
            self.ea, self.eb = encode_sides(self.graphs[0], list(self.sides), channels=self.channels,
                                            wrt=self.columns, tangents=tangents, ctx=ctx, inputs=inputs,
                                            directions=directions)
        else:
            self.ea, self.eb = (self._encode(s, ctx, inputs, directions, tangents) for s in (A, B))
        self.side = list(ctx.side)
        self.exact = ctx.exact
        self.abstractions = [r for r in self.ea.abstractions if r.node >= 0]
        self.lemmas: list = []

    def _encode(self, source, ctx, inputs, directions, tangents) -> Encoded:
        if source.is_program:
            return encode_sides(source.obj.graph, [source.obj.graph.outputs], channels=self.channels,
                                wrt=self.columns, tangents=tangents, ctx=ctx, inputs=inputs,
                                directions=directions)[0]
        if self.channels == "basis" and len(self.columns) != len(self.symbols):
            # a representation's tangents are per input: keep the asked columns
            enc = encode_representation(source.obj, inputs, "basis", ctx=ctx)
            enc.tangents = [[row[j] for j in self.columns] for row in enc.tangents]
            return enc
        return encode_representation(source.obj, inputs, self.channels, directions, ctx)

    # -- queries -------------------------------------------------------------------------------
    def _status(self, constraints) -> tuple[str, str | None]:
        r = self.smt.check_z3(self.side + self.lemmas + constraints, want_model=False, abstracted=not self.exact)
        return r.status, r.reason

    def _points(self, constraints, check, tries: int = MAX_SPURIOUS):
        """Exact, simplified witness candidates; ``check(point)`` confirms one exactly.
        A candidate that only the free tangents of an abstraction made (ties an algorithm
        orders) refines the abstraction at that point and does not count as a try.
        Returns ``(witness or None, points tried, exhausted)``."""
        tried: list[dict] = []
        refinements = self.refinements = 0
        while len(tried) < tries:
            try:
                model = self.smt.simplest_model(self.side + self.lemmas + constraints, avoid=tried)
            except SolverUnknown as exc:
                self.last_unknown = str(exc)
                return None, tried, False
            if model is None:
                return None, tried, True
            confirmed = check(model)
            if confirmed is not None:
                return confirmed, tried, False
            if refinements < MAX_REFINEMENTS and self._refine(model):
                refinements = self.refinements = refinements + 1
                continue
            tried.append(model)
        return None, tried, False

    def _search(self, constraints, check, tries: int = MAX_SPURIOUS):
        """:meth:`_points` where the query may be unsat: no separate satisfiability check,
        the first model asked is the answer. Returns ``(witness or None, points tried,
        status)``: "unsat" (no point at all: a proof), "unknown" (the solver gave up before
        any point; :attr:`last_unknown` says why) or "sat"."""
        self.last_unknown = None
        point, tried, exhausted = self._points(constraints, check, tries)
        # (after a refinement the first query was sat: its candidate was spurious, not a proof)
        if point is None and not tried and not self.refinements:
            if exhausted:
                return None, tried, "unsat"
            if self.last_unknown is not None:
                return None, tried, "unknown"
        return point, tried, "sat"

    def _swept_equal(self, tangents: bool) -> bool:
        """Do the two programs become the same nodes once proved-equal nodes are merged
        (:mod:`pwverify.engines.sweep`)? ``tangents``: merge only where autodiff agrees too."""
        if self.sides is None or not SWEEP or len(self.graphs[0].nodes) < SWEEP_MIN_NODES:
            return False
        from ..engines.sweep import sweep
        _, (outs_a, outs_b), stats = sweep(self.graphs[0], list(self.sides), tangents=tangents)
        self.sweeps[tangents] = stats
        return outs_a == outs_b

    def _at_split_ties(self, tangents: bool) -> Witness | None:
        """Where the sweep kept a pair of nodes apart because they differ at a tie of their
        arguments (``relu(s)`` and ``clamp(s, min=0)`` at ``s = 0``), look for a point of the
        programs where the arguments take those values: a small query over the arguments'
        cone only. Each candidate is confirmed exactly on both programs; none is a verdict
        until then (the tie may not reach an output: a pooling window may pick another entry).

        Only on large programs (``TIE_SEARCH_MIN_NODES``): smaller ones go to the solver's
        query on both whole programs, whose witness is the simplest point (zeros and small
        integers first), the same with or without sweeping."""
        stats = self.sweeps.get(tangents)
        if stats is None or not stats.apart or stats.graph is None or len(self.graphs[0].nodes) < TIE_SEARCH_MIN_NODES:
            return None
        from ..engines.direct import encode_graph
        check = self._confirm_gradients if tangents else self._confirm_values
        inputs = [self.smt.var(s) for s in self.symbols]
        for place in stats.apart:
            nodes = list(place)
            try:
                enc = encode_graph(stats.graph, nodes, tangents=False, inputs=inputs)
            except Unencodable:
                continue
            if not enc.exact:
                continue
            pinned = [v == z3.RealVal(f"{place[n].numerator}/{place[n].denominator}") for n, v in zip(nodes, enc.values)]
            try:
                model = self.smt.simplest_model([*enc.side, enc.defined, *pinned], budget_ms=1000)
            except SolverUnknown:
                continue
            if model is None:
                continue
            try:
                found = check(model)
            except DomainError:
                continue
            if found is not None:
                return found
        return None

    def _sweep_note(self, tangents: bool) -> str:
        stats = self.sweeps[tangents]
        return (f"by sweeping: {stats.proved} node pair(s) proved equal{' with their tangents' if tangents else ''} "
                "and merged, after which both programs are the same graph")

    def _at_the_origin(self, check, what: str) -> Witness | None:
        """The origin, checked exactly before any solver query: most ties meet there (every
        relu at 0, every max tied), so a refutation is often found by evaluation alone.
        Two programs are first compared in floats (the numeric engine, O(nodes)); only a
        difference there is worth the exact check."""
        if self.sides is not None and not self._differ_in_floats(what):
            return None
        origin = {s: sympy.Integer(0) for s in self.symbols}
        try:
            return check(origin)
        except DomainError:
            return None

    def _differ_in_floats(self, what: str) -> bool:
        """Do the programs differ at the origin in float64: values, or (``gradients``) the
        derivatives along a few random directions (forward mode, one tangent: O(edges)
        whatever the number of inputs)? Only a filter before the exact check."""
        import numpy as np
        p = len(self.symbols)
        origin = np.zeros((1, p))
        asked = np.isin(np.arange(p), self.columns)
        # two fixed directions with no rational relation between their entries (a tie at the
        # origin that changes the gradient changes J d for almost every d)
        steps = np.arange(1, p + 1)
        directions = [np.where(asked, np.sin(k * steps + 0.5), 0.0) for k in (1.0, np.sqrt(2.0))]
        if what == "values":
            directions = directions[:1]
        for d in directions:
            try:
                results = [s.obj.directional(origin, d) for s in (self.A, self.B)]
            except Exception:  # noqa: BLE001 - a float shortcut only: the exact check decides
                return True
            (va, sa, fa), (vb, sb, fb) = results
            if va.shape != vb.shape or fa.any() or fb.any():
                return True
            if not np.array_equal(va, vb, equal_nan=True):
                return True
            if what != "values" and not np.array_equal(sa, sb, equal_nan=True):
                return True
        return False

    def _refine(self, model) -> bool:
        """Pin the free tangents of every abstraction at the candidate's tie patterns."""
        if not self.abstractions or not self.graphs:
            return False
        from ..engines.pointwise import evaluate
        graph = self.graphs[0]
        try:
            values, _ = evaluate(graph, named_point(self.symbols, model))
        except DomainError:
            return False
        added = False
        for record in self.abstractions:
            args = [values.get(a, (None,))[0] for a in graph.nodes[record.node].args]
            if any(v is None for v in args):
                continue
            lemma = record.lemma(args)
            if not any(lemma.eq(old) for old in self.lemmas):
                self.lemmas.append(lemma)
                added = True
        return added

    def function(self) -> Verdict:
        if self.sides is not None and self.sides[0] == self.sides[1]:
            return Verdict.proved("function")  # one graph: structural hashing made them the same nodes
        found = self._at_the_origin(self._confirm_values, "values")
        if found is not None:
            return Verdict.refuted("function", found)
        if self._swept_equal(tangents=False):
            return Verdict.proved("function", self._sweep_note(False))
        found = self._at_split_ties(False)
        if found is not None:
            return Verdict.refuted("function", found)
        self._encode_both()
        ea, eb = self.ea, self.eb
        status, reason = "unsat", None
        if not (z3.is_true(z3.simplify(ea.defined)) and z3.is_true(z3.simplify(eb.defined))):
            status, reason = self._status([ea.defined != eb.defined])
        if status == "sat":
            point, _, _ = self._points([ea.defined != eb.defined], self._confirm_domain)
            if point is not None:
                return Verdict.refuted("function", point, "the domains differ")
            return Verdict.unknown("function", "the domains may differ; no exact witness was found")
        if status == "unknown":
            return Verdict.unknown("function", f"where each program is defined: {reason}")
        pairs = [(va, vb) for va, vb in zip(ea.values, eb.values) if not va.eq(vb)]
        if not pairs:
            return Verdict.proved("function")
        differs = [z3.Or([va != vb for va, vb in pairs])]
        point, tried, status = self._search([ea.defined, eb.defined] + differs, self._confirm_values)
        if status == "unsat":
            return Verdict.proved("function")
        if status == "unknown":
            return Verdict.unknown("function", f"the values: {self.last_unknown}")
        if point is not None:
            return Verdict.refuted("function", point)
        return Verdict.unknown("function", "transcendental functions: the solver's counterexamples "
                                           f"({len(tried)} tried) are not real ones")

    def gradient(self) -> Verdict:
        if self.sides is not None and self.sides[0] == self.sides[1]:
            return Verdict.proved("gradient")  # one graph: the same nodes, the same autodiff
        found = self._at_the_origin(self._confirm_gradients, "gradients")
        if found is not None:
            return Verdict.refuted("gradient", found)
        if self._swept_equal(tangents=True):
            return Verdict.proved("gradient", self._sweep_note(True))
        found = self._at_split_ties(True)
        if found is not None:
            return Verdict.refuted("gradient", found)
        self._encode_both()
        ea, eb = self.ea, self.eb
        channels = len(ea.tangents[0]) if ea.tangents else 0
        terms = []
        for k in range(len(ea.values)):
            for c in range(channels):
                ta, tb = ea.tangent(k, c), eb.tangent(k, c)
                if not ta.eq(tb):
                    terms.append(ta != tb)
        finite = [z3.Not(ea.bad), z3.Not(eb.bad)]
        nonfinite = z3.simplify(z3.Or(ea.bad, eb.bad))
        if terms:
            constraints = [ea.defined, eb.defined] + finite + [z3.Or(terms)]
            point, tried, status = self._search(constraints, self._confirm_gradients)
            if status == "unknown":
                return Verdict.unknown("gradient", f"where the derivatives are finite: {self.last_unknown}")
            if point is not None:
                return Verdict.refuted("gradient", point)
            if status != "unsat":
                return Verdict.unknown("gradient", self._spurious(tried))
        if z3.is_false(nonfinite):
            return Verdict.proved("gradient")
        return self._nonfinite_points([ea.defined, eb.defined, nonfinite])

    def _nonfinite_points(self, constraints) -> Verdict:
        """Where an infinite local derivative is taken: check the points one by one."""
        status, reason = self._status(constraints)
        if status == "unsat":
            return Verdict.proved("gradient")
        if status == "unknown":
            return Verdict.unknown("gradient", f"where a derivative is not finite: {reason or 'the solver gave up'}")
        point, tried, exhausted = self._points(constraints, self._confirm_gradients, MAX_NONFINITE_POINTS)
        if point is not None:
            return Verdict.refuted("gradient", point)
        if self.last_unknown:
            return Verdict.unknown("gradient", f"where a derivative is not finite: {self.last_unknown}")
        if exhausted:
            return Verdict.proved("gradient", f"the {len(tried)} point(s) where a derivative is not finite "
                                              "were checked one by one")
        return Verdict.unknown("gradient", f"a derivative is not finite (sqrt at 0, say) on more than "
                                           f"{len(tried)} points; the gradients agree at the {len(tried)} checked")

    def _spurious(self, tried) -> str:
        if getattr(self, "last_unknown", None) and not tried:
            return f"the solver found a candidate but could not produce a point: {self.last_unknown}"
        what = []
        if not self.exact:
            what.append("transcendental functions")
        if self.abstractions:
            what.append("ties whose order an algorithm sets")
        return (f"{' and '.join(what) or 'abstractions'}: the solver's counterexamples ({len(tried)} tried) "
                "are not real ones")

    # -- exact confirmation at a candidate point ------------------------------------------------
    def _confirm_values(self, model) -> Witness | None:
        return confirm(self.A, self.B, self.symbols, self.columns, model, "values")

    def _confirm_gradients(self, model) -> Witness | None:
        return confirm(self.A, self.B, self.symbols, self.columns, model, "gradients")

    def _confirm_domain(self, model) -> Witness | None:
        defined = []
        for source in (self.A, self.B):
            try:
                source.value_at(own_point(source, self.symbols, model))
                defined.append(True)
            except DomainError:
                defined.append(False)
        if defined[0] != defined[1]:
            return DomainWitness(named_point(self.symbols, model), defined[0], defined[1])
        return None


__all__ = ["DirectComparison", "differ"]
