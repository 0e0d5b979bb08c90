"""What pwverify reads: classes and modules, fill loops, masks, shapes, decorators,
detaching; each checked against real torch autograd (float64, both modes) at kinks."""

import json
import os

import pytest

import pwverify
from conftest import ROOT, requires_torch
from pwverify.core.errors import PwverifyError, UnsupportedError, UsageError
from torch_programs import check_against_torch, kink_points

HERE = os.path.join(ROOT, "tests", "reading")
MODES = ("reverse", "forward")


def spec(name: str) -> str:
    return os.path.join(HERE, name)


# -- classes and nn.Module --------------------------------------------------------------------------
@requires_torch
def test_conv_relu_pool_linear_module_matches_torch_wrt_weights():
    program = pwverify.parse(spec("modules.py:SmallCNN"), shapes={"x": (1, 1, 3, 3)})
    assert program.data_inputs[:2] == ["x0_0_0_0", "x0_0_0_1"] and len(program.data_inputs) == 9
    assert program.weights[0] == "conv_weight0_0_0_0" and program.weights[-1] == "fc_bias0"
    assert len(program.weights) == 2 * 4 + 2 + 2 + 1
    check_against_torch(program, kink_points(program, count=8))


@requires_torch
@pytest.mark.parametrize("target, shapes", [
    ("MLP", {"x": (2,)}), ("MLP(n_in=3, hidden=2)", {"x": (3,)}), ("Conv1dNet", {"x": (2, 3)}),
    ("HingeLoss", {"input": 3, "target": 3}), ("HingeLoss(margin=0.5).hinge_loss", {"input": 2, "target": 2}),
    ("SmoothL1(beta=0.5)", {"pred": 3, "target": 3}), ("InPlaceBlock", {"x": (1, 2)}),
    ("SoftmaxHead", {"x": (1, 3)}), ("PReLUNet", {"x": (1, 2, 2)}), ("DropoutBlock", {"x": (1, 2)}),
    ("Recurrent", {"x": (1, 2, 1)}),
])
def test_modules_match_torch_at_kinks(target, shapes):
    program = pwverify.parse(spec(f"modules.py:{target}"), shapes=shapes)
    check_against_torch(program, kink_points(program))


@requires_torch
@pytest.mark.parametrize("target, shapes, count", [
    ("StridedConv", {"x": (1, 2, 3, 3)}, 2), ("DilatedConv1d", {"x": (1, 1, 4)}, 6),
    ("unfolded", {}, 6), ("functional", {}, 6), ("losses", {}, 6),
    ("TransposedConv", {"x": (1, 2, 2, 2)}, 4), ("GroupInstanceNorm", {"x": (1, 4, 2)}, 0),
    ("Volumetric", {"x": (1, 1, 3, 3, 3)}, 4), ("contractions", {}, 4), ("triangles_and_scans", {}, 4),
    ("attention", {}, 2), ("gelu_by_hand", {}, 2), ("causal_mask_fill", {}, 4), ("padding", {}, 4),
    ("PaddingAndActivationModules", {"x": (1, 2, 3)}, 3), ("kl_divergence", {}, 2),
    ("resampling", {}, 4), ("UpsampleShuffle", {"x": (1, 4, 1, 2)}, 3),
])
def test_layers_pooling_unfold_and_losses_match_torch(target, shapes, count):
    program = pwverify.parse(spec(f"layers_more.py:{target}"), shapes=shapes)
    check_against_torch(program, kink_points(program, count=count))


@requires_torch
def test_triplet_margin_loss_matches_torch():
    # distances are square roots: exact evaluation is slow, so two chosen points (one row
    # inside the hinge, one outside) rather than a search for kinks
    program = pwverify.parse(spec("layers_more.py:triplet"))
    points = [{"a": [[0, 0], [1, 1]], "p": [[3, 4], [1, 2]], "n": [[0, 1], [5, 1]]},
              {"a": [[1, 0], [0, 0]], "p": [[1, 1], [0, 3]], "n": [[4, 4], [0, 1]]}]
    check_against_torch(program, points)


def test_state_dict_names_and_selections():
    program = pwverify.parse(spec("modules.py:MLP"), shapes={"x": 2})
    assert program.parsed.weight_groups["layers.0.weight"] == [
        "layers_0_weight0_0", "layers_0_weight0_1", "layers_0_weight1_0", "layers_0_weight1_1",
        "layers_0_weight2_0", "layers_0_weight2_1"]
    assert program.select("inputs") == ["x0", "x1"]
    assert program.select("layers.2.bias, x[1]") == ["layers_2_bias0", "x1"]
    assert program.select("layers.0.weight[2, 1]") == ["layers_0_weight2_1"]
    point = "x=[1, 2], layers.0.weight=[[1,0],[0,1],[1,1]], layers.0.bias=[0,0,-3], " \
            "layers.2.weight[0, 0]=1, layers.2.weight[0,1]=1, layers.2.weight[0,2]=1, layers.2.bias=[0]"
    assert program.value_at(point) == [1 + 2 + 0]
    # relu'(0) = 0 on the third hidden unit (1 + 2 - 3 = 0): no gradient through it
    assert program.gradient_at(point, wrt="layers.2.weight") == [[1, 2, 0]]


def test_cli_grad_with_state_dict_spelling_and_wrt(cli):
    point = "x=[1, 2], layers.0.weight=[[1,0],[0,1],[1,1]], layers.0.bias=[0,0,-3], " \
            "layers.2.weight=[[1,1,1]], layers.2.bias=[0]"
    code, out, err = cli("grad", spec("modules.py:MLP"), "--shape", "x=2", "--at", point,
                         "--wrt", "inputs", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["wrt"] == ["x0", "x1"] and data["gradient"] == [["1", "1"]]
    assert len(data["weights"]) == 13
    code, out, err = cli("grad", spec("modules.py:MLP"), "--shape", "x=2", "--at", point, "--wrt", "weights")
    assert code == 0 and "d/dlayers_0_weight0_0" in out


@requires_torch
@pytest.mark.parametrize("kind", ["safetensors", "pt"])
def test_weights_file_fixes_parameters_to_exact_floats(tmp_path, kind, cli):
    import torch
    from torch_programs import import_file
    module = import_file(spec("modules.py")).MLP()
    torch.manual_seed(0)
    state = {k: torch.randn_like(v) for k, v in module.state_dict().items()}  # float32
    path = str(tmp_path / f"mlp.{kind}")
    if kind == "safetensors":
        from safetensors.torch import save_file
        save_file(state, path)
    else:
        torch.save(state, path)
    program = pwverify.parse(spec("modules.py:MLP"), shapes={"x": 2}, weights=path)
    assert program.inputs == ["x0", "x1"] and program.weights == []
    module.load_state_dict(state)
    x = torch.tensor([0.5, -1.25], dtype=torch.float64)
    expected = module.double()(x).item()
    assert float(program.value_at({"x": [0.5, -1.25]})[0]) == pytest.approx(expected, rel=1e-15)
    code, out, err = cli("grad", spec("modules.py:MLP"), "--shape", "x=2", "--weights", path, "--at", "x=[1/2, -5/4]")
    assert code == 0, err
    broken = {k: v for k, v in state.items() if k != "layers.2.bias"}
    bad = str(tmp_path / "partial.safetensors")
    from safetensors.torch import save_file
    save_file(broken, bad)
    with pytest.raises(UsageError, match="no value for layers.2.bias"):
        pwverify.parse(spec("modules.py:MLP"), shapes={"x": 2}, weights=bad)


def test_program_spec_errors(cli):
    code, _, err = cli("pieces", "model.py:Net.forward")
    assert code == 2 and "no such file: model.py" in err
    code, _, err = cli("pieces", "model:Net")
    assert code == 2 and "does not end in .py" in err
    code, _, err = cli("pieces", spec("modules.py:Nothing"))
    assert code == 2 and "no top-level function 'Nothing'" in err and "SmallCNN" in err


# -- control flow, allocation, masks, shapes ----------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("name", ["minmod", "median3", "superbee", "upwind_fill", "neighbour_max", "relu_mask",
                                  "steps", "where_index", "masked_mean", "shapes", "detached", "no_grad_block",
                                  "no_grad_function", "scripted", "inplace_calls", "python_sorted", "log_exp",
                                  "pool_indices", "prelu_shapes"])
def test_functions_match_torch_at_kinks(name):
    program = pwverify.parse(spec(f"functions.py:{name}"))
    check_against_torch(program, kink_points(program))


def test_in_place_operations_overwrite_their_argument_and_every_name_for_it(tmp_path):
    path = tmp_path / "inplace.py"
    path.write_text("import torch\nimport torch.nn as nn\n\n\nclass Block(nn.Module):\n"
                    "    def __init__(self):\n        super().__init__()\n        self.act = nn.ReLU6(inplace=True)\n\n"
                    "    def forward(self, x):\n        h = x + 0\n        identity = h\n        identity += 1\n"
                    "        out = self.act(h)\n        return out * identity\n")
    program = pwverify.parse(f"{path}:Block", shapes={"x": 2})
    # identity += 1 wrote x + 1 into h, then relu6 wrote relu6(x + 1) into it: out * identity
    # is relu6(x + 1) ** 2
    assert program.value_at({"x": [7, 2]}) == [36, 9]
    assert program.gradient_at({"x": [7, 2]}) == [[0, 0], [0, 6]]
    jax_program = pwverify.parse("jnp.maximum(x, 0) * x")   # jax arrays are immutable: nothing in place
    assert jax_program.value_at({"x": 7}) == [49]


@pytest.mark.parametrize("copy", ["x.clone()", "torch.clone(x)", "x.detach().clone()", "x * 1", "torch.tensor(x)"])
def test_writing_into_a_copy_leaves_the_original(tmp_path, copy):
    path = tmp_path / "copies.py"
    path.write_text(f"import torch\n\n\ndef f(x: 'float[2]'):\n    y = {copy}\n    y += 1\n    y.relu_()\n"
                    f"    return x.sum() * 10 + y.sum()\n")
    assert pwverify.parse(f"{path}:f").value_at({"x": [1, 2]}) == [35]
    numpy_path = tmp_path / "numpy_copies.py"
    numpy_path.write_text("import numpy as np\n\n\ndef f(x: 'float[2]'):\n    y = x.copy()\n    z = np.copy(x)\n"
                          "    y += 1\n    z += 2\n    return x.sum() * 10 + y.sum() + z.sum()\n")
    assert pwverify.parse(f"{numpy_path}:f").value_at({"x": [1, 2]}) == [30 + 5 + 7]


def test_copy_into_a_tensor_takes_the_source_entries(tmp_path):
    path = tmp_path / "copy_into.py"
    path.write_text("import torch\n\n\ndef f(x: 'float[2]', y: 'float[2]'):\n    z = x * 1\n    z.copy_(y)\n"
                    "    z += 1\n    w = x * 1\n    w.copy_(y[0])\n    return z.sum() * 10 + y.sum() + w.sum()\n")
    program = pwverify.parse(f"{path}:f")
    assert program.value_at({"x": [1, 2], "y": [10, 20]}) == [320 + 30 + 20]
    assert program.gradient_at({"x": [1, 2], "y": [10, 20]}) == [[0, 0, 13, 11]]


def test_python_sorted_gives_no_edge_to_the_entries_it_does_not_pick():
    """jax's sort passes a zero cotangent to the unpicked sqrt (0 * inf = nan); Python's sorted
    returns existing objects, so the sqrt is not in the graph at all (jax 0.10.2 measured both)."""
    point = {"x": 0, "y": 0, "b": 1}
    array_sort = pwverify.parse("jnp.sort(jnp.stack([jnp.sqrt(x*x + y*y), b, b + 1.0]))[1]")
    python_sorted = pwverify.parse("sorted([jnp.sqrt(x*x + y*y), b, b + 1.0])[1]")
    assert [str(g) for g in array_sort.gradient_at(point)[0]] == ["nan", "nan", "1"]
    assert python_sorted.gradient_at(point) == [[0, 0, 1]]
    assert python_sorted.gradient_at({"x": 0, "y": 0, "b": -2}) == [[0, 0, 1]]       # b, b + 1, sqrt
    tied = python_sorted.gradient_at({"x": 0, "y": 0, "b": -1})                       # b, sqrt, b + 1 (stable)
    assert [str(g) for g in tied[0]] == ["nan", "nan", "0"]
    descending = pwverify.parse("sorted([x, y, b], reverse=True)[0] - sorted([x, y, b])[0]")
    assert descending.gradient_at({"x": 1, "y": 1, "b": 0}) == [[1, 0, -1]]         # ties keep input order


def test_returns_in_every_branch_and_assignments_in_every_branch():
    minmod = pwverify.parse(spec("functions.py:minmod"))
    assert len(minmod.representation().pieces) >= 3
    superbee = pwverify.parse(spec("functions.py:superbee"))
    assert [superbee.value_at({"r": r})[0] for r in (-1, "1/4", "3/4", "3/2", 3)] == [0, pwverify.parse(
        "t").value_at({"t": "1/2"})[0], 1, pwverify.parse("t").value_at({"t": "3/2"})[0], 2]


def test_a_comparison_used_as_a_number_is_a_step_with_derivative_zero():
    p = pwverify.parse("(x > 0) * x + (x > 0).float()")
    assert p.gradient_at({"x": 1}) == [[1]] and p.gradient_at({"x": 0}) == [[0]]
    assert p.value_at({"x": 0}) == [0] and p.value_at({"x": "1/100"})[0] > 1
    from pwverify.questions.wellformed import check_representation
    assert check_representation(p.representation()).continuity.status == "refuted"


def test_empty_entries_read_before_written_are_an_error(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text("import numpy as np\n\ndef f(u: 'float[3]'):\n    nf = np.empty(3)\n"
                    "    nf[0] = u[0]\n    return nf\n")
    with pytest.raises(UnsupportedError, match=r"numpy.empty at .*prog.py:4:10 is read before it is written"):
        pwverify.parse(f"{path}:f")


@pytest.mark.parametrize("annotation", ["float[1.5]", "float[banana]", "float[-2]", "R^x"])
def test_bad_shape_annotations_are_located_errors(tmp_path, annotation):
    path = tmp_path / "prog.py"
    path.write_text(f"def f(x: {annotation!r}):\n    return x\n")
    with pytest.raises(UnsupportedError) as info:
        pwverify.parse(f"{path}:f")
    assert str(info.value).startswith(f"{path}:1:10: error: cannot read a shape")


def test_good_shape_annotations(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text("def f(a: 'float[2, 3]', b: 'R^2x2', c: 'Tensor[3]', d: 'float', e=1):\n    return a[0, 0]\n")
    p = pwverify.parse(f"{path}:f")
    assert p.parsed.input_shapes == {"a": (2, 3), "b": (2, 2), "c": (3,), "d": ()}


# -- closures, keywords, decorators, asserts, sibling modules, module-level code ---------------------------
def test_closure_factory_keywords_decorators_and_siblings(tmp_path):
    (tmp_path / "helpers.py").write_text(
        "import numpy as np\nEPS = 1e-3\n\ndef minmod(a, b):\n"
        "    return 0.5 * (np.sign(a) + np.sign(b)) * np.minimum(np.abs(a), np.abs(b))\n")
    (tmp_path / "main.py").write_text(
        "import torch\nfrom helpers import minmod, EPS\nimport helpers as hp\n\n"
        "def quantile_loss(q):\n    def loss(y, yhat):\n        e = y - yhat\n"
        "        return torch.max(q * e, (q - 1) * e)\n    return loss\n\n"
        "def f(a, b):\n    assert isinstance(a, torch.Tensor)\n    return minmod(a, b) + hp.minmod(b, a) + EPS * a\n\n"
        "if __name__ == '__main__':\n    n = float(input())\n    print(f(n, n))\nvalue = input()\n")
    q = pwverify.parse(f"{tmp_path}/main.py:quantile_loss(0.9)")
    assert q.inputs == ["y", "yhat"] and q.gradient_at({"y": 1, "yhat": 1}) == [["2/5", "-2/5"]] or \
        q.gradient_at({"y": 1, "yhat": 1}) == [[pwverify.parse("t").value_at({"t": "2/5"})[0],
                                                   pwverify.parse("t").value_at({"t": "-2/5"})[0]]]
    f = pwverify.parse(f"{tmp_path}/main.py:f")
    assert f.gradient_at({"a": 2, "b": 1}) == [[pwverify.parse("t").value_at({"t": "1/1000"})[0], 2]]
    kw = pwverify.parse("tf.where(a > b, x=a, y=b) + tf.maximum(x=a, y=b)")
    assert kw.gradient_at({"a": 1, "b": 1}) == [[1, 1]]


def test_jax_at_updates_match_jax():
    pytest.importorskip("jax")
    from pwverify.frameworks.crosscheck import compare_at
    program = pwverify.parse(spec("functions.py:jax_at"))
    for point in ({"x": [0, 1, 1]}, {"x": [-1, 0, 2]}):
        for mode in ("reverse", "forward"):
            assert compare_at(pwverify.parse(spec("functions.py:jax_at"), mode=mode), "jax", point, mode) is None
    assert program.gradient_at({"x": [0, 1, 1]}) == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]


def test_decorators_and_detaching():
    assert pwverify.parse("x * torch.relu(x).item()").gradient_at({"x": 2}) == [[2]]
    assert pwverify.parse(spec("functions.py:no_grad_function")).gradient_at({"x": 2}) == [[0]]
    assert pwverify.parse(spec("functions.py:no_grad_block")).gradient_at({"x": 2}) == [[4]]
    assert pwverify.parse(spec("functions.py:scripted")).gradient_at({"x": 0}) == [[0]]


def test_literal_outside_float64_and_byte_order_mark(tmp_path):
    path = tmp_path / "big.py"
    path.write_text("def f(x):\n    return x * 1e400\n")
    with pytest.raises(UnsupportedError, match=r"big.py:2:16: error: the literal 1e400 is outside the float64"):
        pwverify.parse(f"{path}:f")
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfimport torch\n\ndef f(x):\n    return torch.relu(x)\n")
    assert pwverify.parse(f"{bom}:f").gradient_at({"x": 1}) == [[1]]


@pytest.mark.parametrize("source, words", [
    ("def f(x):\n    return x.relu[0]\n", ["cannot index the method .relu()"]),
    ("def f(x):\n    if x.any:\n        return x\n    return -x\n", ["method .any()"]),
    ("def f(x):\n    if x > 0:\n        w = x\n    return w\n", ["'w' is assigned on only some paths"]),
    ("def f(x):\n    return len(x) + x\n", ["len() of a number that depends on the inputs"]),
])
def test_messages_never_show_internal_class_names(tmp_path, source, words):
    path = tmp_path / "prog.py"
    path.write_text(source)
    with pytest.raises(PwverifyError) as info:
        pwverify.parse(f"{path}:f")
    message = str(info.value)
    for internal in ("BoundMethod", "Sym", "Undefined", "QualName", "Function(", "Instance", "ClassValue"):
        assert internal not in message, message
    for word in words:
        assert word in message, message


@requires_torch
@pytest.mark.parametrize("text", [
    "x.mean(dim=(1, 2)).sum()", "x.amax(dim=(-2, -1)).sum()", "torch.sum(x, dim=(0, 2))[1]",
    "x.amax(dim=(1, 2), keepdim=True)[0, 0, 0] * 3 + x.amin(dim=(0, 1)).sum()", "torch.mean(x, (0, 1, 2))",
])
def test_reductions_over_several_dims_match_torch_at_ties(text):
    program = pwverify.parse(text, shapes={"x": (2, 2, 2)})
    ties = [{f"x{i}_{j}_{k}": v for (i, j, k), v in zip(
        [(i, j, k) for i in range(2) for j in range(2) for k in range(2)], values)}
        for values in ([1, 1, 1, 0, 2, 2, 0, 2], [0] * 8, [3, 1, 3, 3, 1, 1, 2, 1])]
    from pwverify.frameworks.crosscheck import compare_at
    for mode in ("reverse", "forward"):
        moded = program.in_mode(mode)
        for point in ties + [tp.point for tp in pwverify.tie_points(program, count=4)]:
            assert compare_at(moded, "torch", point, mode) is None, (mode, point)


def test_a_dimension_named_twice_is_a_located_error():
    with pytest.raises(PwverifyError, match="twice"):
        pwverify.parse("x.sum(dim=(1, -1))", shapes={"x": (2, 2)})


def test_gelu_erf_form_uses_each_frameworks_constants():
    """torch and jax write 1/sqrt(2) in float64; tensorflow casts it through float32 (its
    float64 gelu(-1) is -0.15865525807260966, measured): three exact formulas, two values."""
    import sympy
    from fractions import Fraction
    erf = sympy.erf

    def expected(c):
        return sympy.Rational(-1, 2) * (1 + erf(-sympy.Rational(*Fraction(c).as_integer_ratio())))

    torch_gelu = pwverify.parse("torch.nn.functional.gelu(x)")
    jax_gelu = pwverify.parse("jax.nn.gelu(x, approximate=False)")
    tf_gelu = pwverify.parse("tf.nn.gelu(x)")
    assert sympy.simplify(torch_gelu.value_at([-1])[0] - expected(0.7071067811865476)) == 0
    assert jax_gelu.value_at([-1]) == torch_gelu.value_at([-1])
    assert sympy.simplify(tf_gelu.value_at([-1])[0] - expected(0.7071067690849304)) == 0
    assert abs(float(tf_gelu.value_at([-1])[0]) - -0.15865525807260966) < 1e-16
    assert abs(float(torch_gelu.value_at([-1])[0]) - -0.15865525393145702) < 1e-16
    assert torch_gelu.gradient_at([0]) == [[sympy.Rational(1, 2)]]    # cdf(0) + 0 * pdf(0)
    # the tanh form is another function, with tensorflow's float32 kappa again
    tanh_gelu = pwverify.parse("torch.nn.functional.gelu(x, approximate='tanh')")
    assert tanh_gelu.value_at([-1]) != torch_gelu.value_at([-1])
    assert pwverify.parse("tf.nn.gelu(x, approximate=True)").value_at([-1]) != tanh_gelu.value_at([-1])
    with pytest.raises(PwverifyError, match="approximate"):
        pwverify.parse("torch.nn.functional.gelu(x, approximate='erf')")


def test_classification_losses_and_loss_modules_exact_values():
    """cross_entropy, nll_loss and the loss modules, read without torch: exact numbers
    from ATen's definitions (the mean of nll_loss divides by the targets' total weight,
    ignore_index is skipped, the legacy reduce=False means no reduction)."""
    import sympy
    ce = pwverify.parse("torch.nn.functional.cross_entropy(X, torch.tensor([0, 2]))", shapes={"X": (2, 3)})
    assert sympy.simplify(ce.value_at([0] * 6)[0] - sympy.log(3)) == 0
    # d/dX of the mean: (softmax - onehot) / 2 at zero logits
    third, half = sympy.Rational(1, 3), sympy.Rational(1, 2)
    assert ce.gradient_at([0] * 6) == [[third / 2 - half, third / 2, third / 2, third / 2, third / 2, third / 2 - half]]
    nll = pwverify.parse("torch.nn.functional.nll_loss(X, torch.tensor([1, -100, 0]), "
                         "weight=torch.tensor([2.0, 3.0]))", shapes={"X": (3, 2)})
    # -(3 * X[0, 1] + 2 * X[2, 0]) / (3 + 2)
    assert nll.value_at([0, 5, 7, 7, 10, 0])[0] == sympy.Rational(-(15 + 20), 5)
    legacy = pwverify.parse("torch.nn.L1Loss(reduce=False)(x, y)", shapes={"x": 2, "y": 2})
    assert legacy.value_at([1, -2, 0, 0]) == [1, 2]
    weighted = pwverify.parse("torch.nn.functional.mse_loss(x, y, weight=torch.tensor([1.0, 3.0]))",
                              shapes={"x": 2, "y": 2})
    assert weighted.value_at([1, 2, 0, 0]) == [sympy.Rational(1 + 12, 4)]      # sum(w d^2) / sum(w)
    with pytest.raises(PwverifyError, match="class indices"):
        pwverify.parse("torch.nn.functional.cross_entropy(X, t)", shapes={"X": (2, 3), "t": 2})


def test_layer_norm_exact_values_and_module_parameters(tmp_path):
    import sympy
    ln = pwverify.parse("torch.nn.functional.layer_norm(x, (2,))", shapes={"x": 2})
    root = sympy.sqrt(1 + sympy.Rational(1, 100000))      # var 1 at (1, 3), eps = 1e-5 read exactly
    assert [sympy.simplify(v - w) for v, w in zip(ln.value_at([1, 3]), [-1 / root, 1 / root])] == [0, 0]
    source = tmp_path / "block.py"
    source.write_text("import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self):\n"
                      "        super().__init__()\n        self.norm = nn.LayerNorm(2, eps=0.25)\n\n"
                      "    def forward(self, x):\n        return self.norm(x).sum()\n")
    program = pwverify.parse(f"{source}:Block", shapes={"x": (1, 2)})
    assert program.weights == ["norm_weight0", "norm_weight1", "norm_bias0", "norm_bias1"]
    # at x = (0, 2): mean 1, var 1, so (x - mean) / sqrt(5/4) = -+2/sqrt(5); times weight plus bias
    value = program.value_at({"x": [0, 2], "norm.weight": [3, 1], "norm.bias": [0, 1]})[0]
    assert sympy.simplify(value - (-6 / sympy.sqrt(5) + 2 / sympy.sqrt(5) + 1)) == 0


def test_math_constants_are_exact_and_ambiguous_attention_masks_are_refused(tmp_path):
    program = pwverify.parse("math.pi * x + np.e + torch.pi", shapes={"x": 1})
    assert str(program.value_at({"x": 1})[0]) == "E + 2*pi"
    source = tmp_path / "attn.py"
    source.write_text("import torch\nimport torch.nn.functional as F\n"
                      "def f(q: 'float[2, 2]'):\n"
                      "    return F.scaled_dot_product_attention(q, q, q, attn_mask=torch.tensor([[1, 0], [1, 1]]))\n")
    with pytest.raises(PwverifyError, match="cannot tell a boolean mask") as info:
        pwverify.parse(f"{source}:f")
    assert "attn.py:4:" in str(info.value)


@pytest.mark.parametrize("text, words", [
    ("torch.where(x > 0, x, float('-inf')).exp().sum()", "infinite constant"),
    ("(x * float('-inf')).sum()", "product of an infinite constant"),
])
def test_an_infinity_meeting_the_inputs_is_a_located_error(text, words):
    with pytest.raises(PwverifyError, match=words):
        pwverify.parse(text, shapes={"x": 2})


def test_a_masked_entry_gets_no_gradient_and_the_others_a_softmax_gradient():
    program = pwverify.parse("torch.softmax(x.masked_fill(torch.tensor([False, True]), float('-inf')), dim=0)[0]",
                             shapes={"x": 2})
    assert [str(v) for v in program.value_at({"x0": 1, "x1": 5})] == ["1"]
    assert [str(g) for g in program.gradient_at({"x0": 1, "x1": 5})[0]] == ["0", "0"]


@pytest.mark.parametrize("framework, text", [
    ("jax", "jnp.maximum(jnp.einsum('bi,ij->bj', x, W), 0).sum() + jnp.outer(x[0], W[0]).max()"),
    ("tensorflow", "tf.reduce_sum(tf.nn.relu(tf.einsum('bi,ij->bj', x, W)))"),
    ("tensorflow", "tf.reduce_max(tf.einsum('ij,ij->i', x, tf.transpose(W)))"),
])
def test_einsum_matches_jax_and_tensorflow_at_ties(framework, text):
    pytest.importorskip(framework)
    from pwverify.frameworks.crosscheck import compare_at
    shapes = {"x": (2, 3), "W": (3, 2)}
    ties = [{"x": [[1, 0, -1], [0, 0, 1]], "W": [[1, 1], [1, 0], [1, 1]]},
            {"x": [[1, 1, 0], [0, 0, 0]], "W": [[1, -1], [0, 2], [1, 1]]}]
    for mode in ("reverse", "forward"):
        program = pwverify.parse(text, shapes=shapes, mode=mode)
        for point in ties:
            assert compare_at(program, framework, point, mode) is None, (mode, point)


def test_kl_div_constant_zero_targets_add_zero_and_xlogy_outside_its_domain_is_located():
    program = pwverify.parse("F.kl_div(x, torch.tensor([0.0, 0.5]), reduction='sum')", shapes={"x": 2})
    assert [str(v) for v in program.value_at({"x0": 1, "x1": 2})] == ["-1 - log(2)/2"]
    assert [str(g) for g in program.gradient_at({"x0": 1, "x1": 2})[0]] == ["0", "-1/2"]
    with pytest.raises(PwverifyError, match="outside its domain"):
        pwverify.parse("torch.xlogy(torch.tensor(0.0), torch.tensor(0.0)) + x", shapes={"x": 1})


@requires_torch
def test_interpolate_weights_are_torchs_floats_where_the_scale_is_not_a_binary_fraction():
    from pwverify.frameworks.crosscheck import compare_at
    text = "torch.relu(F.interpolate(v, scale_factor=1.5, mode='linear') - 0.5).sum()"
    # with the real weights 5/6 and 1/6 an output is 5/6 * 1 + 1/6 * (-2) = 1/2, on the relu's tie;
    # torch's float64 weights leave it just off the tie (exact weights predict a gradient of 0 there)
    point = {"v": [[-1.5, 1, -2], [-0.75, -2, 3]]}
    for mode in ("reverse", "forward"):
        program = pwverify.parse(text, shapes={"v": (1, 2, 3)}, mode=mode)
        assert compare_at(program, "torch", point, mode) is None, mode
