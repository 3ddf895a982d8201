"""Turn pydantic's validation errors into Problems that teach.

Each error becomes `path:line:col: message`, where the position is found by
re-reading only the failing file with marks (see `sources.locate`).
"""

from __future__ import annotations

import difflib
import reprlib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from generator.errors import Problem
from generator.sources import Loaded, locate, one_line

_TYPE_NAMES = {
    str: "text", int: "a whole number", float: "a number", bool: "true/false",
    list: "a list", dict: "a mapping", type(None): "nothing",
}


# repr() with a depth limit: a list nested a thousand deep is legal YAML and must not crash the message
_SHORT_REPR = reprlib.Repr()  # keyword arguments need Python 3.12
_SHORT_REPR.maxlevel = 3
for _limit in ("maxtuple", "maxlist", "maxarray", "maxdict", "maxset", "maxfrozenset", "maxdeque"):
    setattr(_SHORT_REPR, _limit, 8)  # only the first 40 characters are shown
_SHORT_REPR.maxstring = _SHORT_REPR.maxlong = _SHORT_REPR.maxother = 1000


def describe_value(value: Any) -> str:
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    shown = _SHORT_REPR.repr(value)
    return f"{kind} ({shown[:40] + '…' if len(shown) > 40 else shown})"


def _message(err: dict, known_keys: list[str]) -> tuple[str, str | None, bool]:
    """(message, hint, points at the key rather than the value)."""
    loc = err["loc"]
    name = one_line(".".join(str(part) for part in loc)) or "document"
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), known_keys, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(known_keys)}"
        return f"unknown key '{name}'", hint, True
    if kind == "missing":
        return f"missing required key '{name}'", None, False
    if kind in ("string_type", "str_type"):
        hint = "quote it" if isinstance(value, (int, float, bool)) else None
        return f"'{name}' must be text, got {describe_value(value)}", hint, False
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"'{name}' must be a whole number, got {describe_value(value)}", None, False
    if kind in ("list_type", "tuple_type"):
        return f"'{name}' must be a list, got {describe_value(value)}", "write [a, b] or one '- item' per line", False
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"'{name}' must be a mapping of keys to values, got {describe_value(value)}", None, False
    if kind in ("bool_type", "bool_parsing"):
        return f"'{name}' must be true or false, got {describe_value(value)}", None, False
    if kind.startswith("date"):
        return f"'{name}' must be a date YYYY-MM-DD, got {describe_value(value)}", None, False
    if kind == "string_too_long":
        return (f"'{name}' is {len(value)} characters long; the limit is {ctx.get('max_length')}",
                None, False)
    if kind == "string_too_short":
        return f"'{name}' must not be empty", None, False
    if kind in ("greater_than_equal", "greater_than"):
        limit = ctx.get("ge", ctx.get("gt"))
        word = "at least" if "ge" in ctx else "more than"
        return f"'{name}' must be {word} {limit}, got {value!r}", None, False
    if kind in ("less_than_equal", "less_than"):
        return f"'{name}' must be at most {ctx.get('le', ctx.get('lt'))}, got {value!r}", None, False
    if kind == "value_error":
        return f"'{name}': {ctx.get('error', err['msg'])}", None, False
    if kind == "string_pattern_mismatch":
        return f"'{name}' has the wrong form: {value!r}", None, False
    return f"'{name}': {err['msg']}", None, False


def _keys_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The allowed keys of the (nested) model at `loc`, for "did you mean" hints."""
    for part in loc:
        field = model.model_fields.get(str(part))
        inner = [t for t in typing.get_args(field.annotation) or (field.annotation,)] if field else []
        nested = [t for t in inner if isinstance(t, type) and issubclass(t, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return list(model.model_fields)


def validate_model(model: type[BaseModel], loaded: Loaded, what: str,
                   quick: type[BaseModel] | None = None) -> tuple[Any, list[Problem]]:
    """Validate `loaded.data` as `model`; return (instance or None, problems).

    `quick`: a faster subclass of `model` that accepts only data `model` accepts, with the
    same values; it is tried first, and `model` judges (and explains) what it refuses.
    """
    if not isinstance(loaded.data, dict):
        return None, [Problem(loaded.shown, message=(
            f"{what} must be a mapping of keys to values, got {describe_value(loaded.data)}"))]
    if quick is not None:
        try:
            return quick.model_validate(loaded.data), []
        except ValidationError:
            pass
    try:
        return model.model_validate(loaded.data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            message, hint, on_key = _message(err, _keys_at(model, err["loc"][:-1]))
            line, col = locate(loaded.text or "", err["loc"], on_key=on_key)
            field = ".".join(str(part) for part in err["loc"]) or None
            problems.append(Problem(loaded.shown, line, col, message, field, hint))
        return None, problems


def problem_at(loaded: Loaded, loc: tuple, message: str, hint: str | None = None,
               on_key: bool = False) -> Problem:
    """A problem about the value at `loc` in an already-parsed file."""
    message = one_line(message)
    line, col = locate(loaded.text or "", loc, on_key=on_key)
    field = ".".join(str(part) for part in loc) or None
    return Problem(loaded.shown, line, col, message, field, hint)
