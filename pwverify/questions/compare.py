"""Same function? Same autodiff gradient? Two engines, one answer.

``compare(a, b)`` asks two questions about two programs (or a program and a
hand-written representation): do they compute the same function, and does autodiff
return the same gradient for both, at every point of the common domain?

* The **direct engine** (:mod:`pwverify.engines.direct`) puts both programs' values and forward
  tangents into one SMT query per question; the solver splits cases lazily. It gives
  the verdicts and the witnesses, fast. Before any query it evaluates both programs at
  the origin (where most ties meet), and on large pairs it sweeps
  (:mod:`pwverify.engines.sweep`): nodes proved equal locally are merged, and two
  programs that become one graph need no query at all.
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
from typing import Sequence

import sympy

from ..core.errors import UsageError
from ..engines.pieces import DecompositionUnknown
from ..model.comparison import Comparison
from ..model.representation import Representation
from ..model.verdicts import PROVED, UNKNOWN, Verdict
from ..solver.smt import DEFAULT_TIMEOUT_MS
from .compare_direct import DirectComparison
from .compare_pieces import PieceComparison

#: Pieces a representation may have before the piece engine gives up (``disagreement=True``).
PIECE_BUDGET = 2000
#: The smaller budget within which the disagreement set is computed by default: pieces,
#: and seconds for both decompositions (on a network with 784 inputs a piece costs seconds).
DEFAULT_DISAGREEMENT_BUDGET = 64
DEFAULT_DISAGREEMENT_SECONDS = 10.0
#: The note of a comparison whose functions are equal but whose gradients differ on a set of positive measure.
EQUAL_BUT_GRADIENTS_DIFFER = ("the functions are equal but the gradients differ on a set of positive measure: "
                              "a rule on the way is not a selection derivative (Corollary 1 fails)")


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

    @property
    def output_shape(self) -> tuple:
        return tuple(self.obj.output_shape)

    def representation(self, max_pieces: int | None = None, max_seconds: float | None = None) -> Representation:
        return self.obj.representation(max_pieces=max_pieces, max_seconds=max_seconds) if self.is_program \
            else self.obj

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
            engine: str = "auto", timeout_ms: int = DEFAULT_TIMEOUT_MS, disagreement: bool | None = None,
            piece_budget: int | None = None, questions: Sequence[str] = ("function", "gradient")
            ) -> Comparison:
    """Compare two programs (specs, ``Program`` or ``Representation``) as functions and as
    autodiff gradients. ``wrt``: compare gradients with respect to these inputs only.
    ``engine``: ``"auto"`` (direct verdicts, pieces for the disagreement set),
    ``"direct"``, ``"pieces"``, or ``"both"`` (both, cross-checked). ``questions``: ask
    only ``("function",)`` or only ``("gradient",)``; the other verdict is then unknown.

    ``disagreement``: where the gradients differ, as regions, is computed by the piece
    engine, whose cost grows with the number of pieces: ``True`` computes it (up to
    ``piece_budget`` pieces, default 2000), ``False`` never, and the default ``None``
    only within a small budget (64 pieces), so it never holds up the verdicts.
    """
    if engine not in ("auto", "direct", "pieces", "both"):
        raise UsageError(f"unknown engine {engine!r}", hint="auto, direct, pieces, both")
    A, B = as_source(a, framework), as_source(b, framework)
    names, notes = _align(A, B)
    if disagreement is None:
        budget = piece_budget or DEFAULT_DISAGREEMENT_BUDGET
    else:
        budget = piece_budget or PIECE_BUDGET
    columns = _columns(names, B.names, wrt)
    symbols = [sympy.Symbol(n) for n in names]
    result = Comparison(A.label, B.label, names, Verdict.unknown("function", "not run"),
                        Verdict.unknown("gradient", "not run"), notes=notes,
                        frameworks=(A.framework, B.framework))
    start = time.perf_counter()
    if engine in ("auto", "direct", "both"):
        direct = DirectComparison(A, B, symbols, columns, timeout_ms, tangents="gradient" in questions)
        if "function" in questions:
            result.function = direct.function()
        if "gradient" in questions:
            result.gradient = direct.gradient()
        result.stats["direct"] = {"solver_calls": direct.smt.stats.checks,
                                  "seconds": round(time.perf_counter() - start, 4)}
    asked = [getattr(result, q) for q in questions]
    wants_pieces = engine in ("pieces", "both") or (
        engine == "auto" and disagreement is not False and (
            "gradient" in questions and result.gradient.status != PROVED or any(v.status == UNKNOWN for v in asked)))
    if wants_pieces:
        started = time.perf_counter()
        try:
            seconds = DEFAULT_DISAGREEMENT_SECONDS if disagreement is None and engine == "auto" else None
            pieces = PieceComparison(A, B, symbols, columns, timeout_ms, budget, seconds)
            fn, gr = pieces.function(), pieces.gradient()
            result.regions = list(pieces.regions)
            result.stats["pieces"] = {"solver_calls": pieces.smt.stats.checks, "pairs": pieces.pair_count,
                                      "seconds": round(time.perf_counter() - started, 4)}
        except DecompositionUnknown as exc:
            result.disagreement_reason = exc.message + (
                "; pass disagreement=True (--disagreement) for a larger budget" if disagreement is None else "")
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
        result.notes.append(EQUAL_BUT_GRADIENTS_DIFFER)
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
    if A.output_shape != B.output_shape:
        raise UsageError(f"{A.label} returns shape {A.output_shape or 'scalar'} but {B.label} returns "
                         f"{B.output_shape or 'a scalar'}", hint="two programs with outputs of the same shape")
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


