"""Figures: exact kinks and limits, 2-D pieces and disagreement sets, the plot command."""

import os
import subprocess
import sys

import pytest

import pwverify
from pwverify.output.plot import kink_points, plot

from conftest import case


def _legend_texts(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def test_kinks_of_one_input_programs_are_exact():
    kinks = kink_points(pwverify.parse(case("boustany.py:f")).representation())
    assert [(k["t"], k["derivative"], k["limits"], k["thin"]) for k in kinks] == [(0, -sympy_rational(3, 2), [0], True)]
    kinks = kink_points(pwverify.parse("relu(-t) + t").representation())
    assert [(k["t"], k["derivative"], k["limits"]) for k in kinks] == [(0, 1, [0])]
    kinks = kink_points(pwverify.parse("relu(t - 1) + relu(t + 1)").representation())
    assert [k["t"] for k in kinks] == [-1, 1]


def sympy_rational(p, q):
    import sympy
    return sympy.Rational(p, q)


def test_one_input_figure_marks_the_tie(tmp_path):
    path = tmp_path / "boustany.png"
    fig = plot([case("boustany.py:f")], str(path))
    assert path.stat().st_size > 10_000
    ax_f, ax_d = fig.axes
    assert ax_d.get_ylabel() == "associated derivative"
    filled = [line for line in ax_d.get_lines() if line.get_marker() == "o" and line.get_mfc() != "white"]
    assert any(line.get_ydata()[0] == -1.5 for line in filled)
    assert "autodiff at a kink or tie" in _legend_texts(ax_d)


def test_two_programs_in_the_plane_show_where_gradients_differ(tmp_path):
    path = tmp_path / "minmod.svg"
    fig = plot([case("minmod.py:minmod_branch"), case("minmod.py:minmod_relu")], str(path))
    assert path.read_text().startswith("<?xml")
    left, right = fig.axes[:2]
    for ax in (left, right):
        assert {"gradients differ", "witness"} <= set(_legend_texts(ax))
    labels = [t.get_text() for t in right.texts]
    assert any("$P^{" in t and "∇ = (1, 0)" in t for t in labels)


def test_slices_fix_the_other_inputs(tmp_path):
    fig = plot([case("upwind.py:flux_relu")], str(tmp_path / "u.png"), vary=["a", "beta"], at={"alpha": 1})
    assert fig.axes[0].get_title().endswith("(alpha = 1)")
    with pytest.raises(pwverify.PwverifyError, match="two of the inputs"):
        plot([case("upwind.py:flux_relu")], None, vary=["a", "gamma"])


def test_a_bad_file_name_is_refused_before_any_work():
    with pytest.raises(pwverify.PwverifyError, match="png, .svg or .pdf"):
        plot(["relu(t)"], "figure.txt")


def test_plot_command(cli, tmp_path):
    out = tmp_path / "relu.png"
    code, text, err = cli("plot", "relu(t)", "relu(-t) + t", "-o", str(out))
    assert code == 0 and out.exists() and "wrote" in text, err
    code, _, err = cli("plot", case("upwind.py:flux_branch"), case("upwind.py:flux_relu"), "--vary", "a,beta",
                       "--at", "alpha=1/2", "-o", str(tmp_path / "upwind.svg"))
    assert code == 0, err
    code, _, err = cli("plot", "relu(t)", "-o", str(tmp_path / "x.png"), "--window", "2,1")
    assert code == 2 and "--window" in err
    code, _, err = cli("plot", "relu(t)", "-o", str(tmp_path / "x.png"), "--at", "beta")
    assert code == 2 and "--at" in err


def test_plotting_is_headless_and_the_cli_stays_light():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    code = ("import sys; from pwverify.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('sympy', 'z3', 'matplotlib', 'numpy') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert r.stdout.strip() == "[]", r.stderr
    code = ("import sys, tempfile, os; from pwverify.output.plot import plot; "
            "plot(['relu(t)'], os.path.join(tempfile.mkdtemp(), 'r.png')); "
            "print('matplotlib.pyplot' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr
