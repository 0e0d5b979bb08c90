"""Fast evaluation: a representation compiled with ``sympy.lambdify`` into numpy code.

Each piece's atoms, formulas and gradients become vectorised numpy functions; a batch
of points is routed to the pieces whose conditions hold (exact float comparisons, so
a point where the program's own float evaluation is exact, ties included, lands on
the same piece as in exact arithmetic).

>>> import numpy as np
>>> from pwverify import parse
>>> values, grads = parse("relu(-t) + t").evaluate(np.array([-1.0, 0.0, 3.0]))
>>> grads[:, 0, 0].tolist()
[0.0, 1.0, 1.0]
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import sympy

_COMPARE = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal,
            "==": np.equal, "!=": np.not_equal}


def _vectorised(symbols, expr) -> Callable:
    fn = sympy.lambdify(symbols, expr, modules="numpy")

    def call(*cols):
        out = fn(*cols)
        return np.broadcast_to(np.asarray(out, dtype=float), cols[0].shape) if cols else np.asarray(out, float)
    return call


def compile_representation(rep) -> Callable:
    """A function ``points -> (values (N, q), gradients (N, q, p))``; NaN where undefined."""
    symbols = list(rep.inputs)
    compiled = []
    atom_cache: dict = {}
    for piece in rep.pieces:
        atoms = []
        for atom in piece.where:
            key = atom.expr
            if key not in atom_cache:
                atom_cache[key] = _vectorised(symbols, atom.expr)
            atoms.append((atom_cache[key], _COMPARE[atom.rel]))
        values = [_vectorised(symbols, v) for v in piece.value]
        grads = [[_vectorised(symbols, g) for g in row] for row in piece.gradient]
        compiled.append((atoms, values, grads))
    p, q = len(symbols), rep.n_outputs

    def evaluate(points):
        x = np.asarray(points, dtype=float)
        if x.ndim == 1 and p == 1:
            x = x[:, None]
        if x.ndim == 1:
            x = x[None, :]
        if x.shape[1] != p:
            raise ValueError(f"points have {x.shape[1]} coordinates, the program {p} inputs")
        n = x.shape[0]
        cols = [x[:, j] for j in range(p)]
        out_v = np.full((n, q), np.nan)
        out_g = np.full((n, q, p), np.nan)
        todo = np.ones(n, dtype=bool)
        with np.errstate(all="ignore"):
            for atoms, values, grads in compiled:
                mask = todo.copy()
                for fn, cmp in atoms:
                    if not mask.any():
                        break
                    mask &= cmp(fn(*cols), 0.0)
                if not mask.any():
                    continue
                sub = [c[mask] for c in cols]
                for i, fn in enumerate(values):
                    out_v[mask, i] = fn(*sub)
                for i, row in enumerate(grads):
                    for j, fn in enumerate(row):
                        out_g[mask, i, j] = fn(*sub)
                todo &= ~mask
        return out_v, out_g

    return evaluate
