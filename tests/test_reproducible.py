"""Reproducible builds (issue 8, point 5).

Two cold builds of the same content — in different folders, a few seconds apart,
with different PYTHONHASHSEED, TZ and locale — give byte-identical trees, search
index included. No output depends on the clock or the machine's time zone:
dates come from the content and are written as UTC days. A parallel build
(--jobs 2) equals a serial one (--jobs 1).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO, run_cli

ENVIRONMENTS = [
    {"PYTHONHASHSEED": "0", "TZ": "Pacific/Kiritimati", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},     # UTC+14
    {"PYTHONHASHSEED": "4242", "TZ": "America/Adak", "LC_ALL": "C", "LANG": "C"},                   # UTC-10 (DST)
]


# Files that cannot be byte-identical, and why (checked for equivalence instead):
# - pagefind/filter/*.pf_filter: Pagefind (1.5.x) writes each filter's values in Rust HashMap
#   order, which is seeded at random on every run: the same values in another order, so
#   another file hash and name;
# - pagefind/pagefind.*.pf_meta and pagefind/pagefind-entry.json: they name those hashes.
UNREPRODUCIBLE = re.compile(r"^pagefind/(filter/[^/]+\.pf_filter|pagefind\.[^/]+\.pf_meta|pagefind-entry\.json)$")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def comparable(files: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in files.items() if not UNREPRODUCIBLE.match(path)}


def differences(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    found = [f"only in the first: {p}" for p in sorted(set(a) - set(b))]
    found += [f"only in the second: {p}" for p in sorted(set(b) - set(a))]
    for path in sorted(set(a) & set(b)):
        if a[path] != b[path]:
            x, y = a[path], b[path]
            at = next((i for i in range(min(len(x), len(y))) if x[i] != y[i]), min(len(x), len(y)))
            around = slice(max(0, at - 40), at + 40)
            found.append(f"{path} differs at byte {at}: {x[around]!r} vs {y[around]!r}")
    return found


def cold_build(content: Path, out: Path, env: dict[str, str], *extra: str) -> None:
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--content", str(content), "--output",
                             str(out), "--no-cache", *extra], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_two_cold_builds_in_other_folders_times_and_zones_are_byte_identical(tmp_path):
    first_root = tmp_path / "a"
    second_root = tmp_path / "some" / "much" / "longer" / "path" / "elsewhere"
    for root in (first_root, second_root):
        shutil.copytree(REPO / "content", root / "content")
    cold_build(first_root / "content", first_root / "site", ENVIRONMENTS[0])
    time.sleep(1.1)  # a timestamp with seconds would differ now
    cold_build(second_root / "content", second_root / "out-folder", ENVIRONMENTS[1])
    first, second = tree(first_root / "site"), tree(second_root / "out-folder")
    assert len(first) > 100
    assert differences(comparable(first), comparable(second)) == []
    # the search bundle's unreproducible files hold the same data, in another order
    filters = [sorted(gzip.decompress(d) for p, d in side.items() if p.endswith(".pf_filter"))
               for side in (first, second)]
    assert [sorted(f) for f in filters[0]] == [sorted(f) for f in filters[1]]
    entries = [json.loads(side["pagefind/pagefind-entry.json"]) for side in (first, second)]
    for entry in entries:
        for language in entry["languages"].values():
            language.pop("hash")
    assert entries[0] == entries[1]
    # nothing about the machine leaks in: folders, the clock's year-month-day-time, the user
    for path, data in first.items():
        if path.endswith((".html", ".xml", ".json", ".txt", ".opml", ".bib")):
            text = data.decode("utf-8")
            assert str(tmp_path) not in text and "/tmp/" not in text, path
            assert "pytest" not in text, path


def test_dates_are_the_content_days_in_utc_whatever_the_zone(tmp_path):
    """Kiritimati is UTC+14 and Adak UTC-10: a date made with local time would shift a day."""
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    out = tmp_path / "site"
    cold_build(content, out, {"TZ": "Pacific/Kiritimati", "PYTHONHASHSEED": "1"})
    atom = (out / "atom.xml").read_text(encoding="utf-8")
    stamps = re.findall(r"<(?:updated|published)>([^<]+)</", atom)
    assert stamps and all(re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00\+00:00", s) for s in stamps), stamps[:5]
    rss = (out / "feed.xml").read_text(encoding="utf-8")
    dates = re.findall(r"<(?:pubDate|lastBuildDate)>([^<]+)</", rss)
    assert dates and all(d.endswith(" 00:00:00 +0000") for d in dates), dates[:5]
    newest = max(p.read_text(encoding="utf-8").split("added: ", 1)[1][:10]
                 for p in (content / "papers").rglob("*.yaml"))
    assert f"<updated>{newest}T00:00:00+00:00</updated>" in atom


def test_a_parallel_build_equals_a_serial_one(tmp_path):
    """Enough papers that reading, Markdown and rendering really run in two processes."""
    content = tmp_path / "content"
    made = subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_corpus.py"), "--n", "450", "--seed", "7",
                           "--out", str(content), "--search", "off", "--quiet"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    cold_build(content, tmp_path / "serial", {"PYTHONHASHSEED": "1"}, "--jobs", "1")
    cold_build(content, tmp_path / "parallel", {"PYTHONHASHSEED": "2"}, "--jobs", "2")
    serial, parallel = tree(tmp_path / "serial"), tree(tmp_path / "parallel")
    assert len(serial) > 1000
    assert differences(serial, parallel) == []


def test_a_rebuild_with_the_cache_equals_a_cold_build(tmp_path):
    """The cache may only save time: after an edit, a warm build gives a cold build's bytes."""
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    warm = tmp_path / "warm"
    run_cli("build", "--content", str(content), "--output", str(warm), check=True)
    first = sorted(content.rglob("*.yaml"))[5]
    first.write_text(first.read_text(encoding="utf-8").replace('title: "', 'title: "Edited ', 1), encoding="utf-8")
    run_cli("build", "--content", str(content), "--output", str(warm), check=True)
    cold_build(content, tmp_path / "cold", {"PYTHONHASHSEED": "3"})
    assert differences(comparable(tree(warm)), comparable(tree(tmp_path / "cold"))) == []


def test_no_output_holds_the_time_of_the_build(seed_site):
    """Outputs carry the content's days, never the day or time the build ran."""
    content_text = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "content").rglob("*.yaml"))
    today = time.strftime("%Y-%m-%d")
    for path in sorted(seed_site.rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".xml", ".json", ".txt", ".opml", ".bib"):
            continue
        text = path.read_text(encoding="utf-8")
        if today not in content_text:
            assert today not in text, path
        times = set(re.findall(r"\b\d\d:\d\d:\d\d\b", text))
        assert times <= {"00:00:00"}, (path, times)


def test_the_search_bundle_holds_no_machine_state(seed_site):
    """What was indexed is remembered outside the site (no inodes or mtimes published)."""
    assert not [p for p in (seed_site / "pagefind").rglob("*") if p.name.startswith(".")]
