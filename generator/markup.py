"""Markdown + TeX -> sanitised HTML, and the plain text of the same input.

The one home of the third-party libraries markdown, latex2mathml and nh3, so
each can be swapped here alone. Abstracts come from arXiv, so besides Markdown
we understand the TeX they carry: math ($..$, \\(..\\), $$..$$, \\[..\\]) becomes
MathML at build time, and text escapes (\\%, \\'e, ``..'', --, ~) become the
characters they stand for.

A block goes through: one left-to-right scan (`_scan`) that swaps math for
placeholders and resolves TeX text escapes while leaving code spans and URLs
alone -> Markdown -> placeholders become MathML -> nh3 cleans the FINAL html
(MathML included, so hostile TeX cannot inject anything either).

Pure functions. The only module state is cached library objects (one Markdown
instance, two nh3 cleaners, an lru_cache of formulas); not thread-safe, as
Python-Markdown instances are not: use one process per worker.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from xml.etree.ElementTree import SubElement, tostring

import nh3
from latex2mathml.converter import convert_to_element
from markdown import Markdown

__all__ = ["render_block", "render_inline", "plain_text", "excerpt"]

# --- sanitiser allow-lists -------------------------------------------------
_TEXT_TAGS = {
    "p", "a", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote",
    "br", "hr", "h3", "h4", "h5", "h6", "sub", "sup",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
}
# What latex2mathml emits (MathML Core + mstyle/mpadded/menclose it uses).
_MATH_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext",
    "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt", "mroot", "mover",
    "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded",
    "mphantom", "menclose", "merror",
}
# Layout-only attributes. Left out on purpose: href (\href), mathcolor and
# mathbackground (\color: text that hides itself), anything on*.
_MATH_ATTRS = {
    "display", "xmlns", "mathvariant", "mathsize", "stretchy", "fence",
    "separator", "form", "lspace", "rspace", "accent", "accentunder",
    "columnalign", "rowspacing", "columnspacing", "columnlines", "rowlines",
    "displaystyle", "scriptlevel", "width", "height", "depth", "voffset",
    "encoding", "minsize", "maxsize", "movablelimits", "symmetric", "largeop",
    "linethickness", "notation", "linebreak",
}
_CLEANER = nh3.Cleaner(
    tags=_TEXT_TAGS | _MATH_TAGS,
    attributes={
        "a": {"href", "title"},
        "ol": {"start"},
        "th": {"colspan", "rowspan"},
        "td": {"colspan", "rowspan"},
        **{tag: _MATH_ATTRS for tag in _MATH_TAGS},
    },
    allowed_classes={"code": {"math-error"}},
    url_schemes={"http", "https", "mailto"},
    clean_content_tags={"script", "style", "template", "iframe", "noscript",
                        "textarea", "title", "object", "svg"},
)
# For plain_text: drop every tag (and script/style bodies), keep the text.
_TEXT_ONLY = nh3.Cleaner(tags=set(), attributes={},
                         clean_content_tags={"script", "style", "template", "svg"})
# One instance per process, reset per call: building one costs more than a render.
_MD = Markdown(output_format="html")

# --- the TeX / Markdown scanner -------------------------------------------
# One regex, one pass: at each position the first alternative that matches
# wins, so a URL or code span is consumed before `--` or `~` inside it is seen.
_TOKEN = re.compile(r"""
  (?P<DQ>``(?P<dq>[^`]{1,500}?)'')                                # ``quoted''
| (?P<SQ>(?<![`\w])`(?P<sq>(?:[^`'\n]|'(?=\w)){1,200}?)'(?![\w']))  # `quoted'
| (?P<CODE>(?<!\\)(?P<ticks>`+)(?:[^\n]|\n(?![ \t]*\n))+?(?<!`)(?P=ticks)(?!`))
| (?P<RULE>^[ \t]*-{2,}[ \t]*$)                  # <hr> / setext underline
| (?P<TARGET>\]\([^)\s]*)                         # a Markdown link's target
| (?P<URL>https?://[^\s<>"'`{}|\[\]$]+)
| (?P<URLCMD>\\url\{(?P<urlarg>[^{}\s]+)\})
| (?P<HREF>\\href\{(?P<href>[^{}\s]+)\}\{(?P<htext>(?:[^{}]|\{[^{}]*\})*)\})
| (?P<DM>\$\$(?P<dm>[^$]+?)\$\$)
| (?P<DM2>\\\[(?P<dm2>.+?)\\\])
| (?P<IM2>\\\((?P<im2>.+?)\\\))
| (?P<IM>\$(?![\s$])(?P<im>(?:[^$\\\n]|\\.|\n(?![ \t]*\n))+?)(?<!\s)\$(?![\d$]))
| (?P<ESC>\\(?P<esc>[%&_\#$\{\}]))
| (?P<ACC>(?P<ob>\{)?\\(?P<acc>['"`^~=.])
        (?:\{(?P<ab>\\[ij]|[A-Za-z])\}|(?P<ab2>\\[ij]|[A-Za-z]))(?(ob)\}))
| (?P<LACC>(?P<ob2>\{)?\\(?P<lacc>[uvHckr])\{(?P<lb>\\[ij]|[A-Za-z])\}(?(ob2)\}))
| (?P<LETTER>(?P<ob3>\{)?\\(?P<letter>ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)
        (?![A-Za-z])(?:\{\})?(?(ob3)\}))
| (?P<DOTS>\\(?:ldots|dots|textellipsis)(?![A-Za-z])(?:\{\})?)
| (?P<CMD>\\(?P<cmd>textit|emph|textbf|texttt|textsc|textrm|textsf|textup|textnormal|mbox)
        \{(?P<arg>(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\})
| (?P<OLD>\{\\(?P<old>em|it|sl|bf|tt)\s+(?P<oarg>(?:[^{}]|\{[^{}]*\})*)\})
| (?P<DASH>(?<![-!])---?(?![->]))                 # not <!-- or -->
| (?P<NBSP>~)
""", re.X | re.M | re.S)

_COMBINING = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308",
              "~": "\u0303", "=": "\u0304", ".": "\u0307", "u": "\u0306",
              "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
              "r": "\u030a"}
_LETTERS = {"ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å",
            "AA": "Å", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ"}
# Markdown handles \_ \# \{ \} itself; turning them into bare _ or # first
# would let Markdown read them as emphasis or a heading.
_MD_ESC = {"_": r"\_", "#": r"\#", "{": r"\{", "}": r"\}", "&": "&amp;"}
_TAGS = {"textit": "em", "emph": "em", "em": "em", "it": "em", "sl": "em",
         "textbf": "strong", "bf": "strong", "texttt": "code", "tt": "code"}

_NEEDS_SCAN = re.compile(r"[$\\`~]|--|https?://")   # fast path: plain prose
_MD_SYNTAX = re.compile(r"[*_\[\]<>&`#\\]|^[ \t]*(?:\d+[.)]|[-+>=])", re.M)
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ue000\ue001]")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_URL_ESC = re.compile(r"\\([_%&#~])")              # arXiv writes foo\_bar in URLs
_WS = re.compile(r"[ \t\n\r\f\v]+")               # not U+00A0: ~ stays binding
_PLAIN_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$")


def _esc(s: str) -> str:
    return html.escape(s, quote=False)


def _scan(text: str, mode: str, maths: list | None) -> str:
    """Resolve TeX in `text` for `mode`: "md" (Markdown source, math becomes
    placeholders collected in `maths`), "html" (inline HTML) or "plain"."""
    out, pos = [], 0
    for m in _TOKEN.finditer(text):
        gap = text[pos:m.start()]
        out.append(_esc(gap) if mode == "html" else gap)
        out.append(_token(m, mode, maths))
        pos = m.end()
    out.append(_esc(text[pos:]) if mode == "html" else text[pos:])
    return "".join(out)


def _token(m: re.Match, mode: str, maths: list | None) -> str:
    kind, g = m.lastgroup, m.group
    if kind in ("DM", "DM2", "IM", "IM2"):
        tex, display = (g(kind.lower()) or "").strip(), kind.startswith("D")
        if mode == "md":
            maths.append((tex, display))
            return f"\ue000{len(maths) - 1}\ue001"
        return _math_html(tex, display) if mode == "html" else _math_source(tex, display)
    if kind in ("CODE", "RULE", "TARGET"):              # Markdown's, untouched
        return _esc(g()) if mode == "html" else g()
    if kind == "URL":
        url, tail = g(), ""
        while url[-1] in ".,;:!?*_" or (url[-1] == ")" and url.count("(") < url.count(")")):
            url, tail = url[:-1], url[-1] + tail
        url = _URL_ESC.sub(r"\1", url)
        before = m.string[m.start() - 1:m.start()]
        if mode == "md" and before not in ('<', '"', "'", "=", "["):
            return f"<{url}>{tail}"                         # Markdown autolink
        return _esc(url + tail) if mode == "html" else url + tail
    if kind == "URLCMD":
        url = _URL_ESC.sub(r"\1", g("urlarg"))
        return f"<{url}>" if mode == "md" else (_esc(url) if mode == "html" else url)
    if kind == "HREF":
        inner = _scan(g("htext"), mode, maths)
        if mode != "md":                                 # no links inside titles
            return inner
        href = html.escape(_URL_ESC.sub(r"\1", g("href")))
        return f'<a href="{href}">{inner}</a>'
    if kind == "ESC":
        c = g("esc")
        if mode == "md":
            return _MD_ESC.get(c, c)
        return "&amp;" if mode == "html" and c == "&" else c
    if kind in ("ACC", "LACC"):
        base = g("ab") or g("ab2") or g("lb")
        mark = _COMBINING[g("acc") or g("lacc")]
        return unicodedata.normalize("NFC", base[-1] + mark)   # \i -> i
    if kind == "LETTER":
        return _LETTERS[g("letter")]
    if kind == "DOTS":
        return "…"
    if kind == "DASH":
        return "—" if len(g()) == 3 else "–"
    if kind == "NBSP":
        return "\u00a0"
    if kind in ("DQ", "SQ"):
        inner = _scan(g("dq") if kind == "DQ" else g("sq"), mode, maths)
        return f"“{inner}”" if kind == "DQ" else f"‘{inner}’"
    # CMD / OLD: \textit{x}, {\em x} ...
    inner = _scan(g("arg") if kind == "CMD" else g("oarg"), mode, maths)
    tag = _TAGS.get(g("cmd") or g("old"))
    return f"<{tag}>{inner}</{tag}>" if tag and mode != "plain" else inner


def _math_source(tex: str, display: bool) -> str:
    return f"$${tex}$$" if display else f"${tex}$"


@lru_cache(maxsize=8192)
def _math_html(tex: str, display: bool) -> str:
    """MathML for `tex`, its source kept in an annotation; a formula that
    latex2mathml rejects becomes <code class="math-error"> and never raises."""
    try:
        root = convert_to_element(tex, display="block" if display else "inline")
        row = root[0]                       # latex2mathml always wraps one <mrow>
        root.remove(row)
        semantics = SubElement(root, "semantics")
        semantics.append(row)
        SubElement(semantics, "annotation", encoding="application/x-tex").text = tex
        # latex2mathml stores symbols as "&#x...;" text. Serialising ourselves
        # (instead of its convert(), which unescapes everything) keeps \text{<b>}
        # escaped; only those character references are un-doubled.
        return tostring(root, encoding="unicode").replace("&amp;#x", "&#x")
    except Exception:  # any failure of a third-party parser on author input
        return f'<code class="math-error">{_esc(_math_source(tex, display))}</code>'


def _clean_input(text: str) -> str:
    # Control characters are never content; U+E000/E001 are our placeholders.
    return _BAD_CHARS.sub("", text) if _BAD_CHARS.search(text) else text


def _markdown(text: str, maths: list) -> str:
    source = _scan(text, "md", maths) if _NEEDS_SCAN.search(text) else text
    _MD.reset()
    return _MD.convert(source)


def render_block(text: str) -> str:
    """Markdown with TeX (abstracts, notes) -> a sanitised HTML fragment."""
    maths: list = []
    out = _markdown(_clean_input(text), maths)
    if maths:
        out = _PLACEHOLDER.sub(lambda m: _math_html(*maths[int(m.group(1))]), out)
    return _CLEANER.clean(out)


def render_inline(text: str) -> str:
    """A title -> sanitised inline HTML: plain text plus math and TeX escapes;
    no Markdown (a `*` in a title is an asterisk), no wrapping <p>."""
    text = _clean_input(text).strip()
    out = _scan(text, "html", None) if _NEEDS_SCAN.search(text) else _esc(text)
    return _CLEANER.clean(out)


def plain_text(text: str, *, markdown: bool = True) -> str:
    """Text without any markup: TeX escapes resolved, math kept as `$tex$`,
    whitespace collapsed. Markdown syntax is removed too (a link becomes its
    text); pass markdown=False for titles, where `*` or `1.` are literal."""
    text = _clean_input(text)
    if not markdown or not _MD_SYNTAX.search(text):
        out = _scan(text, "plain", None) if _NEEDS_SCAN.search(text) else text
    else:
        maths: list = []
        out = html.unescape(_TEXT_ONLY.clean(_markdown(text, maths)))
        if maths:
            out = _PLACEHOLDER.sub(lambda m: _math_source(*maths[int(m.group(1))]), out)
    return _WS.sub(" ", out).strip(" ")


def excerpt(text: str, limit: int = 280) -> str:
    """plain_text(text) cut at a word boundary to at most `limit` characters,
    the "…" included, never inside a formula."""
    s = plain_text(text)
    if len(s) <= limit:
        return s
    keep = max(limit - 1, 0)                   # room for the ellipsis
    head = s[:keep]
    if s[keep] != " " and " " in head:
        head = head[:head.rfind(" ")]
    for span in _PLAIN_MATH.finditer(s):       # a half formula is worse than none
        if span.start() < len(head) < span.end():
            head = head[:span.start()]
            break
        if span.start() >= len(head):
            break
    head = head.rstrip(" \u00a0,;:(–—-") or s[:keep]
    return head + "…"
