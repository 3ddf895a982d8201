"""`paperfeed init`, `paperfeed check-links`, and the package outside this repository.

- init writes a site that validates, builds and passes its own link check at once; its
  workflows are this repository's, byte for byte, and pass actionlint; it refuses a
  non-empty folder, and with --force keeps every existing file (and says so).
- `build` outside a site says what it expected and how to make one.
- The wheel (marked `wheel`, part of the normal suite): built from a copy of the sources
  without build isolation, installed with --no-deps into a fresh virtual environment
  outside the repository, whose `paperfeed` then inits, validates and builds a site there
  with the theme that ships inside the package. The environment sees the machine's
  packages (--system-site-packages), which could hide a dependency the wheel forgets to
  declare: a separate test checks every third-party import against Requires-Dist.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from email.parser import Parser
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml

from generator import __version__
from generator.entries import entry_json_schema
from tests.conftest import REPO, run_cli
from tests.test_workflows import actionlint

EXAMPLE = "attention-is-all-you-need"
BASE = "https://lab.example.org/reading-group/"
ID = re.compile(r"tag:lab\.example\.org,\d{4}:papers-[0-9a-f]{8}")
SITE_FILES = [
    ".github/workflows/deploy.yml", ".github/workflows/validate.yml", ".gitignore", ".python-version",
    "CONTRIBUTING.md", "README.md", "content/paper.schema.json", f"content/papers/{date.today().year}/{EXAMPLE}.yaml",
    "content/site.yaml", "content/tags.yaml", "requirements.txt",
]


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def init(tmp_path: Path, *args: str, name: str = "feed") -> subprocess.CompletedProcess:
    return run_cli("init", name, *args, cwd=tmp_path)


# --- init, from this checkout ------------------------------------------------------------------

def test_init_writes_a_site_that_validates_and_builds(tmp_path):
    made = init(tmp_path, "--title", "Reading Group", "--base-url", BASE)
    assert made.returncode == 0, made.stderr
    site = tmp_path / "feed"
    assert files_under(site) == SITE_FILES
    assert made.stdout.count("wrote feed/") == len(SITE_FILES) and made.stderr == ""
    assert "next: cd feed && paperfeed build" in made.stdout

    settings = yaml.safe_load((site / "content" / "site.yaml").read_text())
    assert settings["title"] == "Reading Group" and settings["base_url"] == BASE
    assert ID.fullmatch(settings["id"]) and settings["id"] in made.stdout
    assert "must NEVER change" in (site / "content" / "site.yaml").read_text()
    entry_text = (site / SITE_FILES[7]).read_text()
    assert entry_text.startswith("# yaml-language-server: $schema=../../paper.schema.json\n")
    assert yaml.safe_load(entry_text)["added"] == date.today()
    assert json.loads((site / "content" / "paper.schema.json").read_text()) == entry_json_schema()
    for name in ("validate.yml", "deploy.yml"):  # the same workflows as this repository's
        assert (site / ".github" / "workflows" / name).read_bytes() == (REPO / ".github" / "workflows" / name).read_bytes()
    assert {"/output/", "/.paperfeed-cache/"} <= set((site / ".gitignore").read_text().splitlines())
    assert f"paperfeed=={__version__}" in (site / "requirements.txt").read_text().splitlines()
    floor = re.search(r'requires-python\s*=\s*">=(3\.\d+)"', (REPO / "pyproject.toml").read_text()).group(1)
    version = (site / ".python-version").read_text().strip()
    assert tuple(map(int, version.split("."))) >= tuple(map(int, floor.split(".")))
    readme = (site / "README.md").read_text()
    assert readme.startswith("# Reading Group\n")
    for needle in ("pip install -r requirements.txt", "paperfeed build", "paperfeed new", "Settings → Pages"):
        assert needle in readme
    assert "{{" not in readme + (site / "CONTRIBUTING.md").read_text()

    checked = run_cli("validate", cwd=site)
    assert checked.returncode == 0 and checked.stdout == "1 paper, 0 problems\n", checked.stdout + checked.stderr
    built = run_cli("build", cwd=site)
    assert built.returncode == 0, built.stdout + built.stderr
    assert (site / "output" / "papers" / EXAMPLE / "index.html").is_file()
    links = run_cli("check-links", cwd=site)
    assert links.returncode == 0 and links.stdout == "0 broken links\n", links.stdout + links.stderr


def test_each_site_gets_its_own_id(tmp_path):
    ids = []
    for name in ("one", "two"):
        assert init(tmp_path, "--base-url", BASE, name=name).returncode == 0
        ids.append(yaml.safe_load((tmp_path / name / "content" / "site.yaml").read_text())["id"])
    assert ids[0] != ids[1] and all(ID.fullmatch(i) for i in ids)


def test_init_defaults_title_from_the_folder_and_notes_the_missing_base_url(tmp_path):
    made = init(tmp_path, name="ml-reading_group")
    assert made.returncode == 0, made.stderr
    settings = yaml.safe_load((tmp_path / "ml-reading_group" / "content" / "site.yaml").read_text())
    assert settings["title"] == "Ml reading group" and settings["base_url"] == "https://example.org/"
    assert "note: no --base-url, so base_url is https://example.org/" in made.stderr


def test_init_refuses_a_non_empty_folder_and_writes_nothing(tmp_path):
    site = tmp_path / "feed"
    site.mkdir()
    (site / "notes.txt").write_text("mine\n")
    made = init(tmp_path)
    assert made.returncode == 1
    assert "feed is not empty (it holds notes.txt)" in made.stderr and "--force" in made.stderr
    assert files_under(site) == ["notes.txt"]


def test_init_force_adds_missing_files_and_keeps_existing_ones(tmp_path):
    site = tmp_path / "feed"
    (site / "content").mkdir(parents=True)
    (site / "README.md").write_text("# Our own README\n")
    assert init(tmp_path, "--base-url", BASE).returncode == 1  # refused without --force
    made = init(tmp_path, "--base-url", BASE, "--force")
    assert made.returncode == 0, made.stderr
    assert (site / "README.md").read_text() == "# Our own README\n"
    assert "kept feed/README.md: it exists already, so it was not overwritten" in made.stderr
    assert "wrote feed/README.md" not in made.stdout and "wrote feed/content/site.yaml" in made.stdout
    assert files_under(site) == SITE_FILES

    # Again: every file is kept, so the site's id cannot change.
    before = (site / "content" / "site.yaml").read_bytes()
    again = init(tmp_path, "--base-url", "https://elsewhere.example.org/", "--force")
    assert again.returncode == 0 and "wrote" not in again.stdout
    assert again.stderr.count("kept feed/") == len(SITE_FILES)
    assert (site / "content" / "site.yaml").read_bytes() == before


def test_a_folder_with_only_git_counts_as_empty(tmp_path):
    (tmp_path / "feed" / ".git").mkdir(parents=True)
    assert init(tmp_path).returncode == 0


@pytest.mark.parametrize("args, message", [
    (["--base-url", "ftp://example.org/"], "--base-url must be an absolute http(s) URL"),
    (["--base-url", "example.org"], "--base-url must be an absolute http(s) URL"),
    (["--title", "  "], "--title must not be empty"),
])
def test_init_refuses_bad_options_and_writes_nothing(tmp_path, args, message):
    made = init(tmp_path, *args)
    assert made.returncode == 1 and message in made.stderr, made.stderr
    assert not (tmp_path / "feed").exists()


def test_init_refuses_a_file(tmp_path):
    (tmp_path / "feed").write_text("")
    made = init(tmp_path, "--force")
    assert made.returncode == 1 and "exists and is not a folder" in made.stderr


def test_build_outside_a_site_says_how_to_make_one(tmp_path):
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "no site here: expected content/site.yaml" in result.stderr
    assert "paperfeed init DIR" in result.stderr and "Traceback" not in result.stderr


def test_generated_workflows_pass_actionlint(tmp_path):
    assert init(tmp_path, "--base-url", BASE).returncode == 0
    site = tmp_path / "feed"
    workflows = sorted((site / ".github" / "workflows").glob("*.yml"))
    assert [w.name for w in workflows] == ["deploy.yml", "validate.yml"]
    result = subprocess.run([actionlint(), "-no-color", "-oneline", "-shellcheck=", "-pyflakes=", *map(str, workflows)],
                            cwd=site, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# --- check-links -------------------------------------------------------------------------------

@pytest.fixture
def built_site(tmp_path) -> Path:
    assert init(tmp_path, "--base-url", BASE).returncode == 0
    site = tmp_path / "feed"
    built = run_cli("build", cwd=site)
    assert built.returncode == 0, built.stderr
    return site


def test_check_links_finds_a_broken_link(built_site):
    (built_site / "output" / "papers" / EXAMPLE / "index.html").unlink()
    result = run_cli("check-links", "output", cwd=built_site)
    assert result.returncode == 1
    broken = f"broken link /reading-group/papers/{EXAMPLE}/ (no file papers/{EXAMPLE}/index.html)"
    assert f"index.html: {broken}" in result.stdout.splitlines()
    assert re.search(r"^\d+ broken links?$", result.stderr, re.M)
    github = run_cli("check-links", "output", "--format", "github", cwd=built_site)
    assert f"::error title=broken link::index.html: {broken}" in github.stdout.splitlines()


def test_check_links_base_url_option_and_missing_output(built_site, tmp_path):
    # Published somewhere else, every absolute link of this build leaves the site's path.
    moved = run_cli("check-links", "output", "--base-url", "https://other.example.org/elsewhere/", cwd=built_site)
    assert moved.returncode == 1 and "escapes the site sub-path /elsewhere/" in moved.stdout
    missing = run_cli("check-links", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert missing.returncode == 1 and "run 'paperfeed build' first" in missing.stderr


def test_the_test_crawler_is_the_generators():
    from generator import linkcheck
    from tests.support import tools

    assert not hasattr(tools, "_PageParser") and tools.linkcheck is linkcheck


# --- the wheel, installed outside the repository -----------------------------------------------

SOURCES = ["pyproject.toml", "README.md", "generator", "themes", ".github"]  # what the wheel is built from
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}


def run(args: list, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env={**CLEAN_ENV, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
                                 **(env or {})})
    assert result.returncode == 0, f"{' '.join(map(str, args))}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the sources (so no build/ or egg-info lands in the
    repository, and no stale build/lib leaks into it), without build isolation."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", root / "dist", source], cwd=root)
    [built] = (root / "dist").glob("paperfeed-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment outside the repository with only the wheel installed in
    it; dependencies come from the machine's site-packages. Returns its bin folder."""
    root = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", root / "venv"], cwd=root)
    bin_dir = root / "venv" / ("Scripts" if os.name == "nt" else "bin")
    run([sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "--no-deps", "--no-index",
         "--force-reinstall", wheel], cwd=root)
    return bin_dir


@pytest.mark.wheel
def test_wheel_carries_the_theme_the_workflows_and_the_site_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"generator/{p.relative_to(REPO / 'generator').as_posix()}"
                for p in (REPO / "generator").rglob("*.py") if "__pycache__" not in p.parts}
    for folder in ("templates", "static"):
        expected |= {f"generator/themes/default/{folder}/{p.relative_to(REPO / 'themes/default' / folder).as_posix()}"
                     for p in (REPO / "themes" / "default" / folder).rglob("*") if p.is_file()}
    expected |= {"generator/workflows/validate.yml", "generator/workflows/deploy.yml"}
    expected |= {f"generator/new_site/{p.name}" for p in (REPO / "generator" / "new_site").iterdir()}
    assert expected - names == set()
    assert not [n for n in names if n.startswith(("tests/", "content/", "themes/", "benchmarks/"))]


@pytest.mark.wheel
def test_wheel_declares_every_third_party_import(wheel):
    """The venv borrows the machine's packages, so a dependency missing from the wheel's
    metadata would go unnoticed there: compare the imports with Requires-Dist."""
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(name).decode())
        sources = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".py")]
    required = {re.split(r"[\s\[<>=!~;(]", line, maxsplit=1)[0].lower().replace("_", "-")
                for line in metadata.get_all("Requires-Dist") if "extra ==" not in line}
    imported = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"generator", "__future__"}
    owners = packages_distributions()
    undeclared = {module: owners.get(module) for module in third_party
                  if not {d.lower().replace("_", "-") for d in owners.get(module, [])} & required}
    assert undeclared == {}, f"imported but not in Requires-Dist: {undeclared}"


@pytest.mark.wheel
def test_installed_paperfeed_starts_a_feed_outside_the_repository(venv, tmp_path):
    env = {"PATH": f"{venv}{os.pathsep}{os.environ.get('PATH', '')}"}
    paperfeed = venv / "paperfeed"
    assert run([paperfeed, "--version"], cwd=tmp_path, env=env).stdout.startswith("paperfeed, version ")

    # The code and the theme come from the virtual environment, not from this checkout.
    where = run([venv / "python", "-c", "import generator, generator.theme as t, generator.scaffold as s; "
                 "print(generator.__file__); print(t.BUNDLED_THEMES); print(s.workflows_dir())"],
                cwd=tmp_path, env=env).stdout.splitlines()
    prefix = venv.parent.resolve()
    assert all(Path(line).resolve().is_relative_to(prefix) for line in where), where
    assert not any(str(REPO) in line for line in where)

    made = run([paperfeed, "init", "feed", "--title", "Reading Group", "--base-url", BASE], cwd=tmp_path, env=env)
    site = tmp_path / "feed"
    assert files_under(site) == SITE_FILES, made.stdout
    assert run([paperfeed, "validate"], cwd=site, env=env).stdout == "1 paper, 0 problems\n"
    run([paperfeed, "build"], cwd=site, env=env)
    home = (site / "output" / "index.html").read_text()
    paper = (site / "output" / "papers" / EXAMPLE / "index.html").read_text()
    for page in (home, paper):
        assert re.search(r'<link[^>]+href="[^"]*static/style\.css', page), page[:2000]
    assert "Attention Is All You Need" in home and "Attention Is All You Need" in paper
    assert ((site / "output" / "static" / "style.css").read_bytes()
            == (REPO / "themes" / "default" / "static" / "style.css").read_bytes())
    assert run([paperfeed, "check-links"], cwd=site, env=env).stdout == "0 broken links\n"
