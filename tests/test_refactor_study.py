"""A model's refactor checked on its weights (``casestudies/refactor_cnn.py``): pwverify's
verdicts on the real ``nn.Module``s, and every refuted witness replayed in real torch."""

import contextlib
import importlib.util
import io
import os
import re
import sys
from fractions import Fraction

import pytest

import pwverify
from conftest import CASES, ROOT, requires_torch
from pwverify.questions.compare import compare

FILE = os.path.join(CASES, "refactor_cnn.py")
SHAPES = {"x": (1, 1, 3, 3)}
#: each refactor of Net: the gradient verdict with respect to the weights (the functions are equal)
REFACTORS = {"NetClamp": "refuted", "NetUnfoldPool": "refuted", "NetUnfoldMax": "proved", "NetReLUModule": "proved"}
ALL = ["Net", *REFACTORS]


def read(name: str):
    return pwverify.parse(f"{FILE}:{name}", shapes=SHAPES)


@pytest.fixture(scope="module")
def programs():
    return {name: read(name) for name in ALL}


@pytest.fixture(scope="module")
def comparisons(programs):
    net = programs["Net"]
    return {name: compare(net, programs[name], wrt=net.weights, disagreement=False) for name in REFACTORS}


def exact(values):
    return [Fraction(str(v)) for v in values]


def pre_activations(point) -> list:
    """The four outputs of the convolution (before relu or clamp) at a point, exactly."""
    p = {k: Fraction(str(v)) for k, v in point.items()}
    x = [[p[f"x0_0_{i}_{j}"] for j in range(3)] for i in range(3)]
    w = [[p[f"conv_weight0_0_{i}_{j}"] for j in range(2)] for i in range(2)]
    return [p["conv_bias0"] + sum(w[a][b] * x[i + a][j + b] for a in range(2) for b in range(2))
            for i in range(2) for j in range(2)]


# -- the verdicts ---------------------------------------------------------------------------------------
def test_parameters_are_inputs_named_by_their_state_dict_keys(programs):
    for program in programs.values():
        assert program.weights == ["conv_weight0_0_0_0", "conv_weight0_0_0_1", "conv_weight0_0_1_0",
                                   "conv_weight0_0_1_1", "conv_bias0", "fc_weight0_0", "fc_bias0"]
        assert len(program.data_inputs) == 9


@pytest.mark.parametrize("name", list(REFACTORS))
def test_every_refactor_is_the_same_function_and_its_weight_gradient_is_decided(comparisons, name):
    c = comparisons[name]
    assert c.function.status == "proved", c.describe()
    assert c.gradient.status == REFACTORS[name], c.describe()
    if REFACTORS[name] == "proved":
        assert c.gradient.witness is None


def test_the_clamp_witness_has_a_pre_activation_at_zero_where_relu_and_clamp_differ(comparisons, programs):
    point = comparisons["NetClamp"].gradient.witness.point
    z = pre_activations(point)
    # the pooled entry is a relu/clamp output at 0: relu'(0) = 0, torch's clamp'(0) = 1
    assert max(z) == 0
    net = exact(programs["Net"].gradient_at(point, wrt="weights")[0])
    clamp = exact(programs["NetClamp"].gradient_at(point, wrt="weights")[0])
    assert net != clamp
    assert net[4] == 0 and clamp[4] != 0     # d/dconv.bias: blocked by relu'(0), passed by clamp


def test_the_unfold_witness_is_a_tie_inside_a_pooling_window(comparisons, programs):
    point = comparisons["NetUnfoldPool"].gradient.witness.point
    h = [max(v, 0) for v in pre_activations(point)]
    assert h.count(max(h)) >= 2 and max(h) > 0
    net = exact(programs["Net"].gradient_at(point, wrt="weights")[0])
    amax = exact(programs["NetUnfoldPool"].gradient_at(point, wrt="weights")[0])
    assert net != amax
    # the conv bias's gradient is the same (the shares of a tie add up to one); its weights' are not
    assert net[4] == amax[4] and net[:4] != amax[:4]


# -- in real torch ----------------------------------------------------------------------------------------
def _module(name: str):
    spec = importlib.util.spec_from_file_location("refactor_cnn_under_test", FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)()


def torch_weight_gradient(program, name: str, point) -> list:
    """Build the module with the point's weights (float64), run the point's image, backpropagate:
    the gradient with respect to the weights, in ``program.weights`` order."""
    import torch
    flat = program.point(point)
    parsed = program.parsed

    def tensor(names, shape):
        values = [Fraction(str(flat[n])) for n in names]
        assert all(Fraction(float(v)) == v for v in values), "the point is exact in float64"
        return torch.tensor([float(v) for v in values], dtype=torch.float64).reshape(shape)

    model = _module(name).double()
    state = {key: tensor(names, parsed.weight_shapes[key]) for key, names in parsed.weight_groups.items()}
    model.load_state_dict(state)
    assert list(state) == list(model.state_dict())
    x = tensor(parsed.input_groups["x"], parsed.input_shapes["x"])
    model(x).sum().backward()
    grads = dict(model.named_parameters())
    out = []
    for key in parsed.weight_groups:
        out += grads[key].grad.reshape(-1).tolist()
    return [Fraction(v) for v in out]


@requires_torch
@pytest.mark.parametrize("name", [n for n, v in REFACTORS.items() if v == "refuted"])
def test_every_refuted_witness_differs_in_torch_exactly_as_predicted(comparisons, programs, name):
    point = comparisons[name].gradient.witness.point
    measured = {n: torch_weight_gradient(programs[n], n, point) for n in ("Net", name)}
    predicted = {n: exact(programs[n].gradient_at(point, wrt="weights")[0]) for n in ("Net", name)}
    assert measured == predicted
    assert measured["Net"] != measured[name]
    # the witness's own report carries the same gradients (over every input; the weights are the last 7)
    w = comparisons[name].gradient.witness
    assert exact(w.gradient_a[0])[-7:] == predicted["Net"] and exact(w.gradient_b[0])[-7:] == predicted[name]


#: Points chosen by hand, away from zero, with the weight gradients worked out by hand:
#: d/dconv.weight = fc.weight · (the patch that reaches the output), d/dconv.bias = fc.weight
#: when a pre-activation that reaches the output passes its activation, d/dfc.weight = the
#: pooled value, d/dfc.bias = 1.
HAND_POINTS = {
    # pre-activations (0, -2, -2, -1): relu gives 0 everywhere, a four-way tie in the window
    # whose first entry has pre-activation 0: relu'(0) = 0 stops the gradient, clamp'(0) = 1
    # passes fc.weight · patch (0,0) = 2 · (1, 2, 0, 1)
    "zero pre-activation": (
        {"x": [[[[1, 2, 0], [0, 1, 1], [2, 0, 1]]]], "conv.weight": [[[[0, 1], [0, 1]]]], "conv.bias": [-3],
         "fc.weight": [[2]], "fc.bias": [Fraction(1, 2)]},
        {"Net": [0, 0, 0, 0, 0, 0, 1], "NetClamp": [2, 4, 0, 2, 2, 0, 1]}),
    # pre-activations (1/2, 7/2, -1/2, 7/2): the window's maximum is tied at patches (0,1) and
    # (1,1); max_pool2d and max(dim) give it to the first, 2 · (2, 0, 1, 1); amax splits it,
    # 2 · ((2, 0, 1, 1) + (1, 1, 0, 3)) / 2
    "tie in the window": (
        {"x": [[[[1, 2, 0], [0, 1, 1], [2, 0, 3]]]], "conv.weight": [[[[1, -1], [0, 1]]]],
         "conv.bias": [Fraction(1, 2)], "fc.weight": [[2]], "fc.bias": [Fraction(1, 2)]},
        {"Net": [4, 0, 2, 2, 2, Fraction(7, 2), 1], "NetUnfoldPool": [3, 1, 1, 4, 2, Fraction(7, 2), 1]}),
}


@pytest.mark.parametrize("where", list(HAND_POINTS))
def test_weight_gradients_at_hand_worked_points(programs, where):
    point, expected = HAND_POINTS[where]
    for name in ALL:
        want = expected.get(name, expected["Net"])
        assert exact(programs[name].gradient_at(point, wrt="weights")[0]) == want, name


@requires_torch
@pytest.mark.parametrize("where", list(HAND_POINTS))
def test_torch_gives_the_hand_worked_weight_gradients(programs, where):
    point, expected = HAND_POINTS[where]
    for name in ALL:
        assert torch_weight_gradient(programs[name], name, point) == expected.get(name, expected["Net"]), name


@requires_torch
def test_the_replay_snippet_of_the_howto_prints_what_the_page_shows(monkeypatch):
    with open(os.path.join(ROOT, "docs", "howto", "refactor.md"), encoding="utf-8") as handle:
        page = handle.read()
    blocks = re.findall(r"```python\n((?:(?!```).)*)```\n\n```text\n((?:(?!```).)*)```", page, re.S)
    (code, shown), = [b for b in blocks if "load_state_dict" in b[0]]
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(CASES)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/howto/refactor.md", "exec"), {"__name__": "__main__"})  # noqa: S102
    sys.modules.pop("refactor_cnn", None)
    assert out.getvalue() == shown
