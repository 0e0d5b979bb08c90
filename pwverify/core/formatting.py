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

from collections import Counter

from typing import Any, Mapping, Sequence

import sympy


def exact_str(value: Any) -> str:
    """An exact number as text (strings pass through)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    value = sympy.sympify(value)
    if isinstance(value, sympy.Rational) and max(abs(value.p), value.q).bit_length() > _LONG_BITS:
        return _long_rational_str(value)
    return sympy.sstr(value)


#: Integers beyond this many bits print as a rounded value and a digit count.
_LONG_BITS = 3000


def _long_rational_str(value: sympy.Rational) -> str:
    """A rational too long to print in full: its rounded value and its size.

    >>> exact_str(sympy.Integer(3) ** 10000)
    '~1.6313501853e+4771 (exact: an integer of 4772 digits)'
    """
    import math
    p, q = int(value.p), int(value.q)
    exponent = math.log10(abs(p)) - math.log10(q)
    power = math.floor(exponent)
    mantissa = 10 ** (exponent - power) * (1 if p > 0 else -1)
    what = f"an integer of {_digits(abs(p))} digits" if q == 1 else f"a fraction of {_digits(abs(p))} and {_digits(q)} digits"
    return f"~{mantissa:.10f}e+{power}".replace("e+-", "e-") + f" (exact: {what})"


def _digits(n: int) -> int:
    """The number of decimal digits of ``n`` > 0 (without the int-to-text conversion)."""
    import math
    guess = int(n.bit_length() * math.log10(2)) + 1
    return guess if n >= 10 ** (guess - 1) else guess - 1


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


#: Beyond this many coordinates (or Jacobian entries) text output summarises; --json has all.
SHOWN_ENTRIES = 12


def point_str(point: Mapping[str, Any]) -> str:
    """``x = 1, y = 0``; a point with many coordinates shows those that differ from the most
    common value, then that value for the rest.

    >>> point_str({f"x{i}": 0 for i in range(20)} | {"x3": 1})
    'x3 = 1, the other 19 coordinates = 0'
    """
    texts = {k: exact_str(v) for k, v in point.items()}
    if len(texts) <= SHOWN_ENTRIES:
        return ", ".join(f"{k} = {t}" for k, t in texts.items())
    common = Counter(texts.values()).most_common(1)[0][0]
    others = [f"{k} = {t}" for k, t in texts.items() if t != common]
    shown = others[:SHOWN_ENTRIES]
    if len(others) > len(shown):
        shown.append(f"… ({len(others) - len(shown)} more)")
    rest = len(texts) - len(others)
    return ", ".join(shown + [f"the other {rest} coordinates = {common}" if others else f"all {rest} coordinates = {common}"])


def jacobian_difference_str(a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]], inputs: Sequence[str]) -> str:
    """Where two large Jacobians differ: the count, then the first entries.

    >>> jacobian_difference_str([[1, 0, 2]], [[1, 1, 2]], ["x", "y", "z"])
    'differ in 1 of 3 entries: ∂/∂y 0 vs 1'
    """
    differ = [(i, j, x, y) for i, (ra, rb) in enumerate(zip(a, b)) for j, (x, y) in enumerate(zip(ra, rb))
              if exact_str(x) != exact_str(y)]
    total = sum(len(r) for r in a)
    out = "∂/∂{}" if len(a) == 1 else "∂out{}/∂{}"
    entries = [(out.format(inputs[j]) if len(a) == 1 else out.format(i, inputs[j])) + f" {exact_str(x)} vs {exact_str(y)}"
               for i, j, x, y in differ[:4]]
    more = f", … ({len(differ) - 4} more: --json lists both Jacobians)" if len(differ) > 4 else ""
    return f"differ in {len(differ)} of {total} entries: " + ", ".join(entries) + more


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
