"""`paperfeed new`: one arXiv paper → a new entry file in the content folder.

The one module that talks to arXiv. It asks the arXiv API for one id
(`{api_url}?id_list=<id>`, an Atom feed) and writes
`content/papers/<YYYY>/<slug>.yaml` in FORMAT.md's key order, with the editor
schema comment as its first line.

    create_entry("2409.17887v2", Path("content"), tags=("retrieval",),
                 today=date.today())  ->  Created(path=..., arxiv="2409.17887", ...)

Decisions:
- The Atom answer is parsed with the standard library's ElementTree, not
  feedparser: the arXiv answer is a small, fixed Atom schema, ElementTree hands
  back the abstract's text exactly as arXiv wrote it (feedparser sanitises and
  rewrites text that looks like HTML, e.g. `$a<b$`), and paperfeed needs no new
  runtime dependency. No entity expansion beyond XML's own; answers are capped.
- The YAML is written by hand, not dumped: the key order, the quoting and the
  abstract as a literal block (`|`, arXiv's line breaks kept) are part of the
  format contributors read and edit. Every string goes through `_quoted` or
  `_literal_block`, which fall back to an escaped double-quoted scalar for
  anything a block cannot hold, so the file always reads back as the same text.
- A paper is "already in the feed" when any entry file holds its id, with or
  without a version suffix — found with the generator's own reader, also in
  entries that do not validate yet.
- When the API cannot be reached (connection refused, timeout, DNS, HTTP 429 /
  5xx) or with `offline=True`, a template is written instead: the id, the pdf
  link, `added` and the given tags are filled, everything else holds a `TODO`
  marker that `paperfeed validate` rejects until it is replaced.
- A file is never overwritten: the name is made unique (`-2`, `-3`…) and the
  file is created with O_EXCL.
"""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from generator import __version__
from generator.config import TAG_PATTERN, load_tags
from generator.entries import ARXIV_ID, TODO_MARK, find_entry_files
from generator.slugs import MAX_SLUG, slug_for
from generator.sources import load_yaml

ARXIV_API = "https://export.arxiv.org/api/query"
API_ENV = "PAPERFEED_ARXIV_API"  # read by the CLI's --api-url option
SCHEMA_LINE = "# yaml-language-server: $schema=../../paper.schema.json"
TIMEOUT = 20.0  # seconds per network operation (connect, each read)
MAX_ANSWER = 5_000_000  # bytes; one paper's answer is a few kB

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV_HOSTS = ("arxiv.org", "www.arxiv.org", "export.arxiv.org")
_URL_PATH = re.compile(r"^/(?:abs|pdf|html)/(?P<id>[^/]+?)(?:\.pdf)?/?$")
_OLD_STYLE = re.compile(r"^[a-z-]+(\.[A-Z]{2})?/\d{7}(v\d+)?$")


class ImportRefused(Exception):
    """`paperfeed new` cannot (or must not) write this entry; the message says why."""


class ApiUnreachable(Exception):
    """The arXiv API could not be reached; the message says how it failed."""


@dataclass(frozen=True)
class Fetched:
    """What the arXiv API says about one paper."""

    arxiv: str
    title: str
    authors: tuple[str, ...]
    published: date | None
    abstract: str


@dataclass(frozen=True)
class Created:
    """The entry file written by `create_entry`."""

    path: Path
    arxiv: str
    template: bool  # True: the file still holds TODO markers to replace by hand
    reason: str | None = None  # why a template was written instead of fetched metadata


# --- the id ------------------------------------------------------------------------

def parse_arxiv_id(query: str) -> str:
    """The bare new-style id (no version) of `2409.17887`, `2409.17887v2`, `arXiv:2409.17887`,
    `arxiv.org/abs/2409.17887` or `https://arxiv.org/pdf/2409.17887v1(.pdf)`."""
    text = query.strip()
    if text.lower().startswith("arxiv:"):
        text = text[len("arxiv:"):].strip()
    candidate = text
    if "/" in text and not _OLD_STYLE.match(text):
        parts = urllib.parse.urlsplit(text if "://" in text else "https://" + text)
        host = (parts.hostname or "").lower()
        path_match = _URL_PATH.match(parts.path)
        if parts.scheme not in ("http", "https") or host not in _ARXIV_HOSTS or not path_match:
            raise ImportRefused(
                f"'{query}' is not an arXiv id or link: expected an id like 2409.17887 "
                "or a link like https://arxiv.org/abs/2409.17887")
        candidate = path_match.group("id")
    match = ARXIV_ID.match(candidate)
    if match:
        return match.group(1)
    if _OLD_STYLE.match(candidate):
        raise ImportRefused(f"'{query}' is an old-style arXiv id; the feed takes new-style ids "
                            "like 2409.17887 (papers since April 2007) — add this one by hand")
    raise ImportRefused(f"'{query}' is not an arXiv id: expected digits like 2409.17887, "
                        "optionally with a version (2409.17887v2)")


# --- the API -----------------------------------------------------------------------

def query_url(api_url: str, arxiv_id: str) -> str:
    separator = "&" if urllib.parse.urlsplit(api_url).query else "?"
    return f"{api_url}{separator}id_list={arxiv_id}"


def fetch_metadata(arxiv_id: str, api_url: str = ARXIV_API, timeout: float = TIMEOUT) -> Fetched:
    """Ask the arXiv API about one paper. Raises ApiUnreachable or ImportRefused."""
    if urllib.parse.urlsplit(api_url).scheme not in ("http", "https"):
        raise ImportRefused(f"the arXiv API URL must be http(s), got '{api_url}'")
    return parse_answer(_download(query_url(api_url, arxiv_id), timeout), arxiv_id)


def _download(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={
        "User-Agent": f"paperfeed/{__version__} (paperfeed new)",
        "Accept": "application/atom+xml",
    })
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        if exc.code == 429 or exc.code >= 500:
            raise ApiUnreachable(f"the arXiv API at {url} is unavailable (HTTP {exc.code} {exc.reason})")
        raise ImportRefused(f"the arXiv API at {url} refused the query (HTTP {exc.code} {exc.reason})")
    except urllib.error.URLError as exc:
        raise ApiUnreachable(f"could not reach the arXiv API at {url} ({_why(exc.reason)})")
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        raise ApiUnreachable(f"could not reach the arXiv API at {url} ({_why(exc)})")


def _why(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def parse_answer(data: bytes, arxiv_id: str) -> Fetched:
    """The paper `arxiv_id` in an arXiv API answer (an Atom feed)."""
    try:
        feed = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ImportRefused(f"the arXiv API's answer is not valid XML ({exc})")
    if feed.tag != _ATOM + "feed":
        raise ImportRefused("the arXiv API's answer is not an Atom feed")
    for entry in feed.iter(_ATOM + "entry"):
        entry_id = _text(entry, "id")
        if "/api/errors" in entry_id:
            raise ImportRefused(f"the arXiv API refused the query: {' '.join(_text(entry, 'summary').split())}")
        found = re.search(r"/abs/(\d{4}\.\d{4,5})(?:v\d+)?$", entry_id)
        if found and found.group(1) == arxiv_id and _text(entry, "title").strip():
            return _fetched(entry, arxiv_id)
    raise ImportRefused(f"arXiv has no paper {arxiv_id} (check it at https://arxiv.org/abs/{arxiv_id})")


def _fetched(entry: ET.Element, arxiv_id: str) -> Fetched:
    authors = tuple(" ".join(name.split()) for author in entry.iter(_ATOM + "author")
                    if (name := author.findtext(_ATOM + "name") or "").strip())
    published = None
    if stamp := _text(entry, "published").strip():
        try:
            published = date.fromisoformat(stamp[:10])
        except ValueError:
            raise ImportRefused(f"the arXiv API gave an unreadable date '{stamp}' for {arxiv_id}")
    abstract = _text(entry, "summary").strip()
    if not abstract:
        raise ImportRefused(f"the arXiv API gave no abstract for {arxiv_id}")
    return Fetched(arxiv_id, " ".join(_text(entry, "title").split()), authors, published, abstract)


def _text(element: ET.Element, name: str) -> str:
    return element.findtext(_ATOM + name) or ""


# --- the entry file ----------------------------------------------------------------

def create_entry(query: str, content: Path, *, tags: tuple[str, ...] | list[str] = (),
                 note: str | None = None, submitted_by: str | None = None, today: date,
                 api_url: str = ARXIV_API, offline: bool = False,
                 timeout: float = TIMEOUT) -> Created:
    """Write `content/papers/<today's year>/<slug>.yaml` for the arXiv paper `query`.

    Refuses (ImportRefused) an id that is not an arXiv id, a tag missing from
    tags.yaml, and a paper already in the feed. Writes a TODO template when
    `offline` or when the API cannot be reached (`Created.reason` says why).
    """
    arxiv_id = parse_arxiv_id(query)
    tags = tuple(dict.fromkeys(tags))
    _check_tags(content, tags)
    existing, taken = _existing_entries(content)
    if arxiv_id in existing:
        raise ImportRefused(f"arXiv {arxiv_id} is already in the feed: {existing[arxiv_id]}")
    note = note.strip() if note and note.strip() else None
    submitted_by = " ".join(submitted_by.split()) if submitted_by and submitted_by.strip() else None
    fetched, reason = None, None
    if offline:
        reason = "offline: the arXiv API was not asked"
    else:
        try:
            fetched = fetch_metadata(arxiv_id, api_url, timeout)
        except ApiUnreachable as exc:
            reason = str(exc)
    if fetched:
        text = render_entry(fetched, today=today, tags=tags, note=note, submitted_by=submitted_by)
        slug = slug_for(fetched.title) or _id_slug(arxiv_id)
    else:
        text = render_template(arxiv_id, today=today, tags=tags, note=note, submitted_by=submitted_by)
        slug = _id_slug(arxiv_id)
    folder = content / "papers" / str(today.year)
    path = _write_new(folder, slug, taken, text)
    return Created(path, arxiv_id, template=fetched is None, reason=reason)


def _check_tags(content: Path, tags: tuple[str, ...]) -> None:
    if not (content / "tags.yaml").is_file():
        return  # no vocabulary: `validate` does not check tags either
    known, _ = load_tags(content)
    unknown = [tag for tag in tags if tag not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "(none: content/tags.yaml is missing or empty)"
        raise ImportRefused(
            f"unknown tag{'s' if len(unknown) > 1 else ''} {', '.join(repr(t) for t in unknown)}; "
            f"known tags: {listed} — to add a new tag, add it to {content / 'tags.yaml'} "
            "with a one-line description in the same pull request")


def _existing_entries(content: Path) -> tuple[dict[str, str], set[str]]:
    """arXiv id -> the entry file holding it, and every slug in use (any year)."""
    paths, _ = find_entry_files(content)
    by_id: dict[str, str] = {}
    for path in paths:
        loaded = load_yaml(path)
        value = loaded.data.get("arxiv") if isinstance(loaded.data, dict) else None
        match = ARXIV_ID.match(str(value).strip()) if isinstance(value, (str, float)) else None
        if match:
            by_id.setdefault(match.group(1), loaded.shown)
    return by_id, {path.stem for path in paths}


def _id_slug(arxiv_id: str) -> str:
    return "arxiv-" + arxiv_id.replace(".", "-")


def _write_new(folder: Path, slug: str, taken: set[str], text: str) -> Path:
    """Create folder/<slug>.yaml (or <slug>-2.yaml, …) without ever replacing a file."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, 1000):
        suffix = "" if number == 1 else f"-{number}"
        name = slug[:MAX_SLUG - len(suffix)].rstrip("-") + suffix
        if name in taken:
            continue
        path = folder / f"{name}.yaml"
        try:
            with open(path, "x", encoding="utf-8", newline="\n") as out:
                out.write(text)
        except FileExistsError:
            continue
        return path
    raise ImportRefused(f"no free file name for '{slug}' in {folder}")


def render_entry(paper: Fetched, *, today: date, tags: tuple[str, ...] = (), note: str | None = None,
                 submitted_by: str | None = None) -> str:
    """The entry file's text, keys in FORMAT.md's order."""
    lines = [SCHEMA_LINE, f"title: {_quoted(paper.title)}"]
    if paper.authors:
        lines.append(f"authors: [{', '.join(_quoted(name) for name in paper.authors)}]")
    if paper.published:
        lines.append(f"published: {paper.published.isoformat()}")
    lines.append(f"added: {today.isoformat()}")
    lines.append(f"abstract: {_literal_block(paper.abstract)}")
    lines += _tail(paper.arxiv, tags, note, submitted_by)
    return "\n".join(lines) + "\n"


def render_template(arxiv_id: str, *, today: date, tags: tuple[str, ...] = (), note: str | None = None,
                    submitted_by: str | None = None) -> str:
    """An entry to complete by hand: every value arXiv would give holds a TODO marker."""
    lines = [
        SCHEMA_LINE,
        f"# Written by `paperfeed new` without arXiv's answer: copy each {TODO_MARK} value from "
        f"https://arxiv.org/abs/{arxiv_id},",
        "# then check the file with `paperfeed validate`. You may rename the file after the title.",
        f'title: "{TODO_MARK}: the paper\'s title"',
        f'authors: "{TODO_MARK}: the authors as a list, like [\\"Ada Lovelace\\", \\"Alan Turing\\"]"',
        f'published: "{TODO_MARK}: the date of the first version on arXiv, YYYY-MM-DD"',
        f"added: {today.isoformat()}",
        "abstract: |",
        f"  {TODO_MARK}: the abstract, as arXiv gives it (keep its $math$ and line breaks)",
    ]
    lines += _tail(arxiv_id, tags, note, submitted_by)
    return "\n".join(lines) + "\n"


def _tail(arxiv_id: str, tags: tuple[str, ...], note: str | None, submitted_by: str | None) -> list[str]:
    lines = [f"arxiv: {_quoted(arxiv_id)}", "links:", f"  pdf: https://arxiv.org/pdf/{arxiv_id}"]
    if tags:
        lines.append(f"tags: [{', '.join(_tag(tag) for tag in tags)}]")
    if submitted_by:
        lines.append(f"submitted_by: {_quoted(submitted_by)}")
    if note:
        lines.append(f"note: {_literal_block(note)}")
    return lines


# --- YAML scalars that read back as exactly the text given --------------------------

# Characters YAML lets a file hold as they are (YAML 1.1 as PyYAML reads it);
# anything else must be escaped inside a double-quoted scalar.
_PRINTABLE = re.compile("[\x09\x0a\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAKS = "\r\x85\u2028\u2029"  # YAML 1.1 line breaks besides \n: never raw in a block
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar holding exactly `text`."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char in _LINE_BREAKS or char == "\ufeff" or not _PRINTABLE.match(char):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _literal_block(text: str) -> str:
    """`|` and the text indented by two spaces: the value reads back as `text` plus one
    newline (clip chomping). Text a literal block cannot hold exactly (leading or
    trailing breaks or blanks, control characters, YAML 1.1's other line breaks)
    becomes a double-quoted scalar of that same value."""
    lines = text.split("\n")
    representable = (
        text.strip() != ""
        and text[0] not in " \t\n" and text[-1] not in " \t\n"
        and not any(c in _LINE_BREAKS or c == "\ufeff" or (c != "\n" and not _PRINTABLE.match(c))
                    for c in text)
        and all(line.strip() or not line for line in lines)  # no blank-but-not-empty lines
    )
    if not representable:
        return _quoted(text + "\n")
    return "|\n" + "\n".join("  " + line if line else "" for line in lines)


def _tag(tag: str) -> str:
    plain = re.match(TAG_PATTERN, tag) and tag not in _YAML11_WORDS and not tag[0].isdigit()
    return tag if plain else _quoted(tag)
