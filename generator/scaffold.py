"""`paperfeed init`: a new site that validates and builds at once.

Everything is prepared in memory first, then written: the content folder (with a
freshly generated, fixed site id and one example entry), the same CI workflows
as paperfeed's own repository, a README, a CONTRIBUTING guide, `.gitignore`,
`.python-version` and a `requirements.txt` pinning this paperfeed.

An existing file is never overwritten: a non-empty folder is refused, and with
`force` the missing files are added and every existing one is kept (and named),
so re-running init cannot change a site's id or undo a curator's edits.
"""

from __future__ import annotations

import json
import re
import secrets
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from generator import __version__
from generator.config import SiteConfig, http_url
from generator.entries import entry_json_schema

_PACKAGE = Path(__file__).resolve().parent
NEW_SITE = _PACKAGE / "new_site"  # the templates below, shipped as package data
EXAMPLE_SLUG = "attention-is-all-you-need"
DEFAULT_BASE_URL = "https://example.org/"
_IGNORED = {".git"}  # a folder holding only these counts as empty (a fresh `git init` or clone)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class InitRefused(Exception):
    """Why no site was created (nothing was written)."""


@dataclass(frozen=True)
class Created:
    root: Path
    written: tuple[str, ...]  # paths relative to root, in writing order
    kept: tuple[str, ...]  # existing files left as they were (only with force)
    site_id: str
    title: str
    base_url: str
    base_url_given: bool


def workflows_dir() -> Path:
    """The CI workflows to copy: inside the installed package (pyproject.toml maps the
    repository's .github/workflows/ there), else the repository's own (a source
    checkout or an editable install)."""
    for folder in (_PACKAGE / "workflows", _PACKAGE.parent / ".github" / "workflows"):
        if (folder / "validate.yml").is_file():
            return folder
    raise InitRefused("this paperfeed installation lacks its CI workflows (generator/workflows/): reinstall it")


def new_site_id(base_url: str, today: date, token: str | None = None) -> str:
    """`tag:<host>,<year>:papers-<random>` (RFC 4151): unique, and fixed once written."""
    host = urlsplit(base_url).hostname or "example.org"
    return f"tag:{host},{today.year}:papers-{token or secrets.token_hex(4)}"


def site_files(title: str, base_url: str, site_id: str, today: date) -> dict[str, bytes]:
    """Every file of the new site: relative path → bytes."""
    values = {
        "title": title,
        "title_yaml": _yaml_text(title),
        "base_url_yaml": _yaml_text(base_url),
        "id_yaml": _yaml_text(site_id),
        "added": today.isoformat(),
        "year": str(today.year),
        "version": __version__,
    }
    schema = json.dumps(entry_json_schema(), indent=2, sort_keys=True) + "\n"  # as `paperfeed schema` prints it
    workflows = workflows_dir()
    text = {
        "content/site.yaml": _fill("site.yaml", values),
        "content/tags.yaml": _fill("tags.yaml", values),
        "content/paper.schema.json": schema,
        f"content/papers/{today.year}/{EXAMPLE_SLUG}.yaml": _fill("example.yaml", values),
        "README.md": _fill("README.md", values),
        "CONTRIBUTING.md": _fill("CONTRIBUTING.md", values),
        ".gitignore": _fill("gitignore", values),
        "requirements.txt": _fill("requirements.txt", values),
        ".python-version": f"{sys.version_info.major}.{sys.version_info.minor}\n",
    }
    files = {path: content.encode("utf-8") for path, content in text.items()}
    for name in ("validate.yml", "deploy.yml"):  # byte for byte the same as paperfeed's own
        files[f".github/workflows/{name}"] = (workflows / name).read_bytes()
    return files


def create_site(root: Path, *, title: str | None, base_url: str | None, force: bool, today: date,
                token: str | None = None) -> Created:
    """Create a site in `root`. Raises InitRefused, having written nothing, when the
    folder is not empty (without `force`) or an option is invalid."""
    title = (title if title is not None else _title_from(root)).strip()
    if not title:
        raise InitRefused("--title must not be empty")
    given = base_url is not None
    try:
        base_url = http_url(base_url) if given else DEFAULT_BASE_URL
    except ValueError as error:
        raise InitRefused(f"--base-url {error}") from None
    if not base_url.endswith("/"):
        base_url += "/"
    _check_folder(root, force)
    site_id = new_site_id(base_url, today, token)
    try:  # the settings model itself says whether these would validate
        SiteConfig(title=title, base_url=base_url, id=site_id)
    except ValueError as error:
        raise InitRefused(f"--title or --base-url would not validate: {error}") from None
    files = site_files(title, base_url, site_id, today)

    written, kept = [], []
    for rel, data in files.items():
        path = root / rel
        if path.exists() or path.is_symlink():
            kept.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as out:  # "x": never replaces a file, even one that just appeared
            out.write(data)
        written.append(rel)
    return Created(root, tuple(written), tuple(kept), site_id, title, base_url, given)


def _check_folder(root: Path, force: bool) -> None:
    if root.exists() and not root.is_dir():
        raise InitRefused(f"{root} exists and is not a folder")
    if not root.is_dir() or force:
        return
    present = sorted(p.name for p in root.iterdir() if p.name not in _IGNORED)
    if present:
        shown = ", ".join(present[:3]) + (", …" if len(present) > 3 else "")
        raise InitRefused(f"{root} is not empty (it holds {shown}): choose a new or empty folder, or pass "
                          "--force to add the site's files beside these (existing files are kept)")


def _title_from(root: Path) -> str:
    """'reading-group' → 'Reading group'."""
    words = re.sub(r"[-_.\s]+", " ", root.resolve().name).strip()
    return (words[:1].upper() + words[1:]) if words else "Papers"


def _yaml_text(value: str) -> str:
    """A double-quoted YAML scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _fill(name: str, values: dict[str, str]) -> str:
    template = (NEW_SITE / name).read_text(encoding="utf-8")

    def value(match: re.Match) -> str:
        return values[match.group(1)]  # a KeyError here is a typo in a template: a bug, found by the tests

    return _PLACEHOLDER.sub(value, template)
