"""Primitives: one record per operation (see :mod:`pwverify.primitives.registry`).

Importing this package registers every family: ``arith``, ``transcendental``,
``control``, ``minmax``, ``activations``, ``pooling``, ``sorting``, ``statistics``,
``norms``; and the structural calls, which reach no primitive: ``structural`` (Python's
builtins, tensor construction, sums, gradient modes), ``shapes`` (reshaping, joining,
allocation), ``tensor_methods`` (operators as methods, casts, masks) and ``layers``
(``nn.Linear``, ``nn.Conv2d``, ... and their functional forms), ``contractions``
(``einsum``, ``outer``), ``losses`` (torch's
loss functions composed as ATen computes them). The registry itself (:mod:`.registry`) imports none of them.
"""

from .registry import (ARGS, Branch, Call, ExplicitTable, PieceTable, Primitive, Signature,
                       all_calls, get, primitives, register, resolve)
from . import (arith, transcendental, control, minmax, activations, pooling, sorting,  # noqa: F401,E402
               statistics, norms, structural, shapes, tensor_methods, layers, losses, logexp, control_flow,
               contractions)

__all__ = ["ARGS", "Branch", "Call", "ExplicitTable", "PieceTable", "Primitive", "Signature",
           "all_calls", "get", "primitives", "register", "resolve"]
