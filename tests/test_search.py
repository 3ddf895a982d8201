"""Full-text search: the Pagefind index as the build's last step, the /search/ page,
the index marks in the templates, and searching in real Chromium (at the site root
and under a sub-path), with `search: false` and a missing binary."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import lxml.html
import pytest
import yaml
from playwright.sync_api import expect

from tests.conftest import REPO, paper, run_cli
from tests.support.tools import format_axe, run_axe, serve_directory

SEED = REPO / "content"
WORD = "burstiness"  # occurs in one seed abstract only
WORD_PAPER = "vlad-buff-burst-aware-fast-feature-aggregation-for-visual-place-recognition"
TAGGED_WORD, TAG = "language", "math-reasoning"  # a common word, and a tag that narrows its results


def seed_entries() -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(SEED.glob("papers/*/*.yaml"))}


def entry_text(entry: dict) -> str:
    parts = [entry.get(k) or "" for k in ("title", "abstract", "note", "organization")]
    return " ".join(parts + list(entry.get("authors") or []) + list(entry.get("tags") or [])).lower()


def build(content: Path, out: Path, **env) -> Path:
    run_cli("build", "--content", str(content), "--output", str(out), env=env or None, check=True)
    return out


def seed_copy(root: Path, base_url: str) -> Path:
    content = root / "content"
    shutil.copytree(SEED, content)
    site = yaml.safe_load((content / "site.yaml").read_text(encoding="utf-8"))
    site["base_url"] = base_url
    (content / "site.yaml").write_text(yaml.safe_dump(site, sort_keys=False), encoding="utf-8")
    return content


@pytest.fixture(scope="module")
def seed_out(tmp_path_factory) -> Path:
    return build(SEED, tmp_path_factory.mktemp("search-seed") / "site")



def search(page, words: str) -> None:
    """Type into Pagefind's box as a reader would, and wait for its answer."""
    box = page.locator(".pagefind-ui__search-input")
    box.click()
    box.press_sequentially(words, delay=20)
    # the answer ("3 results for …"), not "Searching for …", which says the same words before it
    expect(page.locator(".pagefind-ui__message")).to_have_text(
        re.compile(rf"^\s*(\d+|No) results? for {re.escape(words)}"), timeout=15000)


def result_links(page) -> list[str]:
    """Every result's link, once each result has loaded, after asking for all of them
    ("Load more results"): the count comes first, then each result's data."""
    expected = result_count(page)
    links = page.locator(".pagefind-ui__result-link")
    more = page.locator(".pagefind-ui__button", has_text="Load more")
    deadline = time.monotonic() + 15
    while links.count() < expected and time.monotonic() < deadline:
        if more.count():
            more.first.click()
        page.wait_for_timeout(100)
    return [a.get_attribute("href") for a in links.all()]


def result_count(page) -> int:
    text = page.locator(".pagefind-ui__message").inner_text()
    match = re.match(r"(\d+|No) results? for", text)
    assert match, text
    return 0 if match.group(1) == "No" else int(match.group(1))


# --- the seed data the browser tests rely on ------------------------------------------


def test_the_search_word_occurs_in_one_seed_abstract_only():
    entries = seed_entries()
    assert [slug for slug, e in entries.items() if WORD in e["abstract"].lower()] == [WORD_PAPER]
    assert [slug for slug, e in entries.items() if WORD[:7] in entry_text(e)] == [WORD_PAPER]


# --- what the build writes ---------------------------------------------------------------


def test_the_build_indexes_paper_pages_only(seed_out):
    bundle = seed_out / "pagefind"
    for name in ("pagefind.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-entry.json"):
        assert (bundle / name).is_file(), name
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert [lang["page_count"] for lang in entry["languages"].values()] == [len(seed_entries())]
    assert not list(seed_out.glob(".pagefind*")), "the staging folder of the index is left over"
    # Only the paper page's article is marked for the index: listings and chrome are not results.
    marked = sorted(p.relative_to(seed_out).as_posix() for p in seed_out.rglob("*.html")
                    if "data-pagefind-body" in p.read_text(encoding="utf-8"))
    assert marked == sorted(f"papers/{slug}/index.html" for slug in seed_entries())


def test_paper_pages_carry_the_index_marks(tmp_path, make_site):
    content = make_site(papers={"2025/marked": paper(
        title="Marked Paper", authors=["Grace Hopper", "Ada Lovelace"], organization="Acme Lab",
        tags=["quantization", "math-reasoning"], added="2025-12-09")})
    out = build(content, tmp_path / "out")
    doc = lxml.html.fromstring((out / "papers/marked/index.html").read_bytes())
    [body] = doc.xpath("//*[@data-pagefind-body]")
    assert body.tag == "article" and "paper" in body.get("class")
    assert not doc.xpath("//*[@data-pagefind-body]//nav | //header[@class='site-header']//*[@data-pagefind-body]")
    tags = body.xpath(".//*[@data-pagefind-filter='tag']")
    assert [a.text_content() for a in tags] == ["quantization", "math-reasoning"]
    assert [e.get("data-pagefind-filter") for e in body.xpath(".//*[starts-with(@data-pagefind-filter, 'year:')]")] \
        == ["year:2025"]
    metas = {e.get("data-pagefind-meta") for e in body.xpath(".//*[@data-pagefind-meta]")}
    assert {"title", "authors", "organization", "date:2025-12-09"} <= metas
    assert body.xpath(".//section[@class='cite'][@data-pagefind-ignore]")  # BibTeX repeats the page


def test_the_search_page_uses_the_bundled_ui_under_the_base_path(tmp_path):
    out = build(seed_copy(tmp_path, "https://user.github.io/repo/"), tmp_path / "out")
    html = (out / "search/index.html").read_text(encoding="utf-8")
    doc = lxml.html.fromstring(html)
    assert sorted(doc.xpath("//script/@src")) == ["/repo/pagefind/pagefind-ui.js", "/repo/static/site.js"]
    assert "/repo/pagefind/pagefind-ui.css" in doc.xpath("//link[@rel='stylesheet']/@href")
    [box] = doc.xpath("//*[@id='search']")
    assert (box.get("data-bundle"), box.get("data-base")) == ("/repo/pagefind/", "/repo/")
    assert "needs JavaScript" in " ".join(doc.xpath("//noscript//text()"))
    assert not re.search(r"(src|href)=\"(https?:)?//", html.split("<body", 1)[1]), "no CDN, no other host"
    assert not doc.xpath("//form[@role='search']"), "the search page has no second search box"
    home = lxml.html.fromstring((out / "index.html").read_bytes())
    assert home.xpath("//form[@role='search']/@action") == ["/repo/search/"]
    assert "/repo/search/" in (out / "sitemap.xml").read_text()


def test_an_unchanged_rebuild_keeps_the_index_and_a_changed_paper_is_indexed_again(make_site, tmp_path):
    content = make_site(papers={"2025/one": paper(title="One", abstract="Plain words.")})
    out = build(content, tmp_path / "out")
    bundle = out / "pagefind"
    before = {p: p.stat().st_mtime_ns for p in bundle.rglob("*") if p.is_file()}
    build(content, out)
    assert {p: p.stat().st_mtime_ns for p in bundle.rglob("*") if p.is_file()} == before
    (content / "papers/2025/one.yaml").write_text(yaml.safe_dump(paper(title="One", abstract="Zymurgy words.")))
    build(content, out)
    after = {p: p.stat().st_mtime_ns for p in bundle.rglob("*") if p.is_file()}
    assert after != before
    # Files whose bytes did not change keep their mtime, as everywhere else in the site.
    assert after[bundle / "pagefind-ui.js"] == before[bundle / "pagefind-ui.js"]


def test_search_false_has_no_search_page_no_index_and_no_search_box(make_site, tmp_path):
    content = make_site(papers={"2025/one": paper()})
    out = build(content, tmp_path / "out")
    assert (out / "pagefind").is_dir() and (out / "search/index.html").is_file()
    make_site(papers={"2025/one": paper()}, site={"search": False})  # turned off on a built site
    build(content, out)
    assert not (out / "pagefind").exists() and not (out / "search").exists()
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert 'role="search"' not in text and '"/search/"' not in text, page
    fresh = build(content, tmp_path / "fresh")  # and from nothing
    assert not (fresh / "pagefind").exists() and not (fresh / "search").exists()


def test_search_false_needs_no_binary(make_site, tmp_path):
    content = make_site(papers={"2025/one": paper()}, site={"search": False})
    build(content, tmp_path / "out", PAPERFEED_PAGEFIND=str(tmp_path / "nonexistent"))


def test_a_missing_binary_fails_the_build_saying_how_to_install_it(make_site, tmp_path):
    content = make_site(papers={"2025/one": paper()})
    out = tmp_path / "out"
    result = run_cli("build", "--content", str(content), "--output", str(out),
                     env={"PAPERFEED_PAGEFIND": "/nonexistent/pagefind"})
    assert result.returncode == 1
    assert "Pagefind binary" in result.stderr and "is missing" in result.stderr
    assert "PAPERFEED_PAGEFIND=/nonexistent/pagefind" in result.stderr
    assert "pip install 'pagefind[bin]'" in result.stderr and "search: false" in result.stderr
    assert "nothing was published" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists(), "no half-working site with a search page but no index"


def test_a_failing_pagefind_reports_its_stderr_and_keeps_the_previous_index(make_site, tmp_path):
    content = make_site(papers={"2025/one": paper(title="One")})
    out = build(content, tmp_path / "out")
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "pagefind").rglob("*") if p.is_file()}
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'Error: the disk is on fire' >&2\nexit 3\n")
    fake.chmod(0o755)
    (content / "papers/2025/one.yaml").write_text(yaml.safe_dump(paper(title="One, again")))
    result = run_cli("build", "--content", str(content), "--output", str(out), env={"PAPERFEED_PAGEFIND": str(fake)})
    assert result.returncode == 1
    assert "Pagefind could not index the site: Error: the disk is on fire" in result.stderr
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "pagefind").rglob("*") if p.is_file()}
    assert after == before
    assert not list(out.glob(".pagefind*"))
    build(content, out)  # the real binary again: the pages published by the failed build get indexed
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "pagefind").rglob("*")
            if p.is_file()} != before


def test_an_empty_site_has_a_search_page_that_says_so(make_site, tmp_path):
    out = build(make_site(papers={}), tmp_path / "out")
    assert "no papers to search yet" in (out / "search/index.html").read_text()
    assert not (out / "pagefind").exists()


# --- in the browser --------------------------------------------------------------------


@pytest.mark.parametrize("base_url,prefix", [("https://paperfeed.github.io/daily-papers/", "/daily-papers/"),
                                             ("https://user.github.io/repo/", "/repo/"),
                                             ("https://example.org/", "/")])
def test_a_word_from_one_abstract_finds_exactly_that_paper(browser, tmp_path, base_url, prefix):
    out = build(seed_copy(tmp_path, base_url), tmp_path / "out")
    with serve_directory(out, prefix=prefix) as base:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("requestfailed", lambda req: errors.append(f"failed: {req.url}"))
        page.goto(base + "search/")
        search(page, WORD)
        assert result_links(page) == [f"{prefix}papers/{WORD_PAPER}/"]
        assert page.locator(".pagefind-ui__result-title").inner_text().startswith("VLAD-BuFF")
        page.locator(".pagefind-ui__result-link").click()
        page.wait_for_url(f"**{prefix}papers/{WORD_PAPER}/")
        assert page.locator("h1").inner_text().startswith("VLAD-BuFF")
        assert errors == []
        page.close()


def test_the_header_search_box_opens_the_search_with_its_words(browser, seed_out):
    with serve_directory(seed_out, prefix="/daily-papers/") as base:
        page = browser.new_page()
        page.goto(base)
        page.fill("#site-search", WORD)
        page.press("#site-search", "Enter")
        page.wait_for_url("**/daily-papers/search/?q=" + WORD)
        expect(page.locator(".pagefind-ui__message")).to_contain_text(f"1 result for {WORD}", timeout=15000)
        assert result_links(page) == [f"/daily-papers/papers/{WORD_PAPER}/"]
        page.locator("summary.pagefind-ui__filter-name", has_text="Tag").click()
        violations = run_axe(page)
        assert violations == [], format_axe(violations)
        page.close()


def test_filtering_by_tag_and_by_year(browser, seed_out):
    entries = seed_entries()
    tagged = {f"/daily-papers/papers/{slug}/" for slug, e in entries.items() if TAG in (e.get("tags") or [])}
    with serve_directory(seed_out, prefix="/daily-papers/") as base:
        page = browser.new_page()
        page.goto(base + "search/")
        search(page, TAGGED_WORD)
        everything = result_count(page)
        page.locator("summary.pagefind-ui__filter-name", has_text="Tag").click()
        page.locator(f"input.pagefind-ui__filter-checkbox[name='tag'][value='{TAG}']").check()
        expect(page.locator(".pagefind-ui__message")).not_to_have_text(re.compile(rf"^{everything} "), timeout=15000)
        narrowed = result_count(page)
        links = result_links(page)
        assert 0 < narrowed < everything and len(links) == narrowed
        assert set(links) <= tagged, "a result without the tag"
        page.locator(f"input.pagefind-ui__filter-checkbox[name='tag'][value='{TAG}']").uncheck()
        expect(page.locator(".pagefind-ui__message")).to_contain_text(f"{everything} results", timeout=15000)
        years = sorted({str(e["added"])[:4] for e in entries.values()})
        page.locator("summary.pagefind-ui__filter-name", has_text="Year").click()
        values = page.locator("input.pagefind-ui__filter-checkbox[name='year']")
        assert sorted(v.get_attribute("value") for v in values.all()) == years
        page.locator(f"input.pagefind-ui__filter-checkbox[name='year'][value='{years[-1]}']").check()
        page.wait_for_timeout(500)
        in_year = sum(1 for e in entries.values() if str(e["added"]).startswith(years[-1])
                      and TAGGED_WORD in entry_text(e))
        assert 0 < result_count(page) <= in_year
        page.close()


def test_authors_organizations_and_tags_are_searchable_and_chrome_is_not(browser, make_site, tmp_path):
    content = make_site(papers={
        "2025/hopper": paper(title="Compilers Considered", authors=["Grace Hopper"], organization="Acme Lab",
                             abstract="On programs.", tags=["quantization"], arxiv="2409.17887", upvotes=7,
                             submitted_by="zeppelin"),
        "2025/other": paper(title="Another Paper", abstract="On other things.", added="2025-12-08"),
    }, tags={"quantization": "Low-bit number formats", "math-reasoning": "Xylophonic description words"})
    out = build(content, tmp_path / "out")
    with serve_directory(out) as base:
        page = browser.new_page()
        page.goto(base + "search/")
        for words, found in (("Hopper", ["/papers/hopper/"]), ("Acme", ["/papers/hopper/"]),
                             ("quantization", ["/papers/hopper/"]), ("2409.17887", ["/papers/hopper/"])):
            page.goto(base + "search/")
            search(page, words)
            assert result_links(page) == found, words
        result = page.locator(".pagefind-ui__result")
        expect(result.locator(".pagefind-ui__result-tag", has_text="Authors: Grace Hopper")).to_have_count(1)
        for words in ("Xylophonic", "Subscribe", "zeppelin"):  # a tag page's description; the footer; a fact
            page.goto(base + "search/")
            search(page, words)
            assert page.locator(".pagefind-ui__result").count() == 0, words
        page.close()
