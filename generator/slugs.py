"""Readable ASCII slugs for titles, authors, organizations.

One home for the slug rule so the seed content, `paperfeed new` and the author
pages all agree. python-slugify transliterates (e.g. "Müller" -> "muller",
"北京" -> "bei-jing") so addresses stay readable ASCII.
"""

from __future__ import annotations

import re

from slugify import slugify

PAPER_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
MAX_SLUG = 80
# Explicit bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) make text
# display as something else ("Trojan Source": a name that reads "Alice" but is "ecilA", a title
# that hides its end) and leak into the text around them. Browsers order Arabic and Hebrew
# correctly without them, so entries drop them on reading: no output ever holds one.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def without_bidi_controls(text: str) -> str:
    return BIDI_CONTROLS.sub("", text) if BIDI_CONTROLS.search(text) else text


def slug_for(text: str, max_length: int = MAX_SLUG) -> str:
    """The slug of a title or name; "" when nothing sluggable is left."""
    # One transliterator, named: left to choose ("auto"), python-slugify prefers `unidecode`
    # when that happens to be installed — other addresses on another machine — and looks
    # for it again on every call (a failed import search: 100 µs a name).
    return slugify(text, max_length=max_length, word_boundary=True, save_order=True, backend="text-unidecode")
