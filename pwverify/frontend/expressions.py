"""Expressions: constants, names, containers, attributes, indexing, conditionals,
comprehensions and lambdas (operators are in :mod:`.operators`, calls in :mod:`.calls`).

Float literals are read from their source text: ``0.1`` is exactly 1/10.
"""

from __future__ import annotations

import ast
from fractions import Fraction
from typing import Any

import math

from ..ir.values import (Array, Cond, Infinity, ShapeError, Sym, broadcast_to, cond_and, cond_not, cond_or,
                         elementwise, is_number)
from ..primitives.layers import Layer, Param
from ..primitives.tensors import AtIndexer, Masked, MaskIndex
from .builder import ArgIndex, IndexedResult
from .classes import ClassValue, Instance, Super
from .names import ModuleRef
from .objects import (INFINITY_NAMES, IRRATIONAL_NAMES, SUPPORTED_EXPRESSIONS, BoundMethod, Function, Partial, QualName, State,
                      canonical, depends_on_inputs, describe_expr, kind)
from .tensor_attributes import TENSOR_ATTRIBUTES


class ExpressionsMixin:
    """Evaluates expressions to values (see :mod:`pwverify.ir.values`)."""

    def eval(self, node: ast.expr, state: State) -> Any:
        method = getattr(self, f"_eval_{type(node).__name__}", None)
        if method is None:
            self.fail(node, f"{describe_expr(node)} is not supported", SUPPORTED_EXPRESSIONS)
        self.b.location = self.loc(node)
        return method(node, state)

    def _eval_Constant(self, node: ast.Constant, state: State) -> Any:
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
            return value
        if isinstance(value, float):
            text = self.scope.segment(node) or repr(value)
            if math.isinf(value):
                self.fail(node, f"the literal {text} is outside the float64 range (Python reads it as inf)",
                          "a finite number, or math.inf where an infinity is meant")
            try:
                return Fraction(text.replace("_", ""))
            except ValueError:
                return Fraction(value)
        if value is Ellipsis:
            return Ellipsis
        if isinstance(value, Fraction):
            return value  # a constant of the PROGRAM's target text, read exactly
        what = {complex: "complex numbers", bytes: "bytes"}.get(type(value), f"{type(value).__name__} constants")
        self.fail(node, f"{what} are not supported", "ints and floats")

    def _eval_Dict(self, node: ast.Dict, state: State) -> dict:
        out: dict = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                value = self.eval(v, state)
                if not isinstance(value, dict):
                    self.fail(v, f"**{ast.unparse(v)} is {kind(value)}, not a dict")
                out.update(value)
                continue
            key = self.eval(k, state)
            if depends_on_inputs(key) or not isinstance(key, (str, int, Fraction, bool, tuple, type(None))):
                self.fail(k, "dict keys must be constants (strings, numbers)")
            out[key] = self.eval(v, state)
        return out

    def _eval_DictComp(self, node: ast.DictComp, state: State) -> dict:
        pairs = self._comprehension(ast.ListComp(elt=ast.Tuple([node.key, node.value], ast.Load()),
                                                 generators=node.generators), state)
        return dict(pairs)

    def _eval_Name(self, node: ast.Name, state: State) -> Any:
        return self.lookup(node.id, state, node)

    def _eval_Tuple(self, node: ast.Tuple, state: State) -> tuple:
        return tuple(self._eval_elts(node.elts, state))

    def _eval_List(self, node: ast.List, state: State) -> list:
        return self._eval_elts(node.elts, state)

    def _eval_elts(self, elts, state) -> list:
        out = []
        for e in elts:
            literal = _int_literal(e)
            if literal is not None:  # weight matrices: 10^5 integer literals, no location needed
                out.append(literal)
            elif isinstance(e, ast.Starred):
                out.extend(self._iterate(self.eval(e.value, state), e))
            else:
                out.append(self.eval(e, state))
        return out

    def _eval_JoinedStr(self, node, state) -> str:
        return "<f-string>"

    def _eval_NamedExpr(self, node: ast.NamedExpr, state: State) -> Any:
        value = self.eval(node.value, state)
        self.assign(node.target, value, state)
        return value

    def _eval_Slice(self, node: ast.Slice, state: State) -> slice:
        parts = [self.eval(p, state) if p is not None else None for p in (node.lower, node.upper, node.step)]
        for p, sub in zip(parts, (node.lower, node.upper, node.step)):
            if p is not None and not isinstance(p, int):
                self.fail(sub, "slice bounds must be constant integers")
        return slice(*parts)

    # -- attributes --------------------------------------------------------------------------
    def _eval_Attribute(self, node: ast.Attribute, state: State) -> Any:
        value = self.eval(node.value, state)
        self.b.location = self.loc(node)
        return self.attribute(value, node.attr, node)

    def named_value(self, name: str) -> Any:
        """What a qualified name stands for: +inf, an irrational constant (``math.pi`` is
        the exact pi, a node of the graph), or the name itself (a function, a namespace)."""
        if name in INFINITY_NAMES:
            return Infinity(1)
        if name in IRRATIONAL_NAMES:
            prim, arg = IRRATIONAL_NAMES[name]
            return self.b.apply(prim, [arg])
        return QualName(name)

    def attribute(self, value: Any, attr: str, node: ast.AST) -> Any:
        if isinstance(value, QualName):
            return self.named_value(canonical(f"{value.name}.{attr}"))
        if isinstance(value, IndexedResult):
            return value.field(attr, self.b)
        if isinstance(value, Instance):
            return self.instance_attribute(value, attr, node)
        if isinstance(value, ClassValue):
            return self.class_attribute(value, attr, node)
        if isinstance(value, Super):
            return self.super_attribute(value, attr, node)
        if isinstance(value, ModuleRef):
            return self.member(value.scope, attr, node)
        if isinstance(value, Layer):
            if attr in ("eval", "train", "to", "cpu", "cuda", "double", "float"):
                return Partial(QualName("builtins.__pwverify_identity__"), (value,), ())
            return self.layer_attribute(value, attr, node)
        if isinstance(value, Param):
            value = self.b.param_value(value)
        if isinstance(value, Masked):
            if attr in ("shape", "size", "numel") or attr == "__len__":
                self.fail(node, f"x[mask].{attr}: how many entries a mask selects depends on the inputs",
                          "mask.sum() counts them as a number")
            return BoundMethod(value, attr)
        if isinstance(value, (Array, Sym, Cond, bool)) or is_number(value):
            arr = value if isinstance(value, Array) else Array.scalar(value)
            tensor_attr = TENSOR_ATTRIBUTES.get(attr)
            if tensor_attr is not None:
                return tensor_attr(self, value, arr, node)
            return BoundMethod(value, attr)
        if isinstance(value, (list, tuple)) and attr in ("index", "count"):
            return BoundMethod(value, attr)
        if isinstance(value, dict) and attr in ("items", "keys", "values", "get"):
            return BoundMethod(value, attr)
        if isinstance(value, AtIndexer):
            return BoundMethod(value, attr)
        self.fail(node, f"{kind(value)} has no attribute {attr!r} pwverify can read")

    # -- indexing ----------------------------------------------------------------------------
    def _eval_Subscript(self, node: ast.Subscript, state: State) -> Any:
        container = self.eval(node.value, state)
        key = self.eval_index(node.slice, state)
        self.b.location = self.loc(node)
        value = self.subscript(container, key, node)
        if self.b.detaching and isinstance(container, Array):
            value = self.detach(value)      # indexing a tensor makes a view: computed, so detached
        return value

    def eval_index(self, node: ast.expr, state: State) -> Any:
        if isinstance(node, ast.Tuple):
            return tuple(self.eval(e, state) for e in node.elts)
        return self.eval(node, state)

    def subscript(self, container: Any, key: Any, node: ast.AST) -> Any:
        if isinstance(container, Param):
            container = self.b.param_value(container)
        if isinstance(key, ArgIndex):
            return self.b.gather(container, key)
        if isinstance(container, AtIndexer) and not container.indexed:
            return AtIndexer(container.array, key, True)
        if isinstance(container, Layer):
            children = list(container.children.values())
            if isinstance(key, str) and key in container.children:
                return container.children[key]
            if isinstance(key, slice):
                return children[key]
            return children[self._concrete_index(key, node)]
        mask = self.mask_of(key, container, node)
        if mask is not None:
            return Masked(self.b.to_array(container), mask)
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
            if key not in container:
                self.fail(node, f"the key {key!r} is not in the dict", ", ".join(map(repr, container)))
            return container[key]
        self.fail(node, f"cannot index {kind(container)}")

    def mask_of(self, key: Any, container: Any, node: ast.AST) -> Array | None:
        """The mask when ``key`` is a tensor of conditions (``x[x < 0]``), else None."""
        if isinstance(key, MaskIndex):
            key = key.mask
        if isinstance(key, Cond):
            key = Array((), (key,))
        if not (isinstance(key, Array) and key.size and
                all(isinstance(v, (Cond, bool)) for v in key.items)):
            return None
        arr = self.b.to_array(container)
        if key.shape != arr.shape:
            try:
                key = broadcast_to(key, arr.shape)
            except ShapeError:
                self.fail(node, f"a mask of shape {key.shape} indexing a tensor of shape {arr.shape}",
                          "a mask of the tensor's shape")
        return key

    def _concrete_index(self, key: Any, node: ast.AST) -> int:
        if isinstance(key, Array) and key.shape == () and isinstance(key.items[0], int):
            key = key.items[0]
        if isinstance(key, bool) or not isinstance(key, int):
            if isinstance(key, (Sym, Array)) or isinstance(key, Fraction):
                self.fail(node, "indexing with a value that depends on the inputs (or is not an int) "
                                "is not supported", "constant integer indices and loop counters")
            self.fail(node, f"index must be an integer, got {kind(key)}")
        return key

    def _concrete_int(self, value: Any, node: ast.AST) -> int:
        return self._concrete_index(value, node)

    # -- unary, boolean, conditional ---------------------------------------------------------
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
            if isinstance(value, Masked):
                return Masked(self.negate(value.values, node), value.mask)
            return self.negate(value, node)
        if isinstance(node.op, ast.Invert):
            if isinstance(value, (Cond, bool)):
                return cond_not(value)
            if isinstance(value, Array) and all(isinstance(v, (Cond, bool)) for v in value.items):
                return value.with_items([cond_not(v) for v in value.items])
            if isinstance(value, Masked):
                return Masked(value.values.with_items([cond_not(v) for v in value.values.items]), value.mask)
        self.fail(node, f"operator {type(node.op).__name__} is not supported")

    def negate(self, value: Any, node: ast.AST) -> Any:
        value = self.b.number(self.b.param_value(value) if isinstance(value, Param) else value)
        if not (isinstance(value, (Array, Sym)) or is_number(value)):
            self.fail(node, f"negation of {kind(value)}")
        return elementwise(lambda a: -a if is_number(a) else self.b.apply("neg", [self.b.scalar(a)]), value)

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

    # -- comprehensions and lambdas ----------------------------------------------------------
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
        return Function(node, dict(state.env), self.scope)

    def _eval_SetComp(self, node, state) -> Any:
        self.fail(node, "a set comprehension is not supported", "a list comprehension")


def _int_literal(node: ast.expr) -> int | None:
    """The value of an integer literal (``3``, ``-3``), else None."""
    if type(node) is ast.Constant:
        return node.value if type(node.value) is int else None
    if type(node) is ast.UnaryOp and type(node.op) is ast.USub and type(node.operand) is ast.Constant \
            and type(node.operand.value) is int:
        return -node.operand.value
    return None
