"""What the registry's calls ask of the program being read, through the builder.

A structural call (``sum``, ``functools.reduce``, ``nn.Linear``) computes with the
program's own operations: its arithmetic (exact on constants), its comparisons, its
truth values, its calls (of its functions, lambdas, layers). The builder reaches them
through the interpreter reading the program (its ``host``). Parameters of layers and
detaching (``stop_gradient``) are here too.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..ir.values import Array, Cond, Sym
from ..primitives.layers import Param
from ..primitives.tensors import Masked
from .objects import Partial, QualName, kind as _kind


class ProgramServices:
    """Mixed into :class:`~pwverify.frontend.builder.Builder`."""

    host: Any

    # -- the program's own operations (through the interpreter) ---------------------------
    def arith(self, op: str, x: Any, y: Any) -> Any:
        """``x op y`` as the program's ``+ - * / **`` (exact on constants, nodes otherwise)."""
        import ast
        node = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "**": ast.Pow, "@": ast.MatMult}[op]()
        return self.host.binop(node, x, y, None)

    def call(self, fn: Any, positional: Sequence[Any], keywords: dict | None = None) -> Any:
        """Call a value of the program (a function, a lambda, a layer, a registered name)."""
        return self.host.call(fn, list(positional), dict(keywords or {}), None)

    def branch(self, test: Any, then: Any, otherwise: Any) -> Any:
        """``then`` where ``test`` holds, else ``otherwise``, as the program's ``if`` joins
        them (scalars, tensors, tuples; the value not chosen has no autodiff edge)."""
        return self.host.merge(self.truth(test), [(then, otherwise)], None)[0]

    def call_name(self, qualified: str, positional: Sequence[Any], keywords: dict | None = None) -> Any:
        """Call a registered name (``torch.relu``) as the program would."""
        return self.host.call_qualified(qualified, list(positional), dict(keywords or {}), None)

    def sequence(self, value: Any) -> list[Any]:
        """The items of a value the program iterates over (a list, a tensor's rows, a range)."""
        if self.host is not None:
            return self.host._iterate(value, None)
        return self.iterate(value)

    def qualified(self, name: str) -> QualName:
        """The registered function ``name`` as a value the program can call."""
        return QualName(name)

    def partial(self, func: Any, args: tuple, keywords: tuple = ()) -> Partial:
        """``functools.partial(func, *args, **keywords)``."""
        return Partial(func, tuple(args), tuple(keywords))

    def truth(self, value: Any) -> Any:
        """A truth value: a Python bool, or a condition on the inputs."""
        return self.host.truth(value, None)

    def compare(self, rel: str, x: Any, y: Any) -> Any:
        """``x rel y`` as the program's comparison (entrywise on tensors: conditions)."""
        import ast
        op = {"<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE, "==": ast.Eq, "!=": ast.NotEq}[rel]()
        return self.host.compare(op, x, y, None)

    def truth_array(self, value: Any) -> Any:
        """Conditions entrywise: a tensor of numbers means ``!= 0`` entrywise (a mask)."""
        if isinstance(value, Masked):
            value = value.values
        if isinstance(value, Param):
            value = self.param_value(value)
        if isinstance(value, (list, tuple)):
            value = self.to_array(value) if not all(isinstance(v, (Cond, bool)) for v in value) else \
                Array((len(value),), tuple(value))
        if isinstance(value, Array):
            return value.with_items([v if isinstance(v, (Cond, bool)) else self.truth(v) for v in value.items])
        return value if isinstance(value, (Cond, bool)) else self.truth(value)

    def logical(self, kind: str, x: Any, y: Any) -> Any:
        """``and``/``or``/``xor`` of conditions, entrywise."""
        import ast
        op = {"and": ast.BitAnd, "or": ast.BitOr, "xor": ast.BitXor}[kind]()
        return self.host._logical(op, x, y, None)

    def any_of(self, items: Sequence[Any]) -> Any:
        from ..ir.values import cond_or
        return cond_or([self.truth(v) for v in items])

    def all_of(self, items: Sequence[Any]) -> Any:
        from ..ir.values import cond_and
        return cond_and([self.truth(v) for v in items])

    @staticmethod
    def describe(value: Any) -> str:
        """What a value is, in words for messages (``a tensor of shape (3,)``)."""
        return _kind(value)

    # -- parameters and detaching ------------------------------------------------------
    @staticmethod
    def is_param(value: Any) -> bool:
        return isinstance(value, Param)

    def param_value(self, param: Param) -> Array:
        """The entries of a layer's parameter: inputs named by its state_dict key, or constants."""
        if param.value is None:
            if param.init is not None:
                # a buffer, or a layer made on the spot (nn.PReLU()(x)): its data is its init
                return param.init
            self.fail(f"a parameter of shape {param.shape} is used, but it has no state_dict name: it "
                      f"belongs to a layer made outside the module pwverify reads",
                      "make layers in the __init__ of the module named as the PROGRAM (path.py:Net)")
        return param.value

    def detach(self, value: Any) -> Any:
        """``value`` with every entry passed through ``stop_gradient`` (what ``.item()``,
        ``.detach()`` and ``torch.no_grad()`` do)."""
        if isinstance(value, Sym):
            node = self.graph.nodes[value.nid]
            return value if node.op == "stop_gradient" else self.apply("stop_gradient", [value])
        if isinstance(value, Cond):
            return value
        if isinstance(value, Array):
            return value.with_items([self.detach(v) for v in value.items])
        if isinstance(value, (list, tuple)):
            return type(value)(self.detach(v) for v in value)
        return value

    def unmask(self, value: Any) -> Any:
        """The whole array behind ``x[mask]`` (elementwise calls keep the mask aside)."""
        return value.values if isinstance(value, Masked) else value
