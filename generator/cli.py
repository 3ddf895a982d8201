"""The `paperfeed` command. Thin: each command calls one library function,
prints its result and sets the exit code. The only module that prints."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from generator import __version__
from generator.content import validate_paths
from generator.errors import Problem


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
    checked = validate_paths(list(paths), _today())
    for problem in checked.problems:
        click.echo(_github_annotation(problem) if output_format == "github" else str(problem))
    noun = "paper" if checked.entries_checked == 1 else "papers"
    count = len(checked.problems)
    click.echo(f"{checked.entries_checked} {noun}, {count} problem{'' if count == 1 else 's'}",
               err=bool(count))
    sys.exit(1 if checked.problems else 0)
