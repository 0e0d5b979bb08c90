"""Fast evaluation: the program's graph walked once over a batch of float64 points.

:func:`compile_graph` plans a walk of the DAG (:mod:`pwverify.ir.walker`) and returns a
function ``points (N, p) -> (values (N, q), jacobians (N, q, p))``. Each node is
evaluated on whole arrays by its primitive's table (:meth:`PieceTable.numeric`: the same
branches, tie rules and derivatives the pointwise engine uses, so a relu at exactly 0.0
takes the framework's derivative, a max with tied entries splits or picks as its table
says). Derivatives go forward (a tangent per input column) or backward (an adjoint per
output row), whichever touches fewer (node, column) pairs; both give the autodiff
Jacobian, and where every local derivative is finite they are the same numbers.

Where a local derivative is inf or nan (``sqrt`` at 0), IEEE arithmetic decides what the
framework returns (``0 * inf`` is nan, a masked zero is not), and forward and reverse
mode may differ. Those points are replayed one by one with the pointwise engine's
accumulation (:mod:`pwverify.engines.pointwise`) in the program's mode, from the branch
each node took at its float arguments. Points where the program is undefined (outside
the domain of log, sqrt, a division) get nan values and a nan Jacobian.

Batches of points run on a thread pool (:func:`default_threads`; numpy releases the GIL
in its loops); the numbers do not depend on the number of threads. The results are
filled one partial derivative at a time, so they are stored column-major: ``values`` is a
``(N, q)`` view of a ``(q, N)`` array and ``jacobians`` a ``(N, q, p)`` view of a
``(q, p, N)`` one (index them as usual; ``np.ascontiguousarray`` gives row-major copies).

Float arithmetic rounds: a point lands on the branch its float computation reaches, as
in the framework. Where the float computation is exact (small dyadic points and
constants) the result equals the exact engines'.

>>> import numpy as np
>>> from pwverify import parse
>>> values, grads = parse("relu(-t) + t").evaluate(np.array([-1.0, 0.0, 3.0]))
>>> grads[:, 0, 0].tolist()
[0.0, 1.0, 1.0]

:func:`compile_representation` evaluates a representation (a list of pieces, e.g. read
from a representation file, which has no graph) by routing points to the piece whose
condition holds.
"""

from __future__ import annotations

import os
import threading
from typing import Callable

import numpy as np
import sympy

from ..core.exact import exact
from ..core.vectorised import OneHot
from ..ir.graph import Graph
from ..ir.walker import Visitor, walk
from ..primitives.registry import exact_float, float_of
from .common import required, table_of
from .pointwise import _edges, _forward, _reverse

#: Float64 numbers held per batch (points times nodes), and in one node's stacked arguments.
BATCH_NUMBERS, NODE_NUMBERS = 1 << 23, 1 << 18
#: Points transposed at a time into a batch's input columns.
TRANSPOSE_ROWS = 1024


def default_threads() -> int:
    """Threads for evaluation: the CPUs this process may run on (``PWVERIFY_THREADS``
    overrides), as torch's intra-op pool does.

    >>> default_threads() >= 1
    True
    """
    configured = os.environ.get("PWVERIFY_THREADS", "").strip()
    if configured:
        if not (configured.isdigit() and int(configured) > 0):
            from ..core.errors import UsageError
            raise UsageError(f"PWVERIFY_THREADS must be a positive integer, got {configured!r}",
                             hint="PWVERIFY_THREADS=2, or unset it to use every CPU")
        return int(configured)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:     # not on Linux
        return max(1, os.cpu_count() or 1)


def chunk_size(graph: Graph) -> int:
    """Points evaluated together: large batches for small graphs (less Python per point),
    smaller ones for large graphs (every node's values are kept until the batch ends) and
    for wide nodes (a max over many entries stacks them; that block should stay in cache).

    >>> from pwverify import parse
    >>> chunk_size(parse("relu(x)").graph), chunk_size(parse("torch.max(x)", shapes={"x": 32}).graph)
    (65536, 8192)
    """
    widest = max((len(node.args) for node in graph.nodes), default=1)
    size = min(1 << 16, NODE_NUMBERS // max(widest, 1), BATCH_NUMBERS // max(len(graph.nodes), 1))
    return 1 << max(10, int(size).bit_length() - 1)


class _Plan(Visitor):
    """The walk, recorded once: ``(kind, nid, data)`` steps in topological order."""

    def __init__(self, graph: Graph):
        self.steps: list[tuple] = []
        self.constants: dict[int, object] = {}     # exact values of the constants
        self.graph = graph
        walk(graph, self)

    def input(self, nid, name, index):
        self.steps.append(("input", nid, index))

    def const(self, nid, value):
        self.constants[nid] = exact(value)
        self.steps.append(("const", nid, _to_float(value)))

    def get(self, nid, node):
        self.steps.append(("get", nid, (node.args[0], node.params[0])))

    def apply(self, nid, node):
        self.steps.append(("apply", nid, (table_of(node), node.args)))


def _to_float(value) -> float:
    return float_of(exact(value))


def _direction(graph: Graph, steps: list) -> str:
    """"forward" when tangents touch fewer (node, column) pairs than adjoints, else "reverse"."""
    inputs: dict[int, int] = {}
    for kind, nid, data in steps:
        if kind == "input":
            inputs[nid] = 1 << data
        elif kind == "const":
            inputs[nid] = 0
        elif kind == "get":
            inputs[nid] = inputs[data[0]]
        else:
            bits = 0
            for a in data[1]:
                bits |= inputs[a]
            inputs[nid] = bits
    outputs: dict[int, int] = {}
    for k, o in enumerate(graph.outputs):
        outputs[o] = outputs.get(o, 0) | 1 << k
    forward = backward = 0
    for kind, nid, data in reversed(steps):
        reach = outputs.get(nid, 0)
        if kind == "get":
            outputs[data[0]] = outputs.get(data[0], 0) | reach
        elif kind == "apply":
            for a in data[1]:
                outputs[a] = outputs.get(a, 0) | reach
                forward += bin(inputs[a]).count("1")
                backward += bin(reach).count("1")
    return "forward" if forward <= backward else "reverse"


def _contribution(entry, t):
    """What passes along one edge (fast path: every number is finite). A selection of a
    seed stays a bool array (a 0/1 tangent): it is converted where it is added or stored."""
    if isinstance(t, float) and t == 1.0 and not isinstance(entry, float):   # a seed: no product
        return entry
    if isinstance(entry, float):
        return t if entry == 1.0 else entry * t
    if entry.dtype == bool:
        if _is_mask(t):
            return entry & t
        # a finite scalar: a product (cheaper); an array may hold inf, where 0 * inf is nan
        return entry * t if isinstance(t, float) and np.isfinite(t) else np.where(entry, t, 0.0)
    return entry * t


def _add(target: dict, key, value) -> None:
    old = target.get(key)
    if old is None:
        target[key] = value
    elif _is_mask(old) and _is_mask(value):     # bool + bool would be "or", not a sum
        target[key] = old.astype(float) + value
    else:
        target[key] = old + value


def _is_mask(x) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == bool


def _row_forward(row, tangents: list) -> dict:
    """The tangent of one output from its derivative row and its arguments' tangents."""
    out: dict = {}
    if isinstance(row, OneHot):
        for i, t in enumerate(tangents):
            if t:
                picked = row.index == i
                for col, v in t.items():
                    _add(out, col, _contribution(picked, v))
        return out
    for entry, t in zip(row, tangents):
        if entry is None or not t:
            continue
        for col, v in t.items():
            _add(out, col, _contribution(entry, v))
    return out


def _columns(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The points' coordinates as contiguous rows ``(p, N)``, in ``out`` if given (a buffer
    reused across batches). Copied in blocks of rows that stay in cache: a transposing
    copy of the whole batch at once reads memory far apart."""
    n, p = x.shape
    if out is None:
        out = np.empty((p, n))
    out = out[:, :n]
    for start in range(0, n, TRANSPOSE_ROWS):
        out[:, start:start + TRANSPOSE_ROWS] = x[start:start + TRANSPOSE_ROWS].T
    return out


class _Chunk:
    """One batch of points through the walk: values, tangents or stored rows, flags."""

    def __init__(self, plan: _Plan, x: np.ndarray, direction: str, seeds: np.ndarray | None = None,
                 columns: np.ndarray | None = None):
        self.plan, self.n = plan, x.shape[0]
        self.seeds = seeds   # forward mode along one direction: one tangent, column 0
        self.columns = _columns(x, columns)
        self.direction = direction
        self.values: dict[int, tuple] = {}
        self.tangents: dict[int, tuple] = {}
        self.rows: dict[int, tuple] = {}
        self.flag = np.zeros(self.n, bool)
        with np.errstate(all="ignore"):
            self._walk()

    def _walk(self) -> None:
        forward = self.direction == "forward"
        values, tangents = self.values, self.tangents
        for kind, nid, data in self.plan.steps:
            if kind == "input":
                values[nid] = (self.columns[data],)
                if self.seeds is None:
                    tangents[nid] = ({data: 1.0},)
                else:
                    tangents[nid] = ({0: float(self.seeds[data])} if self.seeds[data] else {},)
            elif kind == "const":
                values[nid] = (data,)
            elif kind == "get":
                src, k = data
                values[nid] = (values[src][k],)
                if src in tangents:
                    tangents[nid] = (tangents[src][k],)
            else:
                table, args = data
                operands = [values[a][0] for a in args]
                if not any(isinstance(v, np.ndarray) for v in operands):   # a constant node
                    local = table.numeric([np.array([v]) for v in operands])
                    values[nid] = tuple(float(np.asarray(v).reshape(-1)[0]) for v in local.values)
                    continue
                local = table.numeric(operands)
                values[nid] = local.values
                if local.nonfinite is not None:
                    self.flag |= local.nonfinite
                if forward:
                    inner = [tangents[a][0] if a in tangents else None for a in args]
                    tangents[nid] = tuple(_row_forward(row, inner) for row in local.rows)
                else:
                    self.rows[nid] = local.rows

    def jacobian_forward(self, outputs: list, jac: np.ndarray) -> np.ndarray:
        """The tangents of the outputs written into ``jac`` ``(q, p, n)``, zeros on entry."""
        for k, o in enumerate(outputs):
            if o in self.tangents:
                for col, v in self.tangents[o][0].items():
                    jac[k, col] = v
        return jac

    def jacobian_reverse(self, graph: Graph, jac: np.ndarray) -> np.ndarray:
        """The adjoints of the inputs written into ``jac`` ``(q, p, n)``, zeros on entry."""
        adjoint: dict[tuple[int, int], dict] = {}
        for k, o in enumerate(graph.outputs):
            adjoint.setdefault((o, 0), {})[k] = 1.0
        with np.errstate(all="ignore"):
            for kind, nid, data in reversed(self.plan.steps):
                if kind == "input":
                    for r, v in adjoint.pop((nid, 0), {}).items():
                        jac[r, data] = v        # an input's adjoint is complete here
                elif kind == "get":
                    a = adjoint.pop((nid, 0), None)
                    if a:
                        into = adjoint.setdefault(data, {})
                        for r, v in a.items():
                            _add(into, r, v)
                elif kind == "apply":
                    rows = self.rows.pop(nid, None)
                    if rows is None:
                        continue
                    args = data[1]
                    for s, row in enumerate(rows):
                        a = adjoint.pop((nid, s), None)
                        if not a:
                            continue
                        if isinstance(row, OneHot):
                            for i, arg in enumerate(args):
                                picked = row.index == i
                                into = adjoint.setdefault((arg, 0), {})
                                for r, v in a.items():
                                    _add(into, r, _contribution(picked, v))
                            continue
                        for entry, arg in zip(row, args):
                            if entry is None:
                                continue
                            into = adjoint.setdefault((arg, 0), {})
                            for r, v in a.items():
                                _add(into, r, _contribution(entry, v))
        return jac

    def replay(self, r: int, mode: str) -> np.ndarray:
        """The Jacobian at point ``r`` by the pointwise engine's accumulation (IEEE), from
        the branch every node takes at its float arguments."""
        graph = self.plan.graph
        local, structural = {}, {}
        for kind, nid, data in self.plan.steps:
            if kind != "apply":
                continue
            table, args = data
            xs = [self.values[a][0] for a in args]
            xs = [float(v[r]) if isinstance(v, np.ndarray) else float(v) for v in xs]
            undefined = [not np.isfinite(v) for v in xs]   # nan, or a float overflow: no exact argument
            if any(undefined) and not getattr(table, "lazy", False):
                continue
            exact_args = [exact(0) if u else self.plan.constants[a] if a in self.plan.constants else exact_float(v)
                          for a, v, u in zip(args, xs, undefined)]
            if not any(undefined) and not table.in_domain(exact_args):
                continue
            loc = table.at(exact_args)
            if loc.branch is not None and any(undefined[i] for i in required(table, loc.branch, len(args))):
                continue
            local[nid] = loc.jacobian
            structural[nid] = _edges(loc)
        accumulate = _forward if mode == "forward" else _reverse
        return np.array([[float_of(g) for g in row] for row in accumulate(graph, local, structural)],
                        dtype=float).reshape(len(graph.outputs), len(graph.inputs))


def _as_points(points, p: int) -> np.ndarray:
    """Points as an (N, p) float array: one point may be given flat, and with one input
    a flat array is N points."""
    x = np.asarray(points, dtype=float)
    if x.ndim == 1 and p == 1:
        x = x[:, None]
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != p:
        raise ValueError(f"points have {x.shape[-1]} coordinates, the program {p} inputs")
    return x


def compile_graph(graph: Graph, mode: str = "reverse", direction: str | None = None,
                  chunk: int | None = None, threads: int | None = None) -> Callable:
    """A function ``points (N, p) float64 -> (values (N, q), jacobians (N, q, p))``.

    ``mode``: the autodiff mode whose IEEE behaviour is replayed where a local
    derivative is not finite (elsewhere both modes give the same numbers).
    ``direction``: "forward" or "reverse" accumulation on the fast path (default: the
    cheaper one for this graph). ``chunk``: points per batch (default :func:`chunk_size`).
    ``threads``: batches evaluated at once (default :func:`default_threads`); the numbers
    do not depend on it.
    Columns follow ``graph.inputs``, rows ``graph.outputs``.

    >>> from pwverify import parse
    >>> f = compile_graph(parse("max(x, y) * 2").graph)
    >>> values, jac = f(np.array([[1.0, 3.0], [2.0, 2.0]]))
    >>> values[:, 0].tolist(), jac[:, 0, :].tolist()
    ([6.0, 4.0], [[0.0, 2.0], [2.0, 0.0]])
    """
    if mode not in ("forward", "reverse"):
        raise ValueError(f"mode must be 'forward' or 'reverse', not {mode!r}")
    plan = _Plan(graph)
    direction = direction or _direction(graph, plan.steps)
    chunk = chunk or chunk_size(graph)
    p, q = len(graph.inputs), len(graph.outputs)

    def evaluate(points):
        x = _as_points(points, p)
        n = x.shape[0]
        # filled column by column: stored (q, N) and (q, p, N), returned as (N, q) and
        # (N, q, p) views, so every store is contiguous (no transposing copy)
        values_t = np.empty((q, n))
        jac_t = np.zeros((q, p, n))      # fresh zero pages: no pass to clear them
        buffers = threading.local()   # each thread's input columns, reused across its batches
        replaying = threading.Lock()  # the pointwise replay (sympy, exact) runs in one thread at a time

        def batch(start: int) -> None:
            columns = getattr(buffers, "columns", None)
            if columns is None:
                columns = buffers.columns = np.empty((p, min(n, chunk)))
            part = _Chunk(plan, x[start:start + chunk], direction, columns=columns)
            end = start + part.n
            values = values_t[:, start:end]
            for k, o in enumerate(graph.outputs):
                values[k] = part.values[o][0]
            jac = jac_t[:, :, start:end]
            if direction == "forward":
                part.jacobian_forward(graph.outputs, jac)
            else:
                part.jacobian_reverse(graph, jac)
            undefined = np.isnan(values).any(axis=0)
            flagged = np.nonzero(part.flag & ~undefined)[0]
            if len(flagged):
                with replaying:
                    for r in flagged:
                        jac[:, :, r] = part.replay(r, mode)
            if undefined.any():
                jac[:, :, undefined] = np.nan
                values[:, undefined] = np.nan

        starts = range(0, n, chunk)
        workers = min(threads or default_threads(), len(starts) - 1)
        if workers <= 1:
            for start in starts:
                batch(start)
        else:
            # the first batch alone: the tables compile their numeric rules on first use;
            # then numpy, which releases the GIL in its loops, runs batches side by side
            batch(0)
            from concurrent.futures import ThreadPoolExecutor   # (imports logging: not at start-up)
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(batch, starts[1:]))
        return values_t.T, jac_t.transpose(2, 0, 1)

    return evaluate


def compile_directional(graph: Graph) -> Callable:
    """:func:`directional` with the walk recorded once: ``(points, direction) -> ...``."""
    plan = _Plan(graph)
    return lambda points, direction: _directional(plan, points, direction)


def directional(graph: Graph, points, direction) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values ``(N, q)``, the directional derivatives ``J d`` ``(N, q)`` along ``direction``
    (forward mode with one tangent: O(edges) per point, whatever the number of inputs), and
    the points ``(N,)`` where a local derivative is not finite (there IEEE's products depend
    on the mode: ask :func:`compile_graph`).

    >>> from pwverify import parse
    >>> values, slopes, flagged = directional(parse("relu(x) + 3 * y").graph, [[1.0, 2.0]], [1.0, -1.0])
    >>> values[:, 0].tolist(), slopes[:, 0].tolist(), flagged.tolist()
    ([7.0], [-2.0], [False])
    """
    return _directional(_Plan(graph), points, direction)


def _directional(plan: _Plan, points, direction) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    graph = plan.graph
    x = _as_points(points, len(graph.inputs))
    part = _Chunk(plan, x, "forward", np.asarray(direction, dtype=float))
    values = np.empty((part.n, len(graph.outputs)))
    slopes = np.zeros_like(values)
    for k, o in enumerate(graph.outputs):
        values[:, k] = part.values[o][0]
        if o in part.tangents:
            slopes[:, k] = part.tangents[o][0].get(0, 0.0)
    return values, slopes, part.flag


# -- a representation (pieces, no graph) ---------------------------------------------------
_COMPARE = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal,
            "==": np.equal, "!=": np.not_equal}


def _vectorised(symbols, expr) -> Callable:
    fn = sympy.lambdify(symbols, expr, modules="numpy")

    def call(*cols):
        out = fn(*cols)
        return np.broadcast_to(np.asarray(out, dtype=float), cols[0].shape) if cols else np.asarray(out, float)
    return call


def compile_representation(rep) -> Callable:
    """A function ``points -> (values (N, q), gradients (N, q, p))`` from a representation's
    pieces (lambdified; every piece's condition tested at every point); NaN where undefined."""
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
        x = _as_points(points, p)
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


__all__ = ["chunk_size", "compile_directional", "compile_graph", "compile_representation", "directional"]
