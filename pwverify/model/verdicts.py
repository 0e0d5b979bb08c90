"""Three-valued verdicts and their witnesses.

Every check pwverify makes ends in exactly one :class:`Status`:

* ``proved``: the solver (or exact algebra) established the property everywhere;
* ``refuted``: with a :class:`Witness`, a point re-checked in exact arithmetic;
* ``unknown``: with the reason (a solver timeout, transcendental terms nothing
  decides, a decomposition too large).

Never *proved* from sampling, and a solver's ``unknown`` is never read as a pass.
Statuses are ordered ``refuted < unknown < proved``, so the status of several
questions together is their minimum (:meth:`Status.combine`).

>>> v = Verdict.refuted("gradient", GradientWitness({"t": 0}, [[0]], [[1]]))
>>> print(v.describe())
gradient: refuted at t = 0
  gradient_a = [[0]]
  gradient_b = [[1]]
>>> Status.combine([Status.PROVED, Status.UNKNOWN]), Status.combine([])
('unknown', 'proved')
>>> Status.REFUTED < Status.UNKNOWN < Status.PROVED
True
>>> exit_code([v])
1
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..core import exitcodes
from ..core.formatting import nested_json, nested_str, point_json, point_str


class Status(str, enum.Enum):
    """The answer's kind, ordered ``REFUTED < UNKNOWN < PROVED``."""

    REFUTED = "refuted"
    UNKNOWN = "unknown"
    PROVED = "proved"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other):
        return self.rank < Status(other).rank

    def __le__(self, other):
        return self.rank <= Status(other).rank

    def __gt__(self, other):
        return self.rank > Status(other).rank

    def __ge__(self, other):
        return self.rank >= Status(other).rank

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return repr(self.value)

    @staticmethod
    def combine(items: Iterable["Status | Verdict"]) -> "Status":
        """The status of several questions together: the least of them (proved if none)."""
        statuses = [i.status if isinstance(i, Verdict) else Status(i) for i in items]
        return min(statuses, default=Status.PROVED)

    @property
    def exit_code(self) -> int:
        return {Status.PROVED: exitcodes.OK, Status.REFUTED: exitcodes.REFUTED,
                Status.UNKNOWN: exitcodes.UNKNOWN}[self]


_RANK = {Status.REFUTED: 0, Status.UNKNOWN: 1, Status.PROVED: 2}
PROVED, REFUTED, UNKNOWN = Status.PROVED, Status.REFUTED, Status.UNKNOWN


# -- witnesses -----------------------------------------------------------------------------
@dataclass
class Witness:
    """An exact point, and what was observed there (``facts``: label -> value)."""

    point: dict[str, Any]
    facts: dict[str, Any] = field(default_factory=dict, kw_only=True)

    @property
    def observed(self) -> dict[str, Any]:
        """Everything observed at the point, by label (typed witnesses list their fields)."""
        return dict(self.facts)

    def point_str(self) -> str:
        return point_str(self.point)

    def describe(self) -> str:
        lines = [f"at {self.point_str()}" if self.point else "(no point)"]
        lines += [f"  {k} = {v if isinstance(v, str) else nested_str(v)}" for k, v in self.observed.items()]
        return "\n".join(lines)

    def to_json(self) -> dict:
        out = {"point": point_json(self.point)}
        out.update({k: nested_json(v) for k, v in self.observed.items()})
        return out


@dataclass
class ValueWitness(Witness):
    """Two functions with different values at ``point``."""

    value_a: list = field(default_factory=list)
    value_b: list = field(default_factory=list)

    @property
    def observed(self) -> dict[str, Any]:
        return {"value_a": self.value_a, "value_b": self.value_b, **self.facts}


@dataclass
class GradientWitness(Witness):
    """Two autodiff Jacobians (rows per output) that differ at ``point``."""

    gradient_a: list = field(default_factory=list)
    gradient_b: list = field(default_factory=list)

    @property
    def observed(self) -> dict[str, Any]:
        return {"gradient_a": self.gradient_a, "gradient_b": self.gradient_b, **self.facts}


@dataclass
class DomainWitness(Witness):
    """A point where one function is defined and the other is not."""

    defined_a: bool = True
    defined_b: bool = True

    @property
    def observed(self) -> dict[str, Any]:
        return {"defined_a": self.defined_a, "defined_b": self.defined_b, **self.facts}


# -- verdicts --------------------------------------------------------------------------------
@dataclass
class Verdict:
    """The answer to one question: proved, refuted (with a witness) or unknown (with a reason)."""

    question: str
    status: Status
    reason: str | None = None
    witness: Witness | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.status = Status(self.status)

    @staticmethod
    def proved(question: str, reason: str | None = None, **details) -> "Verdict":
        return Verdict(question, PROVED, reason, None, details)

    @staticmethod
    def refuted(question: str, witness: Witness, reason: str | None = None, **details) -> "Verdict":
        return Verdict(question, REFUTED, reason, witness, details)

    @staticmethod
    def unknown(question: str, reason: str, **details) -> "Verdict":
        return Verdict(question, UNKNOWN, reason, None, details)

    @property
    def is_proved(self) -> bool:
        return self.status == PROVED

    @property
    def is_refuted(self) -> bool:
        return self.status == REFUTED

    def renamed(self, question: str, **facts) -> "Verdict":
        """The same verdict under another question's name (extra facts join the witness)."""
        witness = self.witness
        if witness is not None and facts:
            witness = dataclasses.replace(witness, facts={**witness.facts, **facts})
        return dataclasses.replace(self, question=question, witness=witness)

    def describe(self) -> str:
        if self.status == REFUTED and self.witness is not None:
            lines = [f"{self.question}: refuted at {self.witness.point_str()}"]
            lines += self.witness.describe().split("\n")[1:]
            if self.reason:
                lines.append(f"  ({self.reason})")
            return "\n".join(lines)
        text = f"{self.question}: {self.status}"
        if self.reason:
            text += f" ({self.reason})"
        return text

    def to_json(self) -> dict:
        return {"verdict": str(self.status), "reason": self.reason,
                "witness": self.witness.to_json() if self.witness else None}


def combine(verdicts: Iterable[Verdict]) -> Status:
    """refuted if any is refuted, else unknown if any is unknown, else proved."""
    return Status.combine(verdicts)


def exit_code(verdicts: Iterable[Verdict]) -> int:
    """CLI exit code: 0 all proved, 1 something refuted, 3 unknown."""
    return Status.combine(verdicts).exit_code


def verdicts_markdown(rows) -> str:
    """``[(question, Verdict)]`` as a Markdown table: question, verdict, witness or reason."""
    lines = ["| question | verdict | witness / reason |", "|---|---|---|"]
    for question, verdict in rows:
        lines.append(f"| {question} | **{verdict.status}** | {_witness_md(verdict)} |")
    return "\n".join(lines)


def _witness_md(verdict: Verdict) -> str:
    w = verdict.witness
    if w is None:
        return _md_escape(verdict.reason or "")
    parts = [w.point_str()] + [f"{k} = {v if isinstance(v, str) else nested_str(v)}"
                               for k, v in w.observed.items()]
    return _md_escape("; ".join(parts))


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|")
