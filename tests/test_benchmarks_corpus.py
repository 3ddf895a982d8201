"""The benchmark corpus generator is deterministic and writes valid content.

Only the corpus is tested here: benchmark timings are measurements, never assertions.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MAKE_CORPUS = REPO / "benchmarks" / "make_corpus.py"


def _make(out: Path, n: int = 200, seed: int = 1) -> Path:
    subprocess.run([sys.executable, str(MAKE_CORPUS), "--n", str(n), "--seed", str(seed), "--out", str(out),
                    "--quiet"], check=True, cwd=REPO)
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return _make(tmp_path_factory.mktemp("corpus") / "content")


def test_same_seed_gives_identical_bytes(corpus, tmp_path):
    again = _make(tmp_path / "content")
    first, second = _files(corpus), _files(again)
    assert len([name for name in first if name.startswith("papers/")]) == 200
    assert first == second


def test_another_seed_gives_another_corpus(corpus, tmp_path):
    other = _files(_make(tmp_path / "content", seed=2))
    papers = {name: data for name, data in _files(corpus).items() if name.startswith("papers/")}
    assert len([n for n in other if n.startswith("papers/")]) == 200
    assert papers != {name: data for name, data in other.items() if name.startswith("papers/")}


def test_corpus_passes_validation(corpus):
    assert (corpus / "tags.yaml").read_bytes() == (REPO / "content" / "tags.yaml").read_bytes()
    result = subprocess.run([sys.executable, "-m", "generator", "validate", str(corpus)], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "200 papers, 0 problems" in result.stdout + result.stderr
