"""`site.yaml` and `tags.yaml` → typed, frozen settings.

Settings are validated by pydantic with unknown keys forbidden, so a typo in a
setting is an error instead of a silently ignored value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from generator.errors import Problem
from generator.slugs import without_bidi_controls
from generator.sources import Loaded, load_yaml
from generator.validation import problem_at, validate_model

TAG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_TAG = 80


_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def http_url(value: str) -> str:
    """An absolute http(s) URL with a host, without spaces or control characters."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an absolute http(s) URL, got {value!r}")
    if _SPACE_OR_CONTROL.search(value):
        raise ValueError("must not contain spaces or control characters")
    return value


def _base_url(value: str) -> str:
    value = http_url(value)
    return value if value.endswith("/") else value + "/"


# Characters no output can hold: XML 1.0 forbids C0 controls and U+FFFE/U+FFFF (a feed
# library raises on them), HTML calls C1 controls and lone surrogates errors. Tab, LF, CR are fine.
_FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _printable(value: str) -> str:
    found = _FORBIDDEN_CHARS.search(value)
    if found:
        raise ValueError(f"must not contain the control character U+{ord(found.group()):04X}")
    return value


def _no_bidi(value: object) -> object:
    """Bidi embeddings, overrides and isolates are dropped on reading (see slugs.py)."""
    return without_bidi_controls(value) if isinstance(value, str) else value


# Every free-text field: bidi controls removed (before its own constraints: this validator wraps
# them), then no control characters.
Clean = (BeforeValidator(_no_bidi), AfterValidator(_printable))
Text = Annotated[str, StringConstraints(min_length=1, max_length=1000), *Clean]


class SiteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    title: Text
    description: Annotated[str, *Clean] = ""
    base_url: Annotated[str, AfterValidator(_base_url)]
    id: Annotated[str, StringConstraints(min_length=1, pattern=r"^\S+$")]
    language: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")] = "en"
    author: Annotated[str, *Clean] = ""
    per_page: Annotated[int, Field(ge=1, le=1000)] = 30
    feed_items: Annotated[int, Field(ge=1, le=10000)] = 50
    theme: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$")] = "default"
    search: bool = True

    @property
    def base_path(self) -> str:
        """The URL path the site lives under: "/" or "/repo/"."""
        return urlsplit(self.base_url).path or "/"


def load_site(content: Path) -> tuple[SiteConfig | None, list[Problem]]:
    path = content / "site.yaml"
    if not path.is_file():
        return None, [Problem(str(path), message="missing site.yaml",
                              hint="every content folder needs one; see FORMAT.md")]
    loaded = load_yaml(path)
    if loaded.problem:
        return None, [loaded.problem]
    if isinstance(loaded.data, dict) and "id" not in loaded.data:
        # Say why `id` matters: it is what keeps feed readers from showing items twice.
        return None, [Problem(loaded.shown, message="missing required key 'id'",
                              hint="set a fixed id such as 'tag:example.org,2025:papers'; "
                                   "feed ids derive from it and must never change")]
    return validate_model(SiteConfig, loaded, "site.yaml")


def load_tags(content: Path) -> tuple[dict[str, str], list[Problem]]:
    """The tag vocabulary: tag -> one-line description."""
    path = content / "tags.yaml"
    if not path.is_file():
        return {}, []
    loaded = load_yaml(path)
    if loaded.problem:
        return {}, [loaded.problem]
    return _check_tags(loaded)


def _check_tags(loaded: Loaded) -> tuple[dict[str, str], list[Problem]]:
    if not isinstance(loaded.data, dict):
        return {}, [Problem(loaded.shown, message="tags.yaml must map each tag to a one-line description")]
    tags, problems = {}, []
    for tag, description in loaded.data.items():
        if not isinstance(tag, str) or not re.match(TAG_PATTERN, tag) or len(tag) > MAX_TAG:
            problems.append(problem_at(loaded, (tag,), f"bad tag name {tag!r}",
                                       "use lowercase words joined by '-', like 'math-reasoning', "
                                       f"at most {MAX_TAG} characters",
                                       on_key=True))
        elif not isinstance(description, str) or not description.strip():
            problems.append(problem_at(loaded, (tag,), f"tag '{tag}' needs a one-line description"))
        elif _FORBIDDEN_CHARS.search(description):
            problems.append(problem_at(loaded, (tag,), f"tag '{tag}': the description holds a control character"))
        else:
            tags[tag] = without_bidi_controls(description.strip())
    return tags, problems
