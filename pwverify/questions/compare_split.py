"""``compare`` split into independent sub-questions, run by :mod:`.parallel`.

The sub-questions are the function question and the gradient question, and, for a
program with several outputs, each output's own (output k of A against output k of B).
A job is plain data (the two program specs and the options); each worker parses the
programs and asks its one question with :func:`~.compare.compare`. Then:

* a verdict is refuted if some sub-question is (the first output's, in order), unknown
  if some is, else proved; a witness found on one output is re-checked exactly on the
  whole programs, so it shows every output, as ``compare``'s does;
* the disagreement sets are joined, output by output.

Outputs are split only when both programs are defined everywhere (no ``log``, ``sqrt``,
division...): where one output is undefined so is the whole program, which a question
about another output alone would not see. The plan depends on the programs only, never
on the number of workers, so a serial run (``workers=None``), ``workers=N`` and a
remote scheduler return the same JSON, timings aside. The verdicts are those of
:func:`~.compare.compare`; a witness may be another point (each output is asked on
its own), and the solver-call counts differ.

>>> data = compare_split("relu(t)", "relu(-t) + t")
>>> data["function"]["verdict"], data["gradient"]["verdict"], data["gradient"]["witness"]["point"]
('proved', 'refuted', {'t': '0'})
"""

from __future__ import annotations

import copy
import dataclasses
import time
from typing import Sequence

from .compare import EQUAL_BUT_GRADIENTS_DIFFER
from .parallel import run_jobs


def plan(a: str, b: str, options: dict) -> list[dict]:
    """The sub-question jobs for comparing ``a`` and ``b``: ``(question, output)`` for each
    question, and for each output when the outputs can be split (``output`` None: all)."""
    A, B = _parse(a, options), _parse(b, options)
    outputs = [None]
    if len(A.graph.outputs) > 1 and len(A.graph.outputs) == len(B.graph.outputs) and _total(A) and _total(B):
        outputs = list(range(len(A.graph.outputs)))
    return [{"a": a, "b": b, "options": options, "question": q, "output": k}
            for q in ("function", "gradient") for k in outputs]


def compare_split(a: str, b: str, *, framework: str | None = None, shapes: dict | None = None,
                  ties: Sequence[str] = (), mode: str = "reverse", weights: str | None = None,
                  wrt: str | Sequence[str] | None = None, engine: str = "auto", timeout_ms: int = 10000,
                  disagreement: bool | None = None, workers: int | None = None,
                  scheduler: str | None = None) -> dict:
    """Compare two program specs as :func:`~.compare.compare` does, by sub-questions run
    serially, on ``workers`` local processes or on the Dask ``scheduler``; the result is
    the JSON of :meth:`~pwverify.model.comparison.Comparison.to_json` (see the module's
    docstring for how it is joined)."""
    options = {"framework": framework, "shapes": dict(shapes or {}), "ties": list(ties), "mode": mode,
               "weights": weights, "wrt": wrt, "engine": engine,
               "timeout_ms": timeout_ms, "disagreement": disagreement}
    start = time.perf_counter()
    jobs = plan(a, b, options)
    parts = run_jobs(run_subquestion, jobs, workers=workers, scheduler=scheduler)
    data = merge(jobs, parts)
    data["stats"]["seconds"] = round(time.perf_counter() - start, 4)
    return data


def _parse(spec: str, options: dict):
    from ..program import parse
    return parse(spec, framework=options["framework"], shapes=options["shapes"], ties=options["ties"],
                 mode=options["mode"], timeout_ms=options["timeout_ms"], weights=options["weights"],
                 wrt=options["wrt"])


def _total(program) -> bool:
    """Is every output defined everywhere (its 'defined' term is true)?"""
    import z3
    from ..engines.direct import encode_nodes
    _, _, defined = encode_nodes(program.graph)
    return all(z3.is_true(z3.simplify(defined[o])) for o in program.graph.outputs)


def output_program(program, k: int):
    """The program restricted to its output ``k`` (a scalar), label unchanged."""
    from ..program import Program
    graph = copy.copy(program.graph)
    graph.outputs = [program.graph.outputs[k]]
    return Program(dataclasses.replace(program.parsed, graph=graph, output_shape=()), program.timeout_ms,
                   program._options)


# -- one sub-question (runs on a worker) ---------------------------------------------------
def run_subquestion(job: dict) -> dict:
    """Ask one sub-question; the JSON of the comparison (only ``job["question"]`` asked)."""
    import sympy
    from .compare import Source, compare
    from .witnesses import confirm
    options, question, k = job["options"], job["question"], job["output"]
    A, B = _parse(job["a"], options), _parse(job["b"], options)
    wrt = A.select(options["wrt"]) if options["wrt"] else None
    sa, sb = (A, B) if k is None else (output_program(A, k), output_program(B, k))
    result = compare(sa, sb, wrt=wrt, engine=options["engine"], timeout_ms=options["timeout_ms"],
                     disagreement=options["disagreement"], questions=(question,))
    verdict = getattr(result, question)
    data = result.to_json()
    if k is not None and verdict.witness is not None:
        # the witness on the whole programs (every output), re-checked exactly
        names = result.inputs
        symbols = [sympy.Symbol(n) for n in names]
        columns = list(range(len(names))) if not wrt else [names.index(w) for w in wrt]
        model = {s: verdict.witness.point[str(s)] for s in symbols}
        full = confirm(Source(A), Source(B), symbols, columns, model,
                       "values" if question == "function" else "gradients")
        if full is None:  # cannot happen: output k differs there, so the whole output does
            data[question].update(verdict="unknown", reason=f"output {k}: the witness was not confirmed on "
                                  "the whole programs (a bug in pwverify)", witness=None)
        else:
            data[question]["witness"] = full.to_json()
    return data


# -- joining the answers -----------------------------------------------------------------------
def merge(jobs: list[dict], parts: list[dict]) -> dict:
    """One comparison's JSON from its sub-questions' (in plan order)."""
    first = parts[0]
    out = {"a": first["a"], "b": first["b"], "inputs": first["inputs"]}
    for question in ("function", "gradient"):
        mine = [(job["output"], part) for job, part in zip(jobs, parts) if job["question"] == question]
        out[question] = _join(question, mine)
    notes = []
    for part in parts:
        notes += [n for n in part["notes"] if n not in notes and n != EQUAL_BUT_GRADIENTS_DIFFER]
    if out["function"]["verdict"] == "proved" and out["gradient"]["measure_zero"] is False:
        notes.append(EQUAL_BUT_GRADIENTS_DIFFER)
    out["notes"] = notes
    if "frameworks" in first:
        out["frameworks"] = first["frameworks"]
    out["stats"] = _stats(parts)
    return out


def _join(question: str, answers: list[tuple[int | None, dict]]) -> dict:
    def where(k):
        return "" if k is None else f"output {k}: "
    verdicts = [(k, part[question]) for k, part in answers]
    refuted = [(k, v) for k, v in verdicts if v["verdict"] == "refuted"]
    unknown = [(k, v) for k, v in verdicts if v["verdict"] == "unknown"]
    if refuted:
        k, v = refuted[0]
        joined = {"verdict": "refuted", "reason": v["reason"], "witness": v["witness"]}
    elif unknown:
        k, v = unknown[0]
        joined = {"verdict": "unknown", "reason": where(k) + (v["reason"] or ""), "witness": None}
    else:
        reasons = [where(k) + v["reason"] for k, v in verdicts if v["reason"]]
        joined = {"verdict": "proved", "reason": "; ".join(reasons) or None, "witness": None}
    if question == "gradient":
        regions, zero, reasons = [], [], []
        for k, v in verdicts:
            regions += [r for r in v["disagreement"] if r not in regions]
            if v["disagreement"]:
                zero.append(v["measure_zero"])
            if v.get("disagreement_reason"):
                reasons.append(where(k) + v["disagreement_reason"])
        joined["disagreement"] = regions
        joined["measure_zero"] = (None if not zero else False if False in zero else None if None in zero
                                  else True)
        if reasons:
            joined["disagreement_reason"] = "; ".join(reasons)
    return joined


def _stats(parts: list[dict]) -> dict:
    stats: dict = {"subquestions": len(parts)}
    for engine in ("direct", "pieces"):
        found = [p["stats"][engine] for p in parts if engine in p.get("stats", {})]
        if found:
            stats[engine] = {key: sum(f.get(key, 0) for f in found) for key in found[0] if key != "seconds"}
    return stats


class _TextRegion:
    """A region of the disagreement set as JSON has it: text, and the set's measure verdict."""

    def __init__(self, text: str, measure_zero: bool | None):
        self.text, self.measure_zero = text, measure_zero

    def describe(self) -> str:
        return self.text


def as_comparison(data: dict):
    """A :class:`~pwverify.model.comparison.Comparison` from its JSON (for the text output):
    numbers stay exact strings, regions stay text.

    >>> print(as_comparison(compare_split("relu(t)", "relu(-t) + t")).describe())
    function: proved equal
    gradient: refuted at t = 0: d/dt relu(t) = 0, d/dt (relu(-t) + t) = 1
              disagreement set: {t == 0} (measure zero)
    """
    from ..model.comparison import Comparison
    from ..model.verdicts import DomainWitness, GradientWitness, ValueWitness, Verdict

    def verdict(question: str) -> Verdict:
        v = data[question]
        w = v["witness"]
        if w is not None:
            point = dict(w["point"])
            if "value_a" in w:
                w = ValueWitness(point, w["value_a"], w["value_b"])
            elif "gradient_a" in w:
                w = GradientWitness(point, w["gradient_a"], w["gradient_b"])
            else:
                w = DomainWitness(point, w["defined_a"], w["defined_b"])
        return Verdict(question, v["verdict"], v["reason"], w)

    gradient = data["gradient"]
    frameworks = data.get("frameworks")
    return Comparison(data["a"], data["b"], data["inputs"], verdict("function"), verdict("gradient"),
                      regions=[_TextRegion(r, gradient["measure_zero"]) for r in gradient["disagreement"]],
                      disagreement_reason=gradient.get("disagreement_reason"), notes=list(data["notes"]),
                      stats=data.get("stats", {}),
                      frameworks=(frameworks["a"], frameworks["b"]) if frameworks else None)
