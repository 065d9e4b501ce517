"""The stylesheets the pages link to, and where each file is found on disk.

Two stylesheets and no JavaScript: NHS.UK frontend's compiled CSS (the npm package
``nhsuk-frontend``, pinned in the repository's package.json and never committed) and our
own small ``static/app.css`` for what NHS.UK frontend does not cover.

NHS.UK frontend's file is looked for in ``static/vendor/`` (where the production image puts
it, see the Dockerfile) and then in the repository's ``node_modules/`` (``npm ci``, run by
scripts/setup.sh). If it is in neither, its URL answers 404 and the pages still render,
unstyled; nothing here raises.
"""

from __future__ import annotations

from pathlib import Path

#: Where the router serves the files (its prefix is /self-referral).
URL_PATH = "/self-referral/static"

#: The NHS.UK frontend release the stylesheet and the nhsuk-frontend-jinja macros (0.10.2) match.
NHSUK_FRONTEND_VERSION = "10.6.1"

NHSUK_STYLESHEET = "nhsuk-frontend.min.css"
APP_STYLESHEET = "app.css"
STYLESHEETS = (NHSUK_STYLESHEET, APP_STYLESHEET)

_STATIC = Path(__file__).parent / "static"
_NODE_DIST = Path("node_modules") / "nhsuk-frontend" / "dist" / "nhsuk"


def _nhsuk_candidates() -> list[Path]:
    found = [_STATIC / "vendor" / NHSUK_STYLESHEET]
    # The repository root (a checkout, or an editable install): the first parent with node_modules.
    found += [parent / _NODE_DIST / NHSUK_STYLESHEET for parent in Path(__file__).resolve().parents]
    return found


def _nhsuk_stylesheet() -> Path | None:
    return next((path for path in _nhsuk_candidates() if path.is_file()), None)


def path_of(name: str) -> Path | None:
    """The file behind one of ``STYLESHEETS``; None when it is unknown or not installed."""
    if name == NHSUK_STYLESHEET:
        return _nhsuk_stylesheet()
    if name == APP_STYLESHEET:
        path = _STATIC / APP_STYLESHEET
        return path if path.is_file() else None
    return None


def stylesheet_urls() -> list[str]:
    """What each page links to, in order (ours last, so it can refine NHS.UK frontend's rules)."""
    return [f"{URL_PATH}/{NHSUK_STYLESHEET}?v={NHSUK_FRONTEND_VERSION}", f"{URL_PATH}/{APP_STYLESHEET}"]
