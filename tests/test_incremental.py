"""Incremental builds equal cold builds, byte for byte, after every kind of edit."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, TAGS, paper, run_cli


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build(content: Path, out: Path, *extra: str) -> str:
    return run_cli("build", "--content", str(content), "--output", str(out), *extra, check=True).stdout


def edit_entry(path: Path, **changes) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def site(make_site, tmp_path):
    content = make_site(papers={
        "2025/alpha": paper(title="Alpha: quantized attention", added="2025-12-08", tags=["quantization"],
                            authors=["Ann Lee", "Bo Chen"], abstract="Low-bit $x^2$ attention kernels."),
        "2025/beta": paper(title="Beta reasoning", added="2025-12-09", tags=["math-reasoning"],
                           organization="Lab X", abstract="Models that solve problems."),
        "2025/gamma": paper(title="Gamma kernels", added="2025-12-09", tags=["quantization", "math-reasoning"],
                            authors=["Bo Chen"], upvotes=7, abstract="Quantized kernels for attention."),
    }, site={"per_page": 2, "search": False})
    return content


EDITS = {
    "add an entry": lambda c: (c / "papers/2025/delta.yaml").write_text(yaml.safe_dump(
        paper(title="Delta", added="2025-12-10", tags=["quantization"], authors=["Cy Dee"]))),
    "edit an entry": lambda c: edit_entry(c / "papers/2025/beta.yaml", title="Beta, retitled", upvotes=3),
    "rename an entry": lambda c: (c / "papers/2025/gamma.yaml").rename(c / "papers/2025/gamma-two.yaml"),
    "delete an entry": lambda c: (c / "papers/2025/alpha.yaml").unlink(),
    "change the tag vocabulary": lambda c: (c / "tags.yaml").write_text(
        "quantization: Fewer bits\nmath-reasoning: Maths\n"),
    "change site.yaml": lambda c: (c / "site.yaml").write_text(
        (c / "site.yaml").read_text().replace("Test Papers", "Renamed Papers")),
    "move the site to another address": lambda c: (c / "site.yaml").write_text(  # every URL, BibTeX's too
        (c / "site.yaml").read_text().replace("base_url: https://example.org/", "base_url: https://moved.example.org/x/")),
}


def test_every_edit_gives_what_a_cold_build_gives(site, tmp_path):
    incremental, cold = tmp_path / "incremental", tmp_path / "cold"
    build(site, incremental)
    theme = tmp_path / "themes" / "default"
    shutil.copytree(REPO / "themes" / "default", theme)  # a site-local copy we may edit
    steps = list(EDITS.items()) + [
        ("edit a template", lambda c: (theme / "templates" / "paper.html").write_text(
            (theme / "templates" / "paper.html").read_text().replace("Abstract", "Summary"))),
        ("edit the card template", lambda c: (theme / "templates" / "partials" / "card.html").write_text(
            (theme / "templates" / "partials" / "card.html").read_text().replace("Featured", "Picked"))),
        ("edit a static file", lambda c: (theme / "static" / "style.css").write_text("body{color:red}\n")),
    ]
    for name, edit in steps:
        edit(site)
        build(site, incremental)
        # The cold build reads a copy: its cache, beside its content, would describe its own output,
        # and the next incremental build would then find no cache of its output to build on.
        shutil.rmtree(tmp_path / "copy", ignore_errors=True)
        shutil.copytree(site, tmp_path / "copy" / "content")
        shutil.copytree(theme, tmp_path / "copy" / "themes" / "default")  # as the incremental build sees it
        shutil.rmtree(cold, ignore_errors=True)
        build(tmp_path / "copy" / "content", cold, "--no-cache")
        assert tree(incremental) == tree(cold), f"after '{name}' the incremental build differs"
    assert "Summary" in (incremental / "papers" / "beta" / "index.html").read_text()
    assert "Picked" in (incremental / "index.html").read_text()


def test_no_change_rebuild_makes_and_writes_nothing(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    result = build(site, out)
    assert "(0 made, 0 written, 0 removed)" in result
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes


def test_one_edit_remakes_only_what_shows_it(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    edit_entry(site / "papers/2025/beta.yaml", upvotes=99)
    build(site, out)
    changed = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.stat().st_mtime_ns != before.get(p)}
    assert "papers/beta/index.html" in changed and "days/2025-12-09/index.html" in changed
    assert "papers/alpha/paper.bib" not in changed  # alpha's own files do not show beta's upvotes
    assert "authors/ann-lee/index.html" not in changed


def test_a_rebuild_plans_nothing_for_files_made_from_the_same_inputs(make_site, tmp_path, monkeypatch):
    """A paper or a group (a day, a tag, an author…) whose key (render._page_key, render._listing_key)
    is the one the output's build recorded queues no Job: its files are carried over. A paper whose
    neighbour on its day changed is not, nor a group that lists the edited paper."""
    from datetime import date

    from generator import render
    from generator.build import build_site

    content = make_site(papers={
        "2025/alpha": paper(title="Alpha kernels", added="2025-12-09", tags=["quantization"], authors=["Bo Chen"]),
        "2025/beta": paper(title="Beta kernels", added="2025-12-09", tags=["quantization"], authors=["Bo Chen"],
                           organization="Lab X"),
        "2025/solo": paper(title="Solo", added="2025-12-01", tags=["math-reasoning"], abstract="Nothing alike.",
                           authors=["Sam Solo"], organization="Lab Y"),
    }, site={"search": False})
    out, carried = tmp_path / "out", []
    queue = render.Renderer.people

    def spy(self):  # people() is queued after papers()
        queue(self)
        carried.append(set(self.carried))

    monkeypatch.setattr(render.Renderer, "people", spy)
    build_site(content, out, date(2026, 1, 15))
    edit_entry(content / "papers/2025/beta.yaml", title="Beta kernels, retitled")
    build_site(content, out, date(2026, 1, 15))
    # Solo's files, and its day's, week's, tag's, author's and organization's: none shows beta
    # (the day of 1 December links to the day after, whose name and address did not change).
    # Not December's, whose listing holds beta.
    solo = {"papers/solo/index.html", "papers/solo/paper.bib", "days/2025-12-01/index.html",
            "weeks/2025-W49/index.html", *(f"{group}/{name}" for group in ("tags/math-reasoning", "authors/sam-solo",
                                                                           "organizations/lab-y")
                                          for name in ("index.html", "atom.xml", "feed.xml"))}
    assert carried == [set(), solo]
    assert "Beta kernels, retitled" in (out / "papers/alpha/index.html").read_text(encoding="utf-8")
    assert "Beta kernels, retitled" in (out / "authors/bo-chen/atom.xml").read_text(encoding="utf-8")
    shutil.copytree(content, tmp_path / "fresh" / "content")
    build(tmp_path / "fresh" / "content", tmp_path / "fresh-out", "--no-cache")
    assert tree(out) == tree(tmp_path / "fresh-out")


def test_the_output_is_the_builds_own_and_a_cold_build_restores_a_file_deleted_by_hand(site, tmp_path):
    """A rebuild trusts that the output folder holds what the build named in it wrote (it does
    not look for each file again: a third of a rebuild's fingerprint stage); `--no-cache`
    writes every file again."""
    out = tmp_path / "out"
    build(site, out)
    deleted = out / "papers" / "alpha" / "index.html"
    deleted.unlink()
    edit_entry(site / "papers/2025/beta.yaml", upvotes=42)
    build(site, out)
    assert "42" in (out / "papers" / "beta" / "index.html").read_text(encoding="utf-8")
    assert not deleted.exists()  # alpha's page did not change: it is not made again
    build(site, out, "--no-cache")
    assert deleted.is_file()
    shutil.copytree(site, tmp_path / "fresh" / "content")
    build(tmp_path / "fresh" / "content", tmp_path / "fresh-out", "--no-cache")
    assert tree(out) == tree(tmp_path / "fresh-out")


def test_a_corrupt_cache_is_rebuilt_not_trusted(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    cache = tmp_path / ".paperfeed-cache" / "build.pickle"
    data = bytearray(cache.read_bytes())
    data[len(data) // 2] ^= 0xFF
    cache.write_bytes(bytes(data))
    edit_entry(site / "papers/2025/beta.yaml", title="Beta after corruption")
    build(site, out)
    shutil.copytree(site, tmp_path / "fresh" / "content")
    build(tmp_path / "fresh" / "content", tmp_path / "fresh-out", "--no-cache")
    assert tree(out) == tree(tmp_path / "fresh-out")


def test_a_damaged_or_foreign_cache_shard_is_dropped_not_trusted(site, tmp_path):
    """The big tables live in shards (cache.py); each is checked on its own."""
    out, cache = tmp_path / "out", tmp_path / ".paperfeed-cache"
    build(site, out)
    shards = sorted(p for p in cache.glob("*-*.pickle") if p.stat().st_size > 200)  # not the empty ones
    tables = {p.name.split("-")[0] for p in shards}
    assert tables == {"entries", "markup", "cards", "words"}, sorted(p.name for p in cache.iterdir())
    for table in tables:  # damage one shard of each table, swap another with a foreign one
        mine = [p for p in shards if p.name.startswith(table)]
        data = bytearray(mine[0].read_bytes())
        data[len(data) // 2] ^= 0xFF
        mine[0].write_bytes(bytes(data))
        if len(mine) > 1:
            mine[1].write_bytes(mine[1].read_bytes().replace(b"paperfeed-cache", b"paperfeed-cachX", 1))
    edit_entry(site / "papers/2025/beta.yaml", title="Beta after damage", upvotes=4)
    build(site, out)
    shutil.copytree(site, tmp_path / "fresh" / "content")
    build(tmp_path / "fresh" / "content", tmp_path / "fresh-out", "--no-cache")
    assert tree(out) == tree(tmp_path / "fresh-out")


def test_a_rebuild_rewrites_only_the_cache_shards_that_changed(make_site, tmp_path):
    content = make_site(papers={f"2025/paper-{n:02d}": paper(title=f"Paper number {n}", added="2025-12-09")
                                for n in range(40)}, site={"search": False})
    out, cache = tmp_path / "out", tmp_path / ".paperfeed-cache"
    build(content, out)
    before = {p.name: p.stat().st_mtime_ns for p in cache.glob("*.pickle")}
    assert len(before) == 1 + 3 * 32 + 1  # the main file, 32 shards of three tables, the words
    time.sleep(0.01)
    edit_entry(content / "papers/2025/paper-07.yaml", title="Paper number seven, edited")
    build(content, out)
    rewritten = sorted(name for name, mtime in before.items() if (cache / name).stat().st_mtime_ns != mtime)
    # the main file, and the shards that gained the new values and lost the old: of the 32 per table,
    # entries and markup change in at most two each; cards of the day (whose listing changed) more
    assert "build.pickle" in rewritten
    assert 1 <= sum(name.startswith("entries-") for name in rewritten) <= 2
    assert 1 <= sum(name.startswith("markup-") for name in rewritten) <= 2
    assert "words-00.pickle" in rewritten  # one file: its words shared by every paper (cache.py)
    assert len(rewritten) < len(before) // 2, rewritten


def test_one_process_building_again_reuses_the_cache_it_saved(site, tmp_path, monkeypatch):
    """`serve` builds in one process: a rebuild takes the cache it saved from memory, unless a
    file of it changed on disk since; either way the site is what a cold build gives."""
    from datetime import date

    from generator import cache as cache_module
    from generator.build import build_site

    reads = []
    read_checked = cache_module._read_checked
    monkeypatch.setattr(cache_module, "_read_checked", lambda path: reads.append(path) or read_checked(path))
    out, today = tmp_path / "out", date.today()
    build_site(site, out, today)
    for number, name in enumerate(["add an entry", "edit an entry", "delete an entry"]):
        EDITS[name](site)
        reads.clear()
        build_site(site, out, today)
        assert reads == [], f"{name}: the cache was read back from disk"
        fresh = tmp_path / f"fresh-{number}"
        shutil.copytree(site, fresh / "content")
        build(fresh / "content", fresh / "out", "--no-cache")
        assert tree(out) == tree(fresh / "out"), name
    shard = next(p for p in sorted((tmp_path / ".paperfeed-cache").glob("markup-*.pickle")) if p.stat().st_size > 200)
    shard.write_bytes(shard.read_bytes()[:-1])  # changed by someone else: memory is not trusted
    edit_entry(site / "papers/2025/beta.yaml", title="Beta once more")
    reads.clear()
    build_site(site, out, today)
    assert reads, "a cache changed on disk was taken from memory"
    shutil.copytree(site, tmp_path / "fresh-last" / "content")
    build(tmp_path / "fresh-last" / "content", tmp_path / "fresh-last" / "out", "--no-cache")
    assert tree(out) == tree(tmp_path / "fresh-last" / "out")


def test_files_written_ahead_by_a_killed_build_are_removed_by_the_next(site, tmp_path):
    """A cold build writes its entries', texts' and words' cache files ahead under other names
    (cache.write_shards_ahead); killed before it saved, it leaves them: the next build that
    saves the cache removes them, and they never stand in for a shard."""
    out, cache = tmp_path / "out", tmp_path / ".paperfeed-cache"
    build(site, out)
    shard = sorted(cache.glob("entries-*.pickle"))[0]
    left = shard.with_suffix(".ahead")
    left.write_bytes(b"left by a killed build")
    EDITS["add an entry"](site)
    build(site, out)
    assert not list(cache.glob("*.ahead"))
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh / "content")
    build(fresh / "content", fresh / "out", "--no-cache")
    assert tree(out) == tree(fresh / "out")


def test_a_build_asks_each_entry_files_size_and_times_once(site, tmp_path, monkeypatch):
    """The input stamp looks at every entry file (to see whether anything changed at all);
    reading the content takes what it found, not a second system call per entry."""
    from datetime import date

    from generator import content as content_module
    from generator.build import build_site

    asked = []
    stat = content_module._stat
    monkeypatch.setattr(content_module, "_stat", lambda path: asked.append(path) or stat(path))
    out, today = tmp_path / "out", date.today()
    build_site(site, out, today, use_cache=False)
    EDITS["add an entry"](site)
    build_site(site, out, today)
    assert asked == []
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh / "content")
    build(fresh / "content", fresh / "out", "--no-cache")
    assert tree(out) == tree(fresh / "out")


def test_a_rebuild_parses_only_the_templates_that_changed(site, tmp_path, monkeypatch):
    """Templates compiled, and the templates each one uses, are kept in the build cache:
    a rebuild parses none again but the one that was edited."""
    from datetime import date

    import jinja2

    from generator import cache as cache_module
    from generator.build import build_site

    parsed: list[str | None] = []
    parse = jinja2.Environment._parse
    monkeypatch.setattr(jinja2.Environment, "_parse",  # what both compiling and finding references call
                        lambda env, source, name, filename: parsed.append(name) or parse(env, source, name, filename))
    monkeypatch.setattr(cache_module, "_warm", {})  # read the cache from disk, as a new process does
    out, today = tmp_path / "out", date.today()
    build_site(site, out, today, jobs=1)
    assert "paper.html" in parsed and "base.html" in parsed
    for edit in ("edit an entry", "add an entry"):
        EDITS[edit](site)
        cache_module._warm.clear()
        parsed.clear()
        assert build_site(site, out, today, jobs=1).made > 0
        assert parsed == [], edit
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "paper.html").write_text(
        (REPO / "themes" / "default" / "templates" / "paper.html").read_text().replace("Abstract", "Summary"))
    cache_module._warm.clear()
    parsed.clear()
    build_site(site, out, today, jobs=1)
    assert set(parsed) == {None, "paper.html"}  # its references found, and it compiled
    assert "Summary" in (out / "papers" / "beta" / "index.html").read_text()
    shutil.copytree(site, tmp_path / "fresh" / "content")
    shutil.copytree(tmp_path / "templates", tmp_path / "fresh" / "templates")
    build(tmp_path / "fresh" / "content", tmp_path / "fresh" / "out", "--no-cache")
    assert tree(out) == tree(tmp_path / "fresh" / "out")


def test_parallel_and_serial_builds_are_identical(tmp_path):
    content = tmp_path / "content"  # big enough that the work is really split between processes
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_corpus.py"), "--n", "600", "--seed", "3",
                    "--out", str(content)], check=True, capture_output=True)
    with open(content / "site.yaml", "a", encoding="utf-8") as site_yaml:
        site_yaml.write("search: false\n")  # the search index is compared in test_reproducible
    build(content, tmp_path / "serial", "--no-cache", "--jobs", "1")
    build(content, tmp_path / "parallel", "--no-cache", "--jobs", "2")
    assert tree(tmp_path / "serial") == tree(tmp_path / "parallel")
    # The cold build's workers fingerprinted each file as they made it: a rebuild that looks at
    # everything again (an entry's time changed, not its bytes) finds each of them current.
    os.utime(next((content / "papers").rglob("*.yaml")))
    assert "(0 made, 0 written, 0 removed)" in build(content, tmp_path / "parallel", "--jobs", "2")


@pytest.mark.parametrize("wait", [0.0, 2.5], ids=["edited at once", "edited later"])
def test_an_edit_that_keeps_size_and_mtime_is_still_seen(site, tmp_path, wait):
    """A rebuild skips reading entry files whose size and times are unchanged. An edit that
    keeps the size and puts the old mtime back (`rsync -a`, `touch -r`) changes the ctime,
    so it is read; so is a file changed within moments of the build that last read it."""
    out = tmp_path / "out"
    entry = site / "papers/2025/beta.yaml"
    time.sleep(2.1)  # files written (ctime) over two seconds before a build are the ones it may skip reading
    build(site, out)
    time.sleep(wait)
    before = entry.stat()
    text = entry.read_text(encoding="utf-8")
    assert "Beta reasoning" in text
    entry.write_text(text.replace("Beta reasoning", "Beta reasonink"), encoding="utf-8")
    os.utime(entry, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert entry.stat().st_size == before.st_size and entry.stat().st_mtime_ns == before.st_mtime_ns
    build(site, out)
    assert "Beta reasonink" in (out / "papers/beta/index.html").read_text(encoding="utf-8")


def test_saving_the_cache_leaves_the_texts_it_holds_as_they_were(tmp_path, monkeypatch):
    """Pickling a str that is not ASCII makes CPython keep a UTF-8 copy inside the str: the cache
    pickles copies of such texts, or saving it would grow a build's memory by half the texts."""
    from generator import cache as cache_module
    from generator.views import TextPieces

    pieces = TextPieces("Café", "Café", "Déjà vu…", "Déjà vu…", "<p>Déjà vu — 𝑥</p>", "Déjà vu — 𝑥", None,
                        "@article{cafe, title = {Café}}")
    key = bytes(range(16))
    cache = cache_module.BuildCache(markup={key: pieces}, words={key: (("deja",), b"\x01")})
    texts = [pieces.title, pieces.excerpt, pieces.abstract_html, pieces.abstract_text]
    sizes = [sys.getsizeof(text) for text in texts]
    path = tmp_path / "cache" / "build.pickle"
    assert cache_module.save_cache(path, cache)
    assert [sys.getsizeof(text) for text in texts] == sizes
    monkeypatch.setattr(cache_module, "_warm", {})  # read back from the files
    loaded = cache_module.load_cache(path)
    assert loaded.markup == cache.markup
    again = loaded.markup[key]
    assert again.title_html is again.title and again.excerpt_html is again.excerpt  # shared, as they were


WORDS = "sparse kernels attention proofs lemmas quantized tokens routing experts agents tables".split()
PEOPLE = ["Ann Lee", "Bo Chen", "Cy Dee", "José Núñez", "Eve Ng"]


def random_entry(rng: random.Random, number: int) -> dict:
    words = rng.sample(WORDS, 4)
    return paper(title=f"Paper {number}: {' '.join(words[:2])}", added=f"2025-12-{rng.randint(1, 4):02d}",
                 abstract=" ".join(rng.choice(WORDS) for _ in range(12)) + ".", upvotes=rng.randint(0, 9),
                 tags=rng.sample(sorted(TAGS), rng.randint(1, 2)), authors=rng.sample(PEOPLE, rng.randint(1, 2)),
                 organization=rng.choice([None, "Lab X", "Lab Y"]))


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_give_what_a_cold_build_gives(make_site, tmp_path, seed):
    """Random sequences of edits (add, edit, move to another day, rename, delete) over a site
    where papers share days, tags, authors and organizations, so each edit reaches pages of
    other papers: after each, a rebuild equals a cold build of the same content, byte for byte."""
    from datetime import date

    from generator import cache as cache_module
    from generator.build import build_site

    rng = random.Random(seed)
    content = make_site(papers={f"2025/p{n}": random_entry(rng, n) for n in range(12)},
                        site={"per_page": 3, "search": False})  # the search index: test_search.py
    out, today, count = tmp_path / "out", date(2026, 1, 15), 12
    build_site(content, out, today)
    for step in range(8):
        entries = sorted((content / "papers" / "2025").glob("*.yaml"))
        pick = rng.choice(entries)
        action = rng.choice(["add", "edit", "day", "people", "rename", "delete"])
        if action == "add":
            (content / "papers" / "2025" / f"p{count}.yaml").write_text(yaml.safe_dump(random_entry(rng, count)))
            count += 1
        elif action == "edit":
            edit_entry(pick, title=f"Edited {step}", upvotes=rng.randint(0, 9))
        elif action == "day":
            edit_entry(pick, added=f"2025-12-{rng.randint(1, 4):02d}")
        elif action == "people":
            edit_entry(pick, authors=rng.sample(PEOPLE, 2), organization=rng.choice(["Lab X", "Lab Z"]))
        elif action == "rename":
            pick.rename(pick.with_name(f"renamed-{step}.yaml"))
        elif len(entries) > 2:
            pick.unlink()
        build_site(content, out, today)
        # The word counts related papers use, brought up to date by the entries added and removed:
        # those of the entries there are now (the cache this process saved, as it kept it).
        kept = cache_module._warm[str(cache_module.cache_path(content))][1]
        counted, counts = kept.word_counts
        assert counted == set(kept.words) == set(kept.entries)
        assert counts == Counter(word for found, _ in kept.words.values() for word in found)
        copy = tmp_path / f"copy-{step}"
        shutil.copytree(content, copy / "content")
        build_site(copy / "content", copy / "out", today, use_cache=False)
        assert tree(out) == tree(copy / "out"), f"after step {step} ({action} {pick.name}) the rebuild differs"
