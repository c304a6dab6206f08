"""Secrets never show in reprs or in the Tracker's attributes as text."""

from __future__ import annotations

from replytrack import MemoryStore, Tracker
from replytrack.sources.imap import ImapSource

SECRET = b"S3CRET-hmac-key-S3CRET-hmac-key!"
PASSWORD = "hunter2-imap-password"


def test_the_hmac_key_is_in_no_repr_of_the_tracker_or_its_attributes() -> None:
    tracker = Tracker(MemoryStore(), secret=SECRET, domain="mail.example.com")
    shown = repr(tracker) + str(tracker) + repr(vars(tracker))
    assert SECRET.decode() not in shown
    assert SECRET.hex() not in shown


def test_an_imap_password_is_in_no_repr_of_its_source() -> None:
    source = ImapSource(host="imap.example.com", username="sales@example.com", password=PASSWORD)
    assert "sales@example.com" in repr(source) or "imap.example.com" in repr(source)
    assert PASSWORD not in repr(source)
    assert PASSWORD not in str(source)
