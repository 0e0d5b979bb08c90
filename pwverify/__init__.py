"""pwverify: exact verification of what autodiff returns on nonsmooth programs.

Programs are read from Python source (never executed) into a DAG, decomposed into
pieces (region, smooth formula, gradient) with the Murat–Trombetti lemmas, and checked
with an SMT solver.

>>> import pwverify
>>> f = pwverify.parse("relu(-t) + t")
>>> f.gradient_at({"t": 0})
[[1]]
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public names, imported on first use so that `pwverify --help` does not load sympy/z3.
_LAZY = {
    "parse": "pwverify.program",
    "Program": "pwverify.program",
    "PwverifyError": "pwverify.core.errors",
    "Representation": "pwverify.model.representation",
    "Piece": "pwverify.model.representation",
}
__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pwverify' has no attribute {name!r}")
