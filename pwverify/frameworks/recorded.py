"""The measured conventions, as data: what each framework returned at each kink.

``docs/reference/conventions.json`` is written by ``benchmarks/record_conventions.py``,
which **runs the real frameworks** (through :mod:`pwverify.frameworks.crosscheck`) on the
differential cases of ``tests/torch_cases.py``, ``tests/jax_cases.py`` and
``tests/tf_cases.py``: for every registered call, at an exact point on each of its kinks,
in reverse and forward mode, the value and the Jacobian the framework returned (float64).
It also records the classic ties (``relu'(0)``, ``abs'(0)``, a tie of ``maximum``...) in
each framework's own spelling.

This module only reads that file (it imports no framework): the conventions page of the
documentation, ``pwverify primitives`` and the tests are generated from it or checked
against it.

>>> measured_text(0.5), measured_text(1 / 3), measured_text(1.0507009873554805), measured_text(-0.0)
('1/2', '1/3', '1.0507009873554805', '0')
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from typing import Any

#: Where the data lives, relative to the repository root.
RELATIVE_PATH = os.path.join("docs", "reference", "conventions.json")
#: The ``format`` written by the recording script and understood here.
FORMAT = 1


def default_path() -> str:
    """``docs/reference/conventions.json`` of the repository this package sits in."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(root, RELATIVE_PATH)


#: The order frameworks are shown in.
ORDER = ("torch", "jax", "tensorflow")


def frameworks(data: dict) -> list[str]:
    """The recorded frameworks, torch first."""
    return sorted(data.get("versions", {}), key=lambda f: ORDER.index(f) if f in ORDER else len(ORDER))


def load(path: str | None = None) -> dict | None:
    """The recorded conventions, or None when the file is not there (an installed package
    without the repository's ``docs/``)."""
    path = path or default_path()
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: format {data.get('format')!r}, expected {FORMAT}")
    return data


def by_call(data: dict) -> dict[str, list[dict]]:
    """``{call: [record, ...]}``: a framework's calls have one record, framework-neutral ones
    (``builtins.max``) one per framework they were run under, torch first."""
    out: dict[str, list[dict]] = {}
    for record in data.get("calls", []):
        out.setdefault(record["call"], []).append(record)
    for records in out.values():
        records.sort(key=lambda r: ORDER.index(r["framework"]) if r["framework"] in ORDER else len(ORDER))
    return out


def call_summary(records: list[dict], limit: int = 2) -> str:
    """:func:`kink_summary` of a call's records: one text when the frameworks agree, else
    one per framework (``torch: ...; jax: ...``)."""
    texts = [kink_summary(r, limit) for r in records]
    if len(set(texts)) == 1:
        return texts[0]
    return "; ".join(f"{r['framework']}: {t}" for r, t in zip(records, texts))


def measured_text(x: float) -> str:
    """A measured float64 as it reads best: the small rational whose nearest double it is
    (``1/2``, ``1/3``, ``-3``), else its shortest repr."""
    if x != x or x in (float("inf"), float("-inf")):
        return repr(x)
    small = Fraction(x).limit_denominator(1 << 12)
    if float(small) == x:
        return str(small)
    return repr(x)


def vector_text(values: list) -> str:
    """``(1/2, 1/2)`` for several numbers, ``0`` for one."""
    texts = [measured_text(v) for v in values]
    return texts[0] if len(texts) == 1 else "(" + ", ".join(texts) + ")"


def jacobian_text(rows: list) -> str:
    """A Jacobian: its row for one output, its rows in brackets for several."""
    if len(rows) == 1:
        return vector_text(rows[0])
    return "[" + "; ".join(", ".join(measured_text(v) for v in row) for row in rows) + "]"


def point_text(point: dict) -> str:
    """``a = 0, b = 1/2`` (the recorded point is exact: its coordinates are strings)."""
    return ", ".join(f"{k} = {v}" for k, v in point.items())


def kink_summary(record: dict, limit: int = 2) -> str:
    """One line for ``pwverify primitives``: the first kinks and the derivative measured
    there (reverse mode; the forward one too where it differs)."""
    kinks = record.get("kinks", [])
    if not kinks:
        return "no kink (smooth)" if not record.get("error") else f"not recorded: {record['error']}"
    parts = []
    for kink in kinks[:limit]:
        reverse, forward = kink.get("reverse"), kink.get("forward")
        if not reverse:
            continue
        text = f"{point_text(kink['point'])}: ∇ {jacobian_text(reverse['jacobian'])}"
        if forward and forward["jacobian"] != reverse["jacobian"]:
            text += f" (forward {jacobian_text(forward['jacobian'])})"
        parts.append(text)
    more = len(kinks) - limit
    return "; ".join(parts) + (f"; … {more} more" if more > 0 else "")


def close(predicted: list, measured: list, rtol: float = 1e-12) -> bool:
    """Is the exact prediction ``measured`` up to float64 rounding of constants? A nan
    matches only a nan, an infinity only the same infinity (the frameworks' non-finite
    derivatives, sqrt at 0 say, are predictions too).

    >>> close(["1/3", float("nan")], [0.3333333333333333, float("nan")]), close([0], [float("nan")])
    (True, False)
    """
    import math
    if len(predicted) != len(measured):
        return False
    for p, m in zip(predicted, measured):
        p = _as_float(p)
        if math.isnan(p) or math.isnan(m):
            if not (math.isnan(p) and math.isnan(m)):
                return False
            continue
        if math.isinf(p) or math.isinf(m):
            if p != m:
                return False
            continue
        if abs(p - m) > rtol * max(1.0, abs(m), abs(p)):
            return False
    return True


def _as_float(value: Any) -> float:
    """An exact number (text such as ``"1/3"``, ``"nan"``, ``"oo"``, or a number) as a float."""
    if isinstance(value, str):
        try:
            return float(Fraction(value))
        except ValueError:
            return float({"oo": "inf", "-oo": "-inf", "zoo": "nan"}.get(value, value))
    return float(value)


def citation(data: dict | None) -> str:
    """How output citing the data names it: the file and the versions recorded."""
    if not data:
        return f"{RELATIVE_PATH} (not found)"
    versions = ", ".join(f"{k} {data['versions'][k]}" for k in frameworks(data))
    return f"{RELATIVE_PATH} ({versions})"


def flat(jacobian: list) -> list[Any]:
    return [v for row in jacobian for v in row]
