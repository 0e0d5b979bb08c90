"""Abstract interpretation of Python syntax into the IR (the analysed code never runs).

The interpreter walks the ``ast`` of a function. Values that do not depend on the
inputs (loop counters, shapes, constants) are computed exactly; everything else
becomes nodes of the graph through the :class:`~pwverify.frontend.builder.Builder`.
Its concerns live in one mixin each:

* :mod:`.names`: the module's top level (functions, constants, imports) and name lookup;
* :mod:`.statements`: assignments, ``if`` (both branches joined by ``select``), loops;
* :mod:`.expressions`: constants, containers, attributes, indexing, comprehensions;
* :mod:`.operators`: arithmetic, ``@``, comparisons, truth values;
* :mod:`.calls`: inlining the file's functions, and every other call through the registry.

Calls registered in :mod:`pwverify.primitives` receive the builder; the builder reaches
back to the interpreter (its ``host``) for the program's own arithmetic, iteration and
calls (``sum``, ``functools.reduce``).
"""

from __future__ import annotations

import ast

from ..core.errors import Location, UnsupportedError
from .builder import Builder
from .calls import CallsMixin
from .expressions import ExpressionsMixin
from .names import NamesMixin
from .objects import (DEFAULT_ALIASES, BoundMethod, Function, QualName, State, Undefined, canonical,
                      is_builtin)
from .operators import OperatorsMixin
from .statements import StatementsMixin


class Interpreter(NamesMixin, StatementsMixin, ExpressionsMixin, OperatorsMixin, CallsMixin):
    """Reads one module's syntax; :meth:`call_function` builds a function's graph."""

    def __init__(self, tree: ast.Module | None, source: str, filename: str, builder: Builder):
        self.source = source
        self.filename = filename
        self.b = builder
        builder.host = self
        self.functions: dict[str, ast.FunctionDef] = {}
        self.module_assigns: dict[str, ast.AST] = {}
        self.module_values: dict = {}
        self.aliases: dict[str, str] = {}
        self.inline_stack: list[str] = []
        self.symbolic_depth = 0
        self.loop_depths: list[int] = []
        if tree is not None:
            self._read_module(tree)

    # -- locations and errors ------------------------------------------------------------
    def loc(self, node: ast.AST | None) -> Location:
        if node is None:
            return self.b.location or Location(self.filename, 1, 1)
        return Location(self.filename, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)

    def fail(self, node: ast.AST | None, message: str, hint: str | None = None, kind=UnsupportedError):
        raise kind(message, self.loc(node), hint)


__all__ = ["Interpreter", "State", "Function", "QualName", "BoundMethod", "Undefined", "DEFAULT_ALIASES",
           "canonical", "is_builtin"]
