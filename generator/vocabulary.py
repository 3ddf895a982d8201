"""The new-tag gate: which tags a change adds to `tags.yaml`.

FORMAT.md lets a pull request add a tag to `content/tags.yaml`, where a
maintainer sees it. CI calls `paperfeed tags --new-since <base commit>` and
writes the answer into the job summary, so the vocabulary grows only on
purpose. The tags.yaml of that commit is read with `git show` and parsed by
the same reader as today's (`config.load_tags`).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from generator.config import load_tags


class TagDiffError(Exception):
    """The comparison could not be made (no git, not a repository, unknown revision)."""


def new_tags_since(content: Path, ref: str) -> list[str]:
    """Tags in `content/tags.yaml` now that it did not list at git revision `ref`,
    in the file's order. A tags.yaml missing at `ref` makes every tag new."""
    current, _ = load_tags(content)
    before = _tags_at(content, ref)
    return [tag for tag in current if tag not in before]


def _tags_at(content: Path, ref: str) -> set[str]:
    if not ref or ref.startswith("-"):
        raise TagDiffError(f"'{ref}' is not a git revision")
    if not content.is_dir():
        raise TagDiffError(f"no content folder at {content}")
    resolved = _git(content, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if resolved.returncode != 0:
        raise TagDiffError(
            f"unknown git revision '{ref}'" + (f": {resolved.stderr.strip()}" if resolved.stderr.strip() else "")
            + " — fetch it first (in CI: actions/checkout with fetch-depth: 2 for HEAD^1)")
    commit = resolved.stdout.strip()
    old = _git(content, "show", f"{commit}:./tags.yaml")
    if old.returncode != 0:
        return set()  # tags.yaml did not exist at `ref`
    with tempfile.TemporaryDirectory(prefix="paperfeed-tags-") as folder:
        (Path(folder) / "tags.yaml").write_text(old.stdout, encoding="utf-8")
        tags, _ = load_tags(Path(folder))
    return set(tags)


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              encoding="utf-8", timeout=60)
    except FileNotFoundError:
        raise TagDiffError("git is not installed (the tag comparison reads the old tags.yaml with git)")
    except subprocess.TimeoutExpired:
        raise TagDiffError("git did not answer within 60 s")
