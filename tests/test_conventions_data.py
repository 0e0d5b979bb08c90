"""The measured conventions are data (``docs/reference/conventions.json``, recorded by
``benchmarks/record_conventions.py`` from the real frameworks). With no framework
installed, these tests check that pwverify's predictions agree with every recorded
number, that every modelled call was recorded, and that the conventions page and
``pwverify primitives`` show the recorded data."""

import importlib
import json
import os
import sys

import pytest

import pwverify
from pwverify.core.errors import DomainError
from pwverify.frameworks import recorded

from conftest import ROOT

DATA = recorded.load()
TABLES = {"torch": ("torch_cases", "TORCH_CASES"), "jax": ("jax_cases", "JAX_CASES"),
          "tensorflow": ("tf_cases", "TF_CASES")}


def test_the_data_is_committed_and_names_its_versions():
    assert DATA is not None, "docs/reference/conventions.json is missing: python benchmarks/record_conventions.py"
    assert set(DATA["versions"]) == {"torch", "jax", "tensorflow"}
    from pwverify.primitives.conventions import CHECKED_VERSIONS
    for framework, version in DATA["versions"].items():
        assert version.split("+")[0] == CHECKED_VERSIONS[framework]


@pytest.mark.parametrize("framework", sorted(TABLES))
def test_every_modelled_call_of_the_case_tables_was_recorded(framework):
    module, name = TABLES[framework]
    cases = getattr(importlib.import_module(module), name)
    wanted = {call for call, row in cases.items() if len(row) == 2}
    got = {r["call"] for r in DATA["calls"] if r["framework"] == framework}
    assert wanted == got
    for r in DATA["calls"]:
        if r["framework"] == framework:
            assert r["program"] == cases[r["call"]][0]


def _programs(record):
    shapes = {k: tuple(v) if isinstance(v, list) else v for k, v in record["shapes"].items()}
    return {mode: pwverify.parse(record["program"], framework=record["framework"], shapes=shapes, mode=mode)
            for mode in ("reverse", "forward")}


@pytest.mark.parametrize("framework", sorted(TABLES))
def test_pwverify_predicts_every_recorded_kink(framework):
    """The exact prediction equals what the framework returned (up to float64 rounding)."""
    checked, differ = 0, []
    for record in DATA["calls"]:
        if record["framework"] != framework or not record["kinks"]:
            continue
        programs = _programs(record)
        for kink in record["kinks"]:
            for mode, program in programs.items():
                got = kink[mode]
                predicted = program.ad(kink["point"], mode)
                ok = recorded.close(predicted.value, got["value"]) and recorded.close(
                    recorded.flat(predicted.gradient), recorded.flat(got["jacobian"]))
                checked += 1
                if not ok:
                    differ.append(f"{record['call']} {mode} at {recorded.point_text(kink['point'])}: predicted "
                                  f"{predicted.gradient}, recorded {got['jacobian']}")
    assert checked > 100 and not differ, "\n".join(differ[:10])


def test_pwverify_predicts_the_classic_ties():
    for entry in DATA["classic"]:
        for framework, measured in entry["measured"].items():
            if measured is None:
                with pytest.raises(pwverify.PwverifyError):
                    pwverify.parse(entry["expression"], framework=framework, shapes=entry["shapes"])
                continue
            for mode, got in measured.items():
                program = pwverify.parse(entry["expression"], framework=framework, shapes=entry["shapes"],
                                         mode=mode)
                predicted = program.ad(entry["point"], mode)
                assert recorded.close(recorded.flat(predicted.gradient), recorded.flat(got["jacobian"])), (
                    entry["title"], framework, mode)


def test_a_changed_rule_would_be_caught():
    """The comparison can fail: relu'(0) = 1 is not what torch returned."""
    entry = next(e for e in DATA["classic"] if e["title"] == "relu'(0)")
    program = pwverify.parse("relu(t)", framework="torch", ties=["relu0=1"])
    predicted = program.ad(entry["point"], "reverse")
    assert not recorded.close(recorded.flat(predicted.gradient),
                              recorded.flat(entry["measured"]["torch"]["reverse"]["jacobian"]))


# -- the page and the command show the data ---------------------------------------------------
def _hooks():
    sys.path.insert(0, os.path.join(ROOT, "docs", "_gen"))
    try:
        return importlib.import_module("hooks")
    finally:
        sys.path.pop(0)


def test_the_conventions_page_is_generated_from_the_data():
    hooks = _hooks()
    page = hooks._conventions()
    for entry in DATA["classic"]:
        cells = [hooks._cell(entry["measured"].get(f)) for f in recorded.frameworks(DATA)]
        assert f" | {' | '.join(cells)} |" in page, entry["title"]
    assert "| abs'(0) | `0` | `1` | `0` |" in page
    assert "| maximum(a, b) at a = b | `(1/2, 1/2)` | `(1/2, 1/2)` | `(1, 0)` |" in page
    for record in DATA["calls"]:
        if record["kinks"]:
            assert hooks.kink_cell(record) in page, record["call"]
        else:
            assert f"`{record['call']}`" in page
    for title in ("## PyTorch", "## JAX", "## TensorFlow"):
        assert title in page


def test_primitives_shows_the_recorded_kinks(cli):
    code, out, _ = cli("primitives", "--json")
    rows = {r["call"]: r for r in json.loads(out)}
    shown = 0
    for record in DATA["calls"]:
        if record["call"] not in rows:
            continue  # a form of the case tables that is not a registered call (functools.reduce)
        measured = {m["framework"]: m for m in rows[record["call"]]["measured"]}
        m = measured[record["framework"]]
        assert m["source"] == recorded.RELATIVE_PATH and m["kinks"] == record["kinks"]
        shown += 1
    assert shown >= 250
    code, out, _ = cli("primitives", "--framework", "torch")
    text = " ".join(out.split())
    relu = next(r for r in DATA["calls"] if r["call"] == "torch.relu")
    assert " ".join(recorded.kink_summary(relu).split()) in text
    assert "a = 0: ∇ 0" in text
