"""The bundled case studies: what each one claims, and how pwverify checks it.

Every study names programs of its own file (read by pwverify, never run here), the
claim the source paper makes, and the numbers the paper prints; ``pwverify demo``
runs them all, and ``python casestudies/<study>.py`` runs one. The expected numbers
are asserted in the test suite, so a study cannot silently drift.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Table:
    """Autodiff derivatives of a one-input program at given points (a paper's table)."""

    program: str
    points: list
    expected: list
    source: str = ""


@dataclass
class Study:
    key: str
    file: str
    title: str
    claim: str
    compare: tuple[str, str] | None = None
    expect: dict = field(default_factory=lambda: {"function": "proved", "gradient": "refuted"})
    tables: list[Table] = field(default_factory=list)
    framework: str | None = None

    def spec(self, function: str) -> str:
        return f"{os.path.join(HERE, self.file)}:{function}"


_T = [-1, Fraction(-1, 2), Fraction(-1, 100), 0, Fraction(1, 100), Fraction(1, 2), 1]

STUDIES = [
    Study("relu", "relu_family.py", "Bolte–Pauwels: relu, relu2, relu3, zero",
          "relu2 = relu(-t) + t and relu3 compute relu, zero computes 0, yet autodiff returns "
          "relu'(0) = 0, relu2'(0) = 1, relu3'(0) = 1/2, zero'(0) = 1 (seed 003, Fig. 1)",
          compare=("relu", "relu2"),
          tables=[Table("relu", [0], [0], "seed 003"), Table("relu2", [0], [1], "seed 003"),
                  Table("relu3", [0], [Fraction(1, 2)], "seed 003"), Table("zero", [0], [1], "seed 003"),
                  Table("identity_minus_zero", [0], [0], "seed 003: an artificial critical point")]),
    Study("max_xx", "murat_trombetti.py", "Murat–Trombetti: max(x, x)",
          "f = max ∘ (x, x) is the identity; the chain rule needs ∇max on its tie line, yet every "
          "associated gradient gives f' = 1 (seed 001, §2.2 and §4.2)",
          compare=("max_xx", "python_max_xx"), expect={"function": "proved", "gradient": "proved"},
          tables=[Table("max_xx", [-1, 0, 1], [1, 1, 1], "seed 001 eq. (16)"),
                  Table("relu_w0", [-1, 0, 1], [0, 0, 0], "seed 001 §4.1, w0 = 0")]),
    Study("boustany", "boustany.py", "Boustany: max1 (a loop) vs torch.max",
          "max1 and torch.max compute the same function, but at ties the loop gives the gradient to "
          "the first maximal entry and torch.max splits it evenly: f'(0) = -3/2 (seed 001, Table 2)",
          compare=("max1_t", "max2_t"),
          tables=[Table("f", _T, [0, 0, 0, Fraction(-3, 2), 0, 0, 0], "seed 001, Table 2")]),
    Study("maxpool", "maxpool.py", "MaxPool1d(2, stride=1): the first entry of a tied window",
          "f(t) = maxpool(t, 4t) - maxpool(4t, t) is 0, yet f'(0) = -3 (seed 001, Table 3)",
          compare=("pool_t_4t", "pool_4t_t"),
          tables=[Table("f", _T, [0, 0, 0, -3, 0, 0, 0], "seed 001, Table 3")]),
    Study("upwind", "upwind.py", "Upwind flux F(a, α, β) in two forms",
          "a·(α if a > 0 else β) = relu(a)α - relu(-a)β as functions; their autodiff gradients "
          "differ on a = 0 (seed 000)", compare=("flux_branch", "flux_relu")),
    Study("minmod", "minmod.py", "minmod in two forms",
          "relu(-max(-x, -y)) - relu(-max(x, y)) is the minmod limiter (seed 000); the tie rules "
          "of torch.maximum and Python's min differ on x = y", compare=("minmod_branch", "minmod_relu")),
]


def run_study(path: str) -> None:
    """Run the study defined for ``path`` and print its story and its numbers."""
    import pwverify
    name = os.path.basename(path)
    study = next(s for s in STUDIES if s.file == name)
    print(f"{study.title}\n{'=' * len(study.title)}\n{study.claim}\n")
    for table in study.tables:
        program = pwverify.parse(study.spec(table.program), framework=study.framework)
        got = [program.gradient_at([t])[0][0] for t in table.points]
        print(f"{table.program}: autodiff derivative at t = {', '.join(map(str, table.points))}")
        print(f"  pwverify: {', '.join(map(str, got))}")
        print(f"  expected ({table.source}): {', '.join(map(str, table.expected))}")
        print(f"  {'matches' if list(map(Fraction, map(str, got))) == list(map(Fraction, table.expected)) else 'DIFFERS'}")
