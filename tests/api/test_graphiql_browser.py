"""GraphiQL really renders in a headless Chromium with only our server reachable.

The tiny app is served by uvicorn on 127.0.0.1; Chromium resolves no other host
(``--host-resolver-rules``), the page's CSP reports any blocked load back to the
app, and every request the browser makes is recorded.  Skipped when Chromium or
the GraphiQL assets are not installed.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from custgraph.http.graphiql import ASSETS_URL, find_graphiql_assets, graphiql_page, graphiql_routes

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ASSETS = find_graphiql_assets(None)

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (e.g. `apt-get install chromium`); browser check skipped",
    ),
    pytest.mark.skipif(
        ASSETS is None,
        reason="GraphiQL assets are not installed "
        "(run `make graphiql` or `graphiql/install.sh .venv`)",
    ),
]


@dataclass
class Recorder:
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    csp_reports: list[object] = field(default_factory=list)
    graphql_posts: list[str] = field(default_factory=list)


class RecordRequests:
    """ASGI middleware noting (method, path, status) of every HTTP request."""

    def __init__(self, app: ASGIApp, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.recorder.requests.append((scope["method"], scope["path"], message["status"]))
            await send(message)

        await self.app(scope, receive, send_and_record)


def make_app(recorder: Recorder) -> ASGIApp:
    async def page(request: Request) -> Response:
        response = graphiql_page("/graphql", ASSETS)
        csp = response.headers["content-security-policy"]
        response.headers["content-security-policy"] = f"{csp}; report-uri /csp-report"
        return response

    async def graphql(request: Request) -> Response:
        recorder.graphql_posts.append((await request.body()).decode())
        return JSONResponse({"data": None, "errors": [{"message": "no schema in this test"}]})

    async def csp_report(request: Request) -> Response:
        recorder.csp_reports.append(json.loads(await request.body()))
        return Response(status_code=204)

    app = Starlette(
        routes=[
            *graphiql_routes(ASSETS),
            Route("/graphql", page, methods=["GET"]),
            Route("/graphql", graphql, methods=["POST"]),
            Route("/csp-report", csp_report, methods=["POST"]),
        ]
    )
    return RecordRequests(app, recorder)


@pytest.fixture
def served() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        make_app(recorder), log_level="warning", lifespan="off", ws="none", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", recorder
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_graphiql_renders_offline_in_chromium(served: tuple[str, Recorder], tmp_path: Path) -> None:
    base_url, recorder = served
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        # Nothing but our server resolves: a load from anywhere else would fail.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        f"{base_url}/graphql",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]

    # GraphiQL's layout and a mounted Monaco editor (needs the lazily loaded
    # chunks and stylesheet): the IDE rendered, not just the HTML shell.
    assert "graphiql-container" in dom, dom[:2000]
    assert "graphiql-session" in dom
    assert "monaco-editor" in dom
    # The IDE talked to the configured endpoint (schema introspection).
    assert any("IntrospectionQuery" in body for body in recorder.graphql_posts)

    asset_requests = [r for r in recorder.requests if r[1].startswith(ASSETS_URL + "/")]
    assert len(asset_requests) >= 10, recorder.requests
    failed = [r for r in asset_requests if r[2] not in (200, 304)]
    assert not failed, failed
    for worker in ("editorWorker.js", "graphqlWorker.js"):
        assert ("GET", f"{ASSETS_URL}/{worker}", 200) in recorder.requests
    assert not recorder.csp_reports, recorder.csp_reports
