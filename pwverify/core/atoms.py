"""Atoms (``e > 0``, ``e == 0``, ...) and the conjunctions that describe pieces.

An :class:`Atom` compares a sympy expression with 0. Atoms are kept in a canonical
form (expanded, integer content removed, leading term positive) so that the same
condition reached along two paths of a program is the same object, and they print
the way a person writes them:

>>> import sympy
>>> x1, x2, t = sympy.symbols("x1 x2 t")
>>> print(Atom.make(x1, ">", x2))
x1 > x2
>>> print(Atom.make(2*t, ">", t))
t > 0
>>> print(Atom.make(-4*t + 2, ">=", 0))
2*t <= 1
>>> Atom.make(sympy.Integer(3), "<", 2)
False

Boolean combinations of atoms (the conditions of ``if`` statements) are turned into
*disjoint* conjunctions by Shannon expansion, so that the two branches of an ``if``
become pieces that are disjoint by construction:

>>> a, b = Atom.make(x1, ">", 0), Atom.make(x2, ">", 0)
>>> for cube, value in cubes(("and", (("atom", a), ("atom", b)))):
...     print(" and ".join(map(str, cube)), "->", value)
x1 > 0 and x2 > 0 -> True
x1 > 0 and x2 <= 0 -> False
x1 <= 0 -> False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Union

import sympy

from .affine import Form
from .exact import sign

RELATIONS = (">", ">=", "<", "<=", "==", "!=")
NEGATION = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}
FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}
_TRUTH = {
    ">": lambda s: s > 0, ">=": lambda s: s >= 0, "<": lambda s: s < 0,
    "<=": lambda s: s <= 0, "==": lambda s: s == 0, "!=": lambda s: s != 0,
}


def canonical(expr: sympy.Expr) -> sympy.Expr:
    """The canonical form used for formulas and atoms: expanded products and powers.

    ``exp(a + b)`` and ``log(a*b)`` are left alone (expanding them changes domains).
    """
    expr = sympy.sympify(expr)
    if expr.is_Atom or is_affine_sum(expr):
        return expr
    return sympy.expand(expr, power_exp=False, power_base=False, log=False,
                        multinomial=True, mul=True, deep=True)


def is_affine_sum(expr: sympy.Expr) -> bool:
    """Is ``expr`` a sum of numbers and number * symbol terms (sympy keeps those collected
    and expanded: nothing for :func:`canonical` to do)? The formulas of a ReLU network are."""
    terms = expr.args if expr.is_Add else (expr,)
    for t in terms:
        if t.is_Number or t.is_Symbol:
            continue
        if t.is_Mul and len(t.args) == 2 and t.args[0].is_Number and t.args[1].is_Symbol:
            continue
        return False
    return True


@dataclass(frozen=True)
class Atom:
    """``expr rel 0`` for one of the six relations, in canonical form."""

    expr: sympy.Expr
    rel: str

    @staticmethod
    def make(lhs, rel: str, rhs=0) -> "Atom | bool":
        """The atom ``lhs rel rhs``, or a bool when it is decided by arithmetic alone."""
        if rel not in RELATIONS:
            raise ValueError(f"unknown relation {rel!r}")
        lhs = sympy.sympify(lhs)
        if isinstance(rhs, int) and rhs == 0:
            form = Form.of(lhs)
            if form is not None:
                return Atom.of_form(form, rel)
        expr = canonical(lhs - sympy.sympify(rhs))
        if expr.is_number:
            return _TRUTH[rel](sign(expr))
        content, expr = expr.as_content_primitive()
        if content < 0:  # pragma: no cover - as_content_primitive keeps content positive
            expr, rel = -expr, FLIPPED[rel]
        lead = next(t for t in expr.as_ordered_terms() if not t.is_number)
        if lead.as_coeff_Mul()[0] < 0:
            expr, rel = canonical(-expr), FLIPPED[rel]
        return Atom(expr, rel)

    @staticmethod
    def of_form(form: Form, rel: str) -> "Atom | bool":
        """``form rel 0`` (the same atom as :meth:`make`, in integer arithmetic)."""
        if not form.terms:
            c = form.constant
            return _TRUTH[rel]((c > 0) - (c < 0))
        form, s = form.primitive()
        return Atom(form.expr(), rel if s > 0 else FLIPPED[rel])

    def negated(self) -> "Atom":
        return Atom(self.expr, NEGATION[self.rel])

    def subs(self, mapping: Mapping) -> "Atom | bool":
        """The atom with symbols replaced (re-canonicalised; may become a bool)."""
        form = Form.of(self.expr)
        if form is not None:
            form = form.substitute(mapping)
            if form is not None:
                return Atom.of_form(form, self.rel)
        return Atom.make(self.expr.xreplace(dict(mapping)), self.rel, 0)

    def holds_at(self, point: Mapping) -> bool:
        """Exact truth of the atom at a point ``{symbol: exact number}``."""
        return _TRUTH[self.rel](sign(self.expr.xreplace(dict(point))))

    def truth_from_sign(self, s: int) -> bool:
        return _TRUTH[self.rel](s)

    @property
    def is_equality(self) -> bool:
        return self.rel == "=="

    @property
    def free_symbols(self):
        return self.expr.free_symbols

    def sides(self) -> tuple[sympy.Expr, sympy.Expr]:
        """``(lhs, rhs)`` with the positive terms on the left, the rest on the right."""
        left, right = [], []
        for term in sympy.Add.make_args(self.expr):
            coeff = term.as_coeff_Mul()[0]
            if term.is_number:
                right.append(-term)
            elif coeff < 0:
                right.append(-term)
            else:
                left.append(term)
        return sympy.Add(*left), sympy.Add(*right)

    def __str__(self) -> str:
        lhs, rhs = self.sides()
        return f"{sympy.sstr(lhs)} {self.rel} {sympy.sstr(rhs)}"

    def latex(self) -> str:
        lhs, rhs = self.sides()
        rel = {">": ">", ">=": r"\geq", "<": "<", "<=": r"\leq", "==": "=", "!=": r"\neq"}[self.rel]
        return f"{sympy.latex(lhs)} {rel} {sympy.latex(rhs)}"


_SIGNS = {">": frozenset("+"), ">=": frozenset("+0"), "<": frozenset("-"), "<=": frozenset("-0"),
          "==": frozenset("0"), "!=": frozenset("+-")}
_FROM_SIGNS = {v: k for k, v in _SIGNS.items()}


def conjoin(*parts: Iterable["Atom | bool"]) -> "tuple[Atom, ...] | None":
    """Concatenate atoms, dropping True and duplicates; None if the conjunction is
    contradictory on its face. Atoms on the same expression are intersected, so
    ``t >= 0 and t <= 0`` becomes ``t == 0`` and ``t > 0 and t < 0`` is None.

    >>> import sympy; t = sympy.Symbol("t")
    >>> conjoin([Atom.make(t, ">=", 0)], [Atom.make(t, "<=", 0)])
    (Atom(expr=t, rel='=='),)
    >>> conjoin([Atom.make(t, ">", 0), Atom.make(t, "<", 0)]) is None
    True
    """
    signs: dict = {}
    order: list = []
    for part in parts:
        for atom in part:
            if atom is True:
                continue
            if atom is False:
                return None
            if atom.expr not in signs:
                signs[atom.expr] = _SIGNS[atom.rel]
                order.append(atom.expr)
            else:
                signs[atom.expr] = signs[atom.expr] & _SIGNS[atom.rel]
                if not signs[atom.expr]:
                    return None
    return tuple(Atom(e, _FROM_SIGNS[signs[e]]) for e in order)


def describe(conj: Iterable[Atom], empty: str = "everywhere") -> str:
    """A conjunction as readable text: ``x1 > x2 and t == 0``."""
    parts = [str(a) for a in conj]
    return " and ".join(parts) if parts else empty


def holds_at(conj: Iterable[Atom], point: Mapping) -> bool:
    return all(atom.holds_at(point) for atom in conj)


def strict(conj: Iterable[Atom]) -> tuple[Atom, ...]:
    """``>=`` to ``>``, ``<=`` to ``<``: an open set inside the region. The region has a
    nonempty interior iff this is satisfiable (else it lies in zero sets of nonzero
    analytic functions: measure zero)."""
    return tuple(Atom(a.expr, {">=": ">", "<=": "<"}.get(a.rel, a.rel)) for a in conj)


def relaxed(conj: Iterable[Atom]) -> tuple[Atom, ...]:
    """``>`` to ``>=``, ``<`` to ``<=``, ``!=`` dropped: a closed set containing the region
    (its closure, when the atoms are linear and the region is nonempty)."""
    return tuple(Atom(a.expr, {">": ">=", "<": "<="}.get(a.rel, a.rel)) for a in conj if a.rel != "!=")


def is_linear(atom: Atom, symbols) -> bool:
    try:
        return sympy.Poly(atom.expr, *symbols).total_degree() <= 1
    except sympy.PolynomialError:
        return False


# -- boolean formulas over atoms ---------------------------------------------------
# A formula is True, False, ("atom", Atom), ("not", f), ("and", (f, ...)) or
# ("or", (f, ...)). The frontend builds them from Python conditions.
Formula = Union[bool, tuple]


def formula_leaves(formula) -> list:
    """The leaves of a boolean formula tree (anything but and/or/not), in order."""
    found: list = []

    def walk(f):
        if isinstance(f, bool):
            return
        kind = f[0]
        if kind == "not":
            walk(f[1])
        elif kind in ("and", "or"):
            for g in f[1]:
                walk(g)
        else:
            found.append(f)

    walk(formula)
    return found


def formula_atoms(formula: Formula) -> list[Atom]:
    """The atoms of a formula, in order of first appearance."""
    return list(dict.fromkeys(leaf[1] for leaf in formula_leaves(formula) if leaf[0] == "atom"))


def evaluate(formula: Formula, assignment: Mapping[Atom, bool]) -> "bool | None":
    """The truth of a formula under a partial assignment of its atoms (None: open)."""
    if isinstance(formula, bool):
        return formula
    kind = formula[0]
    if kind == "atom":
        atom = formula[1]
        if atom in assignment:
            return assignment[atom]
        if atom.negated() in assignment:
            return not assignment[atom.negated()]
        return None
    if kind == "not":
        inner = evaluate(formula[1], assignment)
        return None if inner is None else not inner
    values = [evaluate(g, assignment) for g in formula[1]]
    if kind == "and":
        if any(v is False for v in values):
            return False
        return True if all(v is True for v in values) else None
    if kind == "or":
        if any(v is True for v in values):
            return True
        return False if all(v is False for v in values) else None
    raise ValueError(f"bad formula {formula!r}")


def cubes(formula: Formula) -> list[tuple[tuple[Atom, ...], bool]]:
    """Disjoint conjunctions covering everything, each with the formula's value.

    Shannon expansion in the order the atoms appear; a branch stops as soon as the
    formula's value is fixed, so ``a and b`` gives three cubes, not four.
    """
    atoms = formula_atoms(formula)
    out: list[tuple[tuple[Atom, ...], bool]] = []

    def expand(assignment: dict[Atom, bool], path: tuple[Atom, ...]):
        value = evaluate(formula, assignment)
        if value is not None:
            out.append((path, value))
            return
        atom = next(a for a in atoms if a not in assignment)
        expand({**assignment, atom: True}, path + (atom,))
        expand({**assignment, atom: False}, path + (atom.negated(),))

    expand({}, ())
    return out
