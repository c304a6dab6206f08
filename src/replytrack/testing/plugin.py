"""pytest plugin (entry point ``replytrack``): registers the markers the shipped suite uses.

Registered markers keep the contract usable under ``--strict-markers``.
"""

from __future__ import annotations

from typing import Any


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "replytrack_contract: a test from replytrack's shipped Store contract"
    )
