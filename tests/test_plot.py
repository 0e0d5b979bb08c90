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
    assert any(t.startswith("P⁵: x") and "∇ = (1, 0)" in t for t in labels)


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


# -- legibility at the site's width ---------------------------------------------------------------
def _lax_wendroff():
    return plot([case("minmod.py:lw_branch"), case("minmod.py:lw_relu")], None, vary=["u1", "u2"],
                at={"u0": 0, "u3": 0}, title="One Lax–Wendroff/minmod step on four cells")


@pytest.fixture(scope="module")
def lax_wendroff():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    fig = _lax_wendroff()
    FigureCanvasAgg(fig).draw()
    return fig


def test_text_is_at_least_eleven_pixels_high_in_an_800_pixel_column(lax_wendroff):
    width_inches = lax_wendroff.get_size_inches()[0]
    texts = [t for ax in lax_wendroff.axes for t in ax.texts]
    texts += [t for ax in lax_wendroff.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert texts
    for t in texts:
        pixels = t.get_fontsize() * 800 / (72 * width_inches)
        assert pixels >= 11, (t.get_text(), pixels)


def test_region_labels_do_not_overlap(lax_wendroff):
    renderer = lax_wendroff.canvas.get_renderer()
    for ax in lax_wendroff.axes:
        boxes = [t.get_bbox_patch().get_window_extent(renderer) for t in ax.texts]
        assert len(boxes) >= 8
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), (a, b)


def test_a_region_too_narrow_for_its_formula_is_named_and_listed(lax_wendroff):
    right = lax_wendroff.axes[1]
    names = {t.get_text() for t in right.texts}
    assert "P¹⁵" in names  # a wedge: its name only
    assert any(t.startswith("P³, P¹⁵: 3·u₁/8 + 5·u₂/8") for t in _legend_texts(right))


def test_the_dots_of_several_programs_at_one_kink_stand_apart(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    fig = plot(["relu(t)", "relu(-t) + t", "(relu(t) + relu(-t) + t) / 2"], None, window=(-1, 1))
    FigureCanvasAgg(fig).draw()
    ax_d = fig.axes[1]
    dots = [line for line in ax_d.get_lines() if line.get_marker() == "o"]
    centres = [ax_d.transData.transform((line.get_xdata()[0], line.get_ydata()[0])) for line in dots]
    for i, a in enumerate(centres):
        for j, b in enumerate(centres[i + 1:], i + 1):
            size = max(dots[i].get_markersize(), dots[j].get_markersize()) * fig.dpi / 72
            assert abs(a[0] - b[0]) >= size or abs(a[1] - b[1]) >= size, (a, b)
    labels = [t.get_text() for t in ax_d.texts if t.get_text() != "gradients differ"]
    assert sorted(labels) == sorted(["relu(t): 0", "relu(-t) + t: 1", "(relu(t) + relu(-t) + t) / 2: 1/2"])


def test_three_programs_in_the_plane_each_against_the_first(tmp_path):
    programs = [case("frameworks.py:max_abs")] * 3
    fig = plot([pwverify.parse(p, framework=f) for p, f in zip(programs, ("torch", "jax", "tensorflow"))],
               str(tmp_path / "three.png"), labels=["torch", "jax", "tensorflow"])
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["torch", "jax", "tensorflow"]
    assert "gradient differs from torch" in _legend_texts(panels[1])
    assert "same gradient as torch: proved" in _legend_texts(panels[2])
    with pytest.raises(pwverify.PwverifyError, match="one to 3 programs"):
        plot([case("frameworks.py:max_abs")] * 4, None)


def test_formulas_are_written_for_reading():
    import sympy
    from pwverify.output.plot import formula_text, piece_name
    assert formula_text(sympy.sympify("9*u1/16 + u2/2")) == "9·u₁/16 + u₂/2"
    assert piece_name(13) == "P¹³"
