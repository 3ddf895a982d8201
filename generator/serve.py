"""`paperfeed serve`: build, serve the output over HTTP, rebuild on change, reload open pages.

The one module that imports watchfiles. The build is `build_site`, unchanged
(incremental through its cache): serving never alters what a build writes.
Live reload exists only in the responses of this server — a small script is
added to each HTML page as it is sent, never to the files — which listens
on a Server-Sent Events stream (`/__paperfeed/events`). Each event carries
the id of the last good build and the error of the last failed one: a page
of an older build reloads; an error shows as a banner until a build succeeds.

The server resolves every request against the output folder anew (the
writer replaces files and, on a full build, the whole folder between
builds), serves only files inside it, and answers 400 to any path that
tries to leave it (`..`, percent-encoded or not, backslashes, NUL bytes).
"""

from __future__ import annotations

import errno
import http.server
import json
import mimetypes
import os
import secrets
import signal
import socket
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote, unquote

import watchfiles

from generator.build import build_site
from generator.config import load_site
from generator.errors import BuildFailed
from generator.theme import BUNDLED_THEMES

EVENTS = "/__paperfeed/events"
PORT_TRIES = 20  # a port in use: try this many following ones
PING_SECONDS = 15.0
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".json": "application/json",
         ".xml": "application/xml; charset=utf-8", ".opml": "text/xml; charset=utf-8",
         ".txt": "text/plain; charset=utf-8", ".bib": "text/plain; charset=utf-8",
         ".svg": "image/svg+xml", ".wasm": "application/wasm", ".pagefind": "application/octet-stream"}
NOT_FOUND = b"<!doctype html>\n<html lang=\"en\"><meta charset=\"utf-8\"><title>Not found</title>\n" \
            b"<body><h1>Not found</h1><p>There is no page here (and no 404.html in the output yet).</p></body></html>\n"

# Added before </body> of every HTML response. It makes its banner with textContent,
# so an error message is shown as text, never parsed as HTML.
RELOAD_SCRIPT = """<script>/* paperfeed serve: live reload (not part of the built site) */
(function () {
  var served = %(build)s, banner = null;
  function show(text) {
    if (!banner) {
      banner = document.createElement("pre");
      banner.id = "paperfeed-build-error";
      banner.setAttribute("role", "alert");
      banner.style.cssText = "position:fixed;z-index:2147483647;left:0;right:0;top:0;margin:0;" +
        "max-height:60vh;overflow:auto;padding:.8rem 1rem;background:#8b1a1a;color:#fff;" +
        "font:14px/1.45 ui-monospace,monospace;white-space:pre-wrap;box-shadow:0 2px 8px rgba(0,0,0,.4)";
      document.body.appendChild(banner);
    }
    banner.textContent = "paperfeed: the last rebuild failed; this page is from the last good build.\\n\\n" + text;
  }
  var events = new EventSource(%(events)s);
  events.onmessage = function (event) {
    var state = JSON.parse(event.data);
    if (state.build !== served) { events.close(); window.location.reload(); }
    else if (state.error) show(state.error);
    else if (banner) { banner.remove(); banner = null; }
  };
})();
</script>
"""

Say = Callable[..., None]  # click.echo: say(text) or say(text, err=True)


class ServeError(Exception):
    """The server cannot start (no free port, a host it cannot listen on)."""


class LiveState:
    """What open pages are told: the id of the last good build, and the error of
    the last failed one (None once a build succeeds). Shared with request threads."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._session = secrets.token_hex(4)  # a restarted server's pages are of another build
        self._number = 0
        self.error: str | None = None
        self.closed = False

    @property
    def build(self) -> str:
        return f"{self._session}-{self._number}"

    def succeeded(self, new_output: bool) -> None:
        with self._changed:
            self._number += new_output
            self.error = None
            self._changed.notify_all()

    def failed(self, error: str) -> None:
        with self._changed:
            self.error = error
            self._changed.notify_all()

    def wait(self, seen: tuple[str, str | None] | None, timeout: float) -> tuple[str, str | None] | None:
        """The state once it differs from `seen` (or after `timeout`); None when closing."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed or (self.build, self.error) != seen, timeout)
            return None if self.closed else (self.build, self.error)

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


@dataclass(frozen=True)
class Site:
    """Where the output is and the URL path it is served under (replaced whole when site.yaml changes)."""

    output: Path
    base_path: str


class PreviewServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # a restarted server may reuse a port in TIME_WAIT; never a live one
    site: Site
    state: LiveState


class Handler(http.server.BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "paperfeed-serve"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet: the terminal shows builds
        pass

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        raw = self.path.split("#", 1)[0]
        raw_path, _, query = raw.partition("?")
        if raw_path == EVENTS and body:
            return self._events()
        site, build = self.server.site, self.server.state.build  # the id before the file: never newer
        path = request_path(raw_path)
        if path is None:
            return self._send(400, b"Bad request: this path is not allowed.\n", "text/plain; charset=utf-8", body)
        base = site.base_path
        if path == "/" and base != "/" or path == base.rstrip("/") and base != "/":
            return self._redirect(base + (f"?{query}" if query else ""))
        if not path.startswith(base):
            return self._not_found(site, build, body)
        target = resolve_file(site.output, path[len(base):])
        if target == "directory":
            return self._redirect(quote(path + "/") + (f"?{query}" if query else ""))
        data = read_file(site.output, target) if target else None
        if data is None:
            return self._not_found(site, build, body)
        kind = TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix.lower() == ".html":
            data = with_live_reload(data, build)
        self._send(200, data, kind, body)

    def _not_found(self, site: Site, build: str, body: bool) -> None:
        page = read_file(site.output, site.output / "404.html") or NOT_FOUND
        self._send(404, with_live_reload(page, build), "text/html; charset=utf-8", body)

    def _redirect(self, location: str) -> None:
        self.send_response(301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _send(self, status: int, data: bytes, kind: str, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")  # a reload always shows the newest build
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            try:
                self.wfile.write(data)
            except OSError:  # the reader went away
                pass

    def _events(self) -> None:
        """Server-Sent Events: the state now, then again whenever it changes."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        state, seen = self.server.state, None
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while (now := state.wait(seen, PING_SECONDS)) is not None:
                if now == seen:
                    self.wfile.write(b": ping\n\n")  # finds readers that left
                else:
                    self.wfile.write(f"data: {json.dumps({'build': now[0], 'error': now[1]})}\n\n".encode())
                    seen = now
                self.wfile.flush()
        except OSError:  # the page was closed or reloaded
            pass


def request_path(raw_path: str) -> str | None:
    """The decoded URL path, or None if it could leave the served folder."""
    if not raw_path.startswith("/") or "\\" in raw_path or "%5c" in raw_path.lower():
        return None
    try:
        path = unquote(raw_path, errors="strict") if "%" in raw_path else raw_path
    except UnicodeDecodeError:
        return None
    if "\x00" in path or "\\" in path or any(part in (".", "..") for part in path.split("/")):
        return None
    return path


def resolve_file(output: Path, relative: str) -> Path | str | None:
    """The file for a site-relative path: a file, "directory" (redirect to add the
    slash), or None. Symlinks that lead out of the output are not followed."""
    target = output / relative if relative else output
    try:
        if not target.resolve().is_relative_to(output.resolve()):
            return None
        if target.is_dir():
            if relative and not relative.endswith("/"):
                return "directory"
            target = target / "index.html"
    except (OSError, ValueError):
        return None
    return target


def read_file(output: Path, target: Path) -> bytes | None:
    """The file's bytes, or None. A full build swaps the output folder in with two
    renames: a request that falls between them waits for the new folder."""
    for _ in range(40):
        try:
            return target.read_bytes() if target.is_file() else None
        except OSError:
            pass
        if output.is_dir():
            return None
        time.sleep(0.025)
    return None


def with_live_reload(html: bytes, build: str) -> bytes:
    script = (RELOAD_SCRIPT % {"build": json.dumps(build), "events": json.dumps(EVENTS)}).encode()
    at = html.lower().rfind(b"</body>")
    return html[:at] + script + html[at:] if at >= 0 else html + script


def bind(host: str, port: int, say: Say) -> PreviewServer:
    """A server on `port`, or on the next free one (said aloud)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class = type("Server", (PreviewServer,), {"address_family": family})
    last = port if port == 0 else min(port + PORT_TRIES - 1, 65535)
    for candidate in range(port, last + 1):
        try:
            server = server_class((host, candidate), Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and candidate < last:
                continue
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(f"ports {port} to {last} are all in use: pass a free one with --port") from exc
            raise ServeError(f"cannot listen on {host} port {candidate}: {exc.strerror or exc}") from exc
        if candidate != port:
            say(f"port {port} is in use: serving on port {candidate} instead")
        return server
    raise ServeError(f"no port to listen on from {port}")  # not reached: range is never empty


def watched_paths(content: Path) -> list[Path]:
    """content/ (with site.yaml), and beside it themes/, templates/ and static/; the bundled themes."""
    root = content.resolve().parent
    found: list[Path] = []
    for path in (content.resolve(), root / "themes", root / "templates", root / "static", BUNDLED_THEMES):
        if path.is_dir() and path not in found:
            found.append(path)
    return found


class SourceFilter(watchfiles.DefaultFilter):
    """Editor droppings are ignored (DefaultFilter), and so is what the build itself
    writes: the output, the writer's staging folders and journal beside it, the cache."""

    def __init__(self, output: Path, content: Path) -> None:
        out = output.resolve()
        self._inside = (str(out) + os.sep, str(content.resolve().parent / ".paperfeed-cache") + os.sep)
        self._exact = (str(out), str(content.resolve().parent / ".paperfeed-cache"))
        self._beside = str(out.parent / f".{out.name}.")  # .output.staging, .output.journal…
        super().__init__()

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return (super().__call__(change, path) and path not in self._exact
                and not path.startswith(self._inside) and not path.startswith(self._beside))


def _shown(path: str) -> str:
    """A path as the terminal shows it: relative to the working folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if relative.startswith("..") else relative


class Preview:
    """Builds, and tells the terminal and the open pages how it went."""

    def __init__(self, content: Path, output: Path, today: Callable[[], date], say: Say) -> None:
        self.content, self.output, self.today, self.say = content, output, today, say
        self.state = LiveState()
        self.site = Site(output.resolve(), "/")
        self.built = False  # a build succeeded in this session

    def build(self) -> bool:
        try:
            result = build_site(self.content, self.output, self.today())
        except BuildFailed as failure:
            return self._failed([str(p) for p in failure.problems])
        except Exception as exc:  # noqa: BLE001 - a bug in a build must not stop the preview
            self.say(traceback.format_exc().rstrip(), err=True)
            return self._failed([f"{type(exc).__name__}: {exc}"])
        self._follow_base_path()
        self.built = True
        stats = result.stats
        self.state.succeeded(bool(stats.written or stats.removed))
        self.say(f"built {result.papers} papers in {result.seconds:.2f} s "
                 f"({stats.written} written, {stats.removed} removed)")
        return True

    def _follow_base_path(self) -> None:
        """Serve under the path of site.yaml's base_url, as the built links expect."""
        config, _ = load_site(self.content)
        if config is not None and config.base_path != self.site.base_path:
            self.site = Site(self.output.resolve(), config.base_path)

    def _failed(self, problems: list[str]) -> bool:
        if not self.built:  # else the output's links still have the last good build's base path
            self._follow_base_path()
        for line in problems:
            self.say(line, err=True)
        self.say(f"build failed: {len(problems)} problem{'' if len(problems) == 1 else 's'}; "
                 "still serving the last good site (the browser shows the error)", err=True)
        self.state.failed("\n".join(problems))
        return False


def serve_site(content: Path, output: Path, *, host: str = "127.0.0.1", port: int = 8000,
               open_browser: bool = False, today: Callable[[], date] = date.today, say: Say = print) -> None:
    """Build `content` into `output`, serve it on http://host:port/<base path>, and rebuild
    and reload open pages whenever a source changes, until Ctrl-C.

    Raises ServeError when it cannot listen."""
    preview = Preview(content, output, today, say)
    restore = _stop_on_signals()
    server = None
    try:
        preview.build()  # before any thread runs: the build may fork its workers
        server = bind(host, port, say)
        server.site, server.state = preview.site, preview.state
        threading.Thread(target=server.serve_forever, name="paperfeed-serve", daemon=True).start()
        url = _url(server, preview.site.base_path)
        say(f"serving {output} at {url} — watching for changes; press Ctrl-C to stop")
        if host not in ("127.0.0.1", "localhost", "::1"):
            say(f"note: host {host} lets other machines on your network read this preview")
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        _watch(preview, server, content, output, say)
    except KeyboardInterrupt:
        pass
    finally:
        preview.state.close()
        if server is not None:
            server.shutdown()
            server.server_close()
        restore()
    say("stopped")


def _watch(preview: Preview, server: PreviewServer, content: Path, output: Path, say: Say) -> None:
    source_filter = SourceFilter(output, content)
    paths = watched_paths(content)
    while True:
        for changes in watchfiles.watch(*paths, watch_filter=source_filter, debounce=800, step=80,
                                        rust_timeout=1000, yield_on_timeout=True):
            if changes and (shown := _changed(changes)):
                say(f"changed: {', '.join(shown[:3])}{f' and {len(shown) - 3} more' if len(shown) > 3 else ''}")
                _rebuild(preview, server, say)
            elif not changes and watched_paths(content) != paths:
                break  # a folder to watch appeared or went away: watch the new set
        paths = watched_paths(content)
        say(f"now watching {', '.join(_shown(str(path)) for path in paths)}")
        _rebuild(preview, server, say)  # what a new folder already holds (a template override…) counts


def _changed(changes: set[tuple[watchfiles.Change, str]]) -> list[str]:
    """The changed paths worth a rebuild. A file both made and removed in one batch,
    and gone now, was some tool's temporary file (sed -i, an editor's save)."""
    made = {path for change, path in changes if change == watchfiles.Change.added}
    removed = {path for change, path in changes if change == watchfiles.Change.deleted}
    return sorted({_shown(path) for _, path in changes if path not in made & removed or os.path.exists(path)})


def _rebuild(preview: Preview, server: PreviewServer, say: Say) -> None:
    before = preview.site.base_path
    preview.build()
    server.site = preview.site
    if preview.site.base_path != before:
        say(f"base_url changed: now serving at {_url(server, preview.site.base_path)}")


def _url(server: PreviewServer, base_path: str) -> str:
    host, port = server.server_address[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{base_path}"


def _stop_on_signals() -> Callable[[], None]:
    """Ctrl-C stops the server cleanly: one KeyboardInterrupt in this process (a second
    Ctrl-C while it stops is ignored). Build workers forked from it ignore Ctrl-C — the
    build stops them — so they print no tracebacks. Returns what puts the old handler back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    pid, stopping = os.getpid(), []

    def stop(signum, frame) -> None:
        if os.getpid() == pid and not stopping:
            stopping.append(signum)
            raise KeyboardInterrupt

    old = signal.signal(signal.SIGINT, stop)
    return lambda: signal.signal(signal.SIGINT, old)
