"""The answers of ``compare``: two verdicts, and where the gradients disagree.

The disagreement set is kept as what it is, a union of :class:`Region` (conjunctions
of atoms over the inputs); it is rendered as text, JSON, Markdown or LaTeX from those
atoms, never parsed back from text.

>>> import sympy
>>> from pwverify.core.atoms import Atom
>>> t = sympy.Symbol("t")
>>> c = Comparison("relu(t)", "relu(-t) + t", ["t"], Verdict.proved("function"),
...                Verdict.refuted("gradient", GradientWitness({"t": 0}, [[0]], [[1]])),
...                regions=[Region((Atom.make(t, "==", 0),), True)])
>>> print(c.describe())
function: proved equal
gradient: refuted at t = 0: d/dt relu(t) = 0, d/dt (relu(-t) + t) = 1
          disagreement set: {t == 0} (measure zero)
>>> c.exit_code
1
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..core.atoms import Atom, describe
from ..core.formatting import SHOWN_ENTRIES, exact_str, gradient_str, jacobian_difference_str, vector_str
from .notation import conditions_latex, conditions_text
from .verdicts import (PROVED, UNKNOWN, DomainWitness, GradientWitness, Status, Verdict,  # noqa: F401
                       verdicts_markdown, _md_escape)

#: Regions of the disagreement set printed in text before "... and N more".
SHOWN_REGIONS = 4


@dataclass(frozen=True)
class Region:
    """A conjunction of atoms over the inputs, and whether it has measure zero
    (None: not decided)."""

    where: tuple[Atom, ...]
    measure_zero: bool | None = None

    def describe(self) -> str:
        return describe(self.where)


@dataclass
class Comparison:
    """The answers about two functions A and B (API mirror of ``pwverify compare``).

    ``frameworks``: the profile each side was read under (named in the output when they
    differ). ``regions``: the disagreement set of the gradients, when it was computed.
    """

    a: str
    b: str
    inputs: list[str]
    function: Verdict
    gradient: Verdict
    regions: list[Region] = field(default_factory=list)
    disagreement_reason: str | None = None
    notes: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    frameworks: tuple[str, str] | None = None

    @property
    def verdicts(self) -> list[Verdict]:
        return [self.function, self.gradient]

    @property
    def status(self) -> Status:
        return Status.combine(self.verdicts)

    @property
    def exit_code(self) -> int:
        return self.status.exit_code

    @property
    def disagreement(self) -> list[str]:
        """The regions of the disagreement set as text."""
        return [r.describe() for r in self.regions]

    @property
    def measure_zero(self) -> bool | None:
        """Does the disagreement set have measure zero? (None: not decided or not computed)."""
        if not self.regions:
            return None
        if any(r.measure_zero is False for r in self.regions):
            return False
        if any(r.measure_zero is None for r in self.regions):
            return None
        return True

    def label(self, side: str) -> str:
        """A side's label, with its framework when the two sides' frameworks differ."""
        name = self.a if side == "a" else self.b
        if self.frameworks and self.frameworks[0] != self.frameworks[1]:
            return f"{name} [{self.frameworks[0 if side == 'a' else 1]}]"
        return name

    # -- text -------------------------------------------------------------------------------
    def describe(self, all_regions: bool = False) -> str:
        """The verdicts as text; at most :data:`SHOWN_REGIONS` regions unless ``all_regions``."""
        lines = []
        if self.frameworks and self.frameworks[0] != self.frameworks[1]:
            lines.append(f"A: {self.a} ({self.frameworks[0]}); B: {self.b} ({self.frameworks[1]})")
        lines.append(self._describe_function())
        lines.extend(self._describe_gradient(all_regions))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def _describe_function(self) -> str:
        v = self.function
        if v.status == PROVED:
            return "function: proved equal" + (f" ({v.reason})" if v.reason else "")
        if v.status == UNKNOWN:
            return f"function: unknown ({v.reason})"
        w = v.witness
        a, b = self.label("a"), self.label("b")
        if isinstance(w, DomainWitness):
            return (f"function: refuted at {w.point_str()}: {a} is "
                    f"{'defined' if w.defined_a else 'undefined'}, {b} is "
                    f"{'defined' if w.defined_b else 'undefined'}")
        return (f"function: refuted at {w.point_str()}: {a} = {vector_str(w.value_a)}, "
                f"{b} = {vector_str(w.value_b)}")

    def _describe_gradient(self, all_regions: bool) -> list[str]:
        v = self.gradient
        if v.status == PROVED:
            lines = ["gradient: proved equal" + (f" ({v.reason})" if v.reason else "")]
        elif v.status == UNKNOWN:
            lines = [f"gradient: unknown ({v.reason})"]
        else:
            w = v.witness
            ga, gb = w.gradient_a, w.gradient_b
            a, b = _paren(self.label("a")), _paren(self.label("b"))
            if len(self.inputs) == 1 and len(ga) == 1:
                d = f"d/d{self.inputs[0]}"
                lines = [f"gradient: refuted at {w.point_str()}: {d} {a} = {exact_str(ga[0][0])}, "
                         f"{d} {b} = {exact_str(gb[0][0])}"]
            elif sum(len(r) for r in ga) > SHOWN_ENTRIES:
                lines = [f"gradient: refuted at {w.point_str()}: ∇{a} and ∇{b} "
                         f"{jacobian_difference_str(ga, gb, self.inputs)}"]
            else:
                lines = [f"gradient: refuted at {w.point_str()}: ∇{a} = {gradient_str(ga)}, "
                         f"∇{b} = {gradient_str(gb)}"]
        if self.regions:
            zero = {True: "measure zero", False: "positive measure", None: "measure not decided"}[self.measure_zero]
            shown = self.regions if all_regions else self.regions[:SHOWN_REGIONS]
            text = " ∪ ".join("{" + r.describe() + "}" for r in shown)
            more = len(self.regions) - len(shown)
            if more:
                text += f" ∪ … ({more} more regions: --json lists them all)"
            lines.append(f"          disagreement set: {text} ({zero})")
        elif v.status != PROVED and self.disagreement_reason:
            lines.append(f"          disagreement set: not computed ({self.disagreement_reason})")
        return lines

    def to_json(self) -> dict:
        function = self.function.to_json()
        gradient = self.gradient.to_json()
        gradient["disagreement"] = self.disagreement
        gradient["measure_zero"] = self.measure_zero
        if self.disagreement_reason:
            gradient["disagreement_reason"] = self.disagreement_reason
        out = {"a": self.a, "b": self.b, "inputs": self.inputs, "function": function,
               "gradient": gradient, "notes": self.notes}
        if self.frameworks:
            out["frameworks"] = {"a": self.frameworks[0], "b": self.frameworks[1]}
        if self.stats:
            out["stats"] = self.stats
        return out

    # -- notebooks ----------------------------------------------------------------------------
    def to_markdown(self) -> str:
        """The comparison as Markdown (the notebook display).

        >>> from pwverify import compare
        >>> print(compare("relu(t)", "relu(-t) + t").to_markdown())
        **relu(t)** vs **relu(-t) + t**
        <BLANKLINE>
        | question | verdict | witness / reason |
        |---|---|---|
        | same function | **proved** |  |
        | same autodiff gradient | **refuted** | t = 0; gradient_a = [[0]]; gradient_b = [[1]] |
        <BLANKLINE>
        The gradients differ on {t = 0} (measure zero).
        """
        text = f"**{_md_escape(self.label('a'))}** vs **{_md_escape(self.label('b'))}**\n\n" + verdicts_markdown(
            [("same function", self.function), ("same autodiff gradient", self.gradient)])
        if self.regions:
            zero = {True: "measure zero", False: "positive measure", None: "measure not decided"}[self.measure_zero]
            regions = " ∪ ".join("{" + _md_escape(conditions_text(r.where)) + "}" for r in self.regions)
            text += f"\n\nThe gradients differ on {regions} ({zero})."
        for note in self.notes:
            text += f"\n\n*Note:* {_md_escape(note)}"
        return text

    def to_latex(self) -> str:
        """The verdicts as LaTeX (witness points exact)."""
        def line(question, v):
            if v.witness is None:
                return f"\\text{{{question}: {v.status}}}"
            point = ",\\ ".join(f"{sympy.latex(sympy.Symbol(k))} = {sympy.latex(sympy.sympify(x))}"
                                for k, x in v.witness.point.items())
            return f"\\text{{{question}: {v.status} at }} {point}"
        rows = [line("function", self.function), line("gradient", self.gradient)]
        if self.regions:
            rows.append(r"\text{disagreement: } " + r" \cup ".join(
                "\\{" + conditions_latex(r.where) + "\\}" for r in self.regions))
        return "\\begin{aligned}\n" + " \\\\\n".join(f"& {r}" for r in rows) + "\n\\end{aligned}"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex() + "$$"


def _paren(label: str) -> str:
    """A program's label, parenthesised when it is an expression with spaces."""
    return f"({label})" if " " in label and not label.endswith(")") or " + " in label else label
