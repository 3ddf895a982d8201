"""Reading YAML the fast ways gives exactly what PyYAML gives (generator/sources.py).

`parse_yaml` reads an entry in the usual shape without libyaml, builds other documents
straight from libyaml's nodes instead of through PyYAML's generic constructor, and resolves
tags with a faster resolver. Each way is tested against plain `yaml.load` with StrictLoader
and PyYAML's own resolver: same values (with the same types), same errors. So are the
empty-file check and `shown_path` against the simple versions they replace.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import config, sources
from generator.slugs import BIDI_CONTROLS
from generator.sources import StrictLoader, parse_yaml, shown_path
from tests.conftest import strings_in

SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow,
                                                                     HealthCheck.function_scoped_fixture])


class ReferenceLoader(StrictLoader):
    """StrictLoader with PyYAML's own resolver: the loader the fast paths must agree with."""

    resolve = yaml.resolver.BaseResolver.resolve
    descend_resolver = yaml.resolver.BaseResolver.descend_resolver
    ascend_resolver = yaml.resolver.BaseResolver.ascend_resolver


def typed(value):
    """`value` with every type spelled out (True == 1 and 1 == 1.0 in Python; not here)."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return (type(value).__name__, [typed(v) for v in items])
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, value)


def outcome(read, text: str):
    try:
        return "value", typed(read(text))
    except RecursionError:
        return "recursion", None
    except yaml.constructor.ConstructorError as exc:
        if str(exc).startswith(UNBUILDABLE):
            return "unbuildable", None
        return type(exc).__name__, str(exc)
    except yaml.YAMLError as exc:
        return type(exc).__name__, str(exc)
    except Exception:  # noqa: BLE001 - PyYAML's constructors fail with ValueError, KeyError... on some values
        return "unbuildable", None


def reference(text: str):
    return yaml.load(text, Loader=ReferenceLoader)


# parse_yaml turns the plain exceptions PyYAML's constructors raise into a marked error
UNBUILDABLE = "cannot read"


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 1 + max(map(depth, value), default=0) if isinstance(value, list) else 0


def assert_same_reading(text: str) -> None:
    read, expected = outcome(parse_yaml, text), outcome(reference, text)
    if read[0] == "ComposerError" and "levels deep" in read[1]:  # refused before libyaml's composer crashes
        if expected[0] == "value":
            assert depth(reference(text)) > sources.MAX_DEPTH, repr(text)
        else:  # PyYAML runs out of stack, or finds a syntax error after the depth was passed
            assert expected[0] in ("recursion", "ParserError", "ScannerError"), (repr(text), expected)
        return
    assert read == expected, repr(text)
    try:
        parse_yaml(text)
    except (yaml.YAMLError, RecursionError):
        pass  # load_yaml reports both with the file's name
    usual = sources._usual_mapping(text)
    if usual is not None:  # the usual-shape reader only ever answers for what libyaml reads the same
        assert outcome(reference, text) == ("value", typed(usual)), repr(text)
        assert not sources._only_comments(text)  # load_yaml skips the empty-file check for it
        for piece in strings_in(usual):  # what Loaded.plain promises
            assert not config._FORBIDDEN_CHARS.search(piece) and not BIDI_CONTROLS.search(piece), repr(text)


ENTRY = """\
# yaml-language-server: $schema=../../paper.schema.json
title: "A \\"quoted\\" Title with $\\\\alpha$ and é"
authors: ["Ada Lovelace", "José Núñez"]
author_count: 2
organization: 'Analytical Engines'
published: 2025-11-30
added: 2025-12-09
abstract: |
  First paragraph with $x^2$ and 3\\% of it.

     indented more.
  Last line.

arxiv: "2409.17887"
links:
  pdf: https://arxiv.org/pdf/2409.17887
  code: https://github.com/example/x
tags: [quantization, math-reasoning]
upvotes: 12
submitted_by: ada
note:
"""

TRICKY = [
    ENTRY, ENTRY.replace("\n", "\r\n"), ENTRY.rstrip("\n"), ENTRY.replace("  ", "\t", 1), ENTRY + "title: again\n",
    "a: 1\nb:\n- x\n- 'y'\n-  z\n", "a:\n  - x\n  - y\n", "a:\n- x\n  y\n", "a:\n- \n", "a:\n  b: c\n  d: [e, f]\n",
    "a:\n  b: c\n d: e\n", "a:\n  b: |\n    x\n", "a: |\n\n  x\n", "a: |\n   x\n  y\n", "a: |\n  x\n   \n  y\n    \n\n",
    "a: |\n  x\n # c\n", "a: |\n  x\n# c\n  y\n", "a: |-\n  x\n", "a: >\n  x\n  y\n", "a: x\n  y\n", "a: x\n\n  y\n",
    "a: 'it''s'\n", 'a: "\\x41\\u00e9\\N\\0"\n', 'a: "a\\\\"\n', 'a: "a" # c\n', "a: b # c\n", "a: b#c\n", "a: b: c\n",
    "a: [a, b, ]\n", 'a: ["a","b"]\n', 'a: ["]\n', "a: [yes, no]\n", "a: [1, 2.5]\n", "a: []\n", "a: [ ]\n",
    "1: a\n'1': b\n", "01: a\n1: b\n", "true: a\nyes: b\n", "null: a\n~: b\n", "y: n\nn: y\n", "on: off\n",
    "a: 0b_\n", "a: ._\n", "a: 0x_\n", "a: 1_000\n", "a: 007\n", "a: 1:30\n", "a: .inf\n", "a: -.NaN\n", "a: +1\n",
    "a: 2025-13-45\n", "a: 2025-01-01T10:00:00Z\n", "a: !!timestamp 2025-01-01\n", "a: !!binary aGk=\n",
    "a: !!int x\n", "a: !!int ''\n", "a: !!bool maybe\n", "a: !!float x\n", "a: !!str 12\n", "a: !!null x\n",
    "a: !foo x\n", "a: ! 12\n", "a: !!python/object:os.system x\n", "a: !!set {x, y}\n", "a: !!omap [x: 1]\n",
    "a: &x [1, 2]\nb: *x\n", "a: &x 1\nb: *x\n", "&r [*r]\n", "&r {a: *r}\n", "a: *nope\n", "<<: {a: 1}\nb: 2\n",
    "a: &m {x: 1}\nb:\n  <<: *m\n  y: 2\n", "b: {<<: [{x: 1}, {y: 2}], z: 3}\n", "=: a\n", "a: =\n", "a: <<\n",
    "? [a, b]\n: c\n", "? {a: 1}\n: c\n", "[1]: x\n", "- a\n- b\n", "just text\n", "---\na: 1\n", "a: 1\n...\n",
    "%YAML 1.1\n---\na: 1\n", "a: 1\n---\nb: 2\n", "'a': 1\n\"b\": 2\n", "a b: c\n", "k" * 65 + ": x\n",
    "a: \xa0x\n", "a: x\xa0\n", "a: \ufeffx\n", "a: x\x85y\n", "a: x\u2028y\n", "a: \x01\n", "a: \x7f\n", "a: \ufffe\n",
    "a: \u202eevil\n", "a: é\n", "é: x\n", "a: x\n\x00", "[" * 3000 + "]" * 3000 + "\n", "a: " + "[" * 200 + "\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_documents_read_as_pyyaml_reads_them(text):
    assert_same_reading(text)


def test_the_usual_reader_reads_the_usual_entry():
    assert sources._usual_mapping(ENTRY) is not None  # else the fast path silently never runs


# --- random documents near the usual shape ------------------------------------------------

PIECES = [" ", "  ", "\n", "\n  ", "\n- ", "- ", ":", ": ", "#", " #", '"', "'", "\\", '\\"', "[", "]", "{", "}", ",",
          "|", "|-", ">", "&a", "*a", "!!str", "!", "%", "@", "`", "?", "-", "~", "null", "yes", "on", "0", "01", "1.5",
          "<<", "=", "\t", "\r", "\x85", "\u2028", "\ufeff", "\xa0", "é", "\x01", "---\n", "a", "1", "x: y", "k:\n  ",
          "\u202e", "\u2066", "\x9f", "\ufffe", '\\x01', '\\u202e']


@st.composite
def near_usual(draw) -> str:
    """The usual entry, then a few edits of its text where YAML is most particular."""
    text = draw(st.sampled_from([ENTRY, "a:\n- x\n- y\nb: |\n  z\n\n", "a:\n  b: c\n  d: [e, 'f']\nx: ~\n"]))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "indent"]))
        if edit == "insert":
            text = text[:at] + draw(st.sampled_from(PIECES) | st.text(max_size=3)) + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 4)):]
        else:
            start = text.rfind("\n", 0, at) + 1
            text = text[:start] + " " * draw(st.integers(0, 4)) + text[start:].lstrip(" ")
    return text


@settings(max_examples=1000, **SETTINGS)
@given(text=near_usual())
def test_edited_entries_read_as_pyyaml_reads_them(text):
    assert_same_reading(text)


def documents_of(value) -> list[str]:
    return [yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=style)
            for style in (None, False, True)]


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.sampled_from(["2025-12-09", "yes", "~", "<<", "=", "0b1", "1:30", "a: b", "#", "- x", "|", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4),
    max_leaves=10)


@settings(max_examples=300, **SETTINGS)
@given(value=yaml_values)
def test_dumped_values_read_as_pyyaml_reads_them(value):
    for text in documents_of(value):
        assert_same_reading(text)


@settings(max_examples=500, **SETTINGS)
@given(text=st.text(alphabet=string.ascii_letters[:6] + " :-#'\"[]{},|>&*!?~\n\t01.", max_size=60))
def test_random_yaml_like_text_reads_as_pyyaml_reads_it(text):
    assert_same_reading(text)


# --- the parts --------------------------------------------------------------------------------

@settings(max_examples=500, **SETTINGS)
@given(text=st.text(max_size=12) | st.sampled_from(["", "~", "null", "yes", "No", "0x1F", "1_0", "._", "1:30",
                                                      "<<", "=", "2025-12-09", ".inf", "+1", "0o7", "!"]))
def test_the_resolver_gives_pyyaml_tags(text):
    loader = StrictLoader("")
    for implicit in ((True, False), (False, True), (False, False)):
        assert loader.resolve(yaml.ScalarNode, text, implicit) == \
            yaml.resolver.BaseResolver.resolve(loader, yaml.ScalarNode, text, implicit)
    for kind in (yaml.SequenceNode, yaml.MappingNode):
        assert loader.resolve(kind, None, (True, False)) == \
            yaml.resolver.BaseResolver.resolve(loader, kind, None, (True, False))


@settings(max_examples=1000, **SETTINGS)
@given(text=st.text(alphabet=" \t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029\xa0\u3000#a:\x00", max_size=12))
def test_empty_file_check_is_the_line_by_line_one(text):
    by_lines = not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())
    assert sources._only_comments(text) == by_lines


def test_shown_path_is_pathlibs(tmp_path, monkeypatch):
    inside = tmp_path / "work"
    (inside / "content").mkdir(parents=True)
    for cwd in (Path("/"), tmp_path, inside, inside / "content"):
        monkeypatch.chdir(cwd)
        for path in (Path("/"), Path("//x"), tmp_path, inside, inside / "content" / "a.yaml", Path(str(inside) + "x"),
                     Path(str(inside) + "x") / "a.yaml", Path("content/a.yaml"), Path("."), inside / ".." / "work"):
            expected = str(path.relative_to(Path.cwd())) if path.is_absolute() and path.is_relative_to(Path.cwd()) \
                else str(path)
            assert shown_path(path) == expected, (cwd, path)
