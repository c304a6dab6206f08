"""The shortcut for plainly human mail never decides what a rule would decide otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from replytrack.autoreply import MessageKind, _Facts, _plainly_human, _rules
from replytrack.errors import MalformedMessageError
from replytrack.message import RawMessage

TESTS = Path(__file__).parent
FIXTURES = sorted((TESTS / "autoreply_messages").glob("*.eml")) + sorted(
    (TESTS / "correlation" / "messages").glob("*.eml")
)


def _variants(raw: bytes) -> Iterator[bytes]:
    """The message, and the same message made to thread, so the shortcut is tried on it."""
    yield raw
    yield b"In-Reply-To: <rt1.0.0@mail.example.com>\r\n" + raw


def _shortcuts(paths: list[Path]) -> int:
    """How many variants took the shortcut; fails on the first the rules would not call human."""
    taken = 0
    for path in paths:
        for raw in _variants(path.read_bytes()):
            try:
                msg = RawMessage(raw)
            except MalformedMessageError:  # a fixture of unreadable mail
                continue
            if _plainly_human(_Facts(msg)):
                taken += 1
                verdict = _rules(_Facts(RawMessage(raw)))
                assert verdict.kind is MessageKind.HUMAN, (path.name, verdict)
    return taken


def test_the_shortcut_agrees_with_the_rules_on_every_hand_written_message() -> None:
    taken = _shortcuts(FIXTURES)
    assert 40 < taken < 2 * len(FIXTURES)  # it is taken often, and not for everything


@pytest.mark.corpus
def test_the_shortcut_agrees_with_the_rules_on_the_corpus(corpus_dir: Path) -> None:
    assert _shortcuts(sorted((corpus_dir / "messages").iterdir())) > 0
