"""Sweeping merges proved-equal nodes before the final query: same verdicts, faster."""

import sys

import pytest

import pwverify
from conftest import ROOT
from pwverify.engines.sweep import sweep
from pwverify.questions import compare_direct

sys.path.insert(0, f"{ROOT}/benchmarks")
from networks import integer_network_source  # noqa: E402

PAIRS = [
    ("relu(x) * 2 + relu(y)", "torch.clamp(x, min=0) * 2 + torch.clamp(y, min=0)"),
    ("relu(x - y) + y", "torch.maximum(x, y)"),
    ("torch.maximum(x, y)", "torch.where(x > y, x, y)"),
    ("abs(x) + relu(y)", "torch.relu(x) + torch.relu(-x) + torch.clamp(y, min=0)"),
    ("relu(x) * y", "relu(x) * y + 0 * relu(y)"),
    ("relu(x) + y", "relu(x) + relu(y) - relu(-y)"),
    # the same shape but for a constant: not the same local question
    ("relu(x) + relu(y)", "torch.clamp(x, min=0) + torch.clamp(y, min=1)"),
    ("relu(x) + relu(y - 1) + 1", "torch.clamp(x, min=0) + torch.clamp(y, min=1)"),
]


def _networks(tmp_path, sizes):
    for act in ("relu", "clamp", "where"):
        (tmp_path / f"{act}.py").write_text(integer_network_source(sizes, act))
    return [pwverify.parse(f"{tmp_path / act}.py:net") for act in ("relu", "clamp", "where")]


def _summary(result):
    out = []
    for verdict in (result.function, result.gradient):
        witness = getattr(verdict, "witness", None)
        out.append((verdict.status, witness.point if witness is not None else None))
    return out


@pytest.mark.parametrize("a, b", PAIRS)
def test_the_verdicts_and_witnesses_are_those_of_the_plain_path(a, b, monkeypatch):
    monkeypatch.setattr(compare_direct, "SWEEP_MIN_NODES", 0)
    swept = _summary(pwverify.compare(a, b, disagreement=False))
    monkeypatch.setattr(compare_direct, "SWEEP", False)
    plain = _summary(pwverify.compare(a, b, disagreement=False))
    assert swept == plain


def test_networks_written_two_ways_become_one_graph(tmp_path, monkeypatch):
    monkeypatch.setattr(compare_direct, "SWEEP_MIN_NODES", 0)
    relu, clamp, where = _networks(tmp_path, (3, 8, 8, 1))
    joint, outs_a, outs_b = relu.graph.joined(clamp.graph)
    _, (sa, sb), stats = sweep(joint, [outs_a, outs_b], tangents=False)
    assert sa == sb and stats.proved >= 8          # every relu(s) met its clamp(s, min=0)
    _, (ta, tb), _ = sweep(joint, [outs_a, outs_b], tangents=True)
    assert ta != tb                                # their tangents differ at s = 0
    result = pwverify.compare(relu, clamp, disagreement=False)
    assert str(result.function.status) == "proved" and "sweeping" in result.function.reason
    assert str(result.gradient.status) == "refuted"
    monkeypatch.setattr(compare_direct, "SWEEP", False)
    plain = pwverify.compare(relu, clamp, disagreement=False)
    assert _summary(plain) == _summary(result)


def test_a_local_question_is_asked_once_per_shape(tmp_path, monkeypatch):
    """The 16 pairs relu(s_i), max(0, s_i) of two layers are one question over a cut
    argument: one solver answer serves them all, and the merges are those of asking each."""
    relu, _, where = _networks(tmp_path, (2, 8, 8, 1))
    joint, outs_a, outs_b = relu.graph.joined(where.graph)
    _, (sa, sb), stats = sweep(joint, [outs_a, outs_b], tangents=True)
    assert sa == sb and stats.proved >= 16 and stats.reused >= 15
    from pwverify.engines import sweep as sweep_module
    asked = []
    real = sweep_module._decide_local
    monkeypatch.setattr(sweep_module, "_decide_local", lambda *a: asked.append(1) or real(*a))
    _, (ta, tb), again = sweep(joint, [outs_a, outs_b], tangents=True)
    assert (ta, tb) == (sa, sb) and again.proved == stats.proved and len(asked) == 1


def test_sweeping_with_tangents_keeps_autodiff(tmp_path):
    relu, _, where = _networks(tmp_path, (2, 6, 6, 1))
    joint, outs_a, outs_b = relu.graph.joined(where.graph)
    _, (sa, sb), _ = sweep(joint, [outs_a, outs_b], tangents=True)
    assert sa == sb  # torch.where(s > 0, s, 0) is relu, tangents included


def test_pairs_that_only_autodiff_tells_apart_are_kept_apart_without_the_solver():
    from pwverify.engines.sweep import _differ_at_local_ties
    joint, outs_a, outs_b = pwverify.parse("relu(s)").graph.joined(pwverify.parse("torch.clamp(s, min=0)").graph)
    joint.outputs = outs_a + outs_b
    assert _differ_at_local_ties(joint, tangents=True) == {"s": 0}   # at s = 0: 0 against 1
    assert _differ_at_local_ties(joint, tangents=False) is None     # the same values


def test_a_witness_is_looked_for_where_the_sweep_kept_a_pair_apart(tmp_path, monkeypatch):
    monkeypatch.setattr(compare_direct, "TIE_SEARCH_MIN_NODES", 0)
    relu, clamp, _ = _networks(tmp_path, (3, 8, 8, 1))
    calls = []
    original = compare_direct.DirectComparison._at_split_ties

    def spy(self, tangents):
        found = original(self, tangents)
        calls.append(found)
        return found
    monkeypatch.setattr(compare_direct.DirectComparison, "_at_split_ties", spy)
    result = pwverify.compare(relu, clamp, questions=("gradient",), disagreement=False)
    assert str(result.gradient.status) == "refuted"
    assert calls and calls[-1] is result.gradient.witness      # found at a recorded tie, then confirmed
    w = result.gradient.witness
    assert w.gradient_a != w.gradient_b
