"""Abstract interpretation of Python syntax into the IR (the analysed code never runs).

The interpreter walks the ``ast`` of a function. Values that do not depend on the
inputs (loop counters, shapes, constants) are computed exactly; everything else
becomes nodes of the graph through the :class:`~pwverify.frontend.builder.Builder`.

* ``if`` on a condition that depends on the inputs runs both branches and joins
  every variable that differs with one ``select`` node; an early ``return`` under
  such a condition is tracked as a guard, so the rest of the function describes the
  paths that did not return.
* ``for`` loops over ``range`` with constant bounds, lists, tuples and tensors are
  unrolled; ``while`` loops are unrolled while their condition is a constant.
* calls to functions of the same file (and lambdas) are inlined.
* float literals are read from their source text: ``0.1`` is exactly 1/10.
"""

from __future__ import annotations

import ast
import builtins
import operator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

from ..primitives.conventions import is_neutral, neutral_frameworks, resolve_name
from ..core.errors import (ArityError, FrameworkError, Location, PwverifyError, UnknownNameError, UnsupportedError)
from ..primitives import registry
from ..primitives.arith import power_params
from .builder import ArgIndex, Builder, IndexedResult, Module
from ..ir.values import (Array, Cond, Infinity, ShapeError, Sym, cond_and, cond_not, cond_or, elementwise,
                     is_number, is_scalar)

MAX_UNROLL = 100_000
#: Names of +infinity (allowed only as a parameter: a reduction's initial value, a norm's order).
_INFINITY = {"math.inf", "numpy.inf", "jax.numpy.inf", "torch.inf"}
MAX_INLINE_DEPTH = 64

#: Import aliases understood without an import statement (expression programs).
DEFAULT_ALIASES = {
    "torch": "torch", "F": "torch.nn.functional", "nn": "torch.nn", "jnp": "jax.numpy",
    "jax": "jax", "lax": "jax.lax", "tf": "tensorflow", "np": "numpy", "math": "math",
    "functools": "functools", "keras": "keras",
}
#: Module paths that are namespaces (attribute access continues, calls resolve).
_CANONICAL_MODULES = {"torch.nn.functional", "torch.nn", "torch", "jax.numpy", "jax.nn", "jax.lax",
                      "jax", "tensorflow", "tensorflow.math", "tensorflow.nn", "numpy", "math",
                      "functools", "keras", "keras.activations", "keras.ops", "operator"}

_SUPPORTED_STATEMENTS = ("assignments, if/elif/else, for over range(N)/lists/tensors, "
                         "return, pass, nested function definitions")
_SUPPORTED_EXPRESSIONS = ("+ - * / ** @, comparisons, and/or/not, x if c else y, calls, "
                          "indexing, lists, tuples, comprehensions")


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass(frozen=True)
class QualName:
    """A namespace or a function reached through one (``torch.nn.functional.relu``)."""

    name: str


@dataclass(frozen=True)
class Builtin:
    name: str


@dataclass
class Function:
    """A function of the analysed file (or a lambda), inlined where it is called."""

    node: ast.FunctionDef | ast.Lambda
    closure: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return getattr(self.node, "name", "<lambda>")


@dataclass(frozen=True)
class BoundMethod:
    receiver: Any
    name: str


@dataclass(frozen=True)
class Undefined:
    """A variable assigned on only some paths of an ``if``."""

    name: str


@dataclass
class State:
    env: dict[str, Any]
    returned: Any = False     # False, True, or a Cond: where the function has returned
    value: Any = None         # the returned value (meaningful where `returned` holds)

    def copy(self) -> "State":
        return State(dict(self.env), self.returned, self.value)


class Interpreter:
    """Reads one module's syntax; :meth:`call_function` builds a function's graph."""

    def __init__(self, tree: ast.Module | None, source: str, filename: str, builder: Builder):
        self.source = source
        self.filename = filename
        self.b = builder
        self.functions: dict[str, ast.FunctionDef] = {}
        self.module_assigns: dict[str, ast.AST] = {}
        self.module_values: dict[str, Any] = {}
        self.aliases: dict[str, str] = {}
        self.inline_stack: list[str] = []
        self.symbolic_depth = 0
        self.loop_depths: list[int] = []
        if tree is not None:
            self._read_module(tree)

    # -- locations and errors ------------------------------------------------------------
    def loc(self, node: ast.AST) -> Location:
        return Location(self.filename, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)

    def fail(self, node: ast.AST, message: str, hint: str | None = None, kind=UnsupportedError):
        raise kind(message, self.loc(node), hint)

    # -- module level --------------------------------------------------------------------
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
            if _depends_on_inputs(value):
                self.fail(node, f"module-level {name!r} must be a constant")
            self.module_values[name] = value
        return self.module_values[name]

    # -- names ---------------------------------------------------------------------------
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
            return QualName(_canonical(self.aliases[name]))
        if name in _BUILTINS:
            return Builtin(name)
        if name in DEFAULT_ALIASES:
            return QualName(DEFAULT_ALIASES[name])
        if is_neutral(name):
            return QualName(name)
        self.fail(node, f"unknown name {name!r}",
                  "inputs, local variables, functions of this file, framework namespaces "
                  "(torch, F, jnp, tf, np, math) and bare relu/abs/exp/log/sqrt/maximum/...",
                  kind=UnknownNameError)

    # -- functions -----------------------------------------------------------------------
    def call_function(self, fn: Function, positional: list, keywords: dict, node: ast.AST) -> Any:
        if len(self.inline_stack) >= MAX_INLINE_DEPTH or fn.name in self.inline_stack[-8:] and \
                self.inline_stack.count(fn.name) > 16:
            self.fail(node, f"recursive call of {fn.name!r}", "calls to non-recursive functions")
        env = dict(fn.closure)
        env.update(self._bind(fn, positional, keywords, node))
        self.inline_stack.append(fn.name)
        saved_depth, saved_loops = self.symbolic_depth, self.loop_depths
        self.symbolic_depth, self.loop_depths = 0, []
        try:
            if isinstance(fn.node, ast.Lambda):
                return self.eval(fn.node.body, State(env))
            state = State(env)
            self.exec_block(fn.node.body, state)
            if state.returned is True:
                return state.value
            if state.returned is False:
                return None
            self.fail(fn.node, f"function {fn.name!r} does not return a value on every path",
                      "a return at the end of the function")
        finally:
            self.inline_stack.pop()
            self.symbolic_depth, self.loop_depths = saved_depth, saved_loops

    def _bind(self, fn: Function, positional: list, keywords: dict, node: ast.AST) -> dict:
        a = fn.node.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
            self.fail(fn.node, f"function {fn.name!r} uses *args, **kwargs or keyword-only arguments",
                      "plain positional parameters with optional defaults")
        names = [p.arg for p in a.args]
        defaults = dict(zip(names[len(names) - len(a.defaults):], a.defaults))
        if len(positional) > len(names):
            self.fail(node, f"{fn.name}() takes {len(names)} arguments but {len(positional)} were given",
                      kind=ArityError)
        env = dict(zip(names, positional))
        for k, v in keywords.items():
            if k not in names:
                self.fail(node, f"{fn.name}() got an unexpected keyword argument {k!r}", kind=ArityError)
            if k in env:
                self.fail(node, f"{fn.name}() got multiple values for {k!r}", kind=ArityError)
            env[k] = v
        for n in names:
            if n not in env:
                if n not in defaults:
                    self.fail(node, f"{fn.name}() is missing the argument {n!r}", kind=ArityError)
                env[n] = self.eval(defaults[n], State({}))
        return env

    # -- statements ----------------------------------------------------------------------
    def exec_block(self, stmts: list[ast.stmt], state: State) -> None:
        for stmt in stmts:
            if state.returned is True:
                return
            self.exec(stmt, state)

    def exec(self, stmt: ast.stmt, state: State) -> None:
        method = getattr(self, f"_exec_{type(stmt).__name__}", None)
        if method is None:
            self.fail(stmt, f"{_describe_stmt(stmt)} is not supported", _SUPPORTED_STATEMENTS)
        method(stmt, state)

    def _exec_Expr(self, stmt: ast.Expr, state: State) -> None:
        value = stmt.value
        if isinstance(value, ast.Constant):
            return  # a docstring
        if isinstance(value, ast.Call):
            func = value.func
            if isinstance(func, ast.Name) and func.id == "print":
                return  # output has no effect on the computed function
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                    func.attr in ("append", "extend", "insert"):
                receiver = self.lookup(func.value.id, state, func.value)
                if isinstance(receiver, list):
                    args = [self.eval(a, state) for a in value.args]
                    new = list(receiver)
                    if func.attr == "append" and len(args) == 1:
                        new.append(args[0])
                    elif func.attr == "extend" and len(args) == 1:
                        new.extend(self.b.iterate(args[0]))
                    elif func.attr == "insert" and len(args) == 2:
                        new.insert(self._concrete_int(args[0], value), args[1])
                    else:
                        self.fail(value, f"{func.attr}() with {len(args)} arguments", kind=ArityError)
                    state.env[func.value.id] = new
                    return
        self.eval(value, state)  # evaluated for its errors; the value is discarded

    def _exec_Pass(self, stmt, state) -> None:
        pass

    def _exec_Assign(self, stmt: ast.Assign, state: State) -> None:
        value = self.eval(stmt.value, state)
        for target in stmt.targets:
            self.assign(target, value, state)

    def _exec_AnnAssign(self, stmt: ast.AnnAssign, state: State) -> None:
        if stmt.value is not None:
            self.assign(stmt.target, self.eval(stmt.value, state), state)

    def _exec_AugAssign(self, stmt: ast.AugAssign, state: State) -> None:
        load = _as_load(stmt.target)
        current = self.eval(load, state)
        value = self.binop(stmt.op, current, self.eval(stmt.value, state), stmt)
        self.assign(stmt.target, value, state)

    def assign(self, target: ast.expr, value: Any, state: State) -> None:
        if isinstance(target, ast.Name):
            state.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self._unpack(value, len(target.elts), target)
            for t, v in zip(target.elts, items):
                self.assign(t, v, state)
        elif isinstance(target, ast.Subscript):
            container = self.eval(_as_load(target.value), state)
            key = self.eval_index(target.slice, state)
            self.assign(target.value, self._set_item(container, key, value, target), state)
        elif isinstance(target, ast.Starred):
            self.fail(target, "starred assignment is not supported", "a, b = pair")
        else:
            self.fail(target, f"assignment to {type(target).__name__} is not supported",
                      "names, tuples of names, x[i] = v")

    def _unpack(self, value: Any, n: int, node: ast.AST) -> list:
        if isinstance(value, IndexedResult):
            value = (value.values, _IndicesPlaceholder(value))
        if isinstance(value, Array):
            value = value.iterate()
        if not isinstance(value, (list, tuple)):
            self.fail(node, f"cannot unpack {_kind(value)}")
        if len(value) != n:
            self.fail(node, f"cannot unpack {len(value)} values into {n} names", kind=ArityError)
        return list(value)

    def _set_item(self, container: Any, key: Any, value: Any, node: ast.AST) -> Any:
        if isinstance(container, list):
            index = self._concrete_index(key, node)
            new = list(container)
            try:
                new[index] = value
            except (IndexError, TypeError) as exc:
                self.fail(node, f"list assignment: {exc}")
            return new
        if isinstance(container, Array):
            keys = key if isinstance(key, tuple) else (key,)
            try:
                return container.set_index(tuple(self._concrete_index(k, node) for k in keys), value)
            except (ShapeError, IndexError) as exc:
                self.fail(node, f"tensor assignment: {exc}")
        self.fail(node, f"item assignment on {_kind(container)} is not supported", "lists and tensors")

    def _exec_Return(self, stmt: ast.Return, state: State) -> None:
        value = self.eval(stmt.value, state) if stmt.value is not None else None
        if state.returned is False:
            state.value = value
        else:
            state.value = self.merge(state.returned, [(state.value, value)], stmt)[0]
        state.returned = True

    def _exec_If(self, stmt: ast.If, state: State) -> None:
        test = self.truth(self.eval(stmt.test, state), stmt.test)
        if isinstance(test, bool):
            self.exec_block(stmt.body if test else stmt.orelse, state)
            return
        self.symbolic_depth += 1
        try:
            then_state, else_state = state.copy(), state.copy()
            self.exec_block(stmt.body, then_state)
            self.exec_block(stmt.orelse, else_state)
        finally:
            self.symbolic_depth -= 1
        self._join(test, then_state, else_state, state, stmt)

    def _join(self, test: Cond, a: State, b: State, into: State, node: ast.AST) -> None:
        """Merge the states after the two branches of an if on ``test``."""
        returned = cond_or([cond_and([test, a.returned]), cond_and([cond_not(test), b.returned])])
        pairs: list[tuple[Any, Any]] = []
        names: list[str] = []
        if a.returned is True:
            env = dict(b.env)
        elif b.returned is True:
            env = dict(a.env)
        else:
            env = {}
            for name in list(a.env) + [n for n in b.env if n not in a.env]:
                if name in a.env and name in b.env:
                    va, vb = a.env[name], b.env[name]
                    if _identical(va, vb):
                        env[name] = va
                    else:
                        names.append(name)
                        pairs.append((va, vb))
                else:
                    env[name] = Undefined(name)
        value = None
        if a.returned is not False and b.returned is not False:
            pairs.append((a.value, b.value))
        elif a.returned is not False:
            value = a.value
        elif b.returned is not False:
            value = b.value
        merged = self.merge(test, pairs, node, names) if pairs else []
        for name, v in zip(names, merged):
            env[name] = v
        if a.returned is not False and b.returned is not False:
            value = merged[-1]
        into.env, into.returned, into.value = env, returned, value

    def merge(self, test: Any, pairs: list[tuple[Any, Any]], node: ast.AST,
              names: list[str] | None = None) -> list[Any]:
        """Join values pairwise under ``test``: all differing scalars in one select node."""
        thens: list[Any] = []
        elses: list[Any] = []
        shapes = []
        for i, (va, vb) in enumerate(pairs):
            label = (names[i] if names and i < len(names) else "the returned value")
            shapes.append(self._flatten_pair(va, vb, thens, elses, node, label, test))
        self.b.location = self.loc(node)
        chosen = iter(self.b.select(test, thens, elses, lazy=True)) if thens else iter(())
        return [rebuild(chosen) for rebuild in shapes]

    def _flatten_pair(self, va, vb, thens, elses, node, label, test) -> Callable:
        if _identical(va, vb):
            return lambda it: va
        if isinstance(va, (Cond, bool)) and isinstance(vb, (Cond, bool)):
            joined = cond_or([cond_and([test, va]), cond_and([cond_not(test), vb])])
            return lambda it: joined
        if (is_scalar(va) or _is_0d(va)) and (is_scalar(vb) or _is_0d(vb)):
            thens.append(self.b.scalar(va))
            elses.append(self.b.scalar(vb))
            return lambda it: next(it)
        if isinstance(va, Array) or isinstance(vb, Array):
            aa = va if isinstance(va, Array) else self._as_array(va, node)
            bb = vb if isinstance(vb, Array) else self._as_array(vb, node)
            if aa.shape != bb.shape:
                self.fail(node, f"{label} is a tensor of shape {aa.shape} in one branch and "
                                f"{bb.shape} in the other", "the same shape in both branches")
            thens.extend(aa.items)
            elses.extend(bb.items)
            n = aa.size
            return lambda it: aa.with_items([next(it) for _ in range(n)])
        if isinstance(va, (list, tuple)) and isinstance(vb, (list, tuple)) and \
                type(va) is type(vb) and len(va) == len(vb):
            parts = [self._flatten_pair(x, y, thens, elses, node, label, test) for x, y in zip(va, vb)]
            kind = type(va)
            return lambda it: kind(p(it) for p in parts)
        self.fail(node, f"{label} is {_kind(va)} in one branch and {_kind(vb)} in the other",
                  "values of the same kind and shape in both branches")

    def _exec_For(self, stmt: ast.For, state: State) -> None:
        if stmt.orelse:
            self.fail(stmt, "for ... else is not supported", "a plain for loop")
        iterable = self.eval(stmt.iter, state)
        if isinstance(iterable, (Sym, Cond)):
            self.fail(stmt.iter, "the loop runs over a value that depends on the inputs",
                      "for over range(N) with a constant N, lists, tuples, tensors")
        items = self._iterate(iterable, stmt.iter)
        if len(items) > MAX_UNROLL:
            self.fail(stmt, f"the loop has {len(items)} iterations, more than {MAX_UNROLL}")
        self.loop_depths.append(self.symbolic_depth)
        try:
            for item in items:
                self.assign(stmt.target, item, state)
                if self._iteration(stmt.body, state):
                    break
        except _Break:
            pass
        finally:
            self.loop_depths.pop()

    def _exec_While(self, stmt: ast.While, state: State) -> None:
        if stmt.orelse:
            self.fail(stmt, "while ... else is not supported")
        self.loop_depths.append(self.symbolic_depth)
        try:
            for _ in range(MAX_UNROLL + 1):
                test = self.truth(self.eval(stmt.test, state), stmt.test)
                if not isinstance(test, bool):
                    self.fail(stmt, "while loops whose condition depends on the inputs are not supported",
                              "for i in range(N) with a constant N")
                if not test or self._iteration(stmt.body, state):
                    return
            self.fail(stmt, f"the while loop did not stop within {MAX_UNROLL} iterations",
                      "a loop with a constant bound")
        except _Break:
            pass
        finally:
            self.loop_depths.pop()

    def _iteration(self, body: list[ast.stmt], state: State) -> bool:
        """Run one loop iteration (``continue`` ends it); True when the function returned."""
        try:
            self.exec_block(body, state)
        except _Continue:
            pass
        return state.returned is True

    def _loop_control(self, stmt: ast.stmt, exc: type) -> None:
        if not self.loop_depths:
            self.fail(stmt, f"'{type(stmt).__name__.lower()}' outside a loop")
        if self.symbolic_depth > self.loop_depths[-1]:
            self.fail(stmt, f"'{type(stmt).__name__.lower()}' under a condition that depends on the inputs",
                      "an if/else that assigns the value instead of leaving the loop")
        raise exc()

    def _exec_Break(self, stmt, state) -> None:
        self._loop_control(stmt, _Break)

    def _exec_Continue(self, stmt, state) -> None:
        self._loop_control(stmt, _Continue)

    def _exec_FunctionDef(self, stmt: ast.FunctionDef, state: State) -> None:
        state.env[stmt.name] = Function(stmt, dict(state.env))

    def _exec_Import(self, stmt, state) -> None:
        self._import(stmt)

    _exec_ImportFrom = _exec_Import

    def _exec_Assert(self, stmt: ast.Assert, state: State) -> None:
        test = self.truth(self.eval(stmt.test, state), stmt.test)
        if test is False:
            self.fail(stmt, "this assertion fails for every input")
        if not isinstance(test, bool):
            self.fail(stmt, "assertions on values that depend on the inputs are not supported",
                      "assertions on shapes and constants")

    # -- expressions ---------------------------------------------------------------------
    def eval(self, node: ast.expr, state: State) -> Any:
        method = getattr(self, f"_eval_{type(node).__name__}", None)
        if method is None:
            self.fail(node, f"{_describe_expr(node)} is not supported", _SUPPORTED_EXPRESSIONS)
        self.b.location = self.loc(node)
        return method(node, state)

    def _eval_Constant(self, node: ast.Constant, state: State) -> Any:
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
            return value
        if isinstance(value, float):
            text = ast.get_source_segment(self.source, node) or repr(value)
            try:
                return Fraction(text.replace("_", ""))
            except ValueError:
                return Fraction(value)
        self.fail(node, f"{type(value).__name__} constants are not supported", "ints and floats")

    def _eval_Name(self, node: ast.Name, state: State) -> Any:
        return self.lookup(node.id, state, node)

    def _eval_Tuple(self, node: ast.Tuple, state: State) -> tuple:
        return tuple(self._eval_elts(node.elts, state))

    def _eval_List(self, node: ast.List, state: State) -> list:
        return self._eval_elts(node.elts, state)

    def _eval_elts(self, elts, state) -> list:
        out = []
        for e in elts:
            if isinstance(e, ast.Starred):
                out.extend(self._iterate(self.eval(e.value, state), e))
            else:
                out.append(self.eval(e, state))
        return out

    def _eval_JoinedStr(self, node, state) -> str:
        return "<f-string>"

    def _eval_Slice(self, node: ast.Slice, state: State) -> slice:
        parts = [self.eval(p, state) if p is not None else None for p in (node.lower, node.upper, node.step)]
        for p, sub in zip(parts, (node.lower, node.upper, node.step)):
            if p is not None and not isinstance(p, int):
                self.fail(sub, "slice bounds must be constant integers")
        return slice(*parts)

    def _eval_Attribute(self, node: ast.Attribute, state: State) -> Any:
        value = self.eval(node.value, state)
        self.b.location = self.loc(node)
        return self.attribute(value, node.attr, node)

    def attribute(self, value: Any, attr: str, node: ast.AST) -> Any:
        if isinstance(value, QualName):
            name = _canonical(f"{value.name}.{attr}")
            return Infinity(1) if name in _INFINITY else QualName(name)
        if isinstance(value, IndexedResult):
            return value.field(attr, self.b)
        if isinstance(value, (Array, Sym)) or is_number(value):
            arr = value if isinstance(value, Array) else Array.scalar(value)
            if attr == "shape":
                return tuple(arr.shape)
            if attr == "T":
                return arr.transpose()
            if attr == "ndim":
                return arr.ndim
            if attr == "real":
                return value
            return BoundMethod(value, attr)
        if isinstance(value, (list, tuple)) and attr in ("index", "count"):
            return BoundMethod(value, attr)
        self.fail(node, f"{_kind(value)} has no supported attribute {attr!r}")

    def _eval_Subscript(self, node: ast.Subscript, state: State) -> Any:
        container = self.eval(node.value, state)
        key = self.eval_index(node.slice, state)
        self.b.location = self.loc(node)
        return self.subscript(container, key, node)

    def eval_index(self, node: ast.expr, state: State) -> Any:
        if isinstance(node, ast.Tuple):
            return tuple(self.eval(e, state) for e in node.elts)
        return self.eval(node, state)

    def subscript(self, container: Any, key: Any, node: ast.AST) -> Any:
        if isinstance(key, ArgIndex):
            return self.b.gather(container, key)
        if isinstance(container, IndexedResult):
            if key == 0:
                return container.values
            if key == 1:
                return container.field("indices", self.b)
        if isinstance(container, (list, tuple, str, range)):
            if isinstance(key, slice):
                return container[key]
            try:
                return container[self._concrete_index(key, node)]
            except IndexError:
                self.fail(node, f"index {key} is out of range for a sequence of length {len(container)}")
        if isinstance(container, Array):
            keys = key if isinstance(key, tuple) else (key,)
            keys = tuple(k if k is None or isinstance(k, slice) or k is Ellipsis
                         else self._concrete_index(k, node) for k in keys)
            try:
                return container.index(keys)
            except (ShapeError, IndexError) as exc:
                self.fail(node, f"indexing: {exc}")
        if isinstance(container, dict):
            return container[key]
        self.fail(node, f"cannot index {_kind(container)}")

    def _concrete_index(self, key: Any, node: ast.AST) -> int:
        if isinstance(key, bool) or not isinstance(key, int):
            if isinstance(key, (Sym, Array)) or isinstance(key, Fraction):
                self.fail(node, "indexing with a value that depends on the inputs (or is not an int) "
                                "is not supported", "constant integer indices and loop counters")
            self.fail(node, f"index must be an integer, got {_kind(key)}")
        return key

    def _concrete_int(self, value: Any, node: ast.AST) -> int:
        return self._concrete_index(value, node)

    def _eval_BinOp(self, node: ast.BinOp, state: State) -> Any:
        left = self.eval(node.left, state)
        right = self.eval(node.right, state)
        self.b.location = self.loc(node)
        return self.binop(node.op, left, right, node)

    def binop(self, op: ast.operator, x: Any, y: Any, node: ast.AST) -> Any:
        concrete = _is_concrete(x) and _is_concrete(y)
        if concrete and not (isinstance(x, Array) or isinstance(y, Array)):
            return self._python_binop(op, x, y, node)
        if isinstance(op, ast.Add) and isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
            return x + y
        if isinstance(op, ast.Mult) and (isinstance(x, (list, tuple)) and isinstance(y, int) or
                                         isinstance(y, (list, tuple)) and isinstance(x, int)):
            return x * y
        if isinstance(op, ast.MatMult):
            return self.matmul(x, y, node)
        if isinstance(x, (list, tuple)) or isinstance(y, (list, tuple)):
            if not (isinstance(x, Array) or isinstance(y, Array)):
                self.fail(node, f"arithmetic between {_kind(x)} and {_kind(y)}",
                          "tensors (torch.tensor([...])) for entrywise arithmetic")
        for v in (x, y):
            if not (isinstance(v, (Array, Sym, list, tuple)) or is_number(v) or isinstance(v, bool)):
                self.fail(node, f"arithmetic on {_kind(v)} is not supported")
        try:
            return elementwise(lambda a, b: self._scalar_binop(op, a, b, node),
                               *[self.b.to_array(v) if isinstance(v, (list, tuple)) else v for v in (x, y)])
        except ShapeError as exc:
            self.fail(node, str(exc))

    def _python_binop(self, op, x, y, node) -> Any:
        fn = _PY_BINOPS.get(type(op))
        if fn is None:
            self.fail(node, f"operator {type(op).__name__} is not supported")
        try:
            if isinstance(op, ast.Div) and isinstance(x, int) and isinstance(y, int):
                return Fraction(x, y)
            if isinstance(op, ast.Pow) and isinstance(y, Fraction) and y.denominator != 1:
                result = _rational_power(x, y)
                if result is None:
                    return self._scalar_binop(op, x, y, node)
                return result
            return fn(x, y)
        except ZeroDivisionError:
            self.fail(node, "division by zero")
        except TypeError as exc:
            self.fail(node, f"unsupported operation: {exc}")

    def _scalar_binop(self, op, a, b, node) -> Any:
        a, b = self.b.scalar(a), self.b.scalar(b)
        if isinstance(op, ast.Pow):
            return self.power(a, b, node)
        name = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}.get(type(op))
        if name is None:
            self.fail(node, f"operator {_OP_SYMBOL.get(type(op), type(op).__name__)} on values that "
                            f"depend on the inputs is not supported", "+ - * / and ** with a constant exponent")
        if name == "div" and is_number(b) and b == 0:
            self.fail(node, "division by zero")
        return self.b.apply(name, [a, b])

    def power(self, base: Any, exponent: Any, node: ast.AST) -> Any:
        if not is_number(exponent):
            self.fail(node, "powers whose exponent depends on the inputs are not supported",
                      "x ** n for a constant integer n, x ** 0.5, exp(y * log(x))")
        e = Fraction(exponent)
        if e.denominator == 1:
            return self.b.apply("pow", [base], power_params(int(e), self.b.profile.framework,
                                                            isinstance(exponent, int)))
        if e == Fraction(1, 2):
            return self.b.apply("sqrt", [base])
        if e == Fraction(-1, 2):
            return self.b.apply("div", [1, self.b.apply("sqrt", [base])])
        self.fail(node, f"the power {e} is not supported", "integer powers and ** 0.5")

    def matmul(self, x: Any, y: Any, node: ast.AST) -> Any:
        a, c = self.b.to_array(x), self.b.to_array(y)
        if a.ndim not in (1, 2) or c.ndim not in (1, 2):
            self.fail(node, "@ needs 1-D or 2-D operands")
        rows = [a.index((i,)).items for i in range(a.shape[0])] if a.ndim == 2 else [a.items]
        cols = [c.transpose().index((j,)).items for j in range(c.shape[1])] if c.ndim == 2 else [c.items]
        if len(rows[0]) != len(cols[0]):
            self.fail(node, f"@ of shapes {a.shape} and {c.shape}")
        out = [[self._dot(r, col, node) for col in cols] for r in rows]
        fw = a.framework or c.framework
        if a.ndim == 2 and c.ndim == 2:
            return Array.from_nested(out, fw)
        if a.ndim == 2:
            return Array.from_nested([row[0] for row in out], fw)
        if c.ndim == 2:
            return Array.from_nested(out[0], fw)
        return out[0][0]

    def _dot(self, r, col, node) -> Any:
        total: Any = 0
        for u, v in zip(r, col):
            total = self.binop(ast.Add(), total, self.binop(ast.Mult(), u, v, node), node)
        return total

    def _eval_UnaryOp(self, node: ast.UnaryOp, state: State) -> Any:
        value = self.eval(node.operand, state)
        self.b.location = self.loc(node)
        if isinstance(node.op, ast.Not):
            return cond_not(self.truth(value, node.operand))
        if isinstance(node.op, ast.UAdd):
            return value
        if isinstance(node.op, ast.USub):
            if is_number(value) or isinstance(value, Infinity):
                return -value
            if isinstance(value, (list, tuple)):
                self.fail(node, "negation of a list", "a tensor")
            return elementwise(lambda a: -a if is_number(a) else self.b.apply("neg", [a]), value)
        if isinstance(node.op, ast.Invert) and isinstance(value, (Cond, bool)):
            return cond_not(value)
        self.fail(node, f"operator {type(node.op).__name__} is not supported")

    def _eval_BoolOp(self, node: ast.BoolOp, state: State) -> Any:
        parts = []
        for v in node.values:
            t = self.truth(self.eval(v, state), v)
            parts.append(t)
            # short-circuit on constants, as Python does
            if isinstance(node.op, ast.And) and t is False:
                return False
            if isinstance(node.op, ast.Or) and t is True:
                return True
        return cond_and(parts) if isinstance(node.op, ast.And) else cond_or(parts)

    def _eval_Compare(self, node: ast.Compare, state: State) -> Any:
        left = self.eval(node.left, state)
        parts = []
        for op, right_node in zip(node.ops, node.comparators):
            right = self.eval(right_node, state)
            self.b.location = self.loc(node)
            parts.append(self.compare(op, left, right, node))
            left = right
        if len(parts) == 1:
            return parts[0]
        if any(isinstance(p, Array) for p in parts):
            self.fail(node, "chained comparisons of tensors are not supported", "(a < b) & (b < c)")
        return cond_and(parts)

    def compare(self, op: ast.cmpop, x: Any, y: Any, node: ast.AST) -> Any:
        if isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn)):
            if _depends_on_inputs(x) or _depends_on_inputs(y):
                self.fail(node, "'is' and 'in' on values that depend on the inputs are not supported")
            return _PY_CMP[type(op)](x, y)
        rel = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}[type(op)]
        if _is_concrete(x) and _is_concrete(y) and not isinstance(x, Array) and not isinstance(y, Array):
            return _PY_CMP[type(op)](x, y)
        if isinstance(x, (list, tuple)) or isinstance(y, (list, tuple)):
            self.fail(node, "comparison of lists is not supported", "compare numbers or tensors")

        def one(a, b):
            a, b = self.b.scalar(a), self.b.scalar(b)
            if is_number(a) and is_number(b):
                return _PY_CMP[type(op)](a, b)
            return Cond(("cmp", rel, a, b))
        try:
            return elementwise(one, x, y)
        except ShapeError as exc:
            self.fail(node, str(exc))

    def truth(self, value: Any, node: ast.AST) -> Any:
        """A Python truth value: bool (decided) or Cond (depends on the inputs)."""
        if isinstance(value, (bool, Cond)):
            return value
        if isinstance(value, Sym):
            return Cond(("cmp", "!=", value, 0))
        if isinstance(value, Array):
            if value.size == 1:
                return self.truth(value.items[0], node)
            self.fail(node, "the truth value of a tensor with several entries is ambiguous",
                      "a comparison of scalars, or .any()/.all() is not supported")
        if is_number(value) or value is None or isinstance(value, (str, list, tuple, range)):
            return bool(value)
        self.fail(node, f"{_kind(value)} used as a condition")

    def _eval_IfExp(self, node: ast.IfExp, state: State) -> Any:
        test = self.truth(self.eval(node.test, state), node.test)
        if isinstance(test, bool):
            return self.eval(node.body if test else node.orelse, state)
        self.symbolic_depth += 1
        try:
            a = self.eval(node.body, state)
            b = self.eval(node.orelse, state)
        finally:
            self.symbolic_depth -= 1
        return self.merge(test, [(a, b)], node)[0]

    def _eval_ListComp(self, node: ast.ListComp, state: State) -> list:
        return self._comprehension(node, state)

    def _eval_GeneratorExp(self, node: ast.GeneratorExp, state: State) -> list:
        return self._comprehension(node, state)

    def _comprehension(self, node, state: State) -> list:
        out: list = []

        def walk(generators, scope: State):
            if not generators:
                out.append(self.eval(node.elt, scope))
                return
            gen = generators[0]
            if gen.is_async:
                self.fail(gen, "async comprehensions are not supported")
            for item in self._iterate(self.eval(gen.iter, scope), gen.iter):
                inner = scope.copy()
                self.assign(gen.target, item, inner)
                keep = True
                for cond in gen.ifs:
                    t = self.truth(self.eval(cond, inner), cond)
                    if not isinstance(t, bool):
                        self.fail(cond, "comprehension filters that depend on the inputs are not supported")
                    keep = keep and t
                if keep:
                    walk(generators[1:], inner)

        walk(node.generators, state)
        return out

    def _eval_Lambda(self, node: ast.Lambda, state: State) -> Function:
        return Function(node, dict(state.env))

    def _eval_Call(self, node: ast.Call, state: State) -> Any:
        func = self.eval(node.func, state)
        positional = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                positional.extend(self._iterate(self.eval(a.value, state), a))
            else:
                positional.append(self.eval(a, state))
        keywords = {}
        for kw in node.keywords:
            if kw.arg is None:
                self.fail(kw, "**kwargs in calls is not supported")
            keywords[kw.arg] = self.eval(kw.value, state)
        self.b.location = self.loc(node)
        return self.call(func, positional, keywords, node)

    def call(self, func: Any, positional: list, keywords: dict, node: ast.AST) -> Any:
        if isinstance(func, Function):
            return self.call_function(func, positional, keywords, node)
        if isinstance(func, Module):
            return func.call(self.b, positional, keywords)
        if isinstance(func, Builtin):
            return self.call_builtin(func.name, positional, keywords, node)
        if isinstance(func, QualName):
            return self.call_qualified(func.name, positional, keywords, node)
        if isinstance(func, BoundMethod):
            return self.call_method(func, positional, keywords, node)
        self.fail(node, f"{_kind(func)} is not callable")

    def call_qualified(self, name: str, positional: list, keywords: dict, node: ast.AST) -> Any:
        if name == "functools.reduce":
            return self._reduce(positional, keywords, node)
        if name in _STRUCTURAL:
            return _STRUCTURAL[name](self, positional, keywords, node)
        spelled = name
        call = registry.resolve(name)
        if call is None or call.framework is None and name.startswith(("numpy.",)):
            neutral = resolve_name(name, self.b.profile.framework)
            if neutral is not None:
                call = registry.resolve(neutral)
                name = neutral
        if call is None and is_neutral(spelled):
            fw = self.b.profile.framework
            self.fail(node, f"{spelled} has no rule under the {fw} profile: {fw} has no such function",
                      f"one of the frameworks that define it ({', '.join(neutral_frameworks(spelled))}), "
                      f"or a {fw} spelling", kind=FrameworkError)
        if call is None:
            self.fail(node, f"unknown function {spelled}",
                      "see `pwverify primitives` for the functions pwverify models", kind=UnknownNameError)
        self.b.note_framework(call.framework, spelled)
        bound = self.b.bind(call.signature, positional, keywords, spelled)
        return call.build(self.b, bound)

    def call_method(self, method: BoundMethod, positional: list, keywords: dict, node: ast.AST) -> Any:
        receiver, name = method.receiver, method.name
        if isinstance(receiver, (list, tuple)):
            try:
                return getattr(receiver, name)(*positional)
            except ValueError as exc:
                self.fail(node, str(exc))
        arr = receiver if isinstance(receiver, Array) else Array.scalar(receiver)
        handler = _METHODS.get(name)
        if handler is not None:
            return handler(self, arr, receiver, positional, keywords, node)
        framework = arr.framework or self.b.profile.framework
        prefix = {"torch": "torch.Tensor", "jax": "jax.Array", "tensorflow": "tensorflow.Tensor"}[framework]
        qualified = f"{prefix}.{name}"
        if registry.resolve(qualified) is None:
            self.fail(node, f"unknown method .{name}() of a {framework} tensor",
                      "see `pwverify primitives`", kind=UnknownNameError)
        return self.call_qualified(qualified, [receiver] + positional, keywords, node)

    def _reduce(self, positional, keywords, node):
        if keywords or len(positional) not in (2, 3):
            self.fail(node, "functools.reduce(function, iterable[, initial])", kind=ArityError)
        fn, items = positional[0], self._iterate(positional[1], node)
        if len(positional) == 3:
            items = [positional[2]] + items
        if not items:
            self.fail(node, "reduce() of an empty sequence")
        acc = items[0]
        for item in items[1:]:
            acc = self.call(fn, [acc, item], {}, node)
        return acc

    def call_builtin(self, name: str, positional: list, keywords: dict, node: ast.AST) -> Any:
        if name in ("max", "min", "sorted", "abs"):
            qualified = f"builtins.{name}"
            if name == "abs":
                if len(positional) != 1 or keywords:
                    self.fail(node, "abs() takes one argument", kind=ArityError)
                return self.call_qualified(resolve_name("builtins.abs", self.b.profile.framework),
                                           positional, {}, node)
            return self.call_qualified(qualified, positional, keywords, node)
        handler = _BUILTINS[name]
        try:
            return handler(self, positional, keywords, node)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, PwverifyError):
                raise
            self.fail(node, f"{name}(): {exc}", kind=ArityError)

    def _iterate(self, value: Any, node: ast.AST) -> list:
        if isinstance(value, (Sym, Cond)):
            self.fail(node, "iteration over a value that depends on the inputs")
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, str):
            return list(value)
        return self.b.iterate(value)

    def _as_array(self, value: Any, node: ast.AST) -> Array:
        return self.b.to_array(value)


# -- helpers -----------------------------------------------------------------------------
class _IndicesPlaceholder:
    """The second item of ``values, indices = torch.max(x, 0)``; fails only if used."""

    def __init__(self, result: IndexedResult):
        self.result = result


def _canonical(name: str) -> str:
    aliases = {"torch.nn.functional": "torch.nn.functional", "jax.numpy": "jax.numpy"}
    return aliases.get(name, name)


def _identical(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        if is_number(a) and is_number(b):
            return Fraction(a) == Fraction(b)
        return False
    if isinstance(a, (Sym, QualName, Builtin, Undefined)):
        return a == b
    if is_number(a) or isinstance(a, (str, bool, type(None), range)):
        return a == b
    if isinstance(a, Array):
        return a.shape == b.shape and all(_identical(x, y) for x, y in zip(a.items, b.items))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b))
    if isinstance(a, Cond):
        return a == b
    return False


def _is_0d(value: Any) -> bool:
    return isinstance(value, Array) and value.shape == ()


def _is_concrete(value: Any) -> bool:
    return not _depends_on_inputs(value)


def _depends_on_inputs(value: Any) -> bool:
    if isinstance(value, (Sym, Cond)):
        return True
    if isinstance(value, Array):
        return any(_depends_on_inputs(v) for v in value.items)
    if isinstance(value, (list, tuple)):
        return any(_depends_on_inputs(v) for v in value)
    return False


def _rational_power(x, y: Fraction):
    if not is_number(x):
        return None
    import sympy
    value = sympy.Rational(Fraction(x).numerator, Fraction(x).denominator) ** sympy.Rational(y.numerator, y.denominator)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return None


def _kind(value: Any) -> str:
    from .builder import _kind as kind
    return kind(value)


def _as_load(node: ast.expr) -> ast.expr:
    import copy
    clone = copy.deepcopy(node)
    for sub in ast.walk(clone):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return clone


def _describe_stmt(stmt: ast.stmt) -> str:
    names = {"While": "a while loop", "Try": "try/except", "With": "a with block",
             "ClassDef": "a class definition", "Raise": "raise", "Global": "global",
             "Nonlocal": "nonlocal", "Delete": "del", "AsyncFunctionDef": "an async function",
             "Match": "match"}
    return names.get(type(stmt).__name__, f"the statement {type(stmt).__name__}")


def _describe_expr(node: ast.expr) -> str:
    names = {"Dict": "a dict", "Set": "a set", "DictComp": "a dict comprehension",
             "SetComp": "a set comprehension", "Await": "await", "Yield": "yield",
             "YieldFrom": "yield from", "NamedExpr": "the := operator"}
    return names.get(type(node).__name__, f"the expression {type(node).__name__}")


_PY_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
              ast.Pow: operator.pow}
_OP_SYMBOL = {ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>",
              ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.MatMult: "@"}
_PY_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
           ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Is: operator.is_, ast.IsNot: operator.is_not,
           ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}


# -- builtins ---------------------------------------------------------------------------------
def _b_len(it: Interpreter, pos, kw, node):
    (value,) = pos
    if isinstance(value, Array):
        if not value.shape:
            it.fail(node, "len() of a 0-d tensor")
        return value.shape[0]
    if isinstance(value, (list, tuple, str, range)):
        return len(value)
    it.fail(node, f"len() of {_kind(value)}")


def _b_range(it: Interpreter, pos, kw, node):
    for p in pos:
        if not isinstance(p, int) or isinstance(p, bool):
            it.fail(node, "range() bounds must be constant integers (a loop bound that depends on "
                          "the inputs cannot be unrolled)", "range(N) with N known when reading the program")
    return range(*pos)


def _b_sum(it: Interpreter, pos, kw, node):
    items = it._iterate(pos[0], node)
    total = pos[1] if len(pos) > 1 else kw.get("start", 0)
    for item in items:
        total = it.binop(ast.Add(), total, item, node)
    return total


def _b_float(it: Interpreter, pos, kw, node):
    if not pos:
        return Fraction(0)
    value = pos[0]
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("inf", "+inf", "infinity", "+infinity"):
            return Infinity(1)
        if text in ("-inf", "-infinity"):
            return Infinity(-1)
        if text == "nan":
            it.fail(node, "NaN constants are not supported", "finite numbers")
        return Fraction(value.strip())
    if is_number(value):
        return Fraction(value)
    return it.b.scalar(value)


def _b_int(it: Interpreter, pos, kw, node):
    value = pos[0]
    if is_number(value):
        return int(value)
    it.fail(node, "int() of a value that depends on the inputs is not supported")


_BUILTINS: dict[str, Callable] = {
    "len": _b_len,
    "range": _b_range,
    "sum": _b_sum,
    "float": _b_float,
    "int": _b_int,
    "list": lambda it, pos, kw, node: list(it._iterate(pos[0], node)) if pos else [],
    "tuple": lambda it, pos, kw, node: tuple(it._iterate(pos[0], node)) if pos else (),
    "enumerate": lambda it, pos, kw, node: list(enumerate(it._iterate(pos[0], node), *pos[1:])),
    "zip": lambda it, pos, kw, node: list(zip(*[it._iterate(p, node) for p in pos])),
    "reversed": lambda it, pos, kw, node: list(reversed(it._iterate(pos[0], node))),
    "print": lambda it, pos, kw, node: None,
    "isinstance": lambda it, pos, kw, node: it.fail(node, "isinstance() is not supported"),
    "max": None, "min": None, "sorted": None, "abs": None,
}


# -- structural functions and methods (shape manipulation; no primitive involved) -------------
def _tensor(framework: str):
    def build(it: Interpreter, pos, kw, node):
        if not pos:
            it.fail(node, "tensor() needs data", kind=ArityError)
        data = pos[0]
        if isinstance(data, Array):
            return Array(data.shape, data.items, framework)
        try:
            return Array.from_nested(data, framework)
        except ShapeError as exc:
            it.fail(node, f"tensor(): {exc}")
    return build


def _stack(framework: str):
    def build(it: Interpreter, pos, kw, node):
        items = it._iterate(pos[0], node)
        dim = pos[1] if len(pos) > 1 else kw.get("dim", kw.get("axis", 0))
        arrays = [it.b.to_array(x) for x in items]
        if not arrays or any(a.shape != arrays[0].shape for a in arrays):
            it.fail(node, "stack() needs tensors of the same shape")
        nested = Array.from_nested([a.to_nested() if a.shape else a.items[0] for a in arrays], framework)
        if dim not in (0, -nested.ndim):
            perm_shape = nested.shape
            if nested.ndim == 2 and dim in (1, -1):
                return nested.transpose()
            it.fail(node, f"stack along dim {dim} of shape {perm_shape} is not supported", "dim=0")
        return nested
    return build


def _cat(framework: str):
    def build(it: Interpreter, pos, kw, node):
        items = [it.b.to_array(x) for x in it._iterate(pos[0], node)]
        dim = pos[1] if len(pos) > 1 else kw.get("dim", kw.get("axis", 0))
        if dim not in (0, -1) or any(a.ndim != 1 for a in items):
            it.fail(node, "cat() of 1-D tensors only", "cat([a, b]) of 1-D tensors")
        return Array((sum(a.size for a in items),), tuple(v for a in items for v in a.items), framework)
    return build


def _reshape_fn(it: Interpreter, pos, kw, node):
    if len(pos) != 2:
        it.fail(node, "reshape(tensor, shape)", kind=ArityError)
    return _m_reshape(it, it.b.to_array(pos[0]), pos[0], [tuple(pos[1])], {}, node)


def _sum_fn(it: Interpreter, pos, kw, node):
    x = it.b.to_array(pos[0])
    dim = pos[1] if len(pos) > 1 else kw.get("dim", kw.get("axis"))
    keep = kw.get("keepdim", kw.get("keepdims", False))
    return _sum_along(it, x, dim, keep, node)


def _mean_fn(it: Interpreter, pos, kw, node):
    x = it.b.to_array(pos[0])
    dim = pos[1] if len(pos) > 1 else kw.get("dim", kw.get("axis"))
    keep = kw.get("keepdim", kw.get("keepdims", False))
    total = _sum_along(it, x, dim, keep, node)
    count = x.size if dim is None else x.shape[dim]
    return it.binop(ast.Div(), total, count, node)


def _sum_along(it: Interpreter, x: Array, dim, keep, node):
    def add_all(items):
        total: Any = 0
        for v in items:
            total = it.binop(ast.Add(), total, v, node)
        return total
    if dim is None:
        return add_all(x.items)
    outer, lanes = x.lanes(int(dim))
    return x.stack_lanes([add_all(lane) for lane in lanes], outer, int(dim), bool(keep))


_STRUCTURAL: dict[str, Callable] = {}
for _fw, _ns in (("torch", "torch"), ("jax", "jax.numpy"), ("tensorflow", "tensorflow"), (None, "numpy")):
    _STRUCTURAL[f"{_ns}.stack"] = _stack(_fw)
    _STRUCTURAL[f"{_ns}.sum"] = _sum_fn
    _STRUCTURAL[f"{_ns}.mean"] = _mean_fn
    _STRUCTURAL[f"{_ns}.reshape"] = _reshape_fn
_STRUCTURAL.update({
    "torch.tensor": _tensor("torch"), "torch.as_tensor": _tensor("torch"), "torch.Tensor": _tensor("torch"),
    "jax.numpy.array": _tensor("jax"), "jax.numpy.asarray": _tensor("jax"),
    "tensorflow.constant": _tensor("tensorflow"), "tensorflow.convert_to_tensor": _tensor("tensorflow"),
    "tensorflow.Variable": _tensor("tensorflow"),
    "numpy.array": _tensor(None), "numpy.asarray": _tensor(None),
    "torch.cat": _cat("torch"), "jax.numpy.concatenate": _cat("jax"), "tensorflow.concat": _cat("tensorflow"),
    "numpy.concatenate": _cat(None),
    "tensorflow.reduce_sum": _sum_fn, "tensorflow.math.reduce_sum": _sum_fn,
    "tensorflow.reduce_mean": _mean_fn, "tensorflow.math.reduce_mean": _mean_fn,
    "math.fsum": lambda it, pos, kw, node: _b_sum(it, pos, kw, node),
})


def _m_reshape(it, arr, recv, pos, kw, node):
    shape = pos[0] if len(pos) == 1 and isinstance(pos[0], (tuple, list)) else pos
    try:
        return arr.reshape(tuple(shape))
    except ShapeError as exc:
        it.fail(node, str(exc))


def _m_simple(fn):
    def handler(it, arr, recv, pos, kw, node):
        try:
            return fn(arr, *pos, **kw)
        except (ShapeError, TypeError) as exc:
            it.fail(node, str(exc))
    return handler


_METHODS: dict[str, Callable] = {
    "reshape": _m_reshape, "view": _m_reshape,
    "unsqueeze": _m_simple(lambda a, dim: a.unsqueeze(dim)),
    "squeeze": _m_simple(lambda a, dim=None: a.squeeze(dim)),
    "flatten": _m_simple(lambda a, *r: a.reshape((a.size,))),
    "ravel": _m_simple(lambda a: a.reshape((a.size,))),
    "tolist": _m_simple(lambda a: a.to_nested()),
    "item": _m_simple(lambda a: a.items[0] if a.size == 1 else (_ for _ in ()).throw(ShapeError("item() of several entries"))),
    "size": _m_simple(lambda a, dim=None: tuple(a.shape) if dim is None else a.shape[dim]),
    "dim": _m_simple(lambda a: a.ndim),
    "numel": _m_simple(lambda a: a.size),
    "t": _m_simple(lambda a: a.transpose()),
    "float": _m_simple(lambda a: a if a.shape else a.items[0]),
    "double": _m_simple(lambda a: a if a.shape else a.items[0]),
    "clone": _m_simple(lambda a: a if a.shape else a.items[0]),
    "sum": lambda it, arr, recv, pos, kw, node: _sum_fn(it, [arr] + list(pos), kw, node),
    "mean": lambda it, arr, recv, pos, kw, node: _mean_fn(it, [arr] + list(pos), kw, node),
}
