"""Related papers (generator/related.py) against a plain reading of its rule.

The module counts shared keywords through postings lists and C-speed set and Counter
operations; the reference below scores every pair of papers directly, as the module's
docstring states the rule. Random small corpora with a small vocabulary (so words recur
and some are too common to follow) must give the same lists, in the same order.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator import related
from generator.models import Paper

VOCABULARY = [f"word{n}" for n in range(30)] + ["quantum", "lattice", "kernel", "sparse", "graph"]
TAGS = ["quantization", "math-reasoning", "robotics", "vision"]


def reference(papers: tuple[Paper, ...], limit: int = 5) -> dict[str, tuple[str, ...]]:
    words = [dict(zip(*related.paper_words(p))) for p in papers]
    frequency = Counter(w for ws in words for w in ws)
    keywords = []
    for ws in words:
        shared = [w for w in ws if 1 < frequency[w] <= related.MAX_SHARED]
        keywords.append(sorted(shared, key=lambda w: (-ws[w] * 1000 // frequency[w], w))[:related.KEYWORDS_PER_PAPER])
    by_tag: dict[str, list[int]] = {}
    for index, paper in enumerate(papers):
        for tag in paper.tags:
            by_tag.setdefault(tag, []).append(index)
    position = {tag: {i: n for n, i in enumerate(members)} for tag, members in by_tag.items()}
    result = {}
    for i, paper in enumerate(papers):
        scores = {}
        for j in range(len(papers)):
            shared_words = sum(1 for w in keywords[i] if w in keywords[j])
            if j != i and shared_words:
                shared_tags = len(set(paper.tags) & set(papers[j].tags))
                scores[j] = shared_words + related.TAG_POINTS * shared_tags
        chosen = [j for j, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]]
        if len(chosen) < limit:
            chosen += related._tag_neighbours(i, paper, by_tag, position, set(chosen), limit - len(chosen))
        result[paper.slug] = tuple(papers[j].slug for j in chosen)
    return result


@st.composite
def corpora(draw) -> tuple[Paper, ...]:
    count = draw(st.integers(min_value=1, max_value=40))
    papers = []
    for n in range(count):
        title = " ".join(draw(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=6)))
        abstract = " ".join(draw(st.lists(st.sampled_from(VOCABULARY), max_size=30)))
        tags = tuple(draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True)))
        papers.append(Paper(slug=f"paper-{n:02d}", source=f"papers/2025/paper-{n:02d}.yaml", title=title,
                            added=date(2025, 12, 9) - timedelta(days=n // 5), abstract=abstract, tags=tags))
    return tuple(papers)


@settings(max_examples=150, deadline=None, database=None)
@given(papers=corpora())
def test_related_papers_follow_the_stated_rule(papers):
    found = related.related_papers(papers)
    assert {slug: tuple(p.slug for p in found_) for slug, found_ in found.items()} == reference(papers)


def test_a_word_in_too_many_papers_points_nowhere():
    common = [Paper(slug=f"p{n}", source="x", title="common ground", added=date(2025, 12, 9),
                    abstract=f"common unique{n}") for n in range(related.MAX_SHARED + 1)]
    assert all(found == () for found in related.related_papers(tuple(common)).values())


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.lists(st.sampled_from(["ab", "cd-ef", "x1", "Q", "-", " ", "  ", ".", "é", "İ", "Σ", "\n", "k9-",
                                      "Lattice", "word-"]), max_size=1500).map("".join))
@example(text="ab " * 500)  # longer than the first read, words to spare
@example(text="x " * 300 + "ab" * 500)  # the 120th word runs past the first read
@example(text="Lattice-kernel " * 70 + "İΣ " * 200)
def test_a_papers_first_words_are_read_as_from_its_whole_abstract(text):
    """paper_words reads only as much of an abstract as its first words need."""
    assert related._first_words(text) == related.WORD.findall(text.lower())[:related.WORDS_READ]


def test_word_weights_above_a_byte_are_kept_whole():
    title = " ".join(["lattice"] * 90)  # a title word counts three times: 270
    found = related.paper_words(Paper(slug="x", source="x.yaml", title=title, added=date(2025, 12, 9),
                                      abstract="Lattice kernels on a lattice."))
    assert dict(zip(*found)) == {"lattice": 272, "kernels": 1}
    small = related.paper_words(Paper(slug="y", source="y.yaml", title="Kernels", added=date(2025, 12, 9),
                                      abstract="Lattice kernels on a lattice."))
    assert type(small[1]) is bytes and dict(zip(*small)) == {"lattice": 2, "kernels": 4}


@settings(max_examples=200, deadline=None, database=None)
@given(title=st.text(max_size=80), abstract=st.text(max_size=400))
def test_a_papers_words_travel_joined_by_spaces(title, abstract):
    """A build's workers send each paper's words as one string joined by spaces
    (pipeline.cached_texts): no word is empty or holds a space, so the split gives them back."""
    words, _ = related.paper_words(Paper(slug="x", source="x.yaml", title=title, added=date(2025, 12, 9),
                                         abstract=abstract))
    joined = " ".join(words)
    assert (tuple(joined.split(" ")) if joined else ()) == words
