"""Reach: real nonsmooth code from public repositories, stored unchanged in tests/corpus/.

Each row names a file of the corpus, a PROGRAM target in it (a function, a module with
constructor arguments, ...) and small input shapes. ``test_read_rate`` reads every row
(never running it) and requires at least 90% to be read; every row that is read is
checked against real torch autograd (float64, reverse and forward mode) at points on its
kinks, with numpy programs run on torch tensors (``np`` replaced by torch's functions of
the same names). ``python tests/test_corpus.py`` prints the table.
"""

from __future__ import annotations

import os

import pytest

import pwverify
from conftest import ROOT, requires_torch

CORPUS = os.path.join(ROOT, "tests", "corpus")
KB = "scalingintelligence__kb_"
X = {"x": (2, 3)}
IMG = {"x": (1, 1, 3, 3)}
R = {"r": 3, "cfl": 3}

#: (file, target, shapes, what it exercises)
ROWS = [
    (KB + "l1_19_ReLU.py", "Model", X, "module, torch.relu"),
    (KB + "l1_20_LeakyReLU.py", "Model", X, "F.leaky_relu with a keyword"),
    (KB + "l1_28_HardSigmoid.py", "Model", X, "F.hardsigmoid"),
    (KB + "l1_32_HardTanh.py", "Model", X, "F.hardtanh"),
    (KB + "l1_41_Max_Pooling_1D.py", "Model(3, 1, 1, 2)", {"x": (1, 2, 6)}, "MaxPool1d with dilation"),
    (KB + "l1_42_Max_Pooling_2D.py", "Model(2, 1, 1, 1)", {"x": (1, 1, 3, 3)}, "MaxPool2d with padding"),
    (KB + "l1_49_Max_reduction_over_a_dimension.py", "Model(1)", {"x": (2, 3, 2)}, "torch.max(x, dim)[0]"),
    (KB + "l1_53_Min_reduction_over_a_dimension.py", "Model(1)", {"x": (2, 3, 2)}, "torch.min(x, dim)[0]"),
    (KB + "l1_89_cumsum.py", "Model(1)", X, "torch.cumsum"),
    (KB + "l1_93_masked_cumsum.py", "Model(1)", {"x": (2, 3), "mask": (2, 3)}, "cumsum of x * mask"),
    (KB + "l1_96_HuberLoss.py", "Model", {"predictions": 4, "targets": 4}, "F.smooth_l1_loss"),
    (KB + "l1_100_HingeLoss.py", "Model", {"predictions": 4, "targets": 4}, "mean of clamp(min=0)"),
    (KB + "l2_1_Conv2D_ReLU_BiasAdd.py", "Model(1, 2, 2, (2, 1, 1))", IMG, "Conv2d, relu, nn.Parameter"),
    (KB + "l2_9_Matmul_Subtract_Multiply_ReLU.py", "Model(3, 2, 2.0, 1.5)", X, "Linear, relu"),
    (KB + "l2_12_Gemm_Multiply_LeakyReLU.py", "Model(3, 2, 2.0, 0.1)", X, "Linear, LeakyReLU"),
    (KB + "l2_63_Gemm_ReLU_Divide.py", "Model(3, 2, 2.0)", X, "Linear, relu"),
    (KB + "l2_68_Matmul_Min_Subtract.py", "Model(3, 2, 2.0)", X, "torch.min with a parameter"),
    (KB + "l2_76_Gemm_Add_ReLU.py", "Model(3, 2, (2,))", X, "Linear without bias, parameter"),
    (KB + "l2_55_Matmul_MaxPool_Sum_Scale.py", "Model(3, 4, 2, 0.5)", X, "Linear, MaxPool1d, sum"),
    (KB + "l2_32_Conv2d_Scaling_Min.py", "Model(1, 2, 2, 2.0)", IMG, "Conv2d, min over channels"),
    (KB + "l2_57_Conv2d_ReLU_HardSwish.py", "Model(1, 2, 2)", IMG, "Conv2d, relu, clamp"),
    (KB + "l2_71_Conv2d_Divide_LeakyReLU.py", "Model(1, 2, 2, 2)", IMG, "Conv2d, leaky_relu"),
    ("clawpack__tvd.py", "minmod_limiter", R, "np.ones/zeros then row assignment"),
    ("clawpack__tvd.py", "superbee_limiter", R, "allocate-then-fill, np.max(axis=0)"),
    ("clawpack__tvd.py", "mc_limiter", R, "np.empty filled then read"),
    ("clawpack__tvd.py", "van_leer_klein_sharpening_limiter", R, "division by a maximum"),
    ("clawpack__tvd.py", "arora_roe", R, "CFL-dependent limiter"),
    ("clawpack__tvd.py", "theta_limiter", R, "default argument, min over rows"),
    ("clawpack__tvd.py", "cfl_superbee", R, "nested min/max"),
    ("clawpack__tvd.py", "cfl_superbee_theta", R, "nested min/max"),
    ("clawpack__tvd.py", "beta_limiter", R, "np.min over all entries"),
    ("clawpack__tvd.py", "hyperbee_limiter", R, "np.choose, r ** cfl"),
    ("clawpack__tvd.py", "superpower_limiter", R, "np.floor, r ** pp"),
    ("clawpack__tvd.py", "cada_torrilhon_limiter", R, "strided augmented assignment"),
    ("clawpack__tvd.py", "cada_torrilhon_limiter_nonlinear", R, "division by |r|"),
    ("clawpack__tvd.py", "upper_bound_limiter", R, "np.min, np.max"),
    ("pywavelets___thresholding.py", "soft", {"data": 3}, "soft thresholding, clip(out=)"),
    ("pywavelets___thresholding.py", "nn_garrote", {"data": 3}, "non-negative garrote"),
    ("pywavelets___thresholding.py", "hard", {"data": 3}, "np.where(np.less(...))"),
    ("pywavelets___thresholding.py", "greater", {"data": 3}, "np.iscomplexobj guard"),
    ("pywavelets___thresholding.py", "less", {"data": 3}, "np.where(np.greater(...))"),
    ("huggingface__activations.py", "hard_swish", {"x": 3}, "F.relu6(...).div_(6.)"),
    ("huggingface__activations.py", "hard_sigmoid", {"x": 3}, "if inplace: ... else"),
    ("huggingface__activations.py", "hard_mish", {"x": 3}, "clamp(min=0, max=2)"),
    ("huggingface__activations.py", "HardSwish", {"x": 3}, "module calling a function"),
    ("huggingface__activations.py", "HardMish", {"x": 3}, "module calling a function"),
    ("huggingface__adaptive_avgmax_pool.py", "adaptive_avgmax_pool2d", {"x": (1, 2, 2, 2)},
     "adaptive avg + max pooling"),
    ("huggingface__adaptive_avgmax_pool.py", "adaptive_catavgmax_pool2d", {"x": (1, 1, 2, 2)},
     "torch.cat of two poolings"),
    ("adambielski__losses.py", "ContrastiveLoss(1.0)", {"output1": (2, 2), "output2": (2, 2), "target": 2},
     "target.float(), relu, sqrt"),
    ("adambielski__losses.py", "TripletLoss(1.0)", {"anchor": (2, 2), "positive": (2, 2), "negative": (2, 2)},
     "relu of squared distances"),
    ("facebookresearch__smooth_l1_loss.py", "smooth_l1_loss", {"input": 3, "target": 3}, "if on beta, torch.where"),
    ("google_deepmind___regression.py", "huber_loss", {"predictions": 3, "targets": 3}, "jnp.minimum"),
]


def program_of(row, mode: str = "reverse"):
    file, target, shapes, _ = row
    return pwverify.parse(f"{os.path.join(CORPUS, file)}:{target}", shapes=shapes, mode=mode)


def read_all() -> list[tuple[tuple, str | None]]:
    out = []
    for row in ROWS:
        try:
            program_of(row)
            out.append((row, None))
        except pwverify.PwverifyError as exc:
            out.append((row, str(exc)))
    return out


def test_corpus_rows_are_files_of_the_corpus_with_a_source_header():
    files = sorted({row[0] for row in ROWS})
    assert len(ROWS) >= 40 and len(files) >= 7
    for name in files:
        with open(os.path.join(CORPUS, name), encoding="utf-8") as handle:
            first = handle.readline()
        assert first.startswith("# Source: https://github.com/"), name


def test_read_rate():
    results = read_all()
    failed = [(row[0], row[1], err) for row, err in results if err]
    rate = 1 - len(failed) / len(results)
    print(f"\ncorpus: {len(results) - len(failed)} of {len(results)} read ({rate:.0%})")
    for file, target, err in failed:
        print(f"  not read: {file}:{target}: {err}")
    assert rate >= 0.9, failed


READ = [row for row, err in read_all() if err is None] if os.environ.get("PWVERIFY_CORPUS_TORCH", "1") else []


@requires_torch
@pytest.mark.parametrize("row", READ, ids=[f"{r[0]}:{r[1]}" for r in READ])
def test_read_rows_match_torch_at_kinks(row):
    from torch_programs import TorchCannotRun, check_against_torch, kink_points
    program = program_of(row)
    if program.framework != "torch":
        pytest.skip(f"a {program.framework} program")
    try:
        check_against_torch(program, kink_points(program, count=4), lenient=True)
    except TorchCannotRun as exc:
        pytest.skip(f"torch cannot run it as written: {exc}")


if __name__ == "__main__":
    for row, err in read_all():
        status = "read" if err is None else f"NOT READ: {err}"
        print(f"{row[0]}:{row[1]}  [{row[3]}]  {status}")
