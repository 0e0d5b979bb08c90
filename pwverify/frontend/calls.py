"""Calls: functions of the analysed file (inlined), argument binding, and every other
callable, resolved through the one registry (:func:`pwverify.primitives.registry.resolve`).
"""

from __future__ import annotations

import ast
from typing import Any

from ..core.errors import ArityError, FrameworkError, UnknownNameError
from ..ir.values import Array, Cond, Sym
from ..primitives import registry
from ..primitives.conventions import is_neutral, neutral_frameworks, resolve_name
from .builder import Module
from .objects import MAX_INLINE_DEPTH, BoundMethod, Function, QualName, State, kind

#: The class whose methods a tensor of each framework has (``x.relu()`` is ``torch.Tensor.relu``).
METHOD_PREFIX = {"torch": "torch.Tensor", "jax": "jax.Array", "tensorflow": "tensorflow.Tensor"}


class CallsMixin:
    """Evaluates calls: inlining, binding, and registered calls."""

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
        if isinstance(func, QualName):
            return self.call_qualified(func.name, positional, keywords, node)
        if isinstance(func, BoundMethod):
            return self.call_method(func, positional, keywords, node)
        self.fail(node, f"{kind(func)} is not callable")

    # -- functions of the analysed file ------------------------------------------------------
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

    # -- registered calls --------------------------------------------------------------------
    def call_qualified(self, name: str, positional: list, keywords: dict, node: ast.AST) -> Any:
        spelled = name
        call = registry.resolve(name)
        if call is None or call.primitive and call.framework is None and name.startswith(("numpy.",)):
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
        bound = self.b.bind(call.signature, positional, keywords, _display(spelled))
        return call.build(self.b, bound)

    def call_method(self, method: BoundMethod, positional: list, keywords: dict, node: ast.AST) -> Any:
        receiver, name = method.receiver, method.name
        if isinstance(receiver, (list, tuple)):
            try:
                return getattr(receiver, name)(*positional)
            except ValueError as exc:
                self.fail(node, str(exc))
        arr = receiver if isinstance(receiver, Array) else Array.scalar(receiver)
        framework = arr.framework or self.b.profile.framework
        qualified = f"{METHOD_PREFIX[framework]}.{name}"
        if registry.resolve(qualified) is None:
            self.fail(node, f"unknown method .{name}() of a {framework} tensor",
                      "see `pwverify primitives`", kind=UnknownNameError)
        return self.call_qualified(qualified, [receiver] + positional, keywords, node)

    # -- services the registry's calls use through the builder -------------------------------
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


def _display(name: str) -> str:
    """``builtins.len`` is spelled ``len`` in messages."""
    return name[len("builtins."):] if name.startswith("builtins.") else name
