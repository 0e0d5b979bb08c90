"""Reading a PROGRAM: which callable it names, its inputs, its parameters, its outputs.

``path.py:TARGET`` names a callable of the file: a function (``f``), a class
(``Net``: an instance made with no arguments, read through ``forward``, or
``__call__`` for other classes), a method (``Net.forward``, ``Limiter.phi``), or a call
with constant arguments that makes one (``HuberLoss(delta=0.5)``, ``quantile_loss(0.9)``:
the factory's returned function is read). ``path.py`` alone names the file's only
function or class.
"""

from __future__ import annotations

import ast
from fractions import Fraction
from typing import Any, Mapping

from ..core.errors import Location, UnsupportedError, UsageError
from ..ir.graph import Graph
from ..ir.values import Array
from ..primitives.conventions import Profile
from .builder import Builder
from .classes import ClassValue, Instance
from .inputs import annotation_shape, choose_framework, free_names, make_input, set_outputs, syms_of
from .interpreter import Interpreter
from .names import parse_source, read_source
from .objects import Function, State
from .weights import check_shape, entry_names, holds_parameters, identifier, named_parameters, weight_arrays


class Reading:
    """What reading a program produced (the parts :class:`~pwverify.frontend.ParsedProgram` keeps)."""

    def __init__(self, graph: Graph, builder: Builder, interp: Interpreter):
        self.graph, self.builder, self.interp = graph, builder, interp
        self.declared: dict[str, tuple] = {}
        self.groups: dict[str, list[str]] = {}
        self.weights: list[str] = []
        self.weight_groups: dict[str, list[str]] = {}
        self.weight_shapes: dict[str, tuple] = {}
        self.used: set[str] = set()
        self.function: str | None = None


def read_file(path: str, target: str | None, profile_args: tuple, shapes: dict, weights: Any,
              wrt: Any) -> tuple[Reading, tuple, Profile, str]:
    source = read_source(path)
    tree = parse_source(source, path)
    framework, ties, mode = profile_args
    profile = Profile.parse(choose_framework(tree, framework, path, _focus(tree, target)), ties, mode)
    graph = Graph()
    builder = Builder(graph, profile)
    interp = Interpreter(tree, source, path, builder)
    reading = Reading(graph, builder, interp)
    interp.weight_source = weight_arrays(weights)
    interp.on_parameters = lambda root, prefix: _materialize(reading, root, prefix)
    interp.selection = wrt
    interp.reading = reading
    target = target or _only_callable(interp, path)
    value = _target_value(interp, target, path)
    fn, root = _callable_of(interp, value, target, path)
    reading.function = target
    fdef = fn.node
    env = _declare_inputs(reading, fn, shapes, path)
    if root is not None:
        _materialize(reading, root, "")
    interp.inline_stack.append(fn.name)
    if fn.owner is not None:
        interp.method_stack.append((fn.owner, fn.receiver))
    saved_scope, interp.scope = interp.scope, fn.scope or interp.scope
    try:
        _check_signature(fdef, interp)
        state = State(env)
        interp.exec_block(fdef.body, state)
    finally:
        interp.inline_stack.pop()
        interp.scope = saved_scope
        if fn.owner is not None:
            interp.method_stack.pop()
    loc = interp.loc(fdef)
    if state.returned is False:
        raise UnsupportedError(f"function {fn.name!r} returns nothing", loc,
                               "a function that returns a number or a tensor")
    if state.returned is not True:
        raise UnsupportedError(f"function {fn.name!r} does not return a value on every path", loc,
                               "a return at the end of the function, or an else branch that returns")
    value = interp.detach(state.value) if fn.detached else state.value
    if isinstance(value, Function) or isinstance(value, (Instance, ClassValue)):
        raise UnsupportedError(f"{target} returns {builder.describe(value)}, not a number or a tensor", loc,
                               f"{path}:{target}(...) with constant arguments reads the returned function")
    shape = set_outputs(value, builder, loc)
    return reading, shape, profile, source


def _focus(tree: ast.Module, target: str | None) -> ast.AST | None:
    """The top-level definition a target names (its framework decides for mixed files)."""
    if not target:
        return None
    head = target.split("(")[0].split(".")[0].strip()
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)) and stmt.name == head:
            return stmt
    return None


def _only_callable(interp: Interpreter, path: str) -> str:
    names = list(interp.scope.functions) + list(interp.scope.classes)
    if len(names) != 1:
        listed = ", ".join(names) or "none"
        raise UsageError(f"{path} defines {len(names)} functions and classes ({listed}); say which one",
                         hint=f"{path}:NAME")
    return names[0]


def _target_value(interp: Interpreter, target: str, path: str) -> Any:
    try:
        tree = ast.parse(target, mode="eval")
    except SyntaxError:
        raise UsageError(f"cannot read {target!r} as the part of PROGRAM after the colon",
                         hint=f"{path}:function, {path}:Class, {path}:Class.method or {path}:factory(0.5)") from None
    head = tree.body
    while isinstance(head, (ast.Attribute, ast.Call)):
        head = head.value if isinstance(head, ast.Attribute) else head.func
    scope = interp.scope
    if not isinstance(head, ast.Name) or not (head.id in scope.functions or head.id in scope.classes or
                                              head.id in scope.assigns):
        names = ", ".join(list(scope.functions) + list(scope.classes)) or "none"
        name = head.id if isinstance(head, ast.Name) else target
        raise UsageError(f"{path} has no top-level function {name!r} (functions and classes: {names})",
                         hint=f"{path}:NAME with NAME one of them")
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            text = ast.get_source_segment(target, node) or repr(node.value)
            try:
                node.value = Fraction(text.replace("_", ""))  # 0.9 is exactly 9/10
            except ValueError:
                pass
    for node in ast.walk(tree):
        node.lineno, node.col_offset = 1, 0
    return interp.eval(tree.body, State({}))


def _callable_of(interp: Interpreter, value: Any, target: str, path: str) -> tuple[Function, Any]:
    """The function to read, and the module whose parameters it uses (or None)."""
    root = None
    if isinstance(value, ClassValue):
        value = interp.instantiate(value, [], {}, None)
    if isinstance(value, Instance):
        root = value
        name = "forward" if value.cls.is_module else "__call__"
        found = value.cls.find(name)
        if found is None or not isinstance(found[1], ast.FunctionDef):
            raise UsageError(f"{target} defines no {name}() to read", hint=f"{path}:{value.cls.name}.METHOD")
        value = interp.method(found, value)
    if isinstance(value, Function):
        if isinstance(value.receiver, Instance):
            root = value.receiver
        if isinstance(value.node, ast.Lambda):
            raise UsageError(f"{target} is a lambda", hint="a def function")
        return value, root
    raise UsageError(f"{path}:{target} is {interp.b.describe(value)}, not a function, class or method",
                     hint=f"{path}:function, {path}:Class, {path}:Class.method")


def _check_signature(fdef: ast.FunctionDef, interp: Interpreter) -> None:
    a = fdef.args
    if a.vararg or a.kwarg:
        interp.fail(fdef, "the analysed function takes *args or **kwargs",
                    "plain parameters, one per input")


def _declare_inputs(reading: Reading, fn: Function, shapes: dict, path: str) -> dict:
    interp, graph = reading.interp, reading.graph
    a = fn.node.args
    params = list(a.posonlyargs) + list(a.args)
    defaults = dict(zip([p.arg for p in params][len(params) - len(a.defaults):], a.defaults))
    defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
    params += list(a.kwonlyargs)
    env: dict[str, Any] = dict(fn.closure)
    if fn.receiver is not None:
        env[params[0].arg] = fn.receiver
        params = params[1:]
    for p in params:
        if p.arg in defaults and p.arg not in shapes:
            env[p.arg] = interp.eval(defaults[p.arg], State({}))  # a constant parameter
            continue
        shape = shapes.pop(p.arg) if p.arg in shapes else annotation_shape(p.annotation, interp.fail)
        env[p.arg] = make_input(p.arg, shape, graph, reading.used, interp.loc(p))
        reading.groups[p.arg] = [graph.nodes[s.nid].params[0] for s in syms_of(env[p.arg])]
        reading.declared[p.arg] = shape
    if shapes:
        raise UsageError(f"--shape names {', '.join(shapes)}, which are not parameters of {fn.name}")
    return env


def _materialize(reading: Reading, root: Any, prefix: str) -> None:
    """Name the parameters under ``root`` and give them values: program inputs, or the
    checkpoint's constants."""
    interp, graph = reading.interp, reading.graph
    source = interp.weight_source
    missing = []
    for name, param in named_parameters(root, prefix):
        if param.value is not None:
            continue
        param.name = name
        if source is not None and name in source:
            param.value = check_shape(name, param, source[name])
        elif not param.trainable:
            if param.init is None:
                raise UsageError(f"the buffer {name} has no value", hint="--weights FILE")
            param.value = param.init
        elif source is not None:
            missing.append(name)
        else:
            entries = entry_names(name, param.shape)
            param.value = _as_array(make_input(name, param.shape, graph, reading.used, interp.b.location, entries),
                                    param.shape)
            reading.weights.extend(entries)
            reading.weight_groups[name] = entries
            reading.groups[name] = entries
            reading.groups.setdefault(identifier(name), entries)
            reading.weight_shapes[name] = param.shape
    if missing:
        raise UsageError(f"--weights: the file has no value for {', '.join(missing)}",
                         hint="a state dict saved from the same module (model.state_dict())")


def _as_array(value: Any, shape: tuple) -> Array:
    return value if isinstance(value, Array) else Array(shape, (value,))


def read_expression(text: str, profile_args: tuple, shapes: dict) -> tuple[Reading, tuple, Profile]:
    if not text:
        raise UsageError("empty program", hint="PROGRAM is path.py:function or an expression")
    tree = parse_source(text, "<expr>", "eval")
    framework, ties, mode = profile_args
    profile = Profile.parse(choose_framework(tree, framework, "<expr>"), ties, mode)
    graph = Graph()
    builder = Builder(graph, profile)
    interp = Interpreter(None, text, "<expr>", builder)
    reading = Reading(graph, builder, interp)
    interp.weight_source = None
    interp.on_parameters = None
    interp.selection = None
    env: dict[str, Any] = {}
    for name, node in free_names(tree, profile.framework):
        shape = tuple(shapes.pop(name, ()))
        env[name] = make_input(name, shape, graph, reading.used, interp.loc(node))
        reading.groups[name] = [graph.nodes[s.nid].params[0] for s in syms_of(env[name])]
        reading.declared[name] = shape
    if shapes:
        raise UsageError(f"--shape names {', '.join(shapes)}, which do not occur in the expression")
    value = interp.eval(tree.body, State(env))
    shape = set_outputs(value, builder, Location("<expr>", 1, 1))
    return reading, shape, profile


__all__ = ["read_file", "read_expression", "Reading", "holds_parameters"]
