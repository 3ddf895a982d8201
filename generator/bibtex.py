"""A paper's BibTeX entry, as served at /papers/<slug>/paper.bib."""

from __future__ import annotations

import re

from generator.models import Paper

_SPECIAL = re.compile(r"([&%#_])")
_MATH = re.compile(r"(\$[^$]*\$)")


def _escape(text: str) -> str:
    """Escape BibTeX/LaTeX specials outside $math$ and keep braces balanced."""
    parts = _MATH.split(" ".join(text.split()))
    escaped = "".join(p if p.startswith("$") and p.endswith("$") and len(p) > 1 else _SPECIAL.sub(r"\\\1", p)
                      for p in parts)
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
