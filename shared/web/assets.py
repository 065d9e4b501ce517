"""Where the shared stylesheets are on disk.

NHS.UK frontend's compiled CSS (the npm package ``nhsuk-frontend``, pinned in package.json and never
committed) is looked for in ``static/vendor/`` here (where the production image puts it, see the
Dockerfile) and then in the repository's ``node_modules/`` (``npm ci``, run by scripts/setup.sh). If it is
in neither, the pages still render, unstyled; nothing here raises. htmx (``htmx.org``, the staff workspace's
progressive enhancement) is looked for the same way: without it the pages work as they do with JavaScript off.
"""

from __future__ import annotations

from pathlib import Path

#: The NHS.UK frontend release the stylesheet and the nhsuk-frontend-jinja macros (0.10.2) match.
NHSUK_FRONTEND_VERSION = "10.6.1"
NHSUK_STYLESHEET = "nhsuk-frontend.min.css"
APP_STYLESHEET = "app.css"
#: htmx, pinned in package.json: the workspace's links and forms swap the page in without a full reload.
HTMX_VERSION = "2.0.11"
HTMX_SCRIPT = "htmx.min.js"

STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"
_NODE_DIST = Path("node_modules") / "nhsuk-frontend" / "dist" / "nhsuk"


def nhsuk_candidates() -> list[Path]:
    found = [STATIC / "vendor" / NHSUK_STYLESHEET]
    # The repository root (a checkout, or an editable install): the first parent with node_modules.
    found += [parent / _NODE_DIST / NHSUK_STYLESHEET for parent in Path(__file__).resolve().parents]
    return found


def htmx_candidates() -> list[Path]:
    found = [STATIC / "vendor" / HTMX_SCRIPT]
    found += [parent / "node_modules" / "htmx.org" / "dist" / HTMX_SCRIPT for parent in Path(__file__).resolve().parents]
    return found


def app_stylesheet() -> Path | None:
    path = STATIC / APP_STYLESHEET
    return path if path.is_file() else None


def node_module_file(*parts: str) -> Path | None:
    """A file of an npm package in the repository's node_modules (e.g. axe-core for the tests), if installed."""
    for parent in Path(__file__).resolve().parents:
        path = parent.joinpath("node_modules", *parts)
        if path.is_file():
            return path
    return None
