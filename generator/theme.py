"""Find the theme, set up Jinja.

Templates are looked up in order: the site's own `templates/` folder (beside
`content/`, overriding single templates, as in Hugo or MkDocs), then
`themes/<theme>/templates/` of the site, then the default theme that ships
with paperfeed. Jinja runs with StrictUndefined and autoescaping, so a
template typo fails the build with the template's name and line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from types import BuiltinFunctionType, BuiltinMethodType, FunctionType, MethodType

import jinja2
import jinja2.bccache
import jinja2.compiler
import jinja2.runtime
import markupsafe
from jinja2 import meta

from generator.errors import BuildFailed, Problem

_PACKAGE = Path(__file__).resolve().parent
# The themes that ship with paperfeed. An installed wheel carries them inside the
# package (pyproject.toml maps the repository's themes/ to generator/themes/ at
# build time); a source checkout or an editable install uses the repository's
# themes/ itself — the one source, so live edits show at once.
BUNDLED_THEMES = next((d for d in (_PACKAGE / "themes", _PACKAGE.parent / "themes") if d.is_dir()),
                      _PACKAGE / "themes")


@dataclass(frozen=True)
class Theme:
    name: str
    template_dirs: tuple[Path, ...]  # first wins
    static_dirs: tuple[Path, ...]  # last wins, so a site overrides single files


def find_theme(site_root: Path, name: str) -> Theme:
    candidates = [site_root / "themes" / name, BUNDLED_THEMES / name]
    found = [c for c in candidates if (c / "templates").is_dir()]
    if not found:
        raise BuildFailed([Problem(str(site_root / "themes" / name), message=f"theme '{name}' not found",
                                   hint="set 'theme:' in site.yaml to a folder under themes/")])
    theme_dir = found[0]
    template_dirs = [site_root / "templates", theme_dir / "templates"]
    if theme_dir != BUNDLED_THEMES / "default" and (BUNDLED_THEMES / "default" / "templates").is_dir():
        template_dirs.append(BUNDLED_THEMES / "default" / "templates")  # a theme may override only some
    static_dirs = [theme_dir / "static", site_root / "static"]
    if theme_dir != BUNDLED_THEMES / "default":  # a theme that overrides some templates keeps the default's assets
        static_dirs.insert(0, BUNDLED_THEMES / "default" / "static")
    return Theme(name, tuple(d for d in template_dirs if d.is_dir()), tuple(d for d in static_dirs if d.is_dir()))


class CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled by earlier builds, kept in the build cache: compiling the
    default theme costs a quarter of a second that a rebuild need not spend again.

    `known` is what the last build kept; `kept` is what this one used, to be kept
    in turn. Jinja checks each template's source against its checksum (and the
    Python version) itself; the key adds Jinja's own version. Other generator code
    gets a new build cache, so other settings of the environment never meet these."""

    def __init__(self, known: dict[str, bytes]) -> None:
        self.known = known
        self.kept: dict[str, bytes] = {}

    @staticmethod
    def _key(bucket: jinja2.bccache.Bucket) -> str:
        return f"{jinja2.__version__} {bucket.key} {bucket.checksum}"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.known.get(self._key(bucket))
        if data is not None:
            bucket.bytecode_from_string(data)
            if bucket.code is not None:
                self.kept[self._key(bucket)] = data

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.kept[self._key(bucket)] = bucket.bytecode_to_string()

    def remembered(self) -> dict[str, bytes]:
        """What to keep for the next build: a build that made no page loaded no template."""
        return self.kept or self.known


try:
    from markupsafe import _escape_inner  # the C function markupsafe.escape wraps in a Markup
except ImportError:  # another markupsafe: its public escape, as str
    def _escape_inner(text: str) -> str:
        return str(markupsafe.escape(text))


def escape_output(value: object) -> str:
    """What `{{ value }}` writes: markupsafe.escape's text, without making a Markup of each
    value (a Python-level call, ~100 a page): what a page writes is joined as plain text."""
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Compiles the output `{{ value }}` to `environment.escape_output(value)` where Jinja
    writes `escape(value)`: the same text, a quarter of a page's render time less."""

    def _output_child_pre(self, node, frame, finalize) -> None:  # type: ignore[no-untyped-def]
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("environment.escape_output(")
            if finalize.src is not None:
                self.write(finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)


_PLAIN_CALLABLES = frozenset((FunctionType, MethodType, BuiltinFunctionType, BuiltinMethodType, jinja2.runtime.Macro))


class _Context(jinja2.runtime.Context):
    """Calls a plain function (the theme's globals: url, card …), a method or a macro at once.
    Jinja's own `call` first looks for pass_context & co. on the callable and on its
    `__call__`, ~2 µs a call: 200,000 of them build a site of 10,000 papers. Anything
    else, or a function marked with pass_context & co., goes the usual way."""

    def call(__self, __obj, *args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805 (as Jinja's)
        if type(__obj) in _PLAIN_CALLABLES and getattr(__obj, "jinja_pass_arg", None) is None:
            if kwargs:  # what Jinja adds for pass_context, which this callable does not take
                kwargs.pop("_loop_vars", None)
                kwargs.pop("_block_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:  # as Jinja does
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception")
        return super().call(__obj, *args, **kwargs)


class _Environment(jinja2.Environment):
    code_generator_class = _CodeGenerator
    context_class = _Context
    escape_output = staticmethod(escape_output)

    def make_globals(self, d):  # type: ignore[no-untyped-def]
        """A template without globals of its own (every template a build loads) sees the
        environment's globals dict itself. Jinja's ChainMap over them is copied into each
        render's context by Python-level iteration: ~10 µs a page, and a card is a render.
        (So a template's globals must not be changed after loading: Jinja says to avoid it.)"""
        return self.globals if not d else super().make_globals(d)


def make_environment(theme: Theme, compiled: CompiledTemplates | None = None) -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in theme.template_dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one environment per build: no need to stat each template per page
        bytecode_cache=compiled,
    )
    return env


def load_templates(env: jinja2.Environment, names: list[str]) -> None:
    """Compile the build's templates in this process, before the workers fork: each
    would compile its own otherwise, and keep none of them for the next build."""
    for name in names:
        try:
            env.get_template(name)
        except jinja2.TemplateError:
            pass  # the page that uses it reports it, with its line


def static_files(theme: Theme) -> dict[str, Path]:
    """Relative path under static/ → source file; later folders override earlier ones."""
    files: dict[str, Path] = {}
    for folder in theme.static_dirs:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files[path.relative_to(folder).as_posix()] = path
    return files


def template_problem(exc: Exception) -> Problem:
    """A template error as a Problem naming the template and line."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Problem(exc.filename or exc.name or "template", exc.lineno or 1, 1, f"template error: {exc.message}")
    tb = exc.__traceback__
    name, line = "template", 1
    while tb is not None:  # the innermost frame that belongs to a template
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt", ".json")):
            name, line = filename, tb.tb_lineno
        tb = tb.tb_next
    return Problem(name, line, 1, f"template error: {exc}")


class TemplateDigests:
    """A digest per template covering it and every template it extends,
    includes or imports — so editing paper.html re-renders only paper pages.

    Finding the references means parsing each template: `known` holds what earlier
    builds found, by the digest of the source; `references` what this one used."""

    def __init__(self, env: jinja2.Environment, known: dict[bytes, frozenset] | None = None) -> None:
        self.env = env
        self._memo: dict[str, bytes] = {}
        self._known = known or {}
        self.references: dict[bytes, frozenset] = {}

    def __call__(self, name: str) -> bytes:
        if name not in self._memo:
            self._memo[name] = b""  # a cycle (not valid Jinja anyway) must not recurse forever
            source, _, _ = self.env.loader.get_source(self.env, name)
            h = hashlib.blake2b(source.encode("utf-8"), digest_size=16)
            for used in sorted(self._referenced(h.digest(), source), key=str):
                h.update(self._everything() if used is None else self(used))
            self._memo[name] = h.digest()
        return self._memo[name]

    def used(self) -> list[str]:
        """The templates digested so far: those the build's pages use, and theirs."""
        return list(self._memo)

    def _referenced(self, source_digest: bytes, source: str) -> frozenset[str | None]:
        found = self._known.get(source_digest)
        if found is None:
            try:
                found = frozenset(meta.find_referenced_templates(self.env.parse(source)))
            except jinja2.TemplateSyntaxError:
                found = frozenset({None})  # the render will report it; until then depend on everything
        self.references[source_digest] = found
        return found

    def _everything(self) -> bytes:
        """For a template chosen at run time: depend on all of them."""
        h = hashlib.blake2b(digest_size=16)
        for name in sorted(self.env.list_templates()):
            h.update(name.encode() + self.env.loader.get_source(self.env, name)[0].encode("utf-8"))
        return h.digest()
