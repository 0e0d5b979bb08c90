"""Composed programs against the real frameworks, at generated tie points, both modes.

Random programs are drawn from ``pwverify.frameworks.crosscheck.GRAMMAR`` (every call in it has its own
differential case); each is cross-checked at exact points on its kinks and at random
points. The default run draws a few programs per framework with hypothesis; the long
run (``PWVERIFY_SLOW=1``, also ``benchmarks/bench_frameworks.py``) checks at least 1,000
tie points per framework.
"""

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pwverify
from conftest import HAS_JAX, HAS_TF, HAS_TORCH
from pwverify.frameworks.crosscheck import composed_program, crosscheck

FRAMEWORKS = [
    pytest.param("torch", marks=pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")),
    pytest.param("jax", marks=[pytest.mark.jax, pytest.mark.skipif(
        not HAS_JAX, reason="jax is not installed: pip install -e '.[jax]' to run these differential tests")]),
    pytest.param("tensorflow", marks=[pytest.mark.tensorflow, pytest.mark.skipif(
        not HAS_TF, reason="tensorflow is not installed: pip install -e '.[tensorflow]' to run these tests")]),
]
SLOW = pytest.mark.skipif(not os.environ.get("PWVERIFY_SLOW"),
                          reason="long run: set PWVERIFY_SLOW=1 (or run benchmarks/bench_frameworks.py)")


def check_composed(framework: str, seed: int, count: int) -> tuple[int, list]:
    """Cross-check one random program; returns (tie points checked, mismatches)."""
    text, shapes = composed_program(framework, random.Random(seed))
    program = pwverify.parse(text, framework=framework, shapes=shapes)
    report = crosscheck(program, count=count, random_count=1, seed=seed)
    return report.tie_points, [f"{text}: {m.describe()}" for m in report.mismatches]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(seed=st.integers(0, 10**6))
def test_composed_programs_match_the_framework(framework, seed):
    _, mismatches = check_composed(framework, seed, count=3)
    assert not mismatches, mismatches


@SLOW
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_thousand_tie_points_on_composed_programs(framework):
    checked, mismatches, seed = 0, [], 0
    while checked < 1000:
        n, found = check_composed(framework, seed, count=12)
        checked += n
        mismatches += found
        seed += 1
    assert not mismatches, mismatches[:5]
