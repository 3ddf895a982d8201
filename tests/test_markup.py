"""generator.markup: Markdown + TeX -> sanitised HTML, and plain text.

Real libraries throughout (markdown, latex2mathml, nh3); structure is checked
with lxml's HTML parser rather than substrings where it matters.
"""

from __future__ import annotations

import time
from pathlib import Path

import lxml.html
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown import Markdown

from generator import markup
from generator.markup import excerpt, plain_text, render_block, render_inline

SEED = Path("/work/shared/seed/daily-papers-listing.txt")
if not SEED.exists():
    SEED = Path(__file__).resolve().parents[1] / "tests" / "data" / "daily-papers-listing.txt"
NBSP = "\u00a0"


def tree(html: str):
    return lxml.html.fragment_fromstring(html, create_parent="div")


def text_of(html: str) -> str:
    return tree(html).text_content()


def maths(html: str) -> list:
    return list(tree(html).iter("math"))


def annotation(math) -> str:
    (ann,) = math.iter("annotation")
    assert ann.get("encoding") == "application/x-tex"
    assert ann.getparent().tag == "semantics" and ann.getparent().getparent() is math
    return ann.text_content()


def seed_abstracts() -> list[str]:
    if not SEED.exists():
        pytest.skip("seed listing not available")
    text = SEED.read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n\n") if len(p.strip()) > 400]


# --- TeX text escapes ---------------------------------------------------------------------

TEX_ESCAPES = [
    (r"50\% faster", "50% faster"),
    (r"R\&D", "R&D"),
    (r"snake\_case", "snake_case"),
    (r"item \#3", "item #3"),
    (r"costs \$5", "costs $5"),
    (r"Ap\'ery", "Apéry"),
    (r"Ap\'{e}ry", "Apéry"),
    (r"Ap{\'e}ry", "Apéry"),
    (r"G\"odel", "Gödel"),
    (r"G\"{o}del", "Gödel"),
    (r"voil\`a", "voilà"),
    (r"h\^otel", "hôtel"),
    (r"Espa\~na", "España"),
    (r"Gar\c{c}on", "Garçon"),
    (r"\v{S}ibenik", "Šibenik"),
    (r"\=a", "ā"),
    (r"Mart\'{\i}n", "Martín"),
    (r"Stra\ss{}e", "Straße"),
    (r"``low-quality'' data", "“low-quality” data"),
    (r"the `burstiness' problem", "the ‘burstiness’ problem"),
    ("a---b", "a—b"),
    ("pages 10--20", "pages 10–20"),
    ("Fig.~3", f"Fig.{NBSP}3"),
    (r"1, 2, \ldots, n and \dots", "1, 2, …, n and …"),
    (r"\textit{very} \emph{much} \textbf{so}", "very much so"),
]


@pytest.mark.parametrize("source, expected", TEX_ESCAPES)
def test_tex_text_escapes_become_characters(source, expected):
    assert plain_text(source) == expected
    assert plain_text(source, markdown=False) == expected
    assert text_of(render_block(source)) == expected
    assert text_of(render_inline(source)) == expected


def test_tex_emphasis_commands_become_html_emphasis():
    doc = tree(render_block(r"\textit{very} \emph{much} \textbf{so} {\em old}"))
    assert [e.text_content() for e in doc.iter("em")] == ["very", "much", "old"]
    assert [e.text_content() for e in doc.iter("strong")] == ["so"]
    doc = tree(render_inline(r"A \emph{Title} with $x$"))
    assert [e.text for e in doc.iter("em")] == ["Title"]


def test_escaped_markdown_characters_stay_literal():
    html = render_block(r"\_not emphasis\_ and \#1 at \#2")
    assert not tree(html).findall(".//em")
    assert text_of(html) == "_not emphasis_ and #1 at #2"
    assert tree(render_block(r"\# not a heading")).find(".//p") is not None


def test_backtick_code_spans_are_not_tex_quotes():
    doc = tree(render_block("run `x --fast ~/a` and `don't` then `burstiness' stays"))
    assert [c.text for c in doc.iter("code")] == ["x --fast ~/a", "don't"]
    assert doc.text_content().endswith("then ‘burstiness’ stays")
    doc = tree(render_block("the `burstiness' problem and `code` and ``double`` code"))
    assert "‘burstiness’" in doc.text_content()
    assert [c.text for c in doc.iter("code")] == ["code", "double"]


def test_dashes_and_tildes_are_left_alone_in_urls_code_comments_and_rules():
    html = render_block("see https://x.org/~user/a--b for more")
    (a,) = tree(html).iter("a")
    assert a.get("href") == "https://x.org/~user/a--b" and a.text == "https://x.org/~user/a--b"
    assert plain_text("see https://x.org/~user/a--b") == "see https://x.org/~user/a--b"
    assert "a-->b" in text_of(render_block("a-->b"))
    assert text_of(render_block("a <!-- hidden --> b")) == "a  b"
    doc = tree(render_block("above\n\n---\n\nbelow"))
    assert doc.find(".//hr") is not None
    assert plain_text("x----y") == "x----y"


def test_seed_abstracts_resolve_their_tex():
    abstracts = seed_abstracts()
    apery = next(a for a in abstracts if r"Ap\'ery" in a)
    assert "Apéry" in text_of(render_block(apery)) and "Apéry" in plain_text(apery)
    burst = next(a for a in abstracts if "`burstiness'" in a)
    assert "‘burstiness’" in text_of(render_block(burst))
    quoted = next(a for a in abstracts if "``low-quality''" in a)
    assert "“low-quality”" in text_of(render_block(quoted))
    percent = next(a for a in abstracts if r"-30.45\%" in a)
    assert "-30.45%" in text_of(render_block(percent))
    for a in abstracts:  # no TeX escape survives anywhere
        for shown in (text_of(render_block(a)), plain_text(a), excerpt(a)):
            assert "\\'" not in shown and "\\%" not in shown and "``" not in shown


def test_angle_bracket_words_in_abstracts_are_text():
    shown = text_of(render_block("simple <kernel> + <programming model> + <option>"))
    assert shown == "simple <kernel> + <programming model> + <option>"


# --- math ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source, tex, display", [
    ("a $x_1$ b", "x_1", "inline"),
    (r"a \(x_1\) b", "x_1", "inline"),
    ("a $$\\sum_i a_i$$ b", r"\sum_i a_i", "block"),
    ("a \\[\\sum_i a_i\\] b", r"\sum_i a_i", "block"),
])
def test_math_becomes_mathml_with_its_source(source, tex, display):
    for html in (render_block(source), render_inline(source)):
        (math,) = maths(html)
        assert math.get("display") == display
        assert annotation(math) == tex
        assert math.find(".//mrow") is not None
    assert plain_text(source) == source.replace(r"\(", "$").replace(r"\)", "$") \
        .replace("\\[", "$$").replace("\\]", "$$")


def test_underscores_and_stars_inside_math_are_not_emphasis():
    html = render_block("$a_1 * b_2$ and $c_3 * d_4$ and *real emphasis*")
    assert [annotation(m) for m in maths(html)] == ["a_1 * b_2", "c_3 * d_4"]
    assert [e.text for e in tree(html).iter("em")] == ["real emphasis"]
    assert plain_text("$a_1 * b_2$ and $c_*$") == "$a_1 * b_2$ and $c_*$"


def test_math_inside_markdown_and_tex_constructs():
    doc = tree(render_block(r"*see $x^2$* and ``quote $y$''"))
    (em,) = doc.iter("em")
    assert em.find(".//math") is not None
    assert len(maths(render_block(r"*see $x^2$* and ``quote $y$''"))) == 2


def test_hard_tex_renders_without_losing_characters():
    html = render_block(r"$\text{a < b & c}$ and $\mathcal{O}(n \log n)$ and $\sqrt[3]{x}$")
    first, second, third = maths(html)
    assert "a < b & c" in first.find(".//mtext").text_content().replace(NBSP, " ")
    assert annotation(second) == r"\mathcal{O}(n \log n)"
    assert third.find(".//mroot") is not None


@pytest.mark.parametrize("bad", [r"\frac{1}{", "x^{", r"\sqrt", r"\left(", r"\begin{foo}"])
def test_a_formula_latex2mathml_rejects_falls_back_to_code(bad):
    for html in (render_block(f"before ${bad}$ after"), render_inline(f"before ${bad}$ after")):
        doc = tree(html)
        (code,) = doc.iter("code")
        assert code.get("class") == "math-error"
        assert code.text == f"${bad}$"
        assert not maths(html)
    assert plain_text(f"before ${bad}$ after") == f"before ${bad}$ after"


def test_an_unknown_command_does_not_raise():
    # latex2mathml accepts unknown commands (shows them as identifiers)
    (math,) = maths(render_block(r"$\unknowncommandxyz{a}$"))
    assert annotation(math) == r"\unknowncommandxyz{a}"


@pytest.mark.parametrize("source", [
    "costs $5 and $6",
    "from $5-$10",
    "a $ b $ c",
    r"escaped \$x\$ dollars",
    "a lone $ sign",
    "$$",
])
def test_unpaired_and_escaped_dollars_are_literal(source):
    html = render_block(source)
    assert not maths(html)
    assert text_of(html) == source.replace("\\$", "$")
    assert not maths(render_inline(source))
    assert plain_text(source) == source.replace("\\$", "$")


# --- sanitising ---------------------------------------------------------------------------

HOSTILE = [
    r"$\href{javascript:alert(1)}{x}$",
    "$<script>$",
    r"$\text{<script>alert(1)</script>}$",
    r"$\text{</math><img src=x onerror=alert(1)>}$",
    r"\href{javascript:alert(1)}{click}",
    r"\url{javascript:alert(1)}",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<p onclick='alert(1)'>hi</p>",
    '<a href="javascript:alert(1)">x</a> <a href="JaVaScRiPt:alert(1)">y</a>',
    "[x](javascript:alert(1)) [y](data:text/html;base64,PHNjcmlwdD4=)",
    "<svg onload=alert(1)><circle/></svg>",
    "<style>*{display:none}</style>",
    '<iframe src="https://evil.example"></iframe>',
    "<!-- <script>alert(1)</script> -->",
    "x <!-- unclosed comment swallowing <b>markup</b>",
    '<math><mi href="javascript:alert(1)" onclick="x">x</mi></math>',
    '<a href="https://ok.example" title="$x$">t</a>',
    "`<script>alert(1)</script>`",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_cannot_inject(source):
    for html in (render_block(source), render_inline(source)):
        assert "<script" not in html.lower() and "<iframe" not in html.lower()
        for el in tree(html).iter():
            assert el.tag not in ("script", "style", "iframe", "svg", "img", "object"), html
            for name, value in el.attrib.items():
                assert not name.lower().startswith("on"), html
                assert not value.strip().lower().startswith(("javascript:", "data:")), html


def test_safe_links_survive_with_rel():
    source = "[a](https://a.example) [b](http://b.example) [c](mailto:c@example.org)"
    doc = tree(render_block(source))
    links = list(doc.iter("a"))
    assert [a.get("href") for a in links] == ["https://a.example", "http://b.example",
                                              "mailto:c@example.org"]
    assert all(a.get("rel") == "noopener noreferrer" for a in links)


def test_bare_urls_are_linked_without_trailing_punctuation():
    source = (r"Code: https://github.com/a/b/. See (https://x.org/p_(q))"
              r" and \url{https://y.org/a\_b}.")
    doc = tree(render_block(source))
    assert [a.get("href") for a in doc.iter("a")] == [
        "https://github.com/a/b/", "https://x.org/p_(q)", "https://y.org/a_b"]
    assert doc.text_content().endswith("https://y.org/a_b.")


def test_template_syntax_is_just_text():
    for html in (render_block("{{ 7*7 }} {% if x %}"), render_inline("{{ 7*7 }}")):
        assert "{{ 7*7 }}" in text_of(html) and "49" not in html
    assert plain_text("{{ 7*7 }}") == "{{ 7*7 }}"


def test_titles_get_no_markdown():
    html = render_inline("A* Search with *stars* and 1. lists $x$")
    assert "<p>" not in html and not tree(html).findall(".//em")
    assert text_of(html).startswith("A* Search with *stars* and 1. lists ")
    assert plain_text("1. *Not* a list", markdown=False) == "1. *Not* a list"
    assert render_inline("a < b & c") == "a &lt; b &amp; c"


# --- plain text and excerpts --------------------------------------------------------------


def test_plain_text_drops_markup_and_collapses_whitespace():
    assert plain_text("Some **bold** and [a link](https://x.org)\n\n  next\tpara <em>x</em>") == \
        "Some bold and a link next para x"
    assert plain_text("<script>alert(1)</script>visible") == "<script>alert(1)</script>visible"
    assert plain_text(r"$\frac{a}{b}$ \% and $$x$$") == r"$\frac{a}{b}$ % and $$x$$"
    assert plain_text("") == "" and render_block("") == "" and render_inline("") == ""


def test_excerpt_short_text_is_unchanged():
    assert excerpt("Short abstract.") == "Short abstract."
    assert excerpt("x" * 280) == "x" * 280


def test_excerpt_cuts_at_a_word_boundary():
    text = " ".join(f"word{i}" for i in range(200))
    cut = excerpt(text, 50)
    assert cut.endswith("…") and len(cut) <= 50
    assert text.startswith(cut[:-1]) and text[len(cut) - 1] == " "
    assert excerpt("one, two, three four", 11) == "one, two…"  # no dangling comma


def test_excerpt_never_cuts_inside_a_formula_or_hard_cuts_one_long_word():
    cut = excerpt("We bound it by $a_1 + a_2 + a_3 + a_4$ overall.", 30)
    assert cut == "We bound it by…"
    assert excerpt("x" * 400, 10) == "x" * 9 + "…"


def test_excerpt_of_seed_abstracts():
    for a in seed_abstracts():
        cut = excerpt(a)
        assert len(cut) <= 280
        assert cut == plain_text(a) or (cut.endswith("…") and plain_text(a).startswith(cut[:-1]))


# --- determinism, the fast path, robustness -----------------------------------------------


def test_output_is_deterministic():
    abstracts = seed_abstracts()
    first = [render_block(a) for a in abstracts]
    markup._math_html.cache_clear()
    assert [render_block(a) for a in reversed(abstracts)] == first[::-1]


def test_the_paragraph_fast_path_matches_markdown():
    reference = Markdown(output_format="html")
    samples = seed_abstracts() + ["one\n\ntwo\nlines", "a & b &amp; c < d > e", "x_1 y_2 [1] (a)",
                                  "  leading\n\n\n  para  ", r"with $x$ and \_ and \& done",
                                  "a \n", "x\r\ny\r\n\r\nz", "a\n \nb\n\n\n", "a\u00a0\n\nb"]
    fast = 0
    for text in map(markup._clean_input, samples):
        stash: list = []
        source, needed = markup._source(text, stash)
        if not needed:
            fast += 1
            reference.reset()
            assert markup._read(text, [])[1] is None
            assert markup._paragraphs(source) == reference.convert(source), text
    assert fast >= len(samples) // 2


PROSE = st.text(st.sampled_from([chr(c) for c in range(32, 127)] + ["\n", "\t", "\u00a0", "é"]), max_size=80)


@settings(max_examples=400, deadline=None)
@given(PROSE)
@example("AT&T &copy; &#95; &lt;b&gt; x")  # references nh3 resolves: not inert
@example("a\u00a0b")  # nh3 writes a no-break space as &nbsp;
def test_prose_the_sanitiser_would_not_change_skips_it(text):
    """Plain ASCII prose without '&' skips nh3 (markup._inert): the HTML must be what nh3 makes
    of it, for paragraphs and titles alike (texts with '&', "é" or a no-break space still go through it)."""
    def sanitised(source: str) -> str:
        stash: list = []
        read, converted = markup._read(source, stash)
        made = markup._paragraphs(read) if converted is None else converted
        return markup._CLEANER.clean(markup._unstash(made, stash, plain=False)).strip()

    assert render_block(text) == sanitised(text)
    assert render_inline(text) == markup._CLEANER.clean(render_inline(text))
    if markup._inert(text):
        assert markup._CLEANER.clean(markup._paragraphs(text)).strip() == markup._paragraphs(text).strip()


@pytest.mark.parametrize("bad", ["$" * 20000, "`" * 20000, "``" * 5000, r"\(" * 5000,
                                 r"\[" * 5000, r"\textit{" * 3000, "$a" * 5000, "-" * 20000])
def test_pathological_input_stays_fast(bad):
    start = time.perf_counter()
    render_block(bad), render_inline(bad), plain_text(bad), excerpt(bad)
    assert time.perf_counter() - start < 10


def test_block_and_text_know_when_the_text_is_the_words_as_written():
    source = "Plain words,\n  over two lines."
    assert markup.render_block_and_text(source) == (render_block(source), "Plain words, over two lines.", True)
    for source in ("R\\&D and 50\\% more", "*some* emphasis", "a &amp; b", "Fig.~3", "\\(x\\) math"):
        both = markup.render_block_and_text(source)
        assert not both.as_written, source
        assert (both.html, both.text) == (render_block(source), plain_text(source))


@pytest.mark.parametrize("text, cleaned", [("a\x01b\x7fc\td\ne", "abc\td\ne"), ("plain ascii", "plain ascii"),
                                           ("é\x01\x85x\ue000", "éx"), ("a\r\nb\rc", "a\nb\nc")])
def test_control_characters_are_dropped_from_ascii_and_other_text(text, cleaned):
    assert markup._clean_input(text) == cleaned
