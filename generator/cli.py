"""The `paperfeed` command. Thin: each command calls one library function,
prints its result and sets the exit code. The only module that prints."""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import click

from generator import __version__
from generator.errors import BuildFailed, Problem


def _today() -> date:
    return date.today()


def _github_annotation(problem: Problem) -> str:
    # GitHub's workflow-command syntax: %, CR and LF must be escaped in the message.
    message = problem.describe().replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    path = problem.path.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
    return f"::error file={path},line={problem.line},col={problem.col}::{message}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="paperfeed")
def main() -> None:
    """Build a static site and feeds from a folder of paper entries."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "github"]), default="text",
              show_default=True, help="'github' prints GitHub Actions annotations.")
def validate(paths: tuple[Path, ...], output_format: str) -> None:
    """Check entries and settings; report every problem as path:line:col.

    PATHS are content folders or single entry files (default: content/).
    """
    from generator.content import validate_paths  # commands import what they use: start-up stays fast

    checked = validate_paths(list(paths), _today())
    for problem in checked.problems:
        click.echo(_github_annotation(problem) if output_format == "github" else str(problem))
    noun = "paper" if checked.entries_checked == 1 else "papers"
    count = len(checked.problems)
    click.echo(f"{checked.entries_checked} {noun}, {count} problem{'' if count == 1 else 's'}",
               err=bool(count))
    sys.exit(1 if checked.problems else 0)


def _report_failure(failure: BuildFailed, output_format: str = "text") -> None:
    for problem in failure.problems:
        click.echo(_github_annotation(problem) if output_format == "github" else str(problem), err=True)
    count = len(failure.problems)
    click.echo(f"build failed: {count} problem{'' if count == 1 else 's'}; nothing was published", err=True)


def _require_site(content: Path) -> None:
    if not (content / "site.yaml").is_file():
        raise click.ClickException(
            f"no site here: expected {content / 'site.yaml'} "
            "(run paperfeed inside a site, pass --content DIR, or create one with 'paperfeed init DIR')")


@main.command()
def schema() -> None:
    """Print the JSON Schema of a paper entry (kept in content/paper.schema.json)."""
    from generator.entries import entry_json_schema

    click.echo(json.dumps(entry_json_schema(), indent=2, sort_keys=True))


@main.command()
@click.option("--content", type=click.Path(path_type=Path), default=Path("content"), show_default=True,
              help="The content folder (site.yaml, tags.yaml, papers/).")
@click.option("--output", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="Where the site is written; replaced only when the build succeeds.")
@click.option("--no-cache", is_flag=True, help="Ignore what earlier builds remembered: a cold build.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes to use (default: one per core; 1 builds in this process).")
@click.option("-v", "--verbose", is_flag=True, help="List each stage with its time.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but problems.")
def build(content: Path, output: Path, no_cache: bool, jobs: int | None, verbose: bool, quiet: bool) -> None:
    """Build the site and its feeds from CONTENT into OUTPUT."""
    from generator.build import build_site  # imported here: validate and new start faster without it

    _require_site(content)
    # The process ends with the build: the collector's first pass after it, over every
    # object the build made, would only delay the exit (0.3 s at 10,000 papers).
    gc.disable()
    progress = _Progress(enabled=not quiet and sys.stderr.isatty())
    try:
        result = build_site(content, output, _today(), use_cache=not no_cache, jobs=jobs, progress=progress)
    except BuildFailed as failure:
        progress.close()
        _report_failure(failure)
        sys.exit(1)
    progress.close()
    if verbose:
        for name, seconds in result.stages:
            click.echo(f"  {name:<20} {seconds:7.3f} s")
    if not quiet:
        click.echo(f"{result.papers} papers, {result.pages} pages, {result.feeds} feeds in {result.seconds:.2f} s "
                   f"({result.made} made, {result.stats.written} written, {result.stats.removed} removed)"
                   f" → {output}")
    _exit_now()


def _exit_now() -> None:
    """End a finished build without freeing its objects one by one — a large site's
    million objects take a second to tear down (mypy's `hard_exit` does the same).
    Everything is written and closed by now; only the standard streams need a flush."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class _Progress:
    """Shows a build's progress on a terminal, once it has taken more than a second."""

    DELAY = 1.0

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.bar = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.started < self.DELAY:
            return
        if stage == "render" and total > 1:
            if self.bar is None:
                self.bar = click.progressbar(length=total, label="rendering", file=sys.stderr, show_pos=True)
            self.bar.update(done - self.bar.pos)
        elif self.bar is None:
            click.echo(f"  {stage} done", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()
            self.bar = None


@main.command()
@click.argument("query", metavar="ARXIV_ID_OR_URL")
@click.option("--tag", "tags", multiple=True, metavar="TAG",
              help="A tag from tags.yaml; repeat for more (--tag llm --tag efficiency).")
@click.option("--note", metavar="TEXT", help="The curator's comment (Markdown).")
@click.option("--submitted-by", metavar="NAME", help="Who proposed the paper (a handle).")
@click.option("--content", type=click.Path(path_type=Path), default=Path("content"), show_default=True,
              help="The content folder (site.yaml, tags.yaml, papers/).")
@click.option("--offline", is_flag=True, help="Do not ask arXiv: write a template with TODO markers.")
@click.option("--api-url", metavar="URL", default="https://export.arxiv.org/api/query", show_default=True,
              envvar="PAPERFEED_ARXIV_API", show_envvar=True, help="The arXiv API's query address.")
def new(query: str, tags: tuple[str, ...], note: str | None, submitted_by: str | None, content: Path,
        offline: bool, api_url: str) -> None:
    """Add the arXiv paper ARXIV_ID_OR_URL (2409.17887, 2409.17887v2, an abs/ or pdf/ link)
    as content/papers/<year>/<slug>.yaml, with its metadata fetched from arXiv."""
    from generator.importer import ImportRefused, create_entry

    _require_site(content)
    try:
        created = create_entry(query, content, tags=tags, note=note, submitted_by=submitted_by,
                               today=_today(), api_url=api_url, offline=offline)
    except ImportRefused as refusal:
        raise click.ClickException(str(refusal))
    if created.reason:
        click.echo(f"{created.reason}: wrote a template with TODO markers instead", err=True)
    click.echo(f"wrote {created.path}")
    if created.template:
        click.echo(f"next: replace each TODO with the paper's values from https://arxiv.org/abs/{created.arxiv}, "
                   f"then check it with: paperfeed validate {created.path}")
    else:
        click.echo(f"next: check it with: paperfeed validate {created.path}")


@main.command("tags")
@click.option("--content", type=click.Path(path_type=Path), default=Path("content"), show_default=True,
              help="The content folder (site.yaml, tags.yaml, papers/).")
@click.option("--new-since", "ref", metavar="REF",
              help="Only the tags added to tags.yaml since git revision REF (the pull request's base).")
def tags_command(content: Path, ref: str | None) -> None:
    """List the tag vocabulary, or with --new-since the tags a change adds (for review)."""
    from generator.config import load_tags
    from generator.vocabulary import TagDiffError, new_tags_since

    if ref is None:
        known, _ = load_tags(content)
        for tag, description in known.items():
            click.echo(f"{tag}: {description}")
        return
    try:
        added = new_tags_since(content, ref)
    except TagDiffError as error:
        raise click.ClickException(str(error))
    click.echo(f"new tags: {', '.join(added)} — a maintainer should confirm" if added else "no new tags")


@main.command("init", short_help="Start a new site in DIR.")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--title", metavar="TEXT", help="The site's title (default: from DIR's name).")
@click.option("--base-url", metavar="URL",
              help="Where the site will be published, e.g. https://OWNER.github.io/REPO/ "
                   "(default: https://example.org/; set it in content/site.yaml later).")
@click.option("--force", is_flag=True,
              help="Also in a non-empty DIR: add the missing files, keep every existing one as it is.")
def init(directory: Path, title: str | None, base_url: str | None, force: bool) -> None:
    """Create a new site in DIR that validates and builds at once: content/ (settings with a
    fixed id, tags, an example entry), CI workflows, README, CONTRIBUTING and .gitignore."""
    import shlex

    from generator.scaffold import InitRefused, create_site

    try:
        created = create_site(directory, title=title, base_url=base_url, force=force, today=_today())
    except InitRefused as refusal:
        raise click.ClickException(str(refusal))
    for rel in created.written:
        click.echo(f"wrote {directory / rel}")
    for rel in created.kept:
        click.echo(f"kept {directory / rel}: it exists already, so it was not overwritten", err=True)
    if not created.base_url_given:
        click.echo(f"note: no --base-url, so base_url is {created.base_url}: set it in "
                   f"{directory / 'content' / 'site.yaml'} to the site's real address before deploying", err=True)
    click.echo(f"created the site '{created.title}' in {directory} (its id, fixed forever: {created.site_id})")
    cd = "" if directory.resolve() == Path.cwd().resolve() else f"cd {shlex.quote(str(directory))} && "
    click.echo(f"next: {cd}paperfeed build   — then open output/index.html")


@main.command("check-links", short_help="Check the built site's internal links.")
@click.argument("output", type=click.Path(path_type=Path), default=Path("output"), required=False)
@click.option("--base-url", metavar="URL",
              help="The address the site is published at (default: base_url of CONTENT/site.yaml, else /).")
@click.option("--content", type=click.Path(path_type=Path), default=Path("content"), show_default=True,
              help="The content folder whose site.yaml gives the base URL.")
@click.option("--format", "output_format", type=click.Choice(["text", "github"]), default="text",
              show_default=True, help="'github' prints GitHub Actions annotations.")
def check_links(output: Path, base_url: str | None, content: Path, output_format: str) -> None:
    """Check every internal link of the built site in OUTPUT (default: output): each must
    name a file of the site, each #fragment an id on its page, and none may leave the
    base URL's path. Exits 1 on any broken link."""
    from generator.config import load_site
    from generator.linkcheck import crawl_site

    if base_url is None and (content / "site.yaml").is_file():
        site, _ = load_site(content)
        if site is None:
            raise click.ClickException(f"{content / 'site.yaml'} has problems: run 'paperfeed validate'")
        base_url = site.base_url
    try:
        broken = crawl_site(output, site_url=base_url)
    except (NotADirectoryError, ValueError) as error:
        raise click.ClickException(f"no built site to check: {error} (run 'paperfeed build' first)")
    for line in broken:
        click.echo(f"::error title=broken link::{line}" if output_format == "github" else line)
    count = len(broken)
    click.echo(f"{count} broken link{'' if count == 1 else 's'}", err=bool(count))
    sys.exit(1 if broken else 0)


@main.command()
@click.option("--content", type=click.Path(path_type=Path), default=Path("content"), show_default=True,
              help="The content folder (site.yaml, tags.yaml, papers/).")
@click.option("--output", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="Where the site is built and served from.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (loopback: only this machine).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port; if it is in use, the next free one.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in the web browser.")
def serve(content: Path, output: Path, host: str, port: int, open_browser: bool) -> None:
    """Build, serve OUTPUT over HTTP, and rebuild and reload open pages on every change
    to content/, themes/, templates/ or site.yaml. Ctrl-C stops it."""
    from generator.serve import ServeError, serve_site

    _require_site(content)
    try:
        serve_site(content, output, host=host, port=port, open_browser=open_browser, today=_today, say=click.echo)
    except ServeError as error:
        raise click.ClickException(str(error))
