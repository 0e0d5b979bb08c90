"""Statements: assignments, ``if`` (both branches joined by ``select``), loops, returns.

An ``if`` on a condition that depends on the inputs runs both branches and joins every
variable that differs with one ``select`` node; an early ``return`` under such a
condition is tracked as a guard, so the rest of the function describes the paths that
did not return. ``for`` loops are unrolled; ``while`` loops while their condition is a
constant.
"""

from __future__ import annotations

import ast
from typing import Any, Callable

from ..core.errors import ArityError
from ..ir.values import Array, Cond, ShapeError, Sym, broadcast_to, cond_and, cond_not, cond_or, is_scalar
from ..primitives.layers import Param
from ..primitives.structural import GradMode
from ..primitives.tensors import Masked
from .builder import IndexedResult
from .objects import (MAX_UNROLL, SUPPORTED_STATEMENTS, Break, Continue, Function, IndicesPlaceholder,
                      State, Undefined, as_load, describe_stmt, identical, is_0d, kind)


class StatementsMixin:
    """Executes statements on a :class:`State` (one path, or several joined)."""

    def exec_block(self, stmts: list[ast.stmt], state: State) -> None:
        for stmt in stmts:
            if state.returned is True:
                return
            self.exec(stmt, state)

    def exec(self, stmt: ast.stmt, state: State) -> None:
        method = getattr(self, f"_exec_{type(stmt).__name__}", None)
        if method is None:
            self.fail(stmt, f"{describe_stmt(stmt)} is not supported", SUPPORTED_STATEMENTS)
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
        load = as_load(stmt.target)
        current = self.eval(load, state)
        value = self.binop(stmt.op, current, self.eval(stmt.value, state), stmt)
        if isinstance(current, Array) and (current.framework or self.b.profile.framework) not in ("jax", "tensorflow"):
            self.overwrite(stmt.target, value, state)   # torch and numpy: x += y writes into x
        else:
            self.assign(stmt.target, value, state)      # jax and tensorflow arrays are immutable

    def assign(self, target: ast.expr, value: Any, state: State) -> None:
        if isinstance(target, ast.Name):
            state.env[target.id] = value
        elif isinstance(target, ast.Attribute):
            self.set_attribute(self.eval(as_load(target.value), state), target.attr, value, target)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self._unpack(value, len(target.elts), target)
            for t, v in zip(target.elts, items):
                self.assign(t, v, state)
        elif isinstance(target, ast.Subscript):
            container = self.eval(as_load(target.value), state)
            key = self.eval_index(target.slice, state)
            self.assign(target.value, self._set_item(container, key, value, target), state)
        elif isinstance(target, ast.Starred):
            self.fail(target, "starred assignment is not supported", "a, b = pair")
        else:
            self.fail(target, f"assignment to {type(target).__name__} is not supported",
                      "names, tuples of names, x[i] = v")

    def _unpack(self, value: Any, n: int, node: ast.AST) -> list:
        if isinstance(value, IndexedResult):
            value = (value.values, IndicesPlaceholder(value))
        if isinstance(value, Array):
            value = value.iterate()
        if not isinstance(value, (list, tuple)):
            self.fail(node, f"cannot unpack {kind(value)}")
        if len(value) != n:
            self.fail(node, f"cannot unpack {len(value)} values into {n} names", kind=ArityError)
        return list(value)

    def _set_item(self, container: Any, key: Any, value: Any, node: ast.AST) -> Any:
        if isinstance(container, Param):
            container = self.b.param_value(container)
        if isinstance(container, dict):
            new_dict = dict(container)
            new_dict[key] = value
            return new_dict
        mask = self.mask_of(key, container, node) if isinstance(container, Array) else None
        if mask is not None:
            return self._set_masked(container, mask, value, node)
        if isinstance(value, Masked):
            self.fail(node, "assigning x[mask] to entries chosen by position: how many entries a mask "
                            "selects depends on the inputs", "y[mask] = x[mask] with the same mask")
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
            keys = tuple(k if k is None or k is Ellipsis or isinstance(k, slice) else self._concrete_index(k, node)
                         for k in keys)
            value = self.b.number(self.b.param_value(value) if isinstance(value, Param) else value)
            try:
                return container.set_index(keys, value)
            except (ShapeError, IndexError) as exc:
                self.fail(node, f"tensor assignment: {exc}")
        self.fail(node, f"item assignment on {kind(container)} is not supported", "lists and tensors")

    def _set_masked(self, container: Array, mask: Array, value: Any, node: ast.AST) -> Array:
        """``x[mask] = v``: each entry is v's where the mask holds, else x's (a lazy select)."""
        if isinstance(value, Masked):
            if value.mask != mask:
                self.fail(node, "y[mask] = x[other_mask] with a different mask",
                          "the same mask on both sides")
            value = value.values
        value = self.b.number(value)
        if isinstance(value, Array) and value.shape != container.shape:
            if value.size != 1:
                self.fail(node, f"x[mask] = a tensor of shape {value.shape}: how many entries the mask "
                                f"selects depends on the inputs", "a number, x[mask] of the same mask, or "
                                                                  "a tensor of x's shape")
        try:
            values = broadcast_to(value, container.shape).items if isinstance(value, Array) else \
                (value,) * container.size
        except ShapeError as exc:
            self.fail(node, f"tensor assignment: {exc}")
        self.b.location = self.loc(node)
        items = []
        for cond, new, old in zip(mask.items, values, container.items):
            if cond is True:
                items.append(new)
            elif cond is False:
                items.append(old)
            else:
                items.append(self.b.select(cond, [new], [old], lazy=True)[0])
        return container.with_items(items)

    def _exec_Return(self, stmt: ast.Return, state: State) -> None:
        value = self.eval(stmt.value, state) if stmt.value is not None else None
        if state.returned is False:
            state.value = value
        else:
            state.value = self.merge(state.returned, [(state.value, value)], stmt)[0]
        state.returned = True

    # -- if: both branches, joined ---------------------------------------------------------
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
        if a.returned is True and b.returned is True or \
                not isinstance(a.returned, bool) and a.returned == b.returned:
            returned = a.returned  # test or not test: both branches returned where they did
        else:
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
                    if identical(va, vb):
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
        if identical(va, vb):
            return lambda it: va
        if isinstance(va, (Cond, bool)) and isinstance(vb, (Cond, bool)):
            joined = cond_or([cond_and([test, va]), cond_and([cond_not(test), vb])])
            return lambda it: joined
        if (is_scalar(va) or is_0d(va)) and (is_scalar(vb) or is_0d(vb)):
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
            cls = type(va)
            return lambda it: cls(p(it) for p in parts)
        self.fail(node, f"{label} is {kind(va)} in one branch and {kind(vb)} in the other",
                  "values of the same kind and shape in both branches")

    # -- loops -----------------------------------------------------------------------------
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
        except Break:
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
        except Break:
            pass
        finally:
            self.loop_depths.pop()

    def _iteration(self, body: list[ast.stmt], state: State) -> bool:
        """Run one loop iteration (``continue`` ends it); True when the function returned."""
        try:
            self.exec_block(body, state)
        except Continue:
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
        self._loop_control(stmt, Break)

    def _exec_Continue(self, stmt, state) -> None:
        self._loop_control(stmt, Continue)

    # -- definitions, imports, assertions ----------------------------------------------------
    def _exec_FunctionDef(self, stmt: ast.FunctionDef, state: State) -> None:
        fn = Function(stmt, dict(state.env), self.scope)
        fn.closure[stmt.name] = fn  # a nested function may call itself (recursion is refused there)
        state.env[stmt.name] = self.decorate(fn)

    def _exec_Import(self, stmt, state) -> None:
        self._import(stmt)

    _exec_ImportFrom = _exec_Import

    def _exec_Assert(self, stmt: ast.Assert, state: State) -> None:
        test = self.truth(self.eval(stmt.test, state), stmt.test)
        if test is False:
            hint = None
            if "requires_grad" in ast.unparse(stmt.test):
                hint = "--wrt NAMES: the inputs whose gradient is asked for require grad, the others do not"
            self.fail(stmt, "this assertion fails for every input", hint)
        if not isinstance(test, bool):
            self.fail(stmt, "assertions on values that depend on the inputs are not supported",
                      "assertions on shapes and constants")

    def _exec_With(self, stmt: ast.With, state: State) -> None:
        detaching = False
        for item in stmt.items:
            ctx = self.eval(item.context_expr, state)
            if not isinstance(ctx, GradMode):
                self.fail(item.context_expr, f"the context manager {ast.unparse(item.context_expr)} is not "
                                             f"supported", "with torch.no_grad(), torch.enable_grad(), "
                                                           "torch.autocast(...)")
            detaching = detaching or ctx.detaches(self.b.profile.mode)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, None, state)
        self.no_grad_depth += detaching
        saved, self.b.detaching = self.b.detaching, self.b.detaching or detaching
        try:
            self.exec_block(stmt.body, state)
        finally:
            self.no_grad_depth -= detaching
            self.b.detaching = saved

    def _exec_Raise(self, stmt: ast.Raise, state: State) -> None:
        if self.symbolic_depth:
            self.fail(stmt, "raise under a condition that depends on the inputs is not supported",
                      "raise under conditions on shapes and constants")
        self.fail(stmt, "the program raises an exception here for every input")

    def _exec_Delete(self, stmt: ast.Delete, state: State) -> None:
        for target in stmt.targets:
            if not isinstance(target, ast.Name):
                self.fail(target, "del of anything but a name is not supported", "del x")
            state.env.pop(target.id, None)

    def _exec_ClassDef(self, stmt: ast.ClassDef, state: State) -> None:
        state.env[stmt.name] = self.class_value(stmt, self.scope)
