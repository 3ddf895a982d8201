"""Fuzzing (issue 8, point 3): random and mutated entries through validate and build.

The only outcomes allowed are a clean build, or problems whose every line reads
`path:line:col: message` — never another exception, a hang, or a partial site
(a failed build leaves the previous site byte for byte; a good one leaves the
complete new site and nothing else). validate and build must agree.

Most examples call the library in-process (generator.content.validate_paths,
generator.build.build_site) for speed; a few go through the real CLI. Every
example runs under a time limit (SIGALRM), so a hang fails instead of blocking.
Examples are random on every run (no example database is written); a failure
prints the example to reproduce it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import signal
import string
import tempfile
import time
from datetime import date
from pathlib import Path

import lxml.html
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import markup
from generator.build import build_site
from generator.content import validate_paths
from generator.errors import BuildFailed
from tests.conftest import paper, run_cli, write_site

TODAY = date(2025, 12, 10)
PROBLEM_LINE = re.compile(r"^(?P<path>[^\n]+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (?P<message>\S[^\n]*)$")
SUMMARY_LINE = re.compile(r"^\d+ papers?, \d+ problems?$")
EXAMPLE_SECONDS = 30  # far above any real build of these tiny sites: only a hang reaches it
NO_SEARCH = {"search": False}  # Pagefind is not what is fuzzed here, and costs a second a build

VALID = {
    "title": "A Valid Paper about $x^2$ and Things",
    "authors": ["Ada Lovelace", "José Núñez"],
    "organization": "Analytical Engines Lab",
    "published": "2025-11-30",
    "added": "2025-12-09",
    "abstract": "We show that $x^2 + y^2 = z^2$.\n\nA *second* paragraph with a [link](https://example.org/).\n",
    "arxiv": "2409.17887",
    "links": {"pdf": "https://arxiv.org/pdf/2409.17887", "code": "https://github.com/example/x"},
    "tags": ["quantization", "math-reasoning"],
    "upvotes": 12,
    "submitted_by": "ada",
    "note": "A note with `code` and **bold**.",
}
KEYS = list(VALID) + ["author_count"]

SETTINGS = dict(deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


@contextlib.contextmanager
def time_limit(seconds: float):
    def fire(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s: a hang")
    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- the previous site every example builds over -----------------------------------------


@pytest.fixture(scope="module")
def previous_site(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A site built from other content: each example's output starts as a copy of it."""
    root = tmp_path_factory.mktemp("previous")
    content = write_site(root, {"2025/old-one": paper(title="Old One", authors=["Old Author"], tags=["quantization"]),
                                "2025/old-two": paper(title="Old Two", added="2025-12-08")}, site=NO_SEARCH)
    build_site(content, root / "site", TODAY, jobs=1)
    return root / "site", snapshot(root / "site")


def assert_problem_lines(problems, content: Path) -> None:
    for problem in problems:
        line = str(problem)
        match = PROBLEM_LINE.match(line)
        assert match, f"not path:line:col: message — {line!r}"
        assert Path(match["path"]).resolve().is_relative_to(content.resolve()), line


def check_build(files: dict[str, bytes], previous_site) -> None:
    """Write `files` (paths under papers/, bytes) beside a good entry, then validate and build
    over a copy of the previous site, and check the only outcomes allowed."""
    previous, before = previous_site
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        content = write_site(root, {"2025/good-entry": paper(title="Good Entry", tags=["quantization"])},
                             site=NO_SEARCH)
        for rel, data in files.items():
            path = content / "papers" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        out = root / "out"
        shutil.copytree(previous, out)
        with time_limit(EXAMPLE_SECONDS):
            checked = validate_paths([content], TODAY)
        assert_problem_lines(checked.problems, content)
        try:
            with time_limit(EXAMPLE_SECONDS):
                result = build_site(content, out, TODAY, jobs=1)
        except BuildFailed as failed:
            assert failed.problems, "a failed build says why"
            assert_problem_lines(failed.problems, content)
            assert sorted(map(str, failed.problems)) == sorted(map(str, checked.problems)), \
                "validate and build disagree"
            assert snapshot(out) == before, "a failed build changed the previous site"
        else:
            assert checked.problems == [], f"build succeeded but validate found: {checked.problems}"
            assert_complete(out, result.papers)
        leftovers = sorted(p.name for p in root.iterdir() if p.name not in (".paperfeed-cache", ".out.build-id"))
        assert leftovers == ["content", "out"], leftovers  # no staging folder, journal or swap left


def assert_complete(out: Path, count: int) -> None:
    """The new site whole: every paper of papers.json has its page, every sitemap URL
    exists, and nothing of the previous site that the new one lacks is left."""
    data = json.loads((out / "papers.json").read_text(encoding="utf-8"))
    assert len(data["papers"]) == count >= 1
    for entry in data["papers"]:
        assert (out / "papers" / entry["slug"] / "index.html").is_file(), entry["slug"]
        assert (out / "papers" / entry["slug"] / "paper.bib").is_file(), entry["slug"]
    for name in ("index.html", "404.html", "atom.xml", "feed.xml", "feed.json", "sitemap.xml", "robots.txt"):
        assert (out / name).is_file(), name
    slugs = {entry["slug"] for entry in data["papers"]}
    assert {p.name for p in (out / "papers").iterdir()} == slugs, "pages of the previous site are left"
    base = data["home_page_url"]
    for loc in re.findall(r"<loc>([^<]*)</loc>", (out / "sitemap.xml").read_text(encoding="utf-8")):
        rel = loc.removeprefix(base)
        assert (out / (rel + "index.html" if rel == "" or rel.endswith("/") else rel)).is_file(), loc


# --- strategies ------------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70), st.floats(allow_nan=True),
    st.text(max_size=40), st.dates().map(str), st.sampled_from(["2025-12-09", "2025-13-45", "TODO", "", "~", "yes"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)
nasty_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60) | st.sampled_from([
    "<script>alert(1)</script>", "{{ 7*7 }}", "\u202eevil", "\x00", "\ufffe", "a\nb", "$\\href{javascript:x}{y}$",
    "[" * 50 + "](", "<a " * 30, "x" * 301, "\\", "---", "\t", "'", '"', "@misc{", "}", "2409.17887",
    "https://example.org/", "javascript:alert(1)", "quantization", "Ann Lee", "ann lee", "José", "José",
])


# Scalars that look like a YAML 1.1 type (or carry its tag); for several of them that type's
# constructor fails with ValueError, KeyError, IndexError... instead of a YAML error.
LOOSE_SCALARS = ["0b_", "0x_", "0o_", "._", "1_000", "-0b_", "+0x_", "1:_", "!!int ''", "!!float ''",
                 "!!bool maybe", "!!float abc", "!!timestamp nope", "!!set [a]", "!!omap {a: 1}",
                 "!!binary '%%'", "!!null abc", "!!str [a]"]
loose_scalars = st.sampled_from(LOOSE_SCALARS) | \
    st.builds(lambda tag, value: f"!!{tag} {json.dumps(value)}",
              st.sampled_from(["int", "float", "bool", "timestamp", "null", "binary", "set", "omap", "pairs"]),
              st.text(alphabet="0123456789xob_.:+-eE abc", max_size=8))


def dump(value) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=None)


@st.composite
def mutated_entries(draw) -> bytes:
    """A valid entry, then one to three mutations of its data or of its text."""
    entry = json.loads(json.dumps(VALID))
    text = None
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        op = draw(st.sampled_from(["delete", "swap", "unicode", "add", "duplicate", "truncate", "insert",
                                   "splice", "nest", "retype"]))
        if text is None and op in ("delete", "swap", "unicode", "add", "nest"):
            key = draw(st.sampled_from(KEYS))
            if op == "delete":
                entry.pop(key, None)
            elif op == "swap":
                entry[key] = draw(values)
            elif op == "unicode":
                entry[key] = draw(nasty_text)
            elif op == "add":
                entry[draw(st.text(min_size=1, max_size=12) | st.sampled_from(["abstact", "Title", "links "]))] = \
                    draw(values)
            elif op == "nest" and isinstance(entry.get(key), (list, dict)) and entry[key]:
                inner = entry[key]
                slot = draw(st.sampled_from(list(inner) if isinstance(inner, dict) else list(range(len(inner)))))
                inner[slot] = draw(values | nasty_text)
            continue
        if text is None:
            text = dump(entry)
        if op == "duplicate":
            key = draw(st.sampled_from(KEYS))
            text += f"{key}: {json.dumps(VALID.get(key, 1), ensure_ascii=False)}\n"
        elif op == "truncate":
            text = text[: draw(st.integers(min_value=0, max_value=len(text)))]
        elif op in ("insert", "splice"):
            at = draw(st.integers(min_value=0, max_value=len(text)))
            end = at if op == "insert" else draw(st.integers(min_value=at, max_value=min(len(text), at + 20)))
            piece = draw(nasty_text | st.sampled_from([":", "- ", "\n  ", "{", "[", "&a", "*a", "!!binary", "? ",
                                                       "---\n", "%YAML 1.1\n", "|", ">"]))
            text = text[:at] + piece + text[end:]
        elif op == "retype":  # a value PyYAML's resolver or a tag claims, which its constructor may not build
            key = draw(st.sampled_from(KEYS))
            text += f"{key}: {draw(loose_scalars)}\n"
        else:  # a data mutation after the text was made: mutate the text instead
            text += draw(st.sampled_from(["\n", "x: 1\n", "title: again\n", "\t\n", "\ufeff"]))
    return (text if text is not None else dump(entry)).encode("utf-8")


random_documents = st.one_of(
    st.text(max_size=300).map(lambda s: s.encode("utf-8")),
    values.map(lambda v: dump(v).encode("utf-8")),
    st.binary(max_size=200),
    st.dictionaries(st.sampled_from(KEYS), values, max_size=len(KEYS)).map(lambda d: dump(d).encode("utf-8")),
)
file_names = st.one_of(
    st.just("2025/fuzzed"),
    st.from_regex(r"\A(19|20)\d\d/[a-z0-9-]{1,85}\Z", fullmatch=True),
    st.text(alphabet=string.ascii_letters + string.digits + "-_. äé漢", min_size=1, max_size=20).map(
        lambda s: "2025/" + (s if s.strip(".") else "x")),
)


# --- the properties -----------------------------------------------------------------------


@settings(max_examples=30, **SETTINGS)
@given(document=random_documents)
def test_random_documents_give_a_site_or_positioned_problems(previous_site, document):
    check_build({"2025/fuzzed.yaml": document}, previous_site)


@settings(max_examples=70, **SETTINGS)
@given(document=mutated_entries(), name=file_names)
def test_mutated_entries_give_a_site_or_positioned_problems(previous_site, document, name):
    check_build({f"{name}.yaml": document}, previous_site)


@pytest.mark.parametrize("scalar", LOOSE_SCALARS)
def test_values_yaml_cannot_build_give_positioned_problems(previous_site, scalar):
    """Seeds for the property above: `0b_`, `0x_`, `!!int ''`, `!!float ''`, `!!float abc`,
    `!!bool maybe`, `!!timestamp nope` and `!!set [a]` each gave a traceback before."""
    text = dump({key: value for key, value in VALID.items() if key != "note"}) + f"note: {scalar}\n"
    check_build({"2025/loose.yaml": text.encode("utf-8")}, previous_site)


def alias_bomb() -> str:
    """Nine lists of nine aliases of the list before, eleven times: 9**12 items if expanded."""
    lines = [dump({key: value for key, value in VALID.items() if key not in ("tags", "note")}).rstrip("\n"),
             "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    lines += ["tags: [" + ", ".join(["*a11"] * 9) + "]", "note: [" + ", ".join(["*a11"] * 9) + "]"]
    return "\n".join(lines) + "\n"


HOSTILE_DOCUMENTS = {  # shapes that crash or exhaust naive YAML handling (libyaml's composer recurses in C)
    "deep flow lists": "note: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep flow mappings": "{a: " * 100_000 + "x" + "}" * 100_000 + "\n",
    "deep block lists": "- " * 100_000 + "x\n",
    "deep explicit keys": "? " * 100_000 + "x\n",
    "deep indented lists": "note:\n" + "".join(" " * i + "-\n" for i in range(0, 4000, 2)),
    "nested just legally deep": "note: " + "[" * 99 + "]" * 99 + "\n",
    "alias bomb": alias_bomb(),
    "list holding itself and a bad value": "note: &a [[*a], [*a, !!bool maybe], !!int '']\n",
}


@pytest.mark.parametrize("name", HOSTILE_DOCUMENTS)
def test_hostile_yaml_shapes_give_positioned_problems(previous_site, name):
    check_build({"2025/hostile.yaml": HOSTILE_DOCUMENTS[name].encode("utf-8")}, previous_site)


@settings(max_examples=15, **SETTINGS)
@given(first=mutated_entries(), second=mutated_entries())
def test_two_mutated_entries_together(previous_site, first, second):
    """Cross-entry rules (duplicate arXiv ids, look-alike names) with broken neighbours."""
    check_build({"2025/first.yaml": first, "2025/second.yaml": second}, previous_site)


@settings(max_examples=3, **SETTINGS)
@given(document=mutated_entries() | random_documents)
def test_through_the_cli_every_line_is_a_problem_or_the_summary(tmp_path, document):
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        content = write_site(Path(tmp), {"2025/good-entry": paper(title="Good Entry")})
        (content / "papers" / "2025" / "fuzzed.yaml").write_bytes(document)
        result = run_cli("validate", str(content))
        assert result.returncode in (0, 1), result.stderr
        assert "Traceback" not in result.stderr
        lines = result.stdout.splitlines() + result.stderr.splitlines()
        assert SUMMARY_LINE.match(lines[-1]), lines
        for line in lines[:-1]:
            assert PROBLEM_LINE.match(line), line
        built = run_cli("build", "--content", str(content), "--output", str(Path(tmp) / "out"))
        assert built.returncode == result.returncode, built.stderr
        assert "Traceback" not in built.stderr
        if built.returncode:
            *problems, last = built.stderr.splitlines()
            assert last.startswith("build failed:") and problems
            assert all(PROBLEM_LINE.match(line) for line in problems), problems
            assert not (Path(tmp) / "out").exists()


# --- markup: any text renders, fast, and safe --------------------------------------------

markdown_soup = st.text(alphabet="$\\{}`'~-*_[]()<>!#:/= \n\tax1&;|\"ée", max_size=400)


@settings(max_examples=150, **SETTINGS)
@given(text=markdown_soup | st.text(max_size=200) | nasty_text)
def test_markup_renders_any_text_without_raising(text):
    with time_limit(10):
        html = markup.render_block(text)
        inline = markup.render_inline(text)
        plain = markup.plain_text(text)
        markup.plain_text(text, markdown=False)
        short = markup.excerpt(text)
    for fragment in (html, inline):
        if fragment.strip():
            root = lxml.html.fragment_fromstring(fragment, create_parent="div")
            for el in root.iter():
                if isinstance(el.tag, str):
                    assert el.tag.rsplit("}", 1)[-1] not in ("script", "style", "iframe", "svg", "img"), fragment
                    for name, value in el.attrib.items():
                        assert not name.lower().startswith("on") and name != "style", fragment
                        if name == "href":
                            assert re.match(r"(https?|mailto):|[^:]*$", value.strip(), re.I), fragment
    assert "\n" not in plain and len(short) <= 280



@settings(max_examples=300, **SETTINGS)
@given(text=markdown_soup | st.text(max_size=200) | nasty_text)
def test_block_and_text_at_once_are_each_alone(text):
    """A build reads an abstract once for its HTML and its plain text (render_block_and_text):
    exactly what render_block and plain_text give, and `as_written` only where the plain text
    is the source's words."""
    both = markup.render_block_and_text(text)
    assert (both.html, both.text) == (markup.render_block(text), markup.plain_text(text))
    if both.as_written:
        assert both.text == " ".join(text.split())


@settings(max_examples=500, **SETTINGS)
@given(text=st.text(alphabet=" \n\t\r\x0b\x0c\x1c\x1fab.\u00a0\u2003é", max_size=30))
def test_whitespace_is_collapsed_as_str_split_does(text):
    """Plain text collapses whitespace as " ".join(text.split()), keeping the no-break spaces
    that ~ made (the ASCII shortcut of markup._collapsed must agree)."""
    expected = " ".join(text.replace("\u00a0", "\ue000").split()).replace("\ue000", "\u00a0")
    assert markup._collapsed(text) == expected

PATHOLOGICAL = {
    "unclosed brackets": "[" * 10000 + "](" * 5000,
    "deep brackets": "[" * 10000 + "]" * 9999 + "(",
    "unclosed start tags": "<a " * 6600,
    "unclosed math tags": "<mi " * 5000,
    "deep ordered lists": "1. " * 6600,
    "deep quotes": "> " * 10000,
    "unclosed attribute quotes": '<a title="' * 2000,
    "autolinks": "<http://a" * 2200,
    "formula nesting": "$" + "{" * 9000 + "x" + "}" * 9000 + "$",
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_abstracts_render_in_bounded_time(name):
    """Shapes that made Python-Markdown or the HTML parser under it take minutes (or
    recurse too deep): an abstract of 20,000 characters must stay a matter of seconds."""
    text = PATHOLOGICAL[name][:20_000]
    started = time.perf_counter()
    with time_limit(20):
        html = markup.render_block(text)
        markup.excerpt(text)
        markup.plain_text(text)
    assert time.perf_counter() - started < 8, name
    assert "<script" not in html
