"""Hand-written representations: a paper's piece table as a TOML file.

::

    # torch.max over four entries (Després 2024b, eq. 19)
    inputs = ["x1", "x2", "x3", "x4"]

    [[piece]]
    where = "x1 > max(x2, x3, x4)"
    value = "x1"

    [[piece]]
    where = ["x1 == x2", "x2 > max(x3, x4)"]     # a list is a conjunction
    value = "(x1 + x2) / 2"

``where`` is a Python condition (chained comparisons, ``and``/``or``/``not``, and
``max``/``min`` as a side of a comparison); ``value`` is a smooth formula (or a list,
for several outputs) in Python syntax, with ``exp``, ``log``, ``sqrt``, ``sin``,
``cos``, ``tanh``. Constants are exact (``0.1`` is 1/10). An optional ``domain``
restricts the space the pieces must cover. A piece whose condition is a disjunction is
split into disjoint parts internally; reports number pieces as in the file, from 1.

>>> rep = load_text('inputs = ["t"]\\n[[piece]]\\nwhere = "t > 0"\\nvalue = "t"\\n'
...                 '[[piece]]\\nwhere = "t <= 0"\\nvalue = "0"\\n', "relu.toml")
>>> [p.describe() for p in rep.pieces], rep.numbering
(['t > 0', 't <= 0'], [1, 2])
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from ..core.atoms import Atom, conjoin, cubes
from ..core.errors import Location, RepresentationFileError, UsageError
from .representation import Piece, Representation

_FUNCTIONS = {"exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "sin": sympy.sin, "cos": sympy.cos,
              "tanh": sympy.tanh, "abs": sympy.Abs}
_RELATIONS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}


@dataclass
class FileRepresentation(Representation):
    """A representation read from a file; ``numbering[i]`` is the file piece of piece i."""

    numbering: list[int] = field(default_factory=list)
    domain: tuple = ()
    path: str = ""
    piece_lines: list[int] = field(default_factory=list)


def load(path: str) -> FileRepresentation:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise RepresentationFileError(f"{path} is not a text file (byte {exc.start} is not UTF-8)",
                                      Location(path, 1, 1), "a TOML representation file") from None
    if "\x00" in text:
        raise RepresentationFileError(f"{path} is not a text file (it holds NUL bytes)", Location(path, 1, 1),
                                      "a TOML representation file")
    return load_text(text, path)


def load_text(text: str, path: str = "<toml>") -> FileRepresentation:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 1
        raise RepresentationFileError(f"invalid TOML: {exc}", Location(path, line, 1)) from None
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip().startswith("[[piece]]")]
    reader = _Reader(path, text, lines)
    inputs = data.get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(isinstance(n, str) and n.isidentifier() for n in inputs):
        raise RepresentationFileError("`inputs` must be a non-empty list of names", Location(path, 1, 1),
                                      'inputs = ["x1", "x2"]')
    twice = sorted({n for n in inputs if inputs.count(n) > 1})
    if twice:
        raise RepresentationFileError(f"`inputs` names {', '.join(twice)} more than once", Location(path, 1, 1),
                                      "each input once")
    symbols = tuple(sympy.Symbol(n) for n in inputs)
    reader.names = {n: s for n, s in zip(inputs, symbols)}
    raw = data.get("piece")
    if not isinstance(raw, list) or not raw:
        raise RepresentationFileError("no [[piece]] tables", Location(path, 1, 1), "one [[piece]] per piece")
    domain = ()
    if "domain" in data:
        domain = reader.conjunction(data["domain"], None, "domain")
    pieces, numbering, n_out = [], [], None
    for k, item in enumerate(raw, 1):
        unknown = set(item) - {"where", "value", "name"}
        if unknown:
            reader.fail(k, f"unknown key(s) {', '.join(sorted(unknown))}", "where, value, name")
        if "where" not in item or "value" not in item:
            reader.fail(k, "a piece needs `where` and `value`")
        formula = reader.condition(item["where"], k)
        values = item["value"] if isinstance(item["value"], list) else [item["value"]]
        formulas = tuple(reader.expression(v, k, "value") for v in values)
        if n_out is None:
            n_out = len(formulas)
        elif len(formulas) != n_out:
            reader.fail(k, f"{len(formulas)} values, but piece 1 has {n_out}", "the same number of outputs in every piece")
        for cube, truth in cubes(formula):
            if truth:
                pieces.append(Piece(tuple(cube), formulas, symbols))
                numbering.append(k)
    return FileRepresentation(symbols, pieces, [], () if n_out == 1 else (n_out,), label=path,
                              numbering=numbering, domain=domain, path=path, piece_lines=lines)


class _Reader:
    """Turns the strings of the file into sympy formulas and atoms, with located errors."""

    def __init__(self, path: str, text: str, lines: list[int]):
        self.path, self.text, self.lines = path, text, lines
        self.names: dict[str, sympy.Symbol] = {}

    def fail(self, piece: int | None, message: str, hint: str | None = None, key: str | None = None):
        line = self.lines[piece - 1] if piece and piece - 1 < len(self.lines) else 1
        if piece and key:
            for offset, text in enumerate(self.text.splitlines()[line - 1:], 0):
                if text.strip().startswith(key):
                    line += offset
                    break
        prefix = f"piece {piece}: " if piece else ""
        raise RepresentationFileError(prefix + message, Location(self.path, line, 1), hint)

    def _parse(self, text, piece, key):
        if not isinstance(text, str):
            self.fail(piece, f"`{key}` must be a string (or a list of strings)", key=key)
        try:
            return ast.parse(text.strip(), mode="eval").body
        except SyntaxError as exc:
            self.fail(piece, f"{key}: invalid Python syntax in {text!r}: {exc.msg}", key=key)

    def conjunction(self, value, piece, key) -> tuple[Atom, ...]:
        formula = self.condition(value, piece, key)
        out = []
        for cube, truth in cubes(formula):
            if truth:
                out.append(cube)
        if len(out) != 1:
            self.fail(piece, f"`{key}` must be a conjunction of comparisons", key=key)
        return out[0]

    def condition(self, value, piece, key="where"):
        parts = value if isinstance(value, list) else [value]
        formulas = [self._cond(self._parse(p, piece, key), piece, key) for p in parts]
        return formulas[0] if len(formulas) == 1 else ("and", tuple(formulas))

    def _cond(self, node, piece, key):
        if isinstance(node, ast.BoolOp):
            kind = "and" if isinstance(node.op, ast.And) else "or"
            return (kind, tuple(self._cond(v, piece, key) for v in node.values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ("not", self._cond(node.operand, piece, key))
        if isinstance(node, ast.Compare):
            parts, left = [], node.left
            for op, right in zip(node.ops, node.comparators):
                rel = _RELATIONS.get(type(op))
                if rel is None:
                    self.fail(piece, f"{key}: unsupported comparison {type(op).__name__}", "< <= > >= == !=", key)
                parts.append(self._compare(left, rel, right, piece, key))
                left = right
            return parts[0] if len(parts) == 1 else ("and", tuple(parts))
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return node.value
        self.fail(piece, f"{key}: not a condition: {ast.unparse(node)}", "comparisons joined by and/or/not", key)

    def _compare(self, left, rel, right, piece, key):
        """A comparison whose sides may be max(...)/min(...): expanded to and/or."""
        for side, other, flip in ((left, right, False), (right, left, True)):
            if isinstance(side, ast.Call) and isinstance(side.func, ast.Name) and side.func.id in ("max", "min"):
                items = side.args
                if len(items) == 1 and isinstance(items[0], (ast.List, ast.Tuple)):
                    items = items[0].elts
                r = rel if not flip else {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}[rel]
                # now: extremum(items) r other
                parts = [self._compare(i, r, other, piece, key) for i in items]
                is_max = side.func.id == "max"
                if r in (">", ">="):
                    return ("or" if is_max else "and", tuple(parts))
                if r in ("<", "<="):
                    return ("and" if is_max else "or", tuple(parts))
                weak = [self._compare(i, "<=" if is_max else ">=", other, piece, key) for i in items]
                if r == "==":
                    return ("and", (("or", tuple(parts)), ("and", tuple(weak))))
                return ("not", ("and", (("or", tuple(self._compare(i, "==", other, piece, key) for i in items)),
                                        ("and", tuple(weak)))))
        atom = Atom.make(self.expression(left, piece, key), rel, self.expression(right, piece, key))
        return atom if isinstance(atom, bool) else ("atom", atom)

    def expression(self, node, piece, key):
        if isinstance(node, str):
            node = self._parse(node, piece, key)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            text = ast.unparse(node)
            f = Fraction(text) if isinstance(node.value, float) else Fraction(node.value)
            return sympy.Rational(f.numerator, f.denominator)
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            self.fail(piece, f"{key}: unknown name {node.id!r}", "the inputs " + ", ".join(self.names), key)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.expression(node.operand, piece, key)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            a, b = self.expression(node.left, piece, key), self.expression(node.right, piece, key)
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                   ast.Div: lambda: a / b, ast.Pow: lambda: a ** b}
            if type(node.op) in ops:
                return ops[type(node.op)]()
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
            if len(node.args) != 1 or node.keywords:
                self.fail(piece, f"{key}: {node.func.id}() takes one argument", key=key)
            return _FUNCTIONS[node.func.id](self.expression(node.args[0], piece, key))
        self.fail(piece, f"{key}: unsupported expression {ast.unparse(node)}",
                  "inputs, numbers, + - * / **, exp, log, sqrt, sin, cos, tanh", key)
