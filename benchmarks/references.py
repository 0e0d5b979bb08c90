"""Hand-written z3 encodings: the reference times of ``bench_scale.py``.

Each function builds one question about two programs directly in z3 (no pwverify
code), checks it, and returns ``(seconds, verdicts)``: the seconds cover building the
terms and solving, the verdicts map the question (``"function"`` or ``"gradient"``) to
``"proved"`` (z3: unsat, no point where the two differ), ``"refuted"`` (sat) or
``"unknown"``. The encodings are the ones a careful z3 user writes by hand:

* values as ``If`` terms, one named real per pre-activation or reduction (so two
  programs with the same structure are still two encodings the solver has to relate);
* gradients as autodiff computes them, tie rules included: forward-mode tangents (one
  per input), or adjoints (one per output) where there are fewer outputs than inputs,
  which gives the same Jacobian with fewer terms. Tangents are sparse (a dict from input
  index to term), so a convolution's tangent holds only its receptive field.

Tie rules (torch 2.13.0): relu, ``max(0, s)`` and ``torch.where(s > 0, s, 0)`` have
derivative 0 at s = 0, ``torch.clamp(s, min=0)`` has 1; a loop ``if x[i] > res`` and
every index-carrying max (pooling, ``max(dim).values``) give the whole tangent to the
first maximal entry; ``torch.max(x)`` splits it evenly, 1/k over the k tied maxima.

>>> max_function(4)[1], max_gradient(4)[1]
({'function': 'proved'}, {'gradient': 'refuted'})
>>> max_gradient(4, rule="first")[1]
{'gradient': 'proved'}
"""

from __future__ import annotations

import functools
import time
from fractions import Fraction
from typing import Sequence

import z3

PROVED, REFUTED, UNKNOWN = "proved", "refuted", "unknown"

#: ReLU formulations: the condition under which the tangent passes (s > 0, or s >= 0
#: for clamp), and the value as an If term.
RELU_RULES = {
    "relu": (lambda s: s > 0, lambda s: z3.If(s > 0, s, 0)),
    "max0": (lambda s: s > 0, lambda s: z3.If(s > 0, s, 0)),        # Python max(0, s): 0 wins a tie
    "where": (lambda s: s > 0, lambda s: z3.If(s > 0, s, 0)),
    "clamp": (lambda s: s >= 0, lambda s: z3.If(s < 0, 0, s)),      # torch.clamp(s, min=0): 1 at s = 0
}

#: The solver: z3's default, or one for a logic (e.g. "QF_LRA").
LOGIC = None

#: Name pre-activations (one real each per program) rather than sharing terms.
NAMED = True

Layers = Sequence[tuple[Sequence[Sequence[int]], Sequence[int]]]


def _check(constraints, question: str, start: float, timeout_ms: int | None = None) -> tuple[float, dict]:
    solver = z3.SolverFor(LOGIC) if LOGIC else z3.Solver()
    if timeout_ms:
        solver.set("timeout", timeout_ms)
    solver.add(constraints)
    answer = solver.check()
    verdict = PROVED if answer == z3.unsat else REFUTED if answer == z3.sat else UNKNOWN
    return time.perf_counter() - start, {question: verdict}


def _reals(prefix: str, n: int) -> list:
    return [z3.Real(f"{prefix}{i}") for i in range(n)]


def _lin(coeffs, terms, const=0):
    """sum c*t + const, skipping zero coefficients (exact rationals)."""
    parts = [t if c == 1 else _const(c) * t for c, t in zip(coeffs, terms) if c != 0]
    if const != 0 or not parts:
        parts.append(_const(const))
    return parts[0] if len(parts) == 1 else z3.Sum(parts)


def _sparse_add(acc: dict, coeff, tangent: dict) -> None:
    for j, t in tangent.items():
        term = t if coeff == 1 else _const(coeff) * t if not isinstance(t, int) else coeff * t
        acc[j] = acc[j] + term if j in acc else term


@functools.lru_cache(maxsize=4096)
def _const(c) -> z3.ArithRef:
    return z3.RealVal(Fraction(c))


def _term(t):
    return _const(t) if isinstance(t, (int, Fraction)) else t


def _select(cond, t: dict, other: dict | None = None) -> dict:
    """Entrywise If(cond, t, other) of two sparse tangents (other: zero)."""
    other = other or {}
    return {j: z3.If(cond, _term(t.get(j, 0)), _term(other.get(j, 0))) for j in set(t) | set(other)}


# -- max1 (a loop) against torch.max ------------------------------------------------------------
def _max_loop(xs):
    """Boustany's max1: ``if x[i] > res: res = x[i]``; value and one-hot tangent rows."""
    n = len(xs)
    res, tangent = xs[0], [1 if j == 0 else 0 for j in range(n)]
    for i in range(1, n):
        cond = xs[i] > res
        res = z3.If(cond, xs[i], res)
        tangent = [z3.If(cond, _term(1 if j == i else 0), _term(tangent[j])) for j in range(n)]
    return res, tangent


def _max_relational(xs, name: str):
    """torch.max's value as a named real m: m >= every x_i, m equal to one of them."""
    m = z3.Real(name)
    return m, [m >= x for x in xs] + [z3.Or([m == x for x in xs])]


def max_tangent(xs, m, rule: str = "even") -> list:
    """The gradient of a max reduction of ``xs`` whose value is ``m``, as z3 terms.

    ``rule="even"`` (torch.max(x), amax): 1/k on each of the k entries equal to ``m``;
    ``"first"`` (max(dim).values, pooling): 1 on the first entry equal to ``m``.
    1/k is an If chain over k = 1..n, which keeps the query linear (a division by the
    count term is nonlinear arithmetic: about 50 s from n = 16 on).

    >>> xs = [z3.RealVal(v) for v in (3, 1, 3)]
    >>> [z3.simplify(t) for t in max_tangent(xs, z3.RealVal(3))]
    [1/2, 0, 1/2]
    >>> [z3.simplify(t) for t in max_tangent(xs, z3.RealVal(3), "first")]
    [1, 0, 0]
    """
    zero, one = z3.RealVal(0), z3.RealVal(1)
    if rule == "even":
        count = z3.Sum([z3.If(x == m, one, zero) for x in xs])
        share = zero
        for k in range(len(xs), 0, -1):
            share = z3.If(count == k, _const(Fraction(1, k)), share)
        return [z3.If(x == m, share, zero) for x in xs]
    if rule == "first":
        return [z3.If(z3.And([x == m] + [y != m for y in xs[:i]]), one, zero) for i, x in enumerate(xs)]
    raise ValueError(f"rule {rule!r}: 'even' or 'first'")


def max_function(n: int) -> tuple[float, dict]:
    """Is there x in R^n where the max1 loop and torch.max have different values?

    The loop is an If-fold, torch.max the relational maximum. Expected: proved.
    """
    start = time.perf_counter()
    xs = _reals("x", n)
    loop, _ = _max_loop(xs)
    m, side = _max_relational(xs, "m")
    return _check(side + [loop != m], "function", start)


def max_gradient(n: int, rule: str = "even") -> tuple[float, dict]:
    """Is there x where the max1 loop and torch.max have different autodiff gradients?

    max1's tangent is the If-fold of one-hot rows (the first maximal entry wins a tie).
    ``rule="even"`` is torch.max(x): 1/k on each of the k entries equal to the
    maximum (expected: refuted, at any tie); ``rule="first"`` is
    ``torch.max(x, dim=0).values``, one-hot at the first maximal entry (expected: proved).
    """
    start = time.perf_counter()
    xs = _reals("x", n)
    _, loop_tangent = _max_loop(xs)
    m, side = _max_relational(xs, "m")
    other = max_tangent(xs, m, rule)
    differs = z3.Or([_term(a) != b for a, b in zip(loop_tangent, other)])
    return _check(side + [differs], "gradient", start)


# -- ReLU networks written two ways --------------------------------------------------------------------
def _network(prefix: str, xs, layers: Layers, activation: str, named: bool = NAMED):
    """Values of a network (ReLU hidden layers, linear output).

    Returns (outputs, side constraints, per hidden layer the list of pre-activations).
    ``named``: one real per pre-activation, defined by an equality (else terms).
    """
    _, value = RELU_RULES[activation]
    side, pre, h = [], [], list(xs)
    for k, (w, b) in enumerate(layers[:-1]):
        if named:
            s = _reals(f"{prefix}_s{k}_", len(w))
            side += [si == _lin(row, h, bi) for si, row, bi in zip(s, w, b)]
        else:
            s = [_lin(row, h, bi) for row, bi in zip(w, b)]
        pre.append(s)
        h = [value(si) for si in s]
    w, b = layers[-1]
    return [_lin(row, h, bi) for row, bi in zip(w, b)], side, pre


def _jacobian_forward(layers: Layers, pre, activation: str, n_in: int) -> list[list]:
    """Per output, per input: forward-mode tangents (sparse per neuron)."""
    passes, _ = RELU_RULES[activation]
    t = [{j: 1} for j in range(n_in)]
    for (w, _), s in zip(layers[:-1], pre):
        new = []
        for row, si in zip(w, s):
            acc: dict = {}
            for c, tk in zip(row, t):
                if c != 0:
                    _sparse_add(acc, c, tk)
            new.append(_select(passes(si), acc))
        t = new
    w, _ = layers[-1]
    out = []
    for row in w:
        acc: dict = {}
        for c, tk in zip(row, t):
            if c != 0:
                _sparse_add(acc, c, tk)
        out.append([acc.get(j, 0) for j in range(n_in)])
    return out


def _jacobian_reverse(layers: Layers, pre, activation: str, n_in: int) -> list[list]:
    """Per output, per input: reverse-mode adjoints (one backward pass per output)."""
    passes, _ = RELU_RULES[activation]
    w_out, _ = layers[-1]
    rows = []
    for o in range(len(w_out)):
        adj = list(w_out[o])                       # adjoint of the last hidden layer's outputs
        for (w, _), s in reversed(list(zip(layers[:-1], pre))):
            adj_s = [z3.If(passes(si), _term(a), z3.RealVal(0)) if not (isinstance(a, int) and a == 0) else 0
                     for si, a in zip(s, adj)]
            n_prev = len(w[0])
            adj = []
            for k in range(n_prev):
                coeffs = [w[i][k] for i in range(len(w))]
                terms = [a for a in adj_s]
                kept = [(c, t) for c, t in zip(coeffs, terms) if c != 0 and not (isinstance(t, int) and t == 0)]
                adj.append(_lin([c for c, _ in kept], [t for _, t in kept]) if kept else 0)
        rows.append(adj[:n_in])
    return rows


def _net_inputs(layers: Layers):
    return _reals("x", len(layers[0][0][0]))


def net_function(layers: Layers, a: str, b: str) -> tuple[float, dict]:
    """Is there x where the network with activation ``a`` and the one with ``b``
    (keys of ``RELU_RULES``) have different values? ``layers``: ``[(W, b), ...]``."""
    start = time.perf_counter()
    xs = _net_inputs(layers)
    va, sa, _ = _network("a", xs, layers, a)
    vb, sb, _ = _network("b", xs, layers, b)
    return _check(sa + sb + [z3.Or([p != q for p, q in zip(va, vb)])], "function", start)


def net_gradient(layers: Layers, a: str, b: str, mode: str = "auto") -> tuple[float, dict]:
    """Is there x where the two networks' autodiff Jacobians (with respect to the
    inputs) differ? ``mode``: ``"forward"`` (a tangent per input), ``"reverse"`` (an
    adjoint per output) or ``"auto"`` (whichever needs fewer passes)."""
    start = time.perf_counter()
    xs = _net_inputs(layers)
    n_in, n_out = len(xs), len(layers[-1][0])
    if mode == "auto":
        mode = "reverse" if n_out < n_in else "forward"
    jacobian = {"forward": _jacobian_forward, "reverse": _jacobian_reverse}[mode]
    _, sa, pa = _network("a", xs, layers, a)
    _, sb, pb = _network("b", xs, layers, b)
    ja, jb = jacobian(layers, pa, a, n_in), jacobian(layers, pb, b, n_in)
    terms = [_term(p) != _term(q) for ra, rb in zip(ja, jb) for p, q in zip(ra, rb)
             if not (isinstance(p, int) and isinstance(q, int) and p == q)]
    return _check(sa + sb + [z3.Or(terms) if terms else z3.BoolVal(False)], "gradient", start)


# -- Conv2d + ReLU + MaxPool2d, two ways ------------------------------------------------------------------
def _window_max(prefix: str, vs, ts, style: str, rule: str = "first"):
    """Max over one pooling window: (value, sparse tangent, side constraints).

    ``style="fold"`` is max_pool2d: ``If(v > res, v, res)`` left to right, the first
    maximal entry gets the tangent. ``"relational"`` is ``windows.max(dim=-1).values``
    after unfold: the max as a named real ``m``, and the tangent of the first entry equal
    to ``m`` (``rule="first"``) or 1/k on each of the k entries equal to it
    (``rule="even"``, what ``amax`` does).
    """
    if style == "fold":
        res, tan = vs[0], ts[0]
        for v, t in zip(vs[1:], ts[1:]):
            cond = v > res
            res, tan = z3.If(cond, v, res), _select(cond, t, tan)
        return res, tan, []
    m, side = _max_relational(vs, f"{prefix}_m")
    zero = z3.RealVal(0)
    count = z3.Sum([z3.If(v == m, z3.RealVal(1), zero) for v in vs])
    tan: dict = {}
    for q, (v, t) in enumerate(zip(vs, ts)):
        if rule == "first":
            picked = _select(z3.And([v == m] + [u != m for u in vs[:q]]), t)
        else:  # (1/k) * tangent as an If chain over the count k: products stay linear
            picked = {}
            for p, term in t.items():
                share = zero
                for k in range(len(vs), 0, -1):
                    share = z3.If(count == k, _const(Fraction(1, k)) * _term(term), share)
                picked[p] = z3.If(v == m, share, zero)
        for p, term in picked.items():
            tan[p] = tan[p] + term if p in tan else term
    return m, tan, side


def _conv_window(prefix: str, xs, kernel, bias, size: int, cells, style: str, rule: str):
    """One output of Conv2d (one channel, valid, kxk) + ReLU + max over ``cells`` (the
    conv positions of the pooling window, row-major): value, sparse tangent, side."""
    k = len(kernel)
    coeffs = [kernel[di][dj] for di in range(k) for dj in range(k)]
    side, vs, ts = [], [], []
    for a, b in cells:
        inputs = [(a + di) * size + (b + dj) for di in range(k) for dj in range(k)]
        s = z3.Real(f"{prefix}_c{a}_{b}")
        side.append(s == _lin(coeffs, [xs[p] for p in inputs], bias))
        vs.append(z3.If(s > 0, s, 0))
        ts.append(_select(s > 0, {p: w for p, w in zip(inputs, coeffs) if w != 0}))
    value, tangent, more = _window_max(prefix, vs, ts, style, rule)
    return value, tangent, side + more


def _conv_question(question: str, weights, bias, size: int, pool: int, rule: str,
                   timeout_ms: int | None = None) -> tuple[float, dict]:
    """Output by output: each output of the layer depends only on its own patch, and
    "exists x where some output differs" is the disjunction over the outputs of "exists
    x where this output differs", so each output is one small query (the first sat one
    refutes). A single query over all outputs is far slower for z3 (beyond 60 s on a
    12x12 image)."""
    start = time.perf_counter()
    xs = _reals("x", size * size)
    out = size - len(weights[0]) + 1
    for c, (kernel, bc) in enumerate(zip(weights, bias)):
        for i, j, cells in _pool_windows(out, pool):
            va, ta, sa = _conv_window(f"a{c}_{i}_{j}", xs, kernel, bc, size, cells, "fold", rule)
            vb, tb, sb = _conv_window(f"b{c}_{i}_{j}", xs, kernel, bc, size, cells, "relational", rule)
            if question == "function":
                differs = va != vb
            else:
                differs = z3.Or([_term(ta.get(p, 0)) != _term(tb.get(p, 0)) for p in set(ta) | set(tb)])
            _, verdict = _check(sa + sb + [differs], question, start, timeout_ms)
            if verdict[question] != PROVED:
                return time.perf_counter() - start, verdict
    return time.perf_counter() - start, {question: PROVED}


def _pool_windows(out: int, pool: int):
    n = out // pool
    return [(i, j, [(i * pool + a, j * pool + b) for a in range(pool) for b in range(pool)])
            for i in range(n) for j in range(n)]


def conv_function(weights, bias, size: int = 28, pool: int = 2, rule: str = "first") -> tuple[float, dict]:
    """Is there a ``size`` x ``size`` image where Conv2d(kxk, one input channel,
    ``len(weights)`` output channels, integer ``weights[c][di][dj]`` and ``bias[c]``) +
    ReLU + MaxPool2d(pool) and the same layer pooled by an explicit max over the
    unfolded windows have different values? Expected: proved.

    >>> conv_function([[[1, -1], [0, 2]]], [0], size=4)[1]
    {'function': 'proved'}
    """
    return _conv_question("function", weights, bias, size, pool, rule)


def conv_gradient(weights, bias, size: int = 28, pool: int = 2, rule: str = "first") -> tuple[float, dict]:
    """Is there an image where the two layers' Jacobians differ? With ``rule="first"``
    (``max(dim=-1).values``) both give a tied window's tangent to its first maximal entry:
    expected proved. With ``rule="even"`` (``amax``) a window of zeros after the ReLU
    is a tie split four ways: expected refuted.

    >>> conv_gradient([[[1, -1], [0, 2]]], [0], size=4)[1]
    {'gradient': 'proved'}
    >>> conv_gradient([[[1, -1], [0, 2]]], [0], size=4, rule="even")[1]
    {'gradient': 'refuted'}
    """
    return _conv_question("gradient", weights, bias, size, pool, rule)
