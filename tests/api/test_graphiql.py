"""GraphiQL is served with every asset from our own server (no CDN).

The page is fetched from a tiny Starlette app, then every asset it references is
fetched from the same app: ``src``/``href`` attributes and asset URLs in its
inline bootstrap, ``url(...)`` in stylesheets, and the JS chunks the webpack
bundle loads lazily (found by scanning the JavaScript for chunk ids).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from custgraph.http.graphiql import (
    ASSETS_URL,
    find_graphiql_assets,
    graphiql_page,
    graphiql_routes,
)

BASE_URL = "http://testserver"
ASSETS = find_graphiql_assets(None)
needs_assets = pytest.mark.skipif(
    ASSETS is None,
    reason="GraphiQL assets are not installed (run `make graphiql` or `graphiql/install.sh .venv`)",
)


def make_app(assets: Path | None) -> Starlette:
    async def page(request: Request) -> Response:
        return graphiql_page("/graphql", assets)

    return Starlette(routes=[*graphiql_routes(assets), Route("/graphql", page)])


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(ASSETS))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        yield c


# --- reference extraction ---------------------------------------------------


class _RefParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.script_nonces: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            value = values.get(name)
            if value:
                self.refs.append(value)
        if tag == "script" and values.get("type") != "application/json":
            self.script_nonces.append(values.get("nonce"))


# Asset paths spelled out in the page's inline bootstrap (entry module, workers).
_QUOTED_ASSET = re.compile(r'"(' + re.escape(ASSETS_URL) + r'/[^"]+)"')
_ABSOLUTE_URL = re.compile(r"\b(?:https?|wss?)://[^\s\"'<>)]+", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_CSS_IMPORT = re.compile(r"""@import\s+(['"])([^'"]+)\1""")
# webpack's lazy chunk loading: `__webpack_require__.e(1234)` (minified `s.e(1234)`),
# context maps `"./module.js":[moduleId,[chunkId,...]]`, the chunk file-name
# function `s.u=e=>e+".js"`, and mini-css-extract's `{chunkId:1,...}` table of
# chunks that have a stylesheet named by `s.miniCssF=e=>e+".ruru.css"`.
_CHUNK_CALL = re.compile(r"\b[\w$]+\.e\((\d+)\)")
_CONTEXT_CHUNKS = re.compile(r'":\[\d+,\[(\d+(?:,\d+)*)\]\]')
_JS_CHUNK_SUFFIX = re.compile(r'\.u=\w+=>\w+\+"([^"]+)"')
_CSS_CHUNK_SUFFIX = re.compile(r'\.miniCssF=\w+=>\w+\+"([^"]+)"')
_CSS_CHUNK_TABLE = re.compile(r"\.miniCss=.{0,300}?\{(\d+:1(?:,\d+:1)*)\}\[")


def page_refs(html: str) -> set[str]:
    parser = _RefParser()
    parser.feed(html)
    return {*parser.refs, *_QUOTED_ASSET.findall(html)}


def js_refs(url: str, js: str) -> set[str]:
    js_suffix = m.group(1) if (m := _JS_CHUNK_SUFFIX.search(js)) else ".js"
    chunk_ids = set(_CHUNK_CALL.findall(js))
    for group in _CONTEXT_CHUNKS.findall(js):
        chunk_ids.update(group.split(","))
    refs = {urljoin(url, chunk_id + js_suffix) for chunk_id in chunk_ids}
    if (css_suffix := _CSS_CHUNK_SUFFIX.search(js)) is not None:
        for table in _CSS_CHUNK_TABLE.findall(js):
            for entry in table.split(","):
                refs.add(urljoin(url, entry.split(":")[0] + css_suffix.group(1)))
    return refs


def css_refs(url: str, css: str) -> set[str]:
    found = [m.group(2) for m in _CSS_URL.finditer(css)] + [
        m.group(2) for m in _CSS_IMPORT.finditer(css)
    ]
    return {urljoin(url, ref.strip()) for ref in found if not ref.startswith(("data:", "#"))}


def expected_type(path: str) -> tuple[str, ...]:
    if path.endswith((".js", ".mjs")):
        return ("text/javascript", "application/javascript")
    if path.endswith(".css"):
        return ("text/css",)
    if path.endswith((".ttf", ".otf", ".woff", ".woff2")):
        return ("font/", "application/font", "application/x-font")
    if path.endswith((".svg", ".png", ".gif", ".jpg", ".webp", ".ico")):
        return ("image/",)
    return ("",)


# --- tests ------------------------------------------------------------------


@needs_assets
async def test_page_and_every_asset_are_served_by_us(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")

    for url in _ABSOLUTE_URL.findall(page.text):
        assert urlsplit(url).netloc == urlsplit(BASE_URL).netloc, f"page references {url}"

    refs = page_refs(page.text)
    assert f"{ASSETS_URL}/ruru.js" in refs
    assert f"{ASSETS_URL}/ruru.css" in refs
    for ref in refs:
        parts = urlsplit(ref)
        assert not parts.scheme and not parts.netloc, f"not a same-origin path: {ref}"
        assert ref.startswith(ASSETS_URL + "/"), f"page references a non-asset URL: {ref}"

    todo = [urljoin(str(page.url), ref) for ref in refs]
    fetched: dict[str, str] = {}
    while todo:
        url = todo.pop()
        if url in fetched:
            continue
        response = await client.get(url)
        assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
        path = urlsplit(url).path
        content_type = response.headers.get("content-type", "")
        assert content_type.startswith(expected_type(path)), f"{url}: {content_type}"
        assert response.headers.get("x-content-type-options") == "nosniff"
        fetched[url] = content_type
        for found in (
            js_refs(url, response.text)
            if path.endswith(".js")
            else css_refs(url, response.text)
            if path.endswith(".css")
            else set()
        ):
            assert urlsplit(found).netloc == urlsplit(BASE_URL).netloc, f"{url} loads {found}"
            todo.append(found)

    paths = [urlsplit(url).path for url in fetched]
    # Guards against the scanners silently finding nothing after a ruru upgrade.
    assert sum(p.endswith(".js") for p in paths) >= 20, f"too few JS chunks found: {paths}"
    assert sum(p.endswith(".css") for p in paths) >= 2, "no lazily loaded CSS chunk found"
    assert any(p.endswith(".ttf") for p in paths), "no font referenced by the CSS found"
    for worker in ("editorWorker.js", "jsonWorker.js", "graphqlWorker.js"):
        assert f"{ASSETS_URL}/{worker}" in paths


@needs_assets
async def test_page_points_ide_at_endpoint_with_strict_csp(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql")
    assert '"endpoint": "/graphql"' in page.text
    assert page.headers["cache-control"] == "no-store"

    csp: dict[str, str] = {}
    for directive in page.headers["content-security-policy"].split(";"):
        name, _, value = directive.strip().partition(" ")
        csp[name] = value
    assert csp["default-src"] == "'none'"
    nonce = re.fullmatch(r"'self' 'nonce-([\w-]+)'", csp["script-src"])
    assert nonce is not None, csp["script-src"]
    for directive in ("style-src", "font-src", "img-src", "worker-src", "connect-src"):
        sources = csp[directive].split()
        assert "'self'" in sources
        assert not any(s.startswith(("http", "*", "blob:", "'unsafe-eval'")) for s in sources)

    # Every executable inline script carries this response's nonce.
    parser = _RefParser()
    parser.feed(page.text)
    assert parser.script_nonces
    assert set(parser.script_nonces) == {nonce.group(1)}

    again = await client.get("/graphql")
    assert again.headers["content-security-policy"] != page.headers["content-security-policy"]


@needs_assets
async def test_assets_revalidate_with_etag(client: httpx.AsyncClient) -> None:
    first = await client.get(f"{ASSETS_URL}/ruru.js")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-cache"
    second = await client.get(
        f"{ASSETS_URL}/ruru.js", headers={"if-none-match": first.headers["etag"]}
    )
    assert second.status_code == 304
    missing = await client.get(f"{ASSETS_URL}/no-such-chunk.js")
    assert missing.status_code == 404


def test_endpoint_is_escaped_in_page(tmp_path: Path) -> None:
    (tmp_path / "ruru.js").write_text("export {};\n")
    evil = '/graphql?x="</script><script>alert(1)</script>'
    body = graphiql_page(evil, tmp_path).body.decode()
    assert "</script><script>alert" not in body
    assert "alert(1)" in body  # still there, JSON-escaped


async def test_missing_assets_page_is_503_with_instructions(tmp_path: Path) -> None:
    assert find_graphiql_assets(tmp_path) is None  # configured but empty folder
    assert graphiql_routes(None) == []

    for assets in (None, tmp_path):
        transport = httpx.ASGITransport(app=make_app(assets))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            response = await client.get("/graphql")
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/html")
        assert "not installed" in response.text
        assert "make graphiql" in response.text
        assert "graphiql/install.sh .venv" in response.text
        assert "<script" not in response.text
        assert "default-src 'none'" in response.headers["content-security-policy"]


def test_configured_assets_folder_wins(tmp_path: Path) -> None:
    (tmp_path / "ruru.js").write_text("export {};\n")
    assert find_graphiql_assets(tmp_path) == tmp_path
    routes = graphiql_routes(tmp_path)
    assert len(routes) == 1
