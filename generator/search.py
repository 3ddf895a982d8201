"""Full-text search: the /search/ page, and the Pagefind index of the built site.

The one module that runs Pagefind (PyPI `pagefind[bin]` ships the binary).
It reads only the paper pages (`papers/<slug>/index.html`), and in them only
the article marked `data-pagefind-body` (paper.html), so listings and
navigation chrome are never results. Filters (`tag`, `year`) and result
metadata (`title`, `date`, `authors`, `organization`) come from the marks in
that template. The bundle — the index plus Pagefind's own search UI — goes
to `<output>/pagefind/`; the site serves it itself, no CDN.

Indexing is the build's last step. Pagefind writes into a staging folder
beside the bundle, which is swapped in only when it succeeded: a failed run
leaves the previous index. A stamp in the bundle records the paper pages
(path, inode, size, mtime) it was made from, so an unchanged site is not
indexed again, and a site published by a build whose indexing failed is.

`PAPERFEED_PAGEFIND=/path/to/pagefind` uses that binary instead of the
bundled one (a path that does not exist shows the missing-binary error).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from generator.config import SiteConfig
from generator.errors import BuildFailed, Problem
from generator.index import output_path, paper_url
from generator.render import PageMeta

ENV_BINARY = "PAPERFEED_PAGEFIND"
SEARCH_PAGE = "search/"
BUNDLE = "pagefind/"  # site-relative URL of the bundle
PAGES_GLOB = output_path(paper_url("*"))  # "papers/*/index.html": only paper pages are results
STAMP = ".paperfeed-stamp"
INSTALL_HINT = "install it with: pip install 'pagefind[bin]' (or turn search off with 'search: false' in site.yaml)"
STAMP_VERSION = b"paperfeed-search-1"  # change when the command line below changes


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
        try:
            from pagefind.service import get_executable  # the pagefind package's lookup of pagefind_bin
            path = get_executable()
        except (ImportError, FileNotFoundError):
            path = None
    if path is None or not path.is_file() or not os.access(path, os.X_OK):
        where = f" ({ENV_BINARY}={override})" if override else (f" (looked for {path})" if path else "")
        raise BuildFailed([Problem(str(path or "pagefind"), message=f"search is on, but the Pagefind binary "
                                   f"that builds the search index is missing{where}", hint=INSTALL_HINT)])
    return path


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


def run_search(site: SiteConfig, output: Path) -> float:
    """The build's last step: index `output` if its paper pages changed since the
    last index (or it has none); drop the bundle when search is off. Returns seconds."""
    bundle = output / BUNDLE
    if not site.search:
        shutil.rmtree(bundle, ignore_errors=True)
        return 0.0
    stamp = bundle / STAMP
    try:
        if stamp.read_bytes() == _stamp(output, pagefind_binary()):
            return 0.0
    except OSError:
        pass
    return index_site(output, site.base_path).seconds


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
    pages = sorted(site_dir.glob(PAGES_GLOB))
    if not pages:  # Pagefind refuses an empty site; search.html says there is nothing to search yet
        shutil.rmtree(bundle, ignore_errors=True)
        return SearchResult(0, time.perf_counter() - started, base_path + BUNDLE)
    command = [str(binary), "--site", str(site_dir), "--output-path", str(staging), "--glob", PAGES_GLOB, "--silent"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}  # no stray configuration
    try:
        ran = subprocess.run(command, cwd=site_dir, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, encoding="utf-8", errors="replace", timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildFailed([Problem(str(binary), message=f"cannot run Pagefind: {exc}", hint=INSTALL_HINT)]) from exc
    if ran.returncode != 0 or not (staging / "pagefind.js").is_file():
        shutil.rmtree(staging, ignore_errors=True)
        lines = (ran.stderr.strip() or ran.stdout.strip() or f"exit code {ran.returncode}").splitlines()
        said = " ".join(dict.fromkeys(" ".join(line.split()) for line in lines if line.strip()))  # once each
        raise BuildFailed([Problem(str(site_dir), message=f"Pagefind could not index the site: {said}",
                                   hint="the previous search index was left as it was")])
    try:
        _keep_mtimes(staging, bundle)
        (staging / STAMP).write_bytes(_stamp(site_dir, binary))
        if bundle.exists():
            bundle.rename(previous)
        staging.rename(bundle)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if previous.exists() and not bundle.exists():
            previous.rename(bundle)
        raise BuildFailed([Problem(str(bundle), message=f"cannot write the search index: {exc.strerror or exc}",
                                   hint="the previous search index was left as it was")]) from exc
    shutil.rmtree(previous, ignore_errors=True)
    return SearchResult(len(pages), time.perf_counter() - started, base_path + BUNDLE)


def _stamp(site_dir: Path, binary: Path) -> bytes:
    """What an index is made from: the paper pages as files (path, inode, size,
    mtime: the writer replaces a changed file and keeps an unchanged one), and the binary."""
    h = hashlib.blake2b(STAMP_VERSION, digest_size=16)
    named = [(str(binary), binary)] + [(p.relative_to(site_dir).as_posix(), p) for p in sorted(site_dir.glob(PAGES_GLOB))]
    for name, path in named:
        st = path.stat()
        h.update(f"{name}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest().encode()


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
