"""`build_site`: read → validate → index → render → write. Never prints.

Reading it should read like the pipeline. Every stage that costs time per
paper is cached between builds (.paperfeed-cache/) and spread over every
core on a cold build; each output file is a Job with a fingerprint of its
inputs, so a rebuild makes only the files whose inputs changed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import jinja2

from generator.cache import BuildCache, cache_path, digest, load_cache, read_stamp, save_cache, write_stamp
from generator.config import SiteConfig
from generator.content import load_valid_content
from generator.errors import BuildFailed, Problem
from generator.feeds import OPML_FEED, feed_jobs, render_feeds_page
from generator.index import SiteIndex, build_index
from generator.jobs import CODE_DIGEST, Fingerprinter, Job
from generator.models import Paper
from generator.parallel import parallel_imap, parallel_map
from generator.related import paper_words, related_papers
from generator.render import Renderer
from generator.search import render_search_page, run_search
from generator.sitedata import papers_json, robots_txt, sitemap_xml
from generator.theme import BUNDLED_THEMES, TemplateDigests, find_theme, make_environment, static_files, template_problem
from generator.views import PaperView, TextPieces, paper_views, site_view, text_pieces
from generator.writer import (
    Publication, WriteStats, check_output_folder, forget_build_id, read_build_id, write_build_id,
)


@dataclass
class BuildResult:
    papers: int
    pages: int  # HTML pages in the site
    files: int  # every file in the site
    feeds: int
    made: int  # files whose inputs changed, so they were made again
    stats: WriteStats
    seconds: float
    stages: list[tuple[str, float]] = field(default_factory=list)


Progress = Callable[[str, int, int], None]  # (stage, done, total): told as the build goes


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


class _Stages:
    """Times each named stage, for `--verbose`, and tells `progress` when one ends."""

    def __init__(self, progress: Progress) -> None:
        self.times: list[tuple[str, float]] = []
        self.progress = progress
        self._last = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.times.append((name, now - self._last))
        self._last = now
        self.progress(name, 1, 1)


def build_site(content: Path, output: Path, today: date, *, use_cache: bool = True,
               jobs: int | None = None, progress: Progress = _no_progress) -> BuildResult:
    """Build the site for `content` into `output`. Raises BuildFailed with every problem.

    `use_cache=False` ignores what earlier builds remembered (a cold build);
    `jobs` is the number of processes (default: every core); `progress` is
    told of each finished stage and of the pages as they are made.
    """
    started = time.perf_counter()
    stages = _Stages(progress)
    check_output_folder(output, content)
    cache_file = cache_path(content)
    stamp = input_stamp(content).hex()
    last = read_stamp(cache_file) if use_cache else {}
    if (last.get("stamp") == stamp and last.get("output") == str(output.resolve()) and output.is_dir()
            and last.get("build") == read_build_id(output)):
        # Not one input file changed since the output was written: it is already right.
        stages.done("check inputs")
        return BuildResult(last["papers"], last["pages"], last["files"], last["feeds"], 0,
                           WriteStats(0, last["files"], 0), time.perf_counter() - started, stages.times)
    cache = load_cache(cache_file) if use_cache else BuildCache()
    site, papers = load_valid_content(content, today, cache, jobs)
    stages.done("read and validate")
    index = build_index(papers.papers, papers.tags)
    texts, words = cached_texts(papers.papers, cache, jobs)
    stages.done("markdown and math")
    related = cached_related(papers.papers, words, cache)
    views = paper_views(site, index, texts)
    stages.done("index and related")
    theme = find_theme(content.resolve().parent, site.theme)
    env = make_environment(theme)
    planned: list[Job] = []
    renderer = Renderer(env, site, site_view(site), index, views, related, planned, TemplateDigests(env))
    try:
        queue_pages(renderer)
    except jinja2.TemplateError as exc:  # a broken template found while planning (e.g. its syntax)
        raise BuildFailed([template_problem(exc)]) from exc
    feeds = feed_jobs(site, index, views)
    planned += feeds
    planned += data_jobs(site, index, views, [job.path for job in planned])
    planned += [Job(f"static/{rel}", source.read_bytes(), lambda s=source: s.read_bytes())
                for rel, source in static_files(theme).items()]
    stages.done("plan")
    # The cache describes this output only if both name the same build (see writer.py).
    same_output = (cache.output_dir == str(output.resolve()) and output.is_dir()
                   and bool(cache.build_id) and read_build_id(output) == cache.build_id)
    previous = cache.outputs if same_output else {}
    with Publication(output, set(previous) if same_output else None) as publication:
        fingerprints, made = make_files(planned, site, previous, output, jobs, publication, progress)
        stages.done("render")
        forget_build_id(output)
        stats = publication.commit()
    cache.outputs, cache.output_dir, cache.build_id = fingerprints, str(output.resolve()), os.urandom(8).hex()
    save_cache(cache_file, cache)
    write_build_id(output, cache.build_id)
    stages.done("write")
    run_search(site, output)  # the last step: Pagefind over the published pages
    stages.done("search")
    pages = sum(1 for job in planned if job.path.endswith(".html"))
    feeds_count = sum(1 for f in feeds if f.path != OPML_FEED)
    write_stamp(cache_file, {"stamp": stamp, "output": cache.output_dir, "build": cache.build_id,
                             "papers": len(papers.papers), "pages": pages, "files": len(planned),
                             "feeds": feeds_count})
    return BuildResult(len(papers.papers), pages, len(planned), feeds_count,
                       made, stats, time.perf_counter() - started, stages.times)


def input_stamp(content: Path) -> bytes:
    """Path, size and mtime of every file a build reads: content, themes, templates, static.

    Taken before reading, so an edit made during a build makes the next
    build's stamp differ. Equal stamps mean the previous output is still right.
    """
    root = content.resolve().parent
    folders = {content.resolve(), root / "themes", root / "templates", root / "static", BUNDLED_THEMES.resolve()}
    h = hashlib.blake2b(CODE_DIGEST, digest_size=16)  # new code may make other output
    for folder in sorted(folders):
        for base, dirs, names in os.walk(folder):
            dirs.sort()
            for name in sorted(names):
                path = os.path.join(base, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                h.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.digest()


def queue_pages(renderer: Renderer) -> None:
    renderer.home()
    renderer.days()
    renderer.periods()
    renderer.papers()
    renderer.tags()
    renderer.people()
    render_feeds_page(renderer)
    if renderer.site.search:
        render_search_page(renderer)
    renderer.not_found()


def cached_related(papers: tuple[Paper, ...], words: list[dict[str, int]],
                   cache: BuildCache) -> dict[str, tuple[Paper, ...]]:
    """Related papers depend on every entry, so they are kept for one exact set of entries."""
    key = digest(*(repr(p) for p in papers))
    known_key, known = cache.related
    if known_key != key:
        computed = related_papers(papers, words=words)
        known = {slug: tuple(p.slug for p in found) for slug, found in computed.items()}
        cache.related = (key, known)
    by_slug = {p.slug: p for p in papers}
    return {slug: tuple(by_slug[s] for s in found) for slug, found in known.items()}


def cached_texts(papers: tuple[Paper, ...], cache: BuildCache,
                 jobs: int | None) -> tuple[dict[str, TextPieces], list[dict[str, int]]]:
    """Markdown and math of each entry, and the words related papers are found by:
    from the cache, or made on every core."""
    keys = [digest(p.title, p.abstract, p.note or "") for p in papers]
    missing = [i for i, key in enumerate(keys) if key not in cache.markup]

    def make(i: int) -> tuple[TextPieces, dict[str, int]]:
        paper = papers[missing[i]]
        return text_pieces(paper), paper_words(paper)

    for i, made in zip(missing, parallel_map(make, len(missing), jobs)):
        cache.markup[keys[i]] = made
    live = set(keys)
    for key in [k for k in cache.markup if k not in live]:
        del cache.markup[key]
    found = [cache.markup[key] for key in keys]
    return {p.slug: pieces for p, (pieces, _) in zip(papers, found)}, [words for _, words in found]


def data_jobs(site: SiteConfig, index: SiteIndex, views: dict, paths: list[str]) -> list[Job]:
    pages = sorted(p for p in paths if p.endswith(".html") and p != "404.html")
    urls = [p.removesuffix("index.html") for p in pages]
    return [
        Job("sitemap.xml", tuple(urls), lambda: sitemap_xml(site, [(u, None) for u in urls])),
        Job("robots.txt", (), lambda: robots_txt(site)),
        Job("papers.json", index.papers, lambda: papers_json(site, index, views)),
    ]


def make_files(planned: list[Job], site: SiteConfig, previous: dict[str, bytes], output: Path,
               jobs: int | None, publication: Publication,
               progress: Progress = _no_progress) -> tuple[dict[str, bytes], int]:
    """Make the files whose fingerprint changed and hand each to the publication as soon
    as it is made; keep the others as the output has them."""
    fingerprinter = Fingerprinter(digest(repr(site)), stand_in=_stand_in)
    output_folder = str(output)
    fingerprints: dict[str, bytes] = {}
    todo: list[Job] = []
    for job in planned:
        fingerprints[job.path] = fingerprint = fingerprinter.of(job)
        if previous.get(job.path) == fingerprint and os.path.isfile(os.path.join(output_folder, job.path)):
            publication.keep(job.path)
        else:
            todo.append(job)
    for count, (job, data) in enumerate(zip(todo, parallel_imap(lambda i: _make(todo[i]), len(todo), jobs)), 1):
        if isinstance(data, Problem):
            raise BuildFailed([data])  # one broken template fails every page: say it once
        publication.add(job.path, data)
        if count % 128 == 0 or count == len(todo):
            progress("render", count, len(todo))
    return fingerprints, len(todo)


def _stand_in(value: object) -> bytes | None:
    """What a view or an entry is made from, hashed: fingerprints need no more of them."""
    if isinstance(value, PaperView):
        return value.source_digest
    if isinstance(value, Paper):
        return digest(repr(value))
    return None


def _make(job: Job) -> bytes | str | Problem:
    try:
        return job.make()
    except jinja2.TemplateError as exc:  # returned, not raised: it may come from a worker process
        return template_problem(exc)
