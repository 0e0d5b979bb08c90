"""The primitive registry: everything pwverify knows about an operation, in one record.

(One module of about 570 lines: the leaf of the package; a table's branch selection, its
exact and vectorised evaluation and its signature are one record, kept together.)

A :class:`Primitive` holds

* its IR name and arity;
* its **piece table** (:class:`PieceTable`): for ``n`` arguments, a finite family of
  branches, each a conjunction of atoms over the arguments ``a0, a1, ...`` and a smooth
  formula per output. The branches are pairwise disjoint and cover the primitive's
  domain; the formula on a tie branch is the one the framework's autodiff
  differentiates, which is how a tie convention is written down;
* the **calls** that reach it from source code (``torch.maximum``, ``jnp.maximum``,
  Python's ``max`` ...), each with the framework that defines it and its signature;
* a docstring citing where its rule comes from.

Nothing else in pwverify is edited to add a primitive: the frontend resolves calls
through :func:`resolve`, the engines read :meth:`Primitive.table`. This module is the
leaf of the package: the families import it and register their records, and
``pwverify.primitives`` imports every family, so importing the package fills the registry.

>>> from pwverify import primitives  # registers every family
>>> relu = get("relu")
>>> for b in relu.table(1).branches():
...     print(b)
a0 > 0: a0
a0 <= 0: 0
"""

from __future__ import annotations

import abc

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import sympy

from ..core.atoms import Atom, conjoin, describe
from ..core.compiled import compile_formula
from ..core.exact import exact, sign

class _Arguments:
    """The formal arguments ``a0, a1, ...`` of every piece table, as many as asked for.

    >>> ARGS[2], ARGS[:3]
    (a2, (a0, a1, a2))
    """

    def __init__(self):
        self._symbols: list[sympy.Symbol] = []

    def _grow(self, n: int) -> None:
        while len(self._symbols) < n:
            self._symbols.append(sympy.Symbol(f"a{len(self._symbols)}"))

    def __getitem__(self, key):
        if isinstance(key, slice):
            stop = key.stop if key.stop is not None else len(self._symbols)
            self._grow(stop)
            return tuple(self._symbols[key])
        self._grow(key + 1)
        return self._symbols[key]

    def __iter__(self):
        i = 0
        while True:
            yield self[i]
            i += 1


ARGS = _Arguments()


def args(n: int) -> tuple[sympy.Symbol, ...]:
    return ARGS[:n]


@dataclass(frozen=True)
class Branch:
    """One piece of a primitive: where (over the arguments) and the formulas there."""

    where: tuple[Atom, ...]
    value: tuple[sympy.Expr, ...]
    label: str = ""
    order: tuple = ()  # where the branch sits in its table (sorts pieces for display)
    #: The derivative the framework uses on this branch when it is *not* the gradient of
    #: ``value`` (rows per output, columns per argument). Such a rule is not a selection
    #: derivative; pwverify models it to predict the framework exactly and reports it.
    #: Entries may be ``sympy.oo`` (``sqrt`` at 0: every framework returns inf).
    jacobian: tuple | None = None
    _compiled: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __str__(self) -> str:
        formulas = ", ".join(sympy.sstr(v) for v in self.value)
        extra = f"  (derivative {list(map(list, self.jacobian))})" if self.jacobian else ""
        return f"{describe(self.where)}: {formulas}{extra}"

    def local_jacobian(self, n_args: int) -> tuple[tuple[sympy.Expr, ...], ...]:
        """d value / d arguments on this branch (the override if there is one)."""
        key = ("jacobian", n_args)
        if key not in self._compiled:
            if self.jacobian is not None:
                rows = tuple(tuple(sympy.sympify(d) for d in row) for row in self.jacobian)
            else:
                rows = tuple(tuple(sympy.diff(f, ARGS[i]) for i in range(n_args)) for f in self.value)
            self._compiled[key] = rows
        return self._compiled[key]

    # -- exact evaluation at argument values (the pointwise engine) -------------------------
    def holds(self, values: Sequence) -> bool:
        """Do the branch's atoms hold at exact argument values?"""
        return all(atom_holds(atom, values) for atom in self.where)

    def values_at(self, values: Sequence) -> tuple:
        """The formulas at exact argument values (exact numbers)."""
        n = len(values)
        fns = self._compiled.get(("value", n))
        if fns is None:
            fns = tuple(compile_formula(f, ARGS[:n]) for f in self.value)
            self._compiled[("value", n)] = fns
        return tuple(fn(*values) for fn in fns)

    def jacobian_at(self, values: Sequence) -> tuple[tuple, ...]:
        """The local derivative at exact argument values (may hold inf or nan)."""
        n = len(values)
        fns = self._compiled.get(("dvalue", n))
        if fns is None:
            fns = tuple(tuple(_derivative_function(d, n) for d in row) for row in self.local_jacobian(n))
            self._compiled[("dvalue", n)] = fns
        return tuple(tuple(fn(values) for fn in row) for row in fns)


_ZERO = exact(0)


def _derivative_function(d: sympy.Expr, n: int):
    if d == 0:
        return lambda values: _ZERO
    if d.has(sympy.oo, sympy.nan, sympy.zoo):
        constant = exact(d)
        return lambda values: constant
    fn = compile_formula(d, ARGS[:n])
    return lambda values: fn(*values)


def atom_holds(atom: Atom, values: Sequence) -> bool:
    """Exact truth of an atom over the arguments ``a0, a1, ...`` at ``values``."""
    fn = compile_formula(atom.expr, ARGS[:len(values)])
    return atom.truth_from_sign(sign(fn(*values)))


def exact_float(x: float):
    """A finite float as the exact rational it is."""
    from fractions import Fraction
    return exact(Fraction(float(x)))


def float_of(value) -> float:
    """An exact number (or inf, -inf, nan) rounded to the nearest float."""
    from ..core.exact import NonFinite, to_sympy
    if isinstance(value, NonFinite):
        return {"inf": float("inf"), "-inf": float("-inf")}.get(value.kind, float("nan"))
    try:
        return float(value)
    except TypeError:
        return float(sympy.N(to_sympy(value), 30))


@dataclass(frozen=True)
class Local:
    """What a primitive is at exact argument values: the branch taken (by label, and the
    branch itself when it was built), the outputs, the local derivative (rows per output;
    entries may be inf or nan), which entries are zero by the branch's formula (masks),
    and which arguments have no autodiff edge."""

    label: str
    values: tuple
    jacobian: tuple
    structural_zero: tuple
    detached: tuple = ()
    branch: "Branch | None" = None
    #: In reverse mode a zero cotangent gives zero, even times an infinite derivative
    #: (tensorflow's sqrt gradient); forward mode multiplies as IEEE does.
    absorbs_zero: bool = False


class PieceTable(abc.ABC):
    """The branches of one primitive at one arity (and parameter values).

    Subclasses with very many branches (``torch.max`` over n entries has 2**n - 1) set
    ``implicit``, list their branches lazily, and override :meth:`branch_at` and
    :meth:`encode_choice`, so the composition lets the solver propose only the
    branches that are feasible on a piece.
    """

    n_args: int
    n_out: int = 1
    domain: tuple[Atom, ...] = ()
    #: True when the composition should enumerate branches with :meth:`encode_choice`.
    implicit: bool = False
    #: Whether a zero local derivative is a mask (the framework passes a zero whatever
    #: comes in: relu's where) or a product (``grad * sign(x)``: an infinite or nan
    #: cotangent times 0 is nan, as torch's and tensorflow's abs do at 0).
    zero_masks: bool = True
    #: See :attr:`Local.absorbs_zero`.
    zero_cotangent_absorbs: bool = False

    @abc.abstractmethod
    def branches(self) -> Iterable[Branch]:
        """Every branch, in the table's order."""

    def count(self) -> int:
        return sum(1 for _ in self.branches())

    def branch_at(self, values: Sequence) -> Branch:
        """The branch whose condition holds at exact argument values.

        Tables with many branches override this with a direct rule; a test checks every
        override against this default on every tie pattern of small arities.
        """
        for branch in self.branches():
            if branch.holds(values):
                return branch
        raise ValueError(f"no branch of the table holds at {list(values)}")

    def at(self, values: Sequence) -> Local:
        """The primitive at exact argument values (the pointwise engine's question).

        Tables with very many arguments override this with a direct computation (no
        symbolic branch); the engine-agreement test checks every override against this.
        """
        branch = self.branch_at(values)
        n = len(values)
        zeros = tuple(tuple(d == 0 and self.zero_masks for d in row) for row in branch.local_jacobian(n))
        return Local(branch.label, branch.values_at(values), branch.jacobian_at(values), zeros,
                     tuple(self.detached_args(branch)), branch, self.zero_cotangent_absorbs)

    @property
    def selection(self) -> bool:
        """Has the table more than one branch (is it a kink or a tie somewhere)?"""
        return self.implicit or self.count() > 1

    def in_domain(self, values: Sequence) -> bool:
        """Are exact argument values inside the primitive's domain?"""
        return all(atom_holds(atom, values) for atom in self.domain)

    def detached_args(self, branch: Branch) -> Sequence[int]:
        """Arguments with no autodiff edge on ``branch`` (Python control flow, ``detach``).

        Elsewhere a zero entry of the local derivative is a *mask*: the framework passes a
        zero gradient, which a later infinite derivative turns into nan; through a detached
        argument nothing passes at all.
        """
        return ()

    def required_args(self, branch: Branch) -> Sequence[int] | None:
        """The arguments that must have a value for ``branch`` to have one (None: all).

        Only a lazy ``if`` needs less than all of them: the branch not taken may be
        undefined (``log(x) if x > 0 else 0``).
        """
        return None

    #: Beyond this many branches the generic :meth:`numeric` asks :meth:`at` point by point.
    numeric_branch_limit: int = 64

    def numeric(self, args: Sequence):
        """The primitive over float64 arrays (one per argument, or a float for a constant):
        a :class:`pwverify.core.vectorised.NumericLocal` (the numeric engine's question).

        Generic rule: every branch's atoms evaluated on the arrays, the branch that holds
        chosen per point, its formulas and derivative entries compiled once per table.
        Tables with very many branches override it with a direct computation; without
        one they fall back to :meth:`at` at each point. Float comparisons are exact, so
        where the float arguments are exact the branch is the one :meth:`at` takes.
        """
        compiled = self.__dict__.get("_numeric")
        if compiled is None:
            compiled = self._compile_numeric()
            self.__dict__["_numeric"] = compiled
        return compiled(args)

    def _compile_numeric(self):
        from ..core.vectorised import CompiledBranches, per_point, size_of
        if self.implicit or self.count() > self.numeric_branch_limit:
            return lambda args: per_point(self, args, size_of(args), exact_float, float_of)
        n = self.n_args
        spec, in_atoms = [], set()
        for branch in self.branches():
            detached = set(self.detached_args(branch))
            jac = branch.local_jacobian(n)
            zero = tuple(tuple(i in detached or d == 0 and self.zero_masks for i, d in enumerate(row)) for row in jac)
            spec.append(([(a.expr, a.rel) for a in branch.where], branch.value, jac, zero))
            for a in branch.where:
                in_atoms |= {i for i, s in enumerate(ARGS[:n]) if s in a.expr.free_symbols}
        domain = [(a.expr, a.rel) for a in self.domain]
        lazy = getattr(self, "lazy", False)
        checked = () if lazy or len(spec) == 1 else tuple(i for i in range(n) if i not in in_atoms)
        return CompiledBranches(n, spec, domain, checked)

    def encode_choice(self, terms: Sequence, fresh: Callable[[str], Any]) -> tuple[list, list, Callable]:
        """z3 constraints whose models are the branches holding at the argument terms.

        ``fresh(stem)`` makes a fresh z3 real. Returns ``(constraints, keys, decode)``:
        ``keys`` are z3 terms whose values identify a branch (the enumeration blocks
        them), ``decode(model)`` is the branch of a model. Implicit tables only.
        """
        raise TypeError(f"{type(self).__name__} lists its branches; it has no implicit encoding")


class ExplicitTable(PieceTable):
    """A table given as a list of branches."""

    def __init__(self, n_args: int, branches: Sequence[Branch], domain: Sequence[Atom] = (),
                 n_out: int | None = None):
        self.n_args = n_args
        self._branches = tuple(b if b.order else Branch(b.where, b.value, b.label or _row_label(b), (i,), b.jacobian)
                               for i, b in enumerate(branches))
        self.domain = tuple(domain)
        self.n_out = n_out if n_out is not None else len(self._branches[0].value)

    def branches(self) -> tuple[Branch, ...]:
        return self._branches

    def count(self) -> int:
        return len(self._branches)


def _row_label(branch: Branch) -> str:
    """``a0 > 0 -> a0``: a branch described by its row of the table."""
    formulas = ", ".join(sympy.sstr(v) for v in branch.value)
    return f"{describe(branch.where, 'always')} -> {formulas}"


def smooth(formula: Callable[..., Any], n_args: int = 1, domain: Callable[..., Iterable] = lambda *a: ()):
    """A one-branch table ``formula(a0, ...)`` with optional domain atoms."""
    a = args(n_args)
    value = formula(*a)
    value = tuple(value) if isinstance(value, (tuple, list)) else (sympy.sympify(value),)
    dom = tuple(atom for atom in domain(*a) if atom is not True)
    return ExplicitTable(n_args, [Branch((), value, "smooth")], dom)


def table(n_args: int, rows: Iterable[tuple]) -> ExplicitTable:
    """A table from ``[(atoms, formula), ...]`` rows (formula may be a tuple).

    A row may have a third item, the framework's derivative on that branch when it is
    not the gradient of the formula (one row per output, one entry per argument).
    """
    out = []
    for row in rows:
        where, value = row[0], row[1]
        jacobian = row[2] if len(row) > 2 else None
        where = conjoin(where)
        if where is None:
            continue
        value = tuple(value) if isinstance(value, (tuple, list)) else (sympy.sympify(value),)
        if jacobian is not None:
            jacobian = tuple(tuple(sympy.sympify(d) for d in r) for r in jacobian)
        out.append(Branch(where, value, jacobian=jacobian))
    return ExplicitTable(n_args, out)


def gt(a, b):
    return Atom.make(a, ">", b)


def ge(a, b):
    return Atom.make(a, ">=", b)


def lt(a, b):
    return Atom.make(a, "<", b)


def le(a, b):
    return Atom.make(a, "<=", b)


def eq(a, b):
    return Atom.make(a, "==", b)


def ne(a, b):
    return Atom.make(a, "!=", b)


# -- calls: how source code reaches a primitive -----------------------------------------
@dataclass(frozen=True)
class Signature:
    """A Python-like parameter list, e.g. ``Signature.parse("input, min=None, max=None")``.

    ``*name`` collects extra positional arguments; ``source:key`` binds the argument
    the framework calls ``source`` under the name ``key`` (so one build function can
    serve ``torch.amax(input, dim)`` and ``jnp.max(a, axis)``).

    >>> sig = Signature.parse("a:input, axis:dim=None, keepdims:keepdim=False")
    >>> sig.bind([1], {"axis": 0})
    {'input': 1, 'dim': 0, 'keepdim': False}
    """

    names: tuple[str, ...]
    keys: tuple[str, ...]
    defaults: tuple[tuple[str, Any], ...]
    star: str | None = None
    positional: int = 0  # how many names can be given by position (those before *star)

    @staticmethod
    def parse(text: str) -> "Signature":
        names, keys, defaults, star, positional = [], [], [], None, None
        for part in (p.strip() for p in text.split(",") if p.strip()):
            if part.startswith("*"):
                star = part[1:]
                positional = len(names)
                continue
            default = None
            if "=" in part:
                part, default = (s.strip() for s in part.split("=", 1))
            name, _, key = part.partition(":")
            names.append(name)
            keys.append(key or name)
            if default is not None:
                defaults.append((name, _DEFAULTS[default] if default in _DEFAULTS else _literal(default)))
        return Signature(tuple(names), tuple(keys), tuple(defaults), star,
                         len(names) if positional is None else positional)

    def bind(self, positional: Sequence, keywords: Mapping[str, Any]) -> dict[str, Any]:
        """Bind call arguments; raises TypeError with a readable message."""
        out: dict[str, Any] = {}
        extra: list = []
        for i, value in enumerate(positional):
            if i < self.positional:
                out[self.names[i]] = value
            elif self.star:
                extra.append(value)
            else:
                raise TypeError(f"takes at most {self.positional} positional argument"
                                f"{'s' if self.positional != 1 else ''}, got {len(positional)}")
        for key, value in keywords.items():
            if key not in self.names:
                raise TypeError(f"got an unexpected keyword argument {key!r}")
            if key in out:
                raise TypeError(f"got multiple values for argument {key!r}")
            out[key] = value
        defaults = dict(self.defaults)
        for name in self.names:
            if name not in out:
                if name not in defaults:
                    raise TypeError(f"is missing the argument {name!r}")
                out[name] = defaults[name]
        bound = {key: out[name] for name, key in zip(self.names, self.keys)}
        if self.star:
            bound[self.star] = extra
        return bound

    def render(self) -> str:
        defaults = dict(self.defaults)
        parts = [f"{n}={defaults[n]!r}" if n in defaults else n for n in self.names]
        if self.star:
            parts.insert(self.positional, "*" + self.star)
        return ", ".join(parts)


_DEFAULTS = {"None": None, "True": True, "False": False}


def _literal(text: str):
    """A default value; float literals are read exactly (0.01 is 1/100)."""
    import ast
    from fractions import Fraction
    value = ast.literal_eval(text)
    return Fraction(text) if isinstance(value, float) else value


@dataclass(frozen=True)
class Call:
    """A source name that reaches a primitive.

    ``name`` is fully qualified (``torch.nn.functional.relu``; methods as
    ``torch.Tensor.relu``; modules as ``torch.nn.ReLU``). ``framework`` is the
    framework whose rule this is (None for Python builtins). ``build`` receives the
    frontend's builder and the bound arguments and returns the call's value.
    """

    name: str
    framework: str | None
    signature: Signature
    build: Callable[..., Any]
    primitive: str = ""
    doc: str = ""


def masking(t: PieceTable) -> PieceTable:
    """The table of an op that passes a zero where its derivative is 0, whatever comes in
    (a ``where``/``select``): an infinite or nan gradient reaching that argument gives 0."""
    t.zero_masks = True
    return t


def multiplying(t: PieceTable) -> PieceTable:
    """The table of an op whose derivative is ``grad * derivative`` even where the derivative
    is 0 (torch's ``abs_backward``: ``grad * sgn(x)``; jax's max: ``grad * (x == max)``), so
    an infinite or nan gradient times that 0 is nan."""
    t.zero_masks = False
    return t


@dataclass
class Primitive:
    """One operation: its name, arity, piece table builder, calls and provenance."""

    name: str
    make_table: Callable[..., PieceTable]
    doc: str
    arity: int | None = 1  # None: any number of arguments >= 1
    calls: list[Call] = field(default_factory=list)
    #: smooth primitives have a single branch whatever the arguments
    smooth: bool = False
    #: frameworks this rule was measured on, with versions (see docs/reference/frameworks-measured.md)
    measured: tuple[str, ...] = ()

    @functools.lru_cache(maxsize=None)
    def table(self, n_args: int | None = None, params: tuple = ()) -> PieceTable:
        n = self.arity if n_args is None else n_args
        if self.arity is not None and n != self.arity:
            raise ValueError(f"{self.name} takes {self.arity} arguments, got {n}")
        return self.make_table(n, *params) if self.arity is None else self.make_table(*params)

    __hash__ = object.__hash__


_PRIMITIVES: dict[str, Primitive] = {}
_CALLS: dict[str, Call] = {}


def variant(base: str, name: str, adjust: Callable[["PieceTable"], "PieceTable"], doc: str,
            measured: tuple[str, ...]) -> "Primitive":
    """Register ``name``: primitive ``base`` with its tables passed through ``adjust``
    (:func:`multiplying`, :func:`masking`), for a framework that computes the same
    function with another rule for zero derivatives. It has no calls of its own: a
    profile substitutes it (``conventions.FRAMEWORK_VARIANTS``)."""
    of = _PRIMITIVES[base]
    return register(Primitive(name, lambda *a: adjust(of.make_table(*a)), doc, arity=of.arity,
                              smooth=of.smooth, measured=measured))


def register(primitive: Primitive) -> Primitive:
    if primitive.name in _PRIMITIVES:
        raise ValueError(f"primitive {primitive.name} registered twice")
    _PRIMITIVES[primitive.name] = primitive
    for call in primitive.calls:
        add_call(call, primitive.name)
    return primitive


def add_call(call: Call, primitive_name: str = "") -> None:
    if call.name in _CALLS:
        raise ValueError(f"call {call.name} registered twice")
    if primitive_name and not call.primitive:
        call = Call(call.name, call.framework, call.signature, call.build, primitive_name, call.doc)
    _CALLS[call.name] = call


def get(name: str) -> Primitive:
    return _PRIMITIVES[name]


def primitives() -> dict[str, Primitive]:
    return dict(_PRIMITIVES)


def all_calls() -> dict[str, Call]:
    return dict(_CALLS)


def resolve(qualified_name: str) -> Call | None:
    return _CALLS.get(qualified_name)


def framework_of(qualified_name: str) -> str | None:
    """The framework a namespace belongs to (None for Python and neutral modules)."""
    head = qualified_name.split(".", 1)[0]
    return {"torch": "torch", "jax": "jax", "tensorflow": "tensorflow", "keras": "tensorflow"}.get(head)


# -- helpers that build the calls of common shapes ----------------------------------------
def elementwise(prim: str, *operands: str, params: Callable[[dict], tuple] = lambda bound: ()):
    """A call applying ``prim`` entrywise (with broadcasting) to the named arguments."""
    names = operands or ("input",)

    def build(b, bound):
        return b.map(prim, *[bound[n] for n in names], params=params(bound))
    return build


def calls(spec: Mapping[str | None, Iterable[str]], signature: str, build: Callable,
          doc: str = "") -> list[Call]:
    """One :class:`Call` per name, from ``{framework: [qualified names]}``. Python's ``math``
    functions take numbers: a tensor argument becomes a Python number first
    (:func:`python_number`), as ``float(t)`` does."""
    sig = Signature.parse(signature)
    return [Call(name, fw, sig, _on_python_numbers(build, name) if name.startswith("math.") else build, doc=doc)
            for fw, names in spec.items() for name in names]


def python_number(b, value: Any, what: str) -> Any:
    """A tensor turned into a Python number (``float(t)``, ``t.item()``, ``math.exp(t)``):
    autodiff does not follow it, so the value is detached (torch, tensorflow); jax refuses
    under ``jax.grad`` (a concretization error)."""
    if not b.is_tensor(value):
        return value
    if b.profile.framework == "jax":
        b.fail(f"{what} of a traced value fails under jax.grad (a concretization error)",
               "keep the value a jax array, or jax.lax.stop_gradient(x) to detach it")
    return b.detach(value)


def _on_python_numbers(build: Callable, name: str) -> Callable:
    def on_numbers(b, bound):
        return build(b, {k: python_number(b, v, f"{name}()") for k, v in bound.items()})
    return on_numbers
