"""Helpers for tests that drive real tools: Chromium, the Nu Html Checker, axe-core.

The non-Python tools are installed by ``.ci/install-test-tools`` (Debian
``chromium`` plus ``npm ci --ignore-scripts`` for ``vnu-jar`` and ``axe-core``).
Nothing here downloads anything. See ``tests/support/README.md`` for usage.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

from generator import linkcheck

REPO = Path(__file__).resolve().parents[2]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"

_INSTALL_HINT = "run .ci/install-test-tools (from the repo root) to install the test tools"


class MissingToolError(RuntimeError):
    """A non-Python test tool is not installed."""


# --------------------------------------------------------------------------- Chromium


def launch_chromium(playwright, **kwargs):
    """Launch Debian's headless Chromium through Playwright and return the Browser.

    ``playwright`` is the object yielded by ``sync_playwright()``. Extra keyword
    arguments go to ``playwright.chromium.launch``.
    """
    if not CHROMIUM.exists():
        raise MissingToolError(f"{CHROMIUM} is missing: {_INSTALL_HINT}")
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), **kwargs
    )


# --------------------------------------------------------------------------- HTTP server


_normalize_prefix = linkcheck.normalize_prefix


class _PrefixedHandler(http.server.SimpleHTTPRequestHandler):
    """Serves ``directory`` at URL path ``prefix``; 404 for anything outside it."""

    prefix = "/"

    def log_message(self, format, *args):  # noqa: A002 - quiet server
        pass

    def _inside_prefix(self) -> bool:
        path = urlsplit(self.path).path
        if self.prefix == "/" or path.startswith(self.prefix):
            return True
        if path == self.prefix[:-1]:
            # "/repo" -> "/repo/", as GitHub Pages does.
            self.send_response(301)
            self.send_header("Location", self.prefix)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        self.send_error(404, "Outside the served prefix")
        return False

    def do_GET(self):
        if self._inside_prefix():
            super().do_GET()

    def do_HEAD(self):
        if self._inside_prefix():
            super().do_HEAD()

    def translate_path(self, path):
        # Strip the prefix before the base class maps the path onto `directory`;
        # the base class still sees the full URL in self.path, so its
        # "add a trailing slash" redirects keep the prefix.
        split = urlsplit(path)
        url_path = split.path
        if self.prefix != "/" and url_path.startswith(self.prefix):
            url_path = "/" + url_path[len(self.prefix):]
        return super().translate_path(url_path)


@contextlib.contextmanager
def serve_directory(root: Path, prefix: str = "/") -> Iterator[str]:
    """Serve ``root`` over HTTP on 127.0.0.1 (free port) in a background thread.

    Yields the base URL, e.g. ``"http://127.0.0.1:PORT/"`` or, with
    ``prefix="/repo/"``, ``"http://127.0.0.1:PORT/repo/"``; with a prefix, every
    URL outside it answers 404 (and ``/repo`` redirects to ``/repo/``).
    """
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"serve_directory: {root} is not a directory")
    prefix = _normalize_prefix(prefix)
    handler = type(
        "Handler",
        (_PrefixedHandler,),
        {"prefix": prefix},
    )
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="serve_directory", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --------------------------------------------------------------------------- vnu

_HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".xht"}
# GNU format: "file:/abs/path.html":LINE.COL-LINE.COL: error: message
_GNU_LINE = re.compile(r'^"(?P<url>[^"]*)":(?P<rest>.*)$')
# Lines the JVM itself may print that are not validation results.
_JVM_NOISE = (
    "Picked up _JAVA_OPTIONS",
    "Picked up JAVA_TOOL_OPTIONS",
    "Picked up JDK_JAVA_OPTIONS",
    "OpenJDK 64-Bit Server VM warning",
    "WARNING: ",
)


def _readable_vnu_line(line: str) -> str:
    m = _GNU_LINE.match(line)
    if not m:
        return line
    url = m.group("url")
    if url.startswith("file:"):
        url = unquote(url[len("file:"):])
    return url + ":" + m.group("rest")


def run_vnu(paths: list[Path] | Path, timeout: float = 600) -> list[str]:
    """Validate HTML files/directories with the Nu Html Checker in one JVM.

    Returns the error lines (``/path/page.html:2.85-2.88: error: ...``); an empty
    list means every checked document is valid. Directories are searched
    recursively for .html/.htm/.xhtml files (other files are skipped).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("run_vnu: no paths given")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        # vnu exits 0 without a word for a file that does not exist.
        raise FileNotFoundError(f"run_vnu: no such file or directory: {', '.join(missing)}")
    if not any(
        (p.is_file() and p.suffix.lower() in _HTML_SUFFIXES)
        or (p.is_dir() and any(q.suffix.lower() in _HTML_SUFFIXES for q in p.rglob("*")))
        for p in paths
    ):
        raise ValueError(f"run_vnu: no HTML files to check in {', '.join(map(str, paths))}")

    java = shutil.which("java")
    if java is None:
        raise MissingToolError(f"java is not on PATH (Java 17 is expected): {_INSTALL_HINT}")
    if not VNU_JAR.is_file():
        raise MissingToolError(f"{VNU_JAR} is missing: {_INSTALL_HINT}")

    cmd = [
        java, "-jar", str(VNU_JAR),
        "--errors-only", "--skip-non-html", "--format", "gnu",
        *[str(p) for p in paths],
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, encoding="utf-8", errors="replace",
        timeout=timeout, stdin=subprocess.DEVNULL,
    )
    errors = []
    for line in (proc.stdout + "\n" + proc.stderr).splitlines():
        line = line.rstrip()
        if not line.strip() or line.startswith(_JVM_NOISE):
            continue
        errors.append(_readable_vnu_line(line))
    if proc.returncode != 0 and not errors:
        raise RuntimeError(
            f"vnu exited with {proc.returncode} without reporting errors:\n"
            f"{proc.stdout}\n{proc.stderr}"
        )
    return errors


# --------------------------------------------------------------------------- axe-core

AXE_FAILING_IMPACTS = ("serious", "critical")


def run_axe(page, options: dict | None = None) -> list[dict]:
    """Run axe-core in a Playwright page; return the serious/critical violations.

    Each violation is axe's own dict (``id``, ``impact``, ``help``, ``nodes``...).
    ``options`` is passed to ``axe.run(document, options)``.
    """
    if not AXE_JS.is_file():
        raise MissingToolError(f"{AXE_JS} is missing: {_INSTALL_HINT}")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        raise RuntimeError(
            "axe-core did not load into the page (a Content-Security-Policy blocks "
            "inline scripts?): create the context with browser.new_context(bypass_csp=True)"
        )
    result = page.evaluate(
        "(options) => axe.run(document, options || {})", options
    )
    return [v for v in result["violations"] if v.get("impact") in AXE_FAILING_IMPACTS]


def format_axe(violations: list[dict]) -> str:
    """A readable summary of axe violations, for assertion messages."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v.get('impact')}): {v.get('help')}")
        for node in v.get("nodes", [])[:5]:
            lines.append(f"    {' '.join(map(str, node.get('target', [])))}: {node.get('html', '')[:120]}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- link crawler

def crawl_site(
    output_dir: Path, base_path: str | None = None, site_url: str | None = None
) -> list[str]:
    """Check every internal link of a built site, from its files alone.

    A thin wrapper: the one implementation is ``generator.linkcheck.crawl_site``
    (which ``paperfeed check-links`` and the pull-request workflow use too).
    ``base_path`` is the URL path the site is published under ("/" or e.g.
    "/repo/"); by default the path of ``site_url``, else "/". Returns problems such
    as ``"index.html: broken link /repo/x/ (no file x/index.html)"``; ``[]`` = clean.
    """
    try:
        return linkcheck.crawl_site(output_dir, base_path, site_url)
    except (NotADirectoryError, ValueError) as error:
        raise type(error)(f"crawl_site: {error}") from None
