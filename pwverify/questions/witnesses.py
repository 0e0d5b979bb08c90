"""Witnesses re-checked exactly: a candidate point from the solver becomes a witness only
after both programs are evaluated at it in exact arithmetic (pointwise engine).

>>> from pwverify import parse
>>> from pwverify.questions.compare import Source
>>> import sympy
>>> t = sympy.Symbol("t")
>>> w = confirm(Source(parse("relu(t)")), Source(parse("relu(-t) + t")), [t], [0], {t: 0}, "gradients")
>>> w.gradient_a, w.gradient_b
([[0]], [[1]])
"""

from __future__ import annotations

from ..core.errors import DomainError
from ..core.exact import NonFinite, UndecidedSign, exact, sign
from ..model.verdicts import GradientWitness, ValueWitness, Witness


def own_point(source, symbols, model: dict) -> dict:
    """A point in a source's own input names (inputs are matched by position)."""
    return {name: model[s] for name, s in zip(source.names, symbols)}


def named_point(symbols, model: dict) -> dict:
    return {str(s): model[s] for s in symbols}


def differ(xs, ys) -> bool:
    """Do two vectors of exact numbers (nan, inf included) differ? Undecided: no."""
    for x, y in zip(xs, ys):
        x, y = exact(x), exact(y)
        if isinstance(x, NonFinite) or isinstance(y, NonFinite):
            if x != y:
                return True
            continue
        try:
            if sign(x - y) != 0:
                return True
        except UndecidedSign:
            continue
    return False


def confirm(A, B, symbols, columns, model: dict, what: str) -> Witness | None:
    """Evaluate both sources exactly at a candidate point; a witness if their values
    (``what="values"``) or gradients (``"gradients"``, on ``columns``) really differ."""
    try:
        if what == "values":
            va, vb = A.value_at(own_point(A, symbols, model)), B.value_at(own_point(B, symbols, model))
            return ValueWitness(named_point(symbols, model), va, vb) if differ(va, vb) else None
        ga = A.gradient_at(own_point(A, symbols, model))
        gb = B.gradient_at(own_point(B, symbols, model))
    except (DomainError, UndecidedSign):
        return None
    if any(differ([ra[j] for j in columns], [rb[j] for j in columns]) for ra, rb in zip(ga, gb)):
        return GradientWitness(named_point(symbols, model), ga, gb)
    return None
