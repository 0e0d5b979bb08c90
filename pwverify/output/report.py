"""Renderers: representations and results as text, JSON, Markdown and LaTeX.

JSON values are exact, as strings sympy can parse back (``"-3/2"``, ``"x0/2 + x1/2"``);
conditions are Python comparisons (``"x0 == x1"``).
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import sympy

from ..core.atoms import Atom, describe


def exact_str(value: Any) -> str:
    return sympy.sstr(sympy.sympify(value)) if not isinstance(value, str) else value


def _vector(values: Sequence[Any]) -> str:
    return "[" + ", ".join(exact_str(v) for v in values) + "]"


def gradient_str(rows: Sequence[Sequence[Any]]) -> str:
    if len(rows) == 1:
        return _vector(rows[0])
    return "[" + ", ".join(_vector(r) for r in rows) + "]"


def describe_representation(rep) -> str:
    lines = []
    for i, piece in enumerate(rep.pieces, 1):
        flag = "  (possibly empty: the solver could not decide)" if piece.possibly_empty else ""
        lines.append(f"piece {i}: {piece.describe()}{flag}")
        lines.append(f"  value    {', '.join(exact_str(v) for v in piece.value)}")
        lines.append(f"  gradient {gradient_str(piece.gradient)}")
    for where in rep.outside:
        lines.append(f"undefined where {describe(where)}")
    return "\n".join(lines)


def representation_json(rep) -> dict:
    return {
        "inputs": rep.input_names,
        "output_shape": list(rep.output_shape),
        "pieces": [
            {
                "where": [str(a) for a in piece.where],
                "value": [exact_str(v) for v in piece.value],
                "gradient": [[exact_str(g) for g in row] for row in piece.gradient],
                "possibly_empty": piece.possibly_empty,
            }
            for piece in rep.pieces
        ],
        "undefined": [[str(a) for a in where] for where in rep.outside],
        "stats": {
            "pieces": len(rep.pieces),
            "solver_calls": rep.stats.solver_calls,
            "pruned": rep.stats.pruned,
            "merged": rep.stats.merged,
            "seconds": round(rep.stats.seconds, 4),
        },
    }


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|")


_UNICODE_REL = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "==": "=", "!=": "≠"}
_LATEX_REL = {">": ">", ">=": r"\geq", "<": "<", "<=": r"\leq", "==": "=", "!=": r"\neq"}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def grouped_conditions(atoms) -> list[tuple]:
    """Atoms sharing a side and a direction, joined the way the papers write them.

    Returns items ``(side, rel, others, side_first)``: ``x0 >= x1`` and ``x0 >= x2``
    become ``(x0, ">=", [x1, x2], True)``, read ``x0 ≥ max(x1, x2)``; ``x1 < x3`` and
    ``x0 < x3`` become ``(x3, ">", [x0, x1], False)``, read ``max(x0, x1) < x3``. A lone
    atom is an item with one ``other``; equalities and ``!=`` are never joined.

    >>> from pwverify import parse
    >>> rep = parse("casestudies/boustany.py:max1_t").representation()
    >>> conditions_text(rep.pieces[0].where), conditions_text(rep.pieces[3].where)
    ('x0 ≥ max(x1, x2, x3)', 'max(x0, x1, x2) < x3')
    """
    groups: dict = {}
    order: list = []
    for atom in atoms:
        lhs, rhs = atom.sides()
        if atom.rel in (">", ">="):
            key, other, first = (lhs, atom.rel), rhs, True
        elif atom.rel in ("<", "<="):
            key, other, first = (rhs, _FLIP[atom.rel]), lhs, False
        else:
            order.append((lhs, atom.rel, [rhs], True))
            continue
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((other, first))
    items = []
    for key in order:
        if not isinstance(key, tuple) or len(key) != 2:
            items.append(key)
            continue
        side, rel = key
        entries = groups[key]
        first = sum(f for _, f in entries) * 2 >= len(entries)
        others = [o for o, _ in entries]
        if len(others) > 1:
            others = sorted(others, key=sympy.default_sort_key)
        items.append((side, rel, others, first))
    return items


def _render_conditions(atoms, rel_names, name, maxname, joiner) -> str:
    parts = []
    for side, rel, others, first in grouped_conditions(atoms):
        other = name(others[0]) if len(others) == 1 else f"{maxname}({', '.join(map(name, others))})"
        if first:
            parts.append(f"{name(side)} {rel_names[rel]} {other}")
        else:
            parts.append(f"{other} {rel_names[_FLIP.get(rel, rel)]} {name(side)}")
    return joiner.join(parts)


def conditions_text(atoms) -> str:
    """A piece's condition in plain notation: ``x0 < x1, x1 ≥ max(x2, x3)``."""
    return _render_conditions(atoms, _UNICODE_REL, sympy.sstr, "max", ", ")


def conditions_latex(atoms) -> str:
    r"""A piece's condition in LaTeX: ``x_{0} < x_{1},\ x_{1} \geq \max(x_{2}, x_{3})``."""
    return _render_conditions(atoms, _LATEX_REL, sympy.latex, r"\max", r",\ ")


def _variable(rep, latex: bool) -> str:
    """How the papers name a point: ``t``, ``x`` (for x0, x1, ...) or ``(a, b)``."""
    names = rep.input_names
    render = (lambda n: sympy.latex(sympy.Symbol(n))) if latex else str
    if len(names) == 1:
        return render(names[0])
    prefix = names[0].rstrip("0123456789")
    if prefix and all(n.startswith(prefix) and n[len(prefix):].isdigit() for n in names):
        return prefix
    return "(" + ", ".join(render(n) for n in names) + ")"


def _set_text(rep, atoms) -> str:
    p = len(rep.inputs)
    space = "ℝ" + (str(p).translate(_SUPERSCRIPT) if p > 1 else "")
    if not atoms:
        return space
    return f"{{{_variable(rep, False)} ∈ {space} : {conditions_text(atoms)}}}"


def representation_markdown(rep) -> str:
    """The piece table as the papers write it: ``P^α`` in set notation, ``f^α``, ``∇f^α``.

    >>> from pwverify import parse
    >>> print(parse("relu(t)").representation().to_markdown())
    | α | P^α | f^α | ∇f^α |
    |---|---|---|---|
    | 1 | {t ∈ ℝ : t > 0} | `t` | `(1)` |
    | 2 | {t ∈ ℝ : t ≤ 0} | `0` | `(0)` |
    """
    lines = ["| α | P^α | f^α | ∇f^α |", "|---|---|---|---|"]
    for i, piece in enumerate(rep.pieces, 1):
        value = ", ".join(f"`{exact_str(v)}`" for v in piece.value)
        lines.append(f"| {i} | {_md_escape(_set_text(rep, piece.where))} | {value} | `{_tuple(piece.gradient)}` |")
    for where in rep.outside:
        lines.append(f"| – | {_md_escape(_set_text(rep, where))} | undefined | – |")
    return "\n".join(lines)


def _tuple(rows) -> str:
    if len(rows) == 1:
        return "(" + ", ".join(exact_str(g) for g in rows[0]) + ")"
    return gradient_str(rows)


def representation_latex(rep) -> str:
    r"""The pieces as an ``aligned`` block: ``P^{α} = \{x ∈ ℝ^p \mid …\}``, ``f^{α}(x) = …``.

    >>> from pwverify import parse
    >>> print(parse("relu(t)").representation().to_latex())
    \begin{aligned}
    P^{1} &= \{t \in \mathbb{R} \mid t > 0\}, & f^{1}(t) &= t, & (f^{1})'(t) &= 1 \\
    P^{2} &= \{t \in \mathbb{R} \mid t \leq 0\}, & f^{2}(t) &= 0, & (f^{2})'(t) &= 0
    \end{aligned}
    """
    p = len(rep.inputs)
    space = r"\mathbb{R}" + (f"^{{{p}}}" if p > 1 else "")
    var = _variable(rep, True)
    arg = var if var.startswith("(") else f"({var})"
    rows = []
    for i, piece in enumerate(rep.pieces, 1):
        conds = conditions_latex(piece.where)
        region = f"\\{{{var} \\in {space} \\mid {conds}\\}}" if conds else space
        value = ", ".join(sympy.latex(v) for v in piece.value)
        if p == 1 and len(piece.gradient) == 1:
            derivative = f"(f^{{{i}}})'{arg} &= {sympy.latex(piece.gradient[0][0])}"
        else:
            grad = r" \\ ".join(" & ".join(sympy.latex(g) for g in row) for row in piece.gradient)
            derivative = (f"\\nabla f^{{{i}}}{arg} &= ({', '.join(sympy.latex(g) for g in piece.gradient[0])})"
                          if len(piece.gradient) == 1 else
                          f"\\nabla f^{{{i}}}{arg} &= \\begin{{pmatrix}} {grad} \\end{{pmatrix}}")
        rows.append(f"P^{{{i}}} &= {region}, & f^{{{i}}}{arg} &= {value}, & {derivative}")
    for where in rep.outside:
        rows.append(f"& \\{{{var} \\in {space} \\mid {conditions_latex(where)}\\}} & & \\text{{undefined}}")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


# -- verdicts and reports in notebooks -------------------------------------------------------
def _witness_md(verdict) -> str:
    w = verdict.witness
    if w is None:
        return _md_escape(verdict.reason or "")
    from ..model.verdicts import _render
    parts = [w.point_str()] + [f"{k} = {_render(v)}" for k, v in w.observed.items()]
    return _md_escape("; ".join(parts))


def verdicts_markdown(rows) -> str:
    """``[(question, Verdict)]`` as a Markdown table: question, verdict, witness or reason."""
    lines = ["| question | verdict | witness / reason |", "|---|---|---|"]
    for question, verdict in rows:
        lines.append(f"| {question} | **{verdict.status}** | {_witness_md(verdict)} |")
    return "\n".join(lines)


def comparison_markdown(c) -> str:
    """A :class:`~pwverify.questions.compare.Comparison` as Markdown (the notebook display).

    >>> from pwverify.questions.compare import compare
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
    text = f"**{_md_escape(c.a)}** vs **{_md_escape(c.b)}**\n\n" + verdicts_markdown(
        [("same function", c.function), ("same autodiff gradient", c.gradient)])
    if c.disagreement:
        zero = {True: "measure zero", False: "positive measure", None: "measure not decided"}[c.measure_zero]
        regions = " ∪ ".join("{" + _md_escape(conditions_text(w)) + "}" for w in _regions(c))
        text += f"\n\nThe gradients differ on {regions} ({zero})."
    for note in c.notes:
        text += f"\n\n*Note:* {_md_escape(note)}"
    return text


def _regions(c):
    return regions_of(c.disagreement, c.inputs)


def regions_of(texts: Sequence[str], names: Sequence[str]) -> list[tuple[Atom, ...]]:
    """Conditions as printed by pwverify (``"x0 == x1 and x2 > x0"``) back to atoms.

    >>> [str(a) for a in regions_of(["a == b"], ["a", "b"])[0]]
    ['a == b']
    """
    if not texts:
        return []
    from ..model.reprfile import load_text
    toml = f"inputs = {json.dumps(list(names))}\n" + "".join(
        f"[[piece]]\nwhere = {json.dumps(t)}\nvalue = \"0\"\n" for t in texts)
    rep = load_text(toml, "<regions>")
    return [p.where for p in rep.pieces]


def comparison_latex(c) -> str:
    """A comparison's verdicts as LaTeX (witness points exact)."""
    def line(question, v):
        if v.witness is None:
            return f"\\text{{{question}: {v.status}}}"
        point = ",\\ ".join(f"{sympy.latex(sympy.Symbol(k))} = {sympy.latex(sympy.sympify(x))}"
                            for k, x in v.witness.point.items())
        return f"\\text{{{question}: {v.status} at }} {point}"
    rows = [line("function", c.function), line("gradient", c.gradient)]
    if c.disagreement:
        rows.append(r"\text{disagreement: } " + r" \cup ".join(
            "\\{" + conditions_latex(w) + "\\}" for w in _regions(c)))
    return "\\begin{aligned}\n" + " \\\\\n".join(f"& {r}" for r in rows) + "\n\\end{aligned}"


def check_markdown(report, title: str = "") -> str:
    """A :class:`~pwverify.questions.wellformed.RepresentationCheck` or ``FileCheck`` as Markdown."""
    rc = getattr(report, "representation", report)
    rows = [("pieces disjoint", rc.disjoint), ("pieces cover", rc.cover), ("continuous", rc.continuity)]
    agrees = getattr(report, "agrees", None)
    if agrees is not None:
        rows += [(f"equals {report.against}", agrees), ("gradient = autodiff's", report.gradient)]
    text = (f"**{_md_escape(title)}**\n\n" if title else "") + verdicts_markdown(rows)
    empty = ", ".join(map(str, rc.empty_pieces)) or "none"
    return text + f"\n\nEmpty pieces: {empty}."


def point_json(point: dict) -> dict:
    return {str(k): exact_str(v) for k, v in point.items()}
