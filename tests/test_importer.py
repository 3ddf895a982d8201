"""`paperfeed new`: arXiv paper → entry file, against a recorded real arXiv API answer.

No test touches the network. `arxiv_api` serves tests/data/arxiv/<id>.xml — a real
answer of export.arxiv.org (its source is in the file's comment) — from 127.0.0.1,
and the CLI is pointed at it with --api-url (or PAPERFEED_ARXIV_API). The expected
entry text is derived from the recorded answer, parsed here with feedparser (not
with the importer's own ElementTree code), never copied from a run.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.entries import read_entry
from generator.importer import (
    ARXIV_API, Fetched, ImportRefused, create_entry, parse_answer, parse_arxiv_id, render_entry,
)
from generator.slugs import slug_for
from generator.sources import load_yaml
from tests.conftest import paper, run_cli

DATA = Path(__file__).parent / "data" / "arxiv"
ARXIV_ID = "2101.05225"
RECORDED = DATA / f"{ARXIV_ID}.xml"
TODAY = date(2026, 3, 14)

# What the API answers for an id it does not know: an empty feed (a synthetic stand-in).
EMPTY_FEED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
              b'  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0'
              b'</opensearch:totalResults>\n</feed>\n')


# --- a local stand-in for export.arxiv.org -------------------------------------------

@dataclass
class Api:
    url: str
    queries: list[dict] = field(default_factory=list)
    answers: dict[str, bytes] = field(default_factory=dict)  # id -> answer body
    status: int = 200
    delay: float = 0.0


@pytest.fixture
def arxiv_api():
    """Serves recorded answers at http://127.0.0.1:<port>/api/query?id_list=<id>."""
    api = Api(url="")
    for path in DATA.glob("*.xml"):
        api.answers[path.stem] = path.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            parts = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(parts.query)
            api.queries.append({"path": parts.path, **{k: v[0] for k, v in query.items()}})
            time.sleep(api.delay)
            body = api.answers.get(query.get("id_list", [""])[0], EMPTY_FEED)
            if parts.path != "/api/query":
                self.send_error(404)
                return
            if api.status != 200:
                self.send_error(api.status)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}/api/query"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/query"  # nothing listens there any more


# --- what the file must say, derived from the recorded answer --------------------------

def recorded_paper():
    entry = feedparser.parse(RECORDED.read_bytes()).entries[0]
    return {
        "title": " ".join(entry.title.split()),
        "authors": [author.name for author in entry.authors],
        "published": entry.published[:10],
        "abstract": entry.summary.strip(),
    }


def expected_text(added: date, tags=(), submitted_by=None, note=None) -> str:
    rec = recorded_paper()
    # The derivation below writes values as they are: true for this recording.
    assert '"' not in rec["title"] + "".join(rec["authors"]) and "\n\n" not in rec["abstract"]
    lines = [
        "# yaml-language-server: $schema=../../paper.schema.json",
        f'title: "{rec["title"]}"',
        "authors: [" + ", ".join(f'"{name}"' for name in rec["authors"]) + "]",
        f"published: {rec['published']}",
        f"added: {added.isoformat()}",
        "abstract: |",
        *("  " + line for line in rec["abstract"].split("\n")),
        f'arxiv: "{ARXIV_ID}"',
        "links:",
        f"  pdf: https://arxiv.org/pdf/{ARXIV_ID}",
    ]
    if tags:
        lines.append(f"tags: [{', '.join(tags)}]")
    if submitted_by:
        lines.append(f'submitted_by: "{submitted_by}"')
    if note:
        lines += ["note: |", *("  " + line for line in note.split("\n"))]
    return "\n".join(lines) + "\n"


def written_path(result) -> Path:
    lines = [line for line in result.stdout.splitlines() if line.startswith("wrote ")]
    assert len(lines) == 1, result.stdout + result.stderr
    return Path(lines[0].removeprefix("wrote "))


# --- the recorded answer, end to end ---------------------------------------------------

def test_new_writes_exactly_the_expected_file(make_site, arxiv_api):
    content = make_site()
    before = date.today()
    result = run_cli("new", "https://arxiv.org/abs/2101.05225v1", "--tag", "quantization",
                     "--submitted-by", "rohan", "--note", "Cleaning OCR text, measured.\nWith an R package.",
                     "--content", str(content), "--api-url", arxiv_api.url)
    after = date.today()
    assert result.returncode == 0, result.stderr
    path = written_path(result)
    slug = slug_for(recorded_paper()["title"])
    assert path == content / "papers" / str(after.year) / f"{slug}.yaml" or \
        path == content / "papers" / str(before.year) / f"{slug}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text in {expected_text(day, tags=["quantization"], submitted_by="rohan",
                                  note="Cleaning OCR text, measured.\nWith an R package.")
                    for day in (before, after)}
    assert f"next: check it with: paperfeed validate {path}" in result.stdout
    assert arxiv_api.queries == [{"path": "/api/query", "id_list": ARXIV_ID}]  # version stripped
    check = run_cli("validate", str(path))
    assert check.returncode == 0, check.stdout + check.stderr


def test_written_entry_reads_back_as_the_recorded_metadata(make_site, arxiv_api):
    content = make_site()
    created = create_entry(ARXIV_ID, content, today=TODAY, api_url=arxiv_api.url)
    assert not created.template and created.reason is None
    rec = recorded_paper()
    result = read_entry(created.path, None, TODAY)
    assert result.problems == []
    got = result.paper
    assert (got.title, list(got.authors), got.published.isoformat(), got.added, got.arxiv) == \
        (rec["title"], rec["authors"], rec["published"], TODAY, ARXIV_ID)
    assert got.abstract == rec["abstract"] + "\n"  # arXiv's line breaks kept
    assert got.links == (("pdf", f"https://arxiv.org/pdf/{ARXIV_ID}"),)
    keys = [line.split(":")[0] for line in created.path.read_text().splitlines()
            if line[:1].isalpha()]
    assert keys == ["title", "authors", "published", "added", "abstract", "arxiv", "links"]


# --- accepted and refused forms ----------------------------------------------------------

FORMS = [
    "2101.05225", "2101.05225v2", "arxiv.org/abs/2101.05225", "arxiv.org/abs/2101.05225v3",
    "https://arxiv.org/abs/2101.05225", "http://arxiv.org/abs/2101.05225v1",
    "https://arxiv.org/pdf/2101.05225", "https://arxiv.org/pdf/2101.05225v1",
    "https://arxiv.org/pdf/2101.05225v1.pdf", "arxiv.org/pdf/2101.05225.pdf",
    "https://www.arxiv.org/abs/2101.05225", "https://export.arxiv.org/abs/2101.05225v2/",
    "https://arxiv.org/abs/2101.05225?context=cs", " arXiv:2101.05225v2 ",
]


@pytest.mark.parametrize("form", FORMS)
def test_accepted_id_forms(form):
    assert parse_arxiv_id(form) == ARXIV_ID


@pytest.mark.parametrize("form", ["2101.05225v2", "arxiv.org/abs/2101.05225",
                                  "https://arxiv.org/pdf/2101.05225v1.pdf", "https://arxiv.org/pdf/2101.05225v1"])
def test_cli_accepts_each_form(make_site, arxiv_api, form):
    content = make_site()
    result = run_cli("new", form, "--content", str(content), "--api-url", arxiv_api.url)
    assert result.returncode == 0, result.stderr
    assert arxiv_api.queries == [{"path": "/api/query", "id_list": ARXIV_ID}]
    assert f'arxiv: "{ARXIV_ID}"\n' in written_path(result).read_text(encoding="utf-8")


@pytest.mark.parametrize("form, message", [
    ("hep-th/9901001", "old-style arXiv id"),
    ("https://example.org/abs/2101.05225", "not an arXiv id or link"),
    ("arxiv.org/list/cs.CL/recent", "not an arXiv id or link"),
    ("ftp://arxiv.org/abs/2101.05225", "not an arXiv id or link"),
    ("2101.052", "not an arXiv id"),
    ("2101.05225v", "not an arXiv id"),
    ("", "not an arXiv id"),
])
def test_refused_forms(form, message):
    with pytest.raises(ImportRefused, match=message):
        parse_arxiv_id(form)


def test_cli_refuses_a_non_id_without_asking_arxiv(make_site, arxiv_api):
    content = make_site()
    result = run_cli("new", "https://example.org/abs/2101.05225", "--content", str(content),
                     "--api-url", arxiv_api.url)
    assert result.returncode == 1
    assert "Error: 'https://example.org/abs/2101.05225' is not an arXiv id or link" in result.stderr
    assert arxiv_api.queries == [] and not (content / "papers" / str(date.today().year)).exists()


# --- refusals: duplicates, unknown tags ---------------------------------------------------

@pytest.mark.parametrize("existing_id", [ARXIV_ID, ARXIV_ID + "v2"])
def test_duplicate_is_refused_naming_the_existing_file(make_site, arxiv_api, existing_id):
    content = make_site(papers={"2025/already-here": paper(arxiv=existing_id)})
    result = run_cli("new", "https://arxiv.org/abs/2101.05225v1", "--content", str(content),
                     "--api-url", arxiv_api.url)
    assert result.returncode == 1
    existing = content / "papers" / "2025" / "already-here.yaml"
    assert f"arXiv {ARXIV_ID} is already in the feed: {existing}" in result.stderr
    assert arxiv_api.queries == []  # refused before asking arXiv
    assert sorted(p.name for p in (content / "papers").rglob("*.yaml")) == ["already-here.yaml"]


def test_duplicate_found_even_in_an_entry_that_does_not_validate(make_site, arxiv_api):
    content = make_site(papers={"2025/broken": f'title: "Half done"\narxiv: "{ARXIV_ID}"\n'})
    with pytest.raises(ImportRefused, match=r"already in the feed: .*broken\.yaml"):
        create_entry(ARXIV_ID, content, today=TODAY, api_url=arxiv_api.url)


def test_unknown_tag_is_refused_up_front_with_the_known_tags(make_site, arxiv_api):
    content = make_site()
    result = run_cli("new", ARXIV_ID, "--tag", "quantization", "--tag", "text-cleaning",
                     "--content", str(content), "--api-url", arxiv_api.url)
    assert result.returncode == 1
    assert "unknown tag 'text-cleaning'; known tags: math-reasoning, quantization" in result.stderr
    assert "tags.yaml" in result.stderr
    assert arxiv_api.queries == [] and not list((content / "papers").rglob("*.yaml"))


def test_no_site_is_an_error(tmp_path, arxiv_api):
    result = run_cli("new", ARXIV_ID, "--content", str(tmp_path / "nothing"), "--api-url", arxiv_api.url)
    assert result.returncode == 1 and "no site here" in result.stderr


# --- never overwrite; unique slugs ------------------------------------------------------

def test_taken_slug_gets_a_number_and_nothing_is_overwritten(make_site, arxiv_api):
    slug = slug_for(recorded_paper()["title"])
    other = 'title: "Same Title, Other Paper"\nadded: 2025-12-09\nabstract: "x"\n'
    content = make_site(papers={f"2025/{slug}": other})
    (content / "papers" / str(TODAY.year)).mkdir()
    created = create_entry(ARXIV_ID, content, today=TODAY, api_url=arxiv_api.url)
    assert created.path == content / "papers" / str(TODAY.year) / f"{slug}-2.yaml"
    assert (content / "papers" / "2025" / f"{slug}.yaml").read_text() == other


def test_file_in_the_way_is_never_replaced(make_site, arxiv_api):
    content = make_site()
    slug = slug_for(recorded_paper()["title"])
    folder = content / "papers" / str(TODAY.year)
    folder.mkdir(parents=True)
    (folder / f"{slug}.yml").write_text("not an entry\n")  # not an entry file, but a name in the way
    (folder / f"{slug}.yaml").mkdir()  # even a folder with the name is left alone
    created = create_entry(ARXIV_ID, content, today=TODAY, api_url=arxiv_api.url)
    assert created.path.name == f"{slug}-2.yaml"


# --- the API cannot be reached, or says no ---------------------------------------------

def assert_template(path: Path, added: date, tags: list[str]):
    text = path.read_text(encoding="utf-8")
    assert path.name == f"arxiv-{ARXIV_ID.replace('.', '-')}.yaml"
    assert text.startswith("# yaml-language-server: $schema=../../paper.schema.json\n")
    for line in ['title: "TODO: the paper\'s title"', f"added: {added.isoformat()}", "abstract: |",
                 f'arxiv: "{ARXIV_ID}"', f"  pdf: https://arxiv.org/pdf/{ARXIV_ID}"]:
        assert line + "\n" in text
    assert (f"tags: [{', '.join(tags)}]\n" in text) if tags else ("tags:" not in text)
    for key in ("authors", "published"):
        assert f'\n{key}: "TODO: ' in text


def assert_validate_rejects_todo(path: Path):
    check = run_cli("validate", str(path))
    assert check.returncode == 1
    for key, line in (("title", 4), ("authors", 5), ("published", 6), ("abstract", 8)):
        assert f"{path}:{line}:" in check.stdout
        assert f"'{key}' still holds a TODO marker — replace it with the paper's real value" in check.stdout


def test_unreachable_api_falls_back_to_a_template_that_validate_rejects(make_site):
    content = make_site()
    url = closed_port_url()
    result = run_cli("new", "arxiv.org/abs/2101.05225v2", "--tag", "math-reasoning",
                     "--content", str(content), "--api-url", url)
    assert result.returncode == 0, result.stderr
    assert f"could not reach the arXiv API at {url}?id_list={ARXIV_ID} (connection refused)" in result.stderr
    assert "wrote a template with TODO markers instead" in result.stderr
    path = written_path(result)
    assert "next: replace each TODO" in result.stdout and f"paperfeed validate {path}" in result.stdout
    assert_template(path, date.today(), ["math-reasoning"])
    assert_validate_rejects_todo(path)


def test_offline_writes_the_template_without_asking(make_site, arxiv_api):
    content = make_site()
    result = run_cli("new", ARXIV_ID, "--offline", "--content", str(content), "--api-url", arxiv_api.url)
    assert result.returncode == 0, result.stderr
    assert "offline: the arXiv API was not asked" in result.stderr
    assert arxiv_api.queries == []
    path = written_path(result)
    assert_template(path, date.today(), [])
    assert_validate_rejects_todo(path)


def test_filled_in_template_validates(make_site):
    content = make_site()
    created = create_entry(ARXIV_ID, content, today=date.today(), offline=True)
    rec = recorded_paper()
    text = created.path.read_text(encoding="utf-8")
    filled = (text.replace('"TODO: the paper\'s title"', f'"{rec["title"]}"')
              .replace(text.split("\n")[4].split(": ", 1)[1], '["Ke-Li Chiu"]')
              .replace(text.split("\n")[5].split(": ", 1)[1], rec["published"])
              .replace(text.split("\n")[8], "  " + rec["abstract"].split("\n")[0]))
    created.path.write_text(filled, encoding="utf-8")
    check = run_cli("validate", str(created.path))
    assert check.returncode == 0, check.stdout


def test_timeout_falls_back_to_the_template(make_site, arxiv_api):
    arxiv_api.delay = 2.0
    created = create_entry(ARXIV_ID, make_site(), today=TODAY, api_url=arxiv_api.url, timeout=0.3)
    assert created.template and "timed out" in created.reason


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_api_falls_back_to_the_template(make_site, arxiv_api, status):
    arxiv_api.status = status
    created = create_entry(ARXIV_ID, make_site(), today=TODAY, api_url=arxiv_api.url)
    assert created.template and f"HTTP {status}" in created.reason


def test_api_refusal_is_an_error(make_site, arxiv_api):
    arxiv_api.status = 400
    with pytest.raises(ImportRefused, match="refused the query"):
        create_entry(ARXIV_ID, make_site(), today=TODAY, api_url=arxiv_api.url)


def test_unknown_paper_is_an_error_and_writes_nothing(make_site, arxiv_api):
    content = make_site()
    result = run_cli("new", "2101.99999", "--content", str(content), "--api-url", arxiv_api.url)
    assert result.returncode == 1
    assert "arXiv has no paper 2101.99999" in result.stderr
    assert not list((content / "papers").rglob("*.yaml"))


def test_api_error_entry_is_reported():
    # The shape of the API's error answer (an entry whose id is under /api/errors); synthetic.
    answer = (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
              b"<id>http://arxiv.org/api/errors#incorrect_id_format_for_2101.05225</id><title>Error</title>"
              b"<summary>incorrect id format for 2101.05225</summary></entry></feed>")
    with pytest.raises(ImportRefused, match="refused the query: incorrect id format for 2101.05225"):
        parse_answer(answer, ARXIV_ID)


@pytest.mark.parametrize("answer, message", [
    (b"<html><body>Service Unavailable</body></html>", "not an Atom feed"),
    (b"<feed", "not valid XML"),
])
def test_answers_that_are_not_atom_are_errors(answer, message):
    with pytest.raises(ImportRefused, match=message):
        parse_answer(answer, ARXIV_ID)


def test_api_url_from_the_environment(make_site, arxiv_api):
    content = make_site()
    result = run_cli("new", ARXIV_ID, "--content", str(content), env={"PAPERFEED_ARXIV_API": arxiv_api.url})
    assert result.returncode == 0, result.stderr
    assert arxiv_api.queries == [{"path": "/api/query", "id_list": ARXIV_ID}]


def test_default_api_url_is_the_importers():
    result = run_cli("new", "--help")
    assert ARXIV_API == "https://export.arxiv.org/api/query"
    assert ARXIV_API in result.stdout and "PAPERFEED_ARXIV_API" in result.stdout


# --- faithful text: LaTeX, line breaks, quotes ------------------------------------------

LATEX_SUMMARY = r"""  We bound the error by $\mathcal{O}(n^{-1/2})$ when $a &lt; b$ \&amp; show
that \emph{consistency} holds for 95\% of ``documents'' -- see Eq.~(1):
$$ s = \frac{|E \cap G|}{|G|} \quad \text{(score)} $$

A second paragraph: "quoted", #hash, key: value, - dash, [brackets] {braces}
  and an indented line, with \'e and \"o and a trailing backslash \\
"""


def test_latex_and_line_breaks_are_kept_exactly(make_site, arxiv_api):
    # The recorded answer with its summary replaced by arXiv-style LaTeX (derived, not recorded).
    recorded = RECORDED.read_text(encoding="utf-8")
    start, end = recorded.index("<summary>") + len("<summary>"), recorded.index("</summary>")
    arxiv_api.answers[ARXIV_ID] = (recorded[:start] + LATEX_SUMMARY + recorded[end:]).encode("utf-8")
    content = make_site()
    created = create_entry(ARXIV_ID, content, today=TODAY, api_url=arxiv_api.url)
    expected = LATEX_SUMMARY.replace("&lt;", "<").replace("&amp;", "&").strip()
    result = read_entry(created.path, None, TODAY)
    assert result.problems == []
    assert result.paper.abstract == expected + "\n"
    text = created.path.read_text(encoding="utf-8")
    block = "abstract: |\n" + "\n".join("  " + line if line else "" for line in expected.split("\n")) + "\n"
    assert block in text  # a literal block, readable as arXiv wrote it


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TEXT, author=TEXT, abstract=TEXT, note=TEXT, handle=TEXT)
def test_any_text_reads_back_unchanged(tmp_path, title, author, abstract, note, handle):
    """Whatever arXiv (or a contributor) sends, the file reads back as the same values."""
    abstract = abstract.strip() or "x"
    note = note.strip() or "y"
    fetched = Fetched(ARXIV_ID, title, (author,), date(2021, 1, 13), abstract)
    text = render_entry(fetched, today=TODAY, tags=("quantization",), note=note, submitted_by=handle)
    path = tmp_path / "entry.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_yaml(path)
    assert loaded.problem is None, text
    assert loaded.data["title"] == title
    assert loaded.data["authors"] == [author]
    assert loaded.data["abstract"] == abstract + "\n"
    assert loaded.data["note"] == note + "\n"
    assert loaded.data["submitted_by"] == handle
    assert loaded.data["tags"] == ["quantization"]
