"""The test helpers in tests/support/tools.py really work, and really fail.

These drive the real tools (Debian chromium, vnu.jar on the machine's Java,
axe-core); install them with .ci/install-test-tools.
"""

from __future__ import annotations

import http.client
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tests.support import tools
from tests.support.tools import (
    REPO,
    MissingToolError,
    crawl_site,
    launch_chromium,
    run_axe,
    run_vnu,
    serve_directory,
)


def page(title: str, body: str, head: str = "") -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n{head}</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


VALID = page("Valid page", "<main><h1>Papers</h1><p>One paper.</p></main>")
# Misnested/stray tags and an unknown element: invalid HTML.
INVALID = page("Invalid page", "<main><p><div>x</p></span><blink>old</blink></main>")
IMG_WITHOUT_ALT = page("No alt", '<main><h1>Figure</h1><img src="figure.png"></main>')


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    """One GET without following redirects."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path or "/")
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch_chromium(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(VALID, encoding="utf-8")
    (root / "invalid.html").write_text(INVALID, encoding="utf-8")
    (root / "noalt.html").write_text(IMG_WITHOUT_ALT, encoding="utf-8")
    (root / "sub").mkdir()
    (root / "sub" / "index.html").write_text(page("Sub", "<main><h1>Sub</h1></main>"), encoding="utf-8")
    return root


# --------------------------------------------------------------------------- paths


def test_repo_is_the_repository_root():
    assert (REPO / "tests" / "support" / "tools.py").is_file()
    assert (REPO / "package.json").is_file()


# --------------------------------------------------------------------------- server


def test_serve_directory_serves_files_and_404s(site: Path):
    with serve_directory(site) as base:
        assert base.startswith("http://127.0.0.1:") and base.endswith("/")
        status, _, body = get(base + "index.html")
        assert status == 200 and b"<title>Valid page</title>" in body
        status, _, body = get(base)
        assert status == 200 and b"<title>Valid page</title>" in body
        status, _, body = get(base + "sub/")
        assert status == 200 and b"<title>Sub</title>" in body
        assert get(base + "nothing-here.html")[0] == 404


def test_prefix_server_serves_under_prefix_and_404s_outside(site: Path):
    with serve_directory(site, prefix="/repo/") as base:
        origin = base[: -len("repo/")]
        assert base.startswith("http://127.0.0.1:") and base.endswith("/repo/")
        status, _, body = get(base)
        assert status == 200 and b"<title>Valid page</title>" in body
        status, _, body = get(base + "sub/index.html")
        assert status == 200 and b"<title>Sub</title>" in body
        # Outside the prefix: 404, even for files that exist under the root.
        for outside in ("", "index.html", "sub/", "other/index.html", "repository/index.html"):
            assert get(origin + outside)[0] == 404, outside
        # Directory redirects keep the prefix, as on GitHub Pages.
        status, headers, _ = get(base + "sub")
        assert status == 301 and headers["Location"] == "/repo/sub/"
        status, headers, _ = get(origin + "repo")
        assert status == 301 and headers["Location"] == "/repo/"
    # The server is shut down when the context ends.
    with pytest.raises(OSError):
        get(base)


# --------------------------------------------------------------------------- Chromium


def test_chromium_loads_a_served_page(browser, site: Path):
    with serve_directory(site, prefix="/repo/") as base:
        pg = browser.new_page()
        try:
            response = pg.goto(base + "sub/")
            assert response is not None and response.status == 200
            assert pg.title() == "Sub"
            assert pg.locator("h1").inner_text() == "Sub"
        finally:
            pg.close()


# --------------------------------------------------------------------------- vnu


def test_run_vnu_accepts_valid_html(site: Path):
    assert run_vnu(site / "index.html") == []


def test_run_vnu_reports_invalid_html_in_one_run(site: Path):
    (site / "notes.txt").write_text("not html, skipped\n")
    errors = run_vnu([site / "index.html", site / "invalid.html", site / "notes.txt"])
    assert errors, "vnu found no error in invalid.html"
    assert all(str(site / "invalid.html") in e for e in errors), errors
    assert all(": error: " in e for e in errors), errors
    assert any("blink" in e for e in errors), errors
    assert not any("index.html" in e for e in errors), errors


def test_run_vnu_refuses_missing_paths(tmp_path: Path):
    # vnu itself exits 0 silently for a missing file; the helper must not.
    with pytest.raises(FileNotFoundError):
        run_vnu(tmp_path / "missing.html")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError):
        run_vnu(tmp_path / "empty")


def test_run_vnu_says_how_to_install_the_jar(site: Path, monkeypatch):
    monkeypatch.setattr(tools, "VNU_JAR", site / "no-such.jar")
    with pytest.raises(MissingToolError, match="install-test-tools"):
        run_vnu(site / "index.html")


# --------------------------------------------------------------------------- axe


def test_run_axe_reports_image_without_alt(browser, site: Path):
    with serve_directory(site) as base:
        pg = browser.new_page()
        try:
            pg.goto(base + "noalt.html")
            violations = run_axe(pg)
        finally:
            pg.close()
    # axe-core 4.14 reports this as rule "image-alt" with impact "critical".
    assert [(v["id"], v["impact"]) for v in violations] == [("image-alt", "critical")]
    assert violations[0]["nodes"][0]["target"] == ["img"]
    assert tools.format_axe(violations).startswith("image-alt (critical)")


def test_run_axe_passes_a_clean_page(browser, site: Path):
    with serve_directory(site) as base:
        pg = browser.new_page()
        try:
            pg.goto(base)
            assert run_axe(pg) == []
        finally:
            pg.close()


# --------------------------------------------------------------------------- crawler


def write_site(root: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return root


def clean_site(root: Path) -> Path:
    """A two-page site published at https://x.github.io/repo/."""
    head = (
        '<link rel="stylesheet" href="/repo/static/style.css?v=1">\n'
        '<link rel="canonical" href="https://x.github.io/repo/">\n'
        '<link rel="preconnect" href="https://fonts.example.org">\n'
        '<script src="static/app.js" defer></script>\n'
    )
    return write_site(root, {
        "index.html": page("Home", (
            '<a href="#main">Skip</a>\n'
            '<main id="main">\n'
            '<a href="/repo/papers/attention/">Attention</a>\n'
            '<a href="papers/attention/#abstract">Abstract</a>\n'
            '<a href="/repo/papers/attention/index.html#authors">Authors</a>\n'
            '<a href="https://arxiv.org/abs/1706.03762">arXiv</a>\n'
            '<a href="https://x.github.io/">Author home (same host, other site)</a>\n'
            '<a href="mailto:editor@example.org">Mail</a>\n'
            '<a href="/repo/feed.xml">Feed</a>\n'
            '<img src="/repo/static/fig%201.png" alt="Figure" '
            'srcset="static/fig%201.png 1x, /repo/static/fig%201.png 2x">\n'
            "</main>"
        ), head),
        "papers/attention/index.html": page("Attention", (
            '<main><h1 id="abstract">Abstract</h1><h2 id="authors">Authors</h2>\n'
            '<a href="../../">Home</a> <a href="/repo/">Home</a> '
            '<a href="https://x.github.io/repo/papers/attention/#abstract">Self</a>\n'
            '<a href="../../#main">Back to the list</a></main>'
        ), head.replace('href="/repo/static', 'href="../../static').replace(
            'src="static', 'src="../../static')),
        "static/style.css": "body{}\n",
        "static/app.js": "\n",
        "static/fig 1.png": "png\n",
        "feed.xml": "<feed/>\n",
    })


def test_crawl_site_passes_a_clean_site(tmp_path: Path):
    root = clean_site(tmp_path / "site")
    assert crawl_site(root, "/repo/", site_url="https://x.github.io/repo/") == []
    # base_path defaults to the path of site_url.
    assert crawl_site(root, site_url="https://x.github.io/repo/") == []


def test_crawl_site_catches_a_broken_link(tmp_path: Path):
    root = clean_site(tmp_path / "site")
    (root / "papers" / "attention" / "index.html").unlink()
    problems = crawl_site(root, "/repo/")
    assert problems
    assert all(p.startswith("index.html: broken link ") for p in problems), problems
    assert "index.html: broken link /repo/papers/attention/ (no file papers/attention/index.html)" in problems


def test_crawl_site_catches_a_missing_asset_and_srcset(tmp_path: Path):
    root = clean_site(tmp_path / "site")
    (root / "static" / "fig 1.png").unlink()
    problems = crawl_site(root, "/repo/")
    assert "index.html: broken link /repo/static/fig%201.png (no file static/fig 1.png)" in problems
    assert "index.html: broken link static/fig%201.png (no file static/fig 1.png)" in problems


def test_crawl_site_catches_a_missing_fragment(tmp_path: Path):
    root = clean_site(tmp_path / "site")
    write_site(root, {"about.html": page("About", '<main><a href="papers/attention/#results">Results</a></main>')})
    assert crawl_site(root, "/repo/") == [
        'about.html: broken link papers/attention/#results (no id "results" in papers/attention/index.html)'
    ]


def test_crawl_site_catches_links_escaping_the_sub_path(tmp_path: Path):
    root = clean_site(tmp_path / "site")
    write_site(root, {"about.html": page("About", (
        '<main><a href="/papers/attention/">Forgot the base path</a>'
        '<a href="../elsewhere/">Climbs out</a></main>'
    ))})
    problems = crawl_site(root, "/repo/")
    assert problems == [
        "about.html: link /papers/attention/ escapes the site sub-path /repo/",
        "about.html: link ../elsewhere/ escapes the site sub-path /repo/",
    ]
    # Published at the root, nothing can escape: the same links are merely broken.
    at_root = crawl_site(root, "/")
    assert "about.html: broken link ../elsewhere/ (no file elsewhere/index.html)" in at_root
    assert "index.html: broken link /repo/papers/attention/ (no file repo/papers/attention/index.html)" in at_root
    assert not any("escapes" in p for p in at_root), at_root


def test_crawl_site_checks_full_urls_on_the_sites_own_host(tmp_path: Path):
    root = clean_site(tmp_path / "site")
    write_site(root, {"about.html": page("About", (
        '<main><a href="https://x.github.io/repo/papers/missing/">Gone</a></main>'
    ))})
    assert crawl_site(root, site_url="https://x.github.io/repo/") == [
        "about.html: broken link https://x.github.io/repo/papers/missing/ (no file papers/missing/index.html)"
    ]
    # Without site_url it is just an external link.
    assert crawl_site(root, "/repo/") == []
