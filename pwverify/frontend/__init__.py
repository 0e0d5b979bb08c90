"""Frontend: a PROGRAM (``path.py:function`` or an expression) to a graph.

Vector inputs are declared with a string annotation giving their shape, which keeps
the file importable by Python and the frameworks (for ``pwverify crosscheck``)::

    def f(x: "float[4]", t: float):     # x has 4 entries x0..x3, t is a scalar
    def g(X: "float[2, 3]"):            # X has entries X0_0 ... X1_2

``"R^4"`` and ``Vec[4]`` (any name subscripted with integers) are read the same
way; ``--shape x=4`` on the command line overrides an annotation. Parameters with a
default value are constants, not inputs. An expression's free names are scalar
inputs, in order of first appearance. A module's parameters are inputs too, named by
their ``state_dict`` keys (see :mod:`.weights`), unless ``weights`` fixes them.

>>> p = parse_program("relu(-t) + t")
>>> p.input_names, p.framework
(['t'], 'torch')
>>> print(p.graph.to_text())
%0 = input t
%1 = neg(%0)    # <expr>:1:6
%2 = relu(%1)    # <expr>:1:1
%3 = add(%2, %0)    # <expr>:1:1
return %3
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import UsageError
from ..ir.graph import Graph
from ..primitives.conventions import Profile
from .reader import read_expression, read_file

#: ``path.py``, ``path.py:TARGET``; the part before the colon looks like a path
_PATHLIKE = re.compile(r"^[\w./\\~+-]+$")


@dataclass
class ParsedProgram:
    """A program read into a graph, with its inputs and outputs described."""

    graph: Graph
    input_names: list[str]              # one per scalar input (vector entries expanded)
    input_shapes: dict[str, tuple]      # declared parameters and their shapes
    output_shape: tuple                 # () for a scalar output
    framework: str
    profile: Profile
    label: str                          # "file.py:f" or the expression
    source: str = ""
    filename: str = "<expr>"
    function: str | None = None
    input_groups: dict[str, list[str]] = field(default_factory=dict)
    #: the scalar inputs that are a module's parameters (state_dict entries)
    weights: list[str] = field(default_factory=list)
    #: state_dict key -> its scalar inputs, and its shape
    weight_groups: dict[str, list[str]] = field(default_factory=dict)
    weight_shapes: dict[str, tuple] = field(default_factory=dict)


def split_program(spec: str) -> tuple[str, str | None] | None:
    """``(path, target)`` when ``spec`` names a file, else None (an expression).

    >>> split_program("model.py:Net.forward"), split_program("relu(t)")
    (('model.py', 'Net.forward'), None)
    """
    spec = spec.strip()
    head, sep, tail = spec.partition(":")
    if not sep:
        return (spec, None) if spec.endswith(".py") and _PATHLIKE.match(spec) else None
    if not _PATHLIKE.match(head) or not tail or not (tail[0].isalpha() or tail[0] == "_"):
        return None
    if not head.endswith(".py"):
        raise UsageError(f"the file part {head!r} of the PROGRAM {spec!r} does not end in .py",
                         hint="path.py:function, path.py:Class, path.py:Class.method, or a Python expression")
    return head, tail.strip()


def is_program_file(spec: str) -> bool:
    try:
        return split_program(spec) is not None
    except UsageError:
        return True


def parse_program(spec: str, framework: str | None = None, shapes: dict[str, tuple] | None = None,
                  ties: list[str] | None = None, mode: str = "reverse", weights: Any = None,
                  wrt: Any = None) -> ParsedProgram:
    """Read ``path.py:TARGET`` or an expression into a graph (never runs the code).

    ``framework``: the profile for framework-neutral names; by default the framework
    whose namespace the program uses, or torch. ``weights``: a checkpoint file (or a
    dict of state_dict keys to nested lists) fixing a module's parameters. ``wrt``: the
    inputs whose gradient is asked for (``x.requires_grad`` holds for those only).
    """
    shapes = dict(shapes or {})
    spec = spec.strip()
    profile_args = (framework, list(ties or []), mode)
    split = split_program(spec)
    if split is not None:
        path, target = split
        reading, shape, profile, source = read_file(path, target, profile_args, shapes, weights, wrt)
        return ParsedProgram(reading.graph, reading.graph.input_names(), reading.declared, shape,
                             profile.framework, profile, spec, source, path, reading.function, reading.groups,
                             reading.weights, reading.weight_groups, reading.weight_shapes)
    if weights is not None:
        raise UsageError("--weights applies to a module read from a file (path.py:Net)")
    reading, shape, profile = read_expression(spec, profile_args, shapes)
    return ParsedProgram(reading.graph, reading.graph.input_names(), reading.declared, shape, profile.framework,
                         profile, spec, spec, "<expr>", None, reading.groups)


__all__ = ["ParsedProgram", "parse_program", "is_program_file", "split_program"]
