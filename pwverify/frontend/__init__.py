"""Frontend: a PROGRAM (``path.py:function`` or an expression) to a graph.

Vector inputs are declared with a string annotation giving their shape, which keeps
the file importable by Python and the frameworks (for ``pwverify crosscheck``)::

    def f(x: "float[4]", t: float):     # x has 4 entries x0..x3, t is a scalar
    def g(X: "float[2, 3]"):            # X has entries X0_0 ... X1_2

``"R^4"`` and ``Vec[4]`` (any name subscripted with integers) are read the same
way; ``--shape x=4`` on the command line overrides an annotation. Parameters with a
default value are constants, not inputs. An expression's free names are scalar
inputs, in order of first appearance.

>>> p = parse_program("relu(-t) + t")
>>> p.input_names, p.framework
(['t'], 'torch')
>>> print(p.graph.to_text())
%0 = input t
%1 = neg(%0)    # <expr>:1:6
%2 = relu(%1)    # <expr>:1:1
%3 = add(%2, %0)    # <expr>:1:1
return %3
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ..primitives.conventions import FRAMEWORKS, Profile, is_neutral
from ..core.errors import (Location, ProgramSyntaxError, PwverifyError, UnsupportedError, UsageError)
from ..ir.graph import Graph
from .builder import Builder
from .interpreter import Interpreter
from .objects import DEFAULT_ALIASES, Function, State, canonical as _canonical, is_builtin
from ..ir.values import Array, Cond, Sym, is_number

_PROGRAM_FILE = re.compile(r"^(?P<path>.+?\.py)(?::(?P<func>[A-Za-z_][A-Za-z0-9_]*))?$")


@dataclass
class ParsedProgram:
    """A program read into a graph, with its inputs and outputs described."""

    graph: Graph
    input_names: list[str]              # one per scalar input (vector entries expanded)
    input_shapes: dict[str, tuple]      # declared parameters and their shapes
    output_shape: tuple                 # () for a scalar output
    framework: str
    profile: Profile
    label: str                          # "file.py:f" or the expression
    source: str = ""
    filename: str = "<expr>"
    function: str | None = None
    input_groups: dict[str, list[str]] = field(default_factory=dict)


def is_program_file(spec: str) -> bool:
    return bool(_PROGRAM_FILE.match(spec.strip()))


def parse_program(spec: str, framework: str | None = None, shapes: dict[str, tuple] | None = None,
                  ties: list[str] | None = None, mode: str = "reverse") -> ParsedProgram:
    """Read ``path.py:func`` or an expression into a graph (never runs the code).

    ``framework``: the profile for framework-neutral names; by default the framework
    whose namespace the program uses, or torch.
    """
    shapes = dict(shapes or {})
    spec = spec.strip()
    match = _PROGRAM_FILE.match(spec)
    if match:
        return _parse_file(match.group("path"), match.group("func"), framework, shapes, ties, mode, spec)
    return _parse_expression(spec, framework, shapes, ties, mode)


def _read(path: str) -> str:
    if not os.path.exists(path):
        raise UsageError(f"no such file: {path}", hint="PROGRAM is path.py:function or an expression")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def _syntax(source: str, filename: str, mode: str = "exec") -> ast.AST:
    try:
        return ast.parse(source, filename=filename, mode=mode)
    except SyntaxError as exc:
        loc = Location(filename, exc.lineno or 1, (exc.offset or 1))
        raise ProgramSyntaxError(f"invalid Python syntax: {exc.msg}", loc,
                                 "a Python function or expression") from None


def _parse_file(path, func_name, framework, shapes, ties, mode, label) -> ParsedProgram:
    source = _read(path)
    tree = _syntax(source, path)
    functions = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}
    if func_name is None:
        if len(functions) != 1:
            names = ", ".join(functions) or "none"
            raise UsageError(f"{path} defines {len(functions)} functions ({names}); say which one",
                             hint=f"{path}:NAME")
        func_name = next(iter(functions))
    if func_name not in functions:
        names = ", ".join(functions) or "none"
        raise UsageError(f"{path} has no top-level function {func_name!r} (functions: {names})",
                         hint=f"{path}:NAME with NAME one of the functions")
    fdef = functions[func_name]
    profile = Profile.parse(_choose_framework(tree, framework, path), ties, mode)
    graph = Graph()
    builder = Builder(graph, profile)
    interp = Interpreter(tree, source, path, builder)
    env, groups, declared = _declare_inputs(fdef, interp, graph, shapes, path)
    params = [p.arg for p in fdef.args.args]
    positional = [env[p] for p in params if p in env]
    interp.inline_stack.append(func_name)
    try:
        _check_signature(fdef, interp)
        state = State(dict(env))
        for p in params:
            if p not in env:  # a parameter with a default value: a constant
                default = fdef.args.defaults[params.index(p) - (len(params) - len(fdef.args.defaults))]
                state.env[p] = interp.eval(default, State({}))
        interp.exec_block(fdef.body, state)
    finally:
        interp.inline_stack.pop()
    del positional
    if state.returned is False:
        raise UnsupportedError(f"function {func_name!r} returns nothing", interp.loc(fdef),
                               "a function that returns a number or a tensor")
    if state.returned is not True:
        raise UnsupportedError(f"function {func_name!r} does not return a value on every path",
                               interp.loc(fdef), "a return at the end of the function")
    shape = _set_outputs(state.value, builder, interp.loc(fdef))
    return ParsedProgram(graph, graph.input_names(), declared, shape, profile.framework, profile,
                         label, source, path, func_name, groups)


def _check_signature(fdef: ast.FunctionDef, interp: Interpreter) -> None:
    a = fdef.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
        interp.fail(fdef, "the analysed function uses *args, **kwargs or keyword-only parameters",
                    "plain parameters, one per input")
    for deco in fdef.decorator_list:
        text = ast.unparse(deco)
        if text.split("(")[0] not in ("jax.jit", "jit", "tf.function", "torch.compile", "staticmethod"):
            interp.fail(deco, f"decorator @{text} is not supported", "@jax.jit, @tf.function, @torch.compile")


def _declare_inputs(fdef, interp, graph, shapes, path):
    env: dict[str, Any] = {}
    groups: dict[str, list[str]] = {}
    declared: dict[str, tuple] = {}
    params = fdef.args.args
    n_defaults = len(fdef.args.defaults)
    used: set[str] = set()
    for i, p in enumerate(params):
        if i >= len(params) - n_defaults and p.arg not in shapes:
            continue  # a constant parameter
        shape = shapes.pop(p.arg) if p.arg in shapes else _annotation_shape(p.annotation, interp)
        env[p.arg] = _make_input(p.arg, shape, graph, used, interp.loc(p))
        groups[p.arg] = [graph.nodes[s.nid].params[0] for s in _syms(env[p.arg])]
        declared[p.arg] = shape
    if shapes:
        raise UsageError(f"--shape names {', '.join(shapes)}, which are not parameters of {fdef.name}")
    return env, groups, declared


def _annotation_shape(ann: ast.expr | None, interp: Interpreter) -> tuple:
    if ann is None:
        return ()
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        dims = [int(d) for d in re.findall(r"\d+", ann.value)]
        return tuple(dims)
    if isinstance(ann, ast.Subscript):
        inner = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        if all(isinstance(e, ast.Constant) and isinstance(e.value, int) for e in inner):
            return tuple(e.value for e in inner)
        interp.fail(ann, f"cannot read a shape from the annotation {ast.unparse(ann)}",
                    'a string such as "float[4]", or Vec[4]')
    return ()


def _make_input(name: str, shape: tuple, graph: Graph, used: set, loc: Location) -> Any:
    if any(n <= 0 for n in shape):
        raise UsageError(f"input {name} has an empty shape {shape}", loc)
    if not shape:
        entries = [name]
    else:
        import itertools
        entries = [name + "_".join(str(i) for i in idx) for idx in itertools.product(*[range(n) for n in shape])]
    for e in entries:
        if e in used:
            raise UsageError(f"the input name {e} is used twice (vector entries are named "
                             f"{name}0, {name}1, ...)", loc, "distinct parameter names")
        used.add(e)
    syms = [Sym(graph.input(e, loc)) for e in entries]
    if not shape:
        return syms[0]
    return Array(shape, tuple(syms))


def _syms(value: Any) -> list[Sym]:
    return list(value.items) if isinstance(value, Array) else [value]


def _set_outputs(value: Any, builder: Builder, loc: Location) -> tuple:
    from ..ir.values import is_scalar
    if isinstance(value, (list, tuple)) and not isinstance(value, Array):
        try:
            value = builder.to_array(list(value))
        except PwverifyError:
            raise UnsupportedError("the returned value is not a number or a tensor", loc,
                                   "return a number, a tensor, or a (nested) list of numbers") from None
    if isinstance(value, Cond) or isinstance(value, bool):
        raise UnsupportedError("the program returns a truth value", loc, "return a number or a tensor")
    if isinstance(value, Array):
        items, shape = list(value.items), value.shape
    elif is_scalar(value):
        items, shape = [value], ()
    else:
        raise UnsupportedError(f"the returned value is not a number or a tensor", loc,
                               "return a number, a tensor, or a (nested) list of numbers")
    if not items:
        raise UnsupportedError("the program returns an empty tensor", loc)
    builder.location = loc
    for item in items:
        if isinstance(item, Cond):
            raise UnsupportedError("the program returns a truth value", loc, "return a number or a tensor")
        builder.graph.outputs.append(builder.node(item))
    return tuple(shape)


def _parse_expression(text: str, framework, shapes, ties, mode) -> ParsedProgram:
    if not text:
        raise UsageError("empty program", hint="PROGRAM is path.py:function or an expression")
    tree = _syntax(text, "<expr>", "eval")
    profile = Profile.parse(_choose_framework(tree, framework, "<expr>"), ties, mode)
    graph = Graph()
    builder = Builder(graph, profile)
    interp = Interpreter(None, text, "<expr>", builder)
    env: dict[str, Any] = {}
    groups: dict[str, list[str]] = {}
    declared: dict[str, tuple] = {}
    used: set[str] = set()
    for name, node in _free_names(tree, profile.framework):
        shape = tuple(shapes.pop(name, ()))
        env[name] = _make_input(name, shape, graph, used, interp.loc(node))
        groups[name] = [graph.nodes[s.nid].params[0] for s in _syms(env[name])]
        declared[name] = shape
    if shapes:
        raise UsageError(f"--shape names {', '.join(shapes)}, which do not occur in the expression")
    value = interp.eval(tree.body, State(env))
    shape = _set_outputs(value, builder, Location("<expr>", 1, 1))
    return ParsedProgram(graph, graph.input_names(), declared, shape, profile.framework, profile,
                         text, text, "<expr>", None, groups)


def _free_names(tree: ast.Expression, framework: str) -> list[tuple[str, ast.Name]]:
    """Names that are neither functions, namespaces, nor bound inside the expression."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda):
            bound.update(a.arg for a in node.args.args)
        elif isinstance(node, ast.comprehension):
            bound.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    names.sort(key=lambda n: (n.lineno, n.col_offset))
    out, seen = [], set()
    for n in names:
        name = n.id
        if name in seen or name in bound:
            continue
        seen.add(name)
        known = (is_builtin(name) or name in DEFAULT_ALIASES or
                 is_neutral(name) or name in ("True", "False", "None"))
        if known or name in called:
            continue
        out.append((name, n))
    return out


def _choose_framework(tree: ast.AST, requested: str | None, filename: str) -> str:
    """The framework whose namespace the program uses (checked against ``requested``)."""
    from ..primitives.registry import framework_of
    aliases = dict(DEFAULT_ALIASES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    used: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in aliases:
            fw = framework_of(_canonical(aliases[node.id]))
            if fw and fw not in used:
                used[fw] = node
    if requested is not None and requested not in FRAMEWORKS:
        raise UsageError(f"unknown framework {requested!r}", hint=", ".join(FRAMEWORKS))
    if len(used) > 1:
        (fw1, n1), (fw2, n2) = list(used.items())[:2]
        from ..core.errors import FrameworkError
        raise FrameworkError(f"the program uses both {fw1} and {fw2}",
                             Location(filename, n2.lineno, n2.col_offset + 1), "one framework per program")
    if used:
        found = next(iter(used))
        if requested is not None and requested != found:
            node = used[found]
            from ..core.errors import FrameworkError
            raise FrameworkError(f"the program calls {found} functions but --framework {requested} was asked",
                                 Location(filename, node.lineno, node.col_offset + 1),
                                 f"--framework {found}, or framework-neutral names (relu, abs, max, np.*)")
        return found
    return requested or "torch"


__all__ = ["ParsedProgram", "parse_program", "is_program_file"]
