"""The build's stages, from content to published files: read → validate → index
→ render → write. `build_site` (build.py) calls `build_everything` when some
input changed. Every stage that costs time per paper is cached between builds
(.paperfeed-cache/) and spread over every core on a cold build; each output
file is a Job with a fingerprint of its inputs, so a rebuild makes only the
files whose inputs changed (and does not even plan Jobs for a paper's files,
a listing page or a group's feeds whose inputs did not change: render.py).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import operator
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path

import jinja2

from generator.build import BuildResult, EntryStats, Progress, Stages, no_progress
from generator.cache import (
    BIG_TABLES, BuildCache, cache_path, digest, discard_shards, load_cache, save_cache, write_shards_ahead,
    write_stamp,
)
from generator.config import SiteConfig
from generator.content import load_valid_content
from generator.errors import BuildFailed, Problem
from generator.feeds import OPML_FEED, FeedInfo, feed_catalogue, feed_jobs, render_feeds_page
from generator.index import SiteIndex, build_index
from generator.jobs import FINGERPRINT_SIZE, Fingerprinter, Job
from generator.models import Paper
from generator.parallel import in_background, parallel_imap, parallel_map
from generator.related import Words, paper_words, related_papers, word_frequency
from generator.render import CARD_TEMPLATE, Renderer
from generator.search import index_search, render_search_page, search_paths
from generator.sitedata import papers_json, record_digests, robots_txt, sitemap_xml
from generator.theme import (
    CompiledTemplates, TemplateDigests, Theme, find_theme, load_templates, make_environment, static_files,
    template_problem,
)
from generator.views import PaperView, TextPieces, paper_views, site_view, text_pieces
from generator.writer import Publication, forget_build_id, read_build_id, write_build_id


def build_everything(content: Path, output: Path, today: date, use_cache: bool, jobs: int | None,
                     progress: Progress, stages: Stages, stamp: str, seen: EntryStats, started: float) -> BuildResult:
    """Every stage, for a build whose inputs changed (or with no usable cache)."""
    cache_file = cache_path(content)
    cache = load_cache(cache_file) if use_cache else BuildCache()
    site, papers = load_valid_content(content, today, cache, jobs, seen)
    seen.stats.clear()  # read: 25 MB at 100,000 papers this build's peak need not hold
    stages.done("read and validate")
    index = build_index(papers.papers, papers.tags)
    texts, words = cached_texts(papers.papers, site.base_url, cache, jobs)
    stages.done("markdown and math")
    related = cached_related(papers.papers, words, cache)
    with cache_written_ahead(cache_file, cache, jobs) as written_ahead:
        views = paper_views(site, index, texts)
        stages.done("index and related")
        theme = find_theme(content.resolve().parent, site.theme)
        compiled = CompiledTemplates(cache.compiled_templates)
        env = make_environment(theme, compiled)
        template_digests = TemplateDigests(env, cache.template_references)
        # The cache describes this output only if both name the same build (see writer.py).
        same_output = (cache.output_dir == str(output.resolve()) and output.is_dir()
                       and bool(cache.build_id) and read_build_id(output) == cache.build_id)
        previous = cache.outputs if same_output else {}
        fingerprinter = site_fingerprinter(site)
        planned: list[Job] = []
        renderer = Renderer(env, site, site_view(site), index, views, related, planned, template_digests,
                            known_outputs=previous, settings_digest=fingerprinter.shared)
        catalogue = feed_catalogue(site, index)  # every feed: listed on the feeds page and in the OPML file
        reuse = ((output / "papers.json", cache.papers_json[1])
                 if "papers.json" in previous and cache.papers_json[0] == fingerprinter.shared else None)
        feeds: list[Job] = []

        def plan() -> None:
            feeds.extend(plan_files(renderer, catalogue, reuse, theme))
            stages.done("plan")

        # The cards most pages show are made on every core while this process plans the pages.
        load_templates(env, [CARD_TEMPLATE])
        cached_cards(renderer, site, cache, jobs, meanwhile=plan)
        stages.done("cards")
        carried = renderer.carried  # files known current without a Job (see Renderer.papers and .listing)
        # The search bundle is not a job (Pagefind writes it), so its files join the previous ones here.
        with Publication(output, set(previous) | search_paths(output) if same_output else None) as publication:
            # two outputs at one path: fail before any work
            publication.claim_all(itertools.chain((job.path for job in planned), carried))
            if previous:
                fingerprints, current = fingerprint_jobs(planned, fingerprinter, jobs, previous)
                fingerprints |= {path: previous[path] for path in carried}
                todo = keep_current(planned, current, carried, publication)
            else:  # nothing to compare with: every file is made, and fingerprinted by the worker making it
                fingerprints, todo = {}, planned
            if todo:
                load_templates(env, template_digests.used())
            stages.done("fingerprint")
            fingerprints |= make_files(todo, jobs, publication, progress, None if previous else fingerprinter)
            stages.done("render")
            index_search(site, publication)  # over the staged pages: committed with them, or not at all
            stages.done("search")
            forget_build_id(output)
            stats = publication.commit()
        cache.outputs, cache.output_dir, cache.build_id = fingerprints, str(output.resolve()), os.urandom(8).hex()
        cache.compiled_templates, cache.template_references = compiled.remembered(), template_digests.references
        cache.papers_json = (fingerprinter.shared, record_digests(index))
        if save_cache(cache_file, cache, written_ahead()):  # a cache not saved only makes the next build cold
            write_build_id(output, cache.build_id)
        stages.done("write")
        paths = [job.path for job in planned] + carried
        pages = sum(1 for path in paths if path.endswith(".html"))
        feeds_count = sum(1 for f in feeds if f.path != OPML_FEED) + renderer.carried_feeds
        write_stamp(cache_file, {"stamp": stamp, "output": cache.output_dir, "build": cache.build_id,
                                 "papers": len(papers.papers), "pages": pages, "files": len(paths),
                                 "feeds": feeds_count})
        return BuildResult(len(papers.papers), pages, len(paths), feeds_count,
                           len(todo), stats, time.perf_counter() - started, stages.times)


def plan_files(renderer: Renderer, catalogue: list[FeedInfo], reuse: tuple[Path, bytes] | None,
               theme: Theme) -> list[Job]:
    """Every file's Job, into renderer.jobs in the order they are made (those known current
    go to renderer.carried instead). `reuse`: the output's papers.json and the digests of the
    entries it was made from, when it can be reused (sitedata.papers_json). Returns the feeds'."""
    try:
        queue_pages(renderer, catalogue)
    except jinja2.TemplateError as exc:  # a broken template found while planning (e.g. its syntax)
        raise BuildFailed([template_problem(exc)]) from exc
    site, index, planned = renderer.site, renderer.index, renderer.jobs
    feeds = feed_jobs(site, index, renderer.views, renderer.carried_groups, renderer.feed_keys, catalogue)
    planned += feeds
    # First: papers.json is the costliest file of all, and a rebuild's workers take files in order.
    # A rebuild copies unchanged entries' records from the output's papers.json (sitedata.py).
    planned[:0] = data_jobs(site, index, [job.path for job in planned] + renderer.carried, reuse)
    planned += [Job(f"static/{rel}", source.read_bytes(), lambda s=source: s.read_bytes())
                for rel, source in static_files(theme).items()]
    return feeds


def queue_pages(renderer: Renderer, catalogue: list[FeedInfo]) -> None:
    renderer.home()
    renderer.days()
    renderer.periods()
    renderer.papers()
    renderer.tags()
    renderer.people()
    render_feeds_page(renderer, catalogue)
    if renderer.site.search:
        render_search_page(renderer)
    renderer.not_found()


def cached_related(papers: tuple[Paper, ...], words: list[Words],
                   cache: BuildCache) -> dict[str, tuple[Paper, ...]]:
    """Related papers depend on every entry, so they are kept for one exact set of entries."""
    keys = [p.identity() for p in papers]
    key, live = digest(*keys), set(keys)
    known_key, known = cache.related
    if known_key != key:
        frequency = cached_word_frequency(keys, live, words, cache)
        computed = related_papers(papers, words=words, frequency=frequency)
        known = {slug: tuple(p.slug for p in found) for slug, found in computed.items()}
        cache.related = (key, known)
    # The words of entries gone were needed until now, to count them out.
    for gone in [k for k in cache.words if k not in live]:
        del cache.words[gone]
    by_slug = {p.slug: p for p in papers}
    return {slug: tuple(by_slug[s] for s in found) for slug, found in known.items()}


def cached_word_frequency(keys: list[bytes], live: set[bytes], words: list[Words],
                          cache: BuildCache) -> dict[str, int]:
    """How many entries have each word (related.word_frequency), from the cache's count brought
    up to date by the entries added and removed since: counting every entry's words again is
    800,000 words at 10,000 papers. `live` is set(keys); `cache.words` must still hold the
    words of the entries gone."""
    counted, counts = cache.word_counts
    gone, added = counted - live, live - counted
    if counted and len(gone) + len(added) < len(live) // 2 and all(k in cache.words for k in gone):
        try:
            for key in gone:
                for word in cache.words[key][0]:
                    if counts[word] > 1:
                        counts[word] -= 1
                    else:
                        del counts[word]
            for key, (found, _) in zip(keys, words):
                if key in added:
                    for word in found:
                        counts[word] = counts.get(word, 0) + 1
        except KeyError:  # a word counted out that was never counted in: count afresh
            counts = word_frequency(words)
    else:
        counts = word_frequency(words)
    cache.word_counts = (frozenset(live), counts)
    return counts


@contextlib.contextmanager
def cache_written_ahead(cache_file: Path, cache: BuildCache, jobs: int | None) -> Iterator[Callable[[], bool]]:
    """Another process writes the cache files of the entries, texts and words (final once the
    related papers are found) while this one plans the pages, on one core — when the build
    read none of them from the cache (a cold build), so all are new. The few a rebuild
    changes are not worth a fork: this process would then copy each page of its memory it
    writes to first (~50 ms at 10,000 papers, more than writing the shards of one new entry
    takes); save_cache writes them. Inside: a function that waits for the writing and tells
    whether it was done, for save_cache. When the build fails, what was written is removed."""
    if any(table in BIG_TABLES for table, _ in cache.shard_keys):
        yield lambda: False
        return
    wrote = in_background(functools.partial(write_shards_ahead, cache_file, cache), jobs)

    def written() -> bool:
        if not wrote():
            discard_shards(cache_file)  # what it did write
        return wrote()
    try:
        yield written
    except BaseException:
        wrote()
        discard_shards(cache_file)
        raise


def cached_texts(papers: tuple[Paper, ...], base_url: str, cache: BuildCache,
                 jobs: int | None) -> tuple[dict[str, TextPieces], list[Words]]:
    """Markdown, math and BibTeX of each entry, and the words related papers are found by:
    from the cache, or made on every core."""
    address = digest(base_url)
    if cache.site_address != address:  # the texts hold the site's address (BibTeX's url): all made again
        cache.markup.clear()
        cache.site_address = address
    keys = [p.identity() for p in papers]  # the entry's digest: a digest of digests cost 0.1 s at 10,000
    missing = [i for i, key in enumerate(keys) if key not in cache.markup or key not in cache.words]

    def make(i: int) -> tuple[tuple, str, bytes | tuple[int, ...]]:
        paper = papers[missing[i]]
        words, weights = paper_words(paper)
        # The texts travel back as a plain tuple: a TextPieces pickles copies of them (for the
        # build cache's sake, see its __reduce__), work wasted on the way from a worker. The words
        # (which hold no space) as one string: a hundred strings each, unpickled one by one, made
        # the markdown stage of a cold build at 10,000 papers a tenth slower.
        return text_pieces(paper, base_url).fields(), " ".join(words), weights

    # Taken as they come: each worker's words are fresh strings until interned, and a whole build's
    # of them at once (50 MB at 10,000 papers) would leave memory the build never gets back.
    for i, (fields, words, weights) in zip(missing, parallel_imap(make, len(missing), jobs)):
        cache.markup[keys[i]] = TextPieces(*fields)
        # Words recur across thousands of papers: one shared string each keeps the cache small and fast.
        cache.words[keys[i]] = (tuple(map(sys.intern, words.split(" "))) if words else (), weights)
    live = set(keys)
    for key in [k for k in cache.markup if k not in live]:
        del cache.markup[key]
    markup, words = cache.markup, cache.words  # the words of entries gone stay until cached_related
    return {p.slug: markup[key] for p, key in zip(papers, keys)}, [words[key] for key in keys]


def data_jobs(site: SiteConfig, index: SiteIndex, paths: list[str],
              reuse: tuple[Path, bytes] | None = None) -> list[Job]:
    pages = sorted(p for p in paths if p.endswith(".html") and p != "404.html")
    urls = [p.removesuffix("index.html") for p in pages]
    return [
        Job("sitemap.xml", tuple(urls), lambda: sitemap_xml(site, [(u, None) for u in urls])),
        Job("robots.txt", (), lambda: robots_txt(site)),
        Job("papers.json", index.papers, lambda: papers_json(site, index, previous=reuse)),
    ]


def site_fingerprinter(site: SiteConfig) -> Fingerprinter:
    # What a view or an entry is made from, hashed: fingerprints need no more of them.
    return Fingerprinter(digest(repr(site)), {PaperView: operator.attrgetter("source_digest"), Paper: Paper.identity})


FINGERPRINT_BATCH = 500


def fingerprint_jobs(planned: list[Job], fingerprinter: Fingerprinter, jobs: int | None,
                     previous: dict[str, bytes]) -> tuple[dict[str, bytes], list[bool]]:
    """Each output's fingerprint, and whether the output holds it already: the previous build
    recorded the same fingerprint. (The output folder carries that build's id, so it holds
    what that build wrote: it is the build's own, never edited by hand. Looking for each file
    once more would be a third of this stage.) Computed on every core."""
    def batch(b: int) -> bytes:  # one bytes per batch: 30,000 results unpickled one by one cost a tenth
        return b"".join(map(fingerprinter.of, planned[b * FINGERPRINT_BATCH:(b + 1) * FINGERPRINT_BATCH]))

    # Below 10,000 jobs (most rebuilds plan far fewer: render.py), one process is quicker than
    # starting workers, each with its own copy of the pages of memory it touches.
    found = b"".join(parallel_map(batch, -(-len(planned) // FINGERPRINT_BATCH), jobs, min_parallel=20))
    size = FINGERPRINT_SIZE
    fingerprints = {job.path: found[i * size:(i + 1) * size] for i, job in enumerate(planned)}
    return fingerprints, [previous.get(path) == fingerprint for path, fingerprint in fingerprints.items()]


def keep_current(planned: list[Job], current: list[bool], carried: list[str],
                 publication: Publication) -> list[Job]:
    """Keep the files that are current (the planned ones marked so, and the `carried` ones no
    Job was planned for); return the jobs left to make."""
    todo: list[Job] = []
    for job, kept in zip(planned, current):
        if kept:
            publication.record(job.path, publication.stage(job.path, None))
        else:
            todo.append(job)
    for path in carried:
        publication.record(path, publication.stage(path, None))
    return todo


def cached_cards(renderer: Renderer, site: SiteConfig, cache: BuildCache, jobs: int | None,
                 meanwhile: Callable[[], None] | None = None) -> None:
    """The cards most pages share, from the cache when the card template and settings are
    the same, the others made on every core (while this process does `meanwhile()`);
    remembered for the next build."""
    key = digest(repr(site), renderer.template_digest(CARD_TEMPLATE))
    known = cache.cards[1] if cache.cards[0] == key else {}
    cache.cards = (key, renderer.prepare_cards(jobs, known, meanwhile))


# Fewer files are made in this process: workers forked beside the build's memory cost more than
# they save (every page they touch is copied, and every page this process writes to after), as
# measured for one new entry: 96 files at 10,000 papers (a build 1.71–1.90 s in two processes,
# 1.63–1.68 s in one), ~500 at 100,000 (16.8–18.0 s against 16.3–16.4 s).
MIN_PARALLEL_FILES = 1000


def make_files(todo: list[Job], jobs: int | None, publication: Publication, progress: Progress = no_progress,
               fingerprinter: Fingerprinter | None = None) -> dict[str, bytes]:
    """Make each file on every core (fewer than MIN_PARALLEL_FILES in this process); the worker
    that makes one stages it, so only the outcome comes back, never the bytes. With a
    `fingerprinter`, the worker fingerprints each job too (returned by path): a cold build has
    no earlier ones to compare first, and a worker reading a job's inputs twice costs less than
    another pass over them all."""
    def make(i: int) -> tuple[int | Problem | BuildFailed, bytes]:
        job = todo[i]
        fingerprint = fingerprinter.of(job) if fingerprinter else b""
        data = _make(job)
        if isinstance(data, Problem):
            return data, fingerprint
        try:
            return publication.stage(job.path, data), fingerprint
        except BuildFailed as exc:  # returned: an exception would lose its problems on the way back
            return exc, fingerprint

    made = parallel_imap(make, len(todo), jobs, min_parallel=MIN_PARALLEL_FILES)
    fingerprints: dict[str, bytes] = {}
    with contextlib.closing(made):  # on failure, the workers stop before the staging folder is dropped
        for count, (job, (outcome, fingerprint)) in enumerate(zip(todo, made), 1):
            if isinstance(outcome, Problem):
                raise BuildFailed([outcome])  # one broken template fails every page: say it once
            if isinstance(outcome, BuildFailed):
                raise outcome
            publication.record(job.path, outcome)
            if fingerprinter:
                fingerprints[job.path] = fingerprint
            if count % 128 == 0 or count == len(todo):
                progress("render", count, len(todo))
    return fingerprints


def _make(job: Job) -> bytes | str | Iterable[bytes] | Problem:
    try:
        return job.make()
    except jinja2.TemplateError as exc:  # returned, not raised: it may come from a worker process
        return template_problem(exc)
