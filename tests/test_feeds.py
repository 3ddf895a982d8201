"""Feeds that every reader accepts (issue 4): RSS 2.0, Atom 1.0, JSON Feed 1.1,
per tag / author / organization, the daily digest, OPML and the /feeds/ page."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree

from conftest import REPO, SITE, paper, run_cli
from generator import feeds as feeds_module
from generator.content import load_valid_content
from generator.feeds import build_feeds, feed_catalogue, render_feeds_page
from generator.index import build_index
from generator.render import Renderer
from generator.theme import TemplateDigests, find_theme, make_environment
from generator.views import paper_views, site_view
from tests.support.tools import crawl_site, run_vnu

TODAY = date(2026, 1, 15)
ATOM_NS = {"a": "http://www.w3.org/2005/Atom"}
BASE = SITE["base_url"]
ID = SITE["id"]

PAPERS = {
    "2025/quant-one": paper(
        title="Quantization One", added="2025-12-09", upvotes=5, tags=["quantization"],
        authors=["Ada Lovelace", "José Núñez"], organization="Analytical Engines Ltd",
        arxiv="2409.17887", links={"code": "https://github.com/example/quant-one"},
        abstract="We study $x^2 + y$ and [our notes](notes/one.html), see [home](/about/)."),
    "2025/math-two": paper(
        title="Math Two", added="2025-12-09", upvotes=1, tags=["math-reasoning"],
        organization="Analytical Engines Ltd", abstract="Models that prove $a < b$ & more."),
    "2025/both-three": paper(
        title="Both Three", added="2025-12-08", tags=["quantization", "math-reasoning"], author_count=7,
        abstract="Only a count of authors."),
    "2025/old-four": paper(title="Old Four", added="2025-11-30", authors=["Ada Lovelace"],
                           abstract="The oldest one."),
}


# --- helpers ----------------------------------------------------------------------------


def in_process(content: Path):
    site, loaded = load_valid_content(content, TODAY)
    index = build_index(loaded.papers, loaded.tags)
    return site, index, paper_views(site, index)


def feeds_of(content: Path) -> dict[str, bytes]:
    return dict(build_feeds(*in_process(content)))


def test_views_of_papers_are_the_same_made_or_not(make_site):
    """PaperViews.of (a listing's cards) gives each paper's view, in order, whether or not the
    views were made before, and makes each view once."""
    site, index, views = in_process(make_site(papers=PAPERS))
    papers = index.papers[::-1]
    first = views.of(papers[:2])  # made here
    again = views.of(papers)  # two made already, the others not: made one by one
    assert [view.slug for view in again] == [paper.slug for paper in papers]
    assert again[:2] == first and all(a is b for a, b in zip(again, first))
    assert all(a is b for a, b in zip(views.of(papers), again))  # all made: the same objects


def xml_feeds(files: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in files.items() if path.endswith(".xml")}


def parsed(data: bytes):
    result = feedparser.parse(data)
    assert result.bozo == 0, result.get("bozo_exception")
    return result


@pytest.fixture(scope="module")
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(Path(__file__).parent / "data" / "atom.rng")))


@pytest.fixture
def site_feeds(make_site) -> dict[str, bytes]:
    return feeds_of(make_site(papers=PAPERS))


# --- every feed, every reader -------------------------------------------------------------


def test_every_feed_file_is_built(make_site):
    content = make_site(papers=PAPERS)
    files = feeds_of(content)
    site, index, _ = in_process(content)
    expected = {feed.url for feed in feed_catalogue(site, index)} | {"feeds.opml"}
    assert set(files) == expected
    assert {"atom.xml", "feed.xml", "feed.json", "days/atom.xml", "tags/quantization/atom.xml",
            "tags/quantization/feed.xml", "tags/math-reasoning/feed.xml", "authors/ada-lovelace/atom.xml",
            "authors/jose-nunez/feed.xml", "organizations/analytical-engines-ltd/atom.xml"} <= set(files)


def test_feedparser_reads_every_feed_without_complaint(site_feeds):
    """feedparser 6.0 has no JSON Feed support: feed.json is checked on its own below."""
    for path, data in xml_feeds(site_feeds).items():
        result = parsed(data)
        assert result.version in ("atom10", "rss20"), path
        assert result.entries, path


SLUGS = ["quant-one", "math-two", "both-three", "old-four"]  # added, then upvotes, then title


@pytest.mark.parametrize("path", ["atom.xml", "feed.xml"])
def test_main_feeds_hold_items_in_listing_order_with_ids_dates_links(site_feeds, path):
    result = parsed(site_feeds[path])
    slugs = SLUGS
    assert [e.id for e in result.entries] == [f"{ID}:papers/{s}" for s in slugs]
    assert [e.link for e in result.entries] == [f"{BASE}papers/{s}/" for s in slugs]
    days = [date(2025, 12, 9), date(2025, 12, 9), date(2025, 12, 8), date(2025, 11, 30)]
    assert [date(*e.published_parsed[:3]) for e in result.entries] == days
    assert all(e.published_parsed[3:6] == (0, 0, 0) for e in result.entries)
    first = result.entries[0]
    assert first.title == "Quantization One"
    assert [a.name for a in first.authors] == ["Ada Lovelace", "José Núñez"]
    assert [t.term for t in first.tags] == ["quantization"]
    assert result.feed.language == "en"


def test_rss_guid_is_not_a_permalink_and_dates_are_rfc822(site_feeds):
    root = etree.fromstring(site_feeds["feed.xml"])
    for guid in root.iter("guid"):
        assert guid.get("isPermaLink") == "false" and guid.text.startswith(f"{ID}:papers/")
    dates = [d.text for d in root.iter("pubDate")] + [root.findtext("channel/lastBuildDate")]
    for text in dates:
        assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000", text), text
    assert parsedate_to_datetime(root.findtext("channel/lastBuildDate")) == datetime(2025, 12, 9, tzinfo=timezone.utc)
    self_link = root.find("channel/{http://www.w3.org/2005/Atom}link")
    assert self_link.get("rel") == "self" and self_link.get("href") == BASE + "feed.xml"
    assert root.findtext("channel/language") == "en"


def test_atom_feed_level_fields(site_feeds):
    root = etree.fromstring(site_feeds["atom.xml"])
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert root.findtext("a:id", namespaces=ATOM_NS) == ID
    assert root.findtext("a:updated", namespaces=ATOM_NS) == "2025-12-09T00:00:00+00:00"  # newest item, not now
    links = {link.get("rel"): link.get("href") for link in root.findall("a:link", ATOM_NS)}
    assert links == {"self": BASE + "atom.xml", "alternate": BASE}
    stamps = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}updated",
                                         "{http://www.w3.org/2005/Atom}published")]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00\+00:00", s) for s in stamps)
    assert "python-feedgen" not in site_feeds["atom.xml"].decode() + site_feeds["feed.xml"].decode()


def test_atom_feeds_validate_against_rfc4287_schema(site_feeds, atom_schema):
    atom_files = [p for p in site_feeds if p.endswith("atom.xml")]
    assert len(atom_files) == 7  # main, digest, 2 tags, 2 authors, 1 organization
    for path in atom_files:
        root = etree.fromstring(site_feeds[path])
        assert atom_schema.validate(root), (path, atom_schema.error_log)
        assert_atom_rules(root, path)


def assert_atom_rules(root, path: str) -> None:
    """RFC 4287's Schematron rules, which RELAX NG alone does not check."""
    feed_has_author = root.find("a:author", ATOM_NS) is not None
    ids = [root.findtext("a:id", namespaces=ATOM_NS)]
    for entry in root.findall("a:entry", ATOM_NS):
        assert feed_has_author or entry.find("a:author", ATOM_NS) is not None, path
        assert (entry.find("a:content", ATOM_NS) is not None
                or entry.xpath("a:link[@rel='alternate' or not(@rel)]", namespaces=ATOM_NS)), path
        ids.append(entry.findtext("a:id", namespaces=ATOM_NS))
    assert len(ids) == len(set(ids)), path
    assert root.xpath("a:link[@rel='self' and @type='application/atom+xml']", namespaces=ATOM_NS), path


def test_paper_with_only_an_author_count_has_no_author_element_but_stays_valid(site_feeds, atom_schema):
    root = etree.fromstring(site_feeds["tags/math-reasoning/atom.xml"])
    entry = next(e for e in root.findall("a:entry", ATOM_NS) if e.findtext("a:id", namespaces=ATOM_NS).endswith("both-three"))
    assert entry.find("a:author", ATOM_NS) is None
    assert root.findtext("a:author/a:name", namespaces=ATOM_NS) == SITE["author"]
    assert atom_schema.validate(root), atom_schema.error_log


def test_organization_stands_in_for_missing_authors(site_feeds):
    entries = parsed(site_feeds["atom.xml"]).entries
    math_two = next(e for e in entries if e.id.endswith("math-two"))
    assert [a.name for a in math_two.authors] == ["Analytical Engines Ltd"]
    rss = etree.fromstring(site_feeds["feed.xml"])
    creators = [c.text for c in rss.iter("{http://purl.org/dc/elements/1.1/}creator")]
    assert creators.count("Analytical Engines Ltd") == 1 and "Ada Lovelace" in creators


def test_content_is_abstract_html_with_mathml_and_absolute_links(site_feeds):
    entry = parsed(site_feeds["atom.xml"]).entries[0]
    content = entry.content[0].value
    assert "<math" in content and "x^2 + y</annotation>" in content
    assert 'encoding="application/x-tex"' in content
    checked = 0
    for source in ("atom.xml", "feed.xml", "feed.json", "days/atom.xml"):  # JSON read with json
        data = site_feeds[source]
        if source.endswith(".json"):
            htmls = [item["content_html"] for item in json.loads(data)["items"]]
        else:
            htmls = [e.content[0].value for e in parsed(data).entries]
        for fragment in htmls:
            doc = lxml.html.fragment_fromstring(fragment, create_parent="div")
            urls = [el.get(attr) for attr in ("href", "src") for el in doc.iter() if el.get(attr) is not None]
            assert all(u.startswith(("https://", "http://")) for u in urls), (source, urls)
            checked += len(urls)
    assert checked > 10
    # relative links in the abstract are resolved against base_url
    assert f'href="{BASE}notes/one.html"' in content and 'href="https://example.org/about/"' in content
    # PDF / code / arXiv links follow the abstract
    assert 'href="https://arxiv.org/abs/2409.17887"' in content
    assert 'href="https://github.com/example/quant-one"' in content


def test_summary_is_plain_text(site_feeds):
    for entry in parsed(site_feeds["atom.xml"]).entries:
        detail = entry.summary_detail
        assert detail.type == "text/plain" and "<" not in entry.summary.replace("a < b", "")
    math = next(e for e in parsed(site_feeds["atom.xml"]).entries if e.id.endswith("math-two"))
    assert math.summary == "Models that prove $a < b$ & more."
    rss_math = next(e for e in parsed(site_feeds["feed.xml"]).entries if e.id.endswith("math-two"))
    assert rss_math.summary == "Models that prove $a &lt; b$ &amp; more."  # RSS descriptions are HTML


def test_json_feed_has_every_required_field_with_valid_types(site_feeds):
    data = json.loads(site_feeds["feed.json"])
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(data["title"], str) and data["title"]
    assert data["home_page_url"] == BASE and data["feed_url"] == BASE + "feed.json"
    assert isinstance(data["description"], str) and data["language"] == "en"
    assert data["authors"] == [{"name": SITE["author"]}]
    assert isinstance(data["items"], list) and len(data["items"]) == 4
    for item in data["items"]:
        assert isinstance(item["id"], str) and item["id"].startswith(f"{ID}:papers/")
        assert isinstance(item["url"], str) and item["url"].startswith(BASE)
        assert isinstance(item["title"], str) and isinstance(item["summary"], str)
        assert isinstance(item["content_html"], str) and item["content_html"]
        datetime.fromisoformat(item["date_published"])  # RFC 3339
        assert item["date_published"].endswith("T00:00:00+00:00")
        for author in item.get("authors", []):
            assert set(author) == {"name"} and isinstance(author["name"], str)
        assert all(isinstance(tag, str) for tag in item.get("tags", []))
        assert set(item) <= {"id", "url", "external_url", "title", "content_html", "summary",
                             "date_published", "authors", "tags"}
    assert data["items"][0]["external_url"] == "https://arxiv.org/abs/2409.17887"
    assert [item["id"] for item in data["items"]] == [f"{ID}:papers/{s}" for s in SLUGS]
    assert [item["url"] for item in data["items"]] == [f"{BASE}papers/{s}/" for s in SLUGS]
    assert [item["date_published"][:10] for item in data["items"]] == [
        "2025-12-09", "2025-12-09", "2025-12-08", "2025-11-30"]
    assert data["items"][0]["authors"] == [{"name": "Ada Lovelace"}, {"name": "José Núñez"}]
    assert data["items"][0]["tags"] == ["quantization"]


# --- per-group feeds and the digest -------------------------------------------------------


def test_a_tag_feed_holds_only_its_tag(site_feeds):
    for path in ("tags/quantization/atom.xml", "tags/quantization/feed.xml"):
        entries = parsed(site_feeds[path]).entries
        assert [e.id.rsplit("/", 1)[1] for e in entries] == ["quant-one", "both-three"]
        assert all("quantization" in [t.term for t in e.tags] for e in entries)
    result = parsed(site_feeds["tags/quantization/atom.xml"])
    assert result.feed.id == f"{ID}:tags/quantization"
    assert result.feed.link == BASE + "tags/quantization/"


def test_author_and_organization_feeds_hold_only_their_papers(site_feeds):
    ada = parsed(site_feeds["authors/ada-lovelace/atom.xml"]).entries
    assert [e.id.rsplit("/", 1)[1] for e in ada] == ["quant-one", "old-four"]
    org = parsed(site_feeds["organizations/analytical-engines-ltd/feed.xml"]).entries
    assert [e.id.rsplit("/", 1)[1] for e in org] == ["quant-one", "math-two"]


def test_digest_has_one_item_per_day_listing_its_papers(site_feeds, atom_schema):
    result = parsed(site_feeds["days/atom.xml"])
    assert [e.id for e in result.entries] == [f"{ID}:days/2025-12-09", f"{ID}:days/2025-12-08",
                                              f"{ID}:days/2025-11-30"]
    assert [e.link for e in result.entries] == [f"{BASE}days/2025-12-09/", f"{BASE}days/2025-12-08/",
                                                f"{BASE}days/2025-11-30/"]
    first = result.entries[0].content[0].value
    assert f'href="{BASE}papers/quant-one/"' in first and f'href="{BASE}papers/math-two/"' in first
    assert "Models that prove" in first  # the excerpt
    assert result.feed.updated == "2025-12-09T00:00:00+00:00"


def test_feeds_hold_the_newest_feed_items_entries(make_site):
    files = feeds_of(make_site(papers=PAPERS, site={"feed_items": 2}))
    for path in ("atom.xml", "feed.xml"):
        assert [e.id.rsplit("/", 1)[1] for e in parsed(files[path]).entries] == ["quant-one", "math-two"]
    assert [i["id"].rsplit("/", 1)[1] for i in json.loads(files["feed.json"])["items"]] == ["quant-one", "math-two"]
    assert len(parsed(files["days/atom.xml"]).entries) == 2
    assert len(parsed(files["tags/quantization/atom.xml"]).entries) == 2


# --- stable ids and bytes -------------------------------------------------------------------


def test_changing_base_url_changes_no_id(tmp_path):
    from conftest import write_site
    first = feeds_of(write_site(tmp_path / "a", PAPERS))
    second = feeds_of(write_site(tmp_path / "b", PAPERS, site={"base_url": "http://mirror.example.net/sub/"}))
    ids = [[i["id"] for i in json.loads(f["feed.json"])["items"]] for f in (first, second)]
    assert ids[0] == ids[1] and len(ids[0]) == 4
    for path in ("atom.xml", "feed.xml", "days/atom.xml", "tags/quantization/atom.xml"):
        one, two = parsed(first[path]), parsed(second[path])
        assert [e.id for e in one.entries] == [e.id for e in two.entries]
        assert [e.link for e in one.entries] != [e.link for e in two.entries]
        if path.endswith("atom.xml"):
            assert one.feed.id == two.feed.id


def test_two_builds_of_unchanged_content_give_identical_bytes(make_site):
    content = make_site(papers=PAPERS)
    assert feeds_of(content) == feeds_of(content)


def test_cli_builds_twice_to_identical_feeds_and_item_links_resolve(make_site, tmp_path):
    content = make_site(papers=PAPERS)
    outputs = []
    for name in ("one", "two"):
        out = tmp_path / name
        run_cli("build", "--content", str(content), "--output", str(out), check=True)
        outputs.append(out)
    expected = feeds_of(content)
    for path, data in expected.items():
        assert (outputs[0] / path).read_bytes() == data, path
        assert (outputs[1] / path).read_bytes() == data, path
    for path in xml_feeds(expected):
        for entry in parsed(expected[path]).entries:
            assert entry.link.startswith(BASE)
            page = outputs[0] / entry.link[len(BASE):] / "index.html"
            assert page.is_file(), entry.link
    assert (outputs[0] / "feeds" / "index.html").is_file()
    # the abstract's own relative links are the author's business; the feeds page's are ours
    assert [p for p in crawl_site(outputs[0], site_url=BASE) if p.startswith("feeds/")] == []


def test_every_item_link_is_a_page_the_build_makes(make_site, tmp_path):
    """Through the real CLI: every link of every feed item is a page in the output."""
    content = make_site(papers=PAPERS)
    out = tmp_path / "site"
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    links = {e.link for data in xml_feeds(feeds_of(content)).values() for e in parsed(data).entries}
    assert len(links) == 4 + 3  # papers and days
    for link in links:
        assert (out / link[len(BASE):] / "index.html").is_file(), link


# --- titles ---------------------------------------------------------------------------------

TRICKY = "Why x < y & z holds \u2014 \U0001F389 \u201cquoted\u201d, 'single' and 5 > 3"


def test_a_title_with_markup_characters_and_emoji_round_trips_exactly(make_site):
    files = feeds_of(make_site(papers={"2025/tricky": paper(title=TRICKY, tags=["quantization"])}))
    for path in ("atom.xml", "feed.xml", "tags/quantization/atom.xml", "tags/quantization/feed.xml"):
        assert parsed(files[path]).entries[0].title == TRICKY, path
    assert json.loads(files["feed.json"])["items"][0]["title"] == TRICKY
    assert "\U0001F389".encode() in files["atom.xml"]  # raw UTF-8, not a character reference
    title = etree.fromstring(files["atom.xml"]).find("a:entry/a:title", ATOM_NS)
    assert title.get("type") in (None, "text") and len(title) == 0  # plain text, no markup


def test_a_title_with_tag_like_words_and_markdown_characters_round_trips(make_site):
    title = "Beyond <think> & *stars*: 1. R1_zero \U0001F914"
    files = feeds_of(make_site(papers={"2025/think": paper(title=title)}))
    assert parsed(files["atom.xml"]).entries[0].title == title
    assert parsed(files["feed.xml"]).entries[0].title == title
    assert json.loads(files["feed.json"])["items"][0]["title"] == title


# --- OPML, the catalogue and the /feeds/ page ------------------------------------------------


def test_opml_parses_and_lists_every_feed(make_site):
    content = make_site(papers=PAPERS)
    files = feeds_of(content)
    root = etree.fromstring(files["feeds.opml"])
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title")
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    assert sorted(urls) == sorted(BASE + path for path in files if path != "feeds.opml")
    for outline in root.iter("outline"):
        if outline.get("xmlUrl"):
            assert outline.get("type") == "rss" and outline.get("text") and outline.get("htmlUrl").startswith(BASE)
            assert outline.getparent().tag == "outline"  # grouped
    assert [o.get("text") for o in root.findall("body/outline")] == [
        "Everything", "Daily digest", "Tags", "Organizations", "Authors"]


def test_catalogue_describes_each_feed(make_site):
    site, index, _ = in_process(make_site(papers=PAPERS))
    catalogue = feed_catalogue(site, index)
    by_url = {f.url: f for f in catalogue}
    assert len(by_url) == len(catalogue)
    assert by_url["feed.json"].type == "application/feed+json" and by_url["feed.json"].kind == "main"
    assert by_url["days/atom.xml"].kind == "digest"
    tag = by_url["tags/quantization/feed.xml"]
    assert (tag.type, tag.kind, tag.page_url, tag.format) == ("application/rss+xml", "tag", "tags/quantization/", "RSS")
    assert by_url["authors/jose-nunez/atom.xml"].name == "José Núñez"


def test_feeds_page_links_every_feed(make_site):
    content = make_site(papers=PAPERS)
    site, index, views = in_process(content)
    jobs = []
    env = make_environment(find_theme(content.resolve().parent, site.theme))
    renderer = Renderer(env, site, site_view(site), index, views, {}, jobs, TemplateDigests(env))
    render_feeds_page(renderer)
    page = next(job.make() for job in jobs if job.path == "feeds/index.html")
    doc = lxml.html.fromstring(page)
    hrefs = {a.get("href") for a in doc.iter("a")}
    for feed in feed_catalogue(site, index):
        assert "/" + feed.url in hrefs, feed.url
    assert "/feeds.opml" in hrefs and "/tags/quantization/" in hrefs
    typed = {a.get("href"): a.get("type") for a in doc.iter("a") if a.get("type")}
    assert typed["/atom.xml"] == "application/atom+xml" and typed["/feed.json"] == "application/feed+json"
    html_file = content.parent / "feeds.html"
    html_file.write_text(page, encoding="utf-8")
    assert run_vnu([html_file]) == []


# --- edge cases and speed ---------------------------------------------------------------------


def test_a_site_without_papers_has_valid_empty_feeds(make_site, atom_schema):
    files = feeds_of(make_site(papers={}))
    assert set(files) == {"atom.xml", "feed.xml", "feed.json", "days/atom.xml", "feeds.opml"}
    for path in ("atom.xml", "feed.xml", "days/atom.xml"):
        result = feedparser.parse(files[path])
        assert result.bozo == 0 and result.entries == []
    for path in ("atom.xml", "days/atom.xml"):
        assert atom_schema.validate(etree.fromstring(files[path])), atom_schema.error_log
    assert json.loads(files["feed.json"])["items"] == []
    etree.fromstring(files["feeds.opml"])


def test_site_and_group_names_with_markup_characters_stay_well_formed(make_site, atom_schema):
    files = feeds_of(make_site(
        papers={"2025/p": paper(authors=["O'Brien <Jr> & \"Sons\""], organization="R&D <Lab>")},
        site={"title": "Papers <&> \"more\"", "description": "A & B <c>", "author": "Q & A"}))
    for path, data in files.items():
        if path.endswith(".xml"):
            result = parsed(data)
            if path.endswith("atom.xml"):
                assert atom_schema.validate(etree.fromstring(data)), (path, atom_schema.error_log)
                assert result.feed.title.startswith("Papers <&> \"more\"")
    etree.fromstring(files["feeds.opml"])
    assert json.loads(files["feed.json"])["title"] == "Papers <&> \"more\""


def test_each_paper_is_turned_into_feed_xml_once(make_site, monkeypatch):
    """A paper in many feeds (main, tags, authors, organization) is serialised once in full
    and at most once more in brief (for the per-author and per-organization feeds)."""
    calls = []
    original = feeds_module._item_xml
    monkeypatch.setattr(feeds_module, "_item_xml", lambda item: calls.append(item.id) or original(item))
    feeds_of(make_site(papers=PAPERS))
    paper_calls = [c for c in calls if ":papers/" in c]
    assert sorted(set(paper_calls)) == sorted(f"{ID}:papers/{s.split('/')[1]}" for s in PAPERS)
    assert max(paper_calls.count(c) for c in paper_calls) == 2  # full, and brief for an author's feed


def test_author_feeds_carry_the_abstracts_first_lines_only(make_site):
    files = feeds_of(make_site(papers=PAPERS))
    author_feed = next(data for path, data in files.items() if path.startswith("authors/") and path.endswith("atom.xml"))
    main = feedparser.parse(files["atom.xml"])
    brief = feedparser.parse(author_feed)
    entry = brief.entries[0]
    full = next(e for e in main.entries if e.id == entry.id)
    assert len(entry.content[0].value) < len(full.content[0].value)
    assert entry.link == full.link


def test_seed_content_feeds_are_valid(atom_schema):
    files = feeds_of(REPO / "content")
    for path, data in xml_feeds(files).items():
        parsed(data)
        if path.endswith("atom.xml"):
            assert atom_schema.validate(etree.fromstring(data)), (path, atom_schema.error_log)
