"""Three-valued verdicts and their witnesses.

Every check pwverify makes ends in exactly one of

* ``proved``: the solver (or exact algebra) established the property everywhere;
* ``refuted``: with a :class:`Witness`, a point re-checked in exact arithmetic;
* ``unknown``: with the reason (a solver timeout, transcendental terms nothing
  decides, a decomposition too large).

Never *proved* from sampling, and a solver's ``unknown`` is never read as a pass.

>>> v = Verdict.refuted("gradient", Witness({"t": 0}, {"gradient_a": [[0]], "gradient_b": [[1]]}))
>>> print(v.describe())
gradient: refuted at t = 0
  gradient_a = [[0]]
  gradient_b = [[1]]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROVED, REFUTED, UNKNOWN = "proved", "refuted", "unknown"


@dataclass
class Witness:
    """An exact point and what was observed there (values, gradients, pieces)."""

    point: dict[str, Any]
    observed: dict[str, Any] = field(default_factory=dict)

    def point_str(self) -> str:
        from ..output.report import exact_str
        return ", ".join(f"{k} = {exact_str(v)}" for k, v in self.point.items())

    def to_json(self) -> dict:
        from ..output.report import exact_str, point_json

        def conv(v):
            if isinstance(v, (list, tuple)):
                return [conv(x) for x in v]
            if isinstance(v, (int, str)) and not isinstance(v, bool):
                return v
            return exact_str(v)
        out = {"point": point_json(self.point)}
        out.update({k: conv(v) for k, v in self.observed.items()})
        return out


@dataclass
class Verdict:
    """The answer to one question: proved, refuted (with a witness) or unknown (with a reason)."""

    question: str
    status: str
    reason: str | None = None
    witness: Witness | None = None
    details: dict[str, Any] = field(default_factory=dict)

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

    def describe(self) -> str:
        from ..output.report import exact_str
        if self.status == REFUTED and self.witness is not None:
            lines = [f"{self.question}: refuted at {self.witness.point_str()}"]
            for key, value in self.witness.observed.items():
                lines.append(f"  {key} = {_render(value)}")
            if self.reason:
                lines.append(f"  ({self.reason})")
            return "\n".join(lines)
        text = f"{self.question}: {self.status}"
        if self.reason:
            text += f" ({self.reason})"
        return text

    def to_json(self) -> dict:
        return {"verdict": self.status, "reason": self.reason,
                "witness": self.witness.to_json() if self.witness else None}


def _render(value: Any) -> str:
    from ..output.report import exact_str
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    return exact_str(value) if not isinstance(value, str) else value


def combine(verdicts: list[Verdict]) -> str:
    """refuted if any is refuted, else unknown if any is unknown, else proved."""
    if any(v.status == REFUTED for v in verdicts):
        return REFUTED
    if any(v.status == UNKNOWN for v in verdicts):
        return UNKNOWN
    return PROVED


def exit_code(verdicts: list[Verdict]) -> int:
    """CLI exit code: 0 all proved, 1 something refuted, 3 unknown."""
    return {PROVED: 0, REFUTED: 1, UNKNOWN: 3}[combine(verdicts)]
