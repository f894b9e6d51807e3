"""Swagger UI at /docs works on a network that reaches no CDN: every file the page loads comes
from this server, and its Content-Security-Policy admits nothing else."""

import base64
import hashlib
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

CHROMIUM = Path("/usr/bin/chromium")
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
SMALLEST = {".js": 500_000, ".css": 50_000, ".png": 200}  # the real files, not stubs
SOURCE_TOKENS = {"'self'", "'none'", "data:", "blob:"}


class Page(HTMLParser):
    """The URLs an HTML page loads, and the text of its inline scripts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._inline: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        url = attributes.get("src") or (attributes.get("href") if tag == "link" else None)
        if url is not None:
            self.urls.append(url)
        if tag == "script" and url is None:
            self._inline = []

    def handle_data(self, data: str) -> None:
        if self._inline is not None:
            self._inline.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inline is not None:
            self.inline_scripts.append("".join(self._inline))
            self._inline = None


def policy(response: httpx.Response) -> dict[str, list[str]]:
    directives = [d.split() for d in response.headers["content-security-policy"].split(";")]
    return {name: sources for name, *sources in directives}


def sha256_source(script: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"


def test_the_docs_page_loads_only_files_from_this_server(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = Page(response.text)
    assert sorted(page.urls) == [
        "/docs/assets/favicon-32x32.png",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
    ]
    assert "http" not in response.text


def test_every_file_the_docs_page_loads_is_served(client: TestClient) -> None:
    for url in Page(client.get("/docs").text).urls:
        response = client.get(url)
        kind = Path(url).suffix
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(CONTENT_TYPES[kind]), url
        assert len(response.content) >= SMALLEST[kind], url


def test_the_package_files_the_page_does_not_load_are_not_served(client: TestClient) -> None:
    """The package also holds a demo page that fetches its example from the internet."""
    for name in ("index.html", "swagger-initializer.js", "swagger-ui.js", "../__init__.py"):
        response = client.get(f"/docs/assets/{name}")
        assert response.status_code == 404, name
        assert response.headers["content-type"] == "application/problem+json"


def test_the_docs_policy_names_no_other_host(client: TestClient) -> None:
    directives = policy(client.get("/docs"))
    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:", "blob:"]
    for name, sources in directives.items():
        for source in sources:
            assert source in SOURCE_TOKENS or source.startswith("'sha256-"), (name, source)


def test_the_docs_policy_admits_the_inline_script_by_its_hash(client: TestClient) -> None:
    response = client.get("/docs")
    scripts = Page(response.text).inline_scripts
    assert len(scripts) == 1
    assert "SwaggerUIBundle(" in scripts[0]
    assert policy(response)["script-src"] == ["'self'", sha256_source(scripts[0])]


def test_the_oauth2_redirect_page_runs_only_its_own_script(client: TestClient) -> None:
    response = client.get("/docs/oauth2-redirect", params={"code": "abc", "state": "xyz"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = Page(response.text)
    assert page.urls == []
    assert [policy(response)["script-src"]] == [
        ["'self'", sha256_source(script)] for script in page.inline_scripts
    ]


def test_a_stale_token_does_not_refuse_the_docs(client: TestClient) -> None:
    stale = {"Authorization": "Bearer not-a-token"}
    assert client.get("/docs", headers=stale).status_code == 200
    assert client.get("/docs/oauth2-redirect", headers=stale).status_code == 200


def test_the_docs_pages_are_not_operations_of_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/docs")]


def test_behind_a_path_prefix_the_page_loads_its_files_under_it(app: FastAPI) -> None:
    with TestClient(app, root_path="/item10") as client:
        response = client.get("/item10/docs")
        assert response.status_code == 200
        page = Page(response.text)
        assert all(url.startswith("/item10/docs/assets/") for url in page.urls)
        assert "url: '/item10/openapi.json'" in page.inline_scripts[0]
        assert policy(response)["script-src"][1] == sha256_source(page.inline_scripts[0])
        assert all(client.get(url).status_code == 200 for url in page.urls)


# In a real browser, with every host but this one unresolvable


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(app: FastAPI) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, server_header=False, log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium on this machine")
def test_swagger_ui_draws_every_operation_offline_in_a_browser(served: str, tmp_path: Path) -> None:
    operations = sum(
        len(item) for item in httpx.get(served + "/openapi.json").json()["paths"].values()
    )
    browser = subprocess.run(  # noqa: S603 - the system browser, fixed arguments
        [
            str(CHROMIUM),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=20000",
            "--dump-dom",
            served + "/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    console = [line for line in browser.stderr.splitlines() if ":CONSOLE" in line]
    assert not [line for line in console if "Content Security Policy" in line]
    assert (
        len(re.findall(r'class="opblock-summary-path(?:__deprecated)?"', browser.stdout))
        == operations
    )
    assert "Item 10 Voluntary Platform" in browser.stdout
