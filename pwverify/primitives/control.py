"""Control flow: ``select`` (if/else, conditional expressions, ``where``) and ``get``.

``select`` is the selection an ``if`` makes. Its parameters are the condition, a
boolean formula over comparisons of its first ``m`` arguments, and the number ``k``
of values it chooses between; its arguments are ``m`` condition operands, then the
``k`` values of the true branch, then the ``k`` values of the false branch. The
condition is split into disjoint conjunctions (Shannon expansion, see
:func:`pwverify.core.atoms.cubes`), one branch each. The gradient flows to the
selected values only, in every framework (``where(a > b, a, b)`` gives (0, 1) at a
tie in torch, jax and tensorflow: docs/reference/frameworks-measured.md §2).

``lazy`` says whether the non-selected branch is evaluated: Python's ``if`` and
``x if c else y`` are lazy, ``torch.where`` is not, so a ``log`` of a negative number
in the other branch of a ``where`` makes the program undefined there (the famous NaN
gradient of ``where``), while in an ``if`` it does not.

``get`` reads output ``k`` of a node with several outputs.
"""

from __future__ import annotations

from ..core.atoms import cubes
from .registry import ARGS, Branch, ExplicitTable, Primitive, Signature, Call, register, smooth
from .tensors import MaskIndex


class SelectTable(ExplicitTable):
    """The branches of an ``if``: one per cube of the condition, each choosing the
    ``then`` or the ``else`` values. A lazy ``if`` needs only the values it chooses."""

    def __init__(self, n_args: int, formula, m: int, k: int, lazy: bool):
        if n_args != m + 2 * k:
            raise ValueError(f"select with {m} operands and {k} values takes {m + 2 * k} arguments")
        then = tuple(ARGS[m:m + k])
        other = tuple(ARGS[m + k:m + 2 * k])
        branches = [Branch(cube, then if value else other, "true" if value else "false", (int(value), i))
                    for i, (cube, value) in enumerate(cubes(formula))]
        super().__init__(n_args, branches, n_out=k)
        self.m, self.k, self.lazy = m, k, lazy

    def detached_args(self, branch: Branch):
        # comparisons create no autodiff edge; a Python if computes only the branch it takes
        needed = self.required_args(branch)
        if needed is None:
            return tuple(range(self.m))
        return tuple(i for i in range(self.n_args) if i < self.m or i not in needed)

    def required_args(self, branch: Branch):
        if not self.lazy:
            return None
        chosen = range(self.m, self.m + self.k) if branch.label == "true" else \
            range(self.m + self.k, self.m + 2 * self.k)
        return tuple(range(self.m)) + tuple(chosen)


def _select_table(n_args: int, formula, m: int, k: int, lazy: bool = True) -> ExplicitTable:
    return SelectTable(n_args, formula, m, k, lazy)


def _where(b, bound):
    if bound["input"] is None and bound["other"] is None:
        return MaskIndex(b.to_array(b.truth_array(bound["condition"])))  # where(cond): the indices
    if bound["input"] is None or bound["other"] is None:
        b.fail("where() takes a condition alone, or a condition and two values")
    return b.where(bound["condition"], bound["input"], bound["other"])


_WHERE = {"torch": "condition, input=None, other=None",
          "jax": "condition, x:input=None, y:other=None, size=None, fill_value=None",
          "tensorflow": "condition, x:input=None, y:other=None, name=None",
          None: "condition, x:input=None, y:other=None"}


register(Primitive(
    "select", _select_table,
    "if/else: the values of the branch whose condition holds (gradient to that branch only).",
    arity=None,
    calls=[Call(name, fw, Signature.parse(_WHERE[fw]), _where, "select")
           for fw, name in [("torch", "torch.where"), ("jax", "jax.numpy.where"),
                            ("tensorflow", "tensorflow.where"), (None, "numpy.where")]],
    measured=("torch 2.13.0, jax 0.10.2, tensorflow 2.21.0: where(a>b,a,b) -> (0,1), "
              "where(a>=b,a,b) -> (1,0) at a == b (docs/reference/frameworks-measured.md §2)",)))

register(Primitive(
    "get", lambda k: smooth(lambda a: a), "Output k of a node with several outputs.",
    smooth=True, measured=("projection",)))
