"""Find and read the files under `content/`, with positions on demand.

Reading is most of what validate and a cold build spend per entry, so `parse_yaml` takes
the cheapest way that gives exactly what `yaml.load(text, Loader=StrictLoader)` gives: an
entry in the usual shape is read line by line without libyaml, other documents are
composed by libyaml's C parser and built straight from its nodes, and only unusual ones
go through PyYAML's generic constructor. Only a file that failed validation is composed
again with position marks (`locate`), so good entries never pay for marks.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from generator.errors import Problem

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML that keeps dates as text and refuses duplicate keys.

    Dates stay strings so a bad date ("2025-13-01") becomes a validation
    problem with a position instead of a crash inside the YAML library, and a
    duplicate key is an error because PyYAML would silently keep the last one.
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node, deep=False):
        keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
        if len(keys) != len(set(keys)):  # cheap on the node's text; rare, so the search below is too
            seen: set[str] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key '{one_line(key_node.value)}'", key_node.start_mark)
                    seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)

    # libyaml's composer asks these for every node. PyYAML's versions build lists and look up
    # attributes on each call; these give the same tags (no path resolvers are ever added here).
    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0]:
            return _short_plain_tag(value) if len(value) <= 64 else _plain_tag(value)
        return _DEFAULT_TAGS[kind]

    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


_WILDCARD_RESOLVERS = StrictLoader.yaml_implicit_resolvers.get(None, [])
_PLAIN_RESOLVERS = {  # first character ("" for an empty scalar) -> the resolvers to try, in order
    first: resolvers + _WILDCARD_RESOLVERS
    for first, resolvers in StrictLoader.yaml_implicit_resolvers.items() if first is not None
}
_DEFAULT_TAGS = {
    yaml.ScalarNode: StrictLoader.DEFAULT_SCALAR_TAG,
    yaml.SequenceNode: StrictLoader.DEFAULT_SEQUENCE_TAG,
    yaml.MappingNode: StrictLoader.DEFAULT_MAPPING_TAG,
}


def _plain_tag(value: str) -> str:
    """The tag of a plain (unquoted) scalar: its text alone decides."""
    for tag, regexp in _PLAIN_RESOLVERS.get(value[:1], _WILDCARD_RESOLVERS):
        if regexp.match(value):
            return tag
    return StrictLoader.DEFAULT_SCALAR_TAG


# Keys, dates and tag names repeat from entry to entry; long texts are not worth keeping.
_short_plain_tag = functools.lru_cache(maxsize=4096)(_plain_tag)


_STR_TAG, _SEQ_TAG, _MAP_TAG = (StrictLoader.DEFAULT_SCALAR_TAG, StrictLoader.DEFAULT_SEQUENCE_TAG,
                                StrictLoader.DEFAULT_MAPPING_TAG)
_NULL_TAG, _BOOL_TAG, _INT_TAG = "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int"
_SCALAR_CONSTRUCTORS = {  # tag -> the method of PyYAML's safe constructor that builds it
    _NULL_TAG: StrictLoader.construct_yaml_null,
    _BOOL_TAG: StrictLoader.construct_yaml_bool,
    _INT_TAG: StrictLoader.construct_yaml_int,
    "tag:yaml.org,2002:float": StrictLoader.construct_yaml_float,
}


class _Unusual(Exception):
    """Raised by the fast readers below on input they leave to PyYAML."""


def parse_yaml(text: str) -> Any:
    """`yaml.load(text, Loader=StrictLoader)`: the same values and the same errors, faster.

    Three ways, each handing what it cannot do to the next: `_usual_mapping` reads the
    shape entries are written in without libyaml; libyaml's composer with `_plain_data`
    builds mappings, lists and scalars straight from the nodes; PyYAML's own constructor
    builds the rest (other tags, aliases, merge keys) or refuses it (duplicate keys...).
    """
    usual = _usual_mapping(text)
    if usual is not None:
        return usual
    _refuse_deep_nesting(text)
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()  # syntax errors are raised here, as by yaml.load
        if node is None:
            return None
        try:
            return _plain_data(loader, node, set())
        except Exception:  # noqa: BLE001 - anything unusual is PyYAML's to build or to refuse
            pass
        try:
            return loader.construct_document(node)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # noqa: BLE001 - PyYAML's constructors fail on some scalars
            raise _unbuildable(loader, node, exc) from exc
    finally:
        loader.dispose()


MAX_DEPTH = 100  # entries nest 2 deep; libyaml's composer recurses in C and crashes near 100,000


def _refuse_deep_nesting(text: str) -> None:
    """Raise a marked error for collections nested deeper than MAX_DEPTH, before composing.

    Each level costs at least one of `[{-:?`, so most texts are cleared by counting those;
    the rest are walked as parser events (libyaml's parser keeps a stack; it does not recurse).
    """
    if sum(map(text.count, "[{-:?")) <= MAX_DEPTH:
        return
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"lists or mappings nested more than {MAX_DEPTH} levels deep", event.start_mark)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def _unbuildable(loader: StrictLoader, root: yaml.Node, exc: Exception) -> yaml.MarkedYAMLError:
    """A marked error for the node PyYAML's constructor failed on with a plain exception.

    Its safe constructors raise ValueError, KeyError, IndexError... on a few scalars that
    match a type's pattern loosely (`0b_`, `!!int ''`, `!!bool maybe`, `!!set [a]`); that is
    bad input, so it gets the same error, with the file position, as any YAML mistake.
    The node named is the first, in document order, that fails while none of its parts do.
    """
    for node in _document_order(root):
        if _fails(loader, node) and not any(_fails(loader, part) for part in _parts(node)):
            return yaml.constructor.ConstructorError(
                None, None, f"cannot read {_shown_value(node)} as {_tag_name(node.tag)} (quote it if it is text)",
                node.start_mark)
    return yaml.constructor.ConstructorError(  # a failure no single node explains; still say where it starts
        None, None, f"cannot read this document ({one_line(str(exc)) or type(exc).__name__})", root.start_mark)


def _parts(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, SequenceNode) else []


def _document_order(root: yaml.Node) -> list[yaml.Node]:
    """Every node once (an alias can hold the node it is in), parents before their parts."""
    order, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            order.append(node)
            stack.extend(reversed(_parts(node)))
    return order


def _fails(loader: StrictLoader, node: yaml.Node) -> bool:
    loader.constructed_objects, loader.recursive_objects, loader.state_generators = {}, {}, []
    try:
        loader.construct_object(node, deep=True)
    except Exception:  # noqa: BLE001 - looking for the node that fails, whatever it raises
        return True
    return False


def _shown_value(node: yaml.Node) -> str:
    if isinstance(node, ScalarNode):
        return repr(node.value) if len(node.value) <= 40 else repr(node.value[:40] + "…")
    return "a list" if isinstance(node, SequenceNode) else "a mapping"


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _plain_data(loader: StrictLoader, node: yaml.Node, collections: set) -> Any:
    """The Python value of `node`, as PyYAML's safe constructor would build it."""
    kind = type(node)
    if kind is ScalarNode:
        if node.tag == _STR_TAG:
            return node.value
        construct = _SCALAR_CONSTRUCTORS.get(node.tag)
        if construct is None:
            raise _Unusual(node.tag)
        return construct(loader, node)
    if node in collections:  # an alias: PyYAML shares the object (or builds a recursive one)
        raise _Unusual("alias")
    collections.add(node)
    if kind is SequenceNode and node.tag == _SEQ_TAG:
        return [item.value if type(item) is ScalarNode and item.tag == _STR_TAG  # the common case, inline
                else _plain_data(loader, item, collections) for item in node.value]
    if kind is MappingNode and node.tag == _MAP_TAG:
        mapping = {}
        key_texts = set()
        for key_node, value_node in node.value:
            # Only scalar keys; a duplicate (by its text, as StrictLoader compares them) is an error.
            if type(key_node) is not ScalarNode or key_node.value in key_texts:
                raise _Unusual("key")
            key_texts.add(key_node.value)
            key = key_node.value if key_node.tag == _STR_TAG else _plain_data(loader, key_node, collections)
            mapping[key] = (value_node.value if type(value_node) is ScalarNode and value_node.tag == _STR_TAG
                            else _plain_data(loader, value_node, collections))
        return mapping
    raise _Unusual(node.tag)


# --- the usual shape, read without libyaml ----------------------------------------------
# libyaml builds a Python object per node and calls back into Python for each; most of the
# time an entry takes. Entries are written in one small shape (by `paperfeed new`, the
# corpus tools, and by most people): comments, `key: value` lines, `key: |` literal blocks,
# and a `key:` followed by one level of `key: value` lines or `- item` lines. This reads a
# text in exactly that shape, giving what libyaml and StrictLoader give for it, and declines
# (None) anything else at its first doubt: other characters, indentation or quoting, tags,
# anchors, folded or multi-line scalars, flow mappings, comments after a value, duplicate
# keys, and every scalar that is not text, null, a boolean or a plain decimal number.

_LINE_TEXT = bytes([0x0A, *range(0x20, 0x7F)])  # \n and printable ASCII
# characters besides those that libyaml refuses, reads as line breaks or skips (a BOM), and the bidi
# controls entries drop: so every string read this way is one validation leaves as it is (Loaded.plain)
_OTHER_CHARACTERS = re.compile("[\x00-\x7f\x80-\x9f\u2028\u2029\ufeff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
_PLAIN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # an item of a [a, b] list
_PLAIN_VALUE = re.compile(r"""(?![-?:,\[\]{}#&*!|>'"%@` ])[^#\[\]{}]*(?<![ :])""")
_DOUBLE_QUOTED = re.compile(r'(?:[^"\\]|\\["\\])*')  # between the quotes: only \" and \\ escaped
_ESCAPE = re.compile(r'\\(["\\])')
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,17}")
_BLOCK_LINE_STARTS = frozenset(("", " "))  # an empty or indented line belongs to the key above


def _usual_mapping(text: str) -> dict | None:
    """The mapping `text` holds, if it is in the usual shape (and ends with a line break)."""
    if not text.endswith("\n") or not _usual_characters(text):
        return None
    try:
        return _top_mapping(text.split("\n"))
    except _Unusual:
        return None


def _usual_characters(text: str) -> bool:
    """Whether `text` holds only line feeds, printable ASCII and the non-ASCII characters libyaml
    reads as they are (not C1 controls, other line breaks, BOMs or non-characters), and no bidi
    controls."""
    if text.isascii():
        return not text.encode("ascii").translate(None, _LINE_TEXT)
    try:
        others = text.encode("utf-8").translate(None, _LINE_TEXT)  # whole characters: ASCII is one byte
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return not _OTHER_CHARACTERS.search(others.decode("utf-8"))


def _top_mapping(lines: list[str]) -> dict:
    mapping: dict = {}
    at, end = 0, len(lines) - 1  # the text ends with a line break: its last "line" is empty
    while at < end:
        line = lines[at]
        at += 1
        if not line or line[0] == "#":
            continue
        if line[0] == " ":
            if line.strip(" "):
                raise _Unusual("indented")  # only a block belongs to a key, and each block is taken below
            continue
        key, value = _short_key_and_value(line) if len(line) <= 64 else _key_and_value(line)
        if key in mapping:
            raise _Unusual("duplicate")
        block = at
        while at < end and (lines[at][:1] in _BLOCK_LINE_STARTS or value is None and lines[at][:2] == "- "):
            at += 1
        if value is None:
            mapping[key] = _block_value(lines[block:at])
        elif value == "|":
            mapping[key] = _literal_block(lines[block:at])
        else:
            if at > block and any(line.strip(" ") for line in lines[block:at]):
                raise _Unusual("continued")  # a scalar over several lines
            mapping[key] = _inline_value(value)
    if not mapping:
        raise _Unusual("empty")
    return mapping


def _key_and_value(line: str) -> tuple[str, str | None]:
    """`key: value` (or `key:`, value None) starting at the line's first character."""
    key, colon, rest = line.partition(":")
    value = rest.lstrip(" ")
    if not colon or len(key) > 64 or not _usual_key(key) or rest and (rest[0] != " " or not value):
        raise _Unusual("line")  # (longer keys are not usual: none is kept in the cache below)
    return key, value or None


# Lines like `links:`, `added: 2025-12-09` or `upvotes: 12` repeat from entry to entry.
_short_key_and_value = functools.lru_cache(maxsize=4096)(_key_and_value)


@functools.lru_cache(maxsize=1024)  # the same few keys in every entry
def _usual_key(key: str) -> bool:
    """A plain key of letters, digits, _ and - that resolves to text (not `null`, `yes`...)."""
    return bool(_KEY.fullmatch(key)) and _plain_tag(key) == _STR_TAG


def _inline_value(value: str, lists: bool = True) -> Any:
    """A scalar or a `[a, b]` list written on the key's line (or after `- `)."""
    first = value[0]
    if first == '"':
        return _double_quoted(value)
    if first == "'":
        if len(value) < 2 or value[-1] != "'" or "'" in value[1:-1]:
            raise _Unusual("quote")
        return value[1:-1]
    if first == "[" and lists:
        return _flow_list(value)
    return _short_plain_value(value) if len(value) <= 64 else _plain_value(value)


def _plain_value(text: str) -> Any:
    """A plain scalar's value, as the resolver tags it and SafeConstructor builds it."""
    if not _PLAIN_VALUE.fullmatch(text) or ": " in text:
        raise _Unusual("plain")
    tag = _plain_tag(text)
    if tag == _STR_TAG:
        return text
    if tag == _NULL_TAG:
        return None
    if tag == _BOOL_TAG:
        return StrictLoader.bool_values[text.lower()]
    if tag == _INT_TAG and _DECIMAL.fullmatch(text):
        return int(text)
    raise _Unusual(tag)  # other ints, floats, merge keys...


# Dates, numbers and words repeat from entry to entry (the values are immutable: str, int, bool, None).
_short_plain_value = functools.lru_cache(maxsize=4096)(_plain_value)


def _double_quoted(value: str) -> str:
    text = value[1:-1]
    if len(value) < 2 or value[-1] != '"':
        raise _Unusual("quote")
    if "\\" not in text:
        if '"' in text:
            raise _Unusual("quote")
        return text
    if not _DOUBLE_QUOTED.fullmatch(text):
        raise _Unusual("escape")
    return _ESCAPE.sub(r"\1", text)


def _flow_list(value: str) -> list[str]:
    """`["a", "b"]` (as json.dumps writes it) or `[word, word]`."""
    if value[-1] != "]":
        raise _Unusual("list")
    inner = value[1:-1].strip(" ")
    if not inner:
        return []
    if inner[0] == '"':
        if len(inner) < 2 or inner[-1] != '"' or "\\" in inner:
            raise _Unusual("list")
        items = inner[1:-1].split('", "')
        if inner.count('"') != 2 * len(items):  # a quote inside an item
            raise _Unusual("list")
        return items
    items = [item.strip(" ") for item in inner.split(",")]
    for item in items:
        if len(item) > 64 or not _usual_word(item):
            raise _Unusual("list")
    return items


@functools.lru_cache(maxsize=1024)  # tag names repeat
def _usual_word(item: str) -> bool:
    """A plain list item of letters, digits, _ . and - that resolves to text."""
    return bool(_PLAIN_WORD.fullmatch(item)) and _plain_tag(item) == _STR_TAG


def _literal_block(lines: list[str]) -> str:
    """`|` (clip chomping) with the indentation of its first line, which is not blank."""
    first = lines[0] if lines else ""
    width = len(first) - len(first.lstrip(" "))
    if width == 0 or width == len(first):
        raise _Unusual("block")
    margin = " " * width
    text = []
    for line in lines:
        if line.startswith(margin):
            text.append(line[width:])  # a line of only spaces beyond the margin keeps them
        elif line.strip(" "):
            raise _Unusual("block")  # less indented: the block ends oddly
        else:
            text.append("")
    return "\n".join(text).rstrip("\n") + "\n"  # one line break at the end, however many follow


def _block_value(lines: list[str]) -> Any:
    """The value of a `key:` line: null, or the `key: value` or `- item` lines below it."""
    lines = [line for line in lines if line.strip(" ")]
    if not lines:
        return None
    width = len(lines[0]) - len(lines[0].lstrip(" "))
    margin = " " * width
    if lines[0].startswith("- ", width):
        items = []
        for line in lines:
            item = line[width + 2:]
            if not line.startswith(margin) or not line.startswith("- ", width) or item[:1] in ("", " "):
                raise _Unusual("item")
            items.append(_inline_value(item, lists=False))
        return items
    mapping: dict = {}
    for line in lines:
        if not line.startswith(margin):
            raise _Unusual("line")
        key, value = _key_and_value(line[width:])
        if key in mapping or value is None or value == "|":
            raise _Unusual("nested")
        mapping[key] = _inline_value(value)
    return mapping


@dataclass(frozen=True)
class Loaded:
    """A YAML file read and parsed, or the problem that stopped it."""

    path: Path
    shown: str  # path as printed in messages
    text: str | None = None
    data: Any = None
    problem: Problem | None = None
    # data was read by the usual-shape reader: its strings are made of the text's own characters,
    # none of them a control, bidi or other character that validation would remove or refuse
    plain: bool = False


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` for a one-line message: line breaks and control characters written as escapes,
    so each problem stays one `path:line:col: message` line whatever a key holds."""
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text) if _UNPRINTABLE.search(text) else text


def shown_path(path: Path) -> str:
    """A path as messages print it: relative to the working folder when inside it."""
    text = str(path)
    if not path.is_absolute():
        return text
    # This runs for every entry read: plain text comparisons first, pathlib's only when they
    # cannot tell (a POSIX path's text starts with the folder's text and a separator exactly
    # when pathlib finds it inside).
    try:
        cwd = _working_folder(os.getcwd())
    except OSError:  # the working folder was deleted: nothing is inside it
        return text
    if not text.startswith(cwd):
        return text
    if isinstance(path, PurePosixPath) and cwd != "/" and text.startswith(cwd + "/"):
        return text[len(cwd) + 1:]
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return text


@functools.lru_cache(maxsize=8)
def _working_folder(cwd: str) -> str:
    return str(Path(cwd))


_NON_SPACE = re.compile(r"\S")
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # where str.splitlines() breaks


def _only_comments(text: str) -> bool:
    """Whether every line of `text` is blank or a comment (by `str.splitlines`), reading only up
    to the first line with content, so a long file costs no more than a short one."""
    at = 0
    while found := _NON_SPACE.search(text, at):
        if text[found.start()] != "#":
            return False  # this line has content, and every line before it was blank or a comment
        line_end = _LINE_BREAK.search(text, found.start())
        if line_end is None:
            return True
        at = line_end.end()
    return True


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, col


def load_yaml(path: Path, raw: bytes | None = None) -> Loaded:
    """Parse one YAML file (`raw`: its bytes, when the caller has read them already)."""
    shown = shown_path(path)
    try:
        raw = path.read_bytes() if raw is None else raw
    except OSError as exc:
        return Loaded(path, shown, problem=Problem(shown, message=f"cannot read file: {exc.strerror}"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(raw, exc.start)
        return Loaded(
            path, shown,
            problem=Problem(shown, line, col, f"not UTF-8 text (byte 0x{raw[exc.start]:02x})",
                            hint="save the file as UTF-8"),
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    usual = _usual_mapping(text)  # the usual entry has keys (not empty) and no YAML error
    if usual is not None:
        return Loaded(path, shown, text, usual, plain=True)
    if _only_comments(text):
        return Loaded(path, shown, text, problem=Problem(shown, message="empty file"))
    try:
        data = parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        return Loaded(path, shown, text, problem=Problem(shown, line, col, f"YAML syntax error: {one_line(what)}"))
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow; it has no mark, only a position
        at = exc.position  # libyaml counts bytes of UTF-8, PyYAML characters
        if _BaseLoader is not yaml.SafeLoader:
            at = len(text.encode("utf-8")[:at].decode("utf-8", "ignore"))
        line, col = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
        return Loaded(path, shown, text, problem=Problem(
            shown, line, col, f"YAML syntax error: {exc.reason} (U+{exc.character:04X})",
            hint="remove it, or write it as an escape in a double-quoted string"))
    except yaml.YAMLError as exc:
        return Loaded(path, shown, text, problem=Problem(shown, message=f"YAML syntax error: {one_line(str(exc))}"))
    return Loaded(path, shown, text, data)


def locate(text: str, loc: tuple, on_key: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of the value at `loc` (keys and list indexes).

    With `on_key`, point at the last key itself (for unknown keys). Walks as
    deep as the document goes and falls back to the nearest enclosing node.
    """
    try:
        node = yaml.compose(text, Loader=StrictLoader)
    except yaml.YAMLError:
        return 1, 1
    if node is None:
        return 1, 1
    mark = node.start_mark
    for depth, part in enumerate(loc):
        last = depth == len(loc) - 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    mark = key_node.start_mark if (last and on_key) else value_node.start_mark
                    node = value_node
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1
