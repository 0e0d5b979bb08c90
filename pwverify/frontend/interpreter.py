"""Abstract interpretation of Python syntax into the IR (the analysed code never runs).

The interpreter walks the ``ast`` of a function. Values that do not depend on the
inputs (loop counters, shapes, constants) are computed exactly; everything else
becomes nodes of the graph through the :class:`~pwverify.frontend.builder.Builder`.
Its concerns live in one mixin each:

* :mod:`.names`: the module's top level (functions, constants, imports) and name lookup;
* :mod:`.statements`: assignments, ``if`` (both branches joined by ``select``), loops;
* :mod:`.expressions`: constants, containers, attributes, indexing, comprehensions;
* :mod:`.operators`: arithmetic, ``@``, comparisons, truth values;
* :mod:`.calls`: inlining the file's functions, decorators, and every other call through
  the registry;
* :mod:`.classes`: classes of the analysed files, instances, ``nn.Module`` and its layers.

Calls registered in :mod:`pwverify.primitives` receive the builder; the builder reaches
back to the interpreter (its ``host``) for the program's own arithmetic, iteration and
calls (``sum``, ``functools.reduce``).
"""

from __future__ import annotations

import ast
import os
from typing import Any

from ..core.errors import Location, UnsupportedError
from ..ir.values import Sym
from .builder import Builder
from .calls import CallsMixin
from .classes import ClassesMixin
from .expressions import ExpressionsMixin
from .names import ModuleScope, NamesMixin
from .objects import (DEFAULT_ALIASES, BoundMethod, Function, QualName, State, Undefined, canonical,
                      is_builtin)
from .operators import OperatorsMixin
from .statements import StatementsMixin


class Interpreter(NamesMixin, StatementsMixin, ExpressionsMixin, OperatorsMixin, CallsMixin, ClassesMixin):
    """Reads one module's syntax; :meth:`call_function` builds a function's graph."""

    def __init__(self, tree: ast.Module | None, source: str, filename: str, builder: Builder):
        self.b = builder
        builder.host = self
        self.scopes: dict[str, ModuleScope] = {}
        self.scope = ModuleScope(filename, source)
        self.classes_read: dict[int, Any] = {}
        self.method_stack: list[tuple[Any, Any]] = []
        self.inline_stack: list[str] = []
        self.symbolic_depth = 0
        self.no_grad_depth = 0
        self.loop_depths: list[int] = []
        #: the inputs whose gradient is asked for (None: all); ``x.requires_grad`` reads it
        self.selection: Any = None
        #: checkpoint values of parameters (state_dict key -> array), or None
        self.weight_source: dict | None = None
        #: called with (module, prefix) to name and materialize the parameters it holds
        self.on_parameters: Any = None
        self.reading: Any = None
        if tree is not None:
            if filename != "<expr>":
                self.scopes[os.path.abspath(filename)] = self.scope
            self.read_module(tree, self.scope)

    # -- locations and errors ------------------------------------------------------------
    def loc(self, node: ast.AST | None) -> Location:
        if node is None:
            return self.b.location or Location(self.filename, 1, 1)
        try:
            return node._pwverify_location  # an AST node belongs to one file: made once
        except AttributeError:
            pass
        where = Location(self.filename, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)
        try:
            node._pwverify_location = where
        except AttributeError:  # an AST node made on the fly may not take attributes
            pass
        return where

    def fail(self, node: ast.AST | None, message: str, hint: str | None = None, kind=UnsupportedError):
        raise kind(message, self.loc(node), hint)

    def detach(self, value: Any) -> Any:
        return self.b.detach(value)

    def is_selected(self, name: str) -> bool:
        """Is the input ``name`` among those whose gradient is asked for (``wrt``)?"""
        sel = self.selection
        weights = set(self.reading.weights) if self.reading is not None else set()
        if sel in (None, "all", "both"):
            return True
        if sel == "inputs":
            return name not in weights
        if sel == "weights":
            return name in weights
        names = [s.strip() for s in sel.split(",")] if isinstance(sel, str) else list(sel)
        groups = self.reading.groups if self.reading is not None else {}
        return any(name == n or name in groups.get(n, ()) for n in names)

    def depends_on_selected(self, value: Sym) -> bool:
        """Does a value depend on an input whose gradient is asked for?"""
        graph = self.b.graph
        stack, seen = [value.nid], set()
        while stack:
            nid = stack.pop()
            if nid in seen:
                continue
            seen.add(nid)
            node = graph.nodes[nid]
            if node.op == "input":
                if self.is_selected(node.params[0]):
                    return True
            elif node.op != "stop_gradient":
                stack.extend(node.args)
        return False


__all__ = ["Interpreter", "State", "Function", "QualName", "BoundMethod", "Undefined", "DEFAULT_ALIASES",
           "canonical", "is_builtin"]
