"""Points: exact coordinates for a program's inputs, from text or Python values.

A point names every scalar input. Vector inputs may be given whole
(``x=[1,2,3,4]``) or entry by entry (``x0=1``). Coordinates are exact rationals.

>>> parse_point("t=0", ["t"])
{'t': 0}
>>> parse_point("x=[1, 2.5], y=-1/3", ["x0", "x1", "y"], {"x": ["x0", "x1"], "y": ["y"]})
{'x0': 1, 'x1': 5/2, 'y': -1/3}
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import sympy

from .errors import UsageError
from .exact import parse_number


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside brackets (which must be balanced)."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
            if depth < 0:
                raise UsageError(f"unbalanced brackets in {text!r}: a {ch!r} closes nothing",
                                 hint="name=value, e.g. t=0 or x=[1,2,3]")
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth > 0:
        raise UsageError(f"unbalanced brackets in {text!r}: a bracket is not closed",
                         hint="name=value, e.g. t=0 or x=[1,2,3]")
    if "".join(current).strip():
        parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_point(text: str, inputs: Sequence[str], groups: Mapping[str, Sequence[str]] | None = None
                ) -> dict[str, sympy.Rational]:
    """``"t=0, x=[1,2]"`` to ``{name: exact number}`` over the scalar inputs."""
    values: dict[str, Any] = {}
    for part in _split_top(text):
        if "=" not in part:
            raise UsageError(f"bad point item {part!r}", hint="name=value, e.g. t=0 or x=[1,2,3]")
        name, _, value = (s.strip() for s in part.partition("="))
        if name in values:
            raise UsageError(f"{name} is given twice in the point {text!r}", hint="each input once")
        if value.startswith("[") or value.startswith("("):
            values[name] = [v for v in _split_top(value.strip("[]()"))]
        else:
            values[name] = value
    return normalize_point(values, inputs, groups)


def normalize_point(point: Mapping[str, Any] | Sequence[Any], inputs: Sequence[str],
                    groups: Mapping[str, Sequence[str]] | None = None) -> dict[str, sympy.Rational]:
    """Any accepted form of a point to ``{scalar input name: exact number}``."""
    groups = dict(groups or {})
    if not isinstance(point, Mapping):
        flat = _flatten(point)
        if len(flat) != len(inputs):
            raise UsageError(f"the point has {len(flat)} coordinates, the program {len(inputs)} inputs "
                             f"({', '.join(inputs)})")
        return {name: _number(v, name) for name, v in zip(inputs, flat)}
    out: dict[str, sympy.Rational] = {}
    for name, value in point.items():
        name = str(name)
        entries = groups.get(name)
        if entries is not None and (len(entries) > 1 or entries[0] != name):
            flat = _flatten(value)
            if len(flat) != len(entries):
                raise UsageError(f"{name} has {len(entries)} entries, got {len(flat)} values")
            for entry, v in zip(entries, flat):
                if entry in out:
                    raise UsageError(f"{entry} is given twice (as itself and as an entry of {name})")
                out[entry] = _number(v, entry)
        elif name in inputs:
            if name in out:
                raise UsageError(f"{name} is given twice (as itself and as an entry of a vector)")
            out[name] = _number(value, name)
        else:
            raise UsageError(f"{name} is not an input of the program", hint=", ".join(inputs))
    missing = [n for n in inputs if n not in out]
    if missing:
        raise UsageError(f"the point gives no value for {', '.join(missing)}",
                         hint="name=value for every input")
    return {n: out[n] for n in inputs}


def _flatten(value: Any) -> list:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flatten(v)]
    return [value]


def _number(value: Any, name: str) -> sympy.Expr:
    if isinstance(value, sympy.Basic):
        if not value.is_number:
            raise UsageError(f"{name}: {value} is not a number")
        return value
    if isinstance(value, float):
        import math
        from fractions import Fraction
        if not math.isfinite(value):
            raise UsageError(f"{name}: {value} is not a finite number")
        return sympy.Rational(Fraction(value))
    if isinstance(value, int):
        return sympy.Integer(value)
    try:
        from fractions import Fraction
        if isinstance(value, Fraction):
            return sympy.Rational(value.numerator, value.denominator)
        return parse_number(str(value))
    except ValueError:
        raise UsageError(f"{name}: {value!r} is not an exact number", hint="3, -0.5, 2/3") from None

