"""Primitives: one record per operation (see :mod:`pwverify.primitives.registry`).

Importing this package registers every family: ``arith``, ``transcendental``,
``control``, ``minmax``, ``activations``, ``pooling``, ``sorting``, ``statistics``,
``norms``, and the ``structural`` calls (builtins, tensor construction and shapes), which
reach no primitive. The registry itself (:mod:`.registry`) imports none of them.
"""

from .registry import (ARGS, Branch, Call, ExplicitTable, PieceTable, Primitive, Signature,
                       all_calls, get, primitives, register, resolve)
from . import (arith, transcendental, control, minmax, activations, pooling, sorting,  # noqa: F401,E402
               statistics, norms, structural)

__all__ = ["ARGS", "Branch", "Call", "ExplicitTable", "PieceTable", "Primitive", "Signature",
           "all_calls", "get", "primitives", "register", "resolve"]
