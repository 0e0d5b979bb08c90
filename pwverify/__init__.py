"""pwverify: exact verification of what autodiff returns on nonsmooth programs.

Programs are read from Python source (never executed) into a DAG, decomposed into
pieces (region, smooth formula, gradient) with the Murat–Trombetti lemmas, and checked
with an SMT solver. Every function below accepts a :class:`Program` or a program
string (``"path.py:function"`` or an expression).

>>> import pwverify
>>> f = pwverify.parse("relu(-t) + t")
>>> f.gradient_at({"t": 0})
[[1]]
>>> print(pwverify.compare("relu(t)", "relu(-t) + t").gradient.status)
refuted
>>> [tp.point for tp in pwverify.tie_points("relu(-t) + t")]
[{'t': 0}]
>>> sorted(v[0] for v in pwverify.clarke("relu(-t) + t", {"t": 0}).vertices)
[0, 1]
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

# Public names, imported on first use so that `pwverify --help` does not load sympy/z3.
_LAZY = {
    "parse": ("pwverify.program", "parse"),
    "Program": ("pwverify.program", "Program"),
    "compare": ("pwverify.questions.compare", "compare"),
    "Comparison": ("pwverify.model.comparison", "Comparison"),
    "check": ("pwverify.questions.wellformed", "check"),
    "tie_points": ("pwverify.questions.tie_points", "tie_points"),
    "clarke": ("pwverify.questions.calculus", "clarke"),
    "index_closure": ("pwverify.questions.calculus", "index_closure"),
    "critical": ("pwverify.questions.calculus", "critical_points"),
    "directional_derivative": ("pwverify.questions.calculus", "directional_derivative"),
    "Representation": ("pwverify.model.representation", "Representation"),
    "Piece": ("pwverify.model.representation", "Piece"),
    "Verdict": ("pwverify.model.verdicts", "Verdict"),
    "Status": ("pwverify.model.verdicts", "Status"),
    "PwverifyError": ("pwverify.core.errors", "PwverifyError"),
}
__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'pwverify' has no attribute {name!r}")


def __dir__():
    return __all__
