"""The public entry point: :func:`parse` a program, then ask it questions.

>>> from pwverify import parse
>>> f = parse("casestudies/boustany.py:f")
>>> f.inputs
['t']
>>> f.gradient_at({"t": 0})        # what torch's autograd returns, exactly
[[-3/2]]
>>> f.gradient_at({"t": 1})
[[0]]
>>> rep = f.representation()
>>> [str(p.describe()) for p in rep.pieces]
['t != 0', 't == 0']
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import sympy

from .frontend import ParsedProgram, parse_program
from .ir.graph import Graph
from .engines.pointwise import ADResult, ad
from .model.representation import Representation
from .core.points import normalize_point, parse_point
from .solver.smt import DEFAULT_TIMEOUT_MS


class Program:
    """A program read into a DAG; its representation is computed on demand (cached)."""

    def __init__(self, parsed: ParsedProgram, timeout_ms: int = DEFAULT_TIMEOUT_MS, options: dict | None = None):
        self.parsed = parsed
        self.timeout_ms = timeout_ms
        self._options = dict(options or {})   # how it was parsed (to read it again in another mode)
        self._modes: dict[str, Program] = {parsed.profile.mode: self}

    # -- what it is ------------------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        return self.parsed.graph

    @property
    def inputs(self) -> list[str]:
        """Scalar input names (vector entries expanded: x0, x1, ...)."""
        return list(self.parsed.input_names)

    @property
    def weights(self) -> list[str]:
        """The scalar inputs that are a module's parameters (``fc1_weight0_1``, ...)."""
        return list(self.parsed.weights)

    @property
    def checkpoint(self) -> Any:
        """The ``weights`` the program was read with (a checkpoint file or a dict of
        state_dict keys to values), or None: its parameters are then inputs."""
        return self._options.get("weights")

    @property
    def data_inputs(self) -> list[str]:
        """The scalar inputs that are not parameters (the arguments of ``forward``)."""
        weights = set(self.parsed.weights)
        return [n for n in self.inputs if n not in weights]

    def select(self, wrt: "str | Sequence[str] | None") -> list[str]:
        """The scalar inputs a selection names: ``"inputs"``, ``"weights"``, ``"both"`` (or
        None: all), or names: scalar inputs, vector or parameter names (``x``, ``fc1.weight``,
        ``fc1_weight``), entries in either spelling (``x[2]``, ``fc1.weight[0,1]``).

        >>> parse("relu(a) + b").select("b")
        ['b']
        """
        if wrt is None or wrt in ("both", "all"):
            return self.inputs
        if wrt == "inputs":
            return self.data_inputs
        if wrt == "weights":
            return self.weights
        names = _split_names(wrt) if isinstance(wrt, str) else list(wrt)
        out: list[str] = []
        for name in names:
            for entry in self._entries(name):
                if entry not in out:
                    out.append(entry)
        return out

    def _entries(self, name: str) -> list[str]:
        name = name.strip()
        groups = self.parsed.input_groups
        if name in self.inputs:
            return [name]
        if name in groups:
            return list(groups[name])
        entry = self.entry(name)
        if entry is not None:
            return [entry]
        from .core.errors import UsageError
        raise UsageError(f"{name} is not an input of the program",
                         hint="inputs, weights, both, or names among " + ", ".join(list(groups) or self.inputs))

    def entry(self, spelled: str) -> str | None:
        """The scalar input ``x[2]`` or ``fc1.weight[0, 1]`` means (None if it names none)."""
        import re
        m = re.fullmatch(r"\s*([A-Za-z_][\w.]*)\s*\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]\s*", spelled)
        if not m:
            return None
        group, index = m.group(1), tuple(int(i) for i in m.group(2).split(","))
        entries = self.parsed.input_groups.get(group)
        shape = self.parsed.input_shapes.get(group, self.parsed.weight_shapes.get(group))
        if entries is None or shape is None or len(index) != len(shape) or \
                any(not 0 <= i < n for i, n in zip(index, shape)):
            return None
        flat = 0
        for i, n in zip(index, shape):
            flat = flat * n + i
        return entries[flat]

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(sympy.Symbol(n) for n in self.inputs)

    @property
    def framework(self) -> str:
        return self.parsed.framework

    @property
    def profile(self):
        return self.parsed.profile

    @property
    def label(self) -> str:
        return self.parsed.label

    @property
    def output_shape(self) -> tuple:
        return self.parsed.output_shape

    def __repr__(self) -> str:
        return f"Program({self.label!r}, inputs={self.inputs}, framework={self.parsed.profile.name!r})"

    # -- pointwise -------------------------------------------------------------------------
    def point(self, point: Mapping[str, Any] | Sequence[Any] | str) -> dict[str, Any]:
        """An exact point from a dict, a sequence, or text such as ``"t=0"``; entries may be
        spelled ``x[2]`` or ``fc1.weight[0,1]``, parameters by their state_dict key."""
        if isinstance(point, str):
            import re

            def entry(m):
                found = self.entry(m.group(1))
                return (found if found is not None else m.group(1)) + "="
            point = re.sub(r"([A-Za-z_][\w.]*\s*\[[\d\s,]+\])\s*=", entry, point)
            if "[[" in point.replace(" ", "") or "((" in point.replace(" ", ""):
                point = _nested_point(point)  # matrices: x=[[1,2],[3,4]]
            else:
                return parse_point(point, self.inputs, self.parsed.input_groups)
        if isinstance(point, Mapping):
            point = {(self.entry(k) or k) if isinstance(k, str) else k: v for k, v in point.items()}
        return normalize_point(point, self.inputs, self.parsed.input_groups)

    @property
    def mode(self) -> str:
        """The autodiff mode the program was read for (``"reverse"`` or ``"forward"``)."""
        return self.parsed.profile.mode

    def _mode(self, mode: str | None) -> str:
        if mode is None or mode == self.mode:
            return self.mode
        from .core.errors import UsageError
        raise UsageError(f"{self.label} was read for {self.mode} mode: some primitives (torch's clamp "
                         f"with a tensor bound, prelu, fmax) follow a different rule in {mode} mode",
                         hint=f"parse(..., mode={mode!r})")

    def in_mode(self, mode: str) -> "Program":
        """The same source read for autodiff ``mode`` (a few rules differ between modes)."""
        if mode not in self._modes:
            if not self._options:
                from .core.errors import UsageError
                raise UsageError(f"{self.label} was built directly, not parsed: it cannot be read again",
                                 hint=f"parse(..., mode={mode!r})")
            self._modes[mode] = parse(self.parsed.label, **{**self._options, "mode": mode})
        return self._modes[mode]

    def ad(self, point, mode: str | None = None) -> ADResult:
        """Exact value and autodiff Jacobian at ``point`` (the pointwise engine).

        ``mode`` must be the mode the program was read for (it is fixed by :func:`parse`).
        """
        return ad(self.graph, self.point(point), self._mode(mode))

    def value_at(self, point) -> list[Any]:
        """The exact value at ``point`` (DomainError where the program is undefined)."""
        from .engines.pointwise import value
        return value(self.graph, self.point(point))

    def gradient_at(self, point, mode: str | None = None, wrt=None) -> list[list[Any]]:
        """What the framework's autodiff returns at ``point``: rows per output, one column
        per input (or per input of the selection ``wrt``, see :meth:`select`); exact, with
        ``nan`` and ``oo`` where the framework's derivative is not finite."""
        rows = self.ad(point, mode).gradient
        if wrt is None:
            return rows
        columns = [self.inputs.index(n) for n in self.select(wrt)]
        return [[row[c] for c in columns] for row in rows]

    # -- the representation ------------------------------------------------------------------
    def representation(self, merge: bool = True, simplify: bool = True, record: bool = False,
                       max_pieces: int | None = None, max_seconds: float | None = None) -> Representation:
        """The pieces of the program's function (composed node by node, pruned by SMT).

        ``max_pieces``, ``max_seconds``: raise ``DecompositionTooLarge`` beyond that many
        pieces or seconds. The
        result is cached per (merge, simplify, record): a decomposition that completed
        under one budget is the decomposition, whatever budget is asked next.
        """
        key = (merge, simplify, record)
        cache = self.__dict__.setdefault("_representations", {})
        rep = cache.get(key)
        if rep is not None and (max_pieces is None or len(rep) <= max_pieces):
            return rep
        from .engines.pieces import compose
        rep = compose(self.graph, self.symbols, timeout_ms=self.timeout_ms, merge=merge,
                      simplify=simplify, record=record, output_shape=self.output_shape,
                      groups=self.parsed.input_groups, label=self.label, max_pieces=max_pieces,
                      max_seconds=max_seconds)
        cache[key] = rep
        return rep

    @property
    def linear_graph(self):
        """The graph with its linear arithmetic in canonical ``affine`` nodes
        (:func:`pwverify.engines.linear.canonical`): the same function and autodiff, fewer
        nodes where the program sums products one by one."""
        graph = self.__dict__.get("_linear_graph")
        if graph is None:
            from .engines.linear import canonical
            graph = self.__dict__["_linear_graph"] = canonical(self.graph)
        return graph

    def directional(self, points, direction):
        """Values ``(N, q)`` and directional derivatives ``J d`` ``(N, q)`` at float64
        points, and where a local derivative is not finite ``(N,)``
        (:func:`pwverify.engines.numeric.directional`: one tangent in forward mode).

        >>> values, slopes, _ = parse("relu(x) - y").directional([[1.0, 2.0]], [1.0, 1.0])
        >>> values.tolist(), slopes.tolist()
        ([[-1.0]], [[0.0]])
        """
        compiled = self.__dict__.get("_compiled_directional")
        if compiled is None:
            from .engines.numeric import compile_directional
            compiled = self.__dict__["_compiled_directional"] = compile_directional(self.linear_graph)
        return compiled(points, direction)

    def evaluate(self, points):
        """Values and autodiff gradients at many float64 points: ``points`` is ``(N, p)``
        (or ``(N,)`` for one input), the result ``(values (N, q), gradients (N, q, p))``,
        nan where the program is undefined. The graph is walked once over the whole
        batch with every primitive's tie rule (:func:`pwverify.engines.numeric.compile_graph`);
        no decomposition is needed. Batches run on every CPU the process may use
        (``PWVERIFY_THREADS=n`` sets how many); the numbers do not depend on it.

        >>> import numpy as np
        >>> values, grads = parse("relu(t)").evaluate(np.array([-1.0, 0.0, 2.0]))
        >>> values[:, 0].tolist(), grads[:, 0, 0].tolist()
        ([0.0, 0.0, 2.0], [0.0, 0.0, 1.0])
        """
        compiled = self.__dict__.get("_compiled_graph")
        if compiled is None:
            from .engines.numeric import compile_graph
            compiled = compile_graph(self.linear_graph, self.mode)
            self.__dict__["_compiled_graph"] = compiled
        return compiled(points)


def parse(program: str, *, framework: str | None = None, shapes: Mapping[str, Any] | None = None,
          ties: Sequence[str] | None = None, mode: str = "reverse",
          timeout_ms: int = DEFAULT_TIMEOUT_MS, weights: Any = None, wrt: Any = None) -> Program:
    """Read ``"path.py:function"`` (or ``path.py:Class``, ``path.py:Class.method``,
    ``path.py:factory(0.5)``) or an expression, never executing it.

    ``framework``: the profile for framework-neutral names (``relu``, ``abs``,
    ``np.maximum``); by default the framework the program's namespaces use, else
    torch. ``shapes``: ``{"x": 4}`` for vector inputs of expressions. ``ties``:
    overrides for a custom profile, e.g. ``["relu0=1/2"]``. ``mode``: ``"reverse"``
    or ``"forward"`` autodiff where a framework's two modes differ. ``weights``: a
    checkpoint (``.safetensors``, or a ``torch.save``d state dict) or a dict fixing a
    module's parameters to exact values; without it they are inputs
    (:attr:`Program.weights`). ``wrt``: the inputs whose gradient is asked for
    (``"inputs"``, ``"weights"``, names); ``x.requires_grad`` holds for those only.
    """
    norm = {k: (tuple(v) if isinstance(v, (tuple, list)) else (int(v),)) for k, v in (shapes or {}).items()}
    options = {"framework": framework, "shapes": dict(norm), "ties": list(ties or []), "timeout_ms": timeout_ms,
               "weights": weights, "wrt": wrt}
    return Program(parse_program(program, framework, norm, list(ties or []), mode, weights, wrt), timeout_ms, options)


def _nested_point(text: str) -> dict[str, Any]:
    """``"W=[[1,0],[0,1]], t=2"`` -> ``{"W": [["1","0"],["0","1"]], "t": "2"}``."""
    from .core.errors import UsageError
    out: dict[str, Any] = {}
    for item in _split_names(text.replace("(", "[").replace(")", "]")):
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"bad point item {item!r}", hint="name=value, e.g. t=0 or W=[[1,2],[3,4]]")
        out[name.strip()] = _nested(value.strip())
    return out


def _nested(text: str) -> Any:
    if not text.startswith("["):
        return text
    if not text.endswith("]"):
        from .core.errors import UsageError
        raise UsageError(f"unbalanced brackets in {text!r}")
    return [_nested(part) for part in _split_names(text[1:-1])]


def _split_names(text: str) -> list[str]:
    """``"a, fc.weight[0,1], b"`` -> names (commas inside brackets kept)."""
    out, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            out.append(current)
            current = ""
        else:
            current += ch
    out.append(current)
    return [n.strip() for n in out if n.strip()]


def as_program(program: "Program | str", **options) -> Program:
    """A :class:`Program` as it is, or a program string parsed with ``options`` (see :func:`parse`).

    >>> as_program("relu(t)").inputs
    ['t']
    """
    if isinstance(program, Program):
        return program
    if isinstance(program, str):
        return parse(program, **options)
    raise TypeError(f"expected a Program or a program string, got {type(program).__name__}")

