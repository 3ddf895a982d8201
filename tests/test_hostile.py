"""Hostile input (issue 8, point 1): a stranger's entry can never run code on the feed's readers.

tests/data/hostile/content is a valid content folder whose every free-text field
(title, abstract, note, authors, organization, submitted_by, link URLs, tag
descriptions) carries payloads: <script>, on* handlers, javascript:/data: URLs,
</title> and </script> breakouts, SVG and MathML (maction, annotation-xml),
CSS expression(), comments that swallow markup, Jinja syntax, bidi controls,
TeX \\href, BibTeX brace breakouts. It is built once through the real CLI; then
every output file is checked by format, and Chromium opens every page and
every feed and must see no dialog, no `window.__pwned`, no console error and
no request leaving 127.0.0.1.

Policies asserted here:
- HTML from content keeps only an allow-list of tags and attributes (no script,
  style, iframe, svg, form, on*, style=; links are http(s)/mailto/relative).
- Jinja syntax in content is text: `{{ 7*7 }}` is printed, never 49.
- Bidi embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069) are
  removed when an entry is read: no output file holds one.
- Plain-text fields (titles, names) are escaped in every format, never dropped:
  the reader sees the literal "<script>" text.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
import yaml

from tests.conftest import REPO, paper, run_cli

HOSTILE = REPO / "tests" / "data" / "hostile" / "content"
BASE = "https://example.org/hostile/"
BASE_PATH = "/hostile/"
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
ATOM_NS = "http://www.w3.org/2005/Atom"
XHTML_NS = "http://www.w3.org/1999/xhtml"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"

# Attributes whose value is a URL somewhere in HTML, SVG or MathML.
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcdoc",
             "cite", "codebase", "ping", "srcset", "manifest", "longdesc", "lowsrc", "dynsrc", "to", "from",
             "values", "archive", "classid", "profile", "icon", "usemap"}
BAD_SCHEMES = {"javascript", "data", "vbscript", "livescript", "mocha", "jar", "file"}
# Elements that have no business in a page made from content, wherever they are.
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "style", "svg",
                  "foreignobject", "template", "noscript", "isindex", "animate", "set", "img", "video",
                  "audio", "source", "textarea", "select", "portal", "marquee", "annotation-xml",
                  "maction", "mglyph", "details"}
THEME_LINK_RELS = {"icon", "stylesheet", "canonical", "prev", "next", "alternate"}


# --- the site ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    """The hostile corpus built through the CLI (from a copy: the cache lands beside content/)."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(HOSTILE, root / "content")
    out = root / "site"
    run_cli("build", "--content", str(root / "content"), "--output", str(out), check=True)
    return out


def entry(slug: str) -> dict:
    """The corpus entry as written (YAML escapes resolved)."""
    return yaml.safe_load((HOSTILE / "papers" / "2025" / f"{slug}.yaml").read_text(encoding="utf-8"))


def corpus_slugs() -> list[str]:
    return sorted(p.stem for p in (HOSTILE / "papers").rglob("*.yaml"))


def files(out: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file() and (not suffixes or p.suffix in suffixes))


def parse_page(path: Path):
    return lxml.html.document_fromstring(path.read_bytes())


# --- what "no executable markup" means -------------------------------------------------


def scheme(url: str) -> str | None:
    """The scheme a browser would see: entities decoded, whitespace and controls dropped."""
    squeezed = re.sub(r"[\x00-\x20\x7f-\x9f]", "", html.unescape(url)).lower()
    m = re.match(r"([a-z][a-z0-9+.\-]*):", squeezed)
    return m.group(1) if m else None


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def markup_problems(root, where: str, page: bool) -> list[str]:
    """Every way the parsed HTML `root` could run code. `page`: a whole page of the
    theme (its own script, JSON-LD, search form and head links are allowed; the
    search page, which holds no content, may also load Pagefind and start it)."""
    problems = []
    search_page = page and where == "search/index.html"
    for el in root.iter():
        if not isinstance(el.tag, str):
            if isinstance(el, lxml.etree._Comment):
                problems.append(f"{where}: an HTML comment {str(el)[:60]!r}")
            continue
        tag = _local(el.tag)
        attrs = {_local(k) if not k.startswith("{http://www.w3.org/1999/xlink}") else "xlink:href": v
                 for k, v in el.attrib.items()}
        if tag == "script":
            if page and attrs.get("src") == BASE_PATH + "static/site.js" and not (el.text or "").strip():
                pass
            elif page and attrs.get("type") == "application/ld+json" and "src" not in attrs:
                problems += jsonld_problems(el.text or "", where)
            elif search_page and (attrs.get("src", "").startswith(BASE_PATH + "pagefind/") or "src" not in attrs):
                pass
            else:
                problems.append(f"{where}: <script {attrs}> {(el.text or '')[:60]!r}")
        elif tag in ("style", "noscript") and search_page:
            pass
        elif tag in FORBIDDEN_TAGS or (tag == "body" and not page):
            problems.append(f"{where}: <{tag}> element")
        elif tag == "link" and not (page and set((attrs.get("rel") or "").split()) <= THEME_LINK_RELS):
            problems.append(f"{where}: <link {attrs}>")
        elif tag == "meta" and "http-equiv" in attrs:
            problems.append(f"{where}: <meta http-equiv {attrs}>")
        elif tag == "form" and not (page and attrs.get("action") == BASE_PATH + "search/"):
            problems.append(f"{where}: <form {attrs}>")
        elif tag in ("input", "button") and not page:
            problems.append(f"{where}: <{tag}> in content")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"{where}: <{tag} {name}={value!r}>")
            elif name == "style":
                problems.append(f"{where}: <{tag} style={value!r}>")
            elif name in URL_ATTRS or name.endswith("href"):
                candidates = [c.split()[0] for c in value.split(",") if c.split()] if name == "srcset" else [value]
                if any(scheme(c) in BAD_SCHEMES for c in candidates):
                    problems.append(f"{where}: <{tag} {name}={value!r}>")
    return problems


def jsonld_problems(text: str, where: str) -> list[str]:
    problems = []
    lowered = text.lower()
    for needle in ("</script", "<!--", "<script", "-->", "\u2028", "\u2029"):
        if needle in lowered:
            problems.append(f"{where}: JSON-LD holds {needle!r}")
    try:
        json.loads(text)
    except ValueError as exc:
        problems.append(f"{where}: JSON-LD is not JSON: {exc}")
    return problems


def fragment_problems(fragment: str, where: str) -> list[str]:
    """An HTML fragment (feed content, JSON Feed content_html) as a reader would render it."""
    if not fragment.strip():
        return []
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return markup_problems(root, where, page=False)


# --- the corpus is valid, and refused links are refused ------------------------------


def test_the_hostile_corpus_is_valid_content():
    """Hostility is in the text, never in the structure: validate accepts every entry."""
    result = run_cli("validate", str(HOSTILE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(corpus_slugs())} papers, 0 problems" in result.stdout


BAD_LINKS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)", "file:///etc/passwd", "ftp://example.org/x", "mailto:a@example.org", "/relative/path",
    "//evil.example/x", "https://", "https://exa mple.org/", "https://example.org/\u0000", "https:/example.org",
    "java\tscript:alert(1)",
]


@pytest.mark.parametrize("url", BAD_LINKS)
def test_links_with_another_scheme_are_refused_by_validate(make_site, url):
    content = make_site(papers={"2025/bad-link": paper(links={"code": url})})
    result = run_cli("validate", str(content))
    assert result.returncode == 1, result.stdout
    problem = result.stdout.splitlines()[0]
    assert re.match(r"^\S+/bad-link\.yaml:\d+:\d+: 'links\.code'", problem), result.stdout
    assert "http(s)" in problem or "control" in problem, problem


# --- every output file ------------------------------------------------------------------


def test_every_page_holds_only_the_theme_scripts_and_no_handlers_or_bad_urls(hostile_site):
    pages = files(hostile_site, ".html")
    assert len(pages) > 40
    problems = []
    for path in pages:
        problems += markup_problems(parse_page(path), str(path.relative_to(hostile_site)), page=True)
    assert problems == [], "\n".join(problems)


def test_each_paper_page_has_one_jsonld_block_that_cannot_close_its_script(hostile_site):
    for slug in corpus_slugs():
        doc = parse_page(hostile_site / "papers" / slug / "index.html")
        blocks = doc.xpath("//script[@type='application/ld+json']")
        assert len(blocks) == 1, slug
        data = json.loads(blocks[0].text)
        assert data["@type"] == "ScholarlyArticle"
        assert [data["name"]] == doc.xpath("//meta[@name='citation_title']/@content"), slug  # whole, as text
        raw = (hostile_site / "papers" / slug / "index.html").read_text(encoding="utf-8")
        inside = raw.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
        assert inside == blocks[0].text  # the first </script> after it is the block's own end


def test_plain_text_fields_are_shown_as_text_not_dropped(hostile_site):
    """The reader sees what the contributor wrote, as text: nothing is silently eaten."""
    slug = "script-everywhere"
    doc = parse_page(hostile_site / "papers" / slug / "index.html")
    raw = entry(slug)
    assert doc.xpath("string(//h1)") == raw["title"]
    assert doc.xpath("string(//title)").startswith(raw["title"] + " · ")
    assert doc.xpath("//p[@class='authors']/a/text()") == raw["authors"]
    assert doc.xpath("string(//p[@class='organization']/a)") == raw["organization"]
    assert raw["submitted_by"] in doc.xpath("string(//dl[@class='facts'])")
    assert doc.xpath("//meta[@name='citation_title']/@content") == [raw["title"]]
    assert "Plain start." in doc.xpath("string(//section[@class='abstract'])")
    breakout = parse_page(hostile_site / "papers" / "breakouts" / "index.html")
    assert breakout.xpath("string(//h1)") == entry("breakouts")["title"]
    assert breakout.xpath("string(//title)").startswith("</title><script>")


def test_comments_in_content_swallow_nothing_after_them(hostile_site):
    doc = parse_page(hostile_site / "papers" / "css-and-comments" / "index.html")
    abstract = doc.xpath("string(//section[@class='abstract'])")
    assert "and the text after it stays." in abstract
    assert "The end, which must still be on the page." in abstract
    assert doc.xpath("string(//h1)") == entry("css-and-comments")["title"]
    # the next sections of the page are still there, whatever the abstract opened
    assert doc.xpath("//section[@class='cite']") and doc.xpath("//footer[@class='site-footer']")


def test_jinja_syntax_in_content_is_printed_never_evaluated(hostile_site):
    slug = "jinja-syntax"
    raw = entry(slug)
    doc = parse_page(hostile_site / "papers" / slug / "index.html")
    assert doc.xpath("string(//h1)") == raw["title"]
    assert doc.xpath("//p[@class='authors']/a/text()") == raw["authors"]
    assert doc.xpath("string(//p[@class='organization']/a)") == raw["organization"]
    text = doc.text_content()
    assert "{{ 7*7 }}" in text and "{% for x in range(3) %}loop{% endfor %}" in text
    assert "49" not in text
    assert "evaluated" in text and "{% if true %}evaluated{% endif %}" in text
    author = parse_page(hostile_site / "authors" / "7-7" / "index.html")
    assert author.xpath("string(//h1)") == "Papers by {{ 7*7 }}"
    assert "49" not in author.text_content()
    tag = parse_page(hostile_site / "tags" / "breakout" / "index.html")  # tags.yaml descriptions too
    assert "</title></script><!-- {{ 7*7 }} ]]> evil" in tag.xpath("string(//p[@class='lead'])")
    feed = feedparser.parse((hostile_site / "atom.xml").read_bytes())
    titles = [e.title for e in feed.entries]
    assert raw["title"] in titles
    data = json.loads((hostile_site / "papers.json").read_text(encoding="utf-8"))
    assert {p["slug"]: p for p in data["papers"]}[slug]["title"] == raw["title"]


def test_bidi_controls_are_removed_from_every_output(hostile_site):
    """Policy: explicit bidi embeddings, overrides and isolates are dropped on reading,
    so no name or title can display as something it is not, in any output."""
    for path in files(hostile_site):
        if "pagefind" in path.relative_to(hostile_site).parts:
            continue  # compressed; made from the pages checked here
        text = path.read_bytes().decode("utf-8")
        assert not BIDI.search(text), f"{path.relative_to(hostile_site)} holds a bidi control"
    doc = parse_page(hostile_site / "papers" / "bidi-controls" / "index.html")
    assert doc.xpath("string(//h1)") == "Bidi txt.exe and isolate emb title"
    assert doc.xpath("//p[@class='authors']/a/text()") == ["Alice", "Bob Evil", "Carol"]
    assert doc.xpath("//p[@class='authors']/a/@href")[0] == BASE_PATH + "authors/alice/"
    abstract = doc.xpath("string(//section[@class='abstract'])")
    assert "مرحبا بالعالم" in abstract and "שלום עולם" in abstract  # right-to-left text itself is kept


def test_svg_mathml_and_tex_payloads_keep_only_layout(hostile_site):
    path = hostile_site / "papers" / "svg-and-mathml" / "index.html"
    doc = parse_page(path)
    maths = doc.xpath("//*[local-name()='math']")
    assert len(maths) > 5  # real formulas still render as MathML
    for el in doc.xpath("//*[local-name()='math']//*"):
        assert not any(_local(a).endswith("href") for a in el.attrib), lxml.html.tostring(el)[:200]
    assert doc.xpath("//section[@class='abstract']//a") == [] or all(
        scheme(a.get("href", "https:")) in (None, "http", "https") for a in doc.xpath("//section//a"))
    text = doc.text_content()
    assert "\\href{javascript:window.__pwned=1}{x}" in text  # the TeX source stays visible, as text


def test_markdown_and_tex_links_keep_only_http_urls(hostile_site):
    doc = parse_page(hostile_site / "papers" / "urls" / "index.html")
    hrefs = doc.xpath("//section[@class='abstract' or @class='note']//a/@href")
    assert all(scheme(h) in (None, "http", "https", "mailto") for h in hrefs), hrefs
    links = dict(zip(doc.xpath("//ul[@class='links']//a/text()"), doc.xpath("//ul[@class='links']//a/@href")))
    raw = entry("urls")["links"]
    assert links == {"Project page": raw["project"], "Blog post": raw["blog"]}  # quotes stay in the value


def test_feeds_are_well_formed_and_their_html_runs_nothing(hostile_site):
    problems = []
    xml_files = files(hostile_site, ".xml", ".opml")
    assert len(xml_files) > 20
    for path in xml_files:
        where = str(path.relative_to(hostile_site))
        tree = lxml.etree.parse(str(path), lxml.etree.XMLParser(resolve_entities=False, no_network=True))
        for el in tree.iter():
            if not isinstance(el.tag, str):
                continue
            if el.tag.startswith("{" + XHTML_NS + "}") or _local(el.tag) == "script":
                problems.append(f"{where}: element {el.tag}")
            for name, value in el.attrib.items():
                if _local(name).startswith("on") or scheme(value) in BAD_SCHEMES:
                    problems.append(f"{where}: attribute {name}={value!r}")
        if path.name == "atom.xml":
            for el in tree.iter(f"{{{ATOM_NS}}}content", f"{{{ATOM_NS}}}summary", f"{{{ATOM_NS}}}title",
                                f"{{{ATOM_NS}}}subtitle"):
                kind = el.get("type", "text")
                if kind == "html":
                    problems += fragment_problems(el.text or "", f"{where} {_local(el.tag)}")
                elif kind != "text":
                    problems.append(f"{where}: {_local(el.tag)} of type {kind}")
        elif path.name == "feed.xml":
            for el in tree.iter("description", f"{{{CONTENT_NS}}}encoded"):
                problems += fragment_problems(el.text or "", f"{where} {_local(el.tag)}")
        if path.suffix == ".xml":
            parsed = feedparser.parse(path.read_bytes())
            if parsed.bozo:
                problems.append(f"{where}: feedparser: {parsed.bozo_exception}")
    assert problems == [], "\n".join(problems)


def test_feed_titles_and_names_are_text(hostile_site):
    """Atom titles and names are text constructs: the literal payload, escaped once."""
    tree = lxml.etree.parse(str(hostile_site / "atom.xml"))
    titles = [t.text for t in tree.iter(f"{{{ATOM_NS}}}title")]
    assert entry("breakouts")["title"] in titles
    names = [n.text for n in tree.iter(f"{{{ATOM_NS}}}name")]
    assert "<script>window.__pwned=1;alert(1)</script>" in names


def test_json_feed_and_papers_json_are_valid_and_round_trip_every_string(hostile_site):
    feed = json.loads((hostile_site / "feed.json").read_text(encoding="utf-8"))
    problems = []
    for item in feed["items"]:
        problems += fragment_problems(item["content_html"], f"feed.json {item['id']}")
        assert "<" not in item["summary"] or "&lt;" not in item["summary"]  # plain text, not escaped HTML
    assert problems == [], "\n".join(problems)
    written = (hostile_site / "papers.json").read_bytes()
    data = json.loads(written)
    # Written by orjson: the very bytes the standard module writes (compact, UTF-8, unescaped).
    assert written == (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    by_slug = {p["slug"]: p for p in data["papers"]}
    assert sorted(by_slug) == corpus_slugs()
    for slug in ("script-everywhere", "breakouts", "jinja-syntax", "bibtex-breakout"):
        raw = entry(slug)
        for key in ("title", "authors", "organization", "submitted_by", "note"):
            if key in raw:
                value = [a.strip() for a in raw[key]] if key == "authors" else raw[key]  # names are trimmed
                assert by_slug[slug][key] == value, (slug, key)
        assert by_slug[slug]["abstract"] == raw["abstract"]
    for tag_feed in hostile_site.rglob("feed.json"):
        json.loads(tag_feed.read_text(encoding="utf-8"))


def test_sitemap_lists_only_the_sites_own_pages(hostile_site):
    tree = lxml.etree.parse(str(hostile_site / "sitemap.xml"))
    locs = [el.text for el in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs
    for loc in locs:
        assert loc.startswith(BASE), loc
        rel = loc[len(BASE):]
        assert re.fullmatch(r"[A-Za-z0-9/.\-]*", rel), loc
        assert (hostile_site / (rel + "index.html" if rel == "" or rel.endswith("/") else rel)).is_file(), loc


def parse_bibtex(text: str) -> tuple[str, dict[str, str]]:
    """One @misc entry read the way BibTeX reads it: braces counted, backslashes not."""
    m = re.match(r"@misc\{([a-z0-9-]+),\n", text)
    assert m, text
    key, pos, fields = m.group(1), m.end(), {}
    field = re.compile(r"\s*([A-Za-z]+) = \{")
    while m := field.match(text, pos):
        depth, i = 1, m.end()
        while depth:
            assert i < len(text), f"field {m.group(1)} never closes:\n{text}"
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        assert m.group(1) not in fields, f"field {m.group(1)} twice:\n{text}"
        fields[m.group(1)] = text[m.end():i - 1]
        pos = i + 1 if text.startswith(",", i) else i
    assert text[pos:] == "\n}\n", f"text after the fields: {text[pos:]!r}"
    return key, fields


def test_bibtex_fields_cannot_be_broken_out_of(hostile_site):
    for slug in corpus_slugs():
        text = (hostile_site / "papers" / slug / "paper.bib").read_text(encoding="utf-8")
        key, fields = parse_bibtex(text)
        assert key == slug
        assert set(fields) <= {"title", "author", "year", "month", "url", "eprint", "archivePrefix"}, fields
        assert {"title", "year", "month", "url"} <= set(fields)
    _, fields = parse_bibtex((hostile_site / "papers" / "bibtex-breakout" / "paper.bib").read_text())
    assert fields["author"].split(" and ")[0].startswith("Eve ")
    assert "Mallory" in fields["title"]  # still inside the title, where it was written


def test_the_search_input_is_the_page_body_as_text(hostile_site):
    """The search index reads each paper page's body: payloads in it are text too."""
    doc = parse_page(hostile_site / "papers" / "script-everywhere" / "index.html")
    main = doc.xpath("//main")[0]
    assert markup_problems(main, "main", page=True) == []
    assert "<script>window.__pwned=1;alert(1)</script>" in main.text_content()


# --- a real browser ---------------------------------------------------------------------


def test_a_browser_opening_every_page_and_feed_runs_nothing_from_content(hostile_site, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.support.tools import launch_chromium, serve_directory

    pages = [p for p in files(hostile_site, ".html")]
    # Every page; the feeds a reader opens most, and those of the most hostile tag and author
    # (the others are the same templates with other names: the XML checks above read them all).
    feeds = [p for p in files(hostile_site, ".xml") if p.parent in (
        hostile_site, hostile_site / "days", hostile_site / "tags" / "xss",
        hostile_site / "authors" / "script-window-pwned-1-alert-1-script")]
    assert len(feeds) >= 6
    dialogs, errors, outside, pwned, dom_problems = [], [], [], [], []
    dom_check = """() => {
      const bad = [];
      const base = %s;
      const search = location.pathname === base + 'search/';
      for (const el of document.querySelectorAll('*')) {
        if (search && el.closest('#search')) continue;  // Pagefind's own UI: it shows results as text
        for (const a of el.attributes) {
          const n = a.name.toLowerCase();
          if (n.startsWith('on')) bad.push(el.localName + ' ' + n);
          if (/href$|^(src|action|formaction|data|srcdoc)$/.test(n)) {
            const v = a.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
            if (/^(javascript|data|vbscript):/.test(v)) bad.push(el.localName + ' ' + n + '=' + a.value);
          }
        }
      }
      for (const s of document.scripts) {
        if (s.type === 'application/ld+json' && !s.src) continue;
        if (s.getAttribute('src') === base + 'static/site.js') continue;
        if (search && (!s.src || s.getAttribute('src').startsWith(base + 'pagefind/'))) continue;
        bad.push('script ' + (s.getAttribute('src') || s.textContent.slice(0, 60)));
      }
      for (const tag of ['iframe', 'object', 'embed', 'svg', 'style', 'img', 'base', 'template', 'foreignObject'])
        if (document.getElementsByTagName(tag).length && !(search && tag === 'style')) bad.push('<' + tag + '>');
      return bad;
    }""" % json.dumps(BASE_PATH)
    with sync_playwright() as pw, serve_directory(hostile_site, prefix=BASE_PATH) as base:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context()
            origin = base.split(BASE_PATH)[0]
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(origin)
                          else (outside.append(route.request.url), route.abort()))
            page = context.new_page()
            page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.type} {d.message}"), d.dismiss()))
            page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
            for path in pages + feeds:
                rel = path.relative_to(hostile_site).as_posix()
                url = base + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
                page.goto(url, wait_until="load")
                page.wait_for_timeout(20)  # let deferred scripts and autofocus/toggle events fire
                if page.evaluate("() => typeof window.__pwned !== 'undefined'"):
                    pwned.append(url)
                if path.suffix == ".html":
                    dom_problems += [f"{rel}: {p}" for p in page.evaluate(dom_check)]
            page.goto(base + "papers/script-everywhere/", wait_until="load")
            page.mouse.move(5, 5)
            for selector in ("h1", ".abstract", ".note", ".authors a"):
                page.hover(selector)  # onmouseover payloads, had any survived
            page.keyboard.press("Tab")
            assert page.evaluate("() => typeof window.__pwned") == "undefined"
        finally:
            browser.close()
    assert dialogs == [], "\n".join(dialogs)
    assert pwned == [], pwned
    assert dom_problems == [], "\n".join(dom_problems)
    assert errors == [], "\n".join(errors)
    assert outside == [], outside


def test_search_results_show_payloads_as_text(hostile_site):
    """The search page renders excerpts of the indexed pages: they stay text."""
    from playwright.sync_api import sync_playwright

    from tests.support.tools import launch_chromium, serve_directory

    if not (hostile_site / "search" / "index.html").is_file():
        pytest.skip("this build has no search page")
    dialogs = []
    with sync_playwright() as pw, serve_directory(hostile_site, prefix=BASE_PATH) as base:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for query in ("onerror", "svg", "javascript"):
                page.goto(f"{base}search/?q={query}", wait_until="load")
                page.wait_for_selector(".pagefind-ui__message", timeout=10_000)
                page.wait_for_timeout(300)  # results fill in after the message
                assert page.evaluate("() => typeof window.__pwned") == "undefined", query
                count = page.evaluate("""() => document.querySelectorAll(
                    '#search script, #search img, #search svg, #search iframe, #search [onerror], #search [onload]'
                    ).length""")
                assert count == 0, query
            page.goto(f"{base}search/?q=script", wait_until="load")
            page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
            titles = page.locator(".pagefind-ui__result-link").all_text_contents()
            assert entry("script-everywhere")["title"] in titles
        finally:
            browser.close()
    assert dialogs == []
