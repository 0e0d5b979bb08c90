"""The distinct mismatches fuzzing found, as data, replayed by ``tests/test_fuzz.py``.

Each :class:`Regression` is a minimised program, a point, a mode, and the value and
Jacobian the framework returned there in float64 (``value``: one number per output;
``gradient``: one row per output, one column per scalar input entry in declaration
order). The test requires pwverify's exact prediction to equal those numbers (see
``fuzz.harness.agree``); a second test re-runs the framework, where installed, to keep
the numbers honest. ``failing`` says what pwverify gets wrong today: such a case is a
strict xfail, so it fails loudly the day it is fixed (then drop ``failing``).

Each :class:`Crash` is a program pwverify crashed on (an internal error, not a
refusal) while reading it or finding its tie points.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Regression:
    name: str
    framework: str
    mode: str
    source: str
    point: dict
    value: list
    gradient: list
    failing: str = ""


@dataclass(frozen=True)
class Crash:
    name: str
    framework: str
    source: str
    failing: str = ""


REGRESSIONS: list[Regression] = [
]

CRASHES: list[Crash] = [
]
