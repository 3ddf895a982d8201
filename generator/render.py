"""Pages to make: one method per kind of page, each queueing Jobs.

Each page's template context is `site`, `page` (a PageMeta) and the
kind-specific names listed in each function's call to `_render` (for paper
and listing pages, in `_paper_context` and `_listing_context`), plus the
globals `url()`, `abs_url()`, `card(paper, heading, link_day)` and
`jsonld(paper)`. That is the whole contract between the generator and a theme.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jinja2
from markupsafe import Markup

from generator.config import SiteConfig
from generator.index import (
    MAIN_FEEDS, Group, SiteIndex, feed_urls_of, group_feed_urls, month_key, output_path, paginate, paper_url,
    week_key,
)
from generator.views import FeedLink, Link, PaperView, PaperViews, SiteView
from generator.errors import BuildFailed, Problem
from generator.jobs import Job
from generator.theme import template_problem
from generator.parallel import parallel_map

CARD_TEMPLATE = "partials/card.html"
LISTING_HEADING = 2
SHARED_CARD_HEADINGS = (LISTING_HEADING, 3)  # the cards on listings and in related lists (linking their day)
FEED_TITLES = {"application/atom+xml": "Atom", "application/rss+xml": "RSS", "application/feed+json": "JSON Feed"}


@dataclass(frozen=True)
class PageMeta:
    """What <head> needs, for every page."""

    title: str  # the document title, without the site's name
    url: str  # site-relative
    description: str
    feeds: tuple[FeedLink, ...]
    kind: str  # home | day | week | month | tag | author | organization | paper | tags | 404 | ...
    prev_url: str | None = None  # rel=prev / rel=next of paginated listings
    next_url: str | None = None
    og_type: str = "website"
    noindex: bool = False


@dataclass(frozen=True)
class Pagination:
    number: int
    count: int
    prev_url: str | None
    next_url: str | None


@dataclass
class Renderer:
    env: jinja2.Environment
    site: SiteConfig
    site_view: SiteView
    index: SiteIndex
    views: PaperViews
    related: dict[str, tuple]
    jobs: list[Job]  # what this renderer produces: one Job per output file, made later
    template_digest: Callable[[str], bytes]
    # A rebuild's knowledge of the output it updates: each file's fingerprint as the build that
    # wrote it recorded (the cache's `outputs`), and the digest of the settings.
    known_outputs: Mapping[str, bytes] = field(default_factory=dict)
    settings_digest: bytes = b""
    main_feeds: tuple[FeedLink, ...] = field(init=False)
    carried: list[str] = field(init=False)  # the output's files known current: no Job queued for them
    carried_groups: set[str] = field(init=False)  # the groups whose feeds those are (feed_jobs skips them)
    carried_feeds: int = field(init=False)  # how many of the files are feeds
    feed_keys: dict[str, bytes] = field(init=False)  # group URL -> its feeds' fingerprint, for feed_jobs

    def __post_init__(self) -> None:
        base = self.site.base_path
        self.env.globals.update(
            url=lambda path="": base + path,
            abs_url=lambda path="": self.site.base_url + path,
            card=self._card,
            jsonld=lambda paper: _jsonld(self.site, paper),  # made when the page is, on any core
        )
        # As UTF-8: half the memory of a str for most cards (a card with one character beyond
        # Latin-1 — an ellipsis, a curly quote — is two bytes a character as a str): 500 MB of
        # cards at 100,000 papers. Decoding one where it is shown costs a microsecond.
        self._cards_made: dict[tuple, bytes | CardPatch] = {}
        self._salts: dict[str, bytes] = {}
        self._weeks = {g.key: g for g in self.index.weeks}  # a day's week and month, found without a search
        self._months = {g.key: g for g in self.index.months}
        self.main_feeds = tuple(FeedLink(f"{self.site.title} ({FEED_TITLES[mime]})", url, mime)
                                for url, mime in MAIN_FEEDS)
        self.carried, self.carried_groups, self.carried_feeds, self.feed_keys = [], set(), 0, {}

    def _card(self, paper: PaperView, heading: int = 2, link_day: bool = True) -> Markup:
        """A paper's card, rendered once per build (and process) and reused on every
        listing: a paper appears on its day, week, month, tags, authors and related lists."""
        if not link_day:  # on the page of its own day only, so made once: not kept (100,000 of them)
            return Markup(self._render_card(paper, heading, False))
        return Markup(self._card_bytes(paper, heading, True).decode())

    def _card_bytes(self, paper: PaperView, heading: int, link_day: bool) -> bytes:
        key = (paper.slug, heading, bool(link_day))
        made = self._cards_made.get(key)
        if made is None:
            made = self._cards_made[key] = self._render_card(paper, heading, link_day).encode()
        elif type(made) is tuple:  # a related-list card kept as its difference from the listing card
            return patched(self._card_bytes(paper, LISTING_HEADING, True), made)
        return made

    def _render_card(self, paper: PaperView, heading: int, link_day: bool) -> str:
        return self.env.get_template(CARD_TEMPLATE).render(paper=paper, heading=heading, link_day=link_day)

    def prepare_cards(self, jobs: int | None, known: dict[tuple[bytes, int], bytes | CardPatch],
                      meanwhile: Callable[[], None] | None = None) -> dict[tuple[bytes, int], bytes | CardPatch]:
        """Make, on every core, the cards most pages share — each paper's card on listings
        (heading 2) and in related lists (heading 3) — before the pages are made in worker
        processes, which would otherwise each make their own.

        `known` holds an earlier build's cards (made with the same card template and
        settings) by the digest of what each view is made from; those are not made again.
        `meanwhile()`: this process's own work while the workers make them (parallel_imap).
        Returns this build's shared cards, in the same form."""
        wanted = []
        for slug, digest in self.views.digests.items():
            for heading in SHARED_CARD_HEADINGS:
                html = known.get((digest, heading))
                if html is not None:
                    self._cards_made[(slug, heading, True)] = html
                elif (slug, heading, True) not in self._cards_made:
                    wanted.append((self.views[slug], heading))  # the view made here, not in each worker

        def make(i: int) -> bytes | CardPatch | Problem:
            view, heading = wanted[i]
            try:
                card = self._card_bytes(view, heading, True)
                if heading == LISTING_HEADING:
                    return card
                # Kept as its difference from the same paper's listing card (a heading, in the
                # default theme): a third of the memory, 100 MB at 100,000 papers.
                return patch_of(self._card_bytes(view, LISTING_HEADING, True), card)
            except jinja2.TemplateError as exc:  # made here: a worker's traceback does not travel
                return template_problem(exc)

        # Few chunks: this process hands each out, between its own work (meanwhile).
        made = parallel_map(make, len(wanted), jobs, max_chunk=1 << 20, meanwhile=meanwhile)
        for (view, heading), html in zip(wanted, made):
            if isinstance(html, Problem):
                raise BuildFailed([html])
            self._cards_made[(view.slug, heading, True)] = html
        return {(digest, heading): self._cards_made[(slug, heading, True)]
                for slug, digest in self.views.digests.items() for heading in SHARED_CARD_HEADINGS}

    def _render(self, template: str, page: PageMeta, **context) -> None:
        """Queue one page: the build renders it only when its inputs changed."""
        env, site = self.env, self.site_view

        def make() -> str:
            return env.get_template(template).render(site=site, page=page, **context)

        inputs = (template, page, tuple(sorted(context.items())))
        self.jobs.append(Job(output_path(page.url), inputs, make, self._salt(template)))

    def _render_from(self, template: str, url: str, context: Callable[..., dict], *inputs,
                     fingerprint: bytes = b"") -> None:
        """Queue one page whose context is made only when the page is, as `context(*inputs)`:
        planning and fingerprinting see only the inputs (for pages there is one of per paper
        or per listing page, most of which a rebuild does not make), or the `fingerprint` the
        caller made of them. `context` is a method that reads nothing of the renderer but what
        the site settings make (main_feeds)."""
        job_inputs = (template, *inputs)
        # A partial, not a closure: a build plans 200,000 of these at 100,000 papers.
        make = functools.partial(self._make_page, context, job_inputs)
        self.jobs.append(Job(output_path(url), job_inputs, make, self._salt(template), fingerprint))

    def _make_page(self, context: Callable[..., dict], job_inputs: tuple) -> str:
        template, *inputs = job_inputs
        return self.env.get_template(template).render(site=self.site_view, **context(*inputs))

    def _salt(self, template: str) -> bytes:
        """What a page's fingerprint takes of its templates (cards are called, not included)."""
        salt = self._salts.get(template)
        if salt is None:
            salt = self._salts[template] = self.template_digest(template) + self.template_digest(CARD_TEMPLATE)
        return salt

    def _cards(self, papers) -> tuple[PaperView, ...]:
        return self.views.of(papers)

    # --- listings -----------------------------------------------------------------

    def _periods_of(self, group: Group) -> tuple[Link, ...]:
        """The week and the month a day belongs to, as links ("see also" on day pages)."""
        if not group.papers:
            return ()
        day = group.papers[0].added
        found = (self._weeks.get(week_key(day)), self._months.get(month_key(day)))
        return tuple(Link(g.name, g.url) for g in found if g is not None)

    def home(self) -> None:
        newest = self.index.days[0] if self.index.days else None
        papers = newest.papers[: self.site.per_page] if newest else ()
        earlier = tuple(Link(day.name, day.url) for day in self.index.days[1:31])
        page = PageMeta(self.site.title, "", self.site.description or self.site.title, self.main_feeds, "home")
        self._render("home.html", page, day=_group_link(newest), papers=self._cards(papers),
                     total=len(newest.papers) if newest else 0, earlier_days=earlier,
                     more_days=max(0, len(self.index.days) - 31),
                     periods=self._periods_of(newest) if newest else (),
                     months=tuple(Link(m.name, m.url) for m in self.index.months))

    def listing(self, group: Group, heading: str, description: str,
                prev_link: Link | None = None, next_link: Link | None = None,
                see_also: tuple[Link, ...] = ()) -> None:
        """A group's pages, paginated, and its feeds (feeds.feed_jobs). A page, or the feeds, made
        from what the output's copies were made from queue no Job (as in papers()): one edited
        paper changes one page of each of its tags' listings, and those tags' feeds if it is new."""
        settings, salt, digests_of = self.settings_digest, self._salt("listing.html"), self.views.digests_of
        links = (prev_link, next_link, *see_also)
        group_link = Link(group.name, group.url)
        for page_ in paginate(group.papers, group.url, self.site.per_page):
            texts = (heading, description, str(page_.number), str(page_.count), str(len(group.papers)))
            key = _listing_key(settings + salt, group, texts, links, digests_of(page_.papers))
            if not self._carry(key, (output_path(page_.url),)):
                self._render_from("listing.html", page_.url, self._listing_context, group_link, group.kind, heading,
                                  description, prev_link, next_link, see_also, page_.url, page_.number, page_.count,
                                  page_.prev_url, page_.next_url, self._cards(page_.papers), len(group.papers),
                                  fingerprint=key)
        feeds = [url for url, _ in group_feed_urls(group)]
        if feeds:  # made from the settings, the group and its newest papers' views
            key = _listing_key(settings, group, (), (), digests_of(group.papers[: self.site.feed_items]))
            if self._carry(key, feeds):
                self.carried_groups.add(group.url)
                self.carried_feeds += len(feeds)
            else:
                self.feed_keys[group.url] = key

    def _carry(self, key: bytes, paths: list[str] | tuple[str, ...]) -> bool:
        """Carry `paths` over when the output's build wrote each with this fingerprint."""
        known = self.known_outputs
        if not all(known.get(path) == key for path in paths):
            return False
        self.carried += paths
        return True

    def _listing_context(self, group: Link, kind: str, heading: str, description: str, prev_link: Link | None,
                         next_link: Link | None, see_also: tuple[Link, ...], url: str, number: int, count: int,
                         prev_url: str | None, next_url: str | None, papers: tuple[PaperView, ...],
                         total: int) -> dict:
        group_feeds = tuple(FeedLink(f"{heading} ({FEED_TITLES[mime]})", feed_url, mime)
                            for feed_url, mime in feed_urls_of(kind, group.url))
        title = heading if number == 1 else f"{heading} (page {number} of {count})"
        about = description if number == 1 else f"{description} Page {number} of {count}."
        page = PageMeta(title, url, about, group_feeds + self.main_feeds, kind, prev_url, next_url)
        return dict(page=page, group=group, heading=heading, description=description, kind=kind, papers=papers,
                    total=total, pagination=Pagination(number, count, prev_url, next_url) if count > 1 else None,
                    prev_link=prev_link, next_link=next_link, group_feeds=group_feeds, see_also=see_also)

    def days(self) -> None:
        days = self.index.days
        for i, day in enumerate(days):
            older = Link(days[i + 1].name, days[i + 1].url) if i + 1 < len(days) else None
            newer = Link(days[i - 1].name, days[i - 1].url) if i > 0 else None
            count = len(day.papers)
            self.listing(day, f"Papers of {day.name}",
                         f"{_papers(count)} featured on {day.name}.", older, newer,
                         self._periods_of(day))

    def periods(self) -> None:
        for groups, what in ((self.index.weeks, "week"), (self.index.months, "month")):
            for i, group in enumerate(groups):
                older = Link(groups[i + 1].name, groups[i + 1].url) if i + 1 < len(groups) else None
                newer = Link(groups[i - 1].name, groups[i - 1].url) if i > 0 else None
                self.listing(group, f"Papers of {group.name}",
                             f"{_papers(len(group.papers))} featured in "
                             f"{group.name.lower() if what == 'week' else group.name}, by upvotes.",
                             older, newer)

    def tags(self) -> None:
        for tag in self.index.tags:
            self.listing(tag, f"Papers tagged “{tag.name}”", tag.description or f"Papers tagged {tag.name}.")
        page = PageMeta("Tags", "tags/", f"Every tag of {self.site.title}.", self.main_feeds, "tags")
        self._render("tags.html", page, tags=tuple(_tag_row(t) for t in self.index.tags))

    def people(self) -> None:
        for author in self.index.authors:
            self.listing(author, f"Papers by {author.name}",
                         f"{_papers(len(author.papers))} by {author.name} on {self.site.title}, newest first.")
        for org in self.index.organizations:
            self.listing(org, f"Papers from {org.name}",
                         f"{_papers(len(org.papers))} from {org.name} on {self.site.title}, newest first.")

    # --- single pages -------------------------------------------------------------

    def papers(self) -> None:
        """A page and a BibTeX file per paper, fingerprinted here by their inputs' digests (the
        page key, below). A paper whose files the output holds with that fingerprint queues no
        Job at all, and needs no view: at 10,000 papers, planning and fingerprinting 20,000 Jobs
        cost a rebuild a fifth of a second, and making the views a quarter."""
        shared, digests = self.settings_digest + self._salt("paper.html"), self.views.digests
        for day in self.index.days:
            for i, paper in enumerate(day.papers):
                prev_slug = day.papers[i - 1].slug if i > 0 else None
                next_slug = day.papers[i + 1].slug if i + 1 < len(day.papers) else None
                related = self.related.get(paper.slug, ())
                url = paper_url(paper.slug)
                key = _page_key(shared, paper.slug, [
                    digests[paper.slug], digests[prev_slug] if prev_slug else _NO_PAPER,
                    digests[next_slug] if next_slug else _NO_PAPER, self.views.digests_of(related)])
                if self._carry(key, (output_path(url), url + "paper.bib")):
                    continue
                view = self.views[paper.slug]
                prev_paper = self.views[prev_slug] if prev_slug else None
                next_paper = self.views[next_slug] if next_slug else None
                self._render_from("paper.html", view.url, self._paper_context, view, prev_paper, next_paper,
                                  self._cards(related), fingerprint=key)
                # Made from the view: the page's fingerprint covers it (and more).
                self.jobs.append(Job(view.bibtex_url, view, lambda text=view.bibtex: text, fingerprint=key))

    def _paper_context(self, view: PaperView, prev_paper: PaperView | None, next_paper: PaperView | None,
                       related: tuple[PaperView, ...]) -> dict:
        page = PageMeta(view.title, view.url, view.excerpt, self.main_feeds, "paper", og_type="article")
        return dict(page=page, paper=view, day=Link(view.added_long, view.day_url), related=related,
                    prev_paper=prev_paper, next_paper=next_paper)

    def not_found(self) -> None:
        page = PageMeta("Page not found", "404.html", "This page does not exist.", self.main_feeds, "404",
                        noindex=True)
        self._render("404.html", page)


_NO_PAPER = bytes(16)  # in a page key, where there is no previous or next paper


def _page_key(shared: bytes, slug: str, digests: list[bytes]) -> bytes:
    """A paper page's inputs as its Job would have them — the page's settings and templates
    (`shared`), and the digests of its view, its neighbours' on its day and its related papers'
    (each PaperView.source_digest, of one length: unambiguous) — hashed. The BibTeX file is
    made from the view alone, so it is current when the page is."""
    h = hashlib.blake2b(shared, digest_size=16)
    h.update(slug.encode("utf-8", "surrogatepass") + b"\0")
    h.update(b"".join(digests))
    return h.digest()


def _listing_key(shared: bytes, group: Group, texts: tuple[str, ...], links: tuple[Link | None, ...],
                 digests: bytes) -> bytes:
    """A listing page's or a group's feeds' inputs, hashed: the settings (and templates) in
    `shared`, what the group is, the page's heading, description, number and the like, its
    links to other groups, and its papers' views' digests (PaperView.source_digest) in order."""
    h = hashlib.blake2b(shared, digest_size=16)
    words = [group.kind, group.key, group.name, group.url, group.description, *texts]
    for link in links:
        words += ("-", "") if link is None else ("+" + link.text, link.url)
    h.update("\0".join(words).encode("utf-8", "surrogatepass") + b"\0")
    h.update(digests)
    return h.digest()


CardPatch = tuple[int, bytes, int]  # (length of the common start, the bytes between, length of the common end)


def patch_of(base: bytes, card: bytes) -> CardPatch:
    """`card` as the part where it differs from `base`, found by bisection. Each step compares
    two slices of bytes (memcmp; a memoryview compares item by item, 4x slower a card)."""
    most = min(len(base), len(card))
    low, high = 0, most  # the longest common start
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if base[:middle] == card[:middle] else (low, middle - 1)
    start = low
    low, high = 0, most - start  # the longest common end not overlapping it
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if base[len(base) - middle:] == card[len(card) - middle:] else (low, middle - 1)
    return start, card[start:len(card) - low], low


def patched(base: bytes, patch: CardPatch) -> bytes:
    start, between, end = patch
    return base[:start] + between + base[len(base) - end:]


def _papers(count: int) -> str:
    return f"{count} paper{'s' if count != 1 else ''}"


def _group_link(group: Group | None) -> Link | None:
    return Link(group.name, group.url) if group else None


@dataclass(frozen=True)
class TagRow:
    name: str
    url: str
    count: int
    description: str


def _tag_row(group: Group) -> TagRow:
    return TagRow(group.name, group.url, len(group.papers), group.description)


def _jsonld(site: SiteConfig, paper: PaperView) -> Markup:
    """schema.org ScholarlyArticle; '<' escaped so no content can close the <script>."""
    data = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": paper.title[:110],
        "name": paper.title,
        "url": site.base_url + paper.url,
        "abstract": paper.abstract_text,
        "datePublished": (paper.published or paper.added).isoformat(),
        "keywords": [t.text for t in paper.tags],
    }
    if paper.authors:
        data["author"] = [{"@type": "Person", "name": a.text} for a in paper.authors]
    elif paper.organization:
        data["author"] = {"@type": "Organization", "name": paper.organization.text}
    if paper.arxiv_url:
        data["sameAs"] = paper.arxiv_url
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
