"""The README describes every command and option (as sqlite-utils checks its docs)."""

from __future__ import annotations

import re

import click
import pytest

from generator.cli import main
from tests.conftest import REPO, run_cli

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands.items())


@pytest.mark.parametrize("name, command", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_and_option_is_in_the_readme(name, command):
    assert f"paperfeed {name}" in README, f"README does not describe 'paperfeed {name}'"
    for param in command.params:
        if isinstance(param, click.Option):
            long_names = [opt for opt in param.opts if opt.startswith("--")]
            assert any(opt in README for opt in long_names), f"README does not mention {long_names} of {name}"


def test_readme_opens_with_the_two_setup_commands():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    assert blocks[0] == "python3 -m pip install -e . && paperfeed build"
    assert blocks[1] == "python3 -m pip install -e '.[test]' && .ci/install-test-tools && python3 -m pytest"
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert blocks[1] in ci, ".ci/run must run the README's test command"


def test_version_option():
    result = run_cli("--version", check=True)
    assert re.fullmatch(r"paperfeed, version \d+\.\d+\.\d+\n", result.stdout)
