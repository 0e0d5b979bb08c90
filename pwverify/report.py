"""Renderers: representations and results as text, JSON, Markdown and LaTeX.

JSON values are exact, as strings sympy can parse back (``"-3/2"``, ``"x0/2 + x1/2"``);
conditions are Python comparisons (``"x0 == x1"``).
"""

from __future__ import annotations

from typing import Any, Sequence

import sympy

from .conditions import describe


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


def representation_markdown(rep) -> str:
    lines = ["| α | P^α | f^α | ∇f^α |", "|---|---|---|---|"]
    for i, piece in enumerate(rep.pieces, 1):
        where = _md_escape(piece.describe())
        value = ", ".join(f"`{exact_str(v)}`" for v in piece.value)
        lines.append(f"| {i} | `{where}` | {value} | `{gradient_str(piece.gradient)}` |")
    for where in rep.outside:
        lines.append(f"| – | `{_md_escape(describe(where))}` | undefined | – |")
    return "\n".join(lines)


def representation_latex(rep) -> str:
    p = len(rep.inputs)
    space = r"\mathbb{R}" + (f"^{{{p}}}" if p > 1 else "")
    var = "x" if p > 1 else sympy.latex(rep.inputs[0]) if rep.inputs else "x"
    rows = []
    for i, piece in enumerate(rep.pieces, 1):
        conds = ",\\ ".join(a.latex() for a in piece.where) or r"\text{everywhere}"
        value = ", ".join(sympy.latex(v) for v in piece.value)
        grad = ", ".join(sympy.latex(g) for row in piece.gradient for g in row)
        rows.append(f"P^{{{i}}} &= \\{{{var} \\in {space} \\mid {conds}\\}}, & "
                    f"f^{{{i}}}({var}) &= {value}, & \\nabla f^{{{i}}} &= ({grad})")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def point_json(point: dict) -> dict:
    return {str(k): exact_str(v) for k, v in point.items()}
