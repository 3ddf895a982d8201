"""Odd but legal input builds fine (issue 8, point 6).

An empty papers folder (a friendly empty home), one day with 1,000 papers
(paginated), a paper with 500 authors, titles in Chinese and Arabic, names with
diacritics (readable ASCII author addresses that never collide).
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest

from generator.build import build_site
from tests.conftest import REPO, paper, run_cli, write_site

TODAY = date(2025, 12, 10)
NO_SEARCH = {"search": False}


def page(out: Path, url: str):
    path = out / (url + "index.html" if url == "" or url.endswith("/") else url)
    assert path.is_file(), f"no page at /{url}"
    return lxml.html.fromstring(path.read_bytes())


def text(doc) -> str:
    return " ".join(doc.text_content().split())


# --- nothing at all --------------------------------------------------------------------


@pytest.mark.parametrize("papers_folder", ["empty", "missing"])
def test_an_empty_site_builds_with_a_friendly_home(tmp_path, papers_folder):
    content = write_site(tmp_path)
    if papers_folder == "missing":
        (content / "papers").rmdir()
    out = tmp_path / "site"
    result = run_cli("build", "--content", str(content), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("0 papers"), result.stdout
    home = page(out, "")
    assert home.xpath("string(//h1)") == "Test Papers"
    assert "No papers yet. Add the first one with paperfeed new <arXiv id>." in text(home)
    assert home.xpath("//main//article") == []
    assert "None" not in text(home) and "0 papers" not in text(home)
    tags = page(out, "tags/")
    assert "0 tags" in text(tags)
    for feed in ("atom.xml", "feed.xml", "days/atom.xml"):
        parsed = feedparser.parse((out / feed).read_bytes())
        assert not parsed.bozo and parsed.entries == [], feed
    assert json.loads((out / "feed.json").read_text())["items"] == []
    assert json.loads((out / "papers.json").read_text())["papers"] == []
    locs = lxml.etree.parse(str(out / "sitemap.xml")).getroot()
    assert len(locs) >= 1
    validate = run_cli("validate", str(content))
    assert validate.returncode == 0 and "0 papers, 0 problems" in validate.stdout


# --- one big day ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_day(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bigday")
    papers = {f"2025/paper-{i:04d}": paper(title=f"Paper {i:04d} on one busy day", added="2025-12-09",
                                           abstract=f"Abstract {i}.", upvotes=i % 17,
                                           tags=["quantization"] if i % 2 else ["math-reasoning"])
              for i in range(1000)}
    papers["2025/the-day-before"] = paper(title="The Day Before", added="2025-12-08")
    content = write_site(root, papers, site={**NO_SEARCH, "per_page": 30})
    build_site(content, root / "site", TODAY, jobs=2)
    return root / "site"


def test_a_day_of_a_thousand_papers_is_paginated(big_day):
    day = "days/2025-12-09/"
    first = page(big_day, day)
    assert len(first.xpath("//main//article[@class='card']")) == 30
    assert "Page 1 of 34" in text(first)
    last = page(big_day, day + "page/34/")
    assert len(last.xpath("//main//article[@class='card']")) == 10  # 1,000 = 33 × 30 + 10
    assert "Page 34 of 34" in text(last) and "1000 papers" in text(last)
    assert not (big_day / day / "page" / "35").exists()
    assert not (big_day / day / "page" / "1").exists()  # page 1 is the day's own address
    middle = page(big_day, day + "page/17/")
    assert middle.xpath("//link[@rel='prev']/@href") == [f"/{day}page/16/"]
    assert middle.xpath("//link[@rel='next']/@href") == [f"/{day}page/18/"]
    slugs = set()
    for number in range(1, 35):
        listing = page(big_day, day if number == 1 else f"{day}page/{number}/")
        slugs.update(listing.xpath("//h2[@class='card-title']/a/@href"))
    assert len(slugs) == 1000, "every paper is listed exactly once across the pages"


def test_the_home_page_shows_the_first_page_and_links_to_the_rest(big_day):
    home = page(big_day, "")
    assert len(home.xpath("//main//article[@class='card']")) == 30
    assert "1000 papers, the first 30 shown" in text(home)
    assert home.xpath("//p[@class='more']/a/@href") == ["/days/2025-12-09/"]


def test_weeks_months_and_tags_of_a_big_day_are_paginated_too(big_day):
    for url, pages in (("months/2025-12/", 34), ("tags/quantization/", 17), ("tags/math-reasoning/", 17)):
        assert (big_day / url / "page" / str(pages) / "index.html").is_file(), url
        assert not (big_day / url / "page" / str(pages + 1)).exists(), url
    data = json.loads((big_day / "papers.json").read_text())
    assert len(data["papers"]) == 1001
    feed = feedparser.parse((big_day / "atom.xml").read_bytes())
    assert len(feed.entries) == 50  # feed_items


# --- many authors, many scripts ------------------------------------------------------------


def test_a_paper_with_500_authors(tmp_path):
    authors = [f"Author Number {i:03d}" for i in range(500)]
    content = write_site(tmp_path, {"2025/big-collaboration": paper(title="A Big Collaboration", authors=authors,
                                                                   author_count=500)}, site=NO_SEARCH)
    out = tmp_path / "site"
    build_site(content, out, TODAY, jobs=2)
    doc = page(out, "papers/big-collaboration/")
    links = doc.xpath("//p[@class='authors']/a")
    assert [a.text for a in links] == authors
    assert len({a.get("href") for a in links}) == 500
    assert all((out / a.get("href").lstrip("/") / "index.html").is_file() for a in links)
    ld = json.loads(doc.xpath("//script[@type='application/ld+json']")[0].text)
    assert len(ld["author"]) == 500
    bib = (out / "papers" / "big-collaboration" / "paper.bib").read_text()
    assert bib.count(" and ") == 499
    card = page(out, "days/2025-12-09/")
    assert "500 authors" in text(card)
    assert len(list((out / "authors").iterdir())) == 500


SCRIPTS = {
    "2025/chinese-title": paper(title="基于深度学习的中文文本量化方法研究", authors=["王小明", "李华"],
                                organization="北京大学", abstract="本文研究了量化方法。我们提出 $x^2$ 的新方法。"),
    "2025/arabic-title": paper(title="التعلم العميق لمعالجة اللغة العربية", authors=["محمد علي", "فاطمة الزهراء"],
                               organization="جامعة القاهرة", abstract="نقدم نموذجا جديدا للغة العربية."),
    "2025/mixed-title": paper(title="BERT في اللغة العربية and 中文 together: $O(n)$", authors=["Zoë Müller"]),
}


def test_titles_in_chinese_and_arabic(tmp_path):
    content = write_site(tmp_path, SCRIPTS, site=NO_SEARCH)
    out = tmp_path / "site"
    result = run_cli("build", "--content", str(content), "--output", str(out))
    assert result.returncode == 0, result.stderr
    for slug in ("chinese-title", "arabic-title"):
        entry = SCRIPTS[f"2025/{slug}"]
        doc = page(out, f"papers/{slug}/")
        assert doc.xpath("string(//h1)") == entry["title"]
        assert doc.xpath("string(//title)").startswith(entry["title"])
        assert doc.xpath("//p[@class='authors']/a/text()") == entry["authors"]
        assert entry["abstract"][:8] in text(doc)
    author_slugs = sorted(p.name for p in (out / "authors").iterdir())
    assert all(s.isascii() and s for s in author_slugs), author_slugs
    assert "wang-xiao-ming" in author_slugs and "li-hua" in author_slugs
    assert any(p.name.startswith("bei-jing") for p in (out / "organizations").iterdir())
    feed = feedparser.parse((out / "atom.xml").read_bytes())
    assert {e.title for e in feed.entries} >= {SCRIPTS["2025/chinese-title"]["title"],
                                                 SCRIPTS["2025/arabic-title"]["title"]}
    data = json.loads((out / "papers.json").read_text(encoding="utf-8"))
    assert "الزهراء" in json.dumps(data, ensure_ascii=False)


NAMES = {
    "José Núñez": "jose-nunez", "Zoë Müller": "zoe-muller", "Søren Kierkegaard": "soren-kierkegaard",
    "Łukasz Wiśniewski": "lukasz-wisniewski", "Nguyễn Thảo": "nguyen-thao", "Çağla Yılmaz": "cagla-yilmaz",
    "François Lefèvre": "francois-lefevre", "Jiří Dvořák": "jiri-dvorak", "Ómar Þórsson": "omar-thorsson",
    "Dániel Horváth": "daniel-horvath", "Ana-María O'Brien": "ana-maria-o-brien",
}


def test_names_with_diacritics_get_readable_ascii_addresses(tmp_path):
    content = write_site(tmp_path, {"2025/names": paper(authors=list(NAMES))}, site=NO_SEARCH)
    out = tmp_path / "site"
    build_site(content, out, TODAY, jobs=1)
    doc = page(out, "papers/names/")
    hrefs = dict(zip(doc.xpath("//p[@class='authors']/a/text()"), doc.xpath("//p[@class='authors']/a/@href")))
    assert hrefs == {name: f"/authors/{slug}/" for name, slug in NAMES.items()}
    for name, slug in NAMES.items():
        assert page(out, f"authors/{slug}/").xpath("string(//h1)") == f"Papers by {name}"


def test_names_that_slug_alike_never_share_a_page(tmp_path):
    alike = ["José Núñez", "Jose Nunez", "JOSÉ NÚÑEZ", "José  Núñez", "Jos\u00e9 Nu\u0301n\u0303ez", "José-Núñez"]
    content = write_site(tmp_path, {f"2025/p{i}": paper(title=f"P{i}", authors=[name])
                                    for i, name in enumerate(alike)}, site=NO_SEARCH)
    out = tmp_path / "site"
    build_site(content, out, TODAY, jobs=1)
    pages = {}
    for folder in (out / "authors").iterdir():
        assert folder.name.isascii() and folder.name.startswith("jose-nunez"), folder.name
        pages[folder.name] = page(out, f"authors/{folder.name}/").xpath("string(//h1)").removeprefix("Papers by ")
    # "José  Núñez" (two spaces) and the NFD spelling are the same name as "José Núñez"
    distinct = {unicodedata.normalize("NFC", " ".join(n.split())) for n in alike}
    assert sorted(pages.values()) == sorted(distinct)
    assert len(pages) == len(distinct) == 4
    assert pages["jose-nunez"] in distinct
    for i, name in enumerate(alike):  # each paper links to the page that bears its author's name
        href = page(out, f"papers/p{i}/").xpath("//p[@class='authors']/a/@href")[0]
        assert pages[href.split("/")[2]] == unicodedata.normalize("NFC", " ".join(name.split()))


def test_a_deleted_working_folder_does_not_stop_validate_or_build(make_site, tmp_path):
    """Messages print paths relative to the working folder, and the output may not be it:
    when that folder was deleted under a running shell, both just do without it."""
    content = make_site(papers={"2025/alpha": paper(title="Alpha")})
    gone, out = tmp_path / "gone", tmp_path / "out"
    gone.mkdir()
    script = ("import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
              "from generator.cli import main; main(sys.argv[2:])")
    for args in (["validate", str(content)], ["build", "--content", str(content), "--output", str(out)]):
        gone.mkdir(exist_ok=True)
        result = subprocess.run([sys.executable, "-c", script, str(gone), *args], capture_output=True, text=True,
                                cwd=REPO, timeout=300)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    assert (out / "papers" / "alpha" / "index.html").is_file()
