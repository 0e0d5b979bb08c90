"""Explain mode: the composition of a program's pieces, step by step, for teaching.

Each step is one node of the DAG. A node with several branches is composed with the
pieces found so far (Lemma 1 of Després 2024b): for every piece, each branch's condition is
written over the inputs and is kept, pruned as contradicting the piece, or pruned
as empty by the solver. Smooth nodes only update formulas (Lemma 3 for sums and
products of values that are already formulas on the same pieces). After a step, pieces
on which all live values have the same formulas are merged.

>>> from pwverify import parse
>>> text = explain(parse("relu(-t) + t")).text()
>>> print(text.splitlines()[4])
Step 1: relu(%1) = relu(-t), at <expr>:1:1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..core.atoms import Atom, describe

_LEMMA_1 = "Lemma 1: each piece meets the {n} branches of {op}"
_SMOOTH = "smooth: on each piece the formula is updated (no split)"


@dataclass
class Explanation:
    program: Any
    representation: Any
    steps: list

    # -- plain text -----------------------------------------------------------------------
    def text(self, smooth: bool = False) -> str:
        p = self.program
        lines = [f"Explaining {p.label} ({p.profile.name}; inputs {', '.join(p.inputs)})",
                 f"{len(p.graph.nodes)} nodes; pwverify walks them in order, keeping pieces of the input space and, "
                 "on each,", "a smooth formula for every value still needed (composition, Lemma 1 of Després 2024).", ""]
        number = 0
        for step in self.steps:
            if step.op == "get" or (not self._splits(step) and not smooth and not step.merged):
                continue
            number += 1
            lines.append(f"Step {number}: {self._node(step)}, at {step.location}")
            source = self._source_line(step)
            if source:
                lines.append(f"  source: {source}")
            if self._splits(step):
                lines.append("  " + _LEMMA_1.format(n=self._branch_count(step), op=step.op))
                for k, event in enumerate(step.events or [], 1):
                    lines.append(f"  on piece {k} [{describe(event['where'])}]:")
                    for branch, atoms, outcome in event["branches"]:
                        if branch is None:
                            lines.append(f"    {outcome}")
                            continue
                        cond = ", ".join(str(a) if not isinstance(a, bool) else str(a).lower() for a in atoms) or "always"
                        lines.append(f"    branch {branch.label:<8} [{cond}]: {outcome}")
            else:
                lines.append("  " + _SMOOTH)
            lines.append(f"  result: {step.pieces_out} piece{'s' if step.pieces_out != 1 else ''}"
                         + (f" ({step.merged} merge{'s' if step.merged != 1 else ''} of pieces with equal "
                            f"formulas)" if step.merged else ""))
            for k, (where, formulas, grads) in enumerate(step.snapshot or [], 1):
                value = ", ".join(sympy.sstr(f) for f in formulas)
                grad = ", ".join("[" + ", ".join(sympy.sstr(g) for g in row) + "]" for row in grads or [])
                lines.append(f"    {k}. {describe(where)}: %{step.node} = {value}, gradient {grad}")
            lines.append("")
        lines.append("Result")
        lines.append(self.representation.describe())
        return "\n".join(lines)

    def markdown(self) -> str:
        out = [f"# How pwverify decomposes `{self.program.label}`", ""]
        number = 0
        for step in self.steps:
            if step.op == "get" or (not self._splits(step) and not step.merged):
                continue
            number += 1
            out.append(f"## Step {number}: `{self._node(step)}`")
            source = self._source_line(step)
            out.append(f"At `{step.location}`" + (f": `{source}`" if source else "") + ".")
            out.append("")
            if self._splits(step):
                out.append(_LEMMA_1.format(n=self._branch_count(step), op=f"`{step.op}`") + ":")
                out.append("")
                out.append("| piece | branch | condition | outcome |")
                out.append("|---|---|---|---|")
                for k, event in enumerate(step.events or [], 1):
                    for branch, atoms, outcome in event["branches"]:
                        cond = ", ".join(f"`{a}`" for a in atoms if not isinstance(a, bool)) or "–"
                        label = branch.label if branch is not None else "others"
                        out.append(f"| `{describe(event['where'])}` | {label} | {cond} | {outcome} |")
                out.append("")
            out.append(f"Result: {step.pieces_out} pieces" + (f", {step.merged} merged" if step.merged else "") + ".")
            out.append("")
        out.append("## The representation")
        out.append("")
        out.append(self.representation.to_markdown())
        return "\n".join(out)

    def latex(self) -> str:
        out = [r"\begin{enumerate}"]
        for step in self.steps:
            if not self._splits(step):
                continue
            out.append(r"\item $" + sympy.latex(sympy.Symbol(step.op)) + r"$ at \texttt{" +
                       str(step.location).replace("_", r"\_") + "}:")
            out.append(r"\begin{itemize}")
            for event in step.events or []:
                for branch, atoms, outcome in event["branches"]:
                    if branch is None:
                        continue
                    conds = r",\ ".join(a.latex() for a in atoms if isinstance(a, Atom)) or r"\text{always}"
                    where = r",\ ".join(a.latex() for a in event["where"]) or r"\mathbb{R}^p"
                    out.append(rf"\item on $\{{{where}\}}$, branch {branch.label}: ${conds}$ --- {outcome}")
            out.append(r"\end{itemize}")
        out.append(r"\end{enumerate}")
        out.append(r"\[" + self.representation.to_latex() + r"\]")
        return "\n".join(out)

    # -- helpers --------------------------------------------------------------------------
    def _splits(self, step) -> bool:
        return bool(step.events) and any(len(e["branches"]) > 1 for e in step.events)

    def _branch_count(self, step) -> int:
        return max(len(e["branches"]) for e in step.events)

    def _node(self, step) -> str:
        graph = self.program.graph
        node = graph.nodes[step.node]
        args = ", ".join(f"%{a}" for a in node.args)
        if step.snapshot and node.op not in ("select",):
            formulas = {sympy.sstr(f) for _, fs, _ in step.snapshot for f in fs}
            if len(formulas) == 1 and step.pieces_in <= 1:
                return f"{node.op}({args}) = {formulas.pop()}"
        first = (step.events or [None])[0]
        if first is not None and node.op != "select":
            shown = ", ".join(sympy.sstr(v) for v in first["arguments"])
            return f"{node.op}({args}) = {node.op}({shown})"
        return f"{node.op}({args})"

    def _source_line(self, step) -> str:
        loc = step.location
        source = self.program.parsed.source
        if loc is None or not source or self.program.parsed.filename == "<expr>":
            return ""
        lines = source.splitlines()
        return lines[loc.line - 1].strip() if 0 < loc.line <= len(lines) else ""


def explain(program) -> Explanation:
    """Decompose ``program`` recording every step (a fresh decomposition)."""
    rep = program.representation(record=True)
    return Explanation(program, rep, rep.stats.steps)
