"""The reading site's pages, built through the real CLI and read with an HTML parser.

Every HTML address of FORMAT.md, cards, pagination, math, TeX escapes, sub-path
hosting, template errors and theme overrides. The browser-level checks (axe,
vnu, screenshots, JavaScript) live in test_browser.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
import yaml

from tests.conftest import REPO, paper, run_cli
from tests.support.tools import crawl_site

SEED = REPO / "content"
SEED_BASE = "https://paperfeed.github.io/daily-papers/"


# --- helpers -------------------------------------------------------------------------


def build(content: Path, out: Path) -> Path:
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    return out


def page(out: Path, url: str):
    """The parsed page at a site-relative URL ("" is the home page)."""
    path = out / (url + "index.html" if url == "" or url.endswith("/") else url)
    assert path.is_file(), f"no page at /{url} (expected {path.relative_to(out)})"
    return lxml.html.fromstring(path.read_bytes())


_SIMPLE = re.compile(r"""(?P<tag>[a-z][a-z0-9]*|\*)|\.(?P<cls>[\w-]+)|\#(?P<id>[\w-]+)
                        |\[(?P<attr>[\w:-]+)(?:=["']?(?P<value>[^"'\]]*)["']?)?\]""", re.X)


def css_to_xpath(selector: str) -> str:
    """A small CSS subset (tag, .class, #id, [attr], [attr=value], descendant) as XPath,
    so the tests need no cssselect package."""
    steps = []
    for compound in selector.split():
        tag, conditions, pos = "*", [], 0
        while pos < len(compound):
            m = _SIMPLE.match(compound, pos)
            if not m or m.end() == pos:
                raise ValueError(f"unsupported selector {selector!r}")
            if m.group("tag"):
                tag = m.group("tag")
            elif m.group("cls"):
                conditions.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {m.group('cls')} ')")
            elif m.group("id"):
                conditions.append(f"@id='{m.group('id')}'")
            elif m.group("value") is not None:
                conditions.append(f"@{m.group('attr')}='{m.group('value')}'")
            else:
                conditions.append(f"@{m.group('attr')}")
            pos = m.end()
        steps.append(tag + "".join(f"[{c}]" for c in conditions))
    return "descendant-or-self::" + "//".join(steps)


def select(node, selector: str) -> list:
    return node.xpath(css_to_xpath(selector))


def text(node) -> str:
    return " ".join(node.text_content().split())


def hrefs(node, selector: str) -> list[str]:
    return [a.get("href") for a in select(node, selector)]


def html_pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))



def snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in out.rglob("*") if p.is_file()}


def seed_entries() -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(SEED.glob("papers/*/*.yaml"))}


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


SMALL_PAPERS = {
    "2025/alpha-paper": paper(
        title="Alpha: Sorting in $O(n \\log n)$ Time", added="2025-12-09", published="2025-11-30",
        authors=["Ada Lovelace", "José Núñez"], organization="Analytical Engines Lab",
        abstract="We show that $x^2 + y^2 = z^2$ has many solutions, by Ap\\'ery's method -- and more.\n\n"
                 "$$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$$\n",
        arxiv="2412.01234", links={"code": "https://github.com/example/alpha", "project": "https://example.org/alpha"},
        tags=["quantization", "math-reasoning"], upvotes=12, submitted_by="ada",
        note="A *clear* proof; see [the code](https://github.com/example/alpha)."),
    "2025/beta-paper": paper(title="Beta Paper", added="2025-12-09", authors=["Ada Lovelace"],
                             abstract="One author, no tags, one upvote.", upvotes=1),
    "2025/gamma-paper": paper(title="Gamma Paper", added="2025-12-08", author_count=1,
                              abstract="Only a count of authors.", tags=["quantization"]),
    "2025/delta-paper": paper(title="Delta Paper", added="2025-11-20", abstract="Only what is required."),
    "2025/epsilon-paper": paper(title="Epsilon Paper", added="2025-12-08", organization="Analytical Engines Lab",
                                abstract="Only an organization.", tags=["math-reasoning"]),
}


@pytest.fixture(scope="module")
def seed_out(tmp_path_factory) -> Path:
    return build(SEED, tmp_path_factory.mktemp("seed-pages") / "site")


@pytest.fixture
def small_out(make_site, tmp_path) -> Path:
    return build(make_site(papers=SMALL_PAPERS), tmp_path / "out")


# --- every address --------------------------------------------------------------------


def test_seed_site_has_every_html_address_of_format_md(seed_out):
    entries = seed_entries()
    assert len(entries) == 53
    expected = {"", "tags/", "404.html"}
    for slug, entry in entries.items():
        added = entry["added"]
        expected |= {f"papers/{slug}/", f"days/{added.isoformat()}/", f"weeks/{iso_week(added)}/",
                     f"months/{added.year}-{added.month:02d}/"}
        expected |= {f"tags/{tag}/" for tag in entry.get("tags", [])}
        assert (seed_out / "papers" / slug / "paper.bib").read_text().startswith(f"@misc{{{slug},")
    for url in sorted(expected):
        assert len(select(page(seed_out, url), "h1")) == 1, url
    organizations = {slug: e["organization"] for slug, e in entries.items() if e.get("organization")}
    assert organizations, "the seed has an organization"
    for slug, name in organizations.items():
        link = select(page(seed_out, f"papers/{slug}/"), ".organization a")[0]
        assert text(link) == name
        org_page = page(seed_out, link.get("href").removeprefix("/daily-papers/"))
        assert name in text(select(org_page, "h1")[0])
    assert len(list((seed_out / "organizations").iterdir())) == len(set(organizations.values()))
    for name in ("sitemap.xml", "robots.txt", "papers.json"):
        assert (seed_out / name).is_file()


def test_sitemap_lists_every_page_but_the_404(seed_out):
    locs = set(re.findall(r"<loc>([^<]+)</loc>", (seed_out / "sitemap.xml").read_text()))
    pages = {SEED_BASE + p.relative_to(seed_out).as_posix().removesuffix("index.html")
             for p in html_pages(seed_out) if p.name != "404.html"}
    assert pages <= locs
    assert not any("404" in loc for loc in locs)


def test_small_site_has_author_organization_day_week_month_and_tag_pages(small_out):
    for url in ("", "tags/", "tags/quantization/", "tags/math-reasoning/", "authors/ada-lovelace/",
                "authors/jose-nunez/", "organizations/analytical-engines-lab/", "days/2025-12-09/",
                "days/2025-12-08/", "days/2025-11-20/", "weeks/2025-W50/", "weeks/2025-W47/", "months/2025-12/",
                "months/2025-11/", "papers/alpha-paper/", "papers/delta-paper/", "404.html"):
        assert len(select(page(small_out, url), "h1")) == 1, url
    ada = page(small_out, "authors/ada-lovelace/")
    assert hrefs(ada, ".card-title a") == ["/papers/alpha-paper/", "/papers/beta-paper/"]
    assert "Ada Lovelace" in text(select(ada, "h1")[0])
    assert hrefs(page(small_out, "authors/jose-nunez/"), ".card-title a") == ["/papers/alpha-paper/"]
    org = page(small_out, "organizations/analytical-engines-lab/")
    assert hrefs(org, ".card-title a") == ["/papers/alpha-paper/", "/papers/epsilon-paper/"]


def test_day_pages_link_to_the_previous_and_next_day_and_their_week_and_month(small_out):
    middle = page(small_out, "days/2025-12-08/")
    assert set(hrefs(middle, ".neighbours a")) == {"/days/2025-12-09/", "/days/2025-11-20/"}
    assert set(hrefs(middle, ".see-also a")) == {"/weeks/2025-W50/", "/months/2025-12/"}
    assert hrefs(page(small_out, "days/2025-12-09/"), ".neighbours a") == ["/days/2025-12-08/"]


def test_home_shows_the_newest_day_and_links_to_earlier_days(small_out):
    home = page(small_out, "")
    assert hrefs(home, ".card-title a") == ["/papers/alpha-paper/", "/papers/beta-paper/"]  # 2025-12-09 only
    assert {"/days/2025-12-08/", "/days/2025-11-20/", "/weeks/2025-W50/", "/months/2025-12/",
            "/months/2025-11/"} <= set(hrefs(home, ".archive a"))


def test_paper_page_shows_everything_the_entry_has(small_out):
    doc = page(small_out, "papers/alpha-paper/")
    article = select(doc, "article.paper")[0]
    assert hrefs(article, ".authors a") == ["/authors/ada-lovelace/", "/authors/jose-nunez/"]
    assert hrefs(article, ".organization a") == ["/organizations/analytical-engines-lab/"]
    facts = text(select(article, "dl.facts")[0])
    assert "30 November 2025" in facts and "9 December 2025" in facts and "ada" in facts
    links = {text(a): a.get("href") for a in select(article, ".links a")}
    assert links == {"arXiv": "https://arxiv.org/abs/2412.01234", "PDF": "https://arxiv.org/pdf/2412.01234",
                     "Code": "https://github.com/example/alpha", "Project page": "https://example.org/alpha"}
    assert select(article, ".note em")[0].text == "clear"
    assert [text(a) for a in select(article, ".tags a")] == ["quantization", "math-reasoning"]
    cite = select(article, ".cite")[0]
    assert text(select(cite, "pre")[0]).startswith("@misc{alpha-paper,")
    assert select(cite, "button.copy")[0].get("hidden") is not None  # shown by site.js only
    assert hrefs(cite, "a[download]") == ["/papers/alpha-paper/paper.bib"]
    assert (small_out / "papers" / "alpha-paper" / "paper.bib").is_file()
    assert hrefs(doc, ".neighbours a") == ["/papers/beta-paper/"]
    related = hrefs(doc, ".related .card-title a")
    assert 0 < len(related) <= 5 and "/papers/alpha-paper/" not in related


def test_paper_page_metadata_for_tools(small_out):
    doc = page(small_out, "papers/alpha-paper/")
    meta: dict[str, list[str]] = {}
    for m in doc.iter("meta"):
        key = m.get("name") or m.get("property")
        if key:
            meta.setdefault(key, []).append(m.get("content"))
    assert select(doc, "title")[0].text == "Alpha: Sorting in $O(n \\log n)$ Time · Test Papers"
    assert meta["citation_title"] == ["Alpha: Sorting in $O(n \\log n)$ Time"]
    assert meta["citation_author"] == ["Ada Lovelace", "José Núñez"]
    assert meta["citation_publication_date"] == ["2025/11/30"]
    assert meta["citation_pdf_url"] == ["https://arxiv.org/pdf/2412.01234"]
    assert meta["citation_arxiv_id"] == ["2412.01234"]
    assert meta["og:type"] == ["article"]
    assert meta["og:url"] == ["https://example.org/papers/alpha-paper/"]
    assert meta["og:title"] == meta["twitter:title"] == ["Alpha: Sorting in $O(n \\log n)$ Time"]
    assert meta["twitter:card"] == ["summary"]
    assert meta["description"][0].startswith("We show that")
    assert hrefs(doc, "link[rel=canonical]") == ["https://example.org/papers/alpha-paper/"]
    alternates = {link.get("type") for link in select(doc, "link[rel=alternate]")}
    assert {"application/atom+xml", "application/rss+xml", "application/feed+json"} <= alternates
    data = json.loads(select(doc, "script[type=application/ld+json]")[0].text)
    assert data["@type"] == "ScholarlyArticle"
    assert [a["name"] for a in data["author"]] == ["Ada Lovelace", "José Núñez"]
    assert data["url"] == "https://example.org/papers/alpha-paper/"
    assert data["datePublished"] == "2025-11-30"


def test_every_page_has_title_description_canonical_and_one_h1(seed_out):
    for path in html_pages(seed_out):
        doc = lxml.html.fromstring(path.read_bytes())
        name = path.relative_to(seed_out).as_posix()
        assert select(doc, "title")[0].text.strip(), name
        assert select(doc, "meta[name=description]")[0].get("content").strip(), name
        assert len(select(doc, "h1")) == 1, name
        assert doc.get("lang") == "en", name
        if name != "404.html":
            assert hrefs(doc, "link[rel=canonical]") == [SEED_BASE + name.removesuffix("index.html")], name


# --- cards -----------------------------------------------------------------------------


def test_cards_show_only_what_an_entry_has(small_out):
    cards = {}
    for url in ("tags/quantization/", "days/2025-12-09/", "months/2025-11/", "organizations/analytical-engines-lab/"):
        cards |= {text(select(c, ".card-title")[0]): c for c in select(page(small_out, url), ".card")}
    alpha = next(c for t, c in cards.items() if t.startswith("Alpha"))
    byline = text(select(alpha, ".byline")[0])
    assert "2 authors" in byline and "Analytical Engines Lab" in byline
    published, featured = select(alpha, ".byline time")[0], select(alpha, ".featured time")[0]
    assert (published.get("datetime"), featured.get("datetime")) == ("2025-11-30", "2025-12-09")
    assert "Published" in byline and "Featured" in text(select(alpha, ".featured")[0])  # labelled, apart
    upvotes = select(alpha, ".upvotes")[0]
    assert text(upvotes) == "12 upvotes" and "9 December 2025" in upvotes.get("title")
    assert hrefs(alpha, "a.code") == ["https://github.com/example/alpha"]
    assert hrefs(alpha, ".card-title a") == ["/papers/alpha-paper/"]
    assert [text(a) for a in select(alpha, ".tags a")] == ["quantization", "math-reasoning"]
    beta = cards["Beta Paper"]
    assert "1 author" in text(beta) and "1 authors" not in text(beta)
    assert text(select(beta, ".upvotes")[0]) == "1 upvote"
    assert not select(beta, ".tags") and not select(beta, "a.code")
    assert "1 author" in text(cards["Gamma Paper"])
    delta = cards["Delta Paper"]
    assert not select(delta, ".byline") and not select(delta, ".upvotes")
    assert "Only what is required." in text(delta)
    epsilon = cards["Epsilon Paper"]
    assert "Analytical Engines Lab" in text(select(epsilon, ".byline")[0]) and "author" not in text(epsilon)


def _check_no_empty_fields(out: Path) -> int:
    checked = 0
    for path in html_pages(out):
        for card in select(lxml.html.fromstring(path.read_bytes()), ".card"):
            checked += 1
            words = text(card)
            where = f"{path.relative_to(out)}: {words[:60]}"
            assert "None" not in words.split() and not re.search(r"\b0 (authors?|upvotes?)\b", words), where
            for el in card.iter("p", "span", "a", "li", "time", "h2", "h3", "ul"):
                assert text(el) or el.find(".//math") is not None, f"{where}: empty <{el.tag}>"
    return checked


def test_cards_never_show_none_zero_or_empty_fields(small_out, seed_out):
    assert _check_no_empty_fields(small_out) > 5
    assert _check_no_empty_fields(seed_out) > 53


# --- pagination ------------------------------------------------------------------------


def test_pagination_with_rel_prev_and_next(make_site, tmp_path):
    papers = {f"2025/paper-{i}": paper(title=f"Paper {i}", added="2025-12-09", upvotes=i + 1, tags=["quantization"])
              for i in range(5)}
    out = build(make_site(papers=papers, site={"per_page": 2}), tmp_path / "out")
    first, second, third = (page(out, u) for u in ("days/2025-12-09/", "days/2025-12-09/page/2/",
                                                   "days/2025-12-09/page/3/"))
    assert not (out / "days/2025-12-09/page/4").exists()

    def rels(doc):
        head = {lk.get("rel"): lk.get("href") for lk in select(doc, "head link")
                if lk.get("rel") in ("prev", "next")}
        return head, {a.get("rel"): a.get("href") for a in select(doc, ".pagination a")}

    assert rels(first) == ({"next": "/days/2025-12-09/page/2/"},) * 2
    assert rels(second) == ({"prev": "/days/2025-12-09/", "next": "/days/2025-12-09/page/3/"},) * 2
    assert rels(third) == ({"prev": "/days/2025-12-09/page/2/"},) * 2
    titles = [text(a) for doc in (first, second, third) for a in select(doc, ".card-title a")]
    assert titles == ["Paper 4", "Paper 3", "Paper 2", "Paper 1", "Paper 0"]
    assert "page 2 of 3" in select(second, "title")[0].text
    for url in ("tags/quantization/page/3/", "weeks/2025-W50/page/2/", "months/2025-12/page/3/"):
        page(out, url)
    home = page(out, "")
    assert len(select(home, ".card")) == 2
    assert hrefs(home, ".more a") == ["/days/2025-12-09/"]


# --- markup ----------------------------------------------------------------------------


def test_math_renders_as_mathml_in_titles_abstracts_and_cards(small_out):
    doc = page(small_out, "papers/alpha-paper/")
    assert select(doc, "h1 math")
    maths = select(doc, ".abstract math")
    assert {m.get("display") for m in maths} == {"inline", "block"}
    assert "$" not in text(select(doc, ".abstract")[0])  # no raw TeX delimiters
    card = select(page(small_out, ""), ".card")[0]
    assert select(card, ".card-title math") and select(card, ".excerpt math")


def test_tex_escapes_become_characters(small_out, seed_out):
    alpha = text(select(page(small_out, "papers/alpha-paper/"), ".abstract")[0])
    assert "Apéry's method – and more" in alpha
    slug = "algorithm-assisted-discovery-of-an-intrinsic-order-among-mathematical-constants"
    assert "Apéry" in text(select(page(seed_out, f"papers/{slug}/"), ".abstract")[0])
    for path in html_pages(seed_out):  # no raw TeX text escape shows anywhere
        words = text(select(lxml.html.fromstring(path.read_bytes()), "body")[0])
        assert not re.search(r"\\['\"`%&]|``", words), path


# --- hosting under a sub-path -------------------------------------------------------------


def test_sub_path_hosting_keeps_every_link_under_the_sub_path(make_site, tmp_path):
    site = {"base_url": "https://user.github.io/repo/", "per_page": 2}
    out = build(make_site(papers=SMALL_PAPERS, site=site), tmp_path / "out")
    problems = crawl_site(out, site_url="https://user.github.io/repo/")
    assert problems == [], "\n".join(problems[:20])
    checked = 0
    for path in html_pages(out):
        for el, attr, link, _ in lxml.html.fromstring(path.read_bytes()).iterlinks():
            parts = urlsplit(link)
            if parts.scheme in ("mailto",) or link.startswith("#"):
                continue
            if parts.netloc in ("", "user.github.io"):
                checked += 1
                assert parts.path.startswith("/repo/"), f"{path.relative_to(out)}: {link} escapes /repo/"
            if el.tag in ("script", "img") or (el.tag == "link" and el.get("rel") in ("stylesheet", "icon")):
                assert not parts.netloc, f"{path.relative_to(out)}: asset {link} on another host"
    assert checked > 100
    assert 'action="/repo/search/"' in (out / "index.html").read_text()
    assert "/repo/tags/" in (out / "404.html").read_text()


def test_seed_site_links_resolve(seed_out):
    problems = crawl_site(seed_out, site_url=SEED_BASE)
    assert problems == [], "\n".join(problems[:20])


# --- templates: errors and overrides ----------------------------------------------------


def test_a_template_typo_fails_the_build_with_name_and_line_and_keeps_the_old_site(make_site, tmp_path):
    content = make_site(papers=SMALL_PAPERS)
    out = build(content, tmp_path / "out")
    before = snapshot(out)
    partials = tmp_path / "templates" / "partials"
    partials.mkdir(parents=True)
    lines = (REPO / "themes/default/templates/partials/card.html").read_text().splitlines()
    line = next(i for i, ln in enumerate(lines, 1) if "paper.title_html" in ln)
    lines[line - 1] = lines[line - 1].replace("paper.title_html", "paper.titel_html")
    (partials / "card.html").write_text("\n".join(lines) + "\n")
    result = run_cli("build", "--content", str(content), "--output", str(out))
    assert result.returncode == 1
    assert f"{partials / 'card.html'}:{line}:" in result.stderr
    assert "titel_html" in result.stderr
    assert snapshot(out) == before


def test_site_templates_folder_overrides_single_templates(make_site, tmp_path):
    content = make_site(papers=SMALL_PAPERS)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "paper.html").write_text(
        '{% extends "base.html" %}\n{% block main %}<h1 id="custom">{{ paper.title }}</h1>{% endblock %}\n')
    out = build(content, tmp_path / "out")
    beta = page(out, "papers/beta-paper/")
    assert select(beta, "#custom")[0].text == "Beta Paper"
    assert select(beta, "header.site-header")  # base.html is still the theme's
    assert not select(page(out, ""), "#custom")


def test_theme_setting_picks_a_folder_under_themes(make_site, tmp_path):
    content = make_site(papers=SMALL_PAPERS, site={"theme": "plain"})
    theme = tmp_path / "themes" / "plain"
    (theme / "templates").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / "templates" / "base.html").write_text(
        '<!doctype html><html lang="en"><head><title>{{ page.title }}</title>{% block head %}{% endblock %}</head>'
        '<body class="plain-theme"><main>{% block main %}{% endblock %}</main></body></html>\n')
    (theme / "static" / "style.css").write_text("body { color: black; }\n")
    out = build(content, tmp_path / "out")
    assert select(page(out, ""), "body")[0].get("class") == "plain-theme"
    assert select(page(out, "papers/alpha-paper/"), "body")[0].get("class") == "plain-theme"  # default paper.html
    assert (out / "static" / "style.css").read_text() == "body { color: black; }\n"


# --- the theme's own rules ---------------------------------------------------------------


def test_css_and_js_stay_under_30_kb(seed_out):
    sizes = {p.name: p.stat().st_size for p in (seed_out / "static").iterdir() if p.suffix in (".css", ".js")}
    assert {"style.css", "site.js"} <= set(sizes) and sum(sizes.values()) < 30 * 1024, sizes


def test_no_page_or_asset_refers_to_another_host_for_assets(seed_out):
    for path in html_pages(seed_out):
        doc = lxml.html.fromstring(path.read_bytes())
        for el in doc.iter("link", "script", "img", "iframe", "source", "video", "audio", "object", "embed"):
            if el.tag == "link" and el.get("rel") in ("canonical", "alternate", "prev", "next"):
                continue
            ref = el.get("href") or el.get("src") or el.get("data")
            assert not ref or not urlsplit(ref).netloc, f"{path.relative_to(seed_out)}: {ref}"
    for name in ("style.css", "site.js"):
        body = (seed_out / "static" / name).read_text()
        assert not re.search(r"https?://|@import|url\(|fetch\(|XMLHttpRequest", body), name


def test_reading_needs_no_script(small_out):
    doc = page(small_out, "papers/alpha-paper/")
    scripts = select(doc, "script")
    # The JSON-LD data block and one deferred enhancement; no inline code, no <noscript> fallbacks.
    assert [s.get("type") for s in scripts] == ["application/ld+json", None]
    assert scripts[1].get("defer") is not None and scripts[1].get("src") == "/static/site.js"
    assert not select(doc, "noscript")
    assert select(doc, ".abstract p")


def test_papers_json_holds_every_entry_as_compact_json(small_out):
    """papers.json is made in pieces: the bytes must still be one compact JSON document, every
    entry's fields as written, empty ones left out."""
    raw = (small_out / "papers.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    assert raw == json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert list(data)[:4] == ["version", "title", "id", "home_page_url"] and data["version"] == 1
    by_slug = {item["slug"]: item for item in data["papers"]}
    assert set(by_slug) == {name.split("/")[1] for name in SMALL_PAPERS}
    alpha = by_slug["alpha-paper"]
    assert alpha["title"] == SMALL_PAPERS["2025/alpha-paper"]["title"]
    assert alpha["authors"] == ["Ada Lovelace", "José Núñez"] and alpha["author_count"] == 2
    assert alpha["links"] == {"code": "https://github.com/example/alpha", "project": "https://example.org/alpha"}
    assert alpha["url"].endswith("/papers/alpha-paper/") and alpha["added"] == "2025-12-09"
    assert by_slug["gamma-paper"]["author_count"] == 1 and "authors" not in by_slug["gamma-paper"]
    assert set(by_slug["delta-paper"]) == {"slug", "url", "title", "added", "abstract", "upvotes"}
    assert [item["slug"] for item in data["papers"]][:2] == ["alpha-paper", "beta-paper"]  # listing order


def test_a_rebuilds_papers_json_copies_unchanged_records_from_the_previous_file(tmp_path):
    """A rebuild's papers.json copies the records of entries that did not change from the
    output's file, a run of them at a time; edited, new and moved entries' records are made.
    The bytes are those made afresh. A file whose records are not the ones named is not used."""
    from generator.content import load_valid_content
    from generator.index import build_index
    from generator.sitedata import papers_json, record_digests
    from tests.conftest import write_site

    def index_of(papers: dict):
        content = write_site(tmp_path, papers)
        for old in (content / "papers" / "2025").glob("*.yaml"):
            if old.stem not in {name.split("/")[1] for name in papers}:
                old.unlink()
        site, loaded = load_valid_content(content, dt.date(2026, 1, 15))
        return site, build_index(loaded.papers, loaded.tags)

    papers = {f"2025/paper-{n}": paper(title=f"Paper {n} “{'}' * n},{{\"slug\":”", added=f"2025-12-0{n + 1}",
                                       authors=["José Núñez"]) for n in range(8)}
    site, before = index_of(papers)
    previous = tmp_path / "papers.json"
    previous.write_bytes(b"".join(papers_json(site, before)))
    papers["2025/paper-3"] = paper(title="Paper 3, edited", added="2025-12-04")
    papers["2025/paper-6"] = paper(title="Paper 6, moved to another day", added="2025-12-01")
    del papers["2025/paper-5"]
    papers["2025/paper-9"] = paper(title="Paper 9", added="2025-12-09")
    site, after = index_of(papers)
    pieces = list(papers_json(site, after, previous=(previous, record_digests(before))))
    assert b"".join(pieces) == b"".join(papers_json(site, after))
    copied = [bytes(p) for p in pieces if isinstance(p, memoryview)]
    assert [json.loads(b"[" + run + b"]")[0]["slug"] for run in copied] == ["paper-7", "paper-4", "paper-2"]
    assert sum(run.count(b'"slug":') for run in copied) == 5  # 7; 4; 2, 1, 0 (6 moved, 3 edited)
    # The same number of records, but not the ones named: made afresh, the same bytes.
    previous.write_bytes(b"".join(papers_json(site, after)))
    pieces = list(papers_json(site, after, previous=(previous, record_digests(before))))
    assert b"".join(pieces) == b"".join(papers_json(site, after))


@pytest.mark.parametrize("count", [0, 1, 5])
def test_papers_json_made_in_pieces_is_the_one_compact_document(tmp_path, count):
    """papers.json is made a thousand papers at a time: cut into pieces of two papers, or of
    more papers than there are, it is the same document, every paper once, in listing order."""
    from generator.content import load_valid_content
    from generator.index import build_index
    from generator.sitedata import papers_json
    from tests.conftest import write_site

    content = write_site(tmp_path, {f"2025/paper-{n}": paper(title=f"Paper {n} “quoted”", added=f"2025-12-0{n + 1}",
                                                             authors=["José Núñez"]) for n in range(count)})
    site, loaded = load_valid_content(content, dt.date(2026, 1, 15))
    index = build_index(loaded.papers, loaded.tags)
    whole = b"".join(papers_json(site, index, per_piece=2))
    assert whole == b"".join(papers_json(site, index))
    data = json.loads(whole)
    assert whole.decode("utf-8") == json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert [item["slug"] for item in data["papers"]] == [p.slug for p in index.papers]
    assert len(data["papers"]) == count
