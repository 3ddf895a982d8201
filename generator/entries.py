"""Paper entries: one YAML file → a `Paper` or problems; then cross-entry checks.

Per-field rules live in the pydantic model `PaperEntry` (unknown keys
forbidden, strict types). Rules that need more than one field, the file's
path, the tag vocabulary or "today" are checked here, after the model.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Iterator

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, create_model

from generator.config import MAX_TAG, TAG_PATTERN, Clean, http_url
from generator.errors import Problem
from generator.models import Paper
from generator.slugs import PAPER_SLUG
from generator.sources import Loaded, load_yaml, locate, shown_path
from generator.validation import problem_at, validate_model

LINK_KINDS = ("pdf", "code", "project", "paper", "video", "data", "demo", "blog")
ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")
TODO_MARK = "TODO"
MAX_NOTE = 20_000  # as the abstract


Url = Annotated[str, AfterValidator(http_url), Field(json_schema_extra={"format": "uri", "pattern": "^https?://"})]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]  # title, name
Long = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]  # abstract
Name = Annotated[Short, *Clean]
Day = Annotated[date, Field(strict=False)]  # YAML gives "2025-12-09" as text: parse ISO dates


class Links(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    pdf: Url | None = None
    code: Url | None = None
    project: Url | None = None
    paper: Url | None = None
    video: Url | None = None
    data: Url | None = None
    demo: Url | None = None
    blog: Url | None = None


class PaperEntry(BaseModel):
    """One paper entry exactly as FORMAT.md describes it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: Annotated[Short, *Clean, Field(description="The paper's title (plain text; $math$ allowed)")]
    authors: list[Name] | None = Field(None, description="The authors' names, in the paper's order")
    author_count: Annotated[int, Field(ge=1)] | None = Field(None, description="How many authors, when names are not listed")
    organization: Name | None = Field(None, description="The group that posted it")
    published: Day | None = Field(None, description="The paper's own date, YYYY-MM-DD")
    added: Day = Field(description="The day it was featured here, YYYY-MM-DD")
    abstract: Annotated[Long, *Clean, Field(description="Markdown; $..$ and $$..$$ are LaTeX math")]
    arxiv: Annotated[str, StringConstraints(pattern=ARXIV_ID.pattern)] | None = Field(
        None, description='New-style arXiv id, quoted: "2409.17887"')
    links: Links | None = None
    tags: list[Annotated[str, StringConstraints(pattern=TAG_PATTERN)]] | None = Field(
        None, description="Tags from content/tags.yaml")
    upvotes: Annotated[int, Field(ge=0)] = Field(0, description="Upvotes when it was featured")
    submitted_by: Name | None = Field(None, description="Who proposed it (a handle)")
    note: Annotated[str, *Clean] | None = Field(None, description="The curator's comment, Markdown")


# --- the same rules, checked by pydantic's core alone ------------------------------------
# `Clean` and `http_url` are Python functions pydantic calls for every text and link: most of
# the time validating an entry takes. For the common case the twins below state them as
# patterns pydantic-core checks natively: text without a character `Clean` would remove or
# refuse, and plain ASCII http(s) URLs that `http_url` accepts unchanged. Whatever they refuse
# is checked again by PaperEntry, which alone reports problems; so they never decide an outcome,
# they only accept sooner what PaperEntry accepts with the same values. `_BareEntry` leaves the
# text unchecked: it is used only for data whose every string is known to be plain (Loaded.plain).

_PLAIN_TEXT = StringConstraints(  # the complement of config._FORBIDDEN_CHARS and slugs.BIDI_CONTROLS
    pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\u202a-\u202e\u2066-\u2069]*$")
_PlainShort = Annotated[Short, _PLAIN_TEXT]
# scheme, a non-empty ASCII host part without brackets, then printable ASCII: what urlsplit
# splits into http(s) and a netloc without changing or refusing anything
_PlainUrl = Annotated[str, StringConstraints(pattern=r"^https?://[A-Za-z0-9._~!$&'()*+,;=:@%-]+([/?#][!-~]*)?$")]

_PlainLinks = create_model("_PlainLinks", __base__=Links,
                           **{kind: (_PlainUrl | None, None) for kind in Links.model_fields})


class _PlainEntry(PaperEntry):
    title: _PlainShort
    authors: list[_PlainShort] | None = None
    organization: _PlainShort | None = None
    abstract: Annotated[Long, _PLAIN_TEXT]
    links: _PlainLinks | None = None  # type: ignore[valid-type]
    submitted_by: _PlainShort | None = None
    note: Annotated[str, _PLAIN_TEXT] | None = None


class _BareEntry(PaperEntry):
    title: Short
    authors: list[Short] | None = None
    organization: Short | None = None
    abstract: Long
    links: _PlainLinks | None = None  # type: ignore[valid-type]
    submitted_by: Short | None = None
    note: str | None = None


@dataclass(frozen=True)
class EntryResult:
    paper: Paper | None
    problems: list[Problem]


def read_entry(path: Path, tags: dict[str, str] | None, today: date, raw: bytes | None = None,
               digest: bytes = b"") -> EntryResult:
    """Read, parse and check one entry file. `tags` None means: no vocabulary check; `digest`
    is the paper's (see Paper.digest)."""
    loaded = load_yaml(path, raw)
    if loaded.problem:
        return EntryResult(None, [loaded.problem])
    quick = _BareEntry if loaded.plain else _PlainEntry
    entry, problems = validate_model(PaperEntry, loaded, "a paper entry", quick=quick)
    problems += _check_todo_marks(loaded)
    if entry is None:
        return EntryResult(None, problems)
    problems += _check_fields(loaded, entry, tags, today)
    problems += _check_location(loaded, entry)
    if problems:
        return EntryResult(None, problems)
    return EntryResult(_to_paper(loaded, entry, digest), [])


def _check_todo_marks(loaded: Loaded) -> list[Problem]:
    """`paperfeed new --offline` leaves TODO markers; they must be replaced before merging."""
    if not isinstance(loaded.data, dict) or TODO_MARK not in (loaded.text or ""):
        return []
    return [
        problem_at(loaded, (key,), f"'{key}' still holds a {TODO_MARK} marker",
                   "replace it with the paper's real value")
        for key, value in loaded.data.items()
        if isinstance(value, str) and value.lstrip().startswith(TODO_MARK)
    ]


def _check_fields(loaded: Loaded, entry: PaperEntry, tags: dict[str, str] | None,
                  today: date) -> list[Problem]:
    problems = []
    if entry.published and entry.added < entry.published:
        problems.append(problem_at(loaded, ("added",),
                                   f"'added' ({entry.added}) is before 'published' ({entry.published})",
                                   "a paper can only be featured after it appeared"))
    if entry.added > today:
        problems.append(problem_at(loaded, ("added",),
                                   f"'added' ({entry.added}) is in the future (today is {today})"))
    if entry.authors and entry.author_count is not None and entry.author_count != len(entry.authors):
        problems.append(problem_at(loaded, ("author_count",),
                                   f"'author_count' is {entry.author_count} but {len(entry.authors)} "
                                   "authors are listed", "remove author_count or make them agree"))
    if entry.note and len(entry.note) > MAX_NOTE:  # Markdown's time grows faster than its input
        problems.append(problem_at(loaded, ("note",), f"'note' is {len(entry.note)} characters long; "
                                   f"the limit is {MAX_NOTE}"))
    seen: set[str] = set()
    for index, tag in enumerate(entry.tags or ()):
        if len(tag) > MAX_TAG:  # it names a folder of the site: keep it well under 255 bytes
            problems.append(problem_at(loaded, ("tags", index), f"tag '{tag[:40]}…' is longer than "
                                       f"{MAX_TAG} characters"))
        elif tag in seen:
            problems.append(problem_at(loaded, ("tags", index), f"tag '{tag}' is listed twice"))
        elif tags is not None and tag not in tags:
            problems.append(problem_at(loaded, ("tags", index), f"unknown tag '{tag}'",
                                       "add it to content/tags.yaml with a one-line description "
                                       "in the same pull request"))
        seen.add(tag)
    return problems


def _check_location(loaded: Loaded, entry: PaperEntry) -> list[Problem]:
    problems = []
    slug, year = loaded.path.stem, loaded.path.parent.name
    if not PAPER_SLUG.match(slug):
        problems.append(Problem(loaded.shown, message=f"bad file name '{loaded.path.name}'",
                                hint="the slug must be lowercase letters, digits and '-', "
                                     "at most 80 characters, like 'vlad-buff-fast-aggregation.yaml'"))
    if year != str(entry.added.year):
        problems.append(problem_at(loaded, ("added",),
                                   f"entry is in folder '{year}' but was added in {entry.added.year}",
                                   f"move it to papers/{entry.added.year}/"))
    return problems


def _to_paper(loaded: Loaded, entry: PaperEntry, digest: bytes) -> Paper:
    links = entry.links
    arxiv = ARXIV_ID.match(entry.arxiv).group(1) if entry.arxiv else None
    return Paper(
        slug=loaded.path.stem,
        source=loaded.shown,
        title=" ".join(entry.title.split()),
        added=entry.added,
        abstract=entry.abstract,
        authors=tuple(entry.authors or ()),
        author_count=entry.author_count,
        organization=entry.organization,
        published=entry.published,
        arxiv=arxiv,
        links=tuple((kind, url) for kind in LINK_KINDS if (url := getattr(links, kind)) is not None) if links else (),
        tags=tuple(entry.tags or ()),
        upvotes=entry.upvotes,
        submitted_by=entry.submitted_by,
        note=entry.note,
        digest=digest,
    )


# --- the content folder as a whole -------------------------------------------------

ALLOWED_TOP = {"site.yaml", "tags.yaml", "paper.schema.json"}


def find_entry_files(content: Path) -> tuple[list[Path], list[Problem]]:
    """Every paper entry file under content/, sorted; stray YAML files are problems."""
    found, problems = entry_file_names(content)
    return list(map(Path, found)), problems


def entry_file_names(content: Path) -> tuple[list[str], list[Problem]]:
    """find_entry_files, as strings: a build lists tens of thousands, and a Path costs
    microseconds to make (it is parsed), a string built by os.path.join next to nothing."""
    content_root = content.resolve()
    found, problems = [], []
    for folder, dirs, files in _walk(content):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        prefix = str(here) + os.sep  # str(here / name) is prefix + name
        relative = here.relative_to(content).parts
        in_year = len(relative) == 2 and relative[0] == "papers" and _YEAR.fullmatch(relative[1])
        for entry in sorted(files, key=lambda e: e.name):
            name = entry.name
            if name.startswith("."):
                continue
            if in_year and name.endswith(".yaml") and not entry.is_symlink() and entry.is_file():
                found.append(prefix + name)  # most files: a plain entry, found by the listing alone
                continue
            path = here / name
            link = _bad_link(path, content_root) if entry.is_symlink() else None
            if link:
                problems.append(Problem(shown_path(path), message=link[0], hint=link[1]))
                continue
            if not name.endswith((".yaml", ".yml")):
                continue
            # the listing knows a plain file; a link (to a file inside content/) is followed
            regular = path.is_file() if entry.is_symlink() else entry.is_file()
            if in_year and name.endswith(".yaml") and not regular:  # reading a pipe would never end
                problems.append(Problem(shown_path(path), message="not a regular file (a pipe, a device "
                                        "or a link to nothing)", hint="entries are plain files"))
            elif in_year and name.endswith(".yaml"):
                found.append(str(path))
            elif not relative and name in ALLOWED_TOP:
                continue
            elif name.endswith(".yml") and in_year:
                problems.append(Problem(shown_path(path), message="paper entries end in '.yaml', not '.yml'",
                                        hint=f"rename it to {path.stem}.yaml"))
            else:
                problems.append(Problem(shown_path(path), message="YAML file outside papers/<YYYY>/",
                                        hint="paper entries live in content/papers/<year added>/<slug>.yaml"))
        for name in dirs:
            link = _bad_link(here / name, content_root)
            if link:
                problems.append(Problem(shown_path(here / name), message=link[0], hint=link[1]))
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
    return found, problems


_YEAR = re.compile(r"\d{4}")


def _walk(top: str | Path) -> Iterator[tuple[str, list[str], list[os.DirEntry]]]:
    """`os.walk(top)` (top-down, links to folders listed but not followed, unreadable folders
    skipped), with the other entries of each folder as `os.DirEntry`s: the listing already
    says which are links and plain files, so there is no system call per file to ask."""
    dirs, others = [], []
    try:
        listing = os.scandir(top)
    except OSError:
        return
    with listing:
        while True:
            try:
                entry = next(listing, None)
            except OSError:
                return
            if entry is None:
                break
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                dirs.append(entry.name)
            else:
                others.append(entry)
    yield os.fspath(top), dirs, others
    for name in dirs:  # as the caller left them
        folder = os.path.join(top, name)
        if not os.path.islink(folder):
            yield from _walk(folder)


def _bad_link(path: Path, content_root: Path) -> tuple[str, str] | None:
    """Why the symlink `path` cannot be content, and a hint (None: not a link, or a fine one)."""
    if not path.is_symlink():
        return None
    try:
        target = path.resolve()
    except (RuntimeError, OSError):  # a loop (Python 3.11 raises RuntimeError for it)
        return "symlink loop: the link leads back to itself", "remove it"
    if target.is_relative_to(content_root):
        return None
    return "symlink points outside the content folder", "copy the file in instead"


def check_across(papers: list[Paper]) -> list[Problem]:
    """Rules between entries: unique slugs and unique arXiv ids."""
    problems = []
    by_slug: dict[str, Paper] = {}
    by_arxiv: dict[str, Paper] = {}
    for paper in sorted(papers, key=lambda p: p.source):
        first = by_slug.setdefault(paper.slug, paper)
        if first is not paper:
            problems.append(Problem(paper.source, message=f"slug '{paper.slug}' is already used by {first.source}",
                                    hint="two entries cannot share a file name, even in different years"))
        if paper.arxiv:
            first = by_arxiv.setdefault(paper.arxiv, paper)
            if first is not paper:
                line, col = _position_of(paper.source, ("arxiv",))
                problems.append(Problem(paper.source, line, col,
                                        f"arXiv id {paper.arxiv} is already in {first.source}",
                                        hint="this paper is already in the feed"))
    return problems


def _position_of(shown: str, loc: tuple) -> tuple[int, int]:
    """Re-read a (good) entry only to point at a value in a cross-entry problem."""
    try:
        return locate(Path(shown).read_text(encoding="utf-8"), loc)
    except OSError:
        return 1, 1


def entry_json_schema() -> dict:
    """JSON Schema of a paper entry, for editors (content/paper.schema.json)."""
    schema = PaperEntry.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "paperfeed paper entry"
    schema["description"] = "One paper of a paperfeed site: content/papers/<YYYY>/<slug>.yaml (FORMAT.md)."
    return schema
