"""The data the rest of the generator sees: plain, immutable, no I/O.

A `Paper` is made only from an entry that passed validation, so nothing
downstream re-checks input.
"""

from __future__ import annotations

import hashlib
import operator
from dataclasses import dataclass, field, fields
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
    # A hash of the entry file's bytes and path (set when read): what the paper is made from,
    # so caches and fingerprints can name it without hashing its fields again.
    digest: bytes = field(default=b"", repr=False, compare=False)

    def __reduce__(self) -> tuple:
        # Pickled as the call that makes it: the dataclass default for a frozen class with slots
        # restores each field through a Python loop (_dataclass_setstate), twice as slow, and a
        # build pickles every paper (worker results, the build cache).
        return Paper, self.values()

    def values(self) -> tuple:
        """The fields' values in PAPER_FIELDS' order: Paper(*values) makes the same paper."""
        return _PAPER_VALUES(self)

    def identity(self) -> bytes:
        """`digest`, or for a paper not read from a file (tests), a hash of its fields."""
        return self.digest or hashlib.blake2b(repr(self).encode("utf-8", "surrogatepass"), digest_size=16).digest()

    @property
    def sort_key(self) -> tuple:
        """FORMAT.md's order: newest `added` first, then most upvotes, then title."""
        return (-self.added.toordinal(), -self.upvotes, self.title, self.slug)

    @property
    def shown_author_count(self) -> int | None:
        return len(self.authors) if self.authors else self.author_count

    def link(self, kind: str) -> str | None:
        return dict(self.links).get(kind)


PAPER_FIELDS = tuple(f.name for f in fields(Paper))  # in order: Paper(*values) takes them so
_PAPER_VALUES = operator.attrgetter(*PAPER_FIELDS)  # a tuple of them, read at C speed


@dataclass(frozen=True, slots=True)
class Content:
    """Everything read from a content folder, validated."""

    papers: tuple[Paper, ...]  # in FORMAT.md's listing order
    tags: dict[str, str] = field(default_factory=dict)  # tag -> description
