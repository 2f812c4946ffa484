"""A wheel built from the checkout serves GraphiQL from the files it carries.

What a deployer does: build the wheel (`pip wheel`, which runs the build hook
`hatch_build.py`), install it into a fresh virtualenv, and run that virtualenv's
`custgraph serve` from a directory outside the checkout, so that neither the
checkout's `graphiql/node_modules` nor its `src/` can be what answers.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.faults.server_process import ServerProcess, free_port, server_environment

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT_STATIC = ROOT / "graphiql" / "node_modules" / "ruru" / "static"
PACKAGE_STATIC = "custgraph/http/graphiql_static"
WORKERS = ("editorWorker.js", "jsonWorker.js", "graphqlWorker.js")
BUILD_SECONDS = 600  # npm ci when the assets are not installed yet, then pip
SHUTDOWN_SECONDS = 10.0

# The build hook installs the assets with npm when the checkout has none yet.
pytestmark = [
    pytest.mark.skipif(
        not (CHECKOUT_STATIC / "ruru.js").is_file()
        and shutil.which(os.environ.get("NPM") or "npm") is None,
        reason="GraphiQL assets are not installed and there is no npm to install them with "
        "(the wheel build runs graphiql/install.sh): install Node.js or run `make graphiql`",
    ),
    # The installed server runs on a SQLite file of its own whatever the run's database:
    # the PostgreSQL pass would build and install the same wheel again for nothing.
    pytest.mark.skipif(
        bool(os.environ.get("CUSTGRAPH_TEST_POSTGRES")),
        reason="runs in the SQLite pass only: the wheel and its server do not depend on "
        "the run's database",
    ),
]


def run(command: Sequence[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run `command`; its output, or an AssertionError that shows it."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=BUILD_SECONDS,
        check=False,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-5000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", out, ROOT], out)
    (built,) = out.glob("custgraph-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed (its dependencies from the index)."""
    folder = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", folder], folder)
    run([folder / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], folder)
    return folder


class _PageParser(HTMLParser):
    """The stylesheet links and the JSON config block of the GraphiQL page."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.config: dict[str, object] = {}
        self._in_config = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.stylesheets.append(str(values["href"]))
        self._in_config = tag == "script" and values.get("id") == "graphiql-config"

    def handle_data(self, data: str) -> None:
        if self._in_config:
            self.config = json.loads(data)
            self._in_config = False


def test_wheel_carries_graphiql_assets_without_source_maps(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    static = {name.removeprefix(f"{PACKAGE_STATIC}/") for name in names}
    for name in ("ruru.js", "ruru.css", "ruru.js.LICENSE.txt", *WORKERS):
        assert name in static, f"{PACKAGE_STATIC}/{name} is not in the wheel"
    assert not [name for name in names if name.endswith(".map")]
    # Every file ruru ships but its source maps.
    shipped = {
        path.relative_to(CHECKOUT_STATIC).as_posix()
        for path in CHECKOUT_STATIC.rglob("*")
        if path.is_file() and path.suffix != ".map"
    }
    assert shipped <= static


@pytest.fixture(scope="module")
def deploy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's working directory: outside the checkout, no node_modules, no .env."""
    return tmp_path_factory.mktemp("deploy")


def deploy_environment(folder: Path) -> dict[str, str]:
    env = server_environment(f"sqlite+aiosqlite:///{folder / 'custgraph.db'}")
    env.pop("PYTHONPATH", None)  # nothing of the checkout on the path
    env.pop("VIRTUAL_ENV", None)
    return env


@pytest.fixture(scope="module")
def installed_assets(venv: Path, deploy_dir: Path) -> Path:
    """The folder the installed package's `find_graphiql_assets` picks, as the server would."""
    finder = "from custgraph.http.graphiql import find_graphiql_assets as f; print(f(None))"
    output = run(
        [venv / "bin" / "python", "-c", finder], deploy_dir, deploy_environment(deploy_dir)
    )
    return Path(output.splitlines()[-1])


def start_installed_server(venv: Path, folder: Path) -> ServerProcess:
    """The installed virtualenv's `custgraph serve` on a free port, run in `folder`."""
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [venv / "bin" / "custgraph", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=deploy_environment(folder),
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return ServerProcess(process, port, log)


def test_installed_package_finds_the_assets_it_carries(venv: Path, installed_assets: Path) -> None:
    site_packages = next(venv.glob("lib/python*/site-packages"))
    assert installed_assets == site_packages / PACKAGE_STATIC
    assert (installed_assets / "ruru.js").is_file()


async def test_installed_wheel_serves_graphiql_and_graphql(
    venv: Path, installed_assets: Path, deploy_dir: Path
) -> None:
    server = start_installed_server(venv, deploy_dir)
    try:
        await server.wait_ready()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            page = await http.get("/graphql", headers={"accept": "text/html"})
            assert page.status_code == 200, (page.status_code, page.text[:500])
            assert page.headers["content-type"].startswith("text/html")
            parser = _PageParser()
            parser.feed(page.text)
            entry = parser.config["entry"]
            workers = parser.config["workers"]
            assert isinstance(entry, str) and entry.endswith("/ruru.js"), parser.config
            assert isinstance(workers, dict), parser.config
            (stylesheet,) = parser.stylesheets
            assert stylesheet.endswith("/ruru.css")

            expected = {entry: "text/javascript", stylesheet: "text/css"}
            for url in workers.values():
                expected[url] = "text/javascript"
            assert {url.rsplit("/", 1)[1] for url in workers.values()} == set(WORKERS)
            for url, media_type in expected.items():
                asset = await http.get(url)
                assert asset.status_code == 200, (url, asset.status_code)
                assert asset.headers["content-type"].startswith(media_type), (url, asset.headers)
                assert asset.content, url
                assert asset.content == (installed_assets / url.rsplit("/", 1)[1]).read_bytes(), url

            # The checkout has ruru.js.map; the wheel's copy has none.
            assert (await http.get(f"{entry}.map")).status_code == 404

            answer = await http.post("/graphql", json={"query": "{ __typename }"})
            assert answer.status_code == 200, answer.text
            assert answer.json()["data"] == {"__typename": "Query"}

        server.signal(signal.SIGTERM)
        status = await server.wait_exit(SHUTDOWN_SECONDS)
        assert status is not None, f"still running {SHUTDOWN_SECONDS} s after SIGTERM"
        assert status == 0, (status, server.log_text()[-3000:])
    finally:
        server.kill()
