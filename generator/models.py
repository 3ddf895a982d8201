"""The data the rest of the generator sees: plain, immutable, no I/O.

A `Paper` is made only from an entry that passed validation, so nothing
downstream re-checks input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Paper:
    slug: str
    source: str  # the entry's path as shown in messages, e.g. content/papers/2025/x.yaml
    title: str
    added: date
    abstract: str  # Markdown source
    authors: tuple[str, ...] = ()
    author_count: int | None = None
    organization: str | None = None
    published: date | None = None
    arxiv: str | None = None  # without a version suffix
    links: tuple[tuple[str, str], ...] = ()  # (kind, url) in a fixed order
    tags: tuple[str, ...] = ()
    upvotes: int = 0
    submitted_by: str | None = None
    note: str | None = None

    @property
    def sort_key(self) -> tuple:
        """FORMAT.md's order: newest `added` first, then most upvotes, then title."""
        return (-self.added.toordinal(), -self.upvotes, self.title, self.slug)

    @property
    def shown_author_count(self) -> int | None:
        return len(self.authors) if self.authors else self.author_count

    def link(self, kind: str) -> str | None:
        return dict(self.links).get(kind)


@dataclass(frozen=True, slots=True)
class Content:
    """Everything read from a content folder, validated."""

    papers: tuple[Paper, ...]  # in FORMAT.md's listing order
    tags: dict[str, str] = field(default_factory=dict)  # tag -> description
