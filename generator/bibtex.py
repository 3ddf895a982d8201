"""A paper's BibTeX entry, as served at /papers/<slug>/paper.bib."""

from __future__ import annotations

import re

from generator.models import Paper

_SPECIAL = re.compile(r"([&%#_])")
_MATH = re.compile(r"(\$[^$]*\$)")
# A backslash before a brace or at the end would make LaTeX read the brace that
# follows (maybe the field's own closing one) as text: it becomes a printed backslash.
# (`\\x` pairs are read first, so `\\\\{` stays a line break and a group.)
_BACKSLASH = re.compile(r"\\(?:([{}])|$|.)", re.S)
_TOUCHED = re.compile(r"[$&%#_\\{}]")  # what _escape changes, besides runs of spaces


def _backslash(m: re.Match) -> str:
    if m.group(1) is not None:
        return "\\textbackslash{}" + m.group(1)
    return "\\textbackslash{}" if m.group() == "\\" else m.group()


def _text(part: str) -> str:
    part = _SPECIAL.sub(r"\\\1", part)
    return _BACKSLASH.sub(_backslash, part) if "\\" in part else part


def _escape(text: str) -> str:
    """Escape BibTeX/LaTeX specials outside $math$ and keep braces balanced,
    for BibTeX (which counts every brace) and for LaTeX (which skips \\{ and \\})."""
    text = " ".join(text.split())
    if not _TOUCHED.search(text):
        return text  # most titles and names: nothing to escape, no braces to balance
    parts = _MATH.split(text)
    escaped = "".join(p if p.startswith("$") and p.endswith("$") and len(p) > 1 else _text(p) for p in parts)
    if "{" not in escaped and "}" not in escaped:
        return escaped  # the common case: nothing to balance
    depth, kept = 0, []
    for ch in escaped:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                continue  # an unbalanced brace would end the field early
            depth -= 1
        kept.append(ch)
    return "".join(kept) + "}" * depth


def bibtex_entry(paper: Paper, url: str) -> str:
    """An @misc entry keyed by the slug (unique and permanent on this site)."""
    day = paper.published or paper.added
    fields = [("title", "{" + _escape(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(_escape(a) for a in paper.authors)))
    elif paper.organization:
        fields.append(("author", "{" + _escape(paper.organization) + "}"))
    fields += [("year", str(day.year)), ("month", str(day.month))]
    if paper.arxiv:
        fields += [("eprint", paper.arxiv), ("archivePrefix", "arXiv")]
        fields.append(("url", f"https://arxiv.org/abs/{paper.arxiv}"))
    else:
        fields.append(("url", paper.link("paper") or paper.link("pdf") or url))
    fields = [(n, v.replace("{", "%7B").replace("}", "%7D")) if n == "url" else (n, v) for n, v in fields]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{paper.slug},\n{body}\n}}\n"
