"""The reports of ``check``: verdicts on a representation, and on a file checked against a program.

Pieces are numbered from 1, as in the file they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .verdicts import Verdict, Witness, _md_escape, verdicts_markdown


@dataclass
class RepresentationCheck:
    """Verdicts on one representation (pieces numbered from 1)."""

    disjoint: Verdict
    cover: Verdict
    empty_pieces: list[int]
    continuity: Verdict
    extra: dict = field(default_factory=dict)

    def verdicts(self) -> list[Verdict]:
        return [self.disjoint, self.cover, self.continuity] + [
            v for v in self.extra.values() if isinstance(v, Verdict)]

    def to_markdown(self) -> str:
        return check_markdown(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def describe(self) -> str:
        lines = [self.disjoint.describe(), self.cover.describe()]
        lines.append("empty pieces: " + (", ".join(map(str, self.empty_pieces)) or "none"))
        lines.append(self.continuity.describe())
        for v in self.extra.values():
            if isinstance(v, Verdict):
                lines.append(v.describe())
        return "\n".join(lines)


@dataclass
class FileCheck:
    """``pwverify check FILE [--against PROGRAM]``: pieces numbered as in the file."""

    path: str
    representation: RepresentationCheck
    against: str | None = None
    agrees: Verdict | None = None
    gradient: Verdict | None = None

    def verdicts(self) -> list[Verdict]:
        out = self.representation.verdicts()
        out += [v for v in (self.agrees, self.gradient) if v is not None]
        if self.representation.empty_pieces:
            out.append(Verdict.refuted("empty pieces", Witness({})))
        return out

    def describe(self) -> str:
        lines = [f"{self.path}", self.representation.describe()]
        if self.agrees is not None:
            lines.append(self.agrees.describe().replace("function", f"agrees with {self.against}", 1))
            lines.append(self.gradient.describe().replace("gradient", "gradient (associated vs autodiff)", 1))
        return "\n".join(lines)

    def to_markdown(self) -> str:
        return check_markdown(self, self.path)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def to_json(self) -> dict:
        rc = self.representation
        out = {"file": self.path, "disjoint": rc.disjoint.to_json(), "cover": rc.cover.to_json(),
               "empty_pieces": rc.empty_pieces, "continuity": rc.continuity.to_json()}
        if self.agrees is not None:
            out["against"] = self.against
            out["agrees"] = self.agrees.to_json()
            out["gradient"] = self.gradient.to_json()
        return out




def check_markdown(report, title: str = "") -> str:
    """A :class:`RepresentationCheck` or :class:`FileCheck` as Markdown."""
    rc = getattr(report, "representation", report)
    rows = [("pieces disjoint", rc.disjoint), ("pieces cover", rc.cover), ("continuous", rc.continuity)]
    agrees = getattr(report, "agrees", None)
    if agrees is not None:
        rows += [(f"equals {report.against}", agrees), ("gradient = autodiff's", report.gradient)]
    text = (f"**{_md_escape(title)}**\n\n" if title else "") + verdicts_markdown(rows)
    empty = ", ".join(map(str, rc.empty_pieces)) or "none"
    return text + f"\n\nEmpty pieces: {empty}."
