"""The bundled case studies: what each one claims, and how pwverify checks it.

Every study names programs of its own file (read by pwverify, never run here), states
the claim of the source paper, and lists the numbers the paper prints. Running a study
compares two programs (function and autodiff gradient, with exact witnesses),
recomputes the paper's table exactly, checks the study's further claims, and draws
its figures. ``pwverify demo`` runs them all; ``python casestudies/<study>.py`` runs
the studies of one file. Every expected number is asserted in the test suite
(``tests/test_casestudies.py``), so a study cannot silently drift.

A program is named by a *reference*: a function of the study's file, optionally
followed by ``@framework`` (``"max_abs@jax"``: the same source read with JAX's rules).
A reference that is not a plain name is a Python expression (``"torch.maximum(a, b)"``).

This module imports neither torch nor the studied files: pwverify reads them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
#: Where figures go unless told otherwise (ignored by git).
DEFAULT_FIGURES = "figures"


@dataclass
class Table:
    """What autodiff returns for ``program`` at ``points``, as a paper prints it.

    ``expected[i]`` is a number (the derivative of a one-input, one-output program) or a
    Jacobian (one row per output). ``ties``: overrides of a custom profile
    (``"relu0=7"``: relu'(0) = 7).
    """

    program: str
    points: list
    expected: list
    source: str = ""
    ties: tuple[str, ...] = ()


@dataclass
class Figure:
    """A figure of the study: ``programs`` (references), for ``pwverify.output.plot.plot``."""

    name: str
    programs: tuple[str, ...]
    vary: tuple[str, str] | None = None
    at: dict = field(default_factory=dict)
    window: tuple | None = None
    output: int = 0
    compare: bool = True


@dataclass
class Study:
    """One case study: a claim, the comparison that tests it, the paper's numbers.

    ``expect``: the verdicts the comparison must reach; ``witness``: the exact point the
    gradient verdict must be refuted at (None: not fixed). ``checks``: further claims,
    ``(kind, *arguments, expected)`` tuples run by :data:`CHECKS`.
    """

    key: str
    file: str
    title: str
    claim: str
    source: str
    compare: tuple[str, str] | None = None
    expect: dict = field(default_factory=lambda: {"function": "proved", "gradient": "refuted"})
    witness: dict | None = None
    tables: list[Table] = field(default_factory=list)
    checks: list[tuple] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    representation_file: tuple[str, str] | None = None   # (TOML file, program): checked as the headline

    def spec(self, reference: str) -> tuple[str, str | None]:
        """``(pwverify program spec, framework)`` of a reference."""
        name, _, framework = reference.partition("@")
        if name.isidentifier():
            return f"{os.path.join(HERE, self.file)}:{name}", framework or None
        return name, framework or None

    def program(self, reference: str, ties: tuple[str, ...] = ()):
        import pwverify
        spec, framework = self.spec(reference)
        return pwverify.parse(spec, framework=framework, ties=list(ties))

    def label(self, reference: str) -> str:
        name, _, framework = reference.partition("@")
        return f"{name} ({framework})" if framework else name


_T = [-1, Fraction(-1, 2), Fraction(-1, 100), 0, Fraction(1, 100), Fraction(1, 2), 1]
_ZERO4 = {"x0": 0, "x1": 0, "x2": 0, "x3": 0}

STUDIES = [
    Study(
        "relu", "relu_family.py", "relu, relu2, relu3, zero: one function, several derivatives",
        "relu2(t) = relu(-t) + t and relu3 = (relu + relu2)/2 compute relu and zero = relu2 - relu "
        "computes 0, yet autodiff returns relu'(0) = 0, relu2'(0) = 1, relu3'(0) = 1/2, zero'(0) = 1; "
        "t - zero(t) is the identity with derivative 0 at 0, an artificial critical point",
        "Bolte & Pauwels (2020), Figure 1 and §5.2",
        compare=("relu", "relu2"), witness={"t": 0},
        tables=[Table("relu", [0], [0], "Bolte–Pauwels Fig. 1"),
                Table("relu2", [0], [1], "Bolte–Pauwels Fig. 1"),
                Table("relu3", [0], [Fraction(1, 2)], "Bolte–Pauwels Fig. 1"),
                Table("zero", [0], [1], "Bolte–Pauwels Fig. 1"),
                Table("identity_minus_zero", [-1, 0, 1], [1, 0, 1], "Bolte–Pauwels §5.2")],
        checks=[("compare", "identity_minus_zero", "identity", {"function": "proved", "gradient": "refuted"},
                 {"t": 0})],
        figures=[Figure("relu_family", ("relu", "relu2", "relu3"), compare=False),
                 Figure("artificial_critical_point", ("identity", "identity_minus_zero"))]),
    Study(
        "max_xx", "murat_trombetti.py", "Murat–Trombetti: max(x, x) and relu(w0·x) with w0 = 0",
        "f(x) = max(x, x) is the identity, but the classical chain rule needs ∇max on its tie line, "
        "where it does not exist; any associated gradient of max has (1, 1)·∇̃max = 1, so autodiff "
        "returns f' = 1 whatever the tie rule. With w0 = 0, relu(w0·x) has derivative 0 whatever "
        "relu'(0) is",
        "Després (2025), §2 and §4.1–4.2",
        compare=("max_xx", "python_max_xx"), expect={"function": "proved", "gradient": "proved"},
        tables=[Table("max_xx", [-1, 0, 1], [1, 1, 1], "eq. (16): torch.maximum, 1/2 + 1/2"),
                Table("max_stack_xx", [-1, 0, 1], [1, 1, 1], "eq. (16): torch.max, even split"),
                Table("python_max_xx", [-1, 0, 1], [1, 1, 1], "eq. (16): Python max, 1 + 0"),
                Table("relu_w0", [-1, 0, 1], [0, 0, 0], "§4.1, relu'(0) = 0"),
                Table("relu_w0", [0], [0], "§4.1, relu'(0) = 7", ties=("relu0=7",)),
                Table("max_pair", [[0, 0]], [[[Fraction(1, 2), Fraction(1, 2)]]], "Remark 1: torch.maximum"),
                Table("python_max_pair", [[0, 0]], [[[1, 0]]], "Remark 1: Python max")],
        checks=[("compare", "max_pair", "python_max_pair", {"function": "proved", "gradient": "refuted"},
                 {"y1": 0, "y2": 0})],
        figures=[Figure("max_tie_line", ("max_pair", "python_max_pair"))]),
    Study(
        "boustany", "boustany.py", "Boustany: max1 (a loop) vs torch.max",
        "max1 and torch.max compute the same function, but at ties the loop gives the gradient to the "
        "first maximal entry and torch.max splits it evenly, so f(t) = max1(t·x) - max2(t·x) with "
        "x = (1, 2, 3, 4) is 0 while autodiff returns f'(0) = 1 - 10/4 = -3/2",
        "Després (2025), Table 2; Boustany (2024)",
        compare=("max1_t", "max2_t"), witness=_ZERO4,
        tables=[Table("f", _T, [0, 0, 0, Fraction(-3, 2), 0, 0, 0], "Table 2"),
                Table("max1_t", [[0, 0, 0, 0]], [[[1, 0, 0, 0]]], "eq. (17)"),
                Table("max2_t", [[0, 0, 0, 0]], [[[Fraction(1, 4)] * 4]], "eq. (19)")],
        checks=[("compare", "f", "zero", {"function": "proved", "gradient": "refuted"}, {"t": 0})],
        figures=[Figure("boustany", ("f",), window=(-1, 1))]),
    Study(
        "maxpool", "maxpool.py", "MaxPool1d(2, stride=1): the first entry of a tied window",
        "MaxPool1d gives the gradient of a tied window to its first entry, so "
        "f(t) = maxpool(t, 4t) - maxpool(4t, t) is 0 while autodiff returns f'(0) = 1 - 4 = -3",
        "Després (2025), Table 3",
        compare=("pool_t_4t", "pool_4t_t"), witness={"t": 0},
        tables=[Table("f", _T, [0, 0, 0, -3, 0, 0, 0], "Table 3"),
                Table("pool_t_4t", [0], [1], "first entry t"),
                Table("pool_4t_t", [0], [4], "first entry 4t")],
        figures=[Figure("maxpool", ("f",), window=(-1, 1))]),
    Study(
        "upwind", "upwind.py", "Upwind flux F(a, α, β) in two forms",
        "F(a, α, β) = a·(α if a > 0 else β) equals relu(a)α - relu(-a)β as a function; their "
        "autodiff gradients differ on a = 0, where ∂F/∂a is β for the branch and 0 for the relu form",
        "Després (2024), talk, slide 16",
        compare=("flux_branch", "flux_relu"), witness={"a": 0, "alpha": 0, "beta": 1},
        tables=[Table("flux_branch", [[0, 2, 3]], [[[3, 0, 0]]], "∂F/∂a = β at a = 0"),
                Table("flux_relu", [[0, 2, 3]], [[[0, 0, 0]]], "relu'(0) = 0"),
                Table("flux_relu", [[1, 2, 3]], [[[2, 1, 0]]], "a > 0: F = aα")],
        figures=[Figure("upwind", ("flux_branch", "flux_relu"), vary=("a", "beta"), at={"alpha": 1})]),
    Study(
        "minmod", "minmod.py", "minmod in two forms",
        "minmod(x, y) = relu(-max(-x, -y)) - relu(-max(x, y)) is the minmod limiter; the tie rules "
        "of torch.maximum (1/2 each) and Python's min (the first argument) differ on x = y ≠ 0",
        "Després (2024), talk, slide 17",
        compare=("minmod_branch", "minmod_relu"), witness={"x": 1, "y": 1},
        tables=[Table("minmod_relu", [[1, 1]], [[[Fraction(1, 2), Fraction(1, 2)]]], "torch.maximum tie"),
                Table("minmod_branch", [[1, 1]], [[[1, 0]]], "Python min: first argument"),
                Table("minmod_relu", [[1, 2], [-3, -1], [1, -1]], [[[1, 0]], [[0, 1]], [[0, 0]]],
                      "away from ties: the argument of smaller magnitude, or 0")],
        figures=[Figure("minmod", ("minmod_branch", "minmod_relu"))]),
    Study(
        "lax_wendroff", "minmod.py", "One Lax–Wendroff/minmod step on four cells",
        "the second-order update u2 - ν(u_{5/2} - u_{3/2}) with minmod-limited faces (a > 0, ν = 1/2) "
        "is piecewise C¹ (its pieces are disjoint, cover R⁴ and join continuously), and its two "
        "minmod forms give the same function with gradients that differ only on a set of measure zero",
        "Després (2024), talk, slide 17 (Lemma)",
        compare=("lw_branch", "lw_relu"),
        witness={"u0": 0, "u1": 0, "u2": 1, "u3": 2},
        tables=[Table("lw_relu", [[0, 1, 3, 6]], [[[Fraction(-1, 8), Fraction(3, 4), Fraction(3, 8), 0]]],
                      "smooth: each limited face uses its backward slope, 3/8 u2 + 3/4 u1 - 1/8 u0"),
                Table("lw_relu", [[0, 1, 2, 3]], [[[Fraction(-1, 16), Fraction(9, 16), Fraction(9, 16),
                                                    Fraction(-1, 16)]]], "equal slopes: torch.maximum splits"),
                Table("lw_branch", [[0, 1, 2, 3]], [[[0, Fraction(3, 8), Fraction(3, 4), Fraction(-1, 8)]]],
                      "equal slopes: Python min takes the forward slope")],
        checks=[("well_formed", "lw_relu"), ("measure_zero",)],
        figures=[Figure("lax_wendroff", ("lw_branch", "lw_relu"), vary=("u1", "u2"), at={"u0": 0, "u3": 0})]),
    Study(
        "sorting", "sorting.py", "Sorting: torch.sort vs a min/max sorting network",
        "sorting is an elementary selection and D_F(x) = conv{P : Px = F(x)}, its Clarke Jacobian. "
        "torch.sort returns one permutation at a tie, a network of torch.maximum/minimum a doubly "
        "stochastic mixture: same function, different Jacobians at ties, both in D_F",
        "Bolte & Pauwels (2020), §5.1",
        compare=("sort3", "network3"), witness={"x0": 0, "x1": 0, "x2": 0},
        tables=[Table("sort4", [[1, 3, 3, 2]], [[[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]]],
                      "torch.sort: ties keep input order (measured)"),
                Table("sort3", [[0, 0, 0]], [[[1, 0, 0], [0, 1, 0], [0, 0, 1]]], "torch.sort: identity at a tie"),
                Table("network3", [[0, 0, 0]], [[[Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)],
                                                 [Fraction(3, 8), Fraction(3, 8), Fraction(1, 4)],
                                                 [Fraction(3, 8), Fraction(3, 8), Fraction(1, 4)]]],
                      "torch.maximum splits each tie 1/2, 1/2 (by hand)")],
        checks=[("in_clarke", "sort3", "network3")],
        figures=[Figure("sorting", ("sort3", "network3"), vary=("x0", "x1"), at={"x2": 0})]),
    Study(
        "torch_max_table", "torch_max_table.py", "The 15 pieces of torch.max over four entries",
        "the representation of max2 = torch.max in Després eq. (19) (one piece per non-empty set of "
        "tied maxima, 2^4 - 1 = 15, with the mean of the set) is well formed, equals torch.max and its "
        "associated gradient is what autodiff returns; likewise max1's four pieces (eq. 17)",
        "Després (2025), eq. (17) and (19)",
        expect={"function": "proved", "gradient": "proved"},
        representation_file=("max2_table.toml", "torch_max4"),
        checks=[("table_file", "max1_table.toml", "max1"), ("pieces", "max2_table.toml", 15),
                ("pieces", "torch_max4", 15), ("pieces", "max1_table.toml", 4)],
        figures=[Figure("torch_max_table", ("torch_max4",), vary=("x0", "x1"), at={"x2": 0, "x3": -1},
                        compare=False)]),
    Study(
        "frameworks", "frameworks.py", "(a + b + |a - b|)/2 under torch, JAX and TensorFlow",
        "the formula computes max(a, b) in every framework, but abs'(0) is 0 in torch and TensorFlow "
        "and 1 in JAX, so at a = b torch returns (1/2, 1/2) and JAX (1, 0)",
        "docs/reference/frameworks-measured.md §2 and §8.1 (torch 2.13.0, jax 0.10.2, tensorflow 2.21.0)",
        compare=("max_abs@torch", "max_abs@jax"), witness={"a": 0, "b": 0},
        tables=[Table("max_abs@torch", [[0, 0]], [[[Fraction(1, 2), Fraction(1, 2)]]], "measured, torch"),
                Table("max_abs@jax", [[0, 0]], [[[1, 0]]], "measured, jax"),
                Table("max_abs@tensorflow", [[0, 0]], [[[Fraction(1, 2), Fraction(1, 2)]]], "measured, tf"),
                Table("abs_@torch", [0], [0], "torch.abs'(0)"),
                Table("abs_@jax", [0], [1], "jnp.abs'(0)")],
        checks=[("compare", "max_abs@torch", "max_abs@tensorflow", {"function": "proved", "gradient": "proved"},
                 None)],
        figures=[Figure("frameworks", ("max_abs@torch", "max_abs@jax"))]),
]


# -- running a study ----------------------------------------------------------------------------
@dataclass
class TableOutcome:
    table: Table
    got: list
    ok: bool


@dataclass
class CheckOutcome:
    name: str
    ok: bool
    detail: str


@dataclass
class Outcome:
    """Everything a study found: verdicts, the paper's numbers recomputed, checks, figures."""

    study: Study
    function: Any = None          # Verdict
    gradient: Any = None          # Verdict
    describe_verdicts: str = ""
    disagreement: list = field(default_factory=list)
    tables: list[TableOutcome] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    comparison: Any = None        # the headline Comparison, when the study has one

    @property
    def verdicts_ok(self) -> bool:
        s = self.study
        ok = (self.function.status == s.expect["function"] and self.gradient.status == s.expect["gradient"])
        return ok and (s.witness is None or _at(self.gradient.witness, s.witness))

    @property
    def ok(self) -> bool:
        return self.verdicts_ok and all(t.ok for t in self.tables) and all(c.ok for c in self.checks)

    @property
    def numbers(self) -> str:
        """``"11/11 match"``: the paper's numbers recomputed by pwverify."""
        total = sum(len(t.table.points) for t in self.tables)
        matched = sum(sum(_same(g, e) for g, e in zip(t.got, t.table.expected)) for t in self.tables)
        return f"{matched}/{total} match" if total else "-"

    @property
    def witness(self) -> str:
        w = self.gradient.witness if self.gradient is not None else None
        if w is None:
            return "-"
        ga, gb = w.observed.get("gradient_a"), w.observed.get("gradient_b")
        text = w.point_str()
        if ga is not None and gb is not None:
            text += f": {_matrix(ga)} vs {_matrix(gb)}"
        return text

    def row(self) -> dict:
        """One line of the summary table (and of ``pwverify demo --json``)."""
        return {"study": self.study.key, "title": self.study.title, "claim": self.study.claim,
                "source": self.study.source, "function": self.function.status,
                "gradient": self.gradient.status, "witness": self.witness,
                "papers_numbers": self.numbers,
                "checks": [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
                "figures": self.figures, "ok": self.ok, "seconds": round(self.seconds, 2)}

    def describe(self) -> str:
        """The study's story, verdicts, witnesses and numbers, as ``python casestudies/x.py`` prints."""
        s = self.study
        lines = [s.title, "=" * len(s.title), f"Claim: {s.claim}.", f"Source: {s.source}.", ""]
        if s.compare:
            lines.append(f"pwverify compare {s.label(s.compare[0])} {s.label(s.compare[1])}")
        elif s.representation_file:
            lines.append(f"pwverify check {s.representation_file[0]} --against {s.representation_file[1]}")
        lines += ["  " + line for line in self.describe_verdicts.splitlines()]
        lines.append(f"  expected: function {s.expect['function']}, gradient {s.expect['gradient']}"
                     + (f" at {', '.join(f'{k} = {v}' for k, v in s.witness.items())}" if s.witness else "")
                     + ("  -> matches" if self.verdicts_ok else "  -> DIFFERS"))
        for t in self.tables:
            where = f" with {', '.join(t.table.ties)}" if t.table.ties else ""
            lines.append("")
            lines.append(f"{s.label(t.table.program)}{where}: autodiff at {', '.join(map(_point, t.table.points))}")
            lines.append(f"  pwverify:  {', '.join(map(_matrix, t.got))}")
            lines.append(f"  expected:  {', '.join(map(_matrix, t.table.expected))}   ({t.table.source})")
            lines.append(f"  {'matches' if t.ok else 'DIFFERS'}")
        if self.checks:
            lines.append("")
        for c in self.checks:
            lines.append(f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}")
        if self.figures:
            lines.append("")
            lines += [f"figure: {path}" for path in self.figures]
        return "\n".join(lines)


def _at(witness, point: dict) -> bool:
    """Is ``witness`` (a Witness or None) exactly at ``point``?"""
    return witness is not None and {k: Fraction(str(v)) for k, v in witness.point.items()} == \
        {k: Fraction(v) for k, v in point.items()}


def _same(got, expected) -> bool:
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(
            _same(g, e) for g, e in zip(got, expected))
    return Fraction(str(got)) == Fraction(expected)


def _exact_text(value) -> str:
    return str(Fraction(str(value)))


def _matrix(value) -> str:
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and isinstance(value[0], (list, tuple)):
            return _matrix(value[0])
        return "[" + ", ".join(_matrix(v) for v in value) + "]"
    return _exact_text(value)


def _point(p) -> str:
    return _matrix(p) if isinstance(p, list) else _exact_text(p)


def _run_table(study: Study, table: Table) -> TableOutcome:
    program = study.program(table.program, table.ties)
    got = []
    for point, expected in zip(table.points, table.expected):
        jacobian = program.gradient_at(point if isinstance(point, list) else [point])
        got.append(jacobian if isinstance(expected, list) else jacobian[0][0])
    ok = all(_same(g, e) for g, e in zip(got, table.expected))
    return TableOutcome(table, got, ok)


def run(study: Study, figures: str | None = DEFAULT_FIGURES) -> Outcome:
    """Run one study; figures are written to the folder ``figures`` (None: none)."""
    from pwverify.questions.compare import compare
    start = time.perf_counter()
    outcome = Outcome(study)
    comparison = None
    if study.compare:
        a, b = (study.program(r) for r in study.compare)
        comparison = compare(a, b)
        comparison.a, comparison.b = (study.label(r) for r in study.compare)
        outcome.function, outcome.gradient = comparison.function, comparison.gradient
        outcome.describe_verdicts = comparison.describe()
        outcome.disagreement = list(comparison.disagreement)
        outcome.comparison = comparison
    elif study.representation_file:
        toml, against = study.representation_file
        report = _check_file(study, toml, against)
        outcome.function, outcome.gradient = report.agrees, report.gradient
        outcome.describe_verdicts = report.describe()
    outcome.tables = [_run_table(study, t) for t in study.tables]
    outcome.checks = [CHECKS[c[0]](study, outcome, *c[1:]) for c in study.checks]
    if figures:
        os.makedirs(figures, exist_ok=True)
        outcome.figures = [draw(study, f, figures, comparison) for f in study.figures]
    outcome.seconds = time.perf_counter() - start
    return outcome


def run_all(figures: str | None = DEFAULT_FIGURES, keys=None) -> list[Outcome]:
    """Every study (or those whose key is in ``keys``), in order."""
    return [run(s, figures) for s in STUDIES if keys is None or s.key in keys]


def draw(study: Study, figure: Figure, folder: str, comparison=None) -> str:
    """Write one figure of a study as PNG; returns its path."""
    from pwverify.output.plot import plot
    programs = [study.program(r) for r in figure.programs]
    if not figure.compare or len(programs) != 2:
        comparison = False
    elif tuple(figure.programs) != tuple(study.compare or ()):
        comparison = None  # plot compares them
    path = os.path.join(folder, f"{figure.name}.png")
    plot(programs, path, vary=figure.vary, at=figure.at, window=figure.window, output=figure.output,
         comparison=comparison, labels=[study.label(r) for r in figure.programs], title=study.title)
    return path


def _check_file(study: Study, toml: str, against: str):
    from pwverify.questions.wellformed import check_file
    return check_file(os.path.join(HERE, toml), against=study.program(against))


# -- further claims ---------------------------------------------------------------------------------
def check_compare(study, outcome, a, b, expect, witness) -> CheckOutcome:
    """Another comparison of the study, with its expected verdicts (and witness)."""
    from pwverify.questions.compare import compare
    c = compare(study.program(a), study.program(b))
    c.a, c.b = study.label(a), study.label(b)
    ok = c.function.status == expect["function"] and c.gradient.status == expect["gradient"] and (
        witness is None or _at(c.gradient.witness, witness))
    lines = c.describe().splitlines()
    return CheckOutcome(f"compare {c.a} {c.b}", ok, "; ".join(line.strip() for line in lines[:2]))


def check_table_file(study, outcome, toml, against) -> CheckOutcome:
    """A hand-written representation file: well formed, equal to the program, same gradient."""
    report = _check_file(study, toml, against)
    statuses = {v.question: v.status for v in report.verdicts()}
    ok = all(s == "proved" for s in statuses.values())
    return CheckOutcome(f"pwverify check {toml} --against {against}", ok,
                        ", ".join(f"{q} {s}" for q, s in statuses.items()))


def check_pieces(study, outcome, reference, expected) -> CheckOutcome:
    """The number of pieces of a representation file or of a program's decomposition."""
    if reference.endswith(".toml"):
        from pwverify.model.reprfile import load
        n = len(set(load(os.path.join(HERE, reference)).numbering))
    else:
        n = len(study.program(reference).representation())
    return CheckOutcome(f"pieces of {reference}", n == expected, f"{n} (expected {expected})")


def check_well_formed(study, outcome, reference) -> CheckOutcome:
    """The decomposition of a program is a representation: disjoint, covering, continuous."""
    from pwverify.questions.wellformed import check_representation
    rep = study.program(reference).representation()
    report = check_representation(rep)
    statuses = {v.question: v.status for v in report.verdicts()}
    ok = all(s == "proved" for s in statuses.values()) and not report.empty_pieces
    return CheckOutcome(f"{reference} is piecewise C¹ ({len(rep)} pieces)", ok,
                        ", ".join(f"{q} {s}" for q, s in statuses.items()))


def check_measure_zero(study, outcome) -> CheckOutcome:
    """The comparison's disagreement set has measure zero (Corollary 1)."""
    comparison = outcome.comparison
    ok = comparison is not None and comparison.measure_zero is True and bool(comparison.disagreement)
    n = len(comparison.disagreement) if comparison is not None else 0
    return CheckOutcome("the gradients differ on a set of measure zero", ok,
                        f"{n} thin regions, measure zero: {comparison.measure_zero if comparison else None}")


def check_in_clarke(study, outcome, *references) -> CheckOutcome:
    """At an exact point of every thin piece (a tie) of each program's decomposition, the
    Jacobian J autodiff returns for each program lies in D_F(x) = conv{P permutation :
    Px = F(x)}: J is doubly stochastic and J_ij > 0 only where x_j = F(x)_i (then every
    permutation of its Birkhoff decomposition sorts x)."""
    from pwverify.questions.tie_points import points_in_pieces
    programs = [study.program(r) for r in references]
    names = programs[0].inputs
    points = []
    for program in programs:
        for pp in points_in_pieces(program.representation()):
            if pp.thin and pp.point not in points:
                points.append(pp.point)
    bad = []
    for point in points:
        x = [Fraction(str(point[n])) for n in names]
        fx = sorted(x, reverse=True)
        n = len(x)
        for reference, program in zip(references, programs):
            J = [[Fraction(str(v)) for v in row] for row in program.gradient_at(point)]
            stochastic = all(v >= 0 for row in J for v in row) and all(sum(row) == 1 for row in J) and \
                all(sum(J[i][j] for i in range(n)) == 1 for j in range(n))
            support = all(J[i][j] == 0 or x[j] == fx[i] for i in range(n) for j in range(n))
            if not (stochastic and support):
                bad.append(f"{reference} at {_point(x)}")
    return CheckOutcome(f"autodiff Jacobians of {', '.join(references)} in conv{{P : Px = F(x)}}",
                        bool(points) and not bad,
                        f"{len(points)} tie points checked exactly" + (f"; fails: {', '.join(bad)}" if bad else ""))


CHECKS = {"compare": check_compare, "table_file": check_table_file, "pieces": check_pieces,
          "well_formed": check_well_formed, "measure_zero": check_measure_zero, "in_clarke": check_in_clarke}


def run_study(path: str, figures: str | None = DEFAULT_FIGURES) -> int:
    """Run the studies defined for the file ``path``, print their stories; exit code 0 if all match."""
    name = os.path.basename(path)
    outcomes = [run(s, figures) for s in STUDIES if s.file == name]
    print("\n\n".join(o.describe() for o in outcomes))
    return 0 if all(o.ok for o in outcomes) else 1
