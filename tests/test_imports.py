"""Every module of the package imports cleanly in a fresh interpreter, warnings as errors.

A dependency that breaks at import time on this Python (as flanker did on 3.13, importing
the removed ``imghdr`` module) fails here, not in a user's hands.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import replytrack

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(replytrack.__path__, prefix="replytrack.")
)


def test_the_walk_finds_the_package_modules() -> None:
    assert {"replytrack.addresses", "replytrack.stores.sqlite", "replytrack.testing"} <= set(
        MODULES
    )


@pytest.mark.parametrize("module", MODULES)
def test_a_module_imports_in_a_fresh_interpreter_with_warnings_as_errors(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_address_parsing_needs_no_removed_stdlib_module() -> None:
    code = (
        "import sys; from replytrack.addresses import parse_address; "
        "parse_address('Jane <jane@example.com>'); "
        "print(sorted({'cgi', 'imghdr', 'flanker'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
