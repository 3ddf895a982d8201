"""`build_site`: read → validate → index → render → write. Never prints."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import jinja2

from generator.content import load_valid_content
from generator.errors import BuildFailed
from generator.feeds import build_feeds, render_feeds_page
from generator.index import build_index
from generator.related import related_papers
from generator.render import Renderer
from generator.sitedata import papers_json, robots_txt, sitemap_xml
from generator.theme import find_theme, make_environment, static_files, template_problem
from generator.views import paper_views, site_view
from generator.writer import SiteFiles, WriteStats, check_output_folder, publish


@dataclass
class BuildResult:
    papers: int
    pages: int  # HTML pages
    files: int  # every file written or kept
    feeds: int
    stats: WriteStats
    seconds: float
    stages: list[tuple[str, float]] = field(default_factory=list)


class _Stages:
    """Times each named stage, for `--verbose`."""

    def __init__(self) -> None:
        self.times: list[tuple[str, float]] = []
        self._last = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.times.append((name, now - self._last))
        self._last = now


def build_site(content: Path, output: Path, today: date) -> BuildResult:
    """Build the site for `content` into `output`. Raises BuildFailed with every problem."""
    started = time.perf_counter()
    stages = _Stages()
    check_output_folder(output, content)
    site, papers = load_valid_content(content, today)
    stages.done("read and validate")
    index = build_index(papers.papers, papers.tags)
    related = related_papers(papers.papers)
    stages.done("index")
    theme = find_theme(content.resolve().parent, site.theme)
    views = paper_views(site, index)
    stages.done("markdown and math")
    files = SiteFiles()
    renderer = Renderer(make_environment(theme), site, site_view(site), index, views, related, files)
    try:
        render_pages(renderer)
    except jinja2.TemplateError as exc:
        raise BuildFailed([template_problem(exc)]) from exc
    stages.done("render pages")
    feed_files = build_feeds(site, index, views)
    for path, data in feed_files:
        files.add(path, data)
    feeds = sum(1 for path, _ in feed_files if path != "feeds.opml")
    stages.done("feeds")
    pages = [path for path in files.files if path.endswith(".html")]
    files.add("sitemap.xml", sitemap_xml(site, _sitemap_urls(pages)))
    files.add("robots.txt", robots_txt(site))
    files.add("papers.json", papers_json(site, index, views))
    for relative, source in static_files(theme).items():
        files.add(f"static/{relative}", source.read_bytes())
    stats = publish(files, output)
    stages.done("write")
    return BuildResult(len(papers.papers), len(pages), len(files), feeds, stats,
                       time.perf_counter() - started, stages.times)


def render_pages(renderer: Renderer) -> None:
    renderer.home()
    renderer.days()
    renderer.periods()
    renderer.papers()
    renderer.tags()
    renderer.people()
    render_feeds_page(renderer)
    renderer.not_found()


def _sitemap_urls(pages: list[str]) -> list[tuple[str, str | None]]:
    urls = []
    for path in sorted(pages):
        if path == "404.html":
            continue
        urls.append((path[: -len("index.html")] if path.endswith("index.html") else path, None))
    return urls
