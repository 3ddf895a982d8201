"""Feed items are written as text (`feeds._item_xml`) in exactly the bytes feedgen and lxml
write (`feeds._feedgen_item_xml`, the reference): on real and hostile entries, on every odd
character in every field, and failing the same way on what XML cannot hold."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from conftest import REPO
from generator.content import load_valid_content
from generator.feeds import Item, _feedgen_item_xml, _item_xml, digest_item, paper_item
from generator.index import build_index
from generator.views import paper_views

WHEN = datetime(2025, 12, 9, tzinfo=timezone.utc)
ODD = ["plain", "a & b < c > d", 'quotes " and \' ', "tab\there", "line\nbreak", "cr\rhere", "crlf\r\nend",
       "]]> and <![CDATA[", "é ü 北京 😀", "\u2028\u2029\u00a0\u0085\u200b", "&amp; &lt;b&gt; already escaped",
       '<p><a href="https://x.org/?a=1&amp;b=2">html</a></p>', " leading and trailing ", "\t\n\r"]
FIELDS = ("id", "url", "title", "summary", "content_html", "authors", "tags")


def item(**changes) -> Item:
    fields = dict(id="tag:x.org,2025:papers/a", url="https://x.org/papers/a/", title="A title", date=WHEN,
                  summary="The first lines.", content_html="<p>The first lines.</p>", authors=("Ada", "José"),
                  tags=("quantization", "math"), external_url=None)
    return Item(**{**fields, **changes})


def outcome(made):
    """What making an item gives: its bytes, or its error (type and message)."""
    try:
        return made()
    except Exception as exc:  # noqa: BLE001 - the same failure is what is compared
        return type(exc), str(exc)


def assert_same(it: Item) -> None:
    assert outcome(lambda: _item_xml(it)) == outcome(lambda: _feedgen_item_xml(it)), it


@pytest.mark.parametrize("text", ODD)
@pytest.mark.parametrize("field", FIELDS)
def test_odd_text_in_any_field_gives_feedgens_bytes(field, text):
    value = (text, "Second " + text) if field in ("authors", "tags") else text
    assert_same(item(**{field: value}))


@pytest.mark.parametrize("changes", [
    {"title": ""}, {"summary": ""}, {"content_html": ""}, {"authors": ()}, {"tags": ()},
    {"authors": ("",)}, {"authors": ("Ada", "")}, {"tags": ("",)}, {"authors": (), "tags": ()},
    {"date": datetime(999, 1, 2, tzinfo=timezone.utc)}, {"date": datetime(9999, 12, 31, tzinfo=timezone.utc)},
    {"external_url": "https://arxiv.org/abs/2409.17887"},
])
def test_empty_fields_and_edge_dates_give_feedgens_bytes(changes):
    assert_same(item(**changes))


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff", "\ud800"])
@pytest.mark.parametrize("field", FIELDS)
def test_characters_xml_cannot_hold_fail_as_in_feedgen(field, bad):
    value = ("Ada" + bad,) if field in ("authors", "tags") else "text" + bad
    fast, reference = outcome(lambda: _item_xml(item(**{field: value}))), outcome(
        lambda: _feedgen_item_xml(item(**{field: value})))
    assert isinstance(reference, tuple) and isinstance(reference[0], type), reference  # feedgen refuses it
    assert fast == reference


@pytest.mark.parametrize("content", [REPO / "content", REPO / "tests" / "data" / "hostile" / "content"],
                         ids=["seed", "hostile"])
def test_every_item_of_real_and_hostile_sites_gives_feedgens_bytes(content):
    site, loaded = load_valid_content(content, date(2026, 1, 15))
    index = build_index(loaded.papers, loaded.tags)
    views = paper_views(site, index)
    items = [paper_item(site, view, brief) for view in views.values() for brief in (False, True)]
    items += [digest_item(site, day, views) for day in index.days]
    assert items
    for it in items:
        assert _item_xml(it) == _feedgen_item_xml(it), it.id
