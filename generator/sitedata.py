"""Machine-readable outputs: /papers.json, /sitemap.xml, /robots.txt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import orjson

from generator.cache import DIGEST_SIZE
from generator.config import SiteConfig
from generator.index import SiteIndex, paper_url
from generator.models import Paper


PAPERS_PER_PIECE = 1000
_RECORDS = b',"papers":['  # what precedes the first record
_BETWEEN = b'},{"slug":'  # between two records (never inside one: JSON escapes '"' in a string)
_END = b"]}\n"


def papers_json(site: SiteConfig, index: SiteIndex, per_piece: int = PAPERS_PER_PIECE,
                previous: tuple[Path, bytes] | None = None) -> Iterator[bytes]:
    """Every entry as data, so the feed's content outlives any host: compact UTF-8 JSON, as
    json.dumps(data, ensure_ascii=False, separators=(",", ":")) writes it.

    Made in pieces of `per_piece` papers, written away as they come: the file holds every
    entry (200 MB at 100,000 papers), and made whole, with its dicts, it was the biggest
    thing a build's worker held. `previous` (a rebuild): the output's papers.json and the
    digests of the entries its records were made from, in order (`record_digests`); the
    records of entries that did not change are copied from it, each run of them at once."""
    head = {"version": 1, "title": site.title, "id": site.id, "home_page_url": site.base_url}
    yield orjson.dumps(head)[:-1] + _RECORDS  # orjson: four times as fast as json
    papers = index.papers
    old = _previous_records(*previous) if previous else None
    if old is not None:
        yield from _reusing(site, papers, *old)
    else:
        for start in range(0, len(papers), per_piece):
            piece = orjson.dumps([_paper_data(site, paper) for paper in papers[start:start + per_piece]])
            yield (b"," if start else b"") + piece[1:-1]
    yield _END


def record_digests(index: SiteIndex) -> bytes:
    """The digests of the entries papers.json's records are made from, in its order."""
    return b"".join(paper.identity() for paper in index.papers)


def _previous_records(path: Path, digests: bytes) -> tuple[memoryview, list[int], dict[bytes, int]] | None:
    """The previous file's records (as one view of its bytes), where each one starts, and the
    record each entry digest made; None unless the file holds as many records as `digests`
    names (a file that is not the one they describe is not copied from)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    first = data.find(_RECORDS) + len(_RECORDS)
    count = len(digests) // DIGEST_SIZE
    if first < len(_RECORDS) or not data.endswith(_END) or count == 0:
        return None
    starts, at = [first], data.find(_BETWEEN, first)
    while at >= 0 and len(starts) <= count:
        starts.append(at + 2)  # the next record's '{'
        at = data.find(_BETWEEN, at + len(_BETWEEN))
    if len(starts) != count:
        return None
    starts.append(len(data) - len(_END) + 1)  # one past the last record, as if a ',' followed it
    where = {digests[i * DIGEST_SIZE:(i + 1) * DIGEST_SIZE]: i for i in range(count)}
    return memoryview(data), starts, where


def _reusing(site: SiteConfig, papers: tuple[Paper, ...], data: memoryview, starts: list[int],
             where: dict[bytes, int]) -> Iterator[bytes | memoryview]:
    """The records of `papers`, joined by commas: consecutive old records as one slice of the
    old file (one new entry on top of 10,000: two pieces), new ones made. A run is copied only
    if its first and last records are its papers' (a file not made from `where` is not used)."""
    old = [where.get(key) for key in map(Paper.identity, papers)]
    pieces: list[bytes | memoryview] = []
    at = 0
    while at < len(papers):
        end = at + 1
        if old[at] is not None:
            while end < len(papers) and old[end] == old[end - 1] + 1:  # type: ignore[operator]
                end += 1
            first, last = old[at], old[end - 1]
            if _begins(data, starts[first], papers[at]) and _begins(data, starts[last], papers[end - 1]):
                pieces.append(data[starts[first]:starts[last + 1] - 1])  # without the ',' after it
                at = end
                continue
            end = at + 1
        pieces.append(orjson.dumps(_paper_data(site, papers[at])))
        at = end
    for number, piece in enumerate(pieces):
        if number:
            yield b","
        yield piece


def _begins(data: memoryview, start: int, paper: Paper) -> bool:
    """Whether the record at `start` is `paper`'s."""
    begin = b'{"slug":' + orjson.dumps(paper.slug) + b","
    return data[start:start + len(begin)] == begin


def _paper_data(site: SiteConfig, paper: Paper) -> dict:
    """One paper's record, without its empty fields. Dates and tuples go to orjson as they are
    (it writes them as ISO dates and arrays): converting each first was half the file's cost."""
    item = {
        "slug": paper.slug,
        "url": site.base_url + paper_url(paper.slug),
        "title": paper.title,
        "authors": paper.authors,
        "author_count": paper.shown_author_count,
        "organization": paper.organization,
        "published": paper.published,
        "added": paper.added,
        "abstract": paper.abstract,
        "arxiv": paper.arxiv,
        "links": dict(paper.links) if paper.links else None,
        "tags": paper.tags,
        "upvotes": paper.upvotes,
        "submitted_by": paper.submitted_by,
        "note": paper.note,
    }
    return {k: v for k, v in item.items() if v is not None and v != ()}


def sitemap_xml(site: SiteConfig, urls: list[tuple[str, str | None]]) -> str:
    """`urls`: (site-relative URL, last-modified date or None) of every HTML page."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, lastmod in urls:
        mod = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        lines.append(f"<url><loc>{escape(site.base_url + url)}</loc>{mod}</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots_txt(site: SiteConfig) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.base_url}sitemap.xml\n"
