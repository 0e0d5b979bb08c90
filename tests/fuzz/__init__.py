"""Differential fuzzing of pwverify's exact predictions against the real frameworks.

* :mod:`fuzz.generator` writes random, well-formed Python programs (torch, jax or
  tensorflow) covering every construct and registered call pwverify reads;
* :mod:`fuzz.harness` parses each with pwverify, picks exact points (on the kinks and
  ties, and small dyadic points), runs the framework in float64 in both autodiff modes
  and compares value and Jacobian with pwverify's exact prediction;
* :mod:`fuzz.shrink` minimises a program while a mismatch persists;
* :mod:`fuzz.regressions` holds the distinct mismatches found, as data.

``tests/test_fuzz.py`` runs a bounded slice; ``benchmarks/bench_fuzz.py`` the long run.
"""
