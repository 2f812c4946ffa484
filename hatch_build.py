"""Hatchling build hook: the wheel ships GraphiQL's static files.

The IDE (the npm package ``ruru``, pinned in ``graphiql/package.json`` and
``graphiql/package-lock.json``) is installed by ``graphiql/install.sh`` into
``graphiql/node_modules``, which only exists in a checkout.  When a wheel is
built, this hook runs that script (it does nothing when the pinned version is
already installed) and packs ruru's ``static/`` folder into the wheel at
``custgraph/http/graphiql_static/``, where ``custgraph.http.graphiql`` finds it.
Source maps are left out (they are three quarters of the folder and only serve
a browser's debugger); the ``*.LICENSE.txt`` notices of the bundled code and
ruru's own licence are kept.

Editable installs are left alone: they serve the checkout's ``node_modules``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: The IDE's files, relative to the project root, as ``graphiql/install.sh`` leaves them.
RURU_PACKAGE = Path("graphiql", "node_modules", "ruru")
INSTALL_SCRIPT = Path("graphiql", "install.sh")
#: Where the files go in the wheel; custgraph.http.graphiql reads the same folder
#: (``_PACKAGED_STATIC``), which this hook cannot import (no dependencies here).
WHEEL_FOLDER = "custgraph/http/graphiql_static"
ENTRY = "ruru.js"


class GraphiQLAssetsHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        self._install_assets(root)
        static = root / RURU_PACKAGE / "static"
        if not (static / ENTRY).is_file():
            raise RuntimeError(
                f"{INSTALL_SCRIPT} succeeded but {static / ENTRY} is missing; "
                "cannot build a wheel without GraphiQL's assets"
            )
        force_include = build_data["force_include"]
        for path in sorted(static.rglob("*")):
            if path.is_file() and path.suffix != ".map":
                force_include[str(path)] = f"{WHEEL_FOLDER}/{path.relative_to(static).as_posix()}"
        # ruru's MIT licence asks for its notice to go with every copy.
        licence = root / RURU_PACKAGE / "LICENSE.md"
        if licence.is_file():
            force_include[str(licence)] = f"{WHEEL_FOLDER}/ruru.LICENSE.md"

    def _install_assets(self, root: Path) -> None:
        """Run graphiql/install.sh: installs the pinned ruru unless it already is."""
        script = root / INSTALL_SCRIPT
        if not script.is_file():
            raise RuntimeError(f"{script} is missing; cannot install GraphiQL's assets")
        self.app.display_waiting(f"Making sure GraphiQL's assets are installed ({INSTALL_SCRIPT})")
        result = subprocess.run(
            ["sh", str(script)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                "Building the custgraph wheel needs GraphiQL's assets (the npm package "
                f"ruru), and {INSTALL_SCRIPT} could not install them:\n"
                f"{result.stdout.strip()}\n"
                "Install Node.js/npm (or set NPM to an npm executable) and build again, "
                f"or run `{INSTALL_SCRIPT} .venv` in the checkout first (it can install "
                "Node.js from PyPI into that virtualenv)."
            )
        self.app.display_info(result.stdout.strip())
