"""Related papers, computed at build time: shared tags and distinctive words.

Each paper keeps its most distinctive words (by inverse document frequency);
papers sharing those words or tags are candidates, scored and cut to the best
few. Posting lists of very common words are skipped, so the cost grows
roughly linearly with the number of papers, not with its square.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

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
KEYWORDS_PER_PAPER = 12
WORDS_READ = 160  # title + the abstract's first words are enough to say what it is about
TAG_WEIGHT = 2.0


def _words(paper: Paper) -> Counter:
    title = WORD.findall(paper.title.lower())
    body = WORD.findall(paper.abstract.lower())[:WORDS_READ]
    counts = Counter(w for w in body if w not in STOPWORDS and len(w) > 2)
    for word in title:  # a title word says more than an abstract word
        if word not in STOPWORDS and len(word) > 2:
            counts[word] += 3
    return counts


def related_papers(papers: tuple[Paper, ...], limit: int = 5) -> dict[str, tuple[Paper, ...]]:
    """slug → up to `limit` related papers, best first; deterministic."""
    n = len(papers)
    if n < 2:
        return {p.slug: () for p in papers}
    counts = [_words(p) for p in papers]
    frequency: Counter = Counter()
    for words in counts:
        frequency.update(words.keys())
    common = max(50, n // 20)  # words in more papers than this are not distinctive
    idf = {w: math.log(n / f) for w, f in frequency.items() if 1 < f <= common}
    keywords: list[dict[str, float]] = []
    postings: dict[str, list[int]] = defaultdict(list)
    for index, words in enumerate(counts):
        scored = sorted(((tf * idf[w], w) for w, tf in words.items() if w in idf), reverse=True)
        chosen = {w: s for s, w in scored[:KEYWORDS_PER_PAPER]}
        keywords.append(chosen)
        for word in chosen:
            postings[word].append(index)
    tag_postings: dict[str, list[int]] = defaultdict(list)
    for index, paper in enumerate(papers):
        for tag in paper.tags:
            tag_postings[tag].append(index)
    result = {}
    for index, paper in enumerate(papers):
        scores: dict[int, float] = defaultdict(float)
        for word in keywords[index]:
            weight = idf[word]
            for other in postings[word]:
                scores[other] += weight
        for tag in paper.tags:
            members = tag_postings[tag]
            # A huge tag says little; only let it add candidates while it is small.
            for other in (members if len(members) <= common else ()):
                scores[other] += TAG_WEIGHT
            if len(members) > common:
                for other in list(scores):
                    if tag in papers[other].tags:
                        scores[other] += TAG_WEIGHT
        scores.pop(index, None)
        best = sorted(scores.items(), key=lambda item: (-round(item[1], 9), papers[item[0]].sort_key))
        result[paper.slug] = tuple(papers[i] for i, _ in best[:limit])
    return result
