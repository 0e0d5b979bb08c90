"""The SMT backend: sympy expressions to z3 terms, and three-valued queries.

(One module of about 500 lines: every z3 query goes through it, with its timeouts and
its reasons for unknown.)

Polynomial and rational arithmetic is encoded exactly (a division carries the side
condition that its denominator is nonzero; ``sqrt(u)`` becomes a fresh ``s >= 0``
with ``s**2 == u``). Functions z3 has no theory for (``exp``, ``log``, ``sin``, ...)
become uninterpreted functions constrained by true facts about them (``exp(u) > 0``,
``exp(u) >= 1 + u``, monotonicity between the applications in one query, ...).

That abstraction is an over-approximation, which fixes how results are read:

* ``unsat`` is a proof (every real model would be a model of the abstraction);
* ``sat`` is only a candidate when the query was abstracted: its model must be
  re-checked exactly by the caller before anyone calls it a witness;
* ``unknown`` keeps z3's reason (timeout, incomplete theory).

>>> import sympy
>>> from pwverify.core.atoms import Atom
>>> t = sympy.Symbol("t")
>>> smt = Smt([t])
>>> smt.check([Atom.make(t, ">", 0), Atom.make(t, "<", 0)]).status
'unsat'
>>> r = smt.check([Atom.make(t**2, "==", 2)])
>>> r.status, r.exact
('sat', True)
>>> smt.check([Atom.make(sympy.exp(t), "<=", 0)]).status
'unsat'
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass
from typing import Iterable, Sequence

import sympy
import z3

from ..core.limits import solver_timeout_ms
from ..core.affine import Form
from ..core.atoms import Atom
from .terms import INCREASING, UF_FACTS, rational_bounds

# z3's models hold exact rationals of any size (12,000 digits on a pooling layer), read
# through their decimal text: Python's int/str conversion limit (4300 digits) would refuse them
sys.set_int_max_str_digits(0)

DEFAULT_TIMEOUT_MS = 10_000

_RELATE = {">": lambda t: t > 0, ">=": lambda t: t >= 0, "<": lambda t: t < 0, "<=": lambda t: t <= 0,
           "==": lambda t: t == 0, "!=": lambda t: t != 0}

# Where a function is defined: an application outside it has no value.
_UF_DOMAIN = {"log": lambda u: [u > 0]}


class SolverUnknown(Exception):
    """The solver answered unknown where a model was asked for (the reason is the message)."""


def decide(constraints: Sequence[z3.BoolRef], timeout_ms: int, tactic: str | None = None) -> str:
    """``"sat"``, ``"unsat"`` or ``"unknown"`` for a one-off query (``tactic``: a z3 tactic
    pipeline such as ``"qe,smt"`` for quantified claims), within ``timeout_ms`` and the
    time left (:mod:`pwverify.core.limits`)."""
    solver = z3.Then(*tactic.split(",")).solver() if tactic else z3.Solver()
    solver.set("timeout", solver_timeout_ms(timeout_ms))
    solver.add(*constraints)
    answer = solver.check()
    return "sat" if answer == z3.sat else "unsat" if answer == z3.unsat else "unknown"


def cap_memory(megabytes: int) -> None:
    """Give z3 a memory cap (``--max-memory``; 0: none): past it a query answers unknown."""
    z3.set_param("memory_max_size", int(megabytes))


@dataclass
class SmtResult:
    """Outcome of one query: ``sat`` / ``unsat`` / ``unknown``."""

    status: str
    reason: str | None = None
    model: dict | None = None          # {sympy Symbol: exact sympy number}
    exact: bool = True                 # False: the query used uninterpreted functions
    raw_model: object = None           # the z3 model itself (for other terms' values)

    @property
    def sat(self) -> bool:
        return self.status == "sat"

    @property
    def unsat(self) -> bool:
        return self.status == "unsat"


@dataclass
class _Encoded:
    """A z3 term with what it needs: ``side`` (definitions of auxiliary variables and
    true facts, always asserted) and ``domain`` (where the term has a value:
    denominators nonzero, log arguments positive, sqrt arguments nonnegative)."""

    term: z3.ExprRef
    side: tuple[z3.BoolRef, ...]
    ufs: frozenset  # (function name, argument z3 term, application z3 term)
    nonlinear: bool
    domain: tuple[z3.BoolRef, ...] = ()

    @property
    def constraints(self) -> tuple[z3.BoolRef, ...]:
        return self.side + self.domain


class Translator:
    """sympy to z3, with symbols mapped by ``leaf`` (input variables, or the terms of a
    primitive's arguments in the direct encoding). Memoised per instance."""

    def __init__(self, leaf, fresh, funcs: dict):
        self.leaf = leaf
        self.fresh = fresh
        self.funcs = funcs
        self.cache: dict[sympy.Expr, _Encoded] = {}

    def __call__(self, expr) -> _Encoded:
        expr = sympy.sympify(expr)
        hit = self.cache.get(expr)
        if hit is None:
            hit = self._encode(expr)
            self.cache[expr] = hit
        return hit

    @staticmethod
    def _combine(term, parts, extra_side=(), extra_ufs=(), nonlinear=False, extra_domain=()):
        parts = list(parts)
        side = tuple(itertools.chain(extra_side, *(p.side for p in parts)))
        domain = tuple(itertools.chain(extra_domain, *(p.domain for p in parts)))
        ufs = frozenset(itertools.chain(extra_ufs, *(p.ufs for p in parts)))
        return _Encoded(term, side, ufs, nonlinear or any(p.nonlinear for p in parts), domain)

    def _encode(self, e: sympy.Expr) -> _Encoded:
        if e.is_Symbol:
            return _Encoded(self.leaf(e), (), frozenset(), False)
        if e.is_Rational:
            return _Encoded(z3.RealVal(f"{e.p}/{e.q}"), (), frozenset(), False)
        if e.is_Add:
            parts = [self(a) for a in e.args]
            return self._combine(z3.Sum([p.term for p in parts]), parts)
        if e.is_Mul:
            parts = [self(a) for a in e.args]
            symbolic = sum(1 for a in e.args if not a.is_number)
            term = parts[0].term
            for p in parts[1:]:
                term = term * p.term
            return self._combine(term, parts, nonlinear=symbolic > 1)
        if e.is_Pow:
            base, exponent = e.args
            if exponent.is_Integer:
                b = self(base)
                n = int(exponent)
                if n == 0:
                    return _Encoded(z3.RealVal(1), b.side, b.ufs, b.nonlinear, b.domain)
                term = b.term
                for _ in range(abs(n) - 1):
                    term = term * b.term
                domain = ()
                if n < 0:
                    domain = (b.term != 0,)
                    term = 1 / term
                return self._combine(term, [b], nonlinear=not base.is_number, extra_domain=domain)
            if exponent == sympy.Rational(1, 2):
                return self._sqrt(base)
            if exponent == -sympy.Rational(1, 2):
                s = self._sqrt(base)
                return self._combine(1 / s.term, [s], nonlinear=True, extra_domain=(s.term != 0,))
            return self._uninterpreted("pow", [base, exponent])
        if isinstance(e, sympy.Abs):
            a = self(e.args[0])
            return self._combine(z3.If(a.term >= 0, a.term, -a.term), [a])
        if isinstance(e, (sympy.Max, sympy.Min)):
            parts = [self(a) for a in e.args]
            term = parts[0].term
            for p in parts[1:]:
                if isinstance(e, sympy.Max):
                    term = z3.If(p.term > term, p.term, term)
                else:
                    term = z3.If(p.term < term, p.term, term)
            return self._combine(term, parts)
        if e.is_Function:
            return self._uninterpreted(type(e).__name__, list(e.args))
        if e is sympy.E:
            return self._uninterpreted("exp", [sympy.Integer(1)])
        if e.is_number:
            # An exact irrational constant (pi, sqrt(2)*exp(3), ...): a fresh real
            # pinned between rational bounds, which is sound for every query.
            lo, hi = rational_bounds(e)
            v = z3.Real(self.fresh("c"))
            return _Encoded(v, (v >= lo, v <= hi), frozenset({("const", v, v)}), False)
        raise TypeError(f"no SMT encoding for {e} ({type(e).__name__})")

    def _sqrt(self, base) -> _Encoded:
        b = self(base)
        s = z3.Real(self.fresh("sqrt"))
        return self._combine(s, [b], (s >= 0, s * s == b.term), nonlinear=True, extra_domain=(b.term >= 0,))

    def _uninterpreted(self, name: str, args: list) -> _Encoded:
        parts = [self(a) for a in args]
        f = self.funcs.get((name, len(args)))
        if f is None:
            f = z3.Function(f"{name}_{len(args)}", *([z3.RealSort()] * (len(args) + 1)))
            self.funcs[(name, len(args))] = f
        app = f(*[p.term for p in parts])
        unary = len(args) == 1
        facts = UF_FACTS.get(name)
        side = tuple(facts(parts[0].term, app)) if facts and unary else ()
        dom = _UF_DOMAIN.get(name)
        domain = tuple(dom(parts[0].term)) if dom and unary else ()
        uf = (name, parts[0].term if unary else None, app)
        return self._combine(app, parts, side, (uf,), extra_domain=domain)


@dataclass
class SmtStats:
    checks: int = 0
    unknown: int = 0
    fallback: int = 0


class Smt:
    """Encodes sympy terms over fixed symbols and answers queries about atoms.

    One instance owns one incremental z3 solver (``push``/``assert_atoms``/``pop``),
    used by the composition to keep the current piece asserted while it asks which
    branches of the next node are feasible.
    """

    def __init__(self, symbols: Sequence[sympy.Symbol], timeout_ms: int = DEFAULT_TIMEOUT_MS):
        self.symbols = list(symbols)
        self.timeout_ms = timeout_ms
        self.vars = {s: z3.Real(str(s)) for s in self.symbols}
        self._atom_cache: dict[Atom, _Encoded] = {}
        self.funcs: dict = {}
        self._fresh = itertools.count()
        self.encode = Translator(self.var, self.fresh, self.funcs)
        self.solver = z3.Solver()
        self.solver.set("timeout", solver_timeout_ms(timeout_ms))
        self.stats = SmtStats()
        self._scopes: list[list[_Encoded]] = [[]]
        self._linear: z3.Solver | None = None
        self._scoped: z3.Solver | None = None
        self._guards: dict[Atom, tuple] = {}

    def fresh(self, stem: str) -> str:
        return f"{stem}!{next(self._fresh)}"

    def translator(self, leaf) -> Translator:
        """A translator sharing this instance's functions and fresh names."""
        return Translator(leaf, self.fresh, self.funcs)

    # -- encoding ------------------------------------------------------------------
    def var(self, symbol: sympy.Symbol) -> z3.ArithRef:
        if symbol not in self.vars:
            self.vars[symbol] = z3.Real(str(symbol))
            self.symbols.append(symbol)
        return self.vars[symbol]

    def atom(self, atom: Atom) -> _Encoded:
        hit = self._atom_cache.get(atom)
        if hit is None:
            form = Form.of(atom.expr)
            if form is not None:   # a sum of scaled inputs: no translation of a sympy tree
                t = self._affine_term(form)
                hit = _Encoded(_RELATE[atom.rel](t), (), frozenset(), False)
            else:
                enc = self.encode(atom.expr)
                hit = _Encoded(_RELATE[atom.rel](enc.term), enc.side, enc.ufs, enc.nonlinear, enc.domain)
            self._atom_cache[atom] = hit
        return hit

    def _affine_term(self, form: Form) -> z3.ArithRef:
        # through z3's C API: the wrapper's sort checks cost more than building the term;
        # every new term is wrapped at once (the wrapper holds z3's reference count)
        ctx = z3.main_ctx()
        ref, real = ctx.ref(), z3.RealSort(ctx).ast
        held = []
        for symbol, c in form.terms.items():
            v = self.var(symbol)
            if c != 1:
                k = z3.ArithRef(z3.Z3_mk_numeral(ref, f"{c.numerator}/{c.denominator}", real), ctx)
                v = z3.ArithRef(z3.Z3_mk_mul(ref, 2, (z3.Ast * 2)(k.as_ast(), v.as_ast())), ctx)
            held.append(v)
        if form.constant:
            c = form.constant
            held.append(z3.ArithRef(z3.Z3_mk_numeral(ref, f"{c.numerator}/{c.denominator}", real), ctx))
        if len(held) == 1:
            return held[0]
        parts = [h.as_ast() for h in held]
        return z3.ArithRef(z3.Z3_mk_add(ref, len(parts), (z3.Ast * len(parts))(*parts)), ctx)

    def formula(self, atoms: Iterable[Atom]) -> list[_Encoded]:
        return [self.atom(a) for a in atoms]

    # -- incremental solving --------------------------------------------------------
    def push(self) -> None:
        self.solver.push()
        self._scopes.append([])

    def pop(self) -> None:
        self.solver.pop()
        self._scopes.pop()

    def assert_atoms(self, atoms: Iterable[Atom]) -> None:
        for enc in self.formula(atoms):
            self.solver.add(enc.term, *enc.constraints)
            self._scopes[-1].append(enc)

    def assert_z3(self, *constraints: z3.BoolRef) -> None:
        for c in constraints:
            self.solver.add(c)
            self._scopes[-1].append(_Encoded(c, (), frozenset(), True))

    def _asserted(self) -> list[_Encoded]:
        return [e for scope in self._scopes for e in scope]

    def check(self, atoms: Iterable[Atom] = (), extra: Sequence[z3.BoolRef] = (),
              want_model: bool = True, timeout_ms: int | None = None) -> SmtResult:
        """Is (asserted ∧ atoms ∧ extra) satisfiable? Uses the incremental solver."""
        encoded = self.formula(atoms)
        everything = self._asserted() + encoded
        lemmas = _monotonicity(everything)
        self.push()
        try:
            for enc in encoded:
                self.solver.add(enc.term, *enc.constraints)
            for c in itertools.chain(extra, lemmas):
                self.solver.add(c)
            self.solver.set("timeout", solver_timeout_ms(timeout_ms or self.timeout_ms))
            status = self.solver.check()
            self.stats.checks += 1
            abstracted = any(e.ufs for e in everything)
            if status == z3.unknown and any(e.nonlinear for e in everything):
                # The incremental core is incomplete for nonlinear arithmetic; nlsat
                # (a decision procedure for polynomial real arithmetic) is not
                # incremental, so it gets the whole query once.
                self.stats.fallback += 1
                return self._check_nlsat(list(self.solver.assertions()), want_model, abstracted,
                                         timeout_ms or self.timeout_ms)
            return self._result(status, self.solver, want_model, abstracted)
        finally:
            if timeout_ms is not None:
                self.solver.set("timeout", solver_timeout_ms(self.timeout_ms))
            self.pop()

    def check_linear(self, atoms: Sequence[Atom], want_model: bool = True) -> SmtResult | None:
        """Is the conjunction of ``atoms`` satisfiable? None when an atom is not plain linear
        arithmetic (then use :meth:`check`).

        A plain solver for linear real arithmetic (no lemmas for functions, no fallback
        for polynomials) answers it: most questions of a decomposition are of this kind.
        """
        encoded = self.formula(atoms)
        if not _plain(encoded):
            return None
        if self._linear is None:
            self._linear = z3.SimpleSolver()
        solver = self._linear
        solver.set("timeout", solver_timeout_ms(self.timeout_ms))
        solver.push()
        try:
            # z3's C API directly: the Python wrapper's checks cost more than the solving here
            ctx, ref = solver.ctx.ref(), solver.solver
            for e in encoded:
                z3.Z3_solver_assert(ctx, ref, e.term.as_ast())
            status = z3.CheckSatResult(z3.Z3_solver_check(ctx, ref))
            self.stats.checks += 1
            return self._result(status, solver, want_model, False)
        finally:
            solver.pop()

    def linear_scope(self, atoms: Sequence[Atom]) -> "LinearScope | None":
        """An incremental context in which ``atoms`` hold, for many linear questions about
        sub-pieces of one piece (see :class:`LinearScope`); None when an atom is not plain
        linear arithmetic."""
        encoded = self.formula(atoms)
        if not _plain(encoded):
            return None
        return LinearScope(self, self._scoped_solver(), encoded)

    def _scoped_solver(self) -> z3.Solver:
        """The solver for linear questions asked in scopes (pushed and popped by each user)."""
        if self._scoped is None:
            self._scoped = z3.SimpleSolver()
            self._scoped.set("timeout", solver_timeout_ms(self.timeout_ms))
        return self._scoped

    def irredundant(self, atoms: Sequence[Atom], needed: Iterable[Atom] = ()) -> tuple[Atom, ...] | None:
        """``atoms`` without those the remaining ones imply, removed greedily in order (a
        removal needs an unsat answer; unknown keeps the atom), or None when an atom is
        not plain linear arithmetic (then ask :meth:`check` atom by atom). The ``needed``
        atoms are known not to be implied by the others: they are kept without a question.

        Each atom and its negation are guarded by a literal, and every question is a check
        under assumptions, so nothing is asserted twice within one conjunction. The solver
        and the guard literals are reused from one conjunction to the next (in a scope).
        """
        encoded = self.formula(atoms)
        if not _plain(encoded):
            return None
        solver = self._scoped_solver()
        ctx, ref = solver.ctx.ref(), solver.solver
        guards = [self._guarded(atom, e) for atom, e in zip(atoms, encoded)]
        solver.push()
        try:
            for guard in guards:
                for implication in guard[2]:
                    z3.Z3_solver_assert(ctx, ref, implication)
            active = list(range(len(atoms)))
            needed = set(needed)
            for i in range(len(atoms)):
                if atoms[i] in needed:
                    continue
                assumptions = [guards[j][0] for j in active if j != i] + [guards[i][1]]
                array = (z3.Ast * len(assumptions))(*assumptions)
                status = z3.CheckSatResult(z3.Z3_solver_check_assumptions(ctx, ref, len(assumptions), array))
                self.stats.checks += 1
                if status == z3.unsat:
                    active.remove(i)
                elif status == z3.unknown:
                    self.stats.unknown += 1
        finally:
            solver.pop()
        return tuple(atoms[i] for i in active)

    def _guarded(self, atom: Atom, encoded: _Encoded) -> tuple:
        """``(keep, negated, implications)`` of an atom, as z3 ASTs made once: literals that,
        assumed, assert the atom or its negation."""
        hit = self._guards.get(atom)
        if hit is None:
            k = len(self._guards)
            keep, negated = z3.Bool(f"keep!{k}"), z3.Bool(f"negated!{k}")
            held = (keep, negated, z3.Implies(keep, encoded.term), z3.Implies(negated, z3.Not(encoded.term)))
            hit = (keep.as_ast(), negated.as_ast(), (held[2].as_ast(), held[3].as_ast()), held)
            self._guards[atom] = hit
        return hit

    def conj(self, atoms: Iterable[Atom]) -> tuple[z3.BoolRef, list[z3.BoolRef], list[_Encoded]]:
        """A conjunction as one z3 term, its side conditions, and its encodings."""
        encoded = self.formula(atoms)
        side = [c for e in encoded for c in e.constraints]
        return z3.And([e.term for e in encoded]) if encoded else z3.BoolVal(True), side, encoded

    def check_not_any(self, atoms: Iterable[Atom], excluded: Sequence[Sequence[Atom]],
                      timeout_ms: int | None = None) -> SmtResult:
        """Is (asserted ∧ atoms ∧ ¬C1 ∧ ¬C2 ...) satisfiable, for conjunctions Ci?"""
        extra: list[z3.BoolRef] = []
        encoded_all: list[_Encoded] = []
        for conj in excluded:
            term, side, encoded = self.conj(conj)
            extra.append(z3.Not(term))
            extra.extend(side)
            encoded_all.extend(encoded)
        extra.extend(_monotonicity(self._asserted() + self.formula(atoms) + encoded_all))
        return self.check(atoms, extra, want_model=False, timeout_ms=timeout_ms)

    def enumerate(self, constraints: Sequence[z3.BoolRef], keys: Sequence[z3.ExprRef],
                  encoded: Sequence[_Encoded] = (), limit: int | None = None):
        """All assignments of ``keys`` in models of (asserted ∧ constraints).

        Returns ``(models, complete, reason)``: z3 models, one per distinct value of
        the keys; ``complete`` is False when the solver answered unknown (or
        ``limit`` was reached) before the enumeration ended.
        """
        models = []
        self.push()
        try:
            for enc in encoded:
                self.solver.add(*enc.constraints)
            self.solver.add(*constraints)
            self.solver.add(*_monotonicity(self._asserted() + list(encoded)))
            while True:
                status = self.solver.check()
                self.stats.checks += 1
                if status == z3.unsat:
                    return models, True, None
                if status == z3.unknown:
                    self.stats.unknown += 1
                    return models, False, self.solver.reason_unknown() or "solver gave up"
                model = self.solver.model()
                models.append(model)
                if limit is not None and len(models) >= limit:
                    return models, False, f"more than {limit} cases"
                self.solver.add(z3.Or([k != model.eval(k, model_completion=True) for k in keys]))
        finally:
            self.pop()

    def check_z3(self, constraints: Sequence[z3.BoolRef], want_model=True,
                 timeout_ms: int | None = None, abstracted: bool = False) -> SmtResult:
        """A one-off query on raw z3 constraints (used by the direct encoding)."""
        solver = z3.Solver()
        solver.set("timeout", solver_timeout_ms(timeout_ms or self.timeout_ms))
        solver.add(*constraints)
        status = solver.check()
        self.stats.checks += 1
        if status == z3.unknown:
            self.stats.fallback += 1
            return self._check_nlsat(list(constraints), want_model, abstracted,
                                     timeout_ms or self.timeout_ms, first=solver)
        return self._result(status, solver, want_model, abstracted)

    def _check_nlsat(self, assertions, want_model, abstracted, timeout_ms, first=None) -> SmtResult:
        solver = z3.SolverFor("QF_UFNRA") if abstracted else z3.SolverFor("QF_NRA")
        solver.set("timeout", solver_timeout_ms(timeout_ms))
        solver.add(*assertions)
        status = solver.check()
        self.stats.checks += 1
        if status == z3.unknown and first is not None:
            return self._result(status, first, want_model, abstracted)
        return self._result(status, solver, want_model, abstracted)

    def _result(self, status, solver, want_model: bool, abstracted: bool) -> SmtResult:
        if status == z3.unsat:
            return SmtResult("unsat", exact=not abstracted)
        if status == z3.unknown:
            self.stats.unknown += 1
            return SmtResult("unknown", reason=solver.reason_unknown() or "solver gave up",
                             exact=not abstracted)
        raw = solver.model()
        model = self.model_values(raw) if want_model else None
        return SmtResult("sat", model=model, exact=not abstracted, raw_model=raw)

    def model_values(self, model: z3.ModelRef) -> dict:
        """The exact values of the input symbols in a z3 model (0 when unconstrained)."""
        out = {}
        ref = model.ctx.ref()
        for sym in self.symbols:
            value = model.eval(self.vars[sym], model_completion=True)
            if z3.is_rational_value(value):   # the common case, read from the numeral's text
                p, _, q = z3.Z3_get_numeral_string(ref, value.as_ast()).partition("/")
                out[sym] = sympy.Rational(int(p), int(q)) if q else sympy.Integer(int(p))
            else:
                out[sym] = z3_to_sympy(value)
        return out


    def random_model(self, constraints: Sequence[z3.BoolRef], rng, values: Sequence, avoid: Sequence[dict] = (),
                     timeout_ms: int = 2000) -> dict | None:
        """A model of ``constraints`` other than the ``avoid`` points, with the inputs (in
        random order) pinned to one of three random ``values`` wherever the solver allows;
        None if there is none or the solver cannot tell (the caller only wants more points)."""
        solver = z3.Solver()
        solver.set("timeout", solver_timeout_ms(min(self.timeout_ms, timeout_ms)))
        solver.add(*constraints)
        for point in avoid:
            # an irrational model (a kink at sqrt(2)) is avoided by its rational coordinates only
            solver.add(z3.Or([self.vars[s] != z3.RealVal(str(v)) for s, v in point.items()
                              if isinstance(v, sympy.Rational)] or [z3.BoolVal(True)]))
        self.stats.checks += 1
        if solver.check() != z3.sat:
            return None
        for sym in rng.sample(self.symbols, len(self.symbols)):
            for value in rng.sample(list(values), 3):
                solver.push()
                solver.add(self.vars[sym] == z3.RealVal(str(value)))
                self.stats.checks += 1
                if solver.check() == z3.sat:
                    solver.pop()
                    solver.add(self.vars[sym] == z3.RealVal(str(value)))
                    break
                solver.pop()
        self.stats.checks += 1
        if solver.check() != z3.sat:
            return None
        return self.model_values(solver.model())

    def simplest_model(self, constraints: Sequence[z3.BoolRef], prefer=(0, 1, -1, 2, -2),
                       budget_ms: int = 3000, avoid: Sequence[dict] = ()) -> dict | None:
        """A model of ``constraints`` with as many inputs as possible at small integers
        (zeros first), as exact sympy numbers; None if unsat. Raises :class:`SolverUnknown`
        when the solver cannot decide (a time-out is never "no model").

        ``avoid``: points (``{symbol: value}``) the model must differ from.
        """
        import time
        first = z3.unknown
        # the general solver first; where it gives up (its nonlinear heuristics vary from run
        # to run), the decision procedure for polynomial real arithmetic (with functions)
        for solver in (z3.Solver(), z3.SolverFor("QF_UFNRA")):
            solver.set("timeout", solver_timeout_ms(self.timeout_ms))
            solver.add(*constraints)
            for point in avoid:
                solver.add(z3.Or([self.vars[s] != z3.RealVal(str(v)) for s, v in point.items()
                                  if isinstance(v, sympy.Rational)] or [z3.BoolVal(True)]))
            self.stats.checks += 1
            first = solver.check()
            if first != z3.unknown:
                break
        if first == z3.unknown:
            raise SolverUnknown(solver.reason_unknown() or "the solver gave up")
        if first != z3.sat:
            return None
        deadline = time.perf_counter() + budget_ms / 1000
        solver.set("timeout", solver_timeout_ms(min(self.timeout_ms, 1000)))
        # every input at its first preference at once (the origin, where most ties meet)
        solver.push()
        solver.add(*[self.vars[sym] == prefer[0] for sym in self.symbols])
        self.stats.checks += 1
        if solver.check() == z3.sat:
            model = solver.model()
            solver.pop()
            return self.model_values(model)
        solver.pop()
        for sym in self.symbols:
            if time.perf_counter() > deadline:
                break
            for value in prefer:
                solver.push()
                solver.add(self.vars[sym] == value)
                self.stats.checks += 1
                if solver.check() == z3.sat:
                    solver.pop()
                    solver.add(self.vars[sym] == value)
                    break
                solver.pop()
        solver.set("timeout", solver_timeout_ms(self.timeout_ms))
        self.stats.checks += 1
        last = solver.check()
        if last != z3.sat:  # sat before the pins, which were only kept where sat: unknown
            raise SolverUnknown(solver.reason_unknown() or "the solver gave up")
        return self.model_values(solver.model())


def z3_to_sympy(value: z3.ExprRef) -> sympy.Expr:
    """An exact sympy number for a z3 rational or algebraic numeral."""
    if z3.is_rational_value(value):
        return sympy.Rational(value.numerator_as_long(), value.denominator_as_long())
    if z3.is_algebraic_value(value):
        # z3 gives the defining polynomial (coefficients from degree 0 up) and the
        # 1-based index of the real root in increasing order; CRootOf counts from 0.
        x = sympy.Symbol("x")
        coeffs = [z3_to_sympy(c) for c in value.poly()]
        poly = sympy.Poly(sum(c * x**i for i, c in enumerate(coeffs)), x)
        return sympy.CRootOf(poly, value.index() - 1)
    if z3.is_int_value(value):
        return sympy.Integer(value.as_long())
    raise TypeError(f"not a numeral: {value}")


def _monotonicity(encoded: Iterable[_Encoded]) -> list[z3.BoolRef]:
    """u < v implies f(u) < f(v), for pairs of applications of an increasing f."""
    apps: dict[str, list] = {}
    for enc in encoded:
        for name, arg, app in enc.ufs:
            if name in INCREASING and arg is not None:
                apps.setdefault(name, [])
                if all(not app.eq(a) for _, a in apps[name]):
                    apps[name].append((arg, app))
    lemmas = []
    for items in apps.values():
        for (u, fu), (v, fv) in itertools.combinations(items, 2):
            lemmas.append(z3.Implies(u < v, fu < fv))
            lemmas.append(z3.Implies(v < u, fv < fu))
            lemmas.append(z3.Implies(u == v, fu == fv))
    return lemmas


def _plain(encoded: Sequence[_Encoded]) -> bool:
    """Are these encodings plain linear arithmetic (no functions, products, side conditions)?"""
    return not any(e.ufs or e.nonlinear or e.constraints for e in encoded)


class LinearScope:
    """Linear questions about the sub-pieces of one piece, in one incremental solver.

    Used as a context manager: inside, the piece's atoms are asserted once; ``push``
    adds a sub-piece's atoms (undone by ``pop``) and ``check`` asks whether some atoms
    are satisfiable in the current sub-piece. The solver keeps what it has learnt between
    questions, which is what makes a depth-first walk over a layer's choices cheap.

    >>> import sympy
    >>> from pwverify.core.atoms import Atom
    >>> x, y = sympy.symbols("x y")
    >>> smt = Smt([x, y])
    >>> with smt.linear_scope([Atom.make(x, ">", 0)]) as scope:
    ...     scope.push([Atom.make(y, ">", x)])
    ...     scope.check([Atom.make(y, "<=", 0)]).status
    ...     scope.pop()
    ...     scope.check([Atom.make(y, "<=", 0)]).status
    'unsat'
    'sat'
    """

    def __init__(self, smt: Smt, solver: z3.Solver, encoded: Sequence[_Encoded]):
        self.smt, self.solver, self.encoded = smt, solver, encoded
        self._ctx, self._ref = solver.ctx.ref(), solver.solver

    def __enter__(self) -> "LinearScope":
        self.solver.push()
        self._assert(self.encoded)
        return self

    def __exit__(self, *exc) -> None:
        self.solver.pop()

    def accepts(self, atoms: Sequence[Atom]) -> bool:
        """Can this scope ask about ``atoms`` (plain linear arithmetic)?"""
        return _plain(self.smt.formula(atoms))

    def _assert(self, encoded: Sequence[_Encoded]) -> None:
        for e in encoded:   # z3's C API: the wrapper's checks cost more than these questions
            z3.Z3_solver_assert(self._ctx, self._ref, e.term.as_ast())

    def push(self, atoms: Sequence[Atom]) -> None:
        self.solver.push()
        self._assert(self.smt.formula(atoms))

    def pop(self) -> None:
        self.solver.pop()

    def check(self, atoms: Sequence[Atom], want_model: bool = True) -> SmtResult:
        self.push(atoms)
        try:
            status = z3.CheckSatResult(z3.Z3_solver_check(self._ctx, self._ref))
            self.smt.stats.checks += 1
            return self.smt._result(status, self.solver, want_model, False)
        finally:
            self.pop()
