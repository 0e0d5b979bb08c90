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
        """An exact point from a dict, a sequence, or text such as ``"t=0"``."""
        if isinstance(point, str):
            return parse_point(point, self.inputs, self.parsed.input_groups)
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

    def gradient_at(self, point, mode: str | None = None) -> list[list[Any]]:
        """What the framework's autodiff returns at ``point``: rows per output (exact; ``nan``
        and ``oo`` where the framework's derivative is not finite)."""
        return self.ad(point, mode).gradient

    # -- the representation ------------------------------------------------------------------
    def representation(self, merge: bool = True, simplify: bool = True, record: bool = False,
                       max_pieces: int | None = None) -> Representation:
        """The pieces of the program's function (composed node by node, pruned by SMT).

        ``max_pieces``: raise ``DecompositionTooLarge`` beyond that many pieces. The
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
                      groups=self.parsed.input_groups, label=self.label, max_pieces=max_pieces)
        cache[key] = rep
        return rep

    def evaluate(self, points):
        """Values and associated gradients at many points, compiled with lambdify.

        >>> import numpy as np
        >>> values, grads = parse("relu(t)").evaluate(np.array([-1.0, 0.0, 2.0]))
        >>> values[:, 0].tolist(), grads[:, 0, 0].tolist()
        ([0.0, 0.0, 2.0], [0.0, 0.0, 1.0])
        """
        from .engines.numeric import compile_representation
        return compile_representation(self.representation())(points)


def parse(program: str, *, framework: str | None = None, shapes: Mapping[str, Any] | None = None,
          ties: Sequence[str] | None = None, mode: str = "reverse",
          timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Program:
    """Read ``"path.py:function"`` or an expression (never executing it).

    ``framework``: the profile for framework-neutral names (``relu``, ``abs``,
    ``np.maximum``); by default the framework the program's namespaces use, else
    torch. ``shapes``: ``{"x": 4}`` for vector inputs of expressions. ``ties``:
    overrides for a custom profile, e.g. ``["relu0=1/2"]``. ``mode``: ``"reverse"``
    or ``"forward"`` autodiff where a framework's two modes differ.
    """
    norm = {k: (tuple(v) if isinstance(v, (tuple, list)) else (int(v),)) for k, v in (shapes or {}).items()}
    options = {"framework": framework, "shapes": dict(norm), "ties": list(ties or []), "timeout_ms": timeout_ms}
    return Program(parse_program(program, framework, norm, list(ties or []), mode), timeout_ms, options)


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

