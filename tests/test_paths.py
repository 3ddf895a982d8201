"""Paths are safe (issue 8, point 2).

Nothing an entry says — its file name, tags, author or organization names —
can make the build write outside the output folder, and two different things
never share one output path, not even on a case-insensitive file system
(macOS, Windows). Symlinks in content/ that lead outside it, or nowhere, are
refused with a clear message.

Policy on look-alike names: names that are the same text in another Unicode
normalisation form (José as NFC "é" or NFD "e" + U+0301) are the same name —
one author page that lists both papers; names that differ in any other way
("Ann Lee" / "ann lee", "Jose" / "José") get pages of their own.
"""

from __future__ import annotations

import hashlib
import os
import sys
import types
import unicodedata
from datetime import date
from pathlib import Path

import lxml.html
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator.build import build_site
from generator.content import validate_paths
from generator.errors import BuildFailed
from generator.index import assign_slugs
from generator.writer import OutputCollision, safe_relative
from tests.conftest import paper, run_cli, write_site

TODAY = date(2025, 12, 10)

HOSTILE_NAMES = [
    "../../../../etc/passwd", "/etc/passwd", "..", ".", "./.", "a/b", "a\\b", "C:\\Windows\\system32", "~root",
    "%2e%2e%2f%2e%2e%2f", "..%c0%af..", "x" * 300, "名前/../..", "-", "!!!", "???", "Author", "CON", "nul",
    "index.html", "atom.xml", "page", ".git", "a\u200bb", "\u0301", "🙂",
]


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink())


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def assert_contained(out: Path) -> None:
    """Every file of the site is a regular file inside it, at a path that collides with
    no other one when case and Unicode normalisation are ignored."""
    real = out.resolve()
    folded: dict[str, str] = {}
    for path in all_files(out):
        assert not path.is_symlink(), path
        assert path.resolve().is_relative_to(real), path
        rel = path.relative_to(out).as_posix()
        assert all(len(part.encode()) <= 255 for part in rel.split("/")), rel
        key = unicodedata.normalize("NFC", rel).casefold()
        assert key not in folded, f"{rel} and {folded[key]} collide on a case-insensitive file system"
        folded[key] = rel


def author_pages(out: Path) -> dict[str, str]:
    """author slug -> the name its page is about."""
    found = {}
    for page in (out / "authors").glob("*/index.html"):
        heading = lxml.html.fromstring(page.read_bytes()).xpath("string(//h1)")
        assert heading.startswith("Papers by "), heading
        found[page.parent.name] = heading.removeprefix("Papers by ")
    return found


# --- names from entries --------------------------------------------------------------


def test_hostile_names_write_only_inside_the_output_folder(tmp_path):
    root = tmp_path / "site"
    papers = {f"2025/p{i:02d}": paper(title=f"Paper {i}", authors=[name], organization=name)
              for i, name in enumerate(HOSTILE_NAMES)}
    content = write_site(root, papers)
    out = root / "deep" / "out"
    before = tree(tmp_path)
    build_site(content, out, TODAY, jobs=1)
    created = tree(tmp_path) - before
    # the site, and the build cache beside the content folder: nothing else, nowhere else
    assert {c.split("/")[1] for c in created if c.startswith("site/")} <= {"deep", ".paperfeed-cache"}
    assert all(c.startswith("site/") for c in created), sorted(c for c in created if not c.startswith("site/"))
    assert_contained(out)
    pages = author_pages(out)
    names = {" ".join(n.split()) for n in HOSTILE_NAMES}
    assert sorted(pages.values()) == sorted(names), "every name has exactly one page of its own"
    for slug in pages:
        assert slug.isascii() and slug == slug.lower() and "/" not in slug and ".." not in slug
        assert 1 <= len(slug) <= 80, slug
    orgs = {p.parent.name for p in (out / "organizations").glob("*/index.html")}
    assert len(orgs) == len(names)


def test_very_long_names_give_short_readable_slugs(tmp_path):
    long_name = "Maximilian " * 27  # 297 characters, under the 300 limit
    content = write_site(tmp_path, {"2025/long": paper(authors=[long_name.strip(), "Ωμέγα " * 50])})
    build_site(content, tmp_path / "out", TODAY, jobs=1)
    slugs = sorted(author_pages(tmp_path / "out"))
    assert all(len(s) <= 60 for s in slugs), slugs
    assert slugs[0].startswith("maximilian-maximilian")
    assert_contained(tmp_path / "out")


@pytest.mark.parametrize("name, problem", [
    ("Evil.yaml", "bad file name"),
    ("a b.yaml", "bad file name"),
    ("ünï.yaml", "bad file name"),
    ("-dash.yaml", "bad file name"),
    ("x" * 81 + ".yaml", "bad file name"),
    ("a\\b.yaml", "bad file name"),
])
def test_entry_file_names_that_are_not_slugs_are_refused(tmp_path, name, problem):
    content = write_site(tmp_path)
    (content / "papers" / "2025").mkdir(parents=True)
    (content / "papers" / "2025" / name).write_text(
        "title: T\nadded: 2025-12-09\nabstract: A.\n", encoding="utf-8")
    checked = validate_paths([content], TODAY)
    assert [p.message for p in checked.problems if problem in p.message], checked.problems
    with pytest.raises(BuildFailed):
        build_site(content, tmp_path / "out", TODAY, jobs=1)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("tags, where", [
    (["../../etc"], "tags.0"), (["/abs"], "tags.0"), (["a/b"], "tags.0"), (["Quantization"], "tags.0"),
    (["x" * 81], "tags.0"), (["quantization", "a\x00b"], "tags.1"),
])
def test_tags_that_could_name_a_path_are_refused(tmp_path, tags, where):
    vocabulary = {"quantization": "Q", "x" * 81: "too long"}
    content = write_site(tmp_path, {"2025/p": paper(tags=tags)}, tags=vocabulary)
    checked = validate_paths([content], TODAY)
    assert checked.problems, tags
    assert any(p.field == where or p.field is None or where in p.message or "tag" in p.message
               for p in checked.problems), checked.problems


def test_bad_tag_names_in_the_vocabulary_are_refused(tmp_path):
    content = write_site(tmp_path, tags={"../evil": "x", "/abs": "y", "ok": "z"})
    messages = [p.message for p in validate_paths([content], TODAY).problems]
    assert "bad tag name '../evil'" in messages and "bad tag name '/abs'" in messages


# --- look-alike names -----------------------------------------------------------------


def test_names_that_differ_only_in_case_get_pages_of_their_own(tmp_path):
    content = write_site(tmp_path, {
        "2025/one": paper(title="One", authors=["Ann Lee"], organization="Deep Lab"),
        "2025/two": paper(title="Two", authors=["ann lee"], organization="deep lab"),
        "2025/three": paper(title="Three", authors=["ANN LEE"], organization="DEEP LAB"),
    })
    out = tmp_path / "out"
    build_site(content, out, TODAY, jobs=1)
    pages = author_pages(out)
    assert sorted(pages.values()) == ["ANN LEE", "Ann Lee", "ann lee"]
    assert "ann-lee" in pages and len(set(pages)) == 3
    assert len(list((out / "organizations").glob("*/index.html"))) == 3
    for slug, name in pages.items():  # each page lists its own paper only
        doc = lxml.html.fromstring((out / "authors" / slug / "index.html").read_bytes())
        titles = doc.xpath("//h2[@class='card-title']/a/text()")
        assert titles == [{"Ann Lee": "One", "ann lee": "Two", "ANN LEE": "Three"}[name]]
    assert_contained(out)


def test_names_in_two_normalisation_forms_are_one_author(tmp_path):
    nfc, nfd = unicodedata.normalize("NFC", "José Núñez"), unicodedata.normalize("NFD", "José Núñez")
    assert nfc != nfd
    content = write_site(tmp_path, {
        "2025/composed": paper(title="Composed", authors=[nfc]),
        "2025/decomposed": paper(title="Decomposed", authors=[nfd]),
        "2025/plain": paper(title="Plain", authors=["Jose Nunez"]),
    })
    out = tmp_path / "out"
    build_site(content, out, TODAY, jobs=1)
    pages = author_pages(out)
    assert pages["jose-nunez"] in ("Jose Nunez", nfc)
    assert sorted(pages.values()) == sorted(["Jose Nunez", nfc])  # two people, two pages, NFC names
    accented = next(s for s, n in pages.items() if n == nfc)
    doc = lxml.html.fromstring((out / "authors" / accented / "index.html").read_bytes())
    assert sorted(doc.xpath("//h2[@class='card-title']/a/text()")) == ["Composed", "Decomposed"]
    for slug in ("composed", "decomposed"):  # both papers link to that one page
        paper_page = lxml.html.fromstring((out / "papers" / slug / "index.html").read_bytes())
        assert paper_page.xpath("//p[@class='authors']/a/@href") == [f"/authors/{accented}/"]
    assert_contained(out)


def test_a_name_cannot_take_the_slug_another_name_was_given():
    """"José" slugs like "Jose" and gets "jose-<hash>"; a name written to equal that
    slug ("Jose 8f72d2") must not steal it, or two pages would land on one path."""
    crafted = "Jose " + hashlib.sha1("José".encode()).hexdigest()[:6]
    slugs = assign_slugs(["Jose", "José", crafted], "author")
    assert len(set(slugs.values())) == 3, slugs
    assert slugs["Jose"] == "jose"
    fallback = assign_slugs(["!!!", "???", "Author", "author-" + hashlib.sha1(b"???").hexdigest()[:6]], "author")
    assert len(set(fallback.values())) == 4, fallback


def test_slugs_do_not_depend_on_which_transliterator_is_installed(monkeypatch):
    """python-slugify left to itself uses `unidecode` when it is installed, which spells
    some names otherwise: the same content would get other addresses on another machine."""
    names = ["Kwame Şahin", "北京大学", "Ångström Ørsted", "Zoë Ποταμός"]
    before = [assign_slugs([name], "author")[name] for name in names]
    assert before == ["kwame-sahin", "bei-jing-da-xue", "angstrom-orsted", "zoe-potamos"]
    other = types.ModuleType("unidecode")
    other.unidecode = lambda text: "other"  # what a different transliterator might answer
    monkeypatch.setitem(sys.modules, "unidecode", other)
    assert [assign_slugs([name], "author")[name] for name in names] == before


def test_a_crafted_colliding_name_still_builds_with_distinct_pages(tmp_path):
    crafted = "Jose " + hashlib.sha1("José".encode()).hexdigest()[:6]
    content = write_site(tmp_path, {
        "2025/a": paper(title="A", authors=["Jose", "José", crafted], organization="José"),
        "2025/b": paper(title="B", authors=["author"], organization=crafted),
        "2025/c": paper(title="C", authors=["!!!", "???"], organization="Jose"),
    })
    out = tmp_path / "out"
    build_site(content, out, TODAY, jobs=1)
    pages = author_pages(out)
    assert sorted(pages.values()) == sorted(["Jose", "José", crafted, "author", "!!!", "???"])
    assert_contained(out)


# --- the writer's last line of defence ---------------------------------------------


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../b", "a/..", "a\x00b", "a\\b",
                                  "", "x" * 256, "a/" + "y" * 256 + "/index.html"])
def test_the_writer_refuses_unsafe_output_paths(path):
    with pytest.raises(OutputCollision):
        safe_relative(path)


# --- symlinks --------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the content folder, with a valid entry and a secret in it."""
    folder = tmp_path / "outside"
    (folder / "2025").mkdir(parents=True)
    (folder / "2025" / "stolen.yaml").write_text("title: Stolen\nadded: 2025-12-09\nabstract: S.\n")
    (folder / "secret.txt").write_text("password: hunter2\n")
    return folder


LINKS = {
    "file to a file outside": ("papers/2025/stolen.yaml", "outside/2025/stolen.yaml",
                               "symlink points outside the content folder"),
    "file to /etc/passwd": ("papers/2025/passwd.yaml", "/etc/passwd", "symlink points outside the content folder"),
    "year folder outside": ("papers/2024", "outside/2025", "symlink points outside the content folder"),
    "papers folder outside": ("papers/more", "outside", "symlink points outside the content folder"),
    "tags.yaml outside": ("tags.yaml", "outside/secret.txt", "symlink points outside the content folder"),
    "a loop": ("papers/2025/loop.yaml", "papers/2025/loop.yaml", "symlink loop"),
    "a folder loop": ("papers/2023", "papers/2023", "symlink loop"),
}


@pytest.mark.parametrize("name", LINKS)
def test_symlinks_out_of_content_are_refused_by_validate_and_build(tmp_path, outside, name):
    link, target, message = LINKS[name]
    content = write_site(tmp_path, {"2025/good": paper()})
    link_path = content / link
    if link_path.exists() or link_path.is_symlink():
        link_path.unlink()
    link_path.parent.mkdir(parents=True, exist_ok=True)
    target_path = Path(target) if target.startswith("/") else (
        tmp_path / target if target.startswith("outside") else content / target)
    os.symlink(target_path, link_path)
    result = run_cli("validate", str(content))
    assert result.returncode == 1, result.stdout
    assert f"{link_path}:1:1: {message}" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    out = tmp_path / "out"
    if name == "file to /etc/passwd":  # once through the real command: a message, no traceback
        result = run_cli("build", "--content", str(content), "--output", str(out))
        assert result.returncode == 1
        assert f"{link_path}:1:1: {message}" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and "nothing was published" in result.stderr
    else:
        with pytest.raises(BuildFailed) as failed:
            build_site(content, out, TODAY, jobs=1)
        assert any(str(p).startswith(f"{link_path}:1:1: {message}") for p in failed.value.problems), failed.value
    assert not out.exists()


def test_a_symlink_inside_the_content_folder_is_fine(tmp_path):
    content = write_site(tmp_path, {"2025/good": paper(tags=["quantization"])})
    (content / "shared").mkdir()
    (content / "tags.yaml").rename(content / "shared" / "vocabulary.txt")
    os.symlink(content / "shared" / "vocabulary.txt", content / "tags.yaml")
    checked = validate_paths([content], TODAY)
    assert checked.problems == [] and checked.entries_checked == 1


def test_validating_one_linked_file_reports_the_link(tmp_path, outside):
    content = write_site(tmp_path, {"2025/good": paper()})
    link = content / "papers" / "2025" / "stolen.yaml"
    os.symlink(outside / "2025" / "stolen.yaml", link)
    result = run_cli("validate", str(link))
    assert result.returncode == 1
    assert f"{link}:1:1: symlink points outside the content folder" in result.stdout, result.stdout


def test_a_pipe_in_content_is_refused_not_read_forever(tmp_path):
    content = write_site(tmp_path, {"2025/good": paper()})
    fifo = content / "papers" / "2025" / "pipe.yaml"
    os.mkfifo(fifo)
    result = run_cli("validate", str(content))  # run_cli has a timeout: a hang fails the test
    assert result.returncode == 1
    assert f"{fifo}:1:1: not a regular file" in result.stdout


def test_the_output_folder_cannot_be_the_content_or_hold_it(tmp_path):
    content = write_site(tmp_path, {"2025/good": paper()})
    for output in (content, tmp_path, Path("/"), Path.home()):
        with pytest.raises(BuildFailed, match="refusing to build into this folder"):
            build_site(content, output, TODAY, jobs=1)
    assert (content / "papers" / "2025" / "good.yaml").is_file()


def test_the_output_folder_cannot_be_inside_the_content_folder(tmp_path):
    content = write_site(tmp_path, {"2025/good": paper()})
    entry = content / "papers" / "2025" / "good.yaml"
    try:
        with pytest.raises(BuildFailed, match="refusing to build into this folder"):
            build_site(content, content / "papers" / "2025", TODAY, jobs=1)
    finally:
        assert entry.is_file(), "the build deleted the entries it was built from"


@settings(max_examples=500, deadline=None, database=None)
@given(parts=st.lists(st.sampled_from(["", ".", "..", "a", "b.html", "..a", "a.", "x" * 70, "é" * 130, "\x00", "\\"]),
                      min_size=1, max_size=5))
def test_the_writer_refuses_exactly_the_paths_with_an_empty_dot_or_too_long_part(parts):
    path = "/".join(parts)
    unsafe = (any(p in ("", ".", "..") for p in parts) or "\x00" in path or "\\" in path
              or any(len(p.encode()) > 255 for p in parts))
    if unsafe:
        with pytest.raises(OutputCollision):
            safe_relative(path)
    else:
        assert safe_relative(path) == path


@settings(max_examples=300, deadline=None, database=None)
@given(paths=st.lists(st.lists(st.sampled_from(["", ".", "..", "a", "A", "b.html", "ß", "SS", "ss", "x" * 70,
                                                "é" * 130, "e\u0301", "\x00", "\\"]), min_size=1, max_size=4)
                      .map("/".join), max_size=6))
@example(paths=["a/b.html", "A/b.html"])  # one file on a case-insensitive host
@example(paths=["Straße/x", "STRASSE/x"])
@example(paths=["papers/" + "x" * 80 + "/index.html", "y" * 256])
def test_claiming_paths_together_is_claiming_them_one_by_one(tmp_path_factory, paths):
    """claim_all checks a build's paths together, at C speed: it accepts and refuses exactly
    what claiming them one at a time does, with the same message (naming the path)."""
    from generator.errors import BuildFailed
    from generator.writer import Publication

    def outcome(claim) -> tuple:
        out = tmp_path_factory.mktemp("out") / "site"
        with Publication(out) as publication:
            try:
                claim(publication)
            except BuildFailed as exc:
                return ("failed", [p.message for p in exc.problems])
            return ("claimed", sorted(publication.paths()))

    def one_by_one(publication):
        for path in paths:
            publication._claim(path)

    assert outcome(lambda publication: publication.claim_all(paths)) == outcome(one_by_one)
