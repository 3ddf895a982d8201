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


def slug_for(text: str, max_length: int = MAX_SLUG) -> str:
    """The slug of a title or name; "" when nothing sluggable is left."""
    return slugify(text, max_length=max_length, word_boundary=True, save_order=True)
