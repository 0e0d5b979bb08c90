"""Exact convex geometry on finitely many points: the hull's vertices, its point of
minimum norm, and membership with a certificate.

Everything rests on Wolfe's minimum-norm-point algorithm (1976), run in exact
arithmetic (sympy numbers, signs decided by :func:`pwverify.core.exact.sign`), where it
terminates with the exact answer:

* the min-norm point of conv(P) is the projection of 0 onto the hull;
* ``v`` is in conv(P) iff the min-norm point of conv(P - v) is 0, and then Wolfe's
  weights are a convex combination certificate; otherwise that point ``z`` separates:
  ``z·p > z·v`` for every ``p`` in P;
* ``p`` is a vertex iff it is not in the hull of the other points.

>>> from sympy import Rational as R
>>> hull = ConvexHull([(0,), (1,), (R(1, 2),)])
>>> hull.vertices
[(0,), (1,)]
>>> hull.min_norm
(0,)
>>> m = hull.membership((R(1, 3),))
>>> m.inside, m.weights
(True, {(0,): 2/3, (1,): 1/3})
>>> ConvexHull([(1, 0), (0, 1)]).min_norm
(1/2, 1/2)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import sympy

from ..core.exact import sign, tidy

Point = tuple


def _dot(a, b):
    return sympy.Add(*[x * y for x, y in zip(a, b)])


def _sub(a, b):
    return tuple(tidy(x - y) for x, y in zip(a, b))


def _norm2(a):
    return _dot(a, a)


def _combination(weights: dict, points: list) -> Point:
    dim = len(points[0])
    out = [sympy.Integer(0)] * dim
    for p in points:
        w = weights[p]
        out = [o + w * c for o, c in zip(out, p)]
    return tuple(tidy(o) for o in out)


def _affine_min_norm(S: list) -> dict:
    """Weights (summing to 1) of the min-norm point of the affine hull of S."""
    k = len(S)
    if k == 1:
        return {S[0]: sympy.Integer(1)}
    # minimise |sum a_i s_i|^2 subject to sum a_i = 1:  [G 1; 1^T 0] [a; mu] = [0; 1]
    gram = sympy.Matrix(k, k, lambda i, j: _dot(S[i], S[j]))
    ones = sympy.ones(k, 1)
    system = gram.row_join(ones).col_join(ones.T.row_join(sympy.zeros(1, 1)))
    rhs = sympy.zeros(k, 1).col_join(sympy.Matrix([1]))
    solution = system.LUsolve(rhs)
    return {S[i]: tidy(solution[i]) for i in range(k)}


def min_norm_point(points: Sequence[Point]) -> tuple[Point, dict]:
    """Wolfe's algorithm, exact: the hull's point of least norm and convex weights for it."""
    P = list(dict.fromkeys(tuple(sympy.sympify(c) for c in p) for p in points))
    if not P:
        raise ValueError("the hull of no points")
    x = min(P, key=lambda p: float(_norm2(p)))
    weights = {x: sympy.Integer(1)}
    S = [x]
    for _ in range(10 * len(P) + 10):
        xx = _norm2(x)
        p = min(P, key=lambda q: float(_dot(x, q)))
        if sign(_dot(x, p) - xx) >= 0 or p in S:
            return x, weights
        S.append(p)
        weights[p] = sympy.Integer(0)
        while True:
            alpha = _affine_min_norm(S)
            if all(sign(a) > 0 for a in alpha.values()):
                weights = alpha
                x = _combination(weights, S)
                break
            theta = min(weights[s] / (weights[s] - alpha[s]) for s in S if sign(alpha[s]) <= 0
                        and sign(weights[s] - alpha[s]) > 0)
            weights = {s: tidy((1 - theta) * weights[s] + theta * alpha[s]) for s in S}
            S = [s for s in S if sign(weights[s]) > 0]
            weights = {s: weights[s] for s in S}
            x = _combination(weights, S)
    raise ArithmeticError("Wolfe's algorithm did not converge")  # pragma: no cover


@dataclass
class Membership:
    """Is ``vector`` in the hull? With convex weights (inside) or a separating direction."""

    vector: Point
    inside: bool
    weights: dict | None = None        # vertex -> weight, summing to 1
    direction: Point | None = None     # d with d·p > d·vector for every point p


class ConvexHull:
    """The convex hull of finitely many exact points (gradients, flattened Jacobians)."""

    def __init__(self, points: Sequence[Point]):
        self.points = list(dict.fromkeys(tuple(sympy.sympify(c) for c in p) for p in points))

    @functools.cached_property
    def vertices(self) -> list[Point]:
        if len(self.points) <= 1:
            return list(self.points)
        if len(self.points[0]) == 1:
            lo = min(self.points, key=lambda p: float(p[0]))
            hi = max(self.points, key=lambda p: float(p[0]))
            return [lo] if sign(lo[0] - hi[0]) == 0 else [lo, hi]
        out = []
        for i, p in enumerate(self.points):
            others = [_sub(q, p) for q in self.points[:i] + self.points[i + 1:]]
            z, _ = min_norm_point(others)
            if any(sign(c) != 0 for c in z):
                out.append(p)
        return out

    @functools.cached_property
    def _min_norm(self):
        return min_norm_point(self.points)

    @property
    def min_norm(self) -> Point:
        return self._min_norm[0]

    def membership(self, vector: Sequence) -> Membership:
        """Inside, with convex weights on the vertices; or outside, with a direction."""
        v = tuple(sympy.sympify(c) for c in vector)
        base = self.vertices if len(self.points) > 1 else self.points
        shifted = [_sub(p, v) for p in base]
        z, weights = min_norm_point(shifted)
        if all(sign(c) == 0 for c in z):
            back = {base[shifted.index(s)]: w for s, w in weights.items()}
            return Membership(v, True, weights=dict(sorted(back.items(), key=lambda kv: base.index(kv[0]))))
        return Membership(v, False, direction=z)

    def contains(self, vector: Sequence) -> bool:
        return self.membership(vector).inside
