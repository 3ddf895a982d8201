"""Full-text search: the /search/ page, and the Pagefind index of the built site.

The one module that runs Pagefind (PyPI `pagefind[bin]` ships the binary).
It reads only the paper pages (`papers/<slug>/index.html`), and in them only
the article marked `data-pagefind-body` (paper.html), so listings and
navigation chrome are never results. Filters (`tag`, `year`) and result
metadata (`title`, `date`, `authors`, `organization`) come from the marks in
that template. The bundle — the index plus Pagefind's own search UI — goes
to `<output>/pagefind/`; the site serves it itself, no CDN.

Indexing is the build's last step: `index_search(site, publication)`, before
the writer commits. Pagefind reads the staged paper pages and its bundle is
published with them, atomically (a build killed while Pagefind runs leaves the
previous site and index). It keeps the bundle as it is when no paper page
changed. `index_site(site_dir, base_path)` indexes a built folder in place
(benchmarks/run.py times it). Files of a new bundle whose bytes did not change
keep their mtime. (Pagefind
1.5 does not write its filter and metadata files byte-identically twice: their
names and pagefind-entry.json change on every run, which is why an unchanged
site must not be indexed again.)

`PAPERFEED_PAGEFIND=/path/to/pagefind` uses that binary instead of the
bundled one (a path that does not exist shows the missing-binary error).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.config import SiteConfig
from generator.errors import BuildFailed, Problem
from generator.index import output_path, paper_url
from generator.render import PageMeta
from generator.writer import Publication

ENV_BINARY = "PAPERFEED_PAGEFIND"
SEARCH_PAGE = "search/"
BUNDLE = "pagefind/"  # site-relative URL of the bundle
PAGES_GLOB = output_path(paper_url("*"))  # "papers/*/index.html": only paper pages are results
INSTALL_HINT = "install it with: pip install 'pagefind[bin]' (or turn search off with 'search: false' in site.yaml)"


@dataclass(frozen=True)
class SearchResult:
    pages: int  # paper pages indexed
    seconds: float
    bundle_url: str  # where the site serves the bundle: base path + "pagefind/"


def pagefind_binary() -> Path:
    """The Pagefind executable: $PAPERFEED_PAGEFIND, else the one `pagefind[bin]` installed."""
    override = os.environ.get(ENV_BINARY)
    path: Path | None
    if override:
        path = Path(override)
    else:
        path = _installed_binary()
    if path is None or not path.is_file() or not os.access(path, os.X_OK):
        where = f" ({ENV_BINARY}={override})" if override else (f" (looked for {path})" if path else "")
        raise BuildFailed([Problem(str(path or "pagefind"), message=f"search is on, but the Pagefind binary "
                                   f"that builds the search index is missing{where}", hint=INSTALL_HINT)])
    return path


def _installed_binary() -> Path | None:
    """The pagefind package's own lookup: $PAGEFIND_BINARY_PATH, then the binary of the
    `pagefind_bin` wheel that `pagefind[bin]` installs (or its extended variant), then PATH."""
    try:
        from pagefind.service import get_executable  # imported here: it costs ~25 ms (asyncio)
        return get_executable()
    except (ImportError, FileNotFoundError):
        return None


def render_search_page(renderer) -> None:
    """/search/ (search.html). `renderer` is a render.Renderer; the template sees
    `bundle_url` (site-relative URL of the Pagefind bundle) and `searchable`
    (false while the site has no papers: there is nothing to index yet).

    Checks for the binary first, so a build without it fails before anything is
    published instead of shipping a search page with no index behind it."""
    pagefind_binary()
    site = renderer.site
    page = PageMeta("Search", SEARCH_PAGE, f"Search the titles, abstracts, authors, organizations and tags "
                    f"of every paper on {site.title}.", renderer.main_feeds, "search")
    renderer._render("search.html", page, bundle_url=BUNDLE, searchable=bool(renderer.index.papers))


def index_search(site: SiteConfig, publication: Publication) -> float:
    """Index the paper pages `publication` is about to commit and add the bundle to it,
    or keep the bundle the output has when no paper page changed. Returns seconds.

    With search off nothing is claimed, so the commit drops an old bundle; the
    previous build's paths must include `search_paths(output)` for that."""
    started = time.perf_counter()
    if not site.search:
        return 0.0
    binary = pagefind_binary()
    output, staging = publication.output, publication.staging
    pages = {path: staging / path if (staging / path).is_file() else output / path
             for path in sorted(publication.paths()) if _is_paper_page(path)}
    if not pages:  # Pagefind refuses an empty site; search.html says there is nothing to search yet
        return time.perf_counter() - started
    previous = search_paths(output)
    if f"{BUNDLE}pagefind.js" in previous and not _pages_changed(output, pages):
        for path in sorted(previous):
            publication.keep(path)
        return time.perf_counter() - started
    work = staging / ".pagefind-work"  # inside the staging folder: a killed build's leftovers go with it
    try:
        for path, source in pages.items():
            _link(source, work / "site" / path)
        _pagefind(binary, work / "site", work / "bundle")
        for file in sorted((work / "bundle").rglob("*")):
            if file.is_file():
                publication.add(BUNDLE + file.relative_to(work / "bundle").as_posix(), file.read_bytes())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return time.perf_counter() - started


def search_paths(output: Path) -> set[str]:
    """The bundle's files in `output`, as site-relative paths ("pagefind/…")."""
    bundle = output / BUNDLE
    return {BUNDLE + p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}


def index_site(site_dir: Path, base_path: str) -> SearchResult:
    """Run Pagefind over the built site in `site_dir`, quietly, into `site_dir/pagefind/`.

    The index holds site-relative URLs; `base_path` ("/" or "/repo/") is where the
    site is served, which the search page passes to the UI as its `baseUrl`.
    Raises BuildFailed if the binary is missing or Pagefind fails (with its stderr);
    the previous bundle then stays as it was."""
    binary = pagefind_binary()
    started = time.perf_counter()
    site_dir = site_dir.resolve()
    bundle = site_dir / BUNDLE
    staging, previous = site_dir / ".pagefind.staging", site_dir / ".pagefind.previous"
    for leftover in (staging, previous):
        shutil.rmtree(leftover, ignore_errors=True)
    pages = _pages_in(site_dir)
    if not pages:
        shutil.rmtree(bundle, ignore_errors=True)
        return SearchResult(0, time.perf_counter() - started, base_path + BUNDLE)
    try:
        _pagefind(binary, site_dir, staging)
        _keep_mtimes(staging, bundle)
        if bundle.exists():
            bundle.rename(previous)
        staging.rename(bundle)
    except OSError as exc:
        if previous.exists() and not bundle.exists():
            previous.rename(bundle)
        raise BuildFailed([Problem(str(bundle), message=f"cannot write the search index: {exc.strerror or exc}",
                                   hint="the previous search index was left as it was")]) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(previous, ignore_errors=True)
    return SearchResult(len(pages), time.perf_counter() - started, base_path + BUNDLE)


def _pagefind(binary: Path, site_dir: Path, into: Path) -> None:
    """Pagefind over the paper pages of `site_dir`, its bundle written to `into`."""
    command = [str(binary), "--site", str(site_dir.resolve()), "--output-path", str(into.resolve()),
               "--glob", PAGES_GLOB, "--silent"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}  # no stray configuration
    try:
        ran = subprocess.run(command, cwd=site_dir, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, encoding="utf-8", errors="replace", timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildFailed([Problem(str(binary), message=f"cannot run Pagefind: {exc}", hint=INSTALL_HINT)]) from exc
    if ran.returncode != 0 or not (into / "pagefind.js").is_file():
        lines = (ran.stderr.strip() or ran.stdout.strip() or f"exit code {ran.returncode}").splitlines()
        said = " ".join(dict.fromkeys(" ".join(line.split()) for line in lines if line.strip()))  # once each
        raise BuildFailed([Problem(str(site_dir), message=f"Pagefind could not index the site: {said}",
                                   hint="the previous search index was left as it was")])


def _is_paper_page(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return len(parts) == 3 and PurePosixPath(path).match(PAGES_GLOB)


def _pages_in(site_dir: Path) -> dict[str, Path]:
    return {p.relative_to(site_dir).as_posix(): p for p in sorted(site_dir.glob(PAGES_GLOB))}


def _pages_changed(output: Path, pages: dict[str, Path]) -> bool:
    """Whether the paper pages about to be published differ from those `output` has:
    one added or removed, or one whose staged file is not the output's file (the
    writer stages a file only when its bytes changed, else keeps or links the old one)."""
    if set(pages) != set(_pages_in(output)):
        return True
    try:
        return any(not os.path.samefile(source, output / path) for path, source in pages.items())
    except OSError:
        return True


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _keep_mtimes(new: Path, old: Path) -> None:
    """Files of the new bundle whose bytes did not change get the old one's mtime
    (so rsync and CDNs see no change, as with the rest of the site)."""
    if not old.is_dir():
        return
    for path in new.rglob("*"):
        before = old / path.relative_to(new)
        try:
            if path.is_file() and before.stat().st_size == path.stat().st_size \
                    and before.read_bytes() == path.read_bytes():
                st = before.stat()
                os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        except OSError:
            continue
