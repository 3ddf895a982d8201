"""Related papers, computed at build time: shared distinctive words and tags.

Each paper keeps its most distinctive words (rarest in this collection).
Papers that share those words are candidates: one point per shared word,
two per shared tag. Words shared by too many papers are not followed, so
the cost grows with the number of papers, not its square; a paper with too
few candidates is topped up with its tags' nearest papers in listing order.
Integer scores and listing-order tie-breaks keep the result deterministic.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from itertools import chain

from generator.models import Paper

WORD = re.compile(r"[a-z][a-z0-9]+(?:-[a-z0-9]+)*")
STOPWORDS = frozenset("""
a about above across after again against all also an and any are as at be because been before
being between both but by can could did do does doing during each few for from further had has
have having here how however if in into is it its itself just may more most much must new no
nor not novel of off on once only or other our out over own paper propose proposed same she
should show shows so some such than that the their them then there these they this those
through to too under until up using very via was we were what when where which while who whom
why will with within without would yet you your approach method methods results based model
models performance work task tasks use used existing state art significantly demonstrate
""".split())
KEYWORDS_PER_PAPER = 10
WORDS_READ = 120  # the title and the abstract's first words say what a paper is about
MAX_SHARED = 48  # a word in more papers than this is too common to point anywhere
TAG_POINTS = 2


# A paper's words and their weights, side by side: a build cache keeps one per paper, and
# tuples read back from it without hashing a word (a dict per paper hashed 400k at 10k).
# The weights are bytes (a tuple only for a count above 255): 80 bytes, not 700.
Words = tuple[tuple[str, ...], bytes | tuple[int, ...]]


def paper_words(paper: Paper) -> Words:
    """Each word and its weight: how often it opens the abstract, title words counting three times."""
    counts: Counter = Counter(_first_words(paper.abstract))
    for word in WORD.findall(paper.title.lower()):
        counts[word] += 3
    kept = [w for w in counts if len(w) > 2 and w not in STOPWORDS]
    weights = [counts[w] for w in kept]
    return tuple(kept), (bytes(weights) if max(weights, default=0) < 256 else tuple(weights))


def _first_words(text: str) -> list[str]:
    """WORD.findall(text.lower())[:WORDS_READ], reading no further than that needs: a match
    cut short where the text is cut can only be the last one, so once more than WORDS_READ
    are found, the first WORDS_READ are those of the whole text."""
    size = WORDS_READ * 8  # characters: most abstracts' first words fit
    while True:
        found = WORD.findall(text[:size].lower())
        if len(found) > WORDS_READ or size >= len(text):
            return found[:WORDS_READ]
        size *= 2


def related_papers(papers: tuple[Paper, ...], limit: int = 5, words: list[Words] | None = None,
                   frequency: Mapping[str, int] | None = None) -> dict[str, tuple[Paper, ...]]:
    """slug → up to `limit` related papers, best first. `papers` in listing order;
    `words[i]` (from `paper_words`) when the caller has them cached, and `frequency`, how
    many of the papers have each word (word_frequency), when it keeps that too."""
    words = words if words is not None else [paper_words(p) for p in papers]
    frequency = frequency if frequency is not None else word_frequency(words)
    followed = {w for w, count in frequency.items() if 1 < count <= MAX_SHARED}
    postings: dict[str, list[int]] = defaultdict(list)
    keywords: list[list[str]] = []
    for index, (ws, weights) in enumerate(words):
        shared = followed.intersection(ws)  # in no order: the sort below decides, ties by the word
        chosen: list[str] = []
        if shared:
            weight = dict(zip(ws, weights))
            # tf·idf, kept exact with integers: weight / frequency, compared by cross-multiplying
            chosen = sorted(shared, key=lambda w: (-weight[w] * 1000 // frequency[w], w))[:KEYWORDS_PER_PAPER]
        keywords.append(chosen)
        for word in chosen:
            postings[word].append(index)
    by_tag: dict[str, list[int]] = defaultdict(list)
    for index, paper in enumerate(papers):
        for tag in paper.tags:
            by_tag[tag].append(index)
    position = {tag: {i: n for n, i in enumerate(members)} for tag, members in by_tag.items()}
    bit = {tag: 1 << n for n, tag in enumerate(sorted(by_tag))}
    tag_mask = [sum(bit[t] for t in set(p.tags)) for p in papers]
    result = {}
    for index, paper in enumerate(papers):
        scores: Counter = Counter()
        for word in keywords[index]:
            scores.update(postings[word])  # C speed: one point per shared word
        mine = tag_mask[index]
        if mine:
            for other in list(scores):
                scores[other] += TAG_POINTS * (mine & tag_mask[other]).bit_count()
        scores.pop(index, None)
        best = heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))
        chosen = [i for i, _ in best]
        if len(chosen) < limit:
            chosen += _tag_neighbours(index, paper, by_tag, position, set(chosen), limit - len(chosen))
        result[paper.slug] = tuple(papers[i] for i in chosen)
    return result


def word_frequency(words: Iterable[Words]) -> dict[str, int]:
    """How many papers have each word (a paper's words are distinct), counted at C speed."""
    return dict(Counter(chain.from_iterable(ws for ws, _ in words)))


def _tag_neighbours(index: int, paper: Paper, by_tag: dict, position: dict, taken: set, wanted: int) -> list[int]:
    """The papers listed nearest to this one under its tags (newest first)."""
    found: list[int] = []
    for tag in paper.tags:
        members, here = by_tag[tag], position[tag][index]
        for step in range(1, len(members)):
            for n in (here - step, here + step):
                if 0 <= n < len(members) and members[n] != index and members[n] not in taken:
                    taken.add(members[n])
                    found.append(members[n])
                    if len(found) == wanted:
                        return found
            if step > wanted * 2:
                break
    return found
