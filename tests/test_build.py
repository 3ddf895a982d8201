"""`paperfeed build`: the swap-in of a finished site, and what a failed build leaves."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import paper, run_cli


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_writes_home_and_paper_pages(make_site, tmp_path):
    content = make_site(papers={"2025/first-paper": paper(title="First Paper")})
    out = tmp_path / "out"
    result = run_cli("build", "--content", str(content), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "1 papers," in result.stdout or "1 paper" in result.stdout
    assert "First Paper" in (out / "index.html").read_text()
    assert "First Paper" in (out / "papers" / "first-paper" / "index.html").read_text()


def test_a_failed_build_leaves_the_previous_site_untouched(make_site, tmp_path):
    content = make_site(papers={"2025/first-paper": paper(title="First Paper")})
    out = tmp_path / "out"
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    before = snapshot(out)
    (content / "papers" / "2025" / "second.yaml").write_text("title: [unclosed\n")
    result = run_cli("build", "--content", str(content), "--output", str(out))
    assert result.returncode == 1
    assert "second.yaml:2:1: YAML syntax error" in result.stderr
    assert "nothing was published" in result.stderr
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.build-id", ".paperfeed-cache", "content", "out"]  # no staging


def test_a_template_error_fails_with_name_and_line(make_site, tmp_path):
    content = make_site(papers={"2025/first-paper": paper()})
    out = tmp_path / "out"
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    before = snapshot(out)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "404.html").write_text('{% extends "base.html" %}\n{% block main %}\n{{ pgae.title }}\n{% endblock %}\n')
    result = run_cli("build", "--content", str(content), "--output", str(out))
    assert result.returncode == 1
    assert f"{tmp_path / 'templates' / '404.html'}:3:1: template error: 'pgae' is undefined" in result.stderr
    assert snapshot(out) == before


@pytest.mark.parametrize("cold", [False, True], ids=["incremental", "cold"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_build_that_fails_while_making_pages_leaves_the_cache_as_it_was(make_site, tmp_path, jobs, cold):
    """The cache is saved only once the site is published: a build that fails on a page's template,
    its new entry already read and rendered, leaves every file of it as it was, and nothing beside.
    (A cold build has its entries', texts' and words' files written ahead, while it plans its pages:
    by another process with two jobs, by itself with one; a rebuild writes them after.)"""
    content = make_site(papers={f"2025/paper-{n:02d}": paper(title=f"Paper number {n}") for n in range(40)})
    out, cache = tmp_path / "out", tmp_path / ".paperfeed-cache"
    run_cli("build", "--content", str(content), "--output", str(out), "--jobs", jobs, check=True)
    before, cache_before = snapshot(out), snapshot(cache)
    (content / "papers" / "2025" / "second-paper.yaml").write_text(
        (content / "papers" / "2025" / "paper-01.yaml").read_text().replace("Paper number 1", "Second Paper"))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "404.html").write_text('{% extends "base.html" %}\n{% block main %}\n{{ pgae.title }}\n{% endblock %}\n')
    extra = ("--no-cache",) if cold else ()
    result = run_cli("build", "--content", str(content), "--output", str(out), "--jobs", jobs, *extra)
    assert result.returncode == 1 and "'pgae' is undefined" in result.stderr
    assert snapshot(out) == before
    assert snapshot(cache) == cache_before
    (tmp_path / "templates" / "404.html").unlink()
    run_cli("build", "--content", str(content), "--output", str(out), "--jobs", jobs, *extra, check=True)
    assert "Second Paper" in (out / "papers" / "second-paper" / "index.html").read_text()
    assert sorted(p.name for p in cache.iterdir()) == sorted(cache_before)  # the same files, some rewritten


def test_rebuild_keeps_unchanged_files_and_removes_stale_ones(make_site, tmp_path):
    content = make_site(papers={"2025/one": paper(title="One"), "2025/two": paper(title="Two")})
    out = tmp_path / "out"
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    before = snapshot(out)
    (content / "papers" / "2025" / "two.yaml").unlink()
    result = run_cli("build", "--content", str(content), "--output", str(out), check=True)
    after = snapshot(out)
    assert "papers/two/index.html" not in after
    assert after["papers/one/paper.bib"] == before["papers/one/paper.bib"]  # same bytes, same mtime
    assert "removed" in result.stdout


def test_output_placeholder_survives(make_site, tmp_path):
    content = make_site(papers={"2025/one": paper()})
    out = tmp_path / "out"
    out.mkdir()
    (out / ".gitkeep").write_text("")
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    assert (out / ".gitkeep").exists()


def test_refuses_to_build_over_the_content_or_working_folder(make_site, tmp_path):
    content = make_site(papers={"2025/one": paper()})
    for target in (tmp_path, content):
        result = run_cli("build", "--content", str(content), "--output", str(target), cwd=tmp_path)
        assert result.returncode == 1
        assert "refusing to build into this folder" in result.stderr
    assert (content / "papers" / "2025" / "one.yaml").exists()


def test_build_outside_a_site_says_what_it_expected(tmp_path):
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "no site here: expected content/site.yaml" in result.stderr
    assert "paperfeed init" in result.stderr
    assert "Traceback" not in result.stderr


def test_verbose_lists_each_stage_with_its_time(make_site, tmp_path):
    """What `--verbose` prints is what benchmarks/run.py --stages reads (its STAGE_LINE)."""
    import re

    content = make_site(papers={"2025/first-paper": paper(title="First Paper")}, site={"search": False})
    out = tmp_path / "out"
    stage = re.compile(r"^  (\S.*?)\s+(\d+\.\d+) s$")

    def stages(*extra: str) -> list[str]:
        result = run_cli("build", "--content", str(content), "--output", str(out), "--verbose", *extra)
        assert result.returncode == 0, result.stderr
        return [m.group(1) for m in map(stage.match, result.stdout.splitlines()) if m]

    assert stages() == ["check inputs", "load the generator", "read and validate", "markdown and math",
                        "index and related", "plan", "cards", "fingerprint", "render", "search", "write"]
    assert stages() == ["check inputs"]  # nothing changed: one look at the inputs, and done


@pytest.mark.parametrize("incremental", [False, True])
def test_a_file_made_in_pieces_is_kept_when_its_bytes_are_the_same(tmp_path, incremental):
    """papers.json is written piece by piece and compared with the output's copy on the way:
    the same bytes keep the old file (and its mtime); any other bytes replace it."""
    from generator.writer import UNCHANGED, WRITTEN, Publication

    out = tmp_path / "out"
    out.mkdir()
    old = b"x" * 3_000_000 + b"end"  # more than one block of the comparison
    (out / "big.json").write_bytes(old)
    (out / "other.json").write_bytes(old)
    before = (out / "big.json").stat()
    cases = {"big.json": [old[:1000], old[1000:2_500_000], old[2_500_000:]],  # the same, cut elsewhere
             "other.json": [old[:-1], b"!"]}  # one byte differs, at the very end
    previous = {"big.json", "other.json"} if incremental else None
    with Publication(out, previous) as publication:
        publication.claim_all(cases)
        outcomes = {path: publication.stage(path, iter(pieces)) for path, pieces in cases.items()}
        for path, outcome in outcomes.items():
            publication.record(path, outcome)
        publication.commit()
    assert outcomes == {"big.json": UNCHANGED, "other.json": WRITTEN}
    after = (out / "big.json").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert (out / "other.json").read_bytes() == old[:-1] + b"!"


@pytest.mark.parametrize("old, pieces", [(b"abcd", [b"abc"]), (b"abc", [b"ab", b"cd"]), (b"abc", [b""]),
                                         (b"abc", [])])
def test_pieces_shorter_longer_or_new_are_written(tmp_path, old, pieces):
    from generator.writer import WRITTEN, Publication

    out = tmp_path / "out"
    out.mkdir()
    (out / "f.json").write_bytes(old)
    with Publication(out, {"f.json"}) as publication:
        publication.claim_all(["f.json", "new.json"])
        assert publication.stage("f.json", iter(pieces)) == WRITTEN
        assert publication.stage("new.json", iter(pieces)) == WRITTEN
        publication.record("f.json", WRITTEN)
        publication.record("new.json", WRITTEN)
        publication.commit()
    assert (out / "f.json").read_bytes() == (out / "new.json").read_bytes() == b"".join(pieces)
