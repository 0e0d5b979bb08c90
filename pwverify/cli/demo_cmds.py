"""``pwverify demo``: run every bundled case study, summarise the verdicts and the papers'
numbers next to pwverify's, write the figures."""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from typing import TextIO

from .common import add_timings_option, console, emit_json


def register(sub) -> None:
    p = sub.add_parser("demo", help="the main job: every bundled case study, verdicts in one table",
                       description="Run the bundled case studies (casestudies/): for each, compare its two "
                                   "programs (function and autodiff gradient, with exact witnesses), recompute "
                                   "the paper's numbers, check its further claims and draw its figures. Prints "
                                   "the verdicts, then the papers' numbers next to pwverify's. Exit code 0 when "
                                   "every study matches its expectation, 1 when one does not.")
    p.add_argument("--out", default="figures", metavar="DIR", help="where figures go (default: ./figures)")
    p.add_argument("--no-figures", action="store_true", help="check only; draw nothing")
    p.add_argument("--redraw", action="store_true",
                   help="draw every figure (by default a figure already in DIR, drawn from the same sources "
                        "and pwverify, is kept)")
    p.add_argument("--only", default=None, metavar="KEYS", help="run these studies only (comma-separated keys)")
    p.add_argument("--studies", default=None, metavar="DIR", help="the case-study folder (default: bundled)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="processes running studies at once (default: the number of CPUs, at most 4)")
    p.add_argument("--json", action="store_true", help="machine-readable output (no progress bar)")
    add_timings_option(p)
    p.set_defaults(handler=cmd_demo)


def find_studies(folder: str | None = None):
    """Import the study definitions (``casestudies/_study.py``, which runs no analysed code)."""
    from ..core.errors import UsageError
    candidates = [folder] if folder else [
        os.path.join(os.getcwd(), "casestudies"),
        os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "casestudies"),
    ]
    for path in candidates:
        module = os.path.join(path, "_study.py") if path else ""
        if module and os.path.exists(module):
            import sys
            spec = importlib.util.spec_from_file_location("pwverify_case_studies", module)
            loaded = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = loaded  # dataclasses look their module up here
            sys.modules.pop(spec.name + "_run", None)  # the runner beside this copy
            spec.loader.exec_module(loaded)
            return loaded
    raise UsageError("the case studies were not found", hint="run from the repository, or pass --studies DIR")


def default_jobs() -> int:
    """The number of CPUs, at most 4 (the studies are ten, the costliest a third of the work)."""
    return max(1, min(os.cpu_count() or 1, 4))


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..core.errors import UsageError
    studies = find_studies(args.studies)
    keys = [k.strip() for k in args.only.split(",")] if args.only else None
    known = {s.key for s in studies.STUDIES}
    if keys and set(keys) - known:
        raise UsageError(f"--only: unknown study {', '.join(sorted(set(keys) - known))}", hint=", ".join(
            s.key for s in studies.STUDIES))
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    figures = None if args.no_figures else args.out
    chosen = [s for s in studies.STUDIES if keys is None or s.key in keys]
    start = time.perf_counter()
    with _Progress(err, len(chosen), enabled=not args.json) as bar:
        outcomes = studies.run_all(figures, keys, jobs=args.jobs or default_jobs(), progress=bar.advance,
                                   started=bar.start, redraw=args.redraw)
    seconds = time.perf_counter() - start
    ok = all(o.ok for o in outcomes)
    if args.json:
        data = {"studies": [o.row(timings=args.timings) for o in outcomes], "ok": ok, "figures": figures}
        if args.timings:
            data["seconds"] = round(seconds, 2)
        emit_json(data, out, timings=args.timings)
    else:
        print_summary(outcomes, seconds if args.timings else None, figures, out)
    return 0 if ok else 1


class _Progress:
    """A rich progress bar on stderr while the studies run (only on a terminal)."""

    def __init__(self, err: TextIO, total: int, enabled: bool = True):
        self.err, self.total = err, total
        self.enabled = enabled and hasattr(err, "isatty") and err.isatty()
        self.progress = self.task = None
        self.done: list[str] = []

    def __enter__(self):
        return self

    def start(self) -> None:
        if not self.enabled or self.progress is not None:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        self.progress = Progress(TextColumn("case studies"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.description}"),
                                 console=Console(file=self.err), transient=True)
        self.task = self.progress.add_task("", total=self.total)
        self.progress.start()

    def advance(self, outcome) -> None:
        if self.progress is None:
            return
        self.done.append(outcome.study.key)
        self.progress.update(self.task, advance=1, description=f"done: {outcome.study.key}")

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()
        return False


def number_rows(outcome):
    """(what, source, paper, pwverify, ok, count) per table of a study, the tables of one
    point each from one source on one row (``relu'(0), relu2'(0): 0, 1``), then the checks
    that are about a number."""
    rows, group = [], []

    def flush():
        if group:
            rows.append((", ".join(t.what for t in group), group[0].table.source,
                         ", ".join(t.paper for t in group), ", ".join(t.pwverify for t in group),
                         all(t.ok for t in group), len(group)))
            group.clear()

    for t in outcome.tables:
        single = len(t.table.points) == 1 and not isinstance(t.table.expected[0], list)
        if single and (not group or group[0].table.source == t.table.source):
            group.append(t)
            continue
        flush()
        if single:
            group.append(t)
        else:
            rows.append((t.what, t.table.source, t.paper, t.pwverify, t.ok, 1))
    flush()
    rows += [(c.name, "", c.paper, c.got, c.ok, 1) for c in outcome.checks if c.paper is not None]
    return rows


def _check_mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def print_summary(outcomes, seconds: float | None, figures: str | None, out: TextIO,
                  width: int | None = None) -> None:
    """The summary: the verdicts of each study, then every number of the papers next to
    pwverify's. Fits a terminal of 100 columns (``width``: the console's; default: the
    terminal's, or $COLUMNS)."""
    from rich import box
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text
    con = console(out, width=width)
    verdicts = Table(title="pwverify demo: the bundled case studies", box=box.SIMPLE_HEAD, header_style="bold",
                     title_justify="left", pad_edge=False)
    verdicts.add_column("study", no_wrap=True)
    verdicts.add_column("function")
    verdicts.add_column("gradient")
    verdicts.add_column("witness: autodiff's two gradients there", ratio=1)
    verdicts.add_column("", no_wrap=True)
    for o in outcomes:
        verdicts.add_row(o.study.key, str(o.function.status), str(o.gradient.status), o.witness,
                         _check_mark(o.verdicts_ok))
    con.print(verdicts)
    con.print(Text("The papers' numbers, recomputed exactly: what autodiff returns, by the paper and by "
                   "pwverify", style="italic"), soft_wrap=False)
    # one table per study, with the same column widths, under a full-width heading
    number = max(12, min(26, (con.width - 12) // 4))

    def table(header: bool):
        t = Table(box=None, header_style="bold", show_header=header, pad_edge=False)
        t.add_column("  what: the paper's note", width=con.width - 2 * number - 8)
        t.add_column("paper", width=number)
        t.add_column("pwverify", width=number)
        t.add_column("", width=1, no_wrap=True)
        return t

    con.print(table(True))
    total = matched = 0
    for o in outcomes:
        rows = number_rows(o)
        if not rows:
            continue
        con.print(Text(f"{o.study.key} · {o.study.source}", style="bold"), soft_wrap=False)
        numbers = table(False)
        for what, source, paper, got, ok, count in rows:
            numbers.add_row(Padding(f"{what}: {source}" if source else what, (0, 0, 0, 2)), paper, got,
                            _check_mark(ok))
            total += count
            matched += count if ok else 0
        con.print(numbers)
    con.print()
    n_figures = sum(len(o.figures) for o in outcomes)
    drawn = sum(getattr(o, "drawn", len(o.figures)) for o in outcomes)
    kept = f" ({drawn} drawn, {n_figures - drawn} already current)" if drawn < n_figures else ""
    matched_studies = sum(o.ok for o in outcomes)
    checks = [c for o in outcomes for c in o.checks]
    con.print(f"{matched_studies}/{len(outcomes)} studies match their expectations: {matched}/{total} of the "
              f"papers' numbers, {sum(c.ok for c in checks)}/{len(checks)} further checks"
              + (f"; {n_figures} figures in {figures}/{kept}" if figures else "")
              + (f"; {seconds:.1f} s" if seconds is not None else ""), soft_wrap=False)
    for o in outcomes:
        if not o.ok:
            con.print(f"\n{o.describe()}", soft_wrap=False)
    if outcomes and all(o.ok for o in outcomes):
        con.print("One study in detail: python casestudies/boustany.py; its verdicts: "
                  "pwverify compare casestudies/boustany.py:max1_t casestudies/boustany.py:max2_t", soft_wrap=False)
