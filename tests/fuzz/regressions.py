"""Distinct mismatches found by fuzzing, as data (filled in from the long runs)."""

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


REGRESSIONS: list[Regression] = []
