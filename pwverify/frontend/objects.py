"""The Python-level objects the interpreter computes with, and small helpers on values.

Numbers, tensors and conditions are :mod:`pwverify.ir.values`; this module adds what a
program manipulates besides them: namespaces and functions reached by name
(:class:`QualName`), functions of the analysed file (:class:`Function`), methods bound
to a receiver, the marker of a variable assigned on only some paths, and the state of
one path through a function body.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..ir.values import Array, Cond, Infinity, Sym, is_number
from ..primitives import registry
from ..primitives.layers import Layer, Param
from ..primitives.tensors import Masked, Unset

MAX_UNROLL = 100_000
MAX_INLINE_DEPTH = 64
#: Names of +infinity (allowed only as a parameter: a reduction's initial value, a norm's order).
INFINITY_NAMES = {"math.inf", "numpy.inf", "jax.numpy.inf", "torch.inf"}
#: Irrational constants by name: (primitive, argument) that makes them (pi = times_pi(1), e = exp(1)).
IRRATIONAL_NAMES = {**{f"{ns}.pi": ("times_pi", 1) for ns in ("math", "numpy", "jax.numpy", "torch")},
                    **{f"{ns}.e": ("exp", 1) for ns in ("math", "numpy", "jax.numpy", "torch")},
                    "math.tau": ("times_pi", 2)}

#: Import aliases understood without an import statement (expression programs).
DEFAULT_ALIASES = {
    "torch": "torch", "F": "torch.nn.functional", "nn": "torch.nn", "jnp": "jax.numpy",
    "jax": "jax", "lax": "jax.lax", "tf": "tensorflow", "np": "numpy", "math": "math",
    "functools": "functools", "keras": "keras",
}

SUPPORTED_STATEMENTS = ("assignments, if/elif/else, for over range(N)/lists/tensors, "
                        "return, pass, nested function definitions")
SUPPORTED_EXPRESSIONS = ("+ - * / ** @, comparisons, and/or/not, x if c else y, calls, "
                         "indexing, lists, tuples, comprehensions")


class Break(Exception):
    pass


class Continue(Exception):
    pass


@dataclass(frozen=True)
class QualName:
    """A namespace or a function reached through one (``torch.nn.functional.relu``).

    Python's builtins are ``builtins.len``, ``builtins.range``, ...: every callable name
    resolves through :func:`pwverify.primitives.registry.resolve`.
    """

    name: str

    def describe_value(self) -> str:
        if registry.resolve(self.name) is not None:
            return f"the function {self.name.removeprefix('builtins.')}"
        return f"the name {self.name}"


@dataclass(eq=False)
class Function:
    """A function of the analysed file (or a lambda), inlined where it is called.

    ``scope`` is the module it was defined in (its names and locations), ``receiver``
    the object a method is bound to (passed as its first parameter), ``owner`` the class
    that defines a method (where ``super()`` starts looking).
    """

    node: ast.FunctionDef | ast.Lambda
    closure: dict[str, Any] = field(default_factory=dict)
    scope: Any = None
    receiver: Any = None
    owner: Any = None
    #: the function runs as under ``@torch.no_grad()``: what it returns is detached
    detached: bool = False

    @property
    def name(self) -> str:
        return getattr(self.node, "name", "<lambda>")

    def describe_value(self) -> str:
        what = "method" if self.receiver is not None else "function"
        return f"the {what} {self.name}" if self.name != "<lambda>" else "a lambda"

    def bind(self, receiver: Any, owner: Any) -> "Function":
        return Function(self.node, self.closure, self.scope, receiver, owner, self.detached)


@dataclass(frozen=True)
class Partial:
    """``functools.partial(f, *args, **keywords)``."""

    func: Any
    args: tuple
    keywords: tuple  # (name, value) pairs

    def describe_value(self) -> str:
        return "a functools.partial"


@dataclass(frozen=True)
class BoundMethod:
    receiver: Any
    name: str

    def describe_value(self) -> str:
        return f"the method .{self.name}()"


@dataclass(frozen=True)
class Undefined:
    """A variable assigned on only some paths of an ``if``."""

    name: str

    def describe_value(self) -> str:
        return f"{self.name!r}, assigned on only some paths"


@dataclass
class State:
    env: dict[str, Any]
    returned: Any = False     # False, True, or a Cond: where the function has returned
    value: Any = None         # the returned value (meaningful where `returned` holds)

    def copy(self) -> "State":
        return State(dict(self.env), self.returned, self.value)


class IndicesPlaceholder:
    """The second item of ``values, indices = torch.max(x, 0)``; fails only if used."""

    def __init__(self, result):
        self.result = result


def is_builtin(name: str) -> bool:
    """Is ``name`` a Python builtin pwverify reads (``len``, ``range``, ``max``, ...)?"""
    return registry.resolve(f"builtins.{name}") is not None


def canonical(name: str) -> str:
    aliases = {"torch.nn.functional": "torch.nn.functional", "jax.numpy": "jax.numpy"}
    return aliases.get(name, name)


def identical(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        if is_number(a) and is_number(b):
            return Fraction(a) == Fraction(b)
        return False
    if isinstance(a, (Sym, QualName, Undefined)):
        return a == b
    if is_number(a) or isinstance(a, (str, bool, type(None), range)):
        return a == b
    if isinstance(a, Array):
        return a.shape == b.shape and all(identical(x, y) for x, y in zip(a.items, b.items))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b))
    if isinstance(a, Cond):
        return a == b
    return False


def is_0d(value: Any) -> bool:
    return isinstance(value, Array) and value.shape == ()


def is_concrete(value: Any) -> bool:
    return not depends_on_inputs(value)


def depends_on_inputs(value: Any) -> bool:
    if isinstance(value, (Sym, Cond)):
        return True
    if isinstance(value, Array):
        return any(depends_on_inputs(v) for v in value.items)
    if isinstance(value, (list, tuple)):
        return any(depends_on_inputs(v) for v in value)
    return False


def rational_power(x, y: Fraction):
    if not is_number(x):
        return None
    import sympy
    value = sympy.Rational(Fraction(x).numerator, Fraction(x).denominator) ** sympy.Rational(y.numerator, y.denominator)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return None


def kind(value: Any) -> str:
    """What a value is, in the program's terms (never an internal class name)."""
    describe = getattr(value, "describe_value", None)
    if callable(describe):
        return describe()
    if isinstance(value, Sym):
        return "a number that depends on the inputs"
    if isinstance(value, bool):
        return f"the truth value {value}"
    if is_number(value):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, range):
        return "a range"
    if isinstance(value, Masked):
        return "x[mask] (the entries a mask selects)"
    if isinstance(value, Unset):
        return f"an unwritten entry of {value.where}"
    if isinstance(value, Param):
        return f"the parameter {value.name or ''} of shape {value.shape}".replace("  ", " ")
    if isinstance(value, Layer):
        return f"a {value.kind.split('.')[-1]} layer"
    if isinstance(value, Infinity):
        return ("an infinite constant (allowed as a norm's order, the initial value of reduce_window, or a "
                "constant mask's fill that a softmax or exp turns into 0)")
    if isinstance(value, Array):
        return f"a tensor of shape {value.shape}"
    if isinstance(value, Cond):
        return "a condition"
    if value is None:
        return "None"
    if type(value).__module__ == "builtins":
        return f"a {type(value).__name__}"
    return "a value pwverify cannot use here"


def as_load(node: ast.expr) -> ast.expr:
    clone = copy.deepcopy(node)
    for sub in ast.walk(clone):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return clone


def describe_stmt(stmt: ast.stmt) -> str:
    names = {"While": "a while loop", "Try": "try/except", "With": "a with block",
             "ClassDef": "a class definition", "Raise": "raise", "Global": "global",
             "Nonlocal": "nonlocal", "Delete": "del", "AsyncFunctionDef": "an async function",
             "Match": "match"}
    return names.get(type(stmt).__name__, f"the statement {type(stmt).__name__}")


def describe_expr(node: ast.expr) -> str:
    names = {"Dict": "a dict", "Set": "a set", "DictComp": "a dict comprehension",
             "SetComp": "a set comprehension", "Await": "await", "Yield": "yield",
             "YieldFrom": "yield from", "NamedExpr": "the := operator"}
    return names.get(type(node).__name__, f"the expression {type(node).__name__}")
