"""Check one generated program: pwverify's exact prediction against the framework, point by point.

For a program, :func:`check_program`

1. writes its source to a file and reads it with pwverify in reverse and in forward mode
   (a :class:`~pwverify.core.errors.PwverifyError` is *unsupported*, counted with its message;
   any other exception is an *internal error*, a pwverify bug);
2. takes exact points: on the kinks and ties (:func:`pwverify.tie_points`) and small
   dyadic points drawn with repeated coordinates (so ties such as ``x0 == x1`` come up
   without pwverify's help), all exactly representable in float64;
3. at each point and in each mode, compares pwverify's exact value and Jacobian with what
   the framework computes in float64 (:mod:`fuzz.frameworks`).

**Tolerance.** A framework number ``g`` agrees with pwverify's exact number ``e`` when
``|g - e| <= ABS_TOL + REL_TOL * |e|`` with ``REL_TOL = 1e-9`` and ``ABS_TOL = 1e-12``.
pwverify is exact and the framework rounds: on rational parts only rounding in
divisions and means (relative error ~1e-16 per operation), on transcendental parts the
libm error of exp/log/sin/... (a few ulps) compounded through a few operations, and
constants such as SELU's scale which pwverify holds as exact rationals. Those stay far
below 1e-9 for the small magnitudes the generator produces. A wrong branch at a tie
is never that small: generated weights are small integers and halves, so a one-hot
against a split gradient differs by at least ~1e-3. ``nan`` and ``inf`` must match
exactly: pwverify's prediction is finite wherever it does not raise ``DomainError``,
so a framework ``nan`` against a finite prediction is a mismatch, and a finite
framework value where pwverify says the program is undefined is one too.

Each program is time-limited (:class:`Limits`): reading and the tie points share one
budget, comparing another; a time-out is counted, never a failure of the slice.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import random
import signal
import tempfile
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from .generator import GeneratedProgram, Options, generate

REL_TOL = 1e-9
ABS_TOL = 1e-12
MODES = ("reverse", "forward")


class Timeout(Exception):
    """The time limit of a program's step ran out."""


@contextlib.contextmanager
def deadline(seconds: float | None):
    """Raise :class:`Timeout` in the block after ``seconds`` (main thread only; else no limit)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        # fire again soon in case this one is swallowed (raised inside a destructor)
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        raise Timeout(f"fuzz time limit: over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _is_timeout(exc: BaseException) -> bool:
    """A :class:`Timeout` raised inside a C call reaches Python wrapped (ctypes.ArgumentError)."""
    return isinstance(exc, Timeout) or "fuzz time limit" in str(exc)


@dataclass(frozen=True)
class Limits:
    """Points and time budgets for one program."""

    tie_points: int = 4
    random_points: int = 2
    read_seconds: float = 30.0      # parsing in both modes and the tie points
    compare_seconds: float = 30.0   # every prediction and framework run
    solver_ms: int = 3000           # pwverify's z3 timeout per query


@dataclass
class Mismatch:
    """The framework and pwverify disagree at one point (a pwverify bug unless explained)."""

    framework: str
    mode: str
    what: str                 # "value", "gradient", "domain" (pwverify: undefined, framework: finite), "shape"
    point: dict               # entry -> exact rational, as text
    expected: Any             # pwverify's exact numbers, as text
    got: Any                  # the framework's float64 numbers
    source: str
    seed: int | None = None
    origin: str = ""          # "tie" or "random"
    detach: bool = False

    def key(self) -> str:
        return hashlib.sha1(f"{self.framework}|{self.mode}|{self.source}|{sorted(self.point.items())}".encode()
                            ).hexdigest()[:12]

    def describe(self) -> str:
        coords = ", ".join(f"{k}={v}" for k, v in self.point.items())
        return (f"{self.framework} {self.mode} at {coords}: {self.what} predicted {self.expected}, "
                f"framework returned {self.got}")


@dataclass
class ProgramResult:
    """What checking one program found."""

    framework: str
    seed: int | None
    status: str = "ok"        # ok, unsupported, internal, timeout, framework_error
    message: str = ""
    detach: bool = False
    calls: tuple = ()
    constructs: tuple = ()
    tie_points: int = 0
    random_points: int = 0
    points: int = 0           # points compared in at least one mode
    comparisons: int = 0      # (point, mode) pairs compared
    undefined: int = 0        # (point, mode) pairs where both sides are undefined
    ties_error: str = ""      # why no tie points (a refusal or a time-out)
    ties_timeout: bool = False
    timeouts: int = 0         # reading or comparing ran out of time
    framework_errors: list = field(default_factory=list)
    internal: list = field(default_factory=list)
    mismatches: list = field(default_factory=list)
    seconds: float = 0.0
    read_seconds: float = 0.0     # parsing, both modes
    tie_seconds: float = 0.0      # the tie points
    compare_seconds: float = 0.0  # predictions and framework runs

    def to_json(self) -> dict:
        out = asdict(self)
        out["mismatches"] = [asdict(m) for m in self.mismatches]
        return out


# -- exact numbers against floats -----------------------------------------------------------------
_ZOO = "zoo"


def exact_to_float(v) -> float | str:
    """The float64 nearest to an exact sympy number (``"zoo"`` for complex infinity)."""
    v = sympy.sympify(v)
    if v is sympy.nan:
        return math.nan
    if v is sympy.zoo:
        return _ZOO
    if v is sympy.oo:
        return math.inf
    if v is -sympy.oo:
        return -math.inf
    if isinstance(v, sympy.Rational):
        return float(Fraction(int(v.p), int(v.q)))
    x = v.evalf(40)
    if not x.is_real:
        raise ValueError(f"not a real number: {v}")
    return float(x)


def agree(expected, got: float) -> bool:
    """Does the framework's ``got`` match pwverify's exact ``expected`` (see the module doc)?"""
    e = exact_to_float(expected)
    if e == _ZOO:
        return math.isinf(got)
    if math.isnan(e) or math.isnan(got):
        return math.isnan(e) and math.isnan(got)
    if math.isinf(e) or math.isinf(got):
        return e == got
    return abs(got - e) <= ABS_TOL + REL_TOL * abs(e)


def all_agree(expected: list, got: list) -> bool:
    return len(expected) == len(got) and all(agree(e, g) for e, g in zip(expected, got))


# -- points --------------------------------------------------------------------------------------
_VALUES = [Fraction(v) for v in ("0", "0", "1", "-1", "2", "-2", "1/2", "-1/2", "3/2", "-3/2", "3", "-3", "1/4",
                                 "5/2", "-1/4")]


def fuzz_points(entries: list[str], count: int, rng: random.Random) -> list[dict]:
    """``count`` points with small dyadic coordinates, often repeating one another (ties)."""
    out = []
    for _ in range(count):
        point: dict[str, Fraction] = {}
        for name in entries:
            if point and rng.random() < 0.35:
                point[name] = rng.choice(list(point.values()))
            elif point and rng.random() < 0.1:
                point[name] = -rng.choice(list(point.values()))
            else:
                point[name] = rng.choice(_VALUES)
        out.append({k: sympy.Rational(v.numerator, v.denominator) for k, v in point.items()})
    return out


def _text_point(point: dict) -> dict:
    return {k: sympy.sstr(v) for k, v in point.items()}


def parse_point(point: dict) -> dict:
    """Text coordinates back to exact rationals."""
    return {k: sympy.Rational(v) for k, v in point.items()}


# -- one comparison ------------------------------------------------------------------------------
@dataclass
class Outcome:
    """pwverify and the framework at one point in one mode."""

    status: str                       # agree, undefined, mismatch, framework_error, internal
    mismatch: Mismatch | None = None
    message: str = ""


def inputs_of(source: str, function: str = "f") -> dict:
    """The declared inputs of ``function`` in ``source``: name -> shape (from the annotations)."""
    import ast
    import re
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            out = {}
            for arg in node.args.args:
                ann = arg.annotation
                if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
                    out[arg.arg] = tuple(int(d) for d in re.findall(r"\d+", ann.value))
                else:
                    out[arg.arg] = ()
            return out
    raise ValueError(f"no function {function}")


def entries_of(inputs: dict) -> list[str]:
    return GeneratedProgram("", 0, "", inputs).entries()


def compare_one(program, fn, framework: str, inputs: dict, point: dict, mode: str, source: str,
                seed=None, origin: str = "", detach: bool = False) -> Outcome:
    """Compare pwverify's prediction (``program``, read in ``mode``) with ``fn`` run in the framework."""
    import pwverify
    from pwverify.core.errors import DomainError
    from . import frameworks
    entries = entries_of(inputs)
    value_only = None       # pwverify's value where it says the gradient is undefined
    try:
        predicted = program.in_mode(mode).ad(point)
        undefined = False
    except DomainError:
        predicted, undefined = None, True
        try:
            value_only = program.value_at(point)
        except DomainError:
            pass
        except pwverify.PwverifyError as exc:
            return Outcome("internal", message=f"value raised {type(exc).__name__}: {exc}")
    except pwverify.PwverifyError as exc:
        return Outcome("internal", message=f"prediction raised {type(exc).__name__}: {exc}")
    try:
        value, jac = frameworks.run(framework, fn, inputs, point, mode)
    except Timeout:
        raise
    except Exception as exc:  # the program failed under the framework
        if _is_timeout(exc):
            raise Timeout(str(exc)) from None
        first = str(exc).splitlines()[0] if str(exc) else ""
        return Outcome("framework_error", message=f"{type(exc).__name__}: {first}")

    def mismatch(what, expected, got):
        return Outcome("mismatch", Mismatch(framework, mode, what, _text_point(point), expected, got, source, seed,
                                            origin, detach))

    if undefined and value_only is None:       # pwverify: the program is undefined here
        if all(math.isfinite(v) for v in value):
            return mismatch("domain", "undefined (DomainError)", value)
        return Outcome("undefined")
    if undefined:                              # pwverify: a value, but no gradient
        if not all_agree(list(value_only), value):
            return mismatch("value", [sympy.sstr(v) for v in value_only], value)
        if all(math.isfinite(g) for row in jac for g in row):
            return mismatch("domain", "gradient undefined (DomainError)", jac)
        return Outcome("undefined")
    names = list(program.inputs)
    if sorted(names) != sorted(entries):
        return Outcome("internal", message=f"pwverify's inputs {names} are not the declared entries {entries}")
    order = [names.index(e) for e in entries]
    expected_value = list(predicted.value)
    expected_jac = [[row[i] for i in order] for row in predicted.gradient]
    if len(expected_value) != len(value) or len(expected_jac) != len(jac):
        return mismatch("shape", [sympy.sstr(v) for v in expected_value], value)
    if not all_agree(expected_value, value):
        return mismatch("value", [sympy.sstr(v) for v in expected_value], value)
    flat_e = [g for row in expected_jac for g in row]
    flat_g = [g for row in jac for g in row]
    if not all_agree(flat_e, flat_g):
        return mismatch("gradient", [[sympy.sstr(g) for g in row] for row in expected_jac], jac)
    return Outcome("agree")


# -- one program ---------------------------------------------------------------------------------
def write_source(source: str, folder: str | None = None) -> str:
    folder = folder or tempfile.mkdtemp(prefix="pwfuzz_")
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    path = os.path.join(folder, f"prog_{digest}_{os.getpid()}.py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(source)
    return path


def read_program(path: str, framework: str, mode: str, solver_ms: int):
    import pwverify
    return pwverify.parse(f"{path}:f", framework=framework, mode=mode, timeout_ms=solver_ms)


def check_program(gen: GeneratedProgram, limits: Limits = Limits(), folder: str | None = None,
                  point_seed: int | None = None) -> ProgramResult:
    """Compare pwverify with the framework on ``gen`` (see the module docstring)."""
    import pwverify
    from pwverify.questions.tie_points import tie_points
    from . import frameworks
    start = time.monotonic()
    result = ProgramResult(gen.framework, gen.seed, detach=gen.detach, calls=gen.calls, constructs=gen.constructs)
    path = write_source(gen.source, folder)
    try:
        programs = {}
        ties: list[dict] = []
        try:
            with deadline(limits.read_seconds):
                for mode in MODES:
                    programs[mode] = read_program(path, gen.framework, mode, limits.solver_ms)
                result.read_seconds = time.monotonic() - start
                try:
                    ties = [tp.point for tp in tie_points(programs["reverse"], count=limits.tie_points,
                                                          seed=gen.seed or 0)]
                except pwverify.PwverifyError as exc:
                    result.ties_error = f"{type(exc).__name__}: {exc}"
        except Timeout as exc:
            if len(programs) < len(MODES):
                result.status, result.message, result.timeouts = "timeout", f"reading: {exc}", 1
                return result
            result.ties_error, result.ties_timeout = f"tie points: {exc}", True
        except pwverify.PwverifyError as exc:
            result.status, result.message = "unsupported", f"{type(exc).__name__}: {exc}"
            return result
        except Exception as exc:  # a crash inside pwverify
            if _is_timeout(exc):   # the time limit fired inside a z3 call (ctypes wraps it)
                if len(programs) < len(MODES):
                    result.status, result.message, result.timeouts = "timeout", f"reading: {exc}", 1
                    return result
                result.ties_error, result.ties_timeout = f"tie points: {exc}", True
            else:
                result.status, result.message = "internal", traceback.format_exc(limit=-10)
                return result
        result.tie_seconds = time.monotonic() - start - result.read_seconds
        rng = random.Random(f"points:{gen.framework}:{gen.seed}:{point_seed}")
        randoms = fuzz_points(gen.entries(), limits.random_points, rng)
        seen, points = set(), []
        for origin, batch in (("tie", ties), ("random", randoms)):
            for p in batch:
                key = tuple(sorted((k, str(v)) for k, v in p.items()))
                if key not in seen:
                    seen.add(key)
                    points.append((origin, p))
        result.tie_points = sum(1 for o, _ in points if o == "tie")
        result.random_points = len(points) - result.tie_points
        try:
            with deadline(limits.compare_seconds):
                frameworks.prepare(gen.framework)
                try:
                    fn = frameworks.load(path)
                except Exception as exc:
                    result.status = "framework_error"
                    result.message = f"import: {type(exc).__name__}: {exc}"
                    return result
                for origin, point in points:
                    compared = False
                    for mode in MODES:
                        try:
                            out = compare_one(programs[mode], fn, gen.framework, gen.inputs, point, mode, gen.source,
                                              gen.seed, origin, gen.detach)
                        except Timeout:
                            raise
                        except Exception as exc:
                            if _is_timeout(exc):
                                raise Timeout(str(exc)) from None
                            result.internal.append(traceback.format_exc(limit=-10))
                            continue
                        if out.status == "framework_error":
                            result.framework_errors.append(out.message)
                            continue
                        if out.status == "internal":
                            result.internal.append(out.message)
                            continue
                        compared = True
                        result.comparisons += 1
                        if out.status == "undefined":
                            result.undefined += 1
                        elif out.status == "mismatch":
                            result.mismatches.append(out.mismatch)
                    result.points += compared
        except Timeout as exc:
            result.timeouts += 1
            result.message = f"comparing: {exc}"
            if not result.comparisons:
                result.status = "timeout"
        if result.internal:
            result.status = "internal"
        elif result.framework_errors and not result.comparisons:
            result.status = "framework_error"
            result.message = result.framework_errors[0]
        return result
    finally:
        result.seconds = time.monotonic() - start
        if result.tie_seconds or result.read_seconds:
            result.compare_seconds = result.seconds - result.read_seconds - result.tie_seconds
        with contextlib.suppress(OSError):
            os.remove(path)


def check_source(source: str, framework: str, point: dict, mode: str, solver_ms: int = 3000,
                 seconds: float = 30.0) -> Outcome:
    """One comparison for a program given as source (regressions, shrinking)."""
    import pwverify
    from . import frameworks
    path = write_source(source)
    try:
        with deadline(seconds):
            try:
                program = read_program(path, framework, mode, solver_ms)
            except pwverify.PwverifyError as exc:
                return Outcome("unsupported", message=str(exc))
            frameworks.prepare(framework)
            fn = frameworks.load(path)
            return compare_one(program, fn, framework, inputs_of(source), parse_point(point)
                               if any(isinstance(v, str) for v in point.values()) else point, mode, source)
    except Timeout as exc:
        return Outcome("timeout", message=str(exc))
    except Exception as exc:
        return Outcome("internal", message=f"{type(exc).__name__}: {exc}")
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)
            os.rmdir(os.path.dirname(path))


def run_seeds(framework: str, seeds, options: Options = Options(), limits: Limits = Limits()) -> list[ProgramResult]:
    """Generate and check the programs of ``seeds``."""
    folder = tempfile.mkdtemp(prefix="pwfuzz_")
    try:
        return [check_program(generate(framework, s, options), limits, folder) for s in seeds]
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def summarize(results: list[ProgramResult]) -> dict:
    """Counts over many programs; those with detaching constructs are also counted on their own."""
    main = results
    detach = [r for r in results if r.detach]
    return {
        "programs": len(main),
        "points": sum(r.points for r in main),
        "comparisons": sum(r.comparisons for r in main),
        "undefined": sum(r.undefined for r in main),
        "mismatches": sum(len(r.mismatches) for r in main),
        "mismatching_programs": sum(1 for r in main if r.mismatches),
        "unsupported": sum(1 for r in main if r.status == "unsupported"),
        "internal": sum(1 for r in main if r.status == "internal"),
        "timeouts": sum(r.timeouts for r in main),
        "framework_errors": sum(1 for r in main if r.framework_errors),
        "ties_timeouts": sum(1 for r in main if r.ties_timeout),
        "no_ties": sum(1 for r in main if r.ties_error),
        "detach_programs": len(detach),
        "detach_mismatching": sum(1 for r in detach if r.mismatches),
        "detach_refused": sum(1 for r in detach if r.status == "unsupported"),
    }
