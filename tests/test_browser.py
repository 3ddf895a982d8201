"""The built site in real headless Chromium (Debian's, driven by Playwright).

The seed site is built once and served under its real sub-path (/daily-papers/);
a small site adds what the seed lacks (author names, math). Every page visit
records its requests and console errors: nothing may leave 127.0.0.1.
Screenshots land in the test's tmp dir (pytest prints it on failure).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import REPO, paper, run_cli, write_site
from tests.support.tools import crawl_site, format_axe, run_axe, run_vnu, serve_directory

SEED_BASE = "https://paperfeed.github.io/daily-papers/"
MATH_PAPER = "papers/alpha-paper/"
SMALL_PAPERS = {
    "2025/alpha-paper": paper(
        title="Alpha: Sorting in $O(n \\log n)$ Time", added="2025-12-09", published="2025-11-30",
        authors=["Ada Lovelace", "José Núñez"], organization="Analytical Engines Lab",
        abstract="We show that $x^2 + y^2 = z^2$ has many solutions.\n\n$$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$$\n",
        links={"code": "https://github.com/example/alpha"}, tags=["quantization", "math-reasoning"], upvotes=12,
        submitted_by="ada", note="A *clear* proof."),
    "2025/beta-paper": paper(title="Beta Paper", added="2025-12-09", authors=["Ada Lovelace"],
                             abstract="A second paper by the same author.", upvotes=3, tags=["quantization"]),
    "2025/gamma-paper": paper(title="Gamma Paper", added="2025-12-08", author_count=2,
                              abstract="An earlier day.", tags=["math-reasoning"]),
}

# name -> (site, site-relative URL)
PAGES = {
    "home": ("seed", ""),
    "day": ("seed", "days/2025-12-09/"),
    "paper": ("seed", "papers/algorithm-assisted-discovery-of-an-intrinsic-order-among-mathematical-constants/"),
    "tag": ("seed", "tags/llm/"),
    "author": ("small", "authors/ada-lovelace/"),
    "math-paper": ("small", MATH_PAPER),
}


def _build(content: Path, out: Path) -> Path:
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    return out



@pytest.fixture(scope="module")
def seed_out(tmp_path_factory) -> Path:
    return _build(REPO / "content", tmp_path_factory.mktemp("browser-seed") / "site")


@pytest.fixture(scope="module")
def small_out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser-small")
    return _build(write_site(root, SMALL_PAPERS), root / "site")


@pytest.fixture(scope="module")
def sites(seed_out, small_out):
    """name -> base URL; the seed is served under its base_url's sub-path, as on GitHub Pages."""
    with serve_directory(seed_out, prefix="/daily-papers/") as seed, serve_directory(small_out) as small:
        yield {"seed": seed, "small": small}



@contextlib.contextmanager
def visit(browser, url: str, **context_options):
    """Open `url` in a fresh context; afterwards check that every request stayed on
    127.0.0.1 and that the page logged no error."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    try:
        yield page
        elsewhere = [r for r in requests if urlsplit(r).hostname != "127.0.0.1" and not r.startswith("data:")]
        assert elsewhere == [], f"{url} asked another host for {elsewhere}"
        assert errors == [], f"{url} logged errors: {errors}"
    finally:
        context.close()


def url_of(sites, name: str) -> str:
    site, path = PAGES[name]
    return sites[site] + path


# --- every page, two widths, two colour schemes -------------------------------------


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_at_phone_and_desktop_width(browser, sites, name, tmp_path):
    for width in (390, 1280):
        for scheme in ("light", "dark"):
            with visit(browser, url_of(sites, name), viewport={"width": width, "height": 900},
                       color_scheme=scheme) as page:
                assert page.locator("h1").is_visible()
                assert page.title().endswith(("Daily Papers", "Test Papers"))
                font = page.evaluate("getComputedStyle(document.body).fontFamily")
                assert "system-ui" in font, "the stylesheet did not load"
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                dark = sum(int(c) for c in re.findall(r"\d+", background)[:3]) < 3 * 128
                assert dark == (scheme == "dark"), background
                page.screenshot(path=str(tmp_path / f"{name}-{width}-{scheme}.png"), full_page=scheme == "light")
    assert len(list(tmp_path.glob("*.png"))) == 4


def test_the_narrowest_phone_still_fits(browser, sites):
    for name in ("home", "paper", "math-paper"):
        with visit(browser, url_of(sites, name), viewport={"width": 360, "height": 740}) as page:
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, name


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_serious_violation(browser, sites, name, scheme):
    with visit(browser, url_of(sites, name), color_scheme=scheme) as page:
        violations = run_axe(page)
        assert violations == [], format_axe(violations)


# --- links, math, scripts ------------------------------------------------------------


def test_following_links_from_home_to_a_paper_a_tag_and_a_day(browser, sites):
    with visit(browser, url_of(sites, "home")) as page:
        first = page.locator(".card-title a").first
        title = first.inner_text()
        first.click()
        page.wait_for_load_state()
        assert page.url.startswith(sites["seed"] + "papers/")
        assert page.locator("h1").inner_text() == title
        assert page.locator(".abstract p").first.is_visible()
        tag = page.locator("article.paper .tags a").first
        tag_name = tag.inner_text()
        tag.click()
        page.wait_for_load_state()
        assert page.url == sites["seed"] + f"tags/{tag_name}/"
        assert tag_name in page.locator("h1").inner_text()
        assert page.locator(".card").count() >= 1
        page.locator(".card .featured a").first.click()
        page.wait_for_load_state()
        assert page.url == sites["seed"] + "days/2025-12-09/"
        page.locator(".pagination a[rel=next]").click()
        page.wait_for_load_state()
        assert page.url == sites["seed"] + "days/2025-12-09/page/2/"


def test_an_author_link_leads_to_the_author_page(browser, sites):
    with visit(browser, sites["small"] + MATH_PAPER) as page:
        page.get_by_role("link", name="José Núñez").click()
        page.wait_for_load_state()
        assert page.url == sites["small"] + "authors/jose-nunez/"
        assert "José Núñez" in page.locator("h1").inner_text()


def test_a_formula_is_a_mathml_element_with_a_size(browser, sites):
    with visit(browser, sites["small"] + MATH_PAPER) as page:
        maths = page.locator(".abstract math")
        assert maths.count() == 2
        for i in range(2):
            info = maths.nth(i).evaluate(
                "m => ({ns: m.namespaceURI, w: m.getBoundingClientRect().width, h: m.getBoundingClientRect().height,"
                " display: m.getAttribute('display')})")
            assert info["ns"] == "http://www.w3.org/1998/Math/MathML"
            assert info["w"] > 5 and info["h"] > 5, info
        assert page.locator("h1 math").count() == 1
        assert "$" not in page.locator(".abstract").inner_text()


def test_reading_works_with_javascript_off(browser, sites):
    with visit(browser, url_of(sites, "home"), java_script_enabled=False) as page:
        excerpts = page.locator(".card .excerpt")
        assert excerpts.count() >= 10
        assert excerpts.first.is_visible() and len(excerpts.first.inner_text()) > 50
        assert page.locator(".keys").is_hidden()
    with visit(browser, url_of(sites, "paper"), java_script_enabled=False) as page:
        assert page.locator(".abstract p").first.is_visible()
        assert "Apéry" in page.locator(".abstract").inner_text()
        assert page.locator("pre.bibtex").is_visible()
        assert page.locator("button.copy").is_hidden()
        assert page.get_by_role("link", name="Download paper.bib").is_visible()


def test_copy_bibtex_button(browser, sites):
    with visit(browser, url_of(sites, "paper"), permissions=["clipboard-read", "clipboard-write"]) as page:
        button = page.locator("button.copy")
        assert button.is_visible()
        button.click()
        expect(page.locator(".copy-status")).to_have_text("Copied.")  # set when the clipboard promise resolves
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.locator("pre.bibtex").inner_text()
        assert copied.startswith("@misc{algorithm-assisted-discovery")


def test_j_and_k_move_between_cards(browser, sites):
    with visit(browser, url_of(sites, "day")) as page:
        assert page.locator(".keys").is_visible()
        links = page.locator(".card-title a")

        def focused() -> str:
            return page.evaluate("document.activeElement.getAttribute('href')")

        page.keyboard.press("j")
        assert focused() == links.nth(0).get_attribute("href")
        page.keyboard.press("j")
        page.keyboard.press("j")
        assert focused() == links.nth(2).get_attribute("href")
        page.keyboard.press("k")
        assert focused() == links.nth(1).get_attribute("href")
        target = urljoin(page.url, links.nth(1).get_attribute("href"))
        with page.expect_navigation():
            page.keyboard.press("Enter")  # the focused card's link opens the paper
        assert page.url == target
    with visit(browser, url_of(sites, "day")) as page:
        page.locator("#site-search").focus()
        page.keyboard.press("j")  # typing in the search box types
        assert page.locator("#site-search").input_value() == "j"
        assert page.evaluate("document.activeElement.id") == "site-search"


# --- the whole built site -------------------------------------------------------------


def test_nu_html_checker_finds_no_error_in_the_seed_site(seed_out):
    assert run_vnu(seed_out) == []


def test_crawl_finds_no_broken_internal_link_or_asset(seed_out, small_out):
    problems = crawl_site(seed_out, site_url=SEED_BASE)
    assert problems == [], "\n".join(problems[:20])
    problems = crawl_site(small_out, site_url="https://example.org/")
    assert problems == [], "\n".join(problems[:20])
