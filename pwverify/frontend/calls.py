"""Calls: functions of the analysed files (inlined), argument binding, decorators, and
every other callable, resolved through the one registry
(:func:`pwverify.primitives.registry.resolve`).
"""

from __future__ import annotations

import ast
from typing import Any

from ..core.errors import ArityError, FrameworkError, UnknownNameError
from ..ir.values import Array, Cond, Sym
from ..primitives import registry
from ..primitives.conventions import is_neutral, neutral_frameworks, resolve_name
from ..primitives.tensors import AtIndexer, Masked
from .builder import Module
from .tensor_attributes import SizeInt
from .objects import MAX_INLINE_DEPTH, BoundMethod, Function, Partial, QualName, State, kind

#: The class whose methods a tensor of each framework has (``x.relu()`` is ``torch.Tensor.relu``).
METHOD_PREFIX = {"torch": "torch.Tensor", "jax": "jax.Array", "tensorflow": "tensorflow.Tensor"}

#: Decorators that leave the function as it is (compilation, caching, method kinds).
TRANSPARENT_DECORATORS = {
    "jax.jit", "jax.named_call", "jax.checkpoint", "jax.remat", "torch.jit.script", "torch.jit.export",
    "torch.jit.ignore", "torch.jit.unused", "torch.compile", "torch.jit.trace", "tensorflow.function",
    "numba.jit", "numba.njit", "functools.lru_cache", "functools.cache", "abc.abstractmethod",
    "typing.overload", "staticmethod", "classmethod", "property", "torch.enable_grad",
    "torch.autocast", "torch.cuda.amp.autocast", "tensorflow.autograph.experimental.do_not_convert",
}
#: Decorators under which nothing is differentiated: what the function returns is detached,
#: in reverse mode only (False) or in both modes (True); measured on torch 2.13.0.
DETACHING_DECORATORS = {"torch.no_grad": False, "torch.autograd.no_grad": False,
                        "torch.autograd.grad_mode.no_grad": False, "torch.inference_mode": True}


class CallsMixin:
    """Evaluates calls: inlining, binding, decorators, and registered calls."""

    def _eval_Call(self, node: ast.Call, state: State) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id == "super" and "super" not in state.env:
            return self.make_super([self.eval(a, state) for a in node.args], node)
        func = self.eval(node.func, state)
        positional = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                positional.extend(self._iterate(self.eval(a.value, state), a))
            else:
                positional.append(self.eval(a, state))
        keywords = {}
        out_target = None
        for kw in node.keywords:
            if kw.arg == "out" and _assignable(kw.value):
                out_target = kw.value  # out=x: the result is written to x
                continue
            if kw.arg is None:
                value = self.eval(kw.value, state)
                if not isinstance(value, dict):
                    self.fail(kw, f"**{ast.unparse(kw.value)} is {kind(value)}, not a dict")
                keywords.update(value)
                continue
            keywords[kw.arg] = self.eval(kw.value, state)
        self.b.location = self.loc(node)
        result = self.call(func, positional, keywords, node)
        if out_target is not None:
            self.assign(out_target, result, state)
        overwritten = self._overwritten(func, node, positional, keywords)
        if overwritten is not None:
            self.overwrite(overwritten, result, state)
        return result

    @staticmethod
    def _overwritten(func: Any, node: ast.Call, positional: list, keywords: dict) -> ast.expr | None:
        """The argument a torch call writes its result into, if it is in place: the
        receiver of ``x.add_(1)``, the input of ``F.relu_(x)``, ``F.relu(x, inplace=True)``
        (or ``F.relu(x, True)``) and of a module made with ``inplace=True``."""
        if isinstance(func, BoundMethod):
            in_place, target = _in_place_name(func.name), getattr(node.func, "value", None)
        else:
            in_place = isinstance(func, Module) and func.in_place or isinstance(func, QualName) and (
                func.name.startswith("torch.") and _in_place_name(func.name) or
                _bound_inplace(func.name, positional, keywords))
            target = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "input"), None)
        return target if in_place and target is not None and _assignable(target) else None

    def overwrite(self, target: ast.expr, value: Any, state: State) -> None:
        """``target`` now holds ``value``, and so does every name bound to the same tensor
        (``identity = x; x.relu_()`` changes ``identity`` too, as in torch)."""
        old = state.env.get(target.id) if isinstance(target, ast.Name) else None
        self.assign(target, value, state)
        if isinstance(old, Array):
            for name, bound in list(state.env.items()):
                if bound is old:
                    state.env[name] = value

    def call(self, func: Any, positional: list, keywords: dict, node: ast.AST | None) -> Any:
        if isinstance(func, Function):
            return self.call_function(func, positional, keywords, node)
        if isinstance(func, Module):
            return func.call(self.b, positional, keywords)
        if isinstance(func, QualName):
            return self.call_qualified(func.name, positional, keywords, node)
        if isinstance(func, BoundMethod):
            return self.call_method(func, positional, keywords, node)
        if isinstance(func, SizeInt):
            try:
                return func.size_of(*positional, **keywords)
            except (TypeError, IndexError) as exc:
                self.fail(node, f"size(): {exc}", kind=ArityError)
        if isinstance(func, Partial):
            return self.call(func.func, list(func.args) + list(positional), {**dict(func.keywords), **keywords},
                             node)
        result = self.call_object(func, positional, keywords, node)
        if result is not NotImplemented:
            return result
        self.fail(node, f"{kind(func)} is not callable")

    # -- functions of the analysed files -------------------------------------------------------
    def call_function(self, fn: Function, positional: list, keywords: dict, node: ast.AST | None) -> Any:
        if len(self.inline_stack) >= MAX_INLINE_DEPTH or fn.name in self.inline_stack[-8:] and \
                self.inline_stack.count(fn.name) > 16:
            self.fail(node, f"recursive call of {fn.name!r}", "calls to non-recursive functions")
        if fn.receiver is not None:
            positional = [fn.receiver] + list(positional)
        env = dict(fn.closure)
        env.update(self._bind(fn, positional, keywords, node))
        self.inline_stack.append(fn.name)
        saved = (self.symbolic_depth, self.loop_depths, self.scope)
        self.symbolic_depth, self.loop_depths = 0, []
        if fn.scope is not None:
            self.scope = fn.scope
        if fn.owner is not None:
            self.method_stack.append((fn.owner, fn.receiver))
        try:
            if isinstance(fn.node, ast.Lambda):
                result = self.eval(fn.node.body, State(env))
            else:
                state = State(env)
                self.exec_block(fn.node.body, state)
                if state.returned is True:
                    result = state.value
                elif state.returned is False:
                    result = None
                else:
                    self.fail(fn.node, f"function {fn.name!r} does not return a value on every path",
                              "a return at the end of the function")
            return self.detach(result) if fn.detached else result
        finally:
            self.inline_stack.pop()
            self.symbolic_depth, self.loop_depths, self.scope = saved
            if fn.owner is not None:
                self.method_stack.pop()

    def _bind(self, fn: Function, positional: list, keywords: dict, node: ast.AST | None) -> dict:
        a = fn.node.args
        params = list(a.posonlyargs) + list(a.args)
        names = [p.arg for p in params]
        defaults = dict(zip(names[len(names) - len(a.defaults):], a.defaults))
        kwonly = [p.arg for p in a.kwonlyargs]
        kwdefaults = {p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None}
        if len(positional) > len(names) and not a.vararg:
            self.fail(node, f"{fn.name}() takes {len(names)} arguments but {len(positional)} were given",
                      kind=ArityError)
        env = dict(zip(names, positional))
        if a.vararg:
            env[a.vararg.arg] = tuple(positional[len(names):])
        extra = {}
        for k, v in keywords.items():
            if k in env and k in names:
                self.fail(node, f"{fn.name}() got multiple values for {k!r}", kind=ArityError)
            if k in names or k in kwonly:
                env[k] = v
            elif a.kwarg:
                extra[k] = v
            else:
                self.fail(node, f"{fn.name}() got an unexpected keyword argument {k!r}", kind=ArityError)
        if a.kwarg:
            env[a.kwarg.arg] = extra
        for n in names + kwonly:
            if n not in env:
                default = defaults.get(n, kwdefaults.get(n))
                if default is None:
                    self.fail(node, f"{fn.name}() is missing the argument {n!r}", kind=ArityError)
                saved, self.scope = self.scope, fn.scope or self.scope
                try:
                    env[n] = self.eval(default, State({}))
                finally:
                    self.scope = saved
        return env

    # -- decorators ------------------------------------------------------------------------------
    def decorate(self, fn: Function, skip: tuple = ()) -> Any:
        """Apply a definition's decorators: compilation and caching leave it as it is,
        ``@torch.no_grad()`` detaches what it returns, a decorator of the analysed files is
        called (never run)."""
        value: Any = fn
        for deco in reversed(getattr(fn.node, "decorator_list", [])):
            head = deco.func if isinstance(deco, ast.Call) else deco
            text = ast.unparse(head)
            if text in ("staticmethod", "classmethod", "property") or text.split(".")[-1] in skip:
                continue
            saved, self.scope = self.scope, fn.scope or self.scope
            try:
                resolved = self.eval(head, State(dict(fn.closure)))
                if isinstance(resolved, Partial):
                    resolved = resolved.func
                name = resolved.name if isinstance(resolved, QualName) else None
                if name in TRANSPARENT_DECORATORS:
                    continue
                if name in DETACHING_DECORATORS:
                    if not DETACHING_DECORATORS[name] and self.b.profile.mode != "reverse":
                        continue
                    if isinstance(value, Function):
                        value = Function(value.node, value.closure, value.scope, value.receiver, value.owner, True)
                    continue
                if isinstance(resolved, Function):
                    if isinstance(deco, ast.Call):
                        resolved = self.eval(deco, State(dict(fn.closure)))
                    value = self.call(resolved, [value], {}, deco)
                    continue
            finally:
                self.scope = saved
            self.fail(deco, f"the decorator @{ast.unparse(deco)} is not supported",
                      "@jax.jit, @torch.jit.script, @torch.compile, @tf.function, @numba.njit, "
                      "@torch.no_grad(), @staticmethod, @property, and decorators defined in the analysed files")
        return value

    # -- registered calls --------------------------------------------------------------------
    def call_qualified(self, name: str, positional: list, keywords: dict, node: ast.AST | None) -> Any:
        if name == "functools.partial" and positional:
            return Partial(positional[0], tuple(positional[1:]), tuple(keywords.items()))
        spelled = name
        call = registry.resolve(name)
        if call is None or call.primitive and call.framework is None and name.startswith(("numpy.",)):
            neutral = resolve_name(name, self.b.profile.framework)
            if neutral is not None:
                call = registry.resolve(neutral)
                name = neutral
        if call is None and name.startswith("torch.") and _in_place_name(name):
            call = registry.resolve(name[:-1])  # torch.relu_(x): relu, written into x by the caller
        if call is None and is_neutral(spelled):
            fw = self.b.profile.framework
            self.fail(node, f"{spelled} has no rule under the {fw} profile: {fw} has no such function",
                      f"one of the frameworks that define it ({', '.join(neutral_frameworks(spelled))}), "
                      f"or a {fw} spelling", kind=FrameworkError)
        if call is None:
            self.fail(node, f"unknown function {spelled}",
                      "see `pwverify primitives` and docs/reference/reading.md for what pwverify reads",
                      kind=UnknownNameError)
        self.b.note_framework(call.framework, spelled)
        bound = self.b.bind(call.signature, positional, keywords, _display(spelled))
        if call.primitive:
            bound = {k: self.b.unmask(v) for k, v in bound.items()}
        return call.build(self.b, bound)

    def call_method(self, method: BoundMethod, positional: list, keywords: dict, node: ast.AST | None) -> Any:
        receiver, name = method.receiver, method.name
        if isinstance(receiver, (list, tuple)):
            try:
                return getattr(receiver, name)(*positional)
            except ValueError as exc:
                self.fail(node, str(exc))
        if isinstance(receiver, AtIndexer):
            return self.b.call_name(f"jax.Array.at.{name}", [receiver] + list(positional), keywords)
        if isinstance(receiver, Masked):
            arr = receiver.values
        else:
            arr = receiver if isinstance(receiver, Array) else Array.scalar(receiver)
        framework = arr.framework or self.b.profile.framework
        qualified = f"{METHOD_PREFIX[framework]}.{name}"
        if registry.resolve(qualified) is None:
            base = name[:-1] if name.endswith("_") and not name.endswith("__") else None
            if base and registry.resolve(f"{METHOD_PREFIX[framework]}.{base}") is not None:
                qualified = f"{METHOD_PREFIX[framework]}.{base}"  # in-place: the value is the same
            else:
                self.fail(node, f"unknown method .{name}() of a {framework} tensor",
                          "see `pwverify primitives` and docs/reference/reading.md", kind=UnknownNameError)
        return self.call_qualified(qualified, [receiver] + positional, keywords, node)

    # -- services the registry's calls use through the builder -------------------------------
    def _iterate(self, value: Any, node: ast.AST | None) -> list:
        if isinstance(value, (Sym, Cond)):
            self.fail(node, "iteration over a value that depends on the inputs")
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, str):
            return list(value)
        if isinstance(value, Masked):
            self.fail(node, "iteration over x[mask]: how many entries it has depends on the inputs",
                      "torch.where(mask, x, 0), or a loop over all entries with an if")
        iterable = self.object_items(value)
        if iterable is not None:
            return iterable
        return self.b.iterate(value)

    def object_items(self, value: Any) -> list | None:
        """The items of a ModuleList/Sequential (its layers), or None."""
        from ..primitives.layers import Layer
        if isinstance(value, Layer):
            return list(value.children.values())
        return None

    def _as_array(self, value: Any, node: ast.AST) -> Array:
        return self.b.to_array(value)


def _assignable(node: ast.expr) -> bool:
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript))


def _display(name: str) -> str:
    """``builtins.len`` is spelled ``len`` in messages."""
    return name[len("builtins."):] if name.startswith("builtins.") else name


def _in_place_name(name: str) -> bool:
    """``relu_``, ``add_``: torch's spelling of an operation that overwrites its input."""
    return name.endswith("_") and not name.endswith("__")


def _bound_inplace(name: str, positional: list, keywords: dict) -> bool:
    """Is the ``inplace`` argument of the call ``name`` True, by keyword or position?"""
    if keywords.get("inplace") is True:
        return True
    call = registry.resolve(name)
    if call is None or "inplace" not in call.signature.names:
        return False
    index = call.signature.names.index("inplace")
    return index < min(len(positional), call.signature.positional) and positional[index] is True
