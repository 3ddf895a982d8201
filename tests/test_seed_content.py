"""The seed content matches the Daily Papers listing it was made from.

The listing lives in ../shared/seed/ beside the clone (as in CI); the test
re-parses it on its own and checks content/papers/ holds exactly one entry per
listed paper, with the listing's title, abstract and card metadata.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from generator.slugs import slug_for

ROOT = Path(__file__).resolve().parents[1]
LISTING = ROOT.parent / "shared" / "seed" / "daily-papers-listing.txt"
PAPERS = ROOT / "content" / "papers"
ADDED = dt.date(2025, 12, 9)  # the listing's day ("Dec 9")
EXPECTED_PAPERS = 53

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
AUTHORS = re.compile(r"\u2022 (\d+) authors?")
DATE = re.compile(r"(\w{3}) (\d{1,2})(?:, (\d{4}))?(?: (\d+))?")


def parse_listing(text: str) -> list[dict]:
    """Cards as dicts: title, abstract and, when the card shows them, its metadata."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    lines = lines[lines.index("Dec 9") + 1 :]  # drop the page header
    cards: list[dict] = []
    i = 0
    while i < len(lines):
        if i + 1 < len(lines) and lines[i + 1] == "\u00b7":  # "who" line, dot, date line
            card = cards[-1]
            who, when = lines[i].strip(), lines[i + 2]
            m = AUTHORS.fullmatch(who)
            if m:
                card["author_count"] = int(m.group(1))
            else:
                card["organization"] = who
            m = DATE.fullmatch(when)
            assert m, f"unexpected date line {when!r}"
            month, day, year, votes = m.groups()
            card["published"] = dt.date(int(year or 2025), MONTHS.index(month) + 1, int(day))
            if votes:
                card["upvotes"] = int(votes)
            i += 3
        else:
            cards.append({"title": lines[i], "abstract": lines[i + 1]})
            i += 2
    return cards


@pytest.fixture(scope="module")
def listing() -> dict[str, dict]:
    if not LISTING.is_file():
        pytest.skip(f"seed listing not found at {LISTING}")
    cards = parse_listing(LISTING.read_text(encoding="utf-8"))
    assert len(cards) == EXPECTED_PAPERS
    titles = [c["title"] for c in cards]
    assert len(set(titles)) == len(titles), "duplicate titles in the listing"
    return {c["title"]: c for c in cards}


@pytest.fixture(scope="module")
def entries() -> dict[str, tuple[Path, dict]]:
    found: dict[str, tuple[Path, dict]] = {}
    for path in sorted(PAPERS.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict), path
        assert data["title"] not in found, f"{path} repeats {found.get(data['title'])}"
        found[data["title"]] = (path, data)
    return found


def test_listing_has_53_papers(listing):
    assert len(listing) == EXPECTED_PAPERS


def test_one_entry_per_listed_paper(listing, entries):
    assert set(entries) == set(listing)
    assert len(entries) == EXPECTED_PAPERS


def test_slugs_and_places(entries):
    for title, (path, data) in entries.items():
        assert path.stem == slug_for(title)
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", path.stem)
        assert path.parent == PAPERS / str(data["added"].year)


def test_entries_match_their_cards(listing, entries):
    for title, card in listing.items():
        path, data = entries[title]
        assert data["abstract"].rstrip("\n") == card["abstract"], path
        assert data["added"] == ADDED, path
        for key in ("author_count", "organization", "published", "upvotes"):
            assert data.get(key) == card.get(key), f"{path}: {key}"
        if "published" in data:
            assert data["published"] <= data["added"], path


def test_first_line_names_the_schema(entries):
    for path, _ in entries.values():
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../paper.schema.json", path
