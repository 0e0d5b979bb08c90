"""Reading a module's top level (functions, constants, imports) and resolving names."""

from __future__ import annotations

import ast
from typing import Any

from ..core.errors import UnknownNameError
from ..primitives.conventions import is_neutral
from .objects import (DEFAULT_ALIASES, Function, QualName, State, Undefined, canonical,
                      depends_on_inputs, is_builtin)


class NamesMixin:
    """Module-level definitions and the lookup of a name on a path."""

    def _read_module(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef):
                self.functions[stmt.name] = stmt
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._import(stmt)
            elif isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
                for t in stmt.targets:
                    self.module_assigns[t.id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
                self.module_assigns[stmt.target.id] = stmt.value
            # Anything else at module level (a __main__ block, prints, classes) is not
            # part of any analysed function and is ignored; it is never run.

    def _import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    self.aliases[head] = head
        else:
            module = stmt.module or ""
            for alias in stmt.names:
                self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"

    def module_value(self, name: str) -> Any:
        if name not in self.module_values:
            node = self.module_assigns[name]
            self.module_values[name] = None  # guards against self-reference
            value = self.eval(node, State({}))
            if depends_on_inputs(value):
                self.fail(node, f"module-level {name!r} must be a constant")
            self.module_values[name] = value
        return self.module_values[name]

    def lookup(self, name: str, state: State, node: ast.AST) -> Any:
        if name in state.env:
            value = state.env[name]
            if isinstance(value, Undefined):
                self.fail(node, f"{name!r} is assigned on only some paths of an if that depends "
                                f"on the inputs", "assign it in every branch")
            return value
        if name in self.functions:
            return Function(self.functions[name])
        if name in self.module_assigns:
            return self.module_value(name)
        if name in self.aliases:
            return QualName(canonical(self.aliases[name]))
        if is_builtin(name):
            return QualName(f"builtins.{name}")
        if name in DEFAULT_ALIASES:
            return QualName(DEFAULT_ALIASES[name])
        if is_neutral(name):
            return QualName(name)
        self.fail(node, f"unknown name {name!r}",
                  "inputs, local variables, functions of this file, framework namespaces "
                  "(torch, F, jnp, tf, np, math) and bare relu/abs/exp/log/sqrt/maximum/...",
                  kind=UnknownNameError)
