"""Modules and names: each file read is a :class:`ModuleScope`; names resolve on a path.

A file's top level gives its functions, classes, constants (evaluated when first used,
so module-level code such as ``input()`` or a ``__main__`` block is left alone unless a
function reads it) and imports. An import of a sibling module of the same folder
(``from utils import minmod``, ``from . import limiters``, ``import helpers``) reads
that file with ``ast`` too; nothing is ever imported or run.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import Location, ProgramSyntaxError, UnknownNameError, UsageError
from ..primitives.conventions import is_neutral
from .weights import holds_parameters
from .objects import (DEFAULT_ALIASES, Function, QualName, State, Undefined, canonical,
                      depends_on_inputs, is_builtin)

#: Top-level packages that are frameworks or the standard library: never read as files.
KNOWN_ROOTS = {"torch", "jax", "jaxlib", "flax", "optax", "tensorflow", "keras", "numpy", "scipy", "math",
               "functools", "operator", "typing", "builtins", "numba", "itertools", "collections",
               "dataclasses", "abc", "enum", "warnings", "logging", "os", "sys", "time", "random", "copy",
               "__future__", "matplotlib", "pandas", "einops", "torchvision", "timm"}


@dataclass
class ModuleScope:
    """One file's top level, read with ``ast``."""

    filename: str
    source: str
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    assigns: dict[str, ast.AST] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    aliases: dict[str, Any] = field(default_factory=dict)  # name -> dotted name, or (scope, member)

    @property
    def folder(self) -> str | None:
        return os.path.dirname(os.path.abspath(self.filename)) if self.filename != "<expr>" else None

    @property
    def label(self) -> str:
        return os.path.splitext(os.path.basename(self.filename))[0]

    def segment(self, node: ast.AST) -> str | None:
        """The source text of a one-line ``node`` (``ast.get_source_segment`` splits the
        whole source at every call, quadratic on a file of many literals)."""
        lines = self.__dict__.get("_lines")
        if lines is None:
            lines = self.__dict__["_lines"] = [line.encode() for line in self.source.splitlines()]
        if getattr(node, "end_lineno", None) != getattr(node, "lineno", None) or not 0 < node.lineno <= len(lines):
            return ast.get_source_segment(self.source, node)
        return lines[node.lineno - 1][node.col_offset:node.end_col_offset].decode()


@dataclass(frozen=True)
class ModuleRef:
    """A sibling module imported by the program (``import helpers``): its names by attribute."""

    scope: ModuleScope

    def __hash__(self):
        return id(self.scope)

    def describe_value(self) -> str:
        return f"the module {self.scope.label}"


def read_source(path: str) -> str:
    """A file's text (a UTF-8 byte-order mark is skipped)."""
    if not os.path.exists(path):
        raise UsageError(f"no such file: {path}", hint="PROGRAM is path.py:function or an expression")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def parse_source(source: str, filename: str, mode: str = "exec") -> ast.AST:
    try:
        return ast.parse(source, filename=filename, mode=mode)
    except SyntaxError as exc:
        loc = Location(filename, exc.lineno or 1, (exc.offset or 1))
        raise ProgramSyntaxError(f"invalid Python syntax: {exc.msg}", loc,
                                 "a Python function or expression") from None


class NamesMixin:
    """Module scopes (the current one is :attr:`scope`) and the lookup of a name on a path."""

    @property
    def source(self) -> str:
        return self.scope.source

    @property
    def filename(self) -> str:
        return self.scope.filename

    # aliases of the main module's tables (kept for callers that read them)
    @property
    def functions(self) -> dict:
        return self.scope.functions

    @property
    def aliases(self) -> dict:
        return self.scope.aliases

    def read_module(self, tree: ast.Module, scope: ModuleScope) -> ModuleScope:
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef):
                scope.functions[stmt.name] = stmt
            elif isinstance(stmt, ast.ClassDef):
                scope.classes[stmt.name] = stmt
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._import(stmt, scope)
            elif isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
                for t in stmt.targets:
                    scope.assigns[t.id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
                scope.assigns[stmt.target.id] = stmt.value
            elif isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
                continue
            # Anything else at module level (prints, loops, try blocks) is not part of any
            # analysed function and is ignored; it is never run.
        return scope

    def _import(self, stmt: ast.Import | ast.ImportFrom, scope: ModuleScope | None = None) -> None:
        scope = scope or self.scope
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                sibling = self._sibling(alias.name, 0, scope)
                if sibling is not None:
                    scope.aliases[alias.asname or alias.name.split(".")[0]] = ModuleRef(sibling)
                elif alias.asname:
                    scope.aliases[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    scope.aliases[head] = head
            return
        module = stmt.module or ""
        for alias in stmt.names:
            target = alias.asname or alias.name
            if alias.name == "*":
                sibling = self._sibling(module, stmt.level, scope)
                if sibling is not None:
                    for name in list(sibling.functions) + list(sibling.classes) + list(sibling.assigns):
                        scope.aliases.setdefault(name, (sibling, name))
                continue
            sibling = self._sibling(module, stmt.level, scope) if module else None
            if sibling is not None:
                scope.aliases[target] = (sibling, alias.name)
                continue
            sub = self._sibling(f"{module}.{alias.name}" if module else alias.name, stmt.level, scope)
            if sub is not None:
                scope.aliases[target] = ModuleRef(sub)
            else:
                scope.aliases[target] = f"{module}.{alias.name}"

    def _sibling(self, dotted: str, level: int, scope: ModuleScope) -> ModuleScope | None:
        """The file a module name means in the importing file's folder (None: not a file)."""
        folder = scope.folder
        if folder is None or not dotted and not level:
            return None
        parts = dotted.split(".") if dotted else []
        if not level and parts and parts[0] in KNOWN_ROOTS:
            return None
        for _ in range(max(level - 1, 0)):
            folder = os.path.dirname(folder)
        base = os.path.join(folder, *parts)
        for path in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(path):
                return self.module_scope(path)
        return None

    def module_scope(self, path: str) -> ModuleScope:
        """The scope of a file, read once."""
        key = os.path.abspath(path)
        if key not in self.scopes:
            source = read_source(path)
            scope = ModuleScope(path, source)
            self.scopes[key] = scope
            self.read_module(parse_source(source, path), scope)
        return self.scopes[key]

    def module_value(self, name: str, scope: ModuleScope | None = None) -> Any:
        scope = scope or self.scope
        if name not in scope.values:
            node = scope.assigns[name]
            scope.values[name] = None  # guards against self-reference
            saved, self.scope = self.scope, scope
            try:
                value = self.eval(node, State({}))
            finally:
                self.scope = saved
            if depends_on_inputs(value):
                self.fail(node, f"module-level {name!r} must be a constant")
            if self.on_parameters is not None and holds_parameters(value):
                self.on_parameters(value, f"{name}.")
            scope.values[name] = value
        return scope.values[name]

    def member(self, scope: ModuleScope, name: str, node: ast.AST) -> Any:
        """A top-level name of a module scope (a function, a class, a constant, an import)."""
        if name in scope.functions:
            return self.decorate(Function(scope.functions[name], scope=scope))
        if name in scope.classes:
            return self.class_value(scope.classes[name], scope)
        if name in scope.assigns:
            return self.module_value(name, scope)
        if name in scope.aliases:
            return self._alias_value(scope.aliases[name], node)
        self.fail(node, f"{scope.filename} defines no top-level name {name!r}", kind=UnknownNameError)

    def _alias_value(self, alias: Any, node: ast.AST) -> Any:
        if isinstance(alias, ModuleRef):
            return alias
        if isinstance(alias, tuple):
            return self.member(alias[0], alias[1], node)
        return self.named_value(canonical(alias))

    def lookup(self, name: str, state: State, node: ast.AST) -> Any:
        if name in state.env:
            value = state.env[name]
            if isinstance(value, Undefined):
                self.fail(node, f"{name!r} is assigned on only some paths of an if that depends "
                                f"on the inputs", "assign it in every branch")
            return value
        scope = self.scope
        if name in scope.functions or name in scope.classes or name in scope.assigns:
            return self.member(scope, name, node)
        if name in scope.aliases:
            return self._alias_value(scope.aliases[name], node)
        if is_builtin(name):
            return QualName(f"builtins.{name}")
        if name in DEFAULT_ALIASES:
            return QualName(DEFAULT_ALIASES[name])
        if is_neutral(name):
            return QualName(name)
        self.fail(node, f"unknown name {name!r}",
                  "inputs, local variables, functions and classes of this file or of a sibling module, "
                  "framework namespaces (torch, F, jnp, tf, np, math) and bare relu/abs/exp/log/sqrt/"
                  "maximum/...", kind=UnknownNameError)


def _is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__")
