"""A program's inputs (from annotations, ``--shape``, parameters) and its outputs.

Shape annotations: ``"float[4]"``, ``"float[2, 3]"`` (any name before the brackets),
``"R^4"``, ``"R^2x3"``, ``Vec[4]`` (any name subscripted with integers), and jaxtyping's
``Float[Tensor, "2 3"]``. ``"float"``, ``float`` and unannotated parameters are scalars;
anything else with digits or brackets is an error at its location.
"""

from __future__ import annotations

import ast
import itertools
import re
from typing import Any

from ..core.errors import FrameworkError, Location, PwverifyError, UnsupportedError, UsageError
from ..ir.graph import Graph
from ..ir.values import Array, Cond, Sym, is_scalar
from ..primitives.conventions import FRAMEWORKS, is_neutral
from .builder import Builder
from .objects import DEFAULT_ALIASES, canonical, is_builtin

_BRACKETS = re.compile(r"^\s*(?:[A-Za-z_][\w.]*)?\s*\[\s*(?P<dims>\d+(?:\s*,\s*\d+)*)\s*,?\s*\]\s*$")
_POWER = re.compile(r"^\s*(?:R|ℝ|float|real)\s*\^\s*\{?\s*(?P<dims>\d+(?:\s*[x×,*]\s*\d+)*)\s*\}?\s*$")
_SCALAR = re.compile(r"^\s*(?:[A-Za-z_][\w.]*)?\s*$")
_SHAPE_HINT = 'a shape such as "float[4]" or "float[2, 3]" (positive integers), "R^4", or a scalar "float"'


def annotation_shape(ann: ast.expr | None, fail) -> tuple:
    """The shape an annotation declares (``()`` for a scalar)."""
    if ann is None:
        return ()
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        return string_shape(ann.value, lambda: fail(ann, f"cannot read a shape from the annotation "
                                                         f"{ann.value!r}", _SHAPE_HINT))
    if isinstance(ann, ast.Subscript):
        inner = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        if all(isinstance(e, ast.Constant) and isinstance(e.value, int) and not isinstance(e.value, bool)
               for e in inner):
            return tuple(e.value for e in inner)
        strings = [e.value for e in inner if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if len(inner) == 2 and len(strings) == 1 and re.fullmatch(r"\s*\d+(\s+\d+)*\s*", strings[0]):
            return tuple(int(d) for d in strings[0].split())  # jaxtyping: Float[Tensor, "2 3"]
        if len(inner) == 2 and len(strings) == 1 and not strings[0].strip():
            return ()
        fail(ann, f"cannot read a shape from the annotation {ast.unparse(ann)}",
             'a string such as "float[4]", Vec[4], or Float[Tensor, "4"]')
    return ()


def string_shape(text: str, bad) -> tuple:
    for pattern in (_BRACKETS, _POWER):
        m = pattern.match(text)
        if m:
            dims = tuple(int(d) for d in re.findall(r"\d+", m.group("dims")))
            return dims
    if _SCALAR.match(text):
        return ()
    bad()


def make_input(name: str, shape: tuple, graph: Graph, used: set, loc: Location | None,
               entries: list[str] | None = None) -> Any:
    if any(n <= 0 for n in shape):
        raise UsageError(f"input {name} has an empty shape {shape}", loc)
    if entries is None:
        entries = [name] if not shape else \
            [name + "_".join(str(i) for i in idx) for idx in itertools.product(*[range(n) for n in shape])]
    for e in entries:
        if e in used:
            raise UsageError(f"the input name {e} is used twice (vector entries are named "
                             f"{name}0, {name}1, ...)", loc, "distinct parameter names")
        used.add(e)
    syms = [Sym(graph.input(e, loc)) for e in entries]
    if not shape:
        return syms[0]
    return Array(shape, tuple(syms))


def syms_of(value: Any) -> list[Sym]:
    return list(value.items) if isinstance(value, Array) else [value]


def set_outputs(value: Any, builder: Builder, loc: Location) -> tuple:
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
        raise UnsupportedError(f"the returned value is {builder.describe(value)}, not a number or a tensor", loc,
                               "return a number, a tensor, or a (nested) list of numbers")
    if not items:
        raise UnsupportedError("the program returns an empty tensor", loc)
    builder.location = loc
    for item in items:
        if isinstance(item, Cond):
            raise UnsupportedError("the program returns a truth value", loc, "return a number or a tensor")
        builder.graph.outputs.append(builder.node(item))
    return tuple(shape)


def free_names(tree: ast.Expression, framework: str) -> list[tuple[str, ast.Name]]:
    """Names of an expression that are neither functions, namespaces, nor bound inside it."""
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


def choose_framework(tree: ast.AST, requested: str | None, filename: str, focus: ast.AST | None = None) -> str:
    """The framework whose namespace the program uses (checked against ``requested``).

    When the file uses several, the one its ``focus`` (the analysed definition) uses."""
    try:
        return _choose(tree, tree, requested, filename)
    except FrameworkError:
        if focus is None:
            raise
        return _choose(tree, focus, requested, filename)


def _walk(tree: ast.AST):
    """``ast.walk`` that does not visit literals one by one (a weight matrix written out in
    the file has 10^5 of them)."""
    from collections import deque
    stack = deque([tree])   # breadth first, as ast.walk
    while stack:
        node = stack.popleft()
        kind = type(node)
        if kind is ast.Constant:
            continue
        if kind is ast.List or kind is ast.Tuple:
            stack.extend(e.operand if type(e) is ast.UnaryOp else e for e in node.elts if type(e) is not ast.Constant)
            yield node
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _choose(tree: ast.AST, scan: ast.AST, requested: str | None, filename: str) -> str:
    from ..primitives.registry import framework_of
    aliases = dict(DEFAULT_ALIASES)
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    used: dict[str, ast.AST] = {}
    for node in _walk(scan):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in aliases:
            fw = framework_of(canonical(aliases[node.id]))
            if fw and fw not in used:
                used[fw] = node
    if requested is not None and requested not in FRAMEWORKS:
        raise UsageError(f"unknown framework {requested!r}", hint=", ".join(FRAMEWORKS))
    if len(used) > 1:
        (fw1, n1), (fw2, n2) = list(used.items())[:2]
        raise FrameworkError(f"the program uses both {fw1} and {fw2}",
                             Location(filename, n2.lineno, n2.col_offset + 1), "one framework per program")
    if used:
        found = next(iter(used))
        if requested is not None and requested != found:
            node = used[found]
            raise FrameworkError(f"the program calls {found} functions but --framework {requested} was asked",
                                 Location(filename, node.lineno, node.col_offset + 1),
                                 f"--framework {found}, or framework-neutral names (relu, abs, max, np.*)")
        return found
    return requested or "torch"
