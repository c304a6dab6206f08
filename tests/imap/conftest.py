"""Fixtures for the IMAP tests: one Dovecot per test session (per xdist worker), a new user
per test (see imap_helpers)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from imap_helpers import Mailbox, new_mailbox

from dovecot import Dovecot, running_dovecot


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="replytrack-imap-"))
    try:
        with running_dovecot(root) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    return new_mailbox(dovecot)
