"""Fixtures of the end-to-end tests beyond tests/conftest.py's systems: the browser tests' Chromium."""

from __future__ import annotations

import pytest

from tests.e2e.workspace_browser import launch_args


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    # pytest-playwright's own fixture, given Debian's Chromium: its `browser` fixture then launches that.
    return launch_args(browser_type_launch_args)
