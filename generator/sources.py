"""Find and read the files under `content/`, with positions on demand.

The fast path decodes and loads YAML with libyaml's C loader. Only a file that
failed validation is composed again with position marks (`locate`), so
validating 100,000 good entries never pays for marks it does not need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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


@dataclass(frozen=True)
class Loaded:
    """A YAML file read and parsed, or the problem that stopped it."""

    path: Path
    shown: str  # path as printed in messages
    text: str | None = None
    data: Any = None
    problem: Problem | None = None


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` for a one-line message: line breaks and control characters written as escapes,
    so each problem stays one `path:line:col: message` line whatever a key holds."""
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text) if _UNPRINTABLE.search(text) else text


def shown_path(path: Path) -> str:
    """A path as messages print it: relative to the working folder when inside it."""
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)
    return str(path)


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
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        return Loaded(path, shown, text, problem=Problem(shown, message="empty file"))
    try:
        data = yaml.load(text, Loader=StrictLoader)
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
