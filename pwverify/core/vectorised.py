"""A primitive over float64 arrays: its outputs and local derivative at many points at once.

The numeric engine evaluates a program's graph over a batch of points, node by node. At
each node it asks the primitive's piece table for a :class:`NumericLocal`: the outputs
(arrays; nan where the primitive is undefined) and one row of derivative *entries* per
output, one entry per argument:

* ``None``: nothing passes along this edge (a zero by the branch's formula, or no
  autodiff edge at all);
* a float: the same derivative at every point (``add``: 1.0);
* a float array: the derivative at each point;
* a bool array: a *selection*: the tangent passes unchanged where it holds, a zero
  elsewhere (relu's derivative, an ``if``'s branches);

or, for the whole row, :class:`OneHot`: the output is the argument ``index[r]`` at point
``r`` (max with a first-wins rule, sort). ``nonfinite`` marks the points where an entry
the branch's formula computes is inf or nan (``sqrt`` at 0): there a zero tangent times
that entry is nan (IEEE), which the engine replays point by point.

:class:`CompiledBranches` is the generic rule: the atoms of every branch evaluated on the
arrays, the branch that holds at each point chosen, its formulas and derivative entries
compiled once from the branch's sympy expressions (:func:`compile_formula`).

>>> import numpy as np, sympy
>>> a0 = sympy.Symbol("a0")
>>> relu = CompiledBranches(1, [([(a0, ">")], (a0,), ((1,),), ((False,),)),
...                             ([(a0, "<=")], (sympy.Integer(0),), ((0,),), ((True,),))])
>>> out = relu([np.array([-1.0, 0.0, 2.0])])
>>> out.values[0].tolist(), out.rows[0][0].tolist()
([0.0, 0.0, 2.0], [False, False, True])
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import sympy

from .compiled import compile_formula

COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
           "==": operator.eq, "!=": operator.ne}


@dataclass(frozen=True)
class OneHot:
    """A derivative row that is one-hot on argument ``index[r]`` at point ``r``."""

    index: np.ndarray


@dataclass
class NumericLocal:
    """A primitive at many points: outputs, derivative rows, and where an entry is not finite."""

    values: tuple
    rows: tuple
    nonfinite: Any = None    # bool array, or None: every entry is finite


def size_of(args: Sequence) -> int | None:
    """The batch size of the arrays among ``args`` (None if all are scalars)."""
    for a in args:
        if isinstance(a, np.ndarray) and a.ndim:
            return a.shape[0]
    return None


def full(x, n: int | None) -> np.ndarray:
    """``x`` (scalar or array) as a float array of length ``n``."""
    if n is None:
        return np.asarray(x, dtype=float)
    return np.broadcast_to(np.asarray(x, dtype=float), (n,))


def rows(args: Sequence, n: int | None) -> np.ndarray:
    """The arguments as rows of a ``(k, n)`` array (contiguous copies: reductions over
    axis 0 are elementwise passes)."""
    out = np.empty((len(args), 1 if n is None else n))
    for i, a in enumerate(args):
        out[i] = a
    return out


def stack(args: Sequence, n: int | None) -> np.ndarray:
    """The arguments as columns of an ``(n, k)`` array."""
    if n is None:
        return np.asarray([float(a) for a in args], dtype=float)[None, :]
    out = np.empty((n, len(args)))
    for i, a in enumerate(args):
        out[:, i] = a
    return out


def _number(e: sympy.Expr) -> float:
    if e in (sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
        return {sympy.oo: np.inf, -sympy.oo: -np.inf}.get(e, np.nan)
    return float(e)


def compile_atom(expr: sympy.Expr, rel: str, symbols: Sequence[sympy.Symbol]):
    """``expr rel 0`` over arrays, as ``positive terms rel negative terms``: ``a0 - a1 > 0``
    becomes ``a0 > a1``, exact in floats where the subtraction would round."""
    left, right = [], []
    for term in sympy.Add.make_args(expr):
        if term.is_number:
            right.append(-term)
        elif term.as_coeff_Mul()[0] < 0:
            right.append(-term)
        else:
            left.append(term)
    lhs, rhs = sympy.Add(*left), sympy.Add(*right)
    f, g = compile_value(lhs, symbols), compile_value(rhs, symbols)
    cmp = COMPARE[rel]
    return lambda args: cmp(f(args), g(args))


def compile_value(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]):
    """A function of the argument list: a float for a constant, the argument itself for a
    bare symbol, else the compiled numpy formula."""
    expr = sympy.sympify(expr)
    if expr.is_number:
        c = _number(expr)
        return lambda args: c
    if expr in symbols:
        i = list(symbols).index(expr)
        return lambda args: args[i]
    fn = compile_formula(expr, tuple(symbols), "numpy")
    return lambda args: fn(*args)


class CompiledBranches:
    """A table's branches compiled for arrays (the generic :meth:`PieceTable.numeric`).

    ``branches``: ``[(atoms, values, jacobian, zero_or_detached), ...]`` where ``atoms``
    is a list of ``(expr, rel)``, ``values`` the formulas per output, ``jacobian`` the
    derivative rows (sympy; ``oo`` allowed), ``zero_or_detached`` per entry whether
    nothing passes there. ``domain``: atoms outside which the outputs are nan.
    ``checked``: arguments that appear in no atom and must be defined whatever the
    branch (a non-lazy ``where`` is undefined if its unchosen value is).
    """

    def __init__(self, n_args: int, branches: Sequence, domain: Sequence = (), checked: Sequence[int] = ()):
        symbols = tuple(sympy.Symbol(f"a{i}") for i in range(n_args))
        self.n_args = n_args
        self.n_out = len(branches[0][1])
        self.conditions = [[compile_atom(e, rel, symbols) for e, rel in atoms] for atoms, *_ in branches]
        self.domain = [compile_atom(e, rel, symbols) for e, rel in domain]
        self.checked = tuple(checked)
        self.values = [[compile_value(v, symbols) for v in values] for _, values, _, _ in branches]
        self.entries = []     # per output, per argument: a rule to build the entry
        for k in range(self.n_out):
            row = []
            for i in range(n_args):
                per_branch = []
                for _, _, jac, zero in branches:
                    d = sympy.sympify(jac[k][i])
                    per_branch.append(None if zero[k][i] else d)
                row.append(self._entry_rule(per_branch, symbols))
            self.entries.append(row)
        self.smooth = (len(branches) == 1 and not branches[0][0] and not domain
                       and all(r[0] == "none" or r[0] in ("const", "formula") and not r[2]
                               for row in self.entries for r in row))

    @staticmethod
    def _entry_rule(per_branch: list, symbols):
        """``("none",)``, ``("const", c)``, ``("mask", branches)`` (1 there, nothing elsewhere)
        or ``("formula", [fn or None per branch], check)``."""
        if all(d is None for d in per_branch):
            return ("none",)
        if len(per_branch) == 1:
            d = per_branch[0]
            if d.is_number:
                c = _number(d)
                return ("const", c, not np.isfinite(c))
            return ("formula", [compile_value(d, symbols)], not d.is_polynomial(*symbols))
        if all(d is None or d == 1 for d in per_branch):
            return ("mask", [b for b, d in enumerate(per_branch) if d is not None])
        fns = [None if d is None else compile_value(d, symbols) for d in per_branch]
        check = any(d is not None and (d.has(sympy.oo, sympy.nan, sympy.zoo) or not d.is_polynomial(*symbols))
                    for d in per_branch)
        return ("formula", fns, check)

    def __call__(self, args: Sequence) -> NumericLocal:
        if self.smooth:    # one branch, no atoms, no domain: the formulas and their derivatives
            values = tuple(f(args) for f in self.values[0])
            rows = tuple(tuple(None if r[0] == "none" else r[1] if r[0] == "const" else r[1][0](args)
                               for r in row) for row in self.entries)
            return NumericLocal(values, rows)
        n = size_of(args)
        with np.errstate(all="ignore"):
            conds = []
            for atoms in self.conditions:
                c = True
                for atom in atoms:
                    c = atom(args) if c is True else c & atom(args)
                conds.append(c)
            single = len(conds) == 1
            defined = True
            for atom in self.domain:
                defined = atom(args) if defined is True else defined & atom(args)
            for i in self.checked:
                ok = ~np.isnan(args[i])
                defined = ok if defined is True else defined & ok
            values = []
            for k in range(self.n_out):
                if single:
                    v = self.values[0][k](args)
                    if conds[0] is not True:
                        v = np.where(conds[0], v, np.nan)
                else:
                    v = _choose(conds, [vals[k](args) for vals in self.values], np.nan)
                if defined is not True:
                    v = np.where(defined, v, np.nan)
                values.append(v if n is None or (isinstance(v, np.ndarray) and v.shape == (n,)) else full(v, n))
            rows, bad = [], None
            for k in range(self.n_out):
                row = []
                for rule in self.entries[k]:
                    kind = rule[0]
                    if kind == "none":
                        row.append(None)
                    elif kind == "const":
                        c, where = rule[1], conds[0]      # one branch only
                        row.append(c if where is True else np.where(where, c, 0.0))
                        if rule[2]:
                            bad = _or(bad, np.ones(n or 1, bool) if where is True else where)
                    elif kind == "mask":
                        m = None
                        for b in rule[1]:
                            m = conds[b] if m is None else (m | conds[b])
                        row.append(m if isinstance(m, np.ndarray) else (1.0 if m else None))
                    else:
                        fns, check = rule[1], rule[2]
                        if single:
                            d = fns[0](args)
                        else:
                            d = _choose(conds, [0.0 if f is None else f(args) for f in fns], 0.0)
                        row.append(d)
                        if check:
                            bad = _or(bad, ~np.isfinite(d))
                rows.append(tuple(row))
        return NumericLocal(tuple(values), tuple(rows), bad)


def _or(a, b):
    return b if a is None else (a | b)


def _choose(conds: list, options: list, default: float):
    """The option of the first condition that holds (``default`` where none does)."""
    out = default
    for c, v in zip(reversed(conds), reversed(options)):
        if c is True:
            out = v
        elif c is not False:
            out = np.where(c, v, out)
    return out


def per_point(table, args: Sequence, n: int | None, to_exact, to_float) -> NumericLocal:
    """The table's exact rule (:meth:`at`) at each point, for tables with no vectorised rule.

    ``to_exact`` turns a float into an exact number, ``to_float`` an exact number (or a
    non-finite value) into a float. A point where an argument is nan is undefined.
    """
    m = 1 if n is None else n
    cols = [full(a, n) if n is not None else np.asarray([float(a)]) for a in args]
    k, p = table.n_out, len(args)
    values = np.full((k, m), np.nan)
    jac = np.zeros((k, p, m))
    used = np.zeros((k, p), bool)
    bad = np.zeros(m, bool)
    for r in range(m):
        xs = [c[r] for c in cols]
        if any(np.isnan(x) for x in xs):
            continue
        exact_args = [to_exact(x) for x in xs]
        if not table.in_domain(exact_args):
            continue
        local = table.at(exact_args)
        detached = set(local.detached)
        for o in range(k):
            values[o, r] = to_float(local.values[o])
            for i in range(p):
                if i in detached or local.structural_zero[o][i]:
                    continue
                d = to_float(local.jacobian[o][i])
                jac[o, i, r] = d
                used[o, i] = True
                bad[r] |= not np.isfinite(d)
    rows = tuple(tuple(jac[o, i] if used[o, i] else None for i in range(p)) for o in range(k))
    if n is None:
        return NumericLocal(tuple(values[:, 0]), tuple(tuple(None if e is None else e[0] for e in row)
                                                       for row in rows), bad if bad.any() else None)
    return NumericLocal(tuple(values), rows, bad if bad.any() else None)
