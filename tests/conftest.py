"""Shared fixtures: tiny throwaway sites, the real CLI, and the built seed site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

SITE = {
    "title": "Test Papers",
    "description": "A tiny test feed.",
    "base_url": "https://example.org/",
    "id": "tag:example.org,2025:test-papers",
    "language": "en",
    "author": "Tests",
    "per_page": 30,
    "feed_items": 50,
    "theme": "default",
}
TAGS = {"quantization": "Low-bit number formats", "math-reasoning": "Models solving math problems"}


def paper(**fields) -> dict:
    """A valid entry; keyword arguments override or (with None) remove fields."""
    entry = {"title": "A Test Paper", "added": "2025-12-09", "abstract": "We test things."}
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not None}


def write_site(root: Path, papers: dict[str, dict | str] | None = None, site: dict | None = None,
               tags: dict | None = None) -> Path:
    """Write a content folder under `root`; returns it. `papers` maps 'YYYY/slug' to an
    entry dict (dumped as YAML) or to raw text written as is."""
    content = root / "content"
    (content / "papers").mkdir(parents=True, exist_ok=True)
    (content / "site.yaml").write_text(yaml.safe_dump({**SITE, **(site or {})}, sort_keys=False),
                                       encoding="utf-8")
    (content / "tags.yaml").write_text(yaml.safe_dump(TAGS if tags is None else tags), encoding="utf-8")
    for name, entry in (papers or {}).items():
        path = content / "papers" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = entry if isinstance(entry, str) else yaml.safe_dump(entry, sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
    return content


@pytest.fixture
def make_site(tmp_path):
    """make_site(papers={...}, site={...}, tags={...}) → the content folder in tmp_path."""
    def make(papers=None, site=None, tags=None):
        return write_site(tmp_path, papers, site, tags)
    return make


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None,
            check: bool = False) -> subprocess.CompletedProcess:
    """Run the real `paperfeed` command (as `python -m generator`) in a subprocess."""
    result = subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd or REPO,
                            capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"paperfeed {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def seed_site(tmp_path_factory) -> Path:
    """The real content/ built once per test session; returns the output folder."""
    out = tmp_path_factory.mktemp("seed") / "site"
    run_cli("build", "--content", str(REPO / "content"), "--output", str(out), check=True)
    return out


@pytest.fixture(scope="session")
def seed_content_copy(tmp_path_factory) -> Path:
    """A throwaway copy of the real content folder (tests may edit it)."""
    root = tmp_path_factory.mktemp("seedcopy")
    shutil.copytree(REPO / "content", root / "content")
    return root / "content"


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium per test module (see tests/support/tools.py). Module scope:
    Playwright's sync API allows one running instance per thread, and some tests start their own."""
    from playwright.sync_api import sync_playwright

    from tests.support.tools import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def strings_in(value):
    """Every string in a YAML value: keys, items and values, depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
