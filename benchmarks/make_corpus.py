"""Write a synthetic, deterministic content folder for benchmarks.

    python benchmarks/make_corpus.py --n 10000 --seed 1 --out /dev/shm/corpus/content

The folder follows FORMAT.md exactly (site.yaml, tags.yaml copied from the
repo's content/, papers/<YYYY>/<slug>.yaml) and passes `paperfeed validate`.
The same --n and --seed always give byte-identical files: everything comes
from one random.Random(seed), and dates count back from a fixed end date, never
from today. (The vocabulary is read from the repo's seed abstracts, so editing
those changes the corpus too.)

Entries look like the real thing: 6-18-word titles, 150-300-word abstracts with
occasional $math$ and TeX escapes, 1-12 authors from a Zipf-ish pool (so
authors recur and have many papers), names with diacritics, organizations,
1-3 tags, skewed upvotes, unique arXiv ids, ~30 papers a day.

Files are written as text, not with yaml.dump (which is ~20x slower); titles
are JSON strings, which YAML reads as double-quoted scalars, and abstracts are
literal block scalars.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import re
import shutil
import sys
import time
import unicodedata
from datetime import date, timedelta
from pathlib import Path
from random import Random

REPO = Path(__file__).resolve().parent.parent
END_DATE = date(2025, 12, 9)  # the newest `added` day; never "today", so output does not drift
PER_DAY = (20, 40)  # papers featured a day: uniform in this range, ~30 on average
MAX_SLUG = 80

FIRST_NAMES = """Ahmad Ming Ana José María Zoë Łukasz Søren François Jürgen Chloé Noémie Siddharth
Priya Wei Yuki Hiroshi Olga Dmitri Ilse Björn Åsa Mateo Lucía Renée Thibault Ömer Çağla Nguyễn
Thảo Kwame Amara Fatima Omar Leila Pedro João Inês Tomás Marta Paweł Agnieszka Jiří Tereza
Dániel Zsófia Ioana Mihai Elif Kemal Sofía Andrés Camila Hana Minjun Jisoo Arjun Kavya Rahul
Sven Ingrid Matthias Anneliese Grégoire Hélène Valentina Giulia Luca Alessandro Chiara Niamh
Seán Aoife Eoin David Sarah Michael Emily James Olivia Daniel Laura Xin Yifan Hao Jing Tao
Lin Mei Kenji Sakura Takumi Ravi Ananya Vikram Nadia Yusuf Zainab Tariq Efe Chidi Ngozi""".split()
LAST_NAMES = """Khaliq Xu García Martínez Müller Schröder Łukasiewicz Kierkegaard Dubois Lefèvre
Ng Patel Sharma Wang Zhang Li Liu Chen Yang Huang Zhao Wu Zhou Sun Ma Tanaka Suzuki Yamamoto
Nakamura Ivanova Petrov Sokolov Kowalski Nowak Wiśniewski Dvořák Novák Horváth Kovács Popescu
Ionescu Yılmaz Öztürk Şahin Çelik Nguyễn Trần Lê Phạm Mensah Okafor Adeyemi Haddad Nasser
Rahman Hussain Costa Silva Gonçalves Ferreira Rossi Russo Bianchi Romano Conti Ricci Bernard
Moreau Laurent Fournier Girard Bonnet Jensen Nielsen Hansen Lindqvist Andersson Johansson
Eriksson Berg Fischer Weber Becker Hoffmann Schäfer Koch Richter Smith Johnson Williams Brown
Jones Miller Davis Wilson Anderson Thomas Taylor Moore Jackson O'Brien Murphy Kelly Byrne
Kim Lee Park Choi Jung Kang Iyer Reddy Nair Gupta Singh Kumar Das Bose Mukherjee Fernández
López González Rodríguez Pérez Sánchez Ramírez Torres Flores Rivera Gómez Díaz Morales""".split()
ORGANIZATIONS = [
    "Google DeepMind", "Meta AI", "Microsoft Research", "OpenAI", "Anthropic", "NVIDIA",
    "Hugging Face", "Allen Institute for AI", "Tsinghua University", "Peking University",
    "ETH Zürich", "EPFL", "Université de Montréal", "Mila", "University of Tokyo", "KAIST",
    "Max Planck Institute for Intelligent Systems", "Carnegie Mellon University", "MIT CSAIL",
    "Stanford University", "UC Berkeley", "University of Oxford", "University of Cambridge",
    "Technische Universität München", "Sorbonne Université", "Universidad de São Paulo",
    "Shanghai AI Laboratory", "Alibaba Qwen", "DeepSeek", "Mistral AI", "Cohere", "Apple",
    "IBM Research", "Samsung AI Center", "Naver Labs", "Sakana AI", "Zhejiang University",
    "Nanyang Technological University", "Indian Institute of Science", "Weizmann Institute",
]
HANDLES = ["akhaliq", "curator", "mlreader", "arxiv-bot", "jdoe", "nlp-fan", "vision_lab",
           "quant-nerd", "sci-disc", "tensorcat"]
# Inline and display formulas in the style arXiv abstracts use them.
INLINE_MATH = [
    r"$O(n \log n)$", r"$\alpha = 0.5$", r"$O(n^2)$", r"$k$", r"$\epsilon$-greedy", r"$d \gg n$",
    r"$\ell_2$", r"$\mathcal{O}(\sqrt{T})$", r"$x \in \mathbb{R}^d$", r"$\beta_1 = 0.9$",
    r"$p < 0.05$", r"$\lambda$", r"$W_q, W_k$", r"$L^2$", r"$\tilde{O}(1/\epsilon^2)$",
    r"$2\times$", r"$\theta^*$", r"$\mathrm{softmax}(QK^\top)$", r"$n = 10^6$", r"$\sigma(x)$",
]
DISPLAY_MATH = [
    r"$$\sum_i x_i^2$$", r"$$\mathcal{L} = -\sum_{t} \log p_\theta(x_t \mid x_{<t})$$",
    r"$$\|W - \hat{W}\|_F \le \epsilon$$", r"$$\frac{1}{n}\sum_{i=1}^{n} f(x_i)$$",
]
TEX_BITS = [
    "by 12.5\\% on average", "a ``drop-in'' replacement", "up to 3\\% fewer parameters",
    "the so-called ``grokking'' regime", "trade-offs -- accuracy versus cost",
    "following Erd\\H{o}s", "na\\\"ive baselines", "with r\\'esum\\'e-style prompts",
    "about 40\\% of the cases", "in a ``zero-shot'' setting",
]
CODE_HOSTS = ["https://github.com/{u}/{r}", "https://github.com/{u}/{r}", "https://gitlab.com/{u}/{r}"]


# --- vocabulary ----------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z][A-Za-z]+(?:-[A-Za-z]+)?")


def load_vocabulary(seed_papers: Path) -> tuple[list[str], list[str]]:
    """(prose words in frequency order of appearance, title-worthy words), from the seed abstracts.

    Only plain words ([A-Za-z] and inner '-') are kept so nothing the generator's
    Markdown/TeX scanner reacts to sneaks in; the word list keeps duplicates so
    common words stay common.
    """
    import yaml  # only to read the seed entries; the corpus itself is written as text

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    prose: list[str] = []
    for path in sorted(seed_papers.glob("*/*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        if not isinstance(data, dict):
            continue
        for field in ("abstract", "title"):
            text = data.get(field)
            if isinstance(text, str):
                prose += [w for w in _WORD.findall(text) if w.upper() != "TODO"]
    if len(set(prose)) < 200:
        raise SystemExit(f"too few seed words under {seed_papers} to make realistic text")
    stop = {"the", "of", "and", "a", "an", "to", "in", "for", "on", "with", "by", "is", "are",
            "we", "our", "that", "this", "as", "at", "be", "from", "it", "its", "or", "can", "which"}
    content_words = sorted({w.lower() for w in prose if len(w) > 3 and w.lower() not in stop})
    return prose, content_words


# --- pieces of an entry --------------------------------------------------------

def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def make_author_pool(rng: Random, size: int) -> list[str]:
    """`size` distinct names, distinct even after dropping accents (so author pages never merge)."""
    names, seen = [], set()
    middle = "ABCDEFGHJKLMNPRSTW"
    while len(names) < size:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        if _fold(name) in seen:
            name = f"{first} {rng.choice(middle)}. {last}"
        if _fold(name) in seen:
            name = f"{first} {rng.choice(LAST_NAMES)}-{last}"
        if _fold(name) in seen:
            continue
        seen.add(_fold(name))
        names.append(name)
    return names


def zipf_cumulative(size: int, exponent: float = 1.0, offset: int = 1) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + offset) ** exponent for rank in range(size)))


def zipf_pick(rng: Random, cumulative: list[float]) -> int:
    return bisect.bisect_left(cumulative, rng.random() * cumulative[-1])


def slugify_title(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", _fold(title))
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > MAX_SLUG:
            break
        slug = candidate
    return slug or "paper"


def unique_slug(base: str, used: set[str]) -> str:
    slug, n = base, 1
    while slug in used:
        n += 1
        suffix = f"-{n}"
        slug = base[: MAX_SLUG - len(suffix)].rstrip("-") + suffix
    used.add(slug)
    return slug


class Writer:
    """Makes entries one after another; all randomness comes from `rng`."""

    def __init__(self, rng: Random, n: int, prose: list[str], content_words: list[str], tags: list[str]):
        self.rng = rng
        self.prose = prose
        self.content_words = content_words
        self.tags = tags
        self.authors = make_author_pool(rng, max(20, n // 4))
        # Zipf-like with an offset: the busiest author is on ~2% of the papers, the
        # least busy on a few, so author pages range from long listings to short ones.
        self.author_cum = zipf_cumulative(len(self.authors), 1.0, offset=40)
        self.org_cum = zipf_cumulative(len(ORGANIZATIONS), 1.1)
        self.titles: set[str] = set()
        self.slugs: set[str] = set()
        self.arxiv: set[str] = set()

    def title(self) -> str:
        rng = self.rng
        while True:
            count = rng.randint(6, 18)
            words = [rng.choice(self.content_words) for _ in range(count)]
            small = ["of", "for", "in", "with", "via", "and", "on", "to"]
            for i in range(2, count - 1, rng.randint(3, 5)):
                words[i] = rng.choice(small)
            words = [w if w in small else w[:1].upper() + w[1:] for w in words]
            if rng.random() < 0.3:  # "Name: what it does", as many titles go
                acronym = "".join(w[0] for w in words[1:5]).upper() + rng.choice(["", "-2", "Net", "Bench"])
                words = [acronym + ":"] + words[1:]
            if rng.random() < 0.02:
                words[rng.randint(1, len(words) - 1)] = rng.choice([r"$O(n)$", r"$\alpha$", r"$k$-NN"])
            title = " ".join(words)
            if title not in self.titles and slugify_title(title) not in self.slugs:
                self.titles.add(title)
                return title

    def sentence(self, most: int = 28) -> str:
        """One sentence of at most `most` (>= 3) whitespace-separated words."""
        rng, prose = self.rng, self.prose
        random, span = rng.random, len(prose) - 12
        length = 8 + int(random() * 21)  # 8..28 words
        words: list[str] = []
        while len(words) < length:  # runs of 3..12 consecutive seed words read like prose
            start = int(random() * span)
            words += prose[start:start + 3 + int(random() * 10)]
        del words[length:]
        if random() < 0.03:
            words.insert(rng.randint(1, len(words)), rng.choice(INLINE_MATH))
        if random() < 0.02:
            words.insert(rng.randint(1, len(words)), rng.choice(TEX_BITS))
        words[0] = words[0][:1].upper() + words[0][1:]
        text = " ".join(words)
        if text.count(" ") + 1 > most:  # cut at a word that is not inside a formula
            kept, count = [], 0
            for word in words:
                count += word.count(" ") + 1
                if count > most:
                    break
                kept.append(word)
            text = " ".join(kept)
        return text + "."

    def abstract(self) -> str:
        rng = self.rng
        target = rng.randint(150, 290)  # + at most 6 words of display math: within 150-300
        sentences, count = [], 0
        while count < target:
            sentence = self.sentence(max(3, target - count))
            sentences.append(sentence)
            count += sentence.count(" ") + 1
        text = " ".join(sentences)
        if rng.random() < 0.05:
            cut = len(sentences) // 2
            text = " ".join(sentences[:cut]) + " " + rng.choice(DISPLAY_MATH) + " " + " ".join(sentences[cut:])
        if rng.random() < 0.15:  # a second paragraph now and then
            cut = max(1, len(sentences) * 2 // 3)
            text = " ".join(sentences[:cut]) + "\n\n" + " ".join(sentences[cut:])
        return text

    def author_list(self) -> list[str]:
        rng = self.rng
        count = min(12, max(1, int(rng.lognormvariate(1.35, 0.55))))
        picked: list[str] = []
        while len(picked) < count:
            name = self.authors[zipf_pick(rng, self.author_cum)]
            if name not in picked:
                picked.append(name)
        return picked

    def arxiv_id(self, published: date) -> str:
        while True:
            ident = f"{published:%y%m}.{self.rng.randint(1, 29999):05d}"
            if ident not in self.arxiv:
                self.arxiv.add(ident)
                return ident

    def entry(self, added: date) -> tuple[str, str]:
        """(slug, file text) of one entry added on `added`."""
        rng = self.rng
        title = self.title()
        slug = unique_slug(slugify_title(title), self.slugs)
        published = added - timedelta(days=int(min(400, rng.expovariate(1 / 40))))
        arxiv = self.arxiv_id(published)
        lines = ["# yaml-language-server: $schema=../../paper.schema.json",
                 f"title: {json.dumps(title, ensure_ascii=False)}"]
        style = rng.random()
        if style < 0.90:
            authors = self.author_list()
            lines.append(f"authors: {json.dumps(authors, ensure_ascii=False)}")
            if style > 0.86:
                lines.append(f"author_count: {len(authors)}")
        else:
            lines.append(f"author_count: {rng.randint(1, 30)}")
        if rng.random() < 0.35:
            org = ORGANIZATIONS[zipf_pick(rng, self.org_cum)]
            lines.append(f"organization: {json.dumps(org, ensure_ascii=False)}")
        lines.append(f"published: {published.isoformat()}")
        lines.append(f"added: {added.isoformat()}")
        lines.append("abstract: |")
        lines += [f"  {line}" if line else "" for line in self.abstract().split("\n")]
        version = f"v{rng.randint(2, 4)}" if rng.random() < 0.1 else ""
        lines.append(f'arxiv: "{arxiv}{version}"')
        lines.append("links:")
        lines.append(f"  pdf: https://arxiv.org/pdf/{arxiv}{version}")
        if rng.random() < 0.4:
            user = rng.choice(self.content_words) + rng.choice(["-lab", "ai", "", "42"])
            repo = slug[:30].rstrip("-")
            lines.append(f"  code: {rng.choice(CODE_HOSTS).format(u=user, r=repo)}")
        if rng.random() < 0.1:
            lines.append(f"  project: https://{slug[:20].rstrip('-')}.github.io/")
        tags = rng.sample(self.tags, k=min(len(self.tags), rng.choice([1, 1, 2, 2, 2, 3])))
        lines.append(f"tags: [{', '.join(tags)}]")
        upvotes = min(300, int(rng.lognormvariate(2.3, 1.1)))  # median ~10, a long tail, capped
        if upvotes or rng.random() < 0.5:
            lines.append(f"upvotes: {upvotes}")
        if rng.random() < 0.2:
            lines.append(f"submitted_by: {json.dumps(rng.choice(HANDLES))}")
        if rng.random() < 0.03:
            lines.append("note: |")
            lines.append(f"  Worth a look: {self.sentence()} See the **ablations**.")
        return slug, "\n".join(lines) + "\n"


# --- the folder ----------------------------------------------------------------

def site_yaml(n: int, seed: int, search: bool | None = None) -> str:
    """FORMAT.md's site.yaml; `search` None leaves the generator's default (no key)."""
    return (
        f'title: "Benchmark feed ({n} papers, seed {seed})"\n'
        'description: "A synthetic corpus made by benchmarks/make_corpus.py."\n'
        'base_url: "https://bench.example.org/papers/"\n'
        'id: "tag:bench.example.org,2025:paperfeed-bench"\n'
        "language: en\n"
        'author: "The benchmark"\n'
        "per_page: 30\n"
        "feed_items: 50\n"
        "theme: default\n"
        + ("" if search is None else f"search: {'true' if search else 'false'}\n")
    )


def prepare_out(out: Path) -> None:
    if out.resolve() == (REPO / "content").resolve() or (out / ".git").exists():
        raise SystemExit(f"{out} is the repo's own content or a git work tree: refusing to replace it")
    if out.exists():
        if not out.is_dir():
            raise SystemExit(f"{out} exists and is not a folder")
        if any(out.iterdir()) and not (out / "site.yaml").exists():
            raise SystemExit(f"{out} is not empty and not a content folder: refusing to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True)


def make_corpus(n: int, seed: int, out: Path, source: Path = REPO / "content",
                search: bool | None = None) -> int:
    """Write the corpus into `out` (replaced if it is a content folder). Returns files written."""
    prose, content_words = load_vocabulary(source / "papers")
    tags_text = (source / "tags.yaml").read_text(encoding="utf-8")
    import yaml

    tags = list(yaml.safe_load(tags_text))
    rng = Random(seed)
    writer = Writer(rng, n, prose, content_words, tags)
    prepare_out(out)
    (out / "site.yaml").write_text(site_yaml(n, seed, search), encoding="utf-8")
    (out / "tags.yaml").write_text(tags_text, encoding="utf-8")
    papers = out / "papers"
    made_dirs: set[int] = set()
    day, left_today = END_DATE, rng.randint(*PER_DAY)
    for _ in range(n):
        if left_today == 0:
            day -= timedelta(days=1)
            left_today = rng.randint(*PER_DAY)
        left_today -= 1
        slug, text = writer.entry(day)
        folder = papers / str(day.year)
        if day.year not in made_dirs:
            folder.mkdir(parents=True, exist_ok=True)
            made_dirs.add(day.year)
        with open(folder / f"{slug}.yaml", "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    return n + 2


def extra_entry(seed: int, added: date, arxiv: str, source: Path = REPO / "content") -> str:
    """The text of one more entry (for "one new entry" benchmarks), with a given day and arXiv id."""
    import yaml

    prose, content_words = load_vocabulary(source / "papers")
    tags = list(yaml.safe_load((source / "tags.yaml").read_text(encoding="utf-8")))
    writer = Writer(Random(f"extra-{seed}"), 100, prose, content_words, tags)
    _, text = writer.entry(added)
    text = re.sub(r'^arxiv: ".*"$', f'arxiv: "{arxiv}"', text, count=1, flags=re.M)
    return re.sub(r"^  pdf: .*$", f"  pdf: https://arxiv.org/pdf/{arxiv}", text, count=1, flags=re.M)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, required=True, help="number of paper entries")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same bytes)")
    parser.add_argument("--out", type=Path, required=True, help="the content folder to write (replaced)")
    parser.add_argument("--search", choices=["on", "off"], default=None,
                        help="write 'search: true/false' into site.yaml (default: no key, the generator's default)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("--n must be >= 0")
    started = time.perf_counter()
    search = None if args.search is None else args.search == "on"
    files = make_corpus(args.n, args.seed, args.out, search=search)
    seconds = time.perf_counter() - started
    if not args.quiet:
        print(f"{args.n} papers, {files} files in {seconds:.2f} s "
              f"({files / seconds:,.0f} files/s) -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
