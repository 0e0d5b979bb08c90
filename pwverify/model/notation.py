"""How a representation is written: plain text, JSON, and the papers' notation (Markdown, LaTeX).

JSON values are exact, as strings sympy can parse back (``"-3/2"``, ``"x0/2 + x1/2"``);
conditions are Python comparisons (``"x0 == x1"``). The Markdown and LaTeX tables name
pieces as the papers do: ``P^α`` in set notation, its formula ``f^α`` and ``∇f^α``.
"""

from __future__ import annotations

import sympy

from ..core.atoms import describe
from ..core.formatting import exact_str, gradient_str


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|")


_UNICODE_REL = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "==": "=", "!=": "≠"}
_LATEX_REL = {">": ">", ">=": r"\geq", "<": "<", "<=": r"\leq", "==": "=", "!=": r"\neq"}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def representation_text(rep) -> str:
    lines = []
    for i, piece in enumerate(rep.pieces, 1):
        flag = "  (possibly empty: the solver could not decide)" if piece.possibly_empty else ""
        lines.append(f"piece {i}: {piece.describe()}{flag}")
        lines.append(f"  value    {', '.join(exact_str(v) for v in piece.value)}")
        lines.append(f"  gradient {gradient_str(piece.gradient)}")
    for where in rep.outside:
        lines.append(f"undefined where {describe(where)}")
    return "\n".join(lines)


def representation_json(rep, timings: bool = False) -> dict:
    out = {
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
        },
    }
    if timings:
        out["stats"]["seconds"] = round(rep.stats.seconds, 4)
    return out


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
