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
    """A figure of the study: ``programs`` (references), for ``pwverify.output.plot.plot``.

    ``title``: the figure's own title (default: the study's). With ``compare``, each
    program after the first is compared with the first and their disagreement drawn."""

    name: str
    programs: tuple[str, ...]
    title: str | None = None
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
    cost: float = 1.0    # rough relative run time: the costliest studies start first in parallel runs

    @property
    def folder(self) -> str:
        """The folder of the study's files."""
        return HERE

    def spec(self, reference: str) -> tuple[str, str | None]:
        """``(pwverify program spec, framework)`` of a reference."""
        name, _, framework = reference.partition("@")
        if name.isidentifier():
            return f"{os.path.join(HERE, self.file)}:{name}", framework or None
        return name, framework or None

    def program(self, reference: str, ties: tuple[str, ...] = ()):
        """The program of a reference, read once per run (its decomposition is cached with it)."""
        import pwverify
        spec, framework = self.spec(reference)
        key = (spec, framework, tuple(ties), _mtime(spec))
        if key not in _PROGRAMS:
            _PROGRAMS[key] = pwverify.parse(spec, framework=framework, ties=list(ties))
        return _PROGRAMS[key]

    def comparison(self, a: str, b: str, disagreement: bool = True):
        """The comparison of two references, computed once per run and labelled with them.
        ``disagreement=False``: the verdicts only, without the disagreement set (its pieces
        are the costly part), unless the full comparison is already there."""
        from pwverify.questions.compare import compare
        pa, pb = self.program(a), self.program(b)
        for flag in (True, disagreement):
            if (id(pa), id(pb), flag) in _COMPARISONS:
                return _COMPARISONS[id(pa), id(pb), flag][2]
        comparison = compare(pa, pb, disagreement=disagreement)
        comparison.a, comparison.b = self.label(a), self.label(b)
        _COMPARISONS[id(pa), id(pb), disagreement] = (pa, pb, comparison)
        return comparison

    def label(self, reference: str) -> str:
        name, _, framework = reference.partition("@")
        return f"{name} ({framework})" if framework else name


#: Programs and comparisons already computed (a study's figures and checks reuse them).
_PROGRAMS: dict = {}
_COMPARISONS: dict = {}


def _mtime(spec: str):
    path = spec.rpartition(":")[0]
    return os.path.getmtime(path) if path.endswith(".py") and os.path.exists(path) else None


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
        checks=[("compare", "identity", "identity_minus_zero", {"function": "proved", "gradient": "refuted"},
                 {"t": 0})],
        figures=[Figure("relu_family", ("relu", "relu2", "relu3"), compare=False,
                        title="relu, relu2, relu3: one function, three derivatives at 0"),
                 Figure("artificial_critical_point", ("identity", "identity_minus_zero"),
                        title="t - zero(t) is the identity, with derivative 0 at 0: an artificial critical point")]),
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
        figures=[Figure("max_tie_line", ("max_pair", "python_max_pair"),
                        title="The tie line of max: torch.maximum gives (1/2, 1/2), Python's max (1, 0)")]),
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
        figures=[Figure("boustany", ("f",), window=(-1, 1),
                        title="f(t) = max1(tx) - torch.max(tx) is 0, yet autodiff returns f'(0) = -3/2")]),
    Study(
        "maxpool", "maxpool.py", "MaxPool1d(2, stride=1): the first entry of a tied window",
        "MaxPool1d gives the gradient of a tied window to its first entry, so "
        "f(t) = maxpool(t, 4t) - maxpool(4t, t) is 0 while autodiff returns f'(0) = 1 - 4 = -3",
        "Després (2025), Table 3",
        compare=("pool_t_4t", "pool_4t_t"), witness={"t": 0},
        tables=[Table("f", _T, [0, 0, 0, -3, 0, 0, 0], "Table 3"),
                Table("pool_t_4t", [0], [1], "first entry t"),
                Table("pool_4t_t", [0], [4], "first entry 4t")],
        figures=[Figure("maxpool", ("f",), window=(-1, 1),
                        title="f(t) = maxpool(t, 4t) - maxpool(4t, t) is 0, yet autodiff returns f'(0) = -3")]),
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
        checks=[("well_formed", "lw_relu"), ("measure_zero",)], cost=6,
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
        checks=[("in_clarke", "sort3", "network3")], cost=2,
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
        figures=[Figure("frameworks", ("max_abs@torch", "max_abs@jax", "max_abs@tensorflow"))]),
]


# -- running (casestudies/_run.py) ----------------------------------------------------------------
def _load_runner():
    """The runner, a sibling file (this module is loaded by path, not as a package)."""
    import importlib.util
    import sys
    name = __name__ + "_run"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, "_run.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses and pickling look their module up here
        spec.loader.exec_module(module)
    return sys.modules[name]


_runner = _load_runner()
Outcome, TableOutcome, CheckOutcome = _runner.Outcome, _runner.TableOutcome, _runner.CheckOutcome
CHECKS, run, draw = _runner.CHECKS, _runner.run, _runner.draw


def run_all(figures: str | None = DEFAULT_FIGURES, keys=None, jobs: int = 1, progress=None, started=None,
            disagreement: bool | None = None, redraw: bool = False) -> list:
    """Every study (or those whose key is in ``keys``), in order; ``jobs`` processes (the
    costliest studies start first); ``progress(outcome)`` is called as each one ends.

    A figure whose PNG in ``figures`` was drawn from the same sources is kept as it is
    (``redraw``: draw every figure again). ``disagreement``: compute the disagreement set
    of every comparison (None: only where a figure or a check needs it)."""
    chosen = [s for s in STUDIES if keys is None or s.key in keys]
    return _runner.run_many(chosen, figures, jobs, progress, started, disagreement=disagreement, redraw=redraw)


def run_study(path: str, figures: str | None = DEFAULT_FIGURES) -> int:
    """Run the studies defined for the file ``path``, print their stories; exit code 0 if all match."""
    name = os.path.basename(path)
    outcomes = [run(s, figures, disagreement=True) for s in STUDIES if s.file == name]
    print("\n\n".join(o.describe() for o in outcomes))
    return 0 if all(o.ok for o in outcomes) else 1
