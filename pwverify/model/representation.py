"""Representations: disjoint pieces, each with smooth formulas and their gradients.

A :class:`Representation` of ``f : R^p -> R^q`` is a list of :class:`Piece`. Each
piece is a conjunction of atoms over the inputs (its region ``P^α``) and one smooth
formula per output (``f^α``). The regions are pairwise disjoint and cover the
program's domain; the *associated gradient* (Murat–Trombetti) at ``x`` is the
gradient of the formulas of the piece containing ``x``: what autodiff returns
there (Bolte–Pauwels, Theorem 2).

>>> from pwverify import parse
>>> rep = parse("relu(-t) + t").representation()
>>> print(rep.describe())
piece 1: t < 0
  value    0
  gradient [0]
piece 2: t >= 0
  value    t
  gradient [1]
>>> rep.gradient_at({"t": 0})
[[1]]
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import sympy

from ..core.atoms import Atom, canonical, describe as describe_conj
from ..core.errors import DomainError
from ..core.exact import simplified
from ..core.points import normalize_point
from . import notation


@dataclass(frozen=True)
class Piece:
    """A region (conjunction of atoms over the inputs) and its smooth formulas."""

    where: tuple[Atom, ...]
    value: tuple[sympy.Expr, ...]
    inputs: tuple[sympy.Symbol, ...]
    possibly_empty: bool = False   # the solver could not decide emptiness
    trace: tuple = ()              # (node id, branch order, label) chosen along the way
    #: The framework's derivative when some rule on the way is not the gradient of its
    #: formula (see ``Branch.jacobian``); None when the gradient is ∇value.
    explicit_gradient: tuple | None = None

    @functools.cached_property
    def gradient(self) -> tuple[tuple[sympy.Expr, ...], ...]:
        """One row per output, one column per input: what autodiff returns on the piece."""
        if self.explicit_gradient is not None:
            return self.explicit_gradient
        return self.formula_gradient

    @functools.cached_property
    def formula_gradient(self) -> tuple[tuple[sympy.Expr, ...], ...]:
        """The gradient of the piece's formulas."""
        return tuple(tuple(canonical(sympy.diff(v, x)) for x in self.inputs) for v in self.value)

    @property
    def consistent(self) -> bool:
        """Is the autodiff gradient on this piece the gradient of its formula?"""
        return self.explicit_gradient is None or self.explicit_gradient == self.formula_gradient

    def holds_at(self, point: Mapping[sympy.Symbol, Any]) -> bool:
        return all(atom.holds_at(point) for atom in self.where)

    def describe(self) -> str:
        return describe_conj(self.where)


@dataclass
class CompositionStats:
    """What the composition did: for the benchmark and for ``explain``."""

    solver_calls: int = 0
    pruned: int = 0           # candidate pieces found empty
    kept: int = 0             # pieces in the result
    merged: int = 0           # pairs of pieces joined because their formulas agree
    unknown: int = 0          # emptiness the solver could not decide
    seconds: float = 0.0
    steps: list = field(default_factory=list)


@dataclass
class Representation:
    """Pieces of a program's function, with its inputs and the places it is undefined."""

    inputs: tuple[sympy.Symbol, ...]
    pieces: list[Piece]
    outside: list[tuple[Atom, ...]] = field(default_factory=list)
    output_shape: tuple = ()
    stats: CompositionStats = field(default_factory=CompositionStats)
    groups: dict[str, list[str]] = field(default_factory=dict)
    label: str = ""

    def __len__(self) -> int:
        return len(self.pieces)

    def __iter__(self):
        return iter(self.pieces)

    @property
    def input_names(self) -> list[str]:
        return [str(s) for s in self.inputs]

    @property
    def n_outputs(self) -> int:
        return len(self.pieces[0].value) if self.pieces else 0

    # -- pointwise, exact ---------------------------------------------------------------
    def _point(self, point) -> dict[sympy.Symbol, Any]:
        values = normalize_point(point, self.input_names, self.groups)
        return {s: values[str(s)] for s in self.inputs}

    def piece_index_at(self, point) -> int:
        """Index of the piece containing ``point`` (exact); DomainError outside."""
        pt = self._point(point)
        for i, piece in enumerate(self.pieces):
            if piece.holds_at(pt):
                return i
        for where in self.outside:
            if all(a.holds_at(pt) for a in where):
                raise DomainError(f"the program is undefined at this point ({describe_conj(where)})")
        raise DomainError("no piece contains this point")

    def value_at(self, point) -> list[sympy.Expr]:
        pt = self._point(point)
        piece = self.pieces[self.piece_index_at(point)]
        return [simplified(v.xreplace(pt)) for v in piece.value]

    def gradient_at(self, point) -> list[list[sympy.Expr]]:
        """The associated gradient (what autodiff returns), exactly: rows per output."""
        pt = self._point(point)
        piece = self.pieces[self.piece_index_at(point)]
        return [[simplified(g.xreplace(pt)) for g in row] for row in piece.gradient]

    # -- rendering ----------------------------------------------------------------------
    def describe(self) -> str:
        return notation.representation_text(self)

    def to_json(self, timings: bool = False) -> dict:
        """Pieces, formulas and gradients as exact strings (``timings``: add the seconds spent)."""
        return notation.representation_json(self, timings)

    def to_markdown(self) -> str:
        return notation.representation_markdown(self)

    def to_latex(self) -> str:
        return notation.representation_latex(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex() + "$$"

    def __str__(self) -> str:
        return self.describe()
