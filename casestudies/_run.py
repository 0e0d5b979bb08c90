"""Running the case studies of ``_study.py``: verdicts, the papers' numbers recomputed,
further checks, figures; in parallel processes when asked.

Loaded by ``_study.py`` (by path, as a sibling): the study definitions live there, this
module only runs them. It imports neither torch nor the studied files: pwverify reads them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

# -- outcomes -------------------------------------------------------------------------------------
@dataclass
class TableOutcome:
    """A table of the paper recomputed: ``what`` it is (``f'(t) at t = ...``), the paper's
    numbers and pwverify's, exact."""

    table: Any
    got: list
    ok: bool
    what: str = ""

    @property
    def paper(self) -> str:
        return values_text(self.table.expected)

    @property
    def pwverify(self) -> str:
        return values_text(self.got)

    def to_json(self) -> dict:
        return {"what": self.what, "source": self.table.source, "paper": self.paper,
                "pwverify": self.pwverify, "ok": self.ok}


@dataclass
class CheckOutcome:
    """A further claim checked; ``paper``/``got``: the number it is about, when it has one."""

    name: str
    ok: bool
    detail: str
    paper: str | None = None
    got: str | None = None


@dataclass
class Outcome:
    """Everything a study found: verdicts, the paper's numbers recomputed, checks, figures."""

    study: Any                    # the Study
    function: Any = None          # Verdict
    gradient: Any = None          # Verdict
    describe_verdicts: str = ""
    disagreement: list = field(default_factory=list)
    tables: list[TableOutcome] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    drawn: int = 0                # figures drawn (the others were current)
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

    def row(self, timings: bool = False) -> dict:
        """The study in ``pwverify demo --json``: verdicts, the papers' numbers next to
        pwverify's, checks, figures (``timings``: and the seconds it took)."""
        out = {"study": self.study.key, "title": self.study.title, "claim": self.study.claim,
               "source": self.study.source, "function": str(self.function.status),
               "gradient": str(self.gradient.status), "witness": self.witness,
               "papers_numbers": self.numbers, "tables": [t.to_json() for t in self.tables],
               "checks": [{"check": c.name, "ok": c.ok, "detail": c.detail}
                          | ({"paper": c.paper, "pwverify": c.got} if c.paper is not None else {})
                          for c in self.checks],
               "figures": self.figures, "ok": self.ok}
        if timings:
            out["seconds"] = round(self.seconds, 2)
        return out

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


def values_text(values: list) -> str:
    """Numbers at several points: ``0, 0, -3/2``; gradients ``(1/2, 1/2)``; Jacobians one
    row per line; points separated by ``;``.

    >>> values_text([0, Fraction(-3, 2)])
    '0, -3/2'
    >>> values_text([[[Fraction(1, 2), Fraction(1, 2)]], [[1, 0]]])
    '(1/2, 1/2); (1, 0)'
    >>> print(values_text([[[0, 1], [1, 0]]]))
    [0, 1]
    [1, 0]
    """
    if not values or not isinstance(values[0], list):
        return ", ".join(_exact_text(v) for v in values)
    parts = []
    for jacobian in values:
        rows = ["(" + ", ".join(_exact_text(v) for v in row) + ")" for row in jacobian]
        parts.append(rows[0] if len(rows) == 1 else "\n".join(r.replace("(", "[").replace(")", "]") for r in rows))
    return ("\n" if any("\n" in p for p in parts) else "; ").join(parts)


def _what(study, table, program) -> str:
    """``f'(t) at t = -1, 0, 1``, ``∇max_pair(0, 0)``, ``J sort4(1, 3, 3, 2)``: what a table lists."""
    name, _, framework = table.program.partition("@")
    extra = [framework] if framework else []
    extra += list(table.ties)
    tail = f", {', '.join(extra)}" if extra else ""
    if not isinstance(table.expected[0], list):
        x = program.inputs[0]
        if len(table.points) == 1:
            return f"{name}'({_point(table.points[0])}){tail}"
        return f"{name}'({x}) at {x} = {', '.join(_point(p) for p in table.points)}{tail}"
    symbol = "∇" if len(table.expected[0]) == 1 else "J "
    points = ["(" + ", ".join(_exact_text(v) for v in p) + ")" for p in table.points]
    if len(points) == 1:
        return f"{symbol}{name}{points[0]}{tail}"
    return f"{symbol}{name} at {'; '.join(points)}{tail}"


def _run_table(study, table) -> TableOutcome:
    program = study.program(table.program, table.ties)
    got = []
    for point, expected in zip(table.points, table.expected):
        jacobian = program.gradient_at(point if isinstance(point, list) else [point])
        got.append(jacobian if isinstance(expected, list) else jacobian[0][0])
    ok = all(_same(g, e) for g, e in zip(got, table.expected))
    return TableOutcome(table, got, ok, _what(study, table, program))


def run(study, figures: str | None = None, disagreement: bool | None = None, redraw: bool = False) -> Outcome:
    """Run one study; figures are written to the folder ``figures`` (None: none), except
    those already there, drawn from the same sources (``redraw``: draw them all).
    ``disagreement``: compute the disagreement set of the headline comparison (None: when
    a figure to draw or a check needs it)."""
    start = time.perf_counter()
    outcome = Outcome(study)
    stale = [f for f in study.figures if redraw or not figure_is_current(study, f, figures)] if figures else []
    # the comparisons the figures to draw show, with their disagreement sets (the costly part)
    drawn_pairs = {(f.programs[0], r) for f in stale if f.compare for r in f.programs[1:]}
    for a, b in sorted(drawn_pairs):
        study.comparison(a, b, disagreement=True)
    if disagreement is None:
        disagreement = tuple(study.compare or ()) in drawn_pairs or any(c[0] == "measure_zero"
                                                                        for c in study.checks)
    comparison = None
    if study.compare:
        comparison = study.comparison(*study.compare, disagreement=disagreement)
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
        outcome.figures = [draw(study, f, figures) if f in stale else _figure_path(f, figures)
                           for f in study.figures]
        outcome.drawn = len(stale)
    outcome.seconds = time.perf_counter() - start
    return outcome


def run_many(studies: list, figures: str | None = None, jobs: int = 1, progress=None, started=None,
             **options) -> list:
    """Run ``studies``, in order, in ``jobs`` processes (forked: the studies' definitions and
    the imports are shared; one by one where fork is not available or not safe). The costliest start
    first. ``started()`` is called once the worker processes exist, ``progress(outcome)``
    as each study ends (both in this process)."""
    import multiprocessing
    if jobs <= 1 or len(studies) < 2 or "fork" not in multiprocessing.get_all_start_methods() \
            or not _single_threaded():
        if started:
            started()
        out = []
        for study in studies:
            out.append(run(study, figures, **options))
            if progress:
                progress(out[-1])
        return out
    import concurrent.futures
    _warm_up(figures)
    order = sorted(range(len(studies)), key=lambda i: -studies[i].cost)
    results: list = [None] * len(studies)
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(studies)), mp_context=context) as pool:
        # the workers are forked at the first submit, before any thread of ours (a progress bar) starts
        futures = {pool.submit(run, studies[i], figures, **options): i for i in order}
        if started:
            started()
        for future in concurrent.futures.as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            if progress:
                progress(results[i])
    return results


def _single_threaded() -> bool:
    """Is this process one thread? Forking a multithreaded one (jax, tensorflow or torch
    imported and used, as in a test session) can deadlock the child, so then the studies
    run one by one."""
    import threading
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: only Python's own threads can be seen
        return threading.active_count() == 1


def _warm_up(figures) -> None:
    """Import once, before forking, what every worker needs."""
    import pwverify.questions.compare  # noqa: F401
    import pwverify.questions.wellformed  # noqa: F401
    if figures:
        import matplotlib.figure  # noqa: F401
        from matplotlib import font_manager
        from matplotlib.backends import backend_agg  # noqa: F401
        import pwverify.output.plot  # noqa: F401
        font_manager.findfont("DejaVu Sans")


def draw(study, figure, folder: str) -> str:
    """Write one figure of a study as PNG (its sources' fingerprint in its metadata);
    returns its path."""
    from pwverify.output.plot import plot
    programs = [study.program(r) for r in figure.programs]
    comparison = False
    if figure.compare and len(programs) >= 2:
        comparison = [study.comparison(figure.programs[0], r) for r in figure.programs[1:]]
    path = _figure_path(figure, folder)
    plot(programs, path, vary=figure.vary, at=figure.at, window=figure.window, output=figure.output,
         comparison=comparison, labels=[study.label(r) for r in figure.programs],
         title=figure.title or study.title, metadata={FIGURE_KEY: figure_fingerprint(study, figure)})
    return path


# -- figures already drawn --------------------------------------------------------------------
#: The PNG text field holding the fingerprint of what a figure was drawn from.
FIGURE_KEY = "pwverify-figure"
_SOURCES: dict = {}


def _figure_path(figure, folder: str) -> str:
    return os.path.join(folder, f"{figure.name}.png")


def _sources_digest(folder: str) -> str:
    """A digest of everything a figure depends on: pwverify's code, the case studies'
    files, matplotlib's version."""
    if folder not in _SOURCES:
        import hashlib
        import matplotlib
        import pwverify
        digest = hashlib.sha256(matplotlib.__version__.encode())
        roots = [os.path.dirname(os.path.abspath(pwverify.__file__)), folder]
        for root in roots:
            for base, dirs, names in sorted(os.walk(root)):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__" and d != "figures")
                for name in sorted(names):
                    if name.endswith((".py", ".toml")):
                        with open(os.path.join(base, name), "rb") as handle:
                            digest.update(name.encode() + handle.read())
        _SOURCES[folder] = digest.hexdigest()
    return _SOURCES[folder]


def figure_fingerprint(study, figure) -> str:
    """What the figure is drawn from: the sources, the study's title and the figure's spec."""
    import hashlib
    spec = repr((study.key, study.title, figure)).encode()
    return hashlib.sha256(_sources_digest(study.folder).encode() + spec).hexdigest()[:32]


def png_text(path: str) -> dict[str, str]:
    """The text fields (tEXt chunks) of a PNG file ({} when it is not one)."""
    import struct
    out = {}
    try:
        with open(path, "rb") as handle:
            if handle.read(8) != b"\x89PNG\r\n\x1a\n":
                return {}
            while True:
                head = handle.read(8)
                if len(head) < 8:
                    break
                length, kind = struct.unpack(">I4s", head)
                data = handle.read(length)
                handle.read(4)
                if kind == b"tEXt" and b"\0" in data:
                    key, _, value = data.partition(b"\0")
                    out[key.decode("latin-1")] = value.decode("latin-1")
                elif kind in (b"IDAT", b"IEND"):
                    break
    except OSError:
        return {}
    return out


def figure_is_current(study, figure, folder: str | None) -> bool:
    """Is the figure's PNG in ``folder`` drawn from the same sources as it would be now?"""
    if not folder:
        return False
    path = _figure_path(figure, folder)
    return os.path.exists(path) and png_text(path).get(FIGURE_KEY) == figure_fingerprint(study, figure)


def _check_file(study, toml: str, against: str):
    from pwverify.questions.wellformed import check_file
    return check_file(os.path.join(study.folder, toml), against=study.program(against))


# -- further claims ---------------------------------------------------------------------------------
def check_compare(study, outcome, a, b, expect, witness) -> CheckOutcome:
    """Another comparison of the study, with its expected verdicts (and witness)."""
    c = study.comparison(a, b, disagreement=False)
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
        n = len(set(load(os.path.join(study.folder, reference)).numbering))
    else:
        n = len(study.program(reference).representation())
    return CheckOutcome(f"pieces of {reference}", n == expected, f"{n} (expected {expected})", str(expected), str(n))


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
