"""What the default theme's faster templates rely on, checked on a built site: `url()` asked
once and written before each path (`{{ root }}{{ tag.url }}`) escapes a base path with
special characters as `url(path)` did; list separators written without `loop`; dates
printed without calls (ISO dates, and strftime("%Y/%m/%d")'s year/month/day)."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import paper, run_cli, write_site

ODD_BASE = "https://example.org/a&b'c/"  # a legal base URL whose path HTML must escape
PAPERS = {
    "2025/twice-listed": paper(title="Twice Listed", added="2025-12-09", published="0999-01-02",
                               authors=["Ada Lovelace", "Bob Stone", "Ada Lovelace"], tags=["quantization"],
                               arxiv="2409.17887", upvotes=3),
    "2025/one-author": paper(title="One Author", added="2025-12-08", authors=["Bob Stone"],
                             tags=["quantization", "math-reasoning"]),
    "2025/no-authors": paper(title="No Authors", added="2025-12-08", organization="Analytical Engines Ltd",
                             author_count=1),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("odd-base")
    content = write_site(root, PAPERS, site={"base_url": ODD_BASE, "search": False})
    out = root / "site"
    run_cli("build", "--content", str(content), "--output", str(out), check=True)
    return out


def pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_every_internal_link_starts_with_the_escaped_base_path(site):
    checked = 0
    for path in pages(site):
        raw = path.read_text(encoding="utf-8")
        assert "/a&b'c/" not in raw, f"{path}: the base path is written unescaped"
        doc = lxml.html.fromstring(raw)
        for el in doc.iter():
            for attr in ("href", "src", "action"):
                link = el.get(attr)
                if link is None or link.startswith(("#", "http", "mailto:")):
                    continue
                checked += 1
                assert link.startswith("/a&b'c/"), f"{path.relative_to(site)}: {attr}={link!r}"
        canonical = doc.xpath("//link[@rel='canonical']/@href")
        if canonical:
            assert canonical[0].startswith(ODD_BASE), (path, canonical)
    assert checked > 100


def test_a_name_listed_twice_gets_its_comma_each_time(site):
    doc = lxml.html.fromstring((site / "papers" / "twice-listed" / "index.html").read_bytes())
    authors = doc.xpath("//p[@class='authors']")[0]
    assert " ".join(authors.text_content().split()) == "Ada Lovelace, Bob Stone, Ada Lovelace"
    assert len(authors.xpath("a")) == 3


def test_dates_print_as_iso_and_citation_dates_as_strftime_wrote_them(site):
    raw = (site / "papers" / "twice-listed" / "index.html").read_text(encoding="utf-8")
    # strftime("%Y/%m/%d") writes the year without padding (glibc), and so does the theme
    assert '<meta name="citation_publication_date" content="999/01/02">' in raw
    assert '<meta name="citation_online_date" content="2025/12/09">' in raw
    assert '<meta property="article:published_time" content="0999-01-02">' in raw
    assert '<time datetime="0999-01-02">' in raw
    assert 'data-pagefind-meta="date:2025-12-09"' in raw


def test_listing_separators_come_between_links_only(site):
    day = (site / "days" / "2025-12-09" / "index.html").read_text(encoding="utf-8")
    see_also = re.search(r'<p class="see-also">(.*?)</p>', day).group(1)
    assert re.fullmatch(r'See also <a href="[^"]+">[^<]+</a> and <a href="[^"]+">[^<]+</a>, by upvotes\.', see_also)
    tag = (site / "tags" / "quantization" / "index.html").read_text(encoding="utf-8")
    follow = re.search(r'<p class="subscribe">(.*?)</p>', tag).group(1)
    assert re.fullmatch(r'Follow: <a href="[^"]+" type="application/atom\+xml">Atom</a>, '
                        r'<a href="[^"]+" type="application/rss\+xml">RSS</a>', follow)
    feeds = (site / "feeds" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<p>(<a .*?)</p>", feeds)
    assert rows and all(row.count(" · ") == row.count("<a ") - 1 for row in rows)


class _Html:
    def __html__(self) -> str:
        return "<b>as its own HTML</b>"


@pytest.mark.parametrize("value", ["<a href='x'>&\"</a>", "plain", "", 12, 1.5, None, True,
                                   __import__("markupsafe").Markup("<i>safe</i>"), _Html(), ["<", ">"]])
def test_values_written_by_the_theme_environment_are_escaped_as_markupsafe_escapes(value):
    """The theme environment compiles `{{ value }}` to its own escape_output (text, not a Markup
    per value): it must write what Jinja's escape writes, in macros and blocks too."""
    import jinja2
    import markupsafe

    from generator.theme import Theme, make_environment

    env = make_environment(Theme("none", (), ()))
    source = ("{{ v }}|{% macro m(x) %}{{ x }}{% endmacro %}{{ m(v) }}|{% set b %}{{ v }}{% endset %}{{ b }}"
              "|{% for x in [v] %}{{ x }}{% endfor %}")
    assert "escape_output(" in env.compile(source, raw=True)  # the faster path is the one taken
    expected = jinja2.Environment(autoescape=True).from_string(source).render(v=value)
    assert env.from_string(source).render(v=value) == expected
    assert expected.startswith(str(markupsafe.escape(value)) + "|")


def test_an_undefined_value_still_fails_the_page():
    import jinja2

    from generator.theme import Theme, make_environment

    with pytest.raises(jinja2.UndefinedError):
        make_environment(Theme("none", (), ())).from_string("<p>{{ missing }}</p>").render()



class _CallableWithContext:
    @__import__("jinja2").pass_context
    def __call__(self, context, x):
        return f"object {context['name']} {x}"


def _stops():
    raise StopIteration


def test_calls_in_the_theme_environment_give_what_jinja_gives():
    """The theme environment calls plain functions, methods and macros at once (theme._Context),
    and leaves pass_context & co. to Jinja: every kind of call writes what Jinja writes."""
    import jinja2

    from generator.theme import Theme, make_environment

    source = ("{% macro m(x) %}[{{ x }}]{% endmacro %}{{ plain(1) }} {{ m(2) }} {{ name.upper() }} "
              "{{ ctx(3) }} {{ env_(4) }} {{ evalctx(5) }} {{ obj(6) }} {{ stops() is undefined }} "
              "{% for i in [7] %}{{ plain(i) }}{{ m(i) }}{{ ctx(i) }}{% set j = i %}{{ plain(j) }}{% endfor %}"
              "{% block b %}{{ plain(8) }}{{ ctx(8) }}{% endblock %}")
    values = dict(
        name="ada", plain=lambda x: f"plain {x}", stops=_stops, obj=_CallableWithContext(),
        ctx=jinja2.pass_context(lambda context, x: f"ctx {context['name']} {x}"),
        env_=jinja2.pass_environment(lambda environment, x: f"env {environment.autoescape} {x}"),
        evalctx=jinja2.pass_eval_context(lambda eval_ctx, x: f"eval {eval_ctx.autoescape} {x}"))
    env = make_environment(Theme("none", (), ()))
    reference = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                   lstrip_blocks=True, keep_trailing_newline=True)
    expected = reference.from_string(source).render(**values)
    assert "plain 1 [2] ADA ctx ada 3 env True 4 eval True 5 object ada 6 True plain 7[7]ctx ada 7" in expected
    assert env.from_string(source).render(**values) == expected


def test_plain_calls_in_the_theme_environment_skip_jinjas_checks(monkeypatch):
    import jinja2

    from generator.theme import Theme, make_environment

    def refuse(*args, **kwargs):
        raise AssertionError("Jinja's Context.call was used")

    monkeypatch.setattr(jinja2.runtime.Context, "call", refuse)
    template = make_environment(Theme("none", (), ())).from_string(
        "{% macro m(x) %}{{ x }}{% endmacro %}{% for i in [1] %}{{ f(i) }}{{ m(i) }}{% endfor %}")
    assert template.render(f=lambda x: x + 1) == "21"


def test_templates_see_the_environments_globals_as_they_are():
    """The theme environment gives a template the environment's globals dict itself (no ChainMap
    copied per render): a global set after loading is seen, and a template's own globals
    still overlay them without changing the environment's."""
    import jinja2

    from generator.theme import Theme, make_environment

    env = make_environment(Theme("none", (), ()))
    env.loader = jinja2.DictLoader({"page.html": "{{ site_name }} {{ greet('x') }}"})
    template = env.get_template("page.html")
    env.globals.update(site_name="Papers", greet=lambda name: f"hi {name}")  # as Renderer does, later
    assert template.render() == "Papers hi x"
    assert template.globals is env.globals
    own = env.from_string("{{ site_name }}", globals={"site_name": "Own"})
    assert own.render() == "Own" and env.globals["site_name"] == "Papers"

@settings(max_examples=300, deadline=None, database=None)
@given(base=st.binary(max_size=40), card=st.binary(max_size=40))
def test_a_card_kept_as_its_difference_from_another_is_rebuilt_exactly(base, card):
    """Related-list cards are kept as their difference from the listing card of the same paper."""
    from generator.render import patch_of, patched

    patch = patch_of(base, card)
    assert patched(base, patch) == card
    assert patch[0] + patch[2] <= min(len(base), len(card))  # the common start and end do not overlap
