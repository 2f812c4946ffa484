"""GraphiQL served entirely by this server: no CDN, works in closed networks.

The IDE is the npm package ``ruru`` (a prebuilt GraphiQL distribution), pinned in
``graphiql/package.json`` and installed by ``graphiql/install.sh`` into
``graphiql/node_modules``.  Its ``static/`` folder is found (see
:func:`find_graphiql_assets`) in one of three places:

* the folder given by the ``graphiql_assets_dir`` setting
  (``CUSTGRAPH_GRAPHIQL_ASSETS_DIR``), when set;
* ``custgraph/http/graphiql_static/`` inside the installed package: a wheel
  (``pip install .``) carries a copy of it, packed by the build hook
  ``hatch_build.py``, which runs ``graphiql/install.sh`` first (source maps are
  left out);
* ``graphiql/node_modules/ruru/static`` in the checkout, for an editable install
  (``make install``; ``make graphiql`` fills it), or under the working directory.

The folder holds an ES-module bundle (``ruru.js`` plus numbered chunks it ``import()``s
relative to its own URL), the stylesheet ``ruru.css`` (further ``<N>.ruru.css``
chunks are added as ``<link>`` elements at run time) and three Monaco editor
web workers.  This module mounts that folder at :data:`ASSETS_URL` and renders
the small HTML page that bootstraps it:

* ``<link rel="stylesheet">`` for ``ruru.css``;
* ``globalThis.MonacoEnvironment.getWorker`` returning same-origin module
  workers for ``editorWorker.js``, ``jsonWorker.js`` and ``graphqlWorker.js``;
* ``import {React, createRoot, Ruru} from ".../ruru.js"`` and rendering
  ``<Ruru endpoint=...>`` into a root element.

Plain Starlette: nothing here depends on Strawberry.
"""

from __future__ import annotations

import html
import json
import logging
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = [
    "ASSETS_URL",
    "find_graphiql_assets",
    "graphiql_page",
    "graphiql_routes",
]

logger = logging.getLogger(__name__)

#: URL path under which the ruru ``static/`` folder is served.
ASSETS_URL = "/graphiql/assets"

#: Where a wheel carries the bundle, next to this module (``hatch_build.py`` packs it).
_PACKAGED_STATIC = Path(__file__).resolve().parent / "graphiql_static"
#: Where ``graphiql/install.sh`` puts the bundle, relative to the repository root.
_INSTALLED_STATIC = Path("graphiql", "node_modules", "ruru", "static")
#: The entry module; its presence is what "assets installed" means.
_ENTRY = "ruru.js"
_STYLESHEET = "ruru.css"
#: Monaco asks ``MonacoEnvironment.getWorker(id, label)`` for a worker per label.
_WORKERS = {"json": "jsonWorker.js", "graphql": "graphqlWorker.js"}
_DEFAULT_WORKER = "editorWorker.js"

# Explicit types: Python's ``mimetypes`` does not know every extension on every
# platform (``.ttf``, ``.map``), and module scripts need a JavaScript type.
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".ttf": "font/ttf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


def _has_entry(folder: Path) -> bool:
    return (folder / _ENTRY).is_file()


def find_graphiql_assets(configured: Path | None) -> Path | None:
    """Locate ruru's ``static/`` folder.

    ``configured`` (e.g. from settings) wins when given; it is returned only if
    it really holds the bundle.  Otherwise the copy packed into the installed
    package (``custgraph/http/graphiql_static``, present in a wheel) is used,
    else ``graphiql/node_modules/ruru/static`` is looked up under the repository
    root (found from this file in the ``src/`` layout of an editable install),
    then under the current working directory.  Returns None when the assets are
    not installed.
    """
    if configured is not None:
        if _has_entry(configured):
            return configured
        logger.warning("configured GraphiQL assets folder %s has no %s", configured, _ENTRY)
        return None

    candidates = [_PACKAGED_STATIC]
    here = Path(__file__).resolve()
    if len(here.parents) > 3:
        # src/custgraph/http/graphiql.py -> parents[3] is the repository root.
        candidates.append(here.parents[3] / _INSTALLED_STATIC)
    candidates.append(Path.cwd() / _INSTALLED_STATIC)
    for candidate in candidates:
        if _has_entry(candidate):
            return candidate
    return None


class _AssetFiles(StaticFiles):
    """StaticFiles with explicit content types and cache/sniffing headers."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        media_type = _MEDIA_TYPES.get(Path(full_path).suffix)
        if media_type is not None and response.status_code != 304:
            response.headers["content-type"] = media_type
        # Chunk names are not content-hashed (ruru.js, 1004.js, ...), so a
        # browser must revalidate (cheap: ETag/Last-Modified -> 304) rather than
        # keep a stale entry module that would import chunks of another version.
        response.headers["cache-control"] = "no-cache"
        response.headers["x-content-type-options"] = "nosniff"
        return response


def graphiql_routes(assets_dir: Path | None) -> list[BaseRoute]:
    """The route serving ruru's static files, or none when they are absent."""
    if assets_dir is None:
        return []
    return [Mount(ASSETS_URL, app=_AssetFiles(directory=assets_dir), name="graphiql-assets")]


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def _content_security_policy(nonce: str, endpoint: str) -> str:
    connect = ["'self'"]
    origin = _origin(endpoint)
    if origin is not None:
        connect.append(origin)
    directives = {
        "default-src": ["'none'"],
        # The one inline bootstrap module carries the nonce (the JSON config
        # block is data, never executed); ruru.js, its chunks and workers are
        # same-origin module imports.  No 'unsafe-eval': the bundle never
        # evaluates strings (webpack's `new Function` fallback for the global
        # object is unreachable where globalThis exists).
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        # 'unsafe-inline' is needed for styles only: the bundle (Monaco editor)
        # creates <style> elements at run time with no nonce hook, and sets
        # style attributes via setAttribute; a nonce here would also switch
        # 'unsafe-inline' off.  Inline CSS cannot run code; stylesheet files
        # still come only from 'self'.
        "style-src": ["'self'", "'unsafe-inline'"],
        # ruru.css embeds its web fonts and icons as data: URIs.
        "font-src": ["'self'", "data:"],
        "img-src": ["'self'", "data:"],
        # Monaco's language workers, loaded as same-origin module scripts (no
        # blob: URLs needed since the bundle is served by us).
        "worker-src": ["'self'"],
        # The GraphQL endpoint: fetch for queries, and same-origin ws:/wss: for
        # subscriptions ('self' covers those in CSP Level 3 browsers).
        "connect-src": connect,
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _json_for_script(value: object) -> str:
    """JSON safe to embed in an HTML <script> block (no ``</script>`` escape)."""
    return (
        json.dumps(value, ensure_ascii=True)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL</title>
<link rel="modulepreload" href="{entry_url}">
<link rel="stylesheet" href="{stylesheet_url}">
<style>
body {{ margin: 0; }}
#graphiql {{ height: 100vh; }}
</style>
<script type="application/json" id="graphiql-config">{config_json}</script>
<script type="module" nonce="{nonce}">
const config = JSON.parse(document.getElementById("graphiql-config").textContent);
// Monaco asks for one web worker per language; serve them ourselves.
globalThis.MonacoEnvironment = {{
  getWorker(_moduleId, label) {{
    const url = config.workers[label] ?? config.workers.default;
    return new Worker(new URL(url, document.baseURI), {{ type: "module" }});
  }},
}};
const {{ React, createRoot, Ruru }} = await import(config.entry);
createRoot(document.getElementById("graphiql")).render(
  React.createElement(Ruru, config.props),
);
</script>
</head>
<body>
<div id="graphiql">
<noscript>GraphiQL needs JavaScript.</noscript>
</div>
</body>
</html>
"""

_MISSING_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GraphiQL is not installed</title>
</head>
<body>
<h1>GraphiQL is not available</h1>
<p>GraphiQL's assets are not installed on this server, so the IDE cannot be shown.
The GraphQL endpoint <code>{endpoint}</code> itself works: POST queries to it.</p>
<p>To install GraphiQL, run <code>make graphiql</code>
(or <code>graphiql/install.sh .venv</code>) in the project directory,
then reload this page.</p>
</body>
</html>
"""


def graphiql_page(endpoint: str, assets_dir: Path | None) -> HTMLResponse:
    """The GraphiQL IDE page for ``endpoint`` (e.g. ``"/graphql"``).

    Every script, stylesheet and worker it loads is same-origin, under
    :data:`ASSETS_URL`.  When ``assets_dir`` is None (or lacks the bundle), a
    503 page explains how to install the assets.
    """
    if assets_dir is None or not _has_entry(assets_dir):
        return HTMLResponse(
            _MISSING_PAGE.format(endpoint=html.escape(endpoint)),
            status_code=503,
            headers={
                "content-security-policy": (
                    "default-src 'none'; base-uri 'none'; form-action 'none'"
                ),
                "cache-control": "no-store",
            },
        )

    nonce = secrets.token_urlsafe(18)
    config = {
        "entry": f"{ASSETS_URL}/{_ENTRY}",
        "workers": {
            **{label: f"{ASSETS_URL}/{name}" for label, name in _WORKERS.items()},
            "default": f"{ASSETS_URL}/{_DEFAULT_WORKER}",
        },
        "props": {"endpoint": endpoint},
    }
    page = _PAGE.format(
        entry_url=html.escape(f"{ASSETS_URL}/{_ENTRY}"),
        stylesheet_url=html.escape(f"{ASSETS_URL}/{_STYLESHEET}"),
        config_json=_json_for_script(config),
        nonce=nonce,
    )
    return HTMLResponse(
        page,
        headers={
            "content-security-policy": _content_security_policy(nonce, endpoint),
            # The nonce changes per response: never reuse a cached page.
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
        },
    )
