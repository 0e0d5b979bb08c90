"""The documentation site: it builds with ``mkdocs build --strict``, every example in it
is generated from the code (command outputs, tables, figures) or doctested (Python), and it
works offline: formulas are MathML made at build time, nothing is loaded from elsewhere."""

import html.parser
import importlib.util
import os
import re
import shlex
import subprocess
import sys

import pytest

from conftest import ROOT

DOCS = os.path.join(ROOT, "docs")
HAS_MKDOCS = all(importlib.util.find_spec(m) is not None
                 for m in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers", "latex2mathml",
                           "nbclient", "nbformat", "ipykernel"))
requires_mkdocs = pytest.mark.skipif(
    not HAS_MKDOCS, reason="mkdocs, latex2mathml or nbclient is not installed: pip install -e '.[docs]' to "
                           "build the site in the tests")
requires_latex2mathml = pytest.mark.skipif(
    importlib.util.find_spec("latex2mathml") is None,
    reason="latex2mathml is not installed: pip install -e '.[docs]' to check the formulas of the site")


def _pages():
    """The Markdown files of the site."""
    for folder, _, names in os.walk(DOCS):
        for name in names:
            if name.endswith(".md"):
                yield os.path.relpath(os.path.join(folder, name), DOCS)


def _notebook_pages():
    """The notebooks, each a page at build time (``notebooks/x.ipynb`` is ``notebooks/x.md``)."""
    for folder, _, names in os.walk(DOCS):
        for name in names:
            if name.endswith(".ipynb") and ".ipynb_checkpoints" not in folder:
                yield os.path.relpath(os.path.join(folder, name), DOCS)[:-len(".ipynb")] + ".md"


def test_every_page_is_in_the_navigation_and_every_entry_exists():
    with open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8") as handle:
        nav = set(re.findall(r"([\w/-]+\.md)", handle.read()))
    pages = set(_pages()) | set(_notebook_pages())
    assert nav == pages and set(_notebook_pages())


def test_every_generated_example_is_a_valid_command():
    from pwverify.cli import build_parser
    parser = build_parser()
    commands = []
    for page in _pages():
        with open(os.path.join(DOCS, page), encoding="utf-8") as handle:
            commands += re.findall(r"<!-- run: (.+?) -->", handle.read())
    assert len(commands) >= 25
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "pwverify"
        parser.parse_args(argv[1:])


def test_the_conventions_page_comes_from_the_recorded_data():
    """(tests/test_conventions_data.py checks every number of it against the data.)"""
    sys.path.insert(0, os.path.join(DOCS, "_gen"))
    try:
        import hooks
    finally:
        sys.path.pop(0)
    text = hooks._conventions()
    assert "| abs'(0) | `0` | `1` | `0` |" in text
    assert "| maximum(a, b) at a = b | `(1/2, 1/2)` | `(1/2, 1/2)` | `(1, 0)` |" in text
    for title in ("## PyTorch", "## JAX", "## TensorFlow"):
        assert title in text
    assert "`torch.nn.MaxPool1d`" in text


def _gen_module(name):
    sys.path.insert(0, os.path.join(DOCS, "_gen"))
    try:
        return __import__(name)
    finally:
        sys.path.pop(0)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built once for all the tests of this module (``mkdocs build --strict``)."""
    folder = tmp_path_factory.mktemp("docs") / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(folder)], cwd=ROOT,
                       capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return folder


@requires_mkdocs
def test_the_site_builds_strictly(site):
    html = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert "<!-- run:" not in html and "<!-- latex:" not in html
    tutorial = (site / "tutorial" / "index.html").read_text(encoding="utf-8")
    assert "d/dt casestudies/boustany.py:f = -3/2" in tutorial
    cli = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    for command in ("pieces", "compare", "check", "demo", "plot"):
        assert f"pwverify {command}" in cli
    figures = sorted(p.name for p in (site / "figures").iterdir())
    assert {"boustany.png", "maxpool.png", "minmod.png", "sorting.png"} <= set(figures)


@requires_mkdocs
def test_the_notebook_is_executed_into_a_page_with_its_figures(site):
    page = (site / "notebooks" / "autodiff-at-kinks" / "index.html").read_text(encoding="utf-8")
    assert "relu2&#39;(0) = 1" in page or "relu2'(0) = 1" in page
    assert "-3/2" in page and "NOT in ∂f" in page
    figures = sorted((site / "notebooks" / "autodiff-at-kinks").glob("*.png"))
    assert len(figures) >= 3 and all(p.stat().st_size > 10_000 for p in figures)
    assert (site / "notebooks" / "autodiff-at-kinks.ipynb").exists()


# -- offline: nothing from elsewhere, every formula drawn ---------------------------------------
_EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)
_CSS_REFERENCES = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)|url\(\s*['"]?([^'")\s]+)""", re.I)


class _Page(html.parser.HTMLParser):
    """The resources a page loads, and its text outside code, scripts, styles and math."""

    SKIP = {"pre", "code", "script", "style", "math", "textarea"}
    LOADS = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src"),
             ("audio", "src"), ("video", "src"), ("embed", "src"), ("object", "data"), ("image", "href")}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads, self.styles, self.text, self._skip = [], [], [], []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (tag, name) in self.LOADS and value:
                self.loads.append(value)
            if name == "style" and value:
                self.styles.append(value)
        if tag in self.SKIP:
            self._skip.append(tag)

    def handle_endtag(self, tag):
        if tag in self._skip:
            while self._skip and self._skip.pop() != tag:
                pass

    def handle_data(self, data):
        if self._skip and self._skip[-1] == "style":
            self.styles.append(data)
        elif not self._skip:
            self.text.append(data)


def _parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def _css_references(css):
    return [a or b for a, b in _CSS_REFERENCES.findall(css)]


def test_the_offline_checks_see_what_they_look_for():
    page = _Page()
    page.feed('<link rel="preconnect" href="https://fonts.gstatic.com"><script src="//cdn.example/x.js"></script>'
              '<style>@import "https://fonts.googleapis.com/css";</style><p>a \\(x\\) <code>\\(y\\)</code></p>'
              '<math><mi>z</mi></math>')
    assert [u for u in page.loads if _EXTERNAL.match(u)] == ["https://fonts.gstatic.com", "//cdn.example/x.js"]
    assert _css_references("".join(page.styles)) == ["https://fonts.googleapis.com/css"]
    assert _css_references("a{background:url(data:image/svg+xml;x)} b{src:url('../f.woff2')}") == \
        ["data:image/svg+xml;x", "../f.woff2"]
    assert "".join(page.text).strip() == "a \\(x\\)"


@requires_mkdocs
def test_no_page_loads_a_script_style_or_font_from_outside_the_site(site):
    outside = []
    for path in site.rglob("*.html"):
        page = _parse(path)
        outside += [(path.name, u) for u in page.loads if _EXTERNAL.match(u)]
        outside += [(path.name, u) for u in _css_references(" ".join(page.styles)) if _EXTERNAL.match(u)]
    for path in site.rglob("*.css"):
        outside += [(path.name, u) for u in _css_references(path.read_text(encoding="utf-8"))
                    if _EXTERNAL.match(u)]
    assert outside == []
    assert len(list(site.rglob("*.html"))) >= 15 and list(site.rglob("*.css"))


@requires_mkdocs
def test_no_raw_tex_is_left_in_the_text_of_the_pages(site):
    left = {}
    for path in site.rglob("*.html"):
        text = "".join(_parse(path).text)
        found = re.findall(r".{0,30}(?:\\\(|\\\[|\$\$).{0,30}", text)
        if found:
            left[str(path.relative_to(site))] = found
    assert left == {}


def _formulas(markdown):
    """How many formulas a page's source has: inline, display, generated piece tables."""
    return len(re.findall(r"\\\(", markdown)) + markdown.count("$$") // 2 + len(re.findall(r"<!-- latex:", markdown))


@requires_mkdocs
def test_every_formula_of_the_sources_is_mathml_on_its_page(site):
    pages = {}
    for page in _pages():
        with open(os.path.join(DOCS, page), encoding="utf-8") as handle:
            count = _formulas(handle.read())
        if count:
            built = page[:-3] + "/index.html" if not page.endswith("index.md") else page[:-2] + "html"
            pages[page] = (count, (site / built).read_text(encoding="utf-8"))
    assert len(pages) >= 7
    for page, (count, text) in pages.items():
        assert text.count("<math") >= count, page
        assert text.count('class="arithmatex"') == text.count("<math"), page
        for body in re.findall(r"<math\b.*?</math>", text, re.S):
            assert "\\" not in body and "&amp;" not in body, (page, body[:200])
    # the generated piece table of max1: one aligned table, four rows of three columns pairs
    table = re.search(r'<div class="arithmatex"><math display="block"><mrow><mtable.*?</mtable>',
                      pages["concepts/associated-gradients.md"][1], re.S).group(0)
    assert table.count("<mtr") == 4 and table.count("<mtd") == 24
    assert "ℝ" in table and "max" in table and "≥" in table


# -- the TeX to MathML conversion of the build -------------------------------------------------
@requires_latex2mathml
@pytest.mark.parametrize("tex, expected", [
    (r"\begin{aligned} P^{1} &= \{t \in \mathbb{R} \mid t < 0\}, & f^{1}(t) &= 0 \\ P^{2} &= \{t \geq 0\}, "
     r"& f^{2}(t) &= t \end{aligned}", ["<mtable", "<mtr", "text-align: right", "text-align: left", "ℝ", "≥"]),
    (r"|x| = \begin{cases} x & x \geq 0 \\ -x & \text{otherwise} \end{cases}", ["<mtable", "otherwise"]),
    (r"\nabla f, \partial^c f, \widetilde{\nabla} v, \tilde f'(x), \widetilde{\mathrm{relu}}'(0)",
     ["∇", "∂", 'accent="true"', "˜", "′"]),
    (r"\operatorname{relu}(x) \leq \max(x, 0), x \neq 0, s : \mathbb{R}^p \to \{1, \dots, m\}",
     ["<mi>relu</mi>", "<mi>max</mi>", "≤", "≠", "→", "ℝ", "{"]),
    (r"P^{\alpha}, \mathbf{1}_{P^\alpha}, \text{almost everywhere}", ["<msup><mi>P</mi>", "𝟏", "<mtext>"]),
    (r"\nabla f^{1}(x) = \begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}", ["<mtable", "(", ")"]),
])
def test_the_hard_cases_of_the_docs_become_mathml(tex, expected):
    texmath = _gen_module("texmath")
    math = texmath.tex_to_mathml(tex, display=True)
    assert math.startswith('<math display="block">') and "\\" not in math
    for part in expected:
        assert part in math, part


@requires_latex2mathml
def test_a_piece_table_of_pwverify_becomes_one_mathml_table():
    import pwverify
    texmath = _gen_module("texmath")
    math = texmath.tex_to_mathml(pwverify.parse("relu(-t) + t").representation().to_latex(), display=True)
    assert math.count("<mtr") == 2 and "\\" not in math and "&amp;" not in math


@requires_latex2mathml
@pytest.mark.parametrize("tex", [r"\foo{x}", r"a & b", r"\boxed{x}", r"\mathbf{+}"])
def test_a_formula_that_cannot_be_rendered_stops_the_build(tex):
    texmath = _gen_module("texmath")
    with pytest.raises(texmath.MathError):
        texmath.tex_to_mathml(tex, display=False)
    with pytest.raises(texmath.MathError):
        texmath.render_page_math(f'<p><span class="arithmatex">\\({tex}\\)</span></p>', "page.md")


@requires_latex2mathml
def test_tex_outside_the_formula_markup_stops_the_build():
    texmath = _gen_module("texmath")
    ok = '<p><span class="arithmatex">\\(x\\)</span> <code>\\(kept\\)</code></p>'
    assert texmath.render_page_math(ok, "page.md") == \
        '<p><span class="arithmatex"><math display="inline"><mrow><mi>x</mi></mrow></math></span> ' \
        '<code>\\(kept\\)</code></p>'
    for raw in ("<p>\\(x\\)</p>", "<p>$$x$$</p>", "<p>\\[x\\]</p>"):
        with pytest.raises(texmath.MathError):
            texmath.render_page_math(raw, "page.md")
