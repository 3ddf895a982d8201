"""The quick entry model and the directory walk give what the plain versions give.

`read_entry` validates with `_PlainEntry` first: PaperEntry's rules with pydantic-core patterns
in place of the Python validators `Clean` and `http_url`, for the common case. It may only
accept what PaperEntry accepts, with the same values (PaperEntry judges and explains the
rest). `find_entry_files` lists folders with `os.scandir` instead of a system call per file.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from generator import config, entries
from generator.content import load_valid_content
from generator.entries import LINK_KINDS, Links, PaperEntry, entry_file_names, find_entry_files
from generator.errors import Problem
from generator.models import Paper
from generator.views import TextPieces
from generator.slugs import BIDI_CONTROLS
from generator.sources import shown_path
from tests.conftest import paper, strings_in, write_site

SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

VALID = {
    "title": "A Valid Paper about $x^2$", "authors": ["Ada Lovelace", "José Núñez"], "author_count": 2,
    "organization": "Analytical Engines", "published": "2025-11-30", "added": "2025-12-09",
    "abstract": "We show that $x^2$.\n\nA second paragraph.\n", "arxiv": "2409.17887",
    "links": {"pdf": "https://arxiv.org/pdf/2409.17887", "code": "https://github.com/example/x"},
    "tags": ["quantization", "math-reasoning"], "upvotes": 12, "submitted_by": "ada", "note": "A note.",
}


# --- the quick entry model ------------------------------------------------------------------------

def test_plain_text_pattern_is_what_clean_leaves_alone():
    """_PLAIN_TEXT accepts exactly the characters the `Clean` validators neither remove nor refuse."""
    allowed = re.compile(entries._PLAIN_TEXT.pattern[1:-1].replace("]*", "]"))
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue  # pydantic refuses lone surrogates before any pattern
        left_alone = not config._FORBIDDEN_CHARS.match(char) and not BIDI_CONTROLS.match(char)
        assert bool(allowed.fullmatch(char)) == left_alone, hex(code)


@settings(max_examples=300, **SETTINGS)
@given(url=st.from_regex(entries._PlainUrl.__metadata__[0].pattern, fullmatch=True))
def test_urls_the_quick_model_accepts_http_url_accepts_unchanged(url):
    assert config.http_url(url) == url


def test_the_quick_model_has_the_full_models_fields():
    pairs = ((entries._PlainEntry, PaperEntry), (entries._BareEntry, PaperEntry), (entries._PlainLinks, Links))
    for quick, full in pairs:
        assert list(quick.model_fields) == list(full.model_fields)
        for name, field in full.model_fields.items():
            assert quick.model_fields[name].is_required() == field.is_required(), name
            assert quick.model_fields[name].default == field.default, name
    assert set(Links.model_fields) == set(LINK_KINDS)


texts = st.text(max_size=30) | st.sampled_from(["", " x ", "\u202ex", "a\x00b", "\ufffe", "x" * 301, "https://a.b/c",
                                                "HTTP://a.b", "https://[::1]/", "https://a b", "https://é.org",
                                                "javascript:x", "2409.17887", "2025-13-01", "quantization"])


@settings(max_examples=1000, **SETTINGS)
@given(edits=st.dictionaries(st.sampled_from(list(VALID) + ["pdf", "code", "other"]),
                             texts | st.integers(-2, 400) | st.none() | st.lists(texts, max_size=3)
                             | st.dictionaries(st.sampled_from(LINK_KINDS + ("x",)), texts, max_size=3),
                             max_size=4))
def test_what_the_quick_model_accepts_the_full_model_accepts_alike(edits):
    data = {**VALID, **edits}
    quick_models = [entries._PlainEntry]
    if all(not config._FORBIDDEN_CHARS.search(text) and not BIDI_CONTROLS.search(text) for text in strings_in(data)):
        quick_models.append(entries._BareEntry)  # only ever given data whose every string is plain
    for model in quick_models:
        try:
            quick = model.model_validate(data)
        except ValidationError:
            continue  # refused: the full model decides, and reports
        assert quick.model_dump() == PaperEntry.model_validate(data).model_dump()


# --- finding the entry files ----------------------------------------------------------------------

def walk_the_slow_way(content: Path) -> tuple[list[Path], list[Problem]]:
    """find_entry_files as first written: os.walk and a system call per file."""
    content_root = content.resolve()
    found, problems = [], []
    for folder, dirs, files in os.walk(content):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        relative = here.relative_to(content).parts
        for name in sorted(files):
            path = here / name
            if name.startswith("."):
                continue
            link = entries._bad_link(path, content_root)
            if link:
                problems.append(Problem(shown_path(path), message=link[0], hint=link[1]))
                continue
            if not name.endswith((".yaml", ".yml")):
                continue
            in_year = len(relative) == 2 and relative[0] == "papers" and re.fullmatch(r"\d{4}", relative[1])
            if in_year and name.endswith(".yaml") and not path.is_file():
                problems.append(Problem(shown_path(path), message="not a regular file (a pipe, a device "
                                        "or a link to nothing)", hint="entries are plain files"))
            elif in_year and name.endswith(".yaml"):
                found.append(path)
            elif not relative and name in entries.ALLOWED_TOP:
                continue
            elif name.endswith(".yml") and in_year:
                problems.append(Problem(shown_path(path), message="paper entries end in '.yaml', not '.yml'",
                                        hint=f"rename it to {path.stem}.yaml"))
            else:
                problems.append(Problem(shown_path(path), message="YAML file outside papers/<YYYY>/",
                                        hint="paper entries live in content/papers/<year added>/<slug>.yaml"))
        for name in dirs:
            link = entries._bad_link(here / name, content_root)
            if link:
                problems.append(Problem(shown_path(here / name), message=link[0], hint=link[1]))
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
    return found, problems


def test_finding_entry_files_is_the_slow_walk(tmp_path, monkeypatch):
    content = tmp_path / "content"
    year = content / "papers" / "2025"
    year.mkdir(parents=True)
    for name in ("b.yaml", "a.yaml", "c.yml", ".hidden.yaml", "notes.txt", "x.YAML"):
        (year / name).write_text("title: x\n")
    folders = ("papers/2024", "papers/2025/deeper", "papers/٢٠٢٥", "papers/20250", ".git", "pages", "papers/.cache")
    for folder in folders:
        (content / folder).mkdir(parents=True)
        (content / folder / "e.yaml").write_text("title: x\n")
    (content / "site.yaml").write_text("title: x\n")
    (content / "tags.yaml").write_text("a: b\n")
    (content / "stray.yaml").write_text("a: b\n")
    (content / "papers" / "loose.yml").write_text("a: b\n")
    os.mkfifo(year / "pipe.yaml")
    (year / "folder.yaml").mkdir()
    outside = tmp_path / "outside.yaml"
    outside.write_text("title: x\n")
    links = {"in.yaml": year / "a.yaml", "out.yaml": outside, "dangling.yaml": year / "missing.yaml",
             "loop.yaml": year / "loop.yaml", "to-folder.yaml": content / "pages", "link.txt": outside}
    for name, target in links.items():
        os.symlink(target, year / name)
    os.symlink(content / "papers" / "2024", content / "papers" / "2023")
    os.symlink(tmp_path, content / "papers" / "2022")
    for where in (content, Path(os.path.relpath(content))):
        assert find_entry_files(where) == walk_the_slow_way(where)
    # As strings (what a build reads them by, and keys its cache by): each as str(Path) writes it.
    for where in (str(content) + "/", "./" + os.path.relpath(content), "."):
        with monkeypatch.context() as patch:
            if where == ".":
                patch.chdir(content)
            names, _ = entry_file_names(Path(where))
            assert names == [str(path) for path in walk_the_slow_way(Path(where))[0]]
            assert where != "." or "papers/2025/a.yaml" in names  # not ./papers/2025/a.yaml


@settings(max_examples=100, deadline=None, database=None)
@given(paper=st.builds(
    Paper, slug=st.text(max_size=10), source=st.text(max_size=10), title=st.text(max_size=20),
    added=st.dates(), abstract=st.text(max_size=40), authors=st.lists(st.text(max_size=8)).map(tuple),
    author_count=st.none() | st.integers(0, 500), organization=st.none() | st.text(max_size=8),
    published=st.none() | st.dates(), arxiv=st.none() | st.text(max_size=10),
    links=st.lists(st.tuples(st.sampled_from(LINK_KINDS), st.text(max_size=10))).map(tuple),
    tags=st.lists(st.text(max_size=8)).map(tuple), upvotes=st.integers(0, 10**6),
    submitted_by=st.none() | st.text(max_size=8), note=st.none() | st.text(max_size=20),
    digest=st.binary(max_size=16)))
def test_a_paper_survives_pickling_whole(paper):
    """Paper pickles as the call that makes it (models.Paper.__reduce__): every field comes
    back, `digest` too (which == does not compare)."""
    again = pickle.loads(pickle.dumps(paper, protocol=pickle.HIGHEST_PROTOCOL))
    assert [getattr(again, f.name) for f in dataclasses.fields(Paper)] == \
        [getattr(paper, f.name) for f in dataclasses.fields(Paper)]
    assert type(again) is Paper


@settings(max_examples=50, deadline=None, database=None)
@given(pieces=st.builds(TextPieces, *[st.text(max_size=12)] * 6, st.none() | st.text(max_size=12),
                        st.text(max_size=12)))
def test_text_pieces_survive_pickling_whole(pieces):
    again = pickle.loads(pickle.dumps(pieces, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == pieces and type(again) is TextPieces
    # as a worker sends them back: their fields, in order
    assert TextPieces(*pickle.loads(pickle.dumps(pieces.fields()))) == pieces


@pytest.mark.parametrize("abstract", ["Words as written,  spaced\n over lines.", "Plain, but with a\u00a0no-break space.",
                                      "With $x^2 < y$ and \\& an escape.", "*Emphasis* and [a link](https://x.org/).",
                                      "Tags <b>not</b> kept &amp; entities."])
def test_a_views_plain_abstract_is_the_plain_text_of_its_markdown(tmp_path, abstract):
    """A view keeps the abstract's plain text only where it is not the abstract's words as written."""
    from generator import markup
    from generator.index import build_index
    from generator.views import paper_views, text_pieces

    content = write_site(tmp_path, {"2025/one": paper(title="One", abstract=abstract)})
    site, loaded = load_valid_content(content, date(2026, 1, 15))
    view = paper_views(site, build_index(loaded.papers, loaded.tags))["one"]
    assert view.abstract_text == markup.plain_text(abstract)
    kept = text_pieces(loaded.papers[0], site.base_url).abstract_text
    assert (kept is None) == (markup.plain_text(abstract) == " ".join(abstract.split()))


@pytest.mark.parametrize("jobs", [1, 2])
def test_names_that_recur_across_entries_are_one_string(tmp_path, jobs):
    """An author, organization, tag or link kind named by many entries is held once, read in one
    process or by worker processes (each batch of them arrives with its own copies)."""
    from generator.parallel import MIN_PARALLEL

    shared = dict(authors=["Ada Lovelace"], organization="Analytical Engines Ltd", tags=["quantization"],
                  links={"code": "https://github.com/example/x"})
    count = MIN_PARALLEL + 50
    content = write_site(tmp_path, {f"2025/paper-{n:03d}": paper(title=f"Paper {n}", **shared) for n in range(count)})
    _, loaded = load_valid_content(content, date(2026, 1, 15), jobs=jobs)
    first, last = loaded.papers[0], loaded.papers[-1]
    assert len(loaded.papers) == count
    assert first.authors[0] is last.authors[0] and first.organization is last.organization
    assert first.tags[0] is last.tags[0] and first.links[0][0] is last.links[0][0]
    assert sorted(p.title for p in loaded.papers) == sorted(f"Paper {n}" for n in range(count))  # the rest as read

