"""Check every internal link of a built site, from its files alone (no server).

`paperfeed check-links` and the pull-request workflow use it; so do the tests
(tests/support/tools.crawl_site is a thin wrapper). Each internal `href`, `src`
and `srcset` must name a file of the output (`dir/` means `dir/index.html`), a
`#fragment` must be an id of the target page, and absolute-path links must stay
under the path the site is published at (`/repo/` on GitHub Pages).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

# (tag, attribute) pairs whose value is one URL.
_URL_ATTRS = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "script": ("src",),
    "img": ("src",),
    "source": ("src",),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
}
_SRCSET_TAGS = {"img", "source"}
_IGNORED_SCHEMES = {"mailto", "tel", "javascript", "data", "blob", "about"}
_FAKE_ORIGIN = "http://paperfeed.invalid"


def normalize_prefix(prefix: str) -> str:
    """A URL path as a prefix: "repo" → "/repo/"."""
    if not prefix.startswith("/"):
        prefix = "/" + prefix
    if not prefix.endswith("/"):
        prefix += "/"
    return prefix


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.ids: set[str] = set()
        self.base_href: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs_d = {k: (v if v is not None else "") for k, v in attrs}
        if "id" in attrs_d:
            self.ids.add(attrs_d["id"])
        if tag == "a" and "name" in attrs_d:
            self.ids.add(attrs_d["name"])
        if tag == "base" and "href" in attrs_d and self.base_href is None:
            self.base_href = attrs_d["href"]
        for attr in _URL_ATTRS.get(tag, ()):
            if attr in attrs_d:
                self.urls.append(attrs_d[attr].strip())
        if tag in _SRCSET_TAGS and attrs_d.get("srcset"):
            for candidate in attrs_d["srcset"].split(","):
                parts = candidate.split()
                if parts:
                    self.urls.append(parts[0])

    handle_startendtag = handle_starttag


def _parse_page(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser


def crawl_site(output_dir: Path, base_path: str | None = None, site_url: str | None = None) -> list[str]:
    """Check every internal link of the built site in `output_dir`.

    `base_path` is the URL path the site is published under ("/" or e.g.
    "/repo/"); by default the path of `site_url`, else "/". Absolute URLs on
    `site_url`'s host (e.g. `https://x.github.io`) count as internal; other
    http(s) hosts, mailto:, tel:, data: and "#fragment"-only links are ignored.

    Returns problems such as `"index.html: broken link /repo/x/ (no file x/index.html)"`;
    an empty list means every internal link resolves. Raises NotADirectoryError
    for a missing folder and ValueError for one without HTML files.
    """
    root = Path(output_dir)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    site_origin = None
    if site_url is not None:
        s = urlsplit(site_url)
        site_origin = (s.scheme.lower(), s.netloc.lower())
        if base_path is None:
            base_path = s.path or "/"
    base_path = normalize_prefix(base_path or "/")

    pages = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".html", ".htm"))
    if not pages:
        raise ValueError(f"no HTML files in {root}")

    parsed: dict[Path, _PageParser] = {}

    def page_of(path: Path) -> _PageParser:
        if path not in parsed:
            parsed[path] = _parse_page(path)
        return parsed[path]

    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for page in pages:
        rel_page = page.relative_to(root).as_posix()
        info = page_of(page)
        page_url = _FAKE_ORIGIN + base_path + rel_page
        base_url = urljoin(page_url, info.base_href) if info.base_href else page_url

        def report(url: str, problem: str) -> None:
            if (rel_page, url) not in seen:
                seen.add((rel_page, url))
                problems.append(f"{rel_page}: {problem}")

        for url in info.urls:
            if url.startswith("#"):
                continue  # same-page fragment links are not checked
            scheme = urlsplit(url).scheme.lower()
            if scheme in _IGNORED_SCHEMES:
                continue
            absolute = urlsplit(urljoin(base_url, url))
            origin = (absolute.scheme.lower(), absolute.netloc.lower())
            path = unquote(absolute.path) or "/"
            if origin == ("http", "paperfeed.invalid"):
                # A relative or absolute-path link: it must stay under base_path.
                if not path.startswith(base_path):
                    report(url, f"link {url} escapes the site sub-path {base_path}")
                    continue
            elif site_origin is not None and origin == site_origin:
                # A full URL on the site's own host: internal when under base_path,
                # else another site on the same host (e.g. the user's home page).
                if not path.startswith(base_path):
                    continue
            else:
                continue  # another host or scheme
            rel = path[len(base_path):]
            target = root / rel if rel else root
            if rel == "" or path.endswith("/"):
                target = target / "index.html"
            elif target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                report(url, f"broken link {url} (no file {target.relative_to(root).as_posix()})")
                continue
            fragment = unquote(absolute.fragment)
            if fragment and target.suffix.lower() in (".html", ".htm"):
                if fragment not in page_of(target).ids and fragment.lower() != "top":
                    report(url, f"broken link {url} (no id \"{fragment}\" in "
                                f"{target.relative_to(root).as_posix()})")
    return problems
