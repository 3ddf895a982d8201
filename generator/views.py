"""What templates see: views made from the models, written down in one place.

Templates never see a `Paper` or a `SiteConfig`; they see these frozen
views, so internals can change behind them. Every field a template may use
is listed here, and every optional one is None or empty when an entry does
not have it (a template shows only what is there).
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from generator import markup
from generator.bibtex import bibtex_entry
from generator.cache import pickling_copy
from generator.config import SiteConfig
from generator.index import SiteIndex, day_url, long_date, paper_url
from generator.models import Paper

_SLUG = operator.attrgetter("slug")

LINK_LABELS = {"pdf": "PDF", "code": "Code", "project": "Project page", "paper": "Paper", "video": "Video",
               "data": "Data", "demo": "Demo", "blog": "Blog post"}


@dataclass(frozen=True)
class Link:
    text: str
    url: str  # site-relative ("tags/x/") for internal links, absolute for external ones


@dataclass(frozen=True)
class FeedLink:
    title: str
    url: str  # site-relative
    type: str  # MIME type, for <link rel="alternate" type=...>


@dataclass(frozen=True)
class SiteView:
    title: str
    description: str
    base_url: str
    base_path: str
    language: str
    author: str
    search: bool


@dataclass(frozen=True, slots=True)
class PaperView:
    slug: str
    url: str
    title: str  # plain text
    title_html: str  # sanitised, with math
    excerpt: str  # plain text, the abstract's first lines
    excerpt_html: str  # the same excerpt as sanitised inline HTML, its formulas as MathML
    abstract_html: str
    abstract_text_made: str | None  # see abstract_text
    abstract_source: str  # the entry's Markdown, as written
    note_html: str | None
    authors: tuple[Link, ...]
    author_count: int | None
    organization: Link | None
    published: date | None
    published_long: str | None
    added: date
    added_long: str
    day_url: str  # the page of the day it was featured
    upvotes: int
    tags: tuple[Link, ...]
    links: tuple[Link, ...]  # PDF, code, project … in FORMAT.md's order
    arxiv: str | None
    arxiv_url: str | None
    pdf_url: str | None
    code_url: str | None
    submitted_by: str | None
    bibtex: str
    bibtex_url: str
    # What the view is made from (the entry and the addresses of its authors, organization
    # and tags), hashed: lets a build fingerprint pages without hashing whole views.
    source_digest: bytes = b""

    @property
    def abstract_text(self) -> str:
        """The abstract as plain text, whole. Most abstracts are plain text already: theirs is
        their words as written, made where it is used rather than kept for every paper."""
        made = self.abstract_text_made
        return made if made is not None else collapsed(self.abstract_source)


def collapsed(text: str) -> str:
    return " ".join(text.split())


def site_view(site: SiteConfig) -> SiteView:
    return SiteView(site.title, site.description, site.base_url, site.base_path, site.language,
                    site.author, site.search)


@dataclass(frozen=True, slots=True)
class TextPieces:
    """An entry's Markdown, math and BibTeX, made: the costly part of a view, cached by the build
    (for one entry and one site address). Slots: a build holds one per paper, and pickling a
    plain instance gives it a dict of its own for good."""

    title: str
    title_html: str
    excerpt: str
    excerpt_html: str
    abstract_html: str
    abstract_text: str | None  # None: it is collapsed(the abstract) (see PaperView.abstract_text)
    note_html: str | None
    bibtex: str

    def fields(self) -> tuple:
        """The fields in order: TextPieces(*fields) makes the same pieces."""
        return _TEXT_FIELDS(self)

    def __reduce__(self) -> tuple:
        # As models.Paper: the slots default restores fields in a Python loop, twice as slow. The
        # texts that are not ASCII pickle as copies (see cache.pickling_copy), one per string.
        copies: dict[int, str] = {}
        return TextPieces, tuple([None if text is None else copies.setdefault(id(text), pickling_copy(text))
                                  for text in self.fields()])


_TEXT_FIELDS = operator.attrgetter(*TextPieces.__slots__)


def text_pieces(paper: Paper, base_url: str) -> TextPieces:
    title = markup.plain_text(paper.title, markdown=False)
    abstract = markup.render_block_and_text(paper.abstract)
    excerpt = markup.shortened(abstract.text)
    return TextPieces(
        title=title,
        title_html=_same_or(title, markup.render_inline(paper.title)),
        excerpt=excerpt,
        excerpt_html=_same_or(excerpt, markup.render_inline(excerpt)),
        abstract_html=abstract.html,
        abstract_text=None if abstract.as_written else _unless_collapsed(abstract.text, paper.abstract),
        note_html=markup.render_block(paper.note) if paper.note else None,
        bibtex=bibtex_entry(paper, base_url + paper_url(paper.slug)),
    )


def _unless_collapsed(text: str, source: str) -> str | None:
    """None where the plain text is the source's words as written: 100 MB at 100,000 papers."""
    return None if text == collapsed(source) else text


def _same_or(text: str, html: str) -> str:
    """One string where the HTML is the plain text (most titles): a build keeps 100,000 of them."""
    return text if html == text else html


def paper_views(site: SiteConfig, index: SiteIndex, texts: dict[str, TextPieces] | None = None) -> PaperViews:
    """A view per paper; `texts` (slug → TextPieces) when the caller has them already."""
    return PaperViews(site, index, texts or {})


class PaperViews(Mapping[str, PaperView]):
    """slug → the paper's view, each made when first asked for, and `digests`: slug → the
    digest of what its view is made from (PaperView.source_digest), for every paper at once.
    A rebuild that carries most pages over (render.Renderer) asks for a few views of thousands:
    making each costs four times its digest."""

    def __init__(self, site: SiteConfig, index: SiteIndex, texts: dict[str, TextPieces]) -> None:
        self._papers = {paper.slug: paper for paper in index.papers}
        self._addresses = _AddressBook(index)
        self._texts, self._base_url = texts, site.base_url
        self._made: dict[str, PaperView] = {}
        self.digests = {paper.slug: _source_digest(paper, *self._addresses.of(paper)) for paper in index.papers}

    def __getitem__(self, slug: str) -> PaperView:
        view = self._made.get(slug)
        if view is None:
            paper = self._papers[slug]
            text = self._texts.get(slug) or text_pieces(paper, self._base_url)
            view = self._made[slug] = paper_view(paper, text, self._addresses.of(paper), self.digests[slug])
        return view

    def of(self, papers: Sequence[Paper]) -> tuple[PaperView, ...]:
        """The papers' views, in order: the views made already found at C speed (a cold build
        asks for 150,000 at 10,000 papers, its listings' cards)."""
        try:
            return tuple(map(self._made.__getitem__, map(_SLUG, papers)))
        except KeyError:
            return tuple(self[paper.slug] for paper in papers)

    def digests_of(self, papers: Sequence[Paper]) -> bytes:
        """The papers' views' digests (see `digests`), joined at C speed: a rebuild asks this of
        every listing page and every paper's related papers, to key them."""
        return b"".join(map(self.digests.__getitem__, map(_SLUG, papers)))

    def __contains__(self, slug: object) -> bool:  # without making the view, as Mapping's would
        return slug in self._papers

    def __iter__(self) -> Iterator[str]:
        return iter(self._papers)

    def __len__(self) -> int:
        return len(self._papers)


Addresses = tuple[tuple[Link, ...], Link | None, tuple[Link, ...]]


class _AddressBook:
    """The pages a paper's view links to: its authors', its organization's and its tags'.
    One Link per name, shared by every paper that names it (an author has dozens)."""

    def __init__(self, index: SiteIndex) -> None:
        self.index = index
        self.authors: dict[str, Link] = {}
        self.organizations: dict[str, Link] = {}
        self.tags: dict[str, Link] = {}

    def of(self, paper: Paper) -> Addresses:
        authors = tuple(self.authors.get(name) or self._add(self.authors, name, self.index.author_url)
                        for name in paper.authors)
        organization = None
        if paper.organization:
            organization = (self.organizations.get(paper.organization)
                            or self._add(self.organizations, paper.organization, self.index.organization_url))
        tags = tuple(self.tags.get(tag) or self._add(self.tags, tag, self.index.tag_url) for tag in paper.tags)
        return authors, organization, tags

    @staticmethod
    def _add(links: dict[str, Link], name: str, url_of: Callable[[str], str]) -> Link:
        link = links[name] = Link(name, url_of(name))
        return link


def paper_view(paper: Paper, text: TextPieces, addresses: Addresses, digest: bytes | None = None) -> PaperView:
    """`digest`: _source_digest(paper, *addresses), when the caller has it already."""
    url = paper_url(paper.slug)
    arxiv_url = f"https://arxiv.org/abs/{paper.arxiv}" if paper.arxiv else None
    pdf_url = paper.link("pdf") or (f"https://arxiv.org/pdf/{paper.arxiv}" if paper.arxiv else None)
    links = [Link("arXiv", arxiv_url)] if arxiv_url else []
    links += [Link(LINK_LABELS[kind], href) for kind, href in paper.links]
    if pdf_url and not paper.link("pdf"):
        links.insert(1, Link("PDF", pdf_url))
    authors, organization, tags = addresses
    return PaperView(
        slug=paper.slug,
        url=url,
        title=text.title,
        title_html=text.title_html,
        excerpt=text.excerpt,
        excerpt_html=text.excerpt_html,
        abstract_html=text.abstract_html,
        abstract_text_made=text.abstract_text,
        abstract_source=paper.abstract,
        note_html=text.note_html,
        authors=authors,
        author_count=paper.shown_author_count,
        organization=organization,
        published=paper.published,
        published_long=long_date(paper.published) if paper.published else None,
        added=paper.added,
        added_long=long_date(paper.added),
        day_url=day_url(paper.added),
        upvotes=paper.upvotes,
        tags=tags,
        links=tuple(links),
        arxiv=paper.arxiv,
        arxiv_url=arxiv_url,
        pdf_url=pdf_url,
        code_url=paper.link("code"),
        submitted_by=paper.submitted_by,
        bibtex=text.bibtex,
        bibtex_url=url + "paper.bib",
        source_digest=digest or _source_digest(paper, *addresses),
    )


def _source_digest(paper: Paper, authors: tuple[Link, ...], organization: Link | None,
                   tags: tuple[Link, ...]) -> bytes:
    h = hashlib.blake2b(paper.identity(), digest_size=16)
    urls = [link.url for link in authors] + [organization.url if organization else ""] + [t.url for t in tags]
    h.update("\0".join(urls).encode("utf-8", "surrogatepass"))
    return h.digest()
