"""`paperfeed serve`, run for real in a subprocess: live reload in Chromium, the error
banner, the next free port, path traversal, 404s, Ctrl-C, and built files untouched."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from tests.conftest import REPO, paper, write_site

BASE_URL = "https://user.github.io/repo/"  # served under /repo/, as the built links expect
PAPERS = {
    "2025/first-paper": paper(title="The First Paper", abstract="About firsts.", added="2025-12-09"),
    "2025/second-paper": paper(title="The Second Paper", abstract="About seconds.", added="2025-12-08"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m generator serve` in a subprocess, its output collected line by line."""

    def __init__(self, root: Path, port: int, output: str = "out") -> None:
        self.root, self.lines, self.errors = root, [], []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--content", "content", "--output", output,
             "--port", str(port)],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"})
        self.readers = [threading.Thread(target=lambda s=stream, i=into: i.extend(iter(s.readline, "")), daemon=True)
                        for stream, into in ((self.process.stdout, self.lines), (self.process.stderr, self.errors))]
        for reader in self.readers:
            reader.start()
        self.url = self.wait_for(r"serving \S+ at (http://\S+)").group(1)
        self.port = int(re.search(r":(\d+)/", self.url).group(1))

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        """The first match of `pattern` in a line of its stdout or stderr."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines) + list(self.errors):
                if found := re.search(pattern, line):
                    return found
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in the output:\n{''.join(self.lines)}\n{''.join(self.errors)}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            for reader in self.readers:
                reader.join(timeout=10)


def request(port: int, raw_path: str) -> tuple[int, bytes]:
    """Send the path exactly as given (no client normalises it) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"GET {raw_path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode("latin-1"))
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("serve")
    write_site(root, PAPERS, site={"base_url": BASE_URL})
    (root / "secret.txt").write_text("TOP SECRET, outside the output\n")
    return root


@pytest.fixture(scope="module")
def server(site):
    running = Server(site, free_port())
    yield running
    running.stop()



def test_it_builds_and_serves_under_the_base_path(server):
    assert server.url == f"http://127.0.0.1:{server.port}/repo/"
    status, body = request(server.port, "/repo/papers/first-paper/")
    assert status == 200 and b"The First Paper" in body
    status, _ = request(server.port, "/")
    assert status == 301
    status, body = request(server.port, "/repo/no/such/page/")
    assert status == 404 and b"Page not found" in body  # the site's own 404.html


def test_an_edit_shows_without_a_manual_reload_and_a_broken_build_shows_a_banner(server, site, browser):
    entry = site / "content/papers/2025/first-paper.yaml"
    page = browser.new_page()
    page.goto(server.url + "papers/first-paper/")
    expect(page.locator("h1")).to_have_text("The First Paper")
    page.evaluate("window.notReloaded = true")

    entry.write_text(yaml.safe_dump(paper(title="A Better Title", abstract="About firsts.", added="2025-12-09")))
    expect(page.locator("h1")).to_have_text("A Better Title", timeout=30000)
    assert page.evaluate("window.notReloaded === undefined"), "the new title came without a reload?"

    # Broken YAML: the last good page stays, with the error on top of it (as text, not HTML).
    entry.write_text('title: "A Better Title"\nadded: 2025-12-09\nabstract: About firsts.\n'
                     '"<b id=injected>typo</b>": 1\n')
    banner = page.locator("#paperfeed-build-error")
    expect(banner).to_be_visible(timeout=30000)
    expect(banner).to_contain_text("first-paper.yaml:4:1: unknown key '<b id=injected>typo</b>'")
    assert page.locator("#injected").count() == 0
    expect(page.locator("h1")).to_have_text("A Better Title")
    server.wait_for(r"build failed: 1 problem; still serving the last good site")
    assert any("first-paper.yaml:4:1: unknown key" in line for line in server.errors)

    entry.write_text(yaml.safe_dump(paper(title="Fixed Again", abstract="About firsts.", added="2025-12-09")))
    expect(page.locator("h1")).to_have_text("Fixed Again", timeout=30000)
    expect(banner).to_have_count(0)
    page.close()


def test_a_fix_that_changes_nothing_removes_the_banner(server, site, browser):
    entry = site / "content/papers/2025/second-paper.yaml"
    good = entry.read_text()
    page = browser.new_page()
    page.goto(server.url + "papers/second-paper/")
    entry.write_text("title: [unclosed\n")
    banner = page.locator("#paperfeed-build-error")
    expect(banner).to_contain_text("YAML syntax error", timeout=30000)
    entry.write_text(good)  # back to what was built: nothing to reload, but the error is gone
    expect(banner).to_have_count(0, timeout=30000)
    page.close()


def test_a_second_server_on_the_same_port_takes_the_next_and_says_so(server, site):
    second = Server(site, server.port, output="out2")
    try:
        assert second.port == server.port + 1
        second.wait_for(rf"port {server.port} is in use: serving on port {server.port + 1} instead")
        status, body = request(second.port, "/repo/papers/second-paper/")
        assert status == 200 and b"The Second Paper" in body
    finally:
        assert second.stop() == 0


@pytest.mark.parametrize("raw_path", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2E%2E%2Fsecret.txt",
    "/repo/../secret.txt", "/repo/../../secret.txt", "/repo/%2e%2e/secret.txt", "/repo/..%2fsecret.txt",
    "/repo/%2e%2e%2f%2e%2e%2fsecret.txt", "/repo/..\\secret.txt", "/repo/..%5csecret.txt", "/repo/%5c..%5csecret.txt",
    "/repo/.%2e/secret.txt", "/repo/papers/%00", "//secret.txt", "/repo//../secret.txt", "/repo/%252e%252e/secret.txt",
])
def test_no_path_leaves_the_output_folder(server, raw_path):
    status, body = request(server.port, raw_path)
    assert status in (400, 404), (raw_path, status)
    assert b"TOP SECRET" not in body


def test_a_symlink_out_of_the_output_is_not_followed(server, site):
    link = site / "out" / "leak.txt"
    link.symlink_to(site / "secret.txt")
    try:
        status, body = request(server.port, "/repo/leak.txt")
        assert status == 404 and b"TOP SECRET" not in body
    finally:
        link.unlink()


def test_only_served_pages_carry_the_live_reload_script(server, site):
    _, body = request(server.port, "/repo/")
    assert b"/__paperfeed/events" in body
    _, css = request(server.port, "/repo/static/style.css")
    assert b"__paperfeed" not in css
    built = [p for p in (site / "out").rglob("*") if p.is_file() and b"__paperfeed" in p.read_bytes()]
    assert built == [], "the live-reload script leaked into the built files"


def test_ctrl_c_stops_it_cleanly(tmp_path):
    write_site(tmp_path, {"2025/one": paper()})
    running = Server(tmp_path, free_port())
    assert running.stop() == 0
    assert running.lines[-1].strip() == "stopped"
    assert "Traceback" not in "".join(running.errors), "".join(running.errors)


def test_a_site_broken_from_the_start_is_served_with_its_error_until_fixed(tmp_path, browser):
    write_site(tmp_path, {"2025/one": paper(title="Finally Built"), "2025/two": "title: [unclosed\n"})
    running = Server(tmp_path, free_port())
    try:
        running.wait_for(r"two\.yaml:2:1: YAML syntax error")
        page = browser.new_page()
        page.goto(running.url)  # nothing was built yet: a bare 404 page, with the error on it
        expect(page.locator("#paperfeed-build-error")).to_contain_text("two.yaml:2:1: YAML syntax error")
        (tmp_path / "content/papers/2025/two.yaml").unlink()
        expect(page.locator(".card-title")).to_have_text("Finally Built", timeout=30000)
        expect(page.locator("#paperfeed-build-error")).to_have_count(0)
        page.close()
    finally:
        assert running.stop() == 0
