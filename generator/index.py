"""Group, sort and paginate papers; the one home of URL and output-path rules.

Every address of the built site (FORMAT.md, "Addresses") is made here and
only here, as a site-relative path such as "papers/<slug>/". Templates and
feeds turn those into links with the site's base path or base URL.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from generator.models import Paper
from generator.slugs import slug_for, without_bidi_controls

# --- addresses ---------------------------------------------------------------------


def paper_url(slug: str) -> str:
    return f"papers/{slug}/"


def day_url(day: date) -> str:
    return f"days/{day.isoformat()}/"


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def page_url(first_page_url: str, number: int) -> str:
    """Page 1 of a listing is its own address; page n is `<address>page/n/`."""
    return first_page_url if number == 1 else f"{first_page_url}page/{number}/"


def output_path(url: str) -> str:
    """The file that serves a site-relative URL: "x/" → "x/index.html"."""
    return url + "index.html" if url == "" or url.endswith("/") else url


# --- groups ------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """A named list of papers with its own address: a day, a tag, an author…"""

    kind: str  # day | week | month | tag | author | organization
    key: str  # 2025-12-09 | 2025-W50 | 2025-12 | quantization | ahmad-khaliq | ...
    name: str  # what a reader sees: the tag, the author's name, the date
    url: str
    papers: tuple[Paper, ...]
    description: str = ""


def by_upvotes(paper: Paper) -> tuple:
    """Weeks and months list their papers by upvotes first (FORMAT.md)."""
    return (-paper.upvotes, -paper.added.toordinal(), paper.title, paper.slug)


def _name_key(name: str) -> str:
    return unicodedata.normalize("NFC", " ".join(name.split()))


def assign_slugs(names: list[str], fallback: str) -> dict[str, str]:
    """A readable, unique ASCII slug per distinct name.

    Names that slug alike ("José" and "Jose") never share a page: the first in
    sorted order keeps the plain slug, the others get a short hash of their
    name, which does not depend on which other names exist. A hashed slug can
    be some other name's plain slug ("Jose 8f72d2"), so a taken one grows longer.
    """
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(set(names)):
        plain = slug_for(name, max_length=60) or fallback
        slug, hashed = plain, hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()
        for length in range(6, len(hashed) + 1, 2):
            if slug not in taken:
                break
            slug = f"{plain}-{hashed[:length]}"
        number = 2
        while slug in taken:  # only a deliberate SHA-1 collision gets here
            slug, number = f"{plain}-{hashed}-{number}", number + 1
        taken.add(slug)
        slugs[name] = slug
    return slugs


@dataclass(frozen=True)
class SiteIndex:
    papers: tuple[Paper, ...]  # listing order
    days: tuple[Group, ...]  # newest first
    weeks: tuple[Group, ...]
    months: tuple[Group, ...]
    tags: tuple[Group, ...]  # by name
    authors: tuple[Group, ...]  # by slug
    organizations: tuple[Group, ...]
    author_slugs: dict[str, str] = field(default_factory=dict)
    organization_slugs: dict[str, str] = field(default_factory=dict)

    def author_url(self, name: str) -> str:
        return f"authors/{self.author_slugs[_name_key(name)]}/"

    def organization_url(self, name: str) -> str:
        return f"organizations/{self.organization_slugs[_name_key(name)]}/"

    @staticmethod
    def tag_url(tag: str) -> str:
        return f"tags/{tag}/"


def build_index(papers: tuple[Paper, ...], tag_descriptions: dict[str, str]) -> SiteIndex:
    """Group papers by day, ISO week, month, tag, author and organization.

    `papers` come in FORMAT.md's listing order and every group keeps it, except
    weeks and months, which are ordered by upvotes.
    """
    days: dict[date, list[Paper]] = defaultdict(list)
    weeks: dict[str, list[Paper]] = defaultdict(list)
    months: dict[str, list[Paper]] = defaultdict(list)
    tags: dict[str, list[Paper]] = defaultdict(list)
    authors: dict[str, list[Paper]] = defaultdict(list)
    orgs: dict[str, list[Paper]] = defaultdict(list)
    # A name's key and a day's week and month, made once each: names and days recur across papers.
    name_keys: dict[str, str] = {}
    periods: dict[date, tuple[str, str]] = {}
    for paper in papers:
        day = paper.added
        days[day].append(paper)
        period = periods.get(day)
        if period is None:
            period = periods[day] = (week_key(day), month_key(day))
        weeks[period[0]].append(paper)
        months[period[1]].append(paper)
        for tag in paper.tags:
            tags[tag].append(paper)
        keys = [name_keys.get(n) or name_keys.setdefault(n, _name_key(n)) for n in paper.authors]
        for name in dict.fromkeys(keys):
            authors[name].append(paper)
        if paper.organization:
            orgs[_name_key(paper.organization)].append(paper)
    author_slugs = assign_slugs(list(authors), "author")
    org_slugs = assign_slugs(list(orgs), "organization")
    return SiteIndex(
        papers=papers,
        days=tuple(Group("day", d.isoformat(), long_date(d), day_url(d), tuple(ps))
                   for d, ps in sorted(days.items(), reverse=True)),
        weeks=tuple(Group("week", k, _week_name(k), f"weeks/{k}/", tuple(sorted(ps, key=by_upvotes)))
                    for k, ps in sorted(weeks.items(), reverse=True)),
        months=tuple(Group("month", k, _month_name(k), f"months/{k}/", tuple(sorted(ps, key=by_upvotes)))
                     for k, ps in sorted(months.items(), reverse=True)),
        tags=tuple(Group("tag", t, t, f"tags/{t}/", tuple(ps),
                         without_bidi_controls(tag_descriptions.get(t, "")))
                   for t, ps in sorted(tags.items())),
        authors=tuple(sorted((Group("author", author_slugs[n], n, f"authors/{author_slugs[n]}/", tuple(ps))
                              for n, ps in authors.items()), key=lambda g: g.key)),
        organizations=tuple(sorted((Group("organization", org_slugs[n], n, f"organizations/{org_slugs[n]}/",
                                          tuple(ps)) for n, ps in orgs.items()), key=lambda g: g.key)),
        author_slugs=author_slugs,
        organization_slugs=org_slugs,
    )


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _week_name(key: str) -> str:
    year, week = key.split("-W")
    return f"Week {int(week)}, {year}"


def _month_name(key: str) -> str:
    year, month = key.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


@dataclass(frozen=True)
class Page:
    """One page of a paginated listing."""

    number: int
    count: int  # how many pages the listing has
    url: str
    papers: tuple[Paper, ...]
    prev_url: str | None
    next_url: str | None


def paginate(papers: tuple[Paper, ...], first_url: str, per_page: int) -> list[Page]:
    chunks = [papers[i:i + per_page] for i in range(0, len(papers), per_page)] or [()]
    count = len(chunks)
    return [
        Page(n, count, page_url(first_url, n), chunk,
             page_url(first_url, n - 1) if n > 1 else None,
             page_url(first_url, n + 1) if n < count else None)
        for n, chunk in enumerate(chunks, start=1)
    ]


# --- feeds' addresses ---------------------------------------------------------------

ATOM, RSS, JSON_FEED = "application/atom+xml", "application/rss+xml", "application/feed+json"
MAIN_FEEDS = (("atom.xml", ATOM), ("feed.xml", RSS), ("feed.json", JSON_FEED))
GROUP_FEEDS = (("atom.xml", ATOM), ("feed.xml", RSS))
DIGEST_FEED = "days/atom.xml"
FEED_KINDS = ("tag", "author", "organization")  # groups that have feeds of their own


def group_feed_urls(group: Group) -> tuple[tuple[str, str], ...]:
    """(site-relative URL, MIME type) of a tag's, author's or organization's feeds."""
    return feed_urls_of(group.kind, group.url)


def feed_urls_of(kind: str, url: str) -> tuple[tuple[str, str], ...]:
    """The same, from the group's kind and address."""
    if kind not in FEED_KINDS:
        return ()
    return tuple((url + name, mime) for name, mime in GROUP_FEEDS)
