"""Nonsmooth calculus on a program's representation: index closure, Clarke
subdifferential, directional derivatives, critical points (Bolte & Pauwels 2020, §5).

Given the pieces ``(P_α, f_α)`` of a program and an exact point ``x``:

* the **index closure** ``D_f(x) = conv{∇f_α(x) : f_α(x) = f(x)}`` (Definition 5 of
  Bolte–Pauwels) contains every output autodiff can give at ``x``;
* the **Clarke subdifferential** ``∂^c f(x) = conv{∇f_α(x) : α essentially active}``,
  where α is essentially active when ``P_α`` has a nonempty interior whose closure
  contains ``x``. Both facts are decided by the solver: exactly for linear boundaries
  and by quantifier elimination for polynomial ones; a piece the solver cannot settle
  is reported, and verdicts depending on it are *unknown*;
* a point with ``0 ∈ D_f(x)`` (autodiff may return 0 there) but ``0 ∉ ∂^c f(x)`` is an
  **artificial critical point**.

>>> from pwverify import parse
>>> c = clarke(parse("relu(-t) + t"), {"t": 0})
>>> c.hull.vertices, c.contains().inside
([(0,), (1,)], True)
>>> [(p.point, p.kind) for p in critical_points(parse("t - (relu(-t) + t - relu(t))")).points]
[({'t': 0}, 'artificial')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import sympy
import z3

from ..core.atoms import Atom, is_linear, relaxed, strict
from .convex import ConvexHull, Membership
from ..program import as_program
from ..core.errors import DomainError, UsageError
from ..core.exact import UndecidedSign, sign, simplifiable, simplified
from ..solver.smt import Smt, SolverUnknown, decide
from ..model.verdicts import PROVED, REFUTED, UNKNOWN


def _flat(rows) -> tuple:
    return tuple(g for row in rows for g in row)


def _finite(value) -> bool:
    value = sympy.sympify(value)
    return bool(value.is_finite) or (value.is_number and not value.has(sympy.zoo, sympy.nan, sympy.oo))


@dataclass
class SetAtPoint:
    """A convex set of Jacobians at a point, given by its vertices."""

    name: str
    point: dict
    hull: ConvexHull
    shape: tuple                       # (outputs, inputs)
    pieces: list[int]                  # pieces (from 1) whose gradients span it
    undecided: list[int] = field(default_factory=list)
    autodiff: tuple | None = None      # what autodiff returns at the point (flattened)
    notes: list[str] = field(default_factory=list)

    @property
    def vertices(self) -> list[tuple]:
        return self.hull.vertices

    @property
    def min_norm(self) -> tuple:
        return self.hull.min_norm

    def contains(self, vector: Sequence | None = None) -> "Containment":
        """Is ``vector`` (by default the autodiff gradient) in the set? Exact."""
        v = tuple(sympy.sympify(x) for x in (self.autodiff if vector is None else _flat_any(vector)))
        size = self.shape[0] * self.shape[1]
        if len(v) != size:
            raise UsageError(f"the vector has {len(v)} entr{'y' if len(v) == 1 else 'ies'}, but the "
                             f"{self.name} at this point holds vectors of {size}",
                             hint=f"a vector of {size} number{'s' if size != 1 else ''}, one per input"
                                  + (" and output" if self.shape[0] > 1 else ""))
        inside = self.hull.membership(v)
        if inside.inside or not self.undecided:
            return Containment(v, PROVED if inside.inside else REFUTED, inside, None)
        return Containment(v, UNKNOWN, inside, f"pieces {self.undecided} may also be essentially active")

    def to_json(self, vector=None) -> dict:
        from ..core.formatting import exact_str
        c = self.contains(vector)
        out = {"point": {k: exact_str(v) for k, v in self.point.items()},
               "set": self.name,
               "vertices": [[exact_str(x) for x in v] for v in self.vertices],
               "min_norm": [exact_str(x) for x in self.min_norm],
               "pieces": self.pieces, "undecided_pieces": self.undecided,
               "contains": {"vector": [exact_str(x) for x in c.vector], "verdict": c.verdict}}
        if c.membership.inside:
            out["contains"]["weights"] = [{"vertex": [exact_str(x) for x in k], "weight": exact_str(w)}
                                          for k, w in c.membership.weights.items()]
        else:
            out["contains"]["separating_direction"] = [exact_str(x) for x in c.membership.direction]
        return out


def _flat_any(vector) -> tuple:
    if vector and isinstance(vector[0], (list, tuple)):
        return _flat(vector)
    return tuple(vector)


@dataclass
class Containment:
    vector: tuple
    verdict: str
    membership: Membership
    reason: str | None

    @property
    def inside(self) -> bool:
        return self.verdict == PROVED


# -- pointwise sets ---------------------------------------------------------------------------
def _context(program, point):
    rep = program.representation()
    named = program.point(point)
    pt = {s: named[str(s)] for s in rep.inputs}
    try:
        fx = rep.value_at(named)
    except DomainError:
        raise DomainError("the program is undefined at this point") from None
    try:
        autodiff = _flat(program.gradient_at(named))
    except DomainError:
        autodiff = None
    return rep, named, pt, fx, autodiff


def _gradient_at(piece, pt) -> tuple | None:
    values = [g.xreplace(pt) for row in piece.gradient for g in row]
    if not all(_finite(v) for v in values):
        return None
    return tuple(simplified(v) for v in values)


def index_closure(program, point) -> SetAtPoint:
    """``D_f(x)``: the hull of the gradients of every piece whose formula equals f at x."""
    program = as_program(program)
    rep, named, pt, fx, autodiff = _context(program, point)
    grads, used = [], []
    for i, piece in enumerate(rep.pieces, 1):
        values = [v.xreplace(pt) for v in piece.value]
        if not all(_finite(v) for v in values):
            continue
        try:
            if any(sign(v - f) != 0 for v, f in zip(values, fx)):
                continue
        except UndecidedSign:
            continue
        g = _gradient_at(piece, pt)
        if g is not None:
            grads.append(g)
            used.append(i)
    shape = (rep.n_outputs, len(rep.inputs))
    return SetAtPoint("index closure D_f", named, ConvexHull(grads), shape, used, autodiff=autodiff)


def essentially_active(piece, pt: dict, smt: Smt) -> bool | None:
    """Has the piece a nonempty interior whose closure contains the point? (None: undecided)"""
    interior = strict(piece.where)
    if any(a.rel == "==" for a in interior):
        return False
    r = smt.check(interior)
    if r.unsat:
        return False
    if r.status == "unknown" or not (r.exact or all(a.holds_at(r.model) for a in interior)):
        return None
    if all(a.holds_at(pt) for a in interior):
        return True  # the point is interior
    if not all(a.holds_at(pt) for a in relaxed(piece.where)):
        return False  # outside a closed superset of the piece
    if all(is_linear(a, smt.symbols) for a in piece.where):
        return True  # a nonempty polyhedron's closure is its relaxation
    return _in_closure_by_elimination(interior, pt, smt)


def _in_closure_by_elimination(strict, pt: dict, smt: Smt) -> bool | None:
    """∀ε>0 ∃y: y ∈ strict(P) and |y - x|² < ε, decided by z3's quantifier elimination."""
    ys = {s: z3.Real(f"y_{s}") for s in smt.symbols}
    translate = smt.translator(lambda s: ys[s])
    terms = []
    for atom in strict:
        enc = translate(atom.expr)
        if enc.ufs:
            return None
        t = enc.term
        terms.append({">": t > 0, "<": t < 0, "!=": t != 0}[atom.rel])
    eps = z3.Real("eps")
    dist = z3.Sum([(ys[s] - z3.RealVal(str(pt[s]))) ** 2 for s in smt.symbols])
    claim = z3.ForAll([eps], z3.Implies(eps > 0, z3.Exists(list(ys.values()), z3.And(terms + [dist < eps]))))
    answer = decide([claim], smt.timeout_ms, tactic="qe,smt")
    return {"sat": True, "unsat": False}.get(answer)


def clarke(program, point) -> SetAtPoint:
    """``∂^c f(x)``: the hull of the gradients of the essentially active pieces."""
    program = as_program(program)
    rep, named, pt, fx, autodiff = _context(program, point)
    smt = Smt(rep.inputs, program.timeout_ms)
    grads, used, undecided, undecided_grads = [], [], [], []
    for i, piece in enumerate(rep.pieces, 1):
        active = essentially_active(piece, pt, smt)
        if active is False:
            continue
        g = _gradient_at(piece, pt)
        if g is None:
            undecided.append(i)
            continue
        if active:
            grads.append(g)
            used.append(i)
        else:
            undecided.append(i)
            undecided_grads.append(g)
    shape = (rep.n_outputs, len(rep.inputs))
    notes = []
    if undecided:
        notes.append(f"whether pieces {undecided} are essentially active is not decided")
    if not grads:
        raise DomainError("no essentially active piece was found at this point")
    return SetAtPoint("Clarke subdifferential", named, ConvexHull(grads), shape, used, undecided,
                      autodiff=autodiff, notes=notes)


# -- directional derivatives ---------------------------------------------------------------------
def _first_sign(coefficients) -> int | None:
    """The sign of the first nonzero coefficient (0 if all vanish, None if undecided)."""
    for c in coefficients:
        try:
            sg = sign(c)
        except UndecidedSign:
            return None
        if sg:
            return sg
    return 0


def _eventual_sign(q: sympy.Expr, s: sympy.Symbol) -> int | None:
    """The sign of q(s) for all small s > 0 (None when not decided): the sign of the
    first nonzero Taylor coefficient at 0."""
    q = sympy.expand(q)
    if q.is_polynomial(s):
        return _first_sign(sympy.Poly(q, s).all_coeffs()[::-1])
    try:
        series = sympy.series(q, s, 0, 8).removeO()
    except (ValueError, NotImplementedError):
        return None
    found = _first_sign([series.subs(s, 0)] + [series.coeff(s, k) for k in range(1, 8)])
    if found == 0 and (not simplifiable(q) or sympy.simplify(q) != 0):
        return None
    return found


def directional_derivative(program, point, direction) -> list:
    """``f'(x; d)``, exactly: the gradient of the piece the ray ``x + s d`` (small s > 0)
    stays in, applied to ``d``."""
    program = as_program(program)
    rep = program.representation()
    named = program.point(point)
    d = program.point(direction) if isinstance(direction, (dict, str)) else dict(zip(program.inputs, direction))
    d = {k: sympy.sympify(v) for k, v in d.items()}
    s = sympy.Symbol("s_ray", positive=True)
    ray = {sym: named[str(sym)] + s * d[str(sym)] for sym in rep.inputs}
    pt = {sym: named[str(sym)] for sym in rep.inputs}
    for piece in rep.pieces:
        ok = True
        for atom in piece.where:
            sg = _eventual_sign(atom.expr.xreplace(ray), s)
            if sg is None:
                raise UsageError("the direction's piece is not decided exactly (transcendental boundary)")
            if not atom.truth_from_sign(sg):
                ok = False
                break
        if ok:
            return [simplified(sum(g.xreplace(pt) * d[str(x)] for g, x in zip(row, rep.inputs)))
                    for row in piece.gradient]
    raise DomainError("the program is undefined along this direction")


# -- critical points -------------------------------------------------------------------------------
@dataclass
class CriticalPoint:
    point: dict
    autodiff_gradient: list
    kind: str                 # "clarke" | "artificial" | "unknown"
    reason: str               # why it was found: autodiff gradient 0, or 0 in D_f
    region: str | None = None # the piece, when a whole region is critical
    clarke: SetAtPoint | None = None


@dataclass
class CriticalReport:
    points: list[CriticalPoint]
    unknown: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        from ..core.formatting import exact_str
        return {"points": [{"point": {k: exact_str(v) for k, v in p.point.items()},
                            "autodiff_gradient": [exact_str(g) for g in p.autodiff_gradient],
                            "kind": p.kind, "found_by": p.reason, "region": p.region,
                            "clarke_vertices": [[exact_str(x) for x in v] for v in p.clarke.vertices]
                            if p.clarke else None}
                           for p in self.points],
                "unknown": self.unknown}

    def describe(self) -> str:
        from ..core.formatting import exact_str
        lines = []
        for p in self.points:
            where = ", ".join(f"{k} = {exact_str(v)}" for k, v in p.point.items())
            grad = "[" + ", ".join(exact_str(g) for g in p.autodiff_gradient) + "]"
            cl = ""
            if p.clarke is not None:
                cl = ", Clarke ∂ = conv{" + ", ".join(
                    "(" + ", ".join(exact_str(x) for x in v) + ")" if len(v) > 1 else exact_str(v[0])
                    for v in p.clarke.vertices) + "}"
            region = f" (the whole piece {p.region})" if p.region else ""
            lines.append(f"{where}: autodiff gradient {grad}{cl}: {p.kind}{region}")
        for u in self.unknown:
            lines.append(f"unknown: {u}")
        return "\n".join(lines) if lines else "no critical point found"


def _box_atoms(box: dict | None, symbols) -> tuple[Atom, ...]:
    atoms = []
    for name, (lo, hi) in (box or {}).items():
        sym = next((s for s in symbols if str(s) == name), None)
        if sym is None:
            raise UsageError(f"--box names {name}, which is not an input", hint=", ".join(map(str, symbols)))
        atoms += [Atom.make(sym, ">=", lo), Atom.make(sym, "<=", hi)]
    return tuple(a for a in atoms if not isinstance(a, bool))


def classify(program, point) -> CriticalPoint:
    """Clarke-critical (0 ∈ ∂^c f) or artificial (0 ∉ ∂^c f) at an exact point."""
    program = as_program(program)
    named = program.point(point)
    gradient = program.gradient_at(named)
    c = clarke(program, named)
    zero = (0,) * len(c.min_norm)
    verdict = c.contains(zero).verdict
    kind = {PROVED: "clarke", REFUTED: "artificial", UNKNOWN: "unknown"}[verdict]
    reason = "autodiff gradient 0" if all(g == 0 for g in _flat(gradient)) else "0 in D_f"
    return CriticalPoint(named, list(_flat(gradient)), kind, reason, clarke=c)


def critical_points(program, box: dict | None = None, count: int = 10) -> CriticalReport:
    """Points where autodiff returns 0 or where 0 ∈ D_f, classified (scalar programs)."""
    program = as_program(program)
    rep = program.representation()
    if rep.n_outputs != 1:
        raise UsageError("critical points are defined for programs with one output")
    smt = Smt(rep.inputs, program.timeout_ms)
    limits = _box_atoms(box, rep.inputs)
    report = CriticalReport([])
    seen: list[dict] = []

    def add(point: dict, region: str | None = None, reason: str | None = None):
        named = {str(s): point[s] for s in rep.inputs}
        if named in seen or len(report.points) >= count:
            return
        seen.append(named)
        cp = classify(program, named)
        cp.region = region
        if reason:
            cp.reason = reason
        report.points.append(cp)

    for i, piece in enumerate(rep.pieces, 1):
        grads = [g for row in piece.gradient for g in row]
        if any(g.is_number and g != 0 for g in grads):
            continue
        zero = [Atom.make(g, "==", 0) for g in grads]
        if any(z is False for z in zero):
            continue
        atoms = piece.where + limits + tuple(z for z in zero if z is not True)
        region = piece.describe() if all(z is True for z in zero) else None
        found = _models(smt, atoms, rep.inputs, piece, grads, min(3, count))
        if found is None:
            report.unknown.append(f"piece {i} ({piece.describe()}): where its gradient vanishes is not decided")
            continue
        for point in found:
            add(point, region)
    _zero_in_index_closure(program, rep, smt, limits, count, add, report)
    return report


def _models(smt: Smt, atoms, symbols, piece, grads, how_many: int) -> list[dict] | None:
    """Up to ``how_many`` exact points satisfying atoms (re-checked); None if undecided."""
    out: list[dict] = []
    avoid: list = []
    for _ in range(how_many):
        term, side, _ = smt.conj(atoms)
        block = [z3.Or([smt.var(s) != z3.RealVal(str(p[s])) for s in symbols]) for p in avoid]
        try:
            model = smt.simplest_model([term] + side + block)
        except SolverUnknown:
            return out or None
        if model is None:
            r = smt.check_z3([term] + side + block, want_model=False)
            return out if r.unsat or out else (None if r.status == "unknown" else out)
        exact = all(a.holds_at(model) for a in atoms) and all(
            sign(g.xreplace(model)) == 0 for g in grads if _finite(g.xreplace(model)))
        if not exact:
            return out or None
        out.append(model)
        avoid.append(model)
        if not any(isinstance(a, Atom) and a.rel != "==" for a in atoms) or len(symbols) == 0:
            break
    return out


def _zero_in_index_closure(program, rep, smt: Smt, limits, count: int, add, report) -> None:
    """Points where a convex combination of coinciding formulas' gradients vanishes."""
    from ..engines.direct import encode_representation
    if len(rep.pieces) < 2:
        return
    enc = encode_representation(rep, [smt.var(s) for s in rep.inputs])
    f = enc.values[0]
    lambdas = [z3.Real(smt.fresh("lam")) for _ in rep.pieces]
    constraints = [enc.defined] + enc.side + [z3.Sum(lambdas) == 1] + [l >= 0 for l in lambdas]
    translate = smt.encode
    total = [0] * len(rep.inputs)
    for lam, piece in zip(lambdas, rep.pieces):
        value = translate(piece.value[0])
        if value.ufs:
            report.unknown.append("0 ∈ D_f is not searched where formulas are transcendental")
            return
        agree = z3.And(value.term == f, *value.domain) if value.domain else value.term == f
        constraints.append(z3.Implies(lam > 0, agree))
        for j, g in enumerate(piece.gradient[0]):
            if g != 0:
                total[j] = total[j] + lam * translate(g).term
    constraints += [t == 0 for t in total if not isinstance(t, int)]
    constraints += [smt.conj(limits)[0]]
    found: list[dict] = []
    for _ in range(count):
        block = [z3.Or([smt.var(s) != z3.RealVal(str(p[s])) for s in rep.inputs]) for p in found]
        try:
            model = smt.simplest_model(constraints + block)
        except SolverUnknown:
            model = None  # undecided: no further point is claimed
        if model is None:
            return
        found.append(model)
        add(model, reason="0 in D_f")
