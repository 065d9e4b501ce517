"""The stylesheets the pages link to, and where each file is found on disk.

Two stylesheets and no JavaScript: NHS.UK frontend's compiled CSS (the npm package
``nhsuk-frontend``, pinned in the repository's package.json and never committed) and our
own small ``shared/web/static/app.css`` for what NHS.UK frontend does not cover.

NHS.UK frontend's file is looked for in ``shared/web/static/vendor/`` (where the production image
puts it, see the Dockerfile) and then in the repository's ``node_modules/`` (``npm ci``, run by
scripts/setup.sh). If it is in neither, its URL answers 404 and the pages still render,
unstyled; nothing here raises.
"""

from __future__ import annotations

from pathlib import Path

from shared.web import assets as shared_assets
from shared.web.assets import APP_STYLESHEET, NHSUK_FRONTEND_VERSION, NHSUK_STYLESHEET

#: Where the router serves the files (its prefix is /self-referral).
URL_PATH = "/self-referral/static"

STYLESHEETS = (NHSUK_STYLESHEET, APP_STYLESHEET)


def _nhsuk_candidates() -> list[Path]:
    # Where the image puts it, then node_modules (shared/web/assets.py): the staff workspace looks there too.
    return shared_assets.nhsuk_candidates()


def _nhsuk_stylesheet() -> Path | None:
    return next((path for path in _nhsuk_candidates() if path.is_file()), None)


def path_of(name: str) -> Path | None:
    """The file behind one of ``STYLESHEETS``; None when it is unknown or not installed."""
    if name == NHSUK_STYLESHEET:
        return _nhsuk_stylesheet()
    if name == APP_STYLESHEET:
        return shared_assets.app_stylesheet()
    return None


def stylesheet_urls() -> list[str]:
    """What each page links to, in order (ours last, so it can refine NHS.UK frontend's rules)."""
    return [f"{URL_PATH}/{NHSUK_STYLESHEET}?v={NHSUK_FRONTEND_VERSION}", f"{URL_PATH}/{APP_STYLESHEET}"]
