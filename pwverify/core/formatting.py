"""Exact numbers, vectors and points as text: one rendering shared by every output.

Values are printed exactly, the way sympy reads them back (``-3/2``, ``sqrt(2)/2``).

>>> from fractions import Fraction
>>> exact_str(Fraction(-3, 2)), vector_str([0, Fraction(1, 4)])
('-3/2', '[0, 1/4]')
>>> gradient_str([[1, 0]]), gradient_str([[1, 0], [0, 1]])
('[1, 0]', '[[1, 0], [0, 1]]')
>>> point_str({"x0": 0, "x1": Fraction(1, 2)})
'x0 = 0, x1 = 1/2'
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import sympy


def exact_str(value: Any) -> str:
    """An exact number as text (strings pass through)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    return sympy.sstr(sympy.sympify(value))


def vector_str(values: Sequence[Any]) -> str:
    return "[" + ", ".join(exact_str(v) for v in values) + "]"


def gradient_str(rows: Sequence[Sequence[Any]]) -> str:
    """A Jacobian (rows per output): one output prints as a flat vector."""
    if len(rows) == 1:
        return vector_str(rows[0])
    return "[" + ", ".join(vector_str(r) for r in rows) + "]"


def nested_str(value: Any) -> str:
    """Numbers, or (nested) lists of them, as text."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(nested_str(v) for v in value) + "]"
    return exact_str(value)


def point_str(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {exact_str(v)}" for k, v in point.items())


def point_json(point: Mapping[Any, Any]) -> dict:
    return {str(k): exact_str(v) for k, v in point.items()}


def nested_json(value: Any) -> Any:
    """Numbers as exact strings (ints and strings kept), lists kept as lists."""
    if isinstance(value, (list, tuple)):
        return [nested_json(v) for v in value]
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return value
    if isinstance(value, bool):
        return value
    return exact_str(value)
