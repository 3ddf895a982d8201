"""Markdown + TeX -> sanitised HTML, and the plain text of the same input.

The one home of the third-party libraries markdown, latex2mathml and nh3, so
each can be swapped here alone. Abstracts come from arXiv, so besides Markdown
we understand the TeX they carry: math ($..$, \\(..\\), $$..$$, \\[..\\]) becomes
MathML at build time, and text escapes (\\%, \\'e, ``..'', --, ~) become the
characters they stand for.

A block goes through: one left-to-right scan (`_scan`) that resolves TeX
text escapes and puts math and the HTML it makes aside behind placeholders,
leaving code spans and URLs alone -> Markdown (skipped for text that has no
Markdown syntax: just paragraphs, 15x faster) -> placeholders become MathML
-> nh3 cleans the FINAL html (MathML included, so hostile TeX cannot inject
anything either), except plain ASCII prose without '&', which it would give
back unchanged.

Pure functions. The only module state is cached library objects (one Markdown
instance, two nh3 cleaners, an lru_cache of formulas); not thread-safe, as
Python-Markdown instances are not: use one process per worker.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple
from xml.etree.ElementTree import SubElement, tostring

import nh3
from latex2mathml.converter import convert_to_element
from markdown import Markdown

__all__ = ["render_block", "render_block_and_text", "render_inline", "plain_text", "excerpt", "shortened"]

# --- sanitiser allow-lists -------------------------------------------------
_TEXT_TAGS = set("""p a em strong code pre ul ol li blockquote br hr h3 h4 h5 h6
    sub sup table thead tbody tfoot tr th td caption""".split())
# What latex2mathml emits (MathML Core + the mstyle/mpadded/menclose it uses).
_MATH_TAGS = set("""math semantics annotation mrow mi mn mo ms mtext mspace msub
    msup msubsup mfrac msqrt mroot mover munder munderover mtable mtr mtd mstyle
    mpadded mphantom menclose merror""".split())
# Layout-only attributes. Left out on purpose: href (\href), mathcolor and
# mathbackground (\color: text that hides itself), anything on*.
_MATH_ATTRS = set("""display xmlns mathvariant mathsize stretchy fence separator
    form lspace rspace accent accentunder columnalign rowspacing columnspacing
    columnlines rowlines displaystyle scriptlevel width height depth voffset
    encoding minsize maxsize movablelimits symmetric largeop linethickness
    notation linebreak""".split())
_CLEANER = nh3.Cleaner(
    tags=_TEXT_TAGS | _MATH_TAGS,
    attributes={"a": {"href", "title"}, "ol": {"start"}, "th": {"colspan", "rowspan"},
                "td": {"colspan", "rowspan"}, **{tag: _MATH_ATTRS for tag in _MATH_TAGS}},
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
# One regex, tried only where _TRIGGER finds a character that can start a
# token (a scan of every position costs ~2 ms an abstract). At a position the
# first alternative that matches wins, and a URL or code span is consumed
# whole, so `--` or `~` inside it is never seen.
_TOKEN = re.compile(r"""
  (?P<DQ>``(?P<dq>[^`]{1,500}?)(?<!\\)'')                         # ``quoted''
| (?P<SQ>(?<![`\w])`(?P<sq>(?:[^`'\n]|'(?=\w)){1,200}?)(?<!\\)'(?![\w']))  # `x'
| (?P<CODE>(?<![\\`])(?P<ticks>`++)(?:[^\n]|\n(?![ \t]*\n))+?(?<!`)(?P=ticks)(?!`))
| (?P<TARGET>\]\([^)\s]*)                         # a Markdown link's target
| (?P<TAG></?(?P<tag>[A-Za-z][\w-]*)(?=[\s/>]))    # <kernel> is text, <b> HTML
| (?P<URL>https?://[^\s<>"'`{}|\[\]$]+)
| (?P<URLCMD>\\url\{(?P<urlarg>[^{}\s]+)\})
| (?P<HREF>\\href\{(?P<href>[^{}\s]+)\}\{(?P<htext>(?:[^{}]|\{[^{}]*\})*)\})
| (?P<DM>\$\$(?P<dm>[^$]+?)\$\$)
| (?P<DM2>\\\[(?P<dm2>(?:[^\\]|\\(?!\[))+?)\\\])    # no nested opener: linear
| (?P<IM2>\\\((?P<im2>(?:[^\\]|\\(?!\())+?)\\\))
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
""", re.X | re.S)
_TRIGGER = re.compile(r"[`\]$\\{~\-:<]")         # ':' stands for "http(s)://"
# A tag we would keep stays HTML; any other <word ...> is text, shown as
# written: arXiv abstracts say "<kernel> + <programming model>", and a
# <script> shown as text is as harmless as one removed.
_HTML_NAMES = _TEXT_TAGS | _MATH_TAGS

_COMBINING = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308",
              "~": "\u0303", "=": "\u0304", ".": "\u0307", "u": "\u0306",
              "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
              "r": "\u030a"}
_LETTERS = {"ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å",
            "AA": "Å", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ"}
# \_ and \# must not become a bare _ or # that Markdown reads as emphasis or
# a heading; a character reference is literal to Markdown.
_MD_ESC = {"_": "&#95;", "#": "&#35;", "&": "&amp;"}
_TAGS = {"textit": "em", "emph": "em", "em": "em", "it": "em", "sl": "em",
         "textbf": "strong", "bf": "strong", "texttt": "code", "tt": "code"}

_SCAN_HINTS = ("$", "\\", "`", "~", "--", "://", "<")  # none: plain prose
# Anything Python-Markdown acts on; text without it is just paragraphs.
# (Intraword _ and [1] without a link target are literal to Markdown too.)
_MD_CHARS = ("*", "_", "]", "<", "`", "\\", "  \n")          # cheap pre-check
_MD_INLINE = re.compile(r"[*`]|<[A-Za-z/!?]|\]\s*[(:\[]|(?<!\w)_|\\[\\`*_{}\[\]()>#+\-.!]|  \n")
_MD_LINE = re.compile(r" {4}|\t|[ \t]*(?:[#>=+*-]|\d+[.)])")   # block syntax
_BARE_AMP = re.compile(r"&(?!#[0-9]+;|#x[0-9a-fA-F]+;|[a-zA-Z0-9]+;)")  # as Markdown
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000\ue001\ufffe\uffff]")
_BAD_ASCII = bytes(c for c in range(128) if _BAD_CHARS.match(chr(c)))
# Where str.split() splits an ASCII text, besides " " and "\n".
_OTHER_ASCII_SPACE = bytes(c for c in range(128) if chr(c).isspace() and chr(c) not in " \n")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_URL_ESC = re.compile(r"\\([_%&#~])")              # arXiv writes foo\_bar in URLs
_PLAIN_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$")
# The rest of a start or end tag after its name, up to its '>'. A tag without
# one is text: Python's HTML parser, under Markdown, reads to the end of the
# text for each unclosed tag (20,000 characters of "<a <a <a" took 40 s).
_TAG_REST = re.compile(r"""(?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>=`]+))?)*\s*/?>""")
_BRACKET = re.compile(r"\\?[\[\]]")
_MAX_BRACKET_DEPTH = 4


def _esc(s: str) -> str:
    return html.escape(s, quote=False)


def _scan(text: str, mode: str, stash: list | None) -> str:
    """Resolve TeX in `text` for `mode`: "md" (Markdown source; math and the
    HTML we make go to `stash`, leaving placeholders Markdown cannot touch),
    "html" (inline HTML) or "plain"."""
    out, pos, at = [], 0, 0
    while t := _TRIGGER.search(text, at):
        p, at = t.start(), t.end()
        if text[p] == "-" and not text.startswith("--", p):
            continue                                   # a hyphen: most hits
        if text[p] == ":":                             # back up to the scheme
            p -= 5 if p >= 5 and text.startswith("https", p - 5) else 4
            if p < pos or not text.startswith("http", p):
                continue
        m = _TOKEN.match(text, p)
        if not m:
            continue
        gap = text[pos:p]
        out.append(_esc(gap) if mode == "html" else gap)
        out.append(_token(m, mode, stash))
        pos = at = m.end()
    out.append(_esc(text[pos:]) if mode == "html" else text[pos:])
    return "".join(out)


def _put(stash: list, *entry) -> str:
    stash.append(entry)
    return f"\ue000{len(stash) - 1}\ue001"


def _token(m: re.Match, mode: str, stash: list | None) -> str:
    kind, g = m.lastgroup, m.group
    if kind in ("DM", "DM2", "IM", "IM2"):
        tex, display = g(kind.lower()).strip(), kind.startswith("D")
        if mode == "md":
            return _put(stash, "math", tex, display)
        return _math_html(tex, display) if mode == "html" else _math_source(tex, display)
    if kind == "TAG" and mode == "md" and (g("tag").lower() not in _HTML_NAMES
                                            or not _TAG_REST.match(m.string, m.end())):
        return "&lt;" + g()[1:]                        # unknown, or never closed: text
    if kind in ("CODE", "TARGET", "TAG"):              # Markdown's own, untouched
        return _esc(g()) if mode == "html" else g()
    if kind in ("URL", "URLCMD"):
        url, tail = g("urlarg") or g(), ""
        while kind == "URL" and (url[-1] in ".,;:!?*_" or (
                url[-1] == ")" and url.count("(") < url.count(")"))):
            url, tail = url[:-1], url[-1] + tail       # sentence punctuation
        url = _URL_ESC.sub(r"\1", url)
        # Link it, unless it already is a link's text or an attribute value.
        before = m.string[m.start() - 1] if m.start() else " "
        if mode == "md" and before not in '<"\'=[':
            link = f'<a href="{html.escape(url)}">{_esc(url)}</a>'
            return _put(stash, "html", link, url) + tail
        return _esc(url + tail) if mode == "html" else url + tail
    if kind == "HREF":
        inner = _scan(g("htext"), mode, stash)
        if mode != "md":                               # no links inside titles
            return inner
        href = html.escape(_URL_ESC.sub(r"\1", g("href")))
        opening = _put(stash, "html", f'<a href="{href}">', "")
        return opening + inner + _put(stash, "html", "</a>", "")
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
        s, a, b = m.string, m.start(), m.end()
        line = s[s.rfind("\n", 0, a) + 1:(s.find("\n", b) + 1 or len(s) + 1) - 1]
        if line.strip() == g():                        # a rule / setext underline
            return g()
        return "—" if len(g()) == 3 else "–"
    if kind == "NBSP":
        return "\u00a0"
    if kind in ("DQ", "SQ"):
        inner = _scan(g("dq") if kind == "DQ" else g("sq"), mode, stash)
        return f"“{inner}”" if kind == "DQ" else f"‘{inner}’"
    # CMD / OLD: \textit{x}, {\em x} ...
    inner = _scan(g("arg") if kind == "CMD" else g("oarg"), mode, stash)
    tag = _TAGS.get(g("cmd") or g("old"))
    if not tag or mode == "plain":
        return inner
    if mode == "html":
        return f"<{tag}>{inner}</{tag}>"
    return _put(stash, "html", f"<{tag}>", "") + inner + _put(stash, "html", f"</{tag}>", "")


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
        # (its convert() unescapes everything) keeps \text{<b>} escaped; only
        # those character references are un-doubled.
        return tostring(root, encoding="unicode").replace("&amp;#x", "&#x")
    except Exception:  # any failure of a third-party parser on author input
        return f'<code class="math-error">{_esc(_math_source(tex, display))}</code>'


def _unstash(s: str, stash: list, plain: bool) -> str:
    def one(m: re.Match) -> str:
        kind, a, b = stash[int(m.group(1))]
        if kind == "math":
            return _esc(_math_source(a, b)) if plain else _math_html(a, b)
        return _esc(b) if plain else a                # plain: still HTML text
    return _PLACEHOLDER.sub(one, s) if stash else s


def _clean_input(text: str) -> str:
    # Control characters are never content; U+E000/E001 are our placeholders.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii():  # most text: bytes.translate looks for the few bad ones 10x faster than a regex
        data = text.encode("ascii")
        if len(data.translate(None, _BAD_ASCII)) == len(data):
            return text
    return _BAD_CHARS.sub("", text) if _BAD_CHARS.search(text) else text


def _source(text: str, stash: list) -> tuple[str, bool]:
    """Markdown source with TeX resolved, and whether Markdown has work in it."""
    if any(h in text for h in _SCAN_HINTS):
        text = _scan(text, "md", stash)
    needed = (any(c in text for c in _MD_CHARS) and bool(_MD_INLINE.search(text))) or any(
        _MD_LINE.match(line) for line in text.split("\n"))
    return (_set_brackets_aside(text, stash) if needed else text), needed


def _set_brackets_aside(text: str, stash: list) -> str:
    """Python-Markdown looks for the ']' of each '[' by reading on, so every '['
    never closed (or nested deep) makes it read the rest of the text again: 20,000
    of them took minutes. Such a bracket cannot start a link; it goes aside as a
    plain character, as math does, and comes back after Markdown."""
    if text.count("[") < 16:
        return text
    open_at: list[int] = []
    aside: list[int] = []
    for m in _BRACKET.finditer(text):
        if len(m.group()) == 2:                        # \[ or \]: Markdown's own escape
            continue
        if m.group() == "[":
            open_at.append(m.start())
        elif open_at:
            start = open_at.pop()
            if len(open_at) >= _MAX_BRACKET_DEPTH:
                aside += (start, m.start())
    aside += open_at
    if not aside:
        return text
    pieces, last = [], 0
    for at in sorted(aside):
        pieces += (text[last:at], _put(stash, "html", text[at], text[at]))
        last = at + 1
    pieces.append(text[last:])
    return "".join(pieces)


def _convert(text: str) -> str | None:
    """Python-Markdown's HTML; None for input nested deeper than its recursion allows
    (thousands of nested list items): the caller shows that text as plain paragraphs."""
    global _MD
    _MD.reset()
    try:
        return _MD.convert(text)
    except RecursionError:
        _MD = Markdown(output_format="html")  # one stopped half way keeps its state: start afresh
        return None


def _read(text: str, stash: list) -> tuple[str, str | None]:
    """A block's Markdown source with TeX resolved, and its HTML from Markdown (None for
    plain paragraphs: no Markdown in it, or too deeply nested for Python-Markdown)."""
    source, needed = _source(_clean_input(text), stash)
    return source, (_convert(source) if needed else None)


def _ampersands_escaped(text: str) -> str:
    return _BARE_AMP.sub("&amp;", text) if "&" in text else text  # as Markdown escapes them


def _paragraphs(text: str) -> str:
    """Plain paragraphs (most abstracts) as Markdown would write them, ~15x faster."""
    text = _ampersands_escaped(text).replace("<", "&lt;").replace(">", "&gt;")
    paras = (p.lstrip().rstrip("\n") for p in _BLANK_LINES.split(text))
    return "\n".join(f"<p>{p}</p>" for p in paras if p.strip())


def _inert(text: str) -> bool:
    """Whether `text`, escaped here (only & < > become references; paragraphs become <p>), is
    what the sanitiser would give back unchanged: ASCII (no no-break space for it to write as
    &nbsp;) and no '&' (no reference for it to resolve). Most abstracts and titles: skipping the
    sanitiser for them saves ~20 µs each (tests/test_markup.py holds the two to the same HTML)."""
    return text.isascii() and "&" not in text


def _html(source: str, converted: str | None, stash: list) -> str:
    """The sanitised HTML of what _read made."""
    if converted is None and not stash and _inert(source):
        return _paragraphs(source).strip()
    made = _paragraphs(source) if converted is None else converted
    return _CLEANER.clean(_unstash(made, stash, plain=False)).strip()


def render_block(text: str) -> str:
    """Markdown with TeX (abstracts, notes) -> a sanitised HTML fragment."""
    stash: list = []
    return _html(*_read(text, stash), stash)


class Block(NamedTuple):
    html: str  # render_block(text)
    text: str  # plain_text(text)
    as_written: bool  # True: `text` is the source's words as written, " ".join(source.split())


def render_block_and_text(text: str) -> Block:
    """render_block(text) and plain_text(text) at once: both begin by reading the text the
    same way (TeX, then Markdown), a third of an abstract's cost."""
    stash: list = []
    source, converted = _read(text, stash)
    block, plain = _html(source, converted, stash), _plain(source, converted, stash)
    # Nothing in it was markup (the text came through unchanged; a no-break space would collapse
    # otherwise): known here, where a caller would compare the plain text with the source's words.
    as_written = plain == text and "\u00a0" not in text
    return Block(block, _collapsed(plain), as_written)


def render_inline(text: str) -> str:
    """A title -> sanitised inline HTML: plain text plus math and TeX escapes;
    no Markdown (a `*` in a title is an asterisk), no wrapping <p>."""
    text = _clean_input(text).strip()
    if any(h in text for h in _SCAN_HINTS):
        return _CLEANER.clean(_scan(text, "html", None))
    return _esc(text) if _inert(text) else _CLEANER.clean(_esc(text))


def plain_text(text: str, *, markdown: bool = True) -> str:
    """Text without any markup: TeX escapes resolved, math kept as `$tex$`,
    whitespace collapsed. Markdown syntax is removed too (a link becomes its
    text); pass markdown=False for titles, where `*` or `1.` are literal."""
    if not markdown:
        text = _clean_input(text)
        return _collapsed(_scan(text, "plain", None) if any(h in text for h in _SCAN_HINTS) else text)
    stash: list = []
    return _collapsed(_plain(*_read(text, stash), stash))


def _plain(source: str, converted: str | None, stash: list) -> str:
    """The text of what _read made, markup gone, whitespace not yet collapsed."""
    out = _ampersands_escaped(source) if converted is None else _TEXT_ONLY.clean(converted)
    return html.unescape(_unstash(out, stash, plain=True))


def _collapsed(text: str) -> str:
    """Whitespace collapsed to single spaces. str.split() is the fast way, but must not eat
    the U+00A0 that ~ made."""
    if text.isascii():  # most abstracts: lines of single spaces, whose only change is "\n" -> " "
        spaced = text.strip(" \n").replace("\n", " ")
        if "  " not in spaced and len(data := spaced.encode("ascii")) == len(data.translate(None, _OTHER_ASCII_SPACE)):
            return spaced  # " ".join(text.split()) in a tenth of the time
    if "\u00a0" not in text:
        return " ".join(text.split())
    return " ".join(text.replace("\u00a0", "\ue000").split()).replace("\ue000", "\u00a0")


def excerpt(text: str, limit: int = 280) -> str:
    """plain_text(text) cut at a word boundary to at most `limit` characters,
    the "…" included, never inside a formula."""
    return shortened(plain_text(text), limit)


def shortened(s: str, limit: int = 280) -> str:
    """Plain text (as plain_text makes it) cut as `excerpt` cuts it."""
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
