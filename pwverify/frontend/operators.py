"""Operators: arithmetic (exact on constants, nodes otherwise), ``@``, comparisons, truth."""

from __future__ import annotations

import ast
import itertools
import operator
from fractions import Fraction
from typing import Any

from ..ir.values import (Array, Cond, Infinity, ShapeError, Sym, broadcast_shapes, broadcast_to, cond_and, cond_not,
                         cond_or, elementwise, is_number)
from ..primitives.arith import power_params
from ..primitives.layers import Param
from ..primitives.tensors import Masked
from .classes import is_object_value
from .objects import Function, QualName, depends_on_inputs, is_concrete, kind, rational_power

PY_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
             ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
             ast.Pow: operator.pow}
OP_SYMBOL = {ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>",
             ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.MatMult: "@"}
PY_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
          ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Is: operator.is_, ast.IsNot: operator.is_not,
          ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
RELATION = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


_SCALARS = frozenset({Sym, int, Fraction})
_NODE_OPS = frozenset({ast.Add, ast.Sub, ast.Mult, ast.Div})


class OperatorsMixin:
    """Binary operators, matrix products, comparisons and truth values."""

    def _eval_BinOp(self, node: ast.BinOp, state) -> Any:
        # a + b + c + ... nests to the left as deep as it is long: walk the spine in a loop
        spine = [node]
        while isinstance(spine[-1].left, ast.BinOp):
            spine.append(spine[-1].left)
        value = self.eval(spine[-1].left, state)
        for step in reversed(spine):
            right = self.eval(step.right, state)
            self.b.location = self.loc(step)
            value = self.binop(step.op, value, right, step)
        return value

    def binop(self, op: ast.operator, x: Any, y: Any, node: ast.AST) -> Any:
        tx, ty = type(x), type(y)
        if (tx is Sym or ty is Sym) and tx in _SCALARS and ty in _SCALARS and type(op) in _NODE_OPS:
            return self._scalar_binop(op, x, y, node)  # a loop's s = s + w * h: the common case first
        x, y = (self.b.param_value(v) if isinstance(v, Param) else v for v in (x, y))
        if isinstance(x, Masked) or isinstance(y, Masked):
            return self._masked_binop(op, x, y, node)
        if isinstance(op, (ast.BitAnd, ast.BitOr, ast.BitXor)) and _logical(x) and _logical(y):
            return self._logical(op, x, y, node)
        if isinstance(op, ast.Mod) and isinstance(x, str):
            return x  # string formatting (messages)
        x, y = self.b.number(x), self.b.number(y)
        concrete = is_concrete(x) and is_concrete(y)
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
                self.fail(node, f"arithmetic between {kind(x)} and {kind(y)}",
                          "tensors (torch.tensor([...])) for entrywise arithmetic")
        for v in (x, y):
            if not (isinstance(v, (Array, Sym, list, tuple, Infinity)) or is_number(v) or isinstance(v, bool)):
                self.fail(node, f"arithmetic on {kind(v)} is not supported")
        try:
            return elementwise(lambda a, b: self._scalar_binop(op, a, b, node),
                               *[self.b.to_array(v) if isinstance(v, (list, tuple)) else v for v in (x, y)])
        except ShapeError as exc:
            self.fail(node, str(exc))

    def _masked_binop(self, op, x, y, node) -> Any:
        masks = [v.mask for v in (x, y) if isinstance(v, Masked)]
        if len(masks) == 2 and masks[0] != masks[1]:
            self.fail(node, "arithmetic between x[mask] and y[other_mask]", "the same mask on both sides")
        if any(isinstance(v, Array) and v.size > 1 for v in (x, y)):
            self.fail(node, "arithmetic between x[mask] and a tensor: how many entries the mask selects "
                            "depends on the inputs", "x[mask] with numbers, or with y[mask]")
        values = self.binop(op, *(v.values if isinstance(v, Masked) else v for v in (x, y)), node)
        return Masked(self.b.to_array(values), masks[0])

    def _logical(self, op, x, y, node) -> Any:
        """``&``, ``|``, ``^`` of conditions (``(a > 0) & (b > 0)``), entrywise on tensors."""
        def one(a, b):
            if isinstance(op, ast.BitAnd):
                return cond_and([a, b])
            if isinstance(op, ast.BitOr):
                return cond_or([a, b])
            return cond_or([cond_and([a, cond_not(b)]), cond_and([cond_not(a), b])])
        try:
            return elementwise(one, x, y)
        except ShapeError as exc:
            self.fail(node, str(exc))

    def _python_binop(self, op, x, y, node) -> Any:
        fn = PY_BINOPS.get(type(op))
        if fn is None:
            self.fail(node, f"operator {type(op).__name__} is not supported")
        try:
            if isinstance(op, ast.Div) and isinstance(x, int) and isinstance(y, int):
                return Fraction(x, y)
            if isinstance(op, ast.Pow) and isinstance(y, Fraction) and y.denominator != 1:
                result = rational_power(x, y)
                if result is None:
                    return self._scalar_binop(op, x, y, node)
                return result
            return fn(x, y)
        except ZeroDivisionError:
            self.fail(node, "division by zero")
        except TypeError as exc:
            self.fail(node, f"unsupported operation: {exc}")

    def _scalar_binop(self, op, a, b, node) -> Any:
        if isinstance(a, Infinity) or isinstance(b, Infinity):
            return self._infinite_binop(op, a, b, node)
        a, b = self.b.scalar(a), self.b.scalar(b)
        if isinstance(op, ast.Pow):
            return self.power(a, b, node)
        name = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}.get(type(op))
        if name is None:
            self.fail(node, f"operator {OP_SYMBOL.get(type(op), type(op).__name__)} on values that "
                            f"depend on the inputs is not supported", "+ - * / and ** with a constant exponent")
        if name == "div" and is_number(b) and b == 0:
            self.fail(node, "division by zero")
        if type(a) is Sym or type(b) is Sym:
            return self.b.binary(name, a, b)
        return self.b.apply(name, [a, b])

    def _infinite_binop(self, op, a, b, node) -> Any:
        """An infinity (the ``-inf`` fill of a mask) in ``+ - * /``: folded with constants
        (``1 + -inf``); added to a value that depends on the inputs it stays that infinity,
        a constant with no autodiff edge (a softmax or exp then makes it a 0, and the
        frameworks' gradient to the other term through it is 0 as well)."""
        name = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}.get(type(op))
        if name is None:
            self.fail(node, f"operator {OP_SYMBOL.get(type(op), type(op).__name__)} with an infinite constant")
        a, b = (v if isinstance(v, Infinity) else self.b.scalar(v) for v in (a, b))
        if not (isinstance(a, Sym) or isinstance(b, Sym)):
            return self.b.apply(name, [a, b])
        if name == "add":
            return a if isinstance(a, Infinity) else b
        if name == "sub":
            return a if isinstance(a, Infinity) else -b
        self.fail(node, f"{'a product' if name == 'mul' else 'a quotient'} of an infinite constant and a value "
                        "that depends on the inputs", "infinities only as fills that a softmax or exp removes")

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
        a, c = self.b.to_array(self.b.number(x)), self.b.to_array(self.b.number(y))
        if a.ndim == 0 or c.ndim == 0:
            self.fail(node, "@ of a scalar", "x * y")
        if a.ndim > 2 or c.ndim > 2:
            return self._batched_matmul(a, c, node)
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

    def _batched_matmul(self, a: Array, c: Array, node) -> Array:
        """numpy's ``matmul`` on stacks of matrices (the leading dims broadcast)."""
        a2 = a if a.ndim > 1 else a.reshape((1, a.size))
        c2 = c if c.ndim > 1 else c.reshape((c.size, 1))
        try:
            batch = broadcast_shapes(a2.shape[:-2], c2.shape[:-2])
            a3 = broadcast_to(a2, batch + a2.shape[-2:])
            c3 = broadcast_to(c2, batch + c2.shape[-2:])
        except ShapeError:
            self.fail(node, f"@ of shapes {a.shape} and {c.shape}")
        if a3.shape[-1] != c3.shape[-2]:
            self.fail(node, f"@ of shapes {a.shape} and {c.shape}")
        m, k, n = a3.shape[-2], a3.shape[-1], c3.shape[-1]
        items = []
        for idx in itertools.product(*[range(d) for d in batch]):
            for i in range(m):
                for j in range(n):
                    row = [a3.item(idx + (i, t)) for t in range(k)]
                    col = [c3.item(idx + (t, j)) for t in range(k)]
                    items.append(self._dot(row, col, node))
        shape = batch + ((m,) if a.ndim > 1 else ()) + ((n,) if c.ndim > 1 else ())
        return Array(shape, tuple(items), a.framework or c.framework)

    def _dot(self, r, col, node) -> Any:
        """``sum(u * v)``: one ``affine`` node (:meth:`Builder.dot`)."""
        return self.b.dot(r, col)

    # -- comparisons and truth ---------------------------------------------------------------
    def compare(self, op: ast.cmpop, x: Any, y: Any, node: ast.AST) -> Any:
        x, y = (self.b.param_value(v) if isinstance(v, Param) else v for v in (x, y))
        if isinstance(x, Masked) or isinstance(y, Masked):
            masks = [v.mask for v in (x, y) if isinstance(v, Masked)]
            values = self.compare(op, *(v.values if isinstance(v, Masked) else v for v in (x, y)), node)
            return Masked(self.b.to_array(values), masks[0])
        if isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn)):
            if depends_on_inputs(x) or depends_on_inputs(y):
                self.fail(node, "'is' and 'in' on values that depend on the inputs are not supported")
            return PY_CMP[type(op)](x, y)
        rel = RELATION[type(op)]
        if is_concrete(x) and is_concrete(y) and not isinstance(x, Array) and not isinstance(y, Array):
            try:
                return PY_CMP[type(op)](x, y)
            except TypeError:
                if isinstance(op, (ast.Eq, ast.NotEq)):
                    return isinstance(op, ast.NotEq)
                self.fail(node, f"comparison of {kind(x)} and {kind(y)}")
        if isinstance(op, (ast.Eq, ast.NotEq)) and not (_numeric(x) and _numeric(y)):
            return isinstance(op, ast.NotEq)  # a tensor is never equal to None, a string, ...
        if isinstance(x, (list, tuple)) or isinstance(y, (list, tuple)):
            self.fail(node, "comparison of lists is not supported", "compare numbers or tensors")

        def one(a, b):
            a, b = self.b.scalar(a), self.b.scalar(b)
            if is_number(a) and is_number(b):
                return PY_CMP[type(op)](a, b)
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
                      "a comparison of scalars, or (x > 0).any() / .all()")
        if isinstance(value, Param):
            return self.truth(self.b.param_value(value), node)
        if is_number(value) or value is None or isinstance(value, (str, list, tuple, range, dict)):
            return bool(value)
        if is_object_value(value) or isinstance(value, (Function, QualName)):
            return True
        self.fail(node, f"{kind(value)} used as a condition")


def _logical(value: Any) -> bool:
    if isinstance(value, (Cond, bool)):
        return True
    return isinstance(value, Array) and all(isinstance(v, (Cond, bool)) for v in value.items)


def _numeric(value: Any) -> bool:
    return isinstance(value, (Array, Sym, Cond, bool, list, tuple)) or is_number(value)

