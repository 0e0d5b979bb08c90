"""The differential harness shared by the per-framework case tables.

A case is a program (an expression) and its input shapes. The harness runs it through
the real framework in float64 at an exact point of every piece (thin pieces first), at
every kink (:func:`pwverify.questions.tie_points.tie_points`) and at random points, and requires the
framework's value and Jacobian to be exactly pwverify's prediction (up to float64
rounding of constants). A case with a third item ``REFUSED`` is a call pwverify refuses
on purpose; the harness checks that the refusal is a located error.
"""

from __future__ import annotations

import functools

import pytest

import pwverify
from pwverify.core.errors import PwverifyError
from pwverify.frameworks.crosscheck import compare_at
from pwverify.questions.tie_points import float_exact, points_in_pieces, random_points, tie_points

REFUSED = "refused"


#: Points per case (keeps the default suite fast; the benchmark and the long run check
#: every kink of every case, and many more points).
MAX_POINTS = 6


def case_points(program, seed: int = 0) -> list[dict]:
    """Kink points covering every (node, branch) tie site of the case first, then one point
    per piece, then a random point, up to :data:`MAX_POINTS`: distinct, exact in float64."""
    try:
        rep = program.representation(max_pieces=100)
    except PwverifyError:   # too many pieces: the kinks node by node, no point per piece
        rep = None
    unique: dict = {}
    covered: set = set()
    for tp in tie_points(program, rep=rep):
        sites = {(s.node, s.branch) for s in tp.sites}
        if not sites <= covered:
            covered |= sites
            unique.setdefault(tuple(sorted(tp.point.items())), tp.point)
    for p in points_in_pieces(rep) if rep is not None else ():
        if len(unique) >= MAX_POINTS:
            break
        if float_exact(p.point):
            unique.setdefault(tuple(sorted(p.point.items())), p.point)
    for p in random_points(program, 1, seed):
        unique.setdefault(tuple(sorted(p.items())), p)
    return list(unique.values())


@functools.lru_cache(maxsize=None)
def _points_of_case(framework: str, text: str, shapes: tuple) -> tuple:
    """The points of a case (the kinks are where they are in either mode)."""
    return tuple(case_points(pwverify.parse(text, framework=framework, shapes=dict(shapes))))


def check_case(framework: str, row: tuple, mode: str) -> None:
    text, shapes = row[0], row[1]
    if len(row) > 2 and row[2] == REFUSED:
        with pytest.raises(PwverifyError) as info:
            pwverify.parse(text, framework=framework, shapes=shapes, mode=mode)
        assert info.value.location is not None, str(info.value)
        return
    program = pwverify.parse(text, framework=framework, shapes=shapes, mode=mode)
    assert program.framework == framework
    checked = 0
    for point in _points_of_case(framework, text, tuple(sorted(shapes.items()))):
        try:
            mismatch = compare_at(program, framework, point, mode)
        except pwverify.PwverifyError:
            continue  # outside the domain (a nan/inf gradient in the framework)
        checked += 1
        assert mismatch is None, mismatch.describe()
    assert checked, "no point was compared"


def missing_rows(framework: str, cases: dict) -> list[str]:
    from pwverify.primitives import registry
    # structural calls (layers, shapes) reach no primitive: tests/test_reading.py checks them
    calls = {name for name, call in registry.all_calls().items() if call.framework == framework and call.primitive}
    return sorted(calls - set(cases))
