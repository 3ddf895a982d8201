"""RSS 2.0, Atom 1.0, JSON Feed 1.1 and OPML: every feed of the site, in memory.

The one home of feedgen. Ids never derive from `base_url` (FORMAT.md): a
paper is `<site id>:papers/<slug>`, a day of the digest `<site id>:days/<date>`.
Dates are the entries' `added` days at 00:00 UTC and a feed's updated /
lastBuildDate is its newest item's, so unchanged content gives the same bytes.

Speed (a site of 100,000 papers has ~10^5 feeds): each paper's <entry> and <item>
are written once (`_Items`), as text in the bytes feedgen would write (`_item_xml`,
held to feedgen's output by tests), and each format's feed head is made by feedgen
once per build (`_Head`, filled with sentinels, then cut at them); a feed is then
its head filled in plus the cached items joined: work proportional to its items.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from email.utils import format_datetime
from functools import lru_cache
from urllib.parse import urljoin

from feedgen.entry import FeedEntry
from feedgen.ext.dc import DcEntryExtension
from feedgen.feed import FeedGenerator
from feedgen.util import formatRFC2822
from lxml import etree

from generator.config import SiteConfig
from generator.index import (
    ATOM, DIGEST_FEED, JSON_FEED, MAIN_FEEDS, RSS, Group, SiteIndex, group_feed_urls, paper_url,
)
from generator.jobs import Job
from generator.render import PageMeta
from generator.views import PaperView, PaperViews

OPML_FEED = "feeds.opml"
BRIEF_KINDS = ("author", "organization")  # feeds whose items carry the abstract's first lines only
FEEDS_PAGE = "feeds/"
FORMATS = {ATOM: "Atom", RSS: "RSS", JSON_FEED: "JSON Feed"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # `updated` of a feed with no items
_RSS_NS = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/",
           "dc": "http://purl.org/dc/elements/1.1/"}


@dataclass(frozen=True)
class FeedInfo:
    title: str  # the feed's own title, the same for its Atom and RSS
    url: str  # site-relative: "atom.xml", "tags/quantization/feed.xml"
    type: str  # MIME type
    kind: str  # main | digest | tag | author | organization
    name: str  # what it follows: the site's title, a tag, an author, an organization
    page_url: str  # site-relative URL of the HTML page it belongs to
    description: str

    @property
    def format(self) -> str:
        return FORMATS[self.type]


# --- the catalogue --------------------------------------------------------------------

_GROUP_TITLES = {"tag": "papers tagged {}", "author": "papers by {}", "organization": "papers from {}"}


def _group_description(site: SiteConfig, group: Group) -> str:
    if group.kind == "tag" and group.description:
        return group.description
    return f"{_GROUP_TITLES[group.kind].format(group.name).capitalize()} on {site.title}."


def feed_catalogue(site: SiteConfig, index: SiteIndex) -> list[FeedInfo]:
    """Every feed of the site: the main three, the digest, then each tag's,
    author's and organization's Atom and RSS, in the index's order."""
    description = site.description or site.title
    feeds = [FeedInfo(site.title, url, mime, "main", site.title, "", description) for url, mime in MAIN_FEEDS]
    feeds.append(FeedInfo(f"{site.title}: daily digest", DIGEST_FEED, ATOM, "digest", site.title, "",
                          f"One entry a day listing that day's papers on {site.title}."))
    for group in (*index.tags, *index.authors, *index.organizations):
        title = f"{site.title}: {_GROUP_TITLES[group.kind].format(group.name)}"
        about = _group_description(site, group)
        for url, mime in group_feed_urls(group):
            feeds.append(FeedInfo(title, url, mime, group.kind, group.name, group.url, about))
    return feeds


# --- text helpers ---------------------------------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot hold
_XML_SPECIAL = re.compile('[&<>"\x00-\x1f\ufffe\uffff]')
_C0_BYTES = bytes(c for c in range(32) if c not in b"\t\n\r")  # lxml refuses these (and U+FFFE, U+FFFF)
_TEXT_SPECIAL = re.compile("[&<>\r]")
_ATTR_SPECIAL = re.compile('[&<>"\t\n\r]')
_URL_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)"')


def _xml_attr(value: str) -> str:
    """`value` escaped for XML text or a double-quoted attribute."""
    if not _XML_SPECIAL.search(value):
        return value
    value = _NOT_XML.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


def _xml_text(value: str) -> str:
    """`value` escaped as lxml escapes element text (for text that lxml accepts)."""
    if not _TEXT_SPECIAL.search(value):
        return value
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _lxml_attr(value: str) -> str:
    """`value` escaped as lxml escapes a double-quoted attribute (for text that lxml accepts)."""
    if not _ATTR_SPECIAL.search(value):
        return value
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return value.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


def absolute_urls(fragment: str, base_url: str) -> str:
    """Every href/src of a sanitised HTML fragment made absolute against `base_url`
    (feed readers and RSS-to-email services ignore xml:base)."""
    if 'href="' not in fragment and 'src="' not in fragment:
        return fragment  # most excerpts: no link at all

    def fix(m: re.Match) -> str:
        url = urljoin(base_url, html.unescape(m.group(2)))
        return f'{m.group(1)}{html.escape(url)}"'
    return _URL_ATTR.sub(fix, fragment)


def _day_time(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


# --- items: each paper's pieces, made once --------------------------------------------


@dataclass(frozen=True)
class Item:
    """The format-neutral item model; Atom, RSS and JSON Feed are written from it."""

    id: str
    url: str  # absolute
    title: str  # plain text
    date: datetime
    summary: str  # plain text
    content_html: str  # every URL absolute
    authors: tuple[str, ...]  # the authors' names, or the organization's; may be empty
    tags: tuple[str, ...]
    external_url: str | None = None


def paper_item(site: SiteConfig, view: PaperView, brief: bool = False) -> Item:
    """A paper as a feed item. `brief` items (in the many per-author and per-organization
    feeds) carry the abstract's first lines instead of all of it, which keeps those feeds
    small at 100,000 papers; the main and tag feeds carry the whole abstract."""
    links = " · ".join(f'<a href="{html.escape(link.url)}">{html.escape(link.text)}</a>' for link in view.links)
    body = f"<p>{view.excerpt_html}</p>" if brief else view.abstract_html
    content = absolute_urls(body, site.base_url) + (f"\n<p>{links}</p>" if links else "")
    authors = tuple(a.text for a in view.authors) or ((view.organization.text,) if view.organization else ())
    return Item(id=f"{site.id}:papers/{view.slug}", url=site.base_url + paper_url(view.slug), title=view.title,
                date=_day_time(view.added), summary=view.excerpt, content_html=content, authors=authors,
                tags=tuple(t.text for t in view.tags), external_url=view.arxiv_url)


def digest_item(site: SiteConfig, day: Group, views: Mapping[str, PaperView]) -> Item:
    rows = []
    for paper in day.papers:
        view = views[paper.slug]
        rows.append(f'<li><p><a href="{html.escape(site.base_url + view.url)}">{html.escape(view.title)}</a></p>'
                    + (f"<p>{html.escape(view.excerpt)}</p>" if view.excerpt else "") + "</li>")
    count = len(day.papers)
    return Item(id=f"{site.id}:days/{day.key}", url=site.base_url + day.url,
                title=f"{count} paper{'s' if count != 1 else ''} of {day.name}",
                date=_day_time(date.fromisoformat(day.key)),
                summary="; ".join(views[p.slug].title for p in day.papers),
                content_html="<ul>\n" + "\n".join(rows) + "\n</ul>", authors=(), tags=())


def _entry(item: Item) -> FeedEntry:
    entry = FeedEntry()
    entry.register_extension("dc", DcEntryExtension, atom=False, rss=True)
    entry.id(item.id)  # also the RSS guid, isPermaLink="false"
    entry.title(item.title)
    entry.link(href=item.url, rel="alternate", type="text/html")
    entry.updated(item.date)
    entry.published(item.date)
    if item.authors:
        entry.author([{"name": name} for name in item.authors])
        entry.dc.dc_creator(list(item.authors))
    if item.tags:
        entry.category([{"term": tag} for tag in item.tags])
    entry.content(item.content_html, type="html")
    return entry


def _item_xml(item: Item) -> tuple[bytes, bytes]:
    """(<entry> for Atom, <item> for RSS) as UTF-8, serialised once.

    Written directly as text, in exactly the bytes feedgen and lxml write (the
    fallback, `_feedgen_item_xml`; tests/test_render_speed_feeds.py holds the two
    to the same output): feedgen takes ~180 µs an item, this ~25. Items with
    anything feedgen treats specially (an empty title, summary, content or name;
    characters XML cannot hold) go through feedgen itself."""
    if not (item.id and item.url and item.title and item.summary and item.content_html
            and all(item.authors) and all(item.tags)):
        return _feedgen_item_xml(item)
    id_, title, content = _xml_text(item.id), _xml_text(item.title), _xml_text(item.content_html)
    date, url, summary = item.date.isoformat(), _xml_text(item.url), _xml_text(item.summary)
    atom = [f"<entry><id>{id_}</id><title>{title}</title><updated>{date}</updated>"]
    atom += [f"<author><name>{_xml_text(name)}</name></author>" for name in item.authors]
    atom.append(f'<content type="html">{content}</content><link href="{_lxml_attr(item.url)}"/>'
                f"<summary>{summary}</summary>")
    atom += [f'<category term="{_lxml_attr(tag)}"/>' for tag in item.tags]
    atom.append(f"<published>{date}</published></entry>")
    # The Atom entry holds every text of the item: if it holds a character lxml refuses (a
    # control character, U+FFFE, U+FFFF, a lone surrogate), feedgen is left to raise its error.
    try:
        atom_bytes = "".join(atom).encode("utf-8")
    except UnicodeEncodeError:
        return _feedgen_item_xml(item)
    if len(atom_bytes.translate(None, _C0_BYTES)) != len(atom_bytes) or (
            b"\xef\xbf" in atom_bytes and (b"\xef\xbf\xbe" in atom_bytes or b"\xef\xbf\xbf" in atom_bytes)):
        return _feedgen_item_xml(item)
    # RSS readers read <description> as HTML: the excerpt goes in escaped, then escaped as XML
    # (`summary` is it escaped once: its & < > become &amp; &lt; &gt; unless it held a \r).
    if "&" in summary:
        summary = (summary.replace("&", "&amp;") if "\r" not in item.summary
                   else _xml_text(html.escape(item.summary, quote=False)))
    rss = [f"<item><title>{title}</title><link>{url}</link><description>{summary}</description>"
           f'<content:encoded>{content}</content:encoded><guid isPermaLink="false">{id_}</guid>']
    rss += [f"<category>{_xml_text(tag)}</category>" for tag in item.tags]
    rss.append(f"<pubDate>{_rfc2822(item.date)}</pubDate>")
    rss += [f"<dc:creator>{_xml_text(name)}</dc:creator>" for name in item.authors]
    rss.append("</item>")
    return atom_bytes, "".join(rss).encode("utf-8")


def _feedgen_item_xml(item: Item) -> tuple[bytes, bytes]:
    """`_item_xml` through feedgen and lxml: the reference the fast path must equal."""
    entry = _entry(item)
    entry.summary(item.summary)  # Atom: a plain-text summary
    atom = etree.tostring(entry.atom_entry(), encoding="unicode")
    # RSS readers read <description> as HTML: the excerpt goes in escaped. (This
    # also sets the Atom content, which was serialised above.)
    entry.description(html.escape(item.summary, quote=False))
    holder = etree.Element("rss", nsmap=_RSS_NS)  # so the namespaces keep their prefixes
    holder.append(entry.rss_entry())
    rss = etree.tostring(holder[0], encoding="unicode")
    # Drop the namespace declarations lxml repeats on the item: the feed's root has them.
    return atom.encode("utf-8"), ("<item>" + rss[rss.index(">") + 1:]).encode("utf-8")


@lru_cache(maxsize=4096)
def _rfc2822(when: datetime) -> str:
    """An item's RSS date as feedgen writes it (strftime in the C locale)."""
    return formatRFC2822(when)


class _Items:
    """Each paper's item and its XML, made on first use and kept for every feed."""

    def __init__(self, site: SiteConfig, views: Mapping[str, PaperView]) -> None:
        self.site, self.views = site, views
        self._items: dict[tuple[str, bool], Item] = {}
        self._xml: dict[tuple[str, bool], tuple[bytes, bytes, datetime]] = {}

    def item(self, slug: str, brief: bool = False) -> Item:
        key = (slug, brief)
        if key not in self._items:
            self._items[key] = paper_item(self.site, self.views[slug], brief)
        return self._items[key]

    def xml(self, slug: str, brief: bool = False) -> tuple[bytes, bytes, datetime]:
        """(Atom <entry>, RSS <item>, date) of a paper's item."""
        made = self._xml.get((slug, brief))
        if made is None:
            # The item itself is not kept: only the JSON feeds (of the newest papers) use it again.
            item = self._items.get((slug, brief)) or paper_item(self.site, self.views[slug], brief)
            made = self._xml[(slug, brief)] = (*_item_xml(item), item.date)
        return made


# --- feed heads: feedgen once per format, filled in per feed ---------------------------

_SENTINEL_DATE = datetime(1901, 2, 3, 4, 5, 6, tzinfo=timezone.utc)


class _Head:
    """A feed's XML without items, from feedgen, as literal chunks and field names."""

    def __init__(self, site: SiteConfig, mime: str) -> None:
        fg = FeedGenerator()
        if mime == RSS:
            fg.load_extension("dc", atom=False, rss=True)  # declares dc: on <rss>
        fg.id(self._mark("id"))
        fg.title(self._mark("title"))
        fg.subtitle(self._mark("subtitle"))
        fg.link(href=self._mark("self"), rel="self", type=mime)
        fg.link(href=self._mark("page"), rel="alternate", type="text/html")  # the last one is RSS's <link>
        fg.author({"name": site.author or site.title})
        fg.language(site.language)
        fg.generator("paperfeed")  # no version: upgrading a library changes no feed
        fg.updated(_SENTINEL_DATE)
        if mime == ATOM:
            text = fg.atom_str().decode("utf-8")
            date_tag, self.close = "updated", "</feed>"
            sentinel = _SENTINEL_DATE.isoformat()
        else:
            text = fg.rss_str().decode("utf-8")
            date_tag, self.close = "lastBuildDate", "</channel></rss>"
            sentinel = format_datetime(_SENTINEL_DATE)
        self.rss = mime == RSS
        text = text.replace(f"<{date_tag}>{sentinel}</{date_tag}>", f"<{date_tag}>\ue000date\ue001</{date_tag}>")
        parts = re.split("\ue000([a-z]+)\ue001", text.removesuffix(self.close))
        expected = {"title", "subtitle", "self", "page", "date"} | ({"id"} if mime == ATOM else set())
        if not text.endswith(self.close) or set(parts[1::2]) != expected:
            raise RuntimeError(f"feedgen wrote an unexpected {FORMATS[mime]} feed head: {text}")
        # literal chunks (even places) as bytes, field names (odd places) as str
        self.parts = [part.encode("utf-8") if i % 2 == 0 else part for i, part in enumerate(parts)]
        self.close_bytes = self.close.encode("utf-8")

    @staticmethod
    def _mark(name: str) -> str:
        return f"\ue000{name}\ue001"

    def fill(self, values: dict[str, str], updated: datetime, items: list[bytes]) -> bytes:
        values = {**values, "date": _date_text(updated, self.rss)}
        out = [part if i % 2 == 0 else _xml_attr(values[part]).encode("utf-8") for i, part in enumerate(self.parts)]
        return b"".join(out + items) + self.close_bytes


@lru_cache(maxsize=4096)
def _date_text(when: datetime, rss: bool) -> str:
    """RFC 822 for RSS (locale-independent), RFC 3339 for Atom."""
    return format_datetime(when) if rss else when.isoformat()


# --- the feeds ------------------------------------------------------------------------


def feed_jobs(site: SiteConfig, index: SiteIndex, views: PaperViews, carried: Container[str] = (),
              keys: Mapping[str, bytes] | None = None, catalogue: list[FeedInfo] | None = None) -> list[Job]:
    """Every feed file of the site as a Job: its path, its inputs, how to make it.

    The inputs are the feed's description and the digests of its items' views
    (the views themselves are made only with the feed), so an incremental build
    remakes only the feeds whose items changed. The feeds of the groups in
    `carried` (by page URL) are known current: no Job for them; `keys` holds
    the fingerprint render.Renderer.listing gave a group's feeds; `catalogue`,
    feed_catalogue's, when the caller made it already.
    """
    digest_of = views.digests.__getitem__
    items = _Items(site, views)
    heads: dict[str, _Head] = {}

    def head(mime: str) -> _Head:  # made on first use: a build that remakes no feed needs none
        if mime not in heads:
            heads[mime] = _Head(site, mime)
        return heads[mime]

    catalogue = catalogue if catalogue is not None else feed_catalogue(site, index)
    groups = {g.url: g for g in (*index.tags, *index.authors, *index.organizations)}
    jobs: list[Job] = []
    for feed in catalogue:
        if feed.kind == "digest":
            days = index.days[: site.feed_items]

            def make_digest(feed=feed, days=days) -> bytes:
                made = [digest_item(site, day, views) for day in days]
                return _xml_feed(head(ATOM), site, feed, _updated(d.date for d in made),
                                 [_item_xml(d)[0] for d in made])

            inputs = (feed, tuple(b"".join(digest_of(p.slug) for p in day.papers) for day in days))
            jobs.append(Job(feed.url, inputs, make_digest))
            continue
        if feed.page_url in carried:
            continue
        papers = index.papers if feed.kind == "main" else groups[feed.page_url].papers
        slugs = tuple(p.slug for p in papers[: site.feed_items])

        def make(feed=feed, slugs=slugs) -> bytes:
            brief = feed.kind in BRIEF_KINDS
            if feed.type == JSON_FEED:
                return json_feed(site, feed, [items.item(s) for s in slugs])
            which = 0 if feed.type == ATOM else 1
            made = [items.xml(s, brief) for s in slugs]
            return _xml_feed(head(feed.type), site, feed, _updated(m[2] for m in made), [m[which] for m in made])

        jobs.append(Job(feed.url, (feed, b"".join(map(digest_of, slugs))), make,
                        fingerprint=(keys or {}).get(feed.page_url, b"")))
    jobs.append(Job(OPML_FEED, catalogue_digest(catalogue), lambda: opml(site, catalogue)))
    return jobs


def build_feeds(site: SiteConfig, index: SiteIndex, views: PaperViews) -> list[tuple[str, bytes]]:
    """Every feed file of the site as (site-relative output path, bytes)."""
    return [(job.path, job.make()) for job in feed_jobs(site, index, views)]


def _feed_id(site: SiteConfig, feed: FeedInfo) -> str:
    """The site's id for the main feeds, `<site id>:days` for the digest, `<site id>:tags/<tag>`..."""
    if feed.kind == "main":
        return site.id
    return f"{site.id}:days" if feed.kind == "digest" else f"{site.id}:{feed.page_url.rstrip('/')}"


def _updated(dates) -> datetime:
    """A feed's date: its newest item's."""
    return max(dates, default=_EPOCH)


def _xml_feed(head: _Head, site: SiteConfig, feed: FeedInfo, updated: datetime, xml: list[bytes]) -> bytes:
    # RSS readers read a channel's <description> as HTML (as they do an item's): a name in
    # it ("Papers by <script>…") goes in escaped. Atom's subtitle is a text construct.
    subtitle = html.escape(feed.description, quote=False) if head.rss else feed.description
    values = {"id": _feed_id(site, feed), "title": feed.title, "subtitle": subtitle,
              "self": site.base_url + feed.url, "page": site.base_url + feed.page_url}
    return head.fill(values, updated, xml)


def json_feed(site: SiteConfig, feed: FeedInfo, items: list[Item]) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1) from the same item model."""
    data = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": site.base_url + feed.page_url,
        "feed_url": site.base_url + feed.url,
        "description": feed.description,
        "language": site.language,
        "authors": [{"name": site.author or site.title}],
        "items": [_json_item(item) for item in items],
    }
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _json_item(item: Item) -> dict:
    data = {"id": item.id, "url": item.url}
    if item.external_url:
        data["external_url"] = item.external_url
    data.update(title=item.title, content_html=item.content_html, summary=item.summary,
                date_published=item.date.isoformat())
    if item.authors:
        data["authors"] = [{"name": name} for name in item.authors]
    if item.tags:
        data["tags"] = list(item.tags)
    return data


# --- OPML and the /feeds/ page ---------------------------------------------------------

_SECTIONS = (("main", "Everything"), ("digest", "Daily digest"), ("tag", "Tags"),
             ("organization", "Organizations"), ("author", "Authors"))


@dataclass(frozen=True)
class FeedRow:
    name: str  # what the feeds follow
    page_url: str  # site-relative
    feeds: tuple[FeedInfo, ...]  # its Atom, RSS (and JSON Feed) feeds


@dataclass(frozen=True)
class FeedSection:
    heading: str
    kind: str
    rows: tuple[FeedRow, ...]


def feed_sections(catalogue: list[FeedInfo]) -> tuple[FeedSection, ...]:
    """The catalogue grouped for people: one row per followed thing, one section per kind."""
    rows: dict[str, dict[str, list[FeedInfo]]] = {kind: {} for kind, _ in _SECTIONS}
    for feed in catalogue:
        rows[feed.kind].setdefault(feed.page_url, []).append(feed)
    return tuple(FeedSection(heading, kind, tuple(FeedRow(feeds[0].name, page, tuple(feeds))
                                                  for page, feeds in rows[kind].items()))
                 for kind, heading in _SECTIONS if rows[kind])


def opml(site: SiteConfig, catalogue: list[FeedInfo]) -> bytes:
    """OPML 2.0: every feed, one outline per section, for a reader's one-click import."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">', "  <head>",
             f"    <title>{_xml_attr(site.title)}: every feed</title>",
             "    <docs>http://opml.org/spec2.opml</docs>", "  </head>", "  <body>"]
    base, escaped = _xml_attr(site.base_url), {}  # escaping is per character: pieces escape alone
    for section in feed_sections(catalogue):
        lines.append(f'    <outline text="{_xml_attr(section.heading)}">')
        for row in section.rows:
            html_url = base + _xml_attr(row.page_url)
            for feed in row.feeds:  # a row's feeds share their title
                title = escaped.get(feed.title) or escaped.setdefault(feed.title, _xml_attr(feed.title))
                text = f"{title} ({FORMATS[feed.type]})"
                lines.append(f'      <outline type="rss" text="{text}" title="{text}" '
                             f'xmlUrl="{base}{_xml_attr(feed.url)}" htmlUrl="{html_url}"/>')
        lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def render_feeds_page(renderer, catalogue: list[FeedInfo] | None = None) -> None:
    """/feeds/ (feeds.html): every feed with its subscribe link. `renderer` is a
    render.Renderer; the template sees `sections` (FeedSection), `feeds` (every
    FeedInfo) and `opml_url`. `catalogue`: feed_catalogue's, when the caller made it."""
    site = renderer.site
    catalogue = catalogue if catalogue is not None else feed_catalogue(site, renderer.index)
    page = PageMeta("Feeds", FEEDS_PAGE, f"Every feed of {site.title}: subscribe to everything, one tag, "
                    "one author or one organization.", renderer.main_feeds, "feeds")

    def context(page: PageMeta, listed: bytes) -> dict:  # `listed` stands for the catalogue: made from it
        return dict(page=page, sections=feed_sections(catalogue), feeds=tuple(catalogue), opml_url=OPML_FEED)

    renderer._render_from("feeds.html", page.url, context, page, catalogue_digest(catalogue))


def catalogue_digest(catalogue: list[FeedInfo]) -> bytes:
    """Every feed's description, hashed: what the feeds page and the OPML file are made from, as
    their Jobs' inputs (each of 5,000 feeds fingerprinted as a dataclass cost a rebuild 50 ms)."""
    text = "\n".join("\0".join(vars(feed).values()) for feed in catalogue)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
