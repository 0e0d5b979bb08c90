r"""TeX to MathML at build time, so the site shows every formula with no script and no network.

``pymdownx.arithmatex`` (``generic: true``) leaves each formula of a page as
``<span class="arithmatex">\(...\)</span>`` or ``<div class="arithmatex">\[...\]</div>``;
:func:`render_page_math` replaces their contents with MathML from ``latex2mathml``, adapted
to MathML Core (what Chromium and Firefox draw natively):

* ``aligned`` (the piece tables of ``to_latex``) becomes ``align*``, which latex2mathml knows;
* table alignment and spacing (``columnalign``, ``columnspacing``, ``rowspacing``, not in
  MathML Core) become inline styles;
* ``mathvariant`` other than ``normal`` (``\mathbf{1}``, ``\mathcal``, ...) becomes the
  Unicode mathematical letters, and on ``mtext`` a font style;
* accents (``\tilde``, ``\widetilde``, ``\hat``, ``\dot``) are marked ``accent="true"`` so they
  sit on their base at full size.

A formula that cannot be rendered stops the build (:class:`MathError`): an unknown command
(latex2mathml passes ``\foo`` through as text), output that is not well-formed, an element
outside MathML Core, and raw TeX left in a page's text after the conversion.

>>> print(tex_to_mathml(r"\mathbb{R}^p", display=False))
<math display="inline"><mrow><msup><mi>ℝ</mi><mi>p</mi></msup></mrow></math>
>>> tex_to_mathml(r"\foo x", display=False)
Traceback (most recent call last):
...
texmath.MathError: cannot render \foo x: unknown command \foo
"""

from __future__ import annotations

import html
import re
import unicodedata
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/1998/Math/MathML}"

# the elements of MathML Core (https://www.w3.org/TR/mathml-core/): anything else is not drawn
CORE = {"math", "mi", "mn", "mo", "ms", "mspace", "mtext", "merror", "mfrac", "mpadded", "mphantom",
        "mroot", "mrow", "msqrt", "mstyle", "mmultiscripts", "mover", "mprescripts", "msub", "msubsup",
        "msup", "mtable", "mtd", "mtr", "munder", "munderover", "semantics", "annotation",
        "annotation-xml", "none"}

# what latex2mathml puts over a base for \tilde, \widetilde, \hat, \widehat, \dot, \ddot, \bar, ...
ACCENTS = set("~^\u00af\u00b4\u00a8\u02c7\u02d8\u02d9\u02da\u02dc\u02c6`\u2015\u20db\u20dc\u2192\u2190\u2194")
# ASCII ~ and ^ stretch into huge glyphs in Chromium's math fonts: the modifier letters sit right
_ACCENT_GLYPHS = {"~": "\u02dc", "^": "\u02c6"}
# spaced as TeX spaces them: a/b, the full stop and the dots as letters, the colon as a relation
_SPACING = {"/": "0", ".": "0", "…": "0", "⋯": "0", ":": "0.2778em"}
_PRIMES = {"\u2032", "\u2033", "\u2034"}

_VARIANTS = {"bold": "BOLD", "italic": "ITALIC", "bold-italic": "BOLD ITALIC",
             "double-struck": "DOUBLE-STRUCK", "script": "SCRIPT", "bold-script": "BOLD SCRIPT",
             "fraktur": "FRAKTUR", "bold-fraktur": "BOLD FRAKTUR", "sans-serif": "SANS-SERIF",
             "bold-sans-serif": "SANS-SERIF BOLD", "sans-serif-italic": "SANS-SERIF ITALIC",
             "monospace": "MONOSPACE"}
# letters that Unicode had before the mathematical block, left as holes in it
_HOLES = {"FRAKTUR": "BLACK-LETTER", "ITALIC SMALL H": "PLANCK CONSTANT"}
_TEXT_STYLES = {"bold": "font-weight: bold", "italic": "font-style: italic",
                "bold-italic": "font-weight: bold; font-style: italic",
                "sans-serif": "font-family: sans-serif", "monospace": "font-family: monospace"}

_FORMULA = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)


class MathError(ValueError):
    """A formula of the site that cannot be rendered as MathML."""


def _styled(ch: str, variant: str, tex: str) -> str:
    """One character in a Unicode mathematical alphabet: ``_styled("1", "bold", ...) == "𝟏"``."""
    name = unicodedata.name(ch, "")
    m = re.fullmatch(r"(?:LATIN|GREEK) (CAPITAL|SMALL) LETTER (\w+)|DIGIT (\w+)", name)
    if not m:
        raise MathError(f"cannot render {tex}: no {variant} form of {ch!r}")
    shape = f"{m.group(1)} {m.group(2)}" if m.group(1) else f"DIGIT {m.group(3)}"
    style = _VARIANTS[variant]
    for candidate in (f"MATHEMATICAL {style} {shape}", f"{style} {shape}",
                      f"{_HOLES.get(style, style)} {shape}", _HOLES.get(f"{style} {shape}", "")):
        try:
            return unicodedata.lookup(candidate)
        except KeyError:
            continue
    raise MathError(f"cannot render {tex}: no {variant} form of {ch!r}")


def _lengths(value: str) -> list[str]:
    return value.split() or ["0"]


def _adapt(node: ET.Element, tex: str) -> None:
    """Check one converted formula and rewrite what MathML Core does not draw (in place)."""
    for el in node.iter():
        el.tag = el.tag.removeprefix(NS)
        if el.tag not in CORE:
            raise MathError(f"cannot render {tex}: <{el.tag}> is not MathML Core")
        text = el.text or ""
        command = re.search(r"\\[A-Za-z]+|\\.", text)
        if command:
            raise MathError(f"cannot render {tex}: unknown command {command.group(0)}")
        if el.tag == "mi" and text in {":", "⟨", "⟩"}:
            el.tag = "mo"  # a relation or a fence, spaced like one
            if text != ":":
                el.attrib["stretchy"] = "false"  # \langle without \left keeps its size
        if el.tag == "mo" and len(text) > 1 and text.isalpha():
            el.tag = "mi"  # \max, \operatorname{relu}: a function name, no operator spacing
        variant = el.attrib.get("mathvariant")
        if variant and variant != "normal":
            if el.tag == "mtext" and variant in _TEXT_STYLES:
                el.attrib["style"] = _TEXT_STYLES[variant]
            elif variant in _VARIANTS and el.tag in {"mi", "mn", "mo"}:
                el.text = "".join(_styled(c, variant, tex) for c in text)
            else:
                raise MathError(f"cannot render {tex}: mathvariant {variant} on <{el.tag}>")
            del el.attrib["mathvariant"]
        if el.tag == "mo" and text in _SPACING:
            el.attrib.update(lspace=_SPACING[text], rspace=_SPACING[text])
        if el.tag == "msup" and len(el) == 2 and (el[1].text or "") in _PRIMES and not len(el[1]):
            # f' is f followed by a prime: as a superscript the prime is drawn tiny and far up
            el.tag, el[1].tag = "mrow", "mo"
        if el.tag == "mover" and len(el) == 2 and el[1].tag.removeprefix(NS) == "mo" \
                and (el[1].text or "") in ACCENTS:
            _accent(el)
        if el.tag == "mtable":
            _table_styles(el)


def _accent(over: ET.Element) -> None:
    """An accent that sits on its base; a wide one (``\\widetilde{\\mathrm{relu}}``) spans it."""
    over.attrib["accent"] = "true"
    base, accent = over
    wide = "stretchy" not in accent.attrib  # latex2mathml marks \tilde, \hat but not \widetilde
    if accent.text in _ACCENT_GLYPHS:
        accent.text = _ACCENT_GLYPHS[accent.text]
        accent.attrib["stretchy"] = "false"
    width = len("".join(base.itertext()))
    if wide and width > 1:
        # the system math fonts have no wide tilde or hat that Chromium stretches: scale one
        accent.attrib["style"] = f"transform: scaleX({min(0.6 * width, 3):.1f})"


def _table_styles(table: ET.Element) -> None:
    """``columnalign``/``columnspacing``/``rowspacing`` (MathML 3) as CSS on the cells."""
    spacing = _lengths(table.attrib.pop("columnspacing", "0.8em"))
    # latex2mathml's 3pt between the rows of align* lets a superscript touch the row above
    rows = [f"calc({r} + 0.2em)" for r in _lengths(table.attrib.pop("rowspacing", "0.5ex"))]
    for r, row in enumerate(table):
        cells = list(row)
        for c, cell in enumerate(cells):
            styles = []
            align = cell.attrib.pop("columnalign", None)
            if align in {"left", "right", "center"}:
                styles.append(f"text-align: {align}")
            gap = spacing[min(c, len(spacing) - 1)] if c + 1 < len(cells) else "0"
            styles.append(f"padding: 0 {gap} {rows[min(r, len(rows) - 1)] if r + 1 < len(table) else '0'} 0")
            cell.attrib["style"] = "; ".join(styles)


def _prepare(tex: str) -> str:
    # latex2mathml knows align* (alternately right- and left-aligned columns), not aligned
    return re.sub(r"\\(begin|end)\{aligned\}", r"\\\1{align*}", tex)


def tex_to_mathml(tex: str, display: bool) -> str:
    """One formula (without its delimiters) as a ``<math>`` element; :class:`MathError` if it fails."""
    from latex2mathml.converter import convert
    tex = tex.strip()
    try:
        raw = convert(_prepare(tex), display="block" if display else "inline")
        root = ET.fromstring(raw)
    except Exception as exc:  # latex2mathml raises its own errors and sometimes emits bad XML
        raise MathError(f"cannot render {tex}: {exc}") from exc
    _adapt(root, tex)
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


_NOT_TEXT = re.compile(r"<(pre|code|script|style|math|textarea)\b.*?</\1>|<[^>]*>", re.S | re.I)


def raw_tex(page_html: str) -> list[str]:
    r"""The TeX delimiters (``\(``, ``\[``, ``$$``) left in a page's text, outside code and math."""
    text = html.unescape(_NOT_TEXT.sub(" ", page_html))
    return [text[max(0, m.start() - 30):m.end() + 30] for m in re.finditer(r"\\\(|\\\[|\$\$", text)]


def render_page_math(page_html: str, where: str = "") -> str:
    """Every arithmatex formula of a page as MathML; :class:`MathError` if one fails or TeX is left."""
    def one(m: re.Match) -> str:
        tag, body = m.group(1), html.unescape(m.group(2)).strip()
        opening, closing = (r"\[", r"\]") if tag == "div" else (r"\(", r"\)")
        if not (body.startswith(opening) and body.endswith(closing)):
            raise MathError(f"{where}: unexpected formula markup {m.group(0)[:80]!r}")
        try:
            math = tex_to_mathml(body[2:-2], display=tag == "div")
        except MathError as exc:
            raise MathError(f"{where}: {exc}") from exc
        return f'<{tag} class="arithmatex">{math}</{tag}>'

    out = _FORMULA.sub(one, page_html)
    left = raw_tex(out)
    if left:
        raise MathError(f"{where}: TeX left unrendered: {left[:3]}")
    return out
