"""`paperfeed validate` on bad input: every problem with its exact path:line:col and message.

Each case writes one entry file (raw text, so line numbers are known by
reading the case) into a small valid site and runs the real CLI.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import pytest

from tests.conftest import REPO, run_cli

GOOD = 'title: "A Good Paper"\nadded: 2025-12-09\nabstract: "We do things."\n'
FUTURE = (date.today() + timedelta(days=3)).isoformat()

# (name, file under papers/, text, the exact expected line after the path)
CASES = [
    ("yaml syntax", "2025/p.yaml", 'title: "unclosed\nadded: 2025-12-09\n',
     "3:1: YAML syntax error: found unexpected end of stream"),
    ("not a mapping", "2025/p.yaml", "- title\n- abstract\n",
     "1:1: a paper entry must be a mapping of keys to values, got a list (['title', 'abstract'])"),
    ("empty file", "2025/p.yaml", "\n# only a comment\n", "1:1: empty file"),
    ("not utf-8", "2025/p.yaml", b'title: "Caf\xe9"\nadded: 2025-12-09\nabstract: x\n',
     "1:12: not UTF-8 text (byte 0xe9) — save the file as UTF-8"),
    ("unknown key", "2025/p.yaml", GOOD + "abstact: typo\n",
     "4:1: unknown key 'abstact' — did you mean 'abstract'?"),
    ("unknown link key", "2025/p.yaml", GOOD + "links:\n  cod: https://x.org/\n",
     "5:3: unknown key 'links.cod' — did you mean 'code'?"),
    ("missing required", "2025/p.yaml", 'title: "T"\nadded: 2025-12-09\n', "1:1: missing required key 'abstract'"),
    ("wrong type", "2025/p.yaml", GOOD + "upvotes: many\n",
     "4:10: 'upvotes' must be a whole number, got text ('many')"),
    ("unquoted arxiv id", "2025/p.yaml", GOOD + "arxiv: 2409.17887\n",
     "4:8: 'arxiv' must be text, got a number (2409.17887) — quote it"),
    ("bad arxiv id", "2025/p.yaml", GOOD + 'arxiv: "arXiv:2409.17887"\n',
     "4:8: 'arxiv' has the wrong form: 'arXiv:2409.17887'"),
    ("invalid date", "2025/p.yaml", 'title: "T"\nadded: 2025-13-01\nabstract: x\n',
     "2:8: 'added' must be a date YYYY-MM-DD, got text ('2025-13-01')"),
    ("added before published", "2025/p.yaml", GOOD + "published: 2025-12-10\n",
     "2:8: 'added' (2025-12-09) is before 'published' (2025-12-10) — a paper can only be featured after it appeared"),
    ("added in the future", f"{FUTURE[:4]}/p.yaml", f'title: "T"\nadded: {FUTURE}\nabstract: x\n',
     f"2:8: 'added' ({FUTURE}) is in the future (today is {date.today()})"),
    ("url not http", "2025/p.yaml", GOOD + "links:\n  code: javascript:alert(1)\n",
     "5:9: 'links.code': must be an absolute http(s) URL, got 'javascript:alert(1)'"),
    ("bad slug", "2025/Bad_Name.yaml", GOOD,
     "1:1: bad file name 'Bad_Name.yaml' — the slug must be lowercase letters, digits and '-', at most 80 "
     "characters, like 'vlad-buff-fast-aggregation.yaml'"),
    ("author count disagrees", "2025/p.yaml", GOOD + 'authors: ["A", "B"]\nauthor_count: 3\n',
     "5:15: 'author_count' is 3 but 2 authors are listed — remove author_count or make them agree"),
    ("bad tag format", "2025/p.yaml", GOOD + "tags: [Math_Reasoning]\n",
     "4:8: 'tags.0' has the wrong form: 'Math_Reasoning'"),
    ("tag not in vocabulary", "2025/p.yaml", GOOD + "tags: [quantization, robotics]\n",
     "4:22: unknown tag 'robotics' — add it to content/tags.yaml with a one-line description in the same pull request"),
    ("title too long", "2025/p.yaml", f'title: "{"x" * 301}"\nadded: 2025-12-09\nabstract: x\n',
     "1:8: 'title' is 301 characters long; the limit is 300"),
    ("abstract too long", "2025/p.yaml", f'title: T\nadded: 2025-12-09\nabstract: "{"y" * 20001}"\n',
     "3:11: 'abstract' is 20001 characters long; the limit is 20000"),
    ("wrong year folder", "2024/p.yaml", GOOD,
     "2:8: entry is in folder '2024' but was added in 2025 — move it to papers/2025/"),
    ("duplicate key", "2025/p.yaml", GOOD + "title: again\n", "4:1: YAML syntax error: duplicate key 'title'"),
    # values PyYAML's own constructors fail on (with ValueError, KeyError...): a problem, not a traceback
    ("number yaml cannot read", "2025/p.yaml", GOOD + "upvotes: 0b_\n",
     "4:10: YAML syntax error: cannot read '0b_' as !!int (quote it if it is text)"),
    ("empty tagged number", "2025/p.yaml", GOOD + "upvotes: !!int ''\n",
     "4:10: YAML syntax error: cannot read '' as !!int (quote it if it is text)"),
    ("tagged boolean", "2025/p.yaml", GOOD + "links:\n  code: !!bool maybe\n",
     "5:9: YAML syntax error: cannot read 'maybe' as !!bool (quote it if it is text)"),
    ("tagged set", "2025/p.yaml", GOOD + "tags: !!set [a]\n",
     "4:7: YAML syntax error: cannot read a list as !!set (quote it if it is text)"),
    ("unreadable value inside a list that holds itself", "2025/p.yaml", GOOD + 'note: &a [[*a], !!int ""]\n',
     "4:17: YAML syntax error: cannot read '' as !!int (quote it if it is text)"),
    ("nested too deep", "2025/p.yaml", GOOD + "note: " + "[" * 100_000 + "]" * 100_000 + "\n",
     "4:106: YAML syntax error: lists or mappings nested more than 100 levels deep"),
    ("todo marker", "2025/p.yaml", 'title: "TODO: the title"\nadded: 2025-12-09\nabstract: x\n',
     "1:8: 'title' still holds a TODO marker — replace it with the paper's real value"),
]


@pytest.mark.parametrize("name, where, text, expected", CASES, ids=[c[0] for c in CASES])
def test_each_bad_entry_is_reported_with_its_position(make_site, name, where, text, expected):
    content = make_site()
    path = content / "papers" / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    result = run_cli("validate", str(content))
    assert result.returncode == 1
    assert f"{path}:{expected}" in result.stdout.splitlines(), result.stdout


def test_every_problem_is_reported_in_one_run(make_site):
    content = make_site()
    (content / "papers" / "2025").mkdir()
    (content / "papers" / "2025" / "a.yaml").write_text(GOOD + "abstact: x\n")
    (content / "papers" / "2025" / "b.yaml").write_text("- x\n")
    result = run_cli("validate", str(content))
    assert result.returncode == 1
    assert len([line for line in result.stdout.splitlines() if ".yaml:" in line]) == 2
    assert "2 papers, 2 problems" in result.stderr


def test_duplicate_slug_and_arxiv_id(make_site):
    content = make_site(papers={
        "2024/same": {"title": "One", "added": "2024-05-01", "abstract": "x", "arxiv": "2409.17887"},
        "2025/same": {"title": "Two", "added": "2025-05-01", "abstract": "x"},
        "2025/other": {"title": "Three", "added": "2025-05-02", "abstract": "x", "arxiv": "2409.17887v2"},
    })
    out = run_cli("validate", str(content)).stdout.splitlines()
    papers = content / "papers"
    assert (f"{papers}/2025/same.yaml:1:1: slug 'same' is already used by {papers}/2024/same.yaml — "
            "two entries cannot share a file name, even in different years") in out
    assert (f"{papers}/2025/other.yaml:4:8: arXiv id 2409.17887 is already in {papers}/2024/same.yaml — "
            "this paper is already in the feed") in out


def test_stray_yaml_outside_year_folder(make_site):
    content = make_site()
    (content / "papers" / "loose.yaml").write_text(GOOD)
    out = run_cli("validate", str(content)).stdout
    assert (f"{content}/papers/loose.yaml:1:1: YAML file outside papers/<YYYY>/ — paper entries live in "
            "content/papers/<year added>/<slug>.yaml") in out


def test_site_yaml_without_id(make_site):
    content = make_site()
    text = (content / "site.yaml").read_text()
    (content / "site.yaml").write_text("\n".join(l for l in text.splitlines() if not l.startswith("id:")) + "\n")
    out = run_cli("validate", str(content)).stdout
    assert (f"{content}/site.yaml:1:1: missing required key 'id' — set a fixed id such as "
            "'tag:example.org,2025:papers'; feed ids derive from it and must never change") in out


def test_site_yaml_unknown_setting(make_site):
    content = make_site(site={"per_pgae": 10})
    out = run_cli("validate", str(content)).stdout
    assert "site.yaml:10:1: unknown key 'per_pgae' — did you mean 'per_page'?" in out


def test_github_format_prints_annotations(make_site):
    content = make_site()
    (content / "papers" / "2025").mkdir()
    path = content / "papers" / "2025" / "p.yaml"
    path.write_text(GOOD + "upvotes: -1\n")
    result = run_cli("validate", "--format", "github", str(content))
    shown = str(path).replace(":", "%3A").replace(",", "%2C")
    assert result.stdout.splitlines() == [f"::error file={shown},line=4,col=10::'upvotes' must be at least 0, got -1"]
    assert result.returncode == 1


def test_single_files_are_checked_against_the_whole_folder(make_site):
    content = make_site(papers={
        "2025/first": {"title": "One", "added": "2025-05-01", "abstract": "x", "arxiv": "2409.17887"},
        "2025/second": {"title": "Two", "added": "2025-05-02", "abstract": "x", "arxiv": "2409.17887"},
        "2025/broken": "- not a mapping\n",
    })
    second = content / "papers" / "2025" / "second.yaml"
    result = run_cli("validate", str(second))
    assert result.returncode == 1
    assert "arXiv id 2409.17887 is already in" in result.stdout
    assert "broken.yaml" not in result.stdout + result.stderr  # only the files asked about
    assert "1 paper, 1 problem" in result.stderr
    good = run_cli("validate", str(content / "papers" / "2025" / "first.yaml"))
    assert good.returncode == 0 and "1 paper, 0 problems" in good.stdout


def test_seed_content_validates_clean():
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().splitlines()[-1] == "53 papers, 0 problems"


def test_validate_and_build_never_modify_content(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    before = {p: p.read_bytes() for p in content.rglob("*") if p.is_file()}
    run_cli("validate", str(content), check=True)
    run_cli("build", "--content", str(content), "--output", str(tmp_path / "out"), check=True)
    assert {p: p.read_bytes() for p in content.rglob("*") if p.is_file()} == before


def test_a_wrong_option_gets_a_usage_error():
    result = run_cli("validate", "--formt", "github")
    assert result.returncode == 2
    assert "No such option '--formt'. Did you mean '--format'?" in result.stderr
    assert result.stderr.startswith("Usage: paperfeed validate")


def test_committed_schema_matches_the_model():
    committed = json.loads((REPO / "content" / "paper.schema.json").read_text())
    generated = json.loads(run_cli("schema", check=True).stdout)
    assert committed == generated, "regenerate with: paperfeed schema > content/paper.schema.json"
    assert generated["properties"]["links"]["anyOf"][0]["$ref"] == "#/$defs/Links"
    assert set(generated["required"]) == {"title", "added", "abstract"}
    assert generated["additionalProperties"] is False


def test_seed_entries_point_editors_at_the_schema():
    for path in (REPO / "content" / "papers").rglob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../paper.schema.json", path


def test_site_yaml_text_with_a_control_character(make_site):
    content = make_site(site={"author": "The\x07curators"})
    result = run_cli("validate", str(content))
    assert result.returncode == 1
    assert "site.yaml:6:9: 'author': must not contain the control character U+0007" in result.stdout


def test_tag_vocabulary_refuses_overlong_tags(make_site):
    long_tag = "a" * 81
    content = make_site(tags={long_tag: "Too long", "quantization": "Fine"})
    out = run_cli("validate", str(content)).stdout
    assert f"tags.yaml:1:1: bad tag name '{long_tag}' — use lowercase words joined by '-', like 'math-reasoning', at most 80 characters" in out
