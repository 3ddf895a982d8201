"""paperfeed: a static site generator for a curated feed of research papers."""

__version__ = "0.1.0"
