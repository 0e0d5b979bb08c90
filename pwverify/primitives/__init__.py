"""Primitives: one record per operation (see :mod:`pwverify.primitives.registry`).

The families live in ``arith``, ``transcendental``, ``control``, ``minmax``,
``activations``, ``pooling`` and ``sorting``; importing any of them registers its
records.
"""

from .registry import (ARGS, Branch, Call, ExplicitTable, PieceTable, Primitive, Signature,
                       all_calls, get, primitives, register, resolve)

__all__ = ["ARGS", "Branch", "Call", "ExplicitTable", "PieceTable", "Primitive", "Signature",
           "all_calls", "get", "primitives", "register", "resolve"]
