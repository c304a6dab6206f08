"""``replytrack explain`` says how a message would be treated and stores nothing."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from tests.cli.conftest import MESSAGES, SAMPLE, Run, run_in


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A store with the sample's inboxes and sends, and no mail ingested yet (explain
    stores nothing, so the tests share it)."""
    folder = tmp_path_factory.mktemp("explain")

    def run(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
        return run_in(folder, *args, stdin=stdin)

    for args in (
        ("inbox", "connect", "sales", "sales@northwind.example", "--connected-at", "2026-03-02T08:00:00Z"),
        ("inbox", "connect", "alice", "alice@northwind.example", "--personal", "--owner", "alice",
         "--connected-at", "2026-03-02T08:00:00Z"),
        ("sends", "import", str(SAMPLE / "sends.csv")),
    ):  # fmt: skip
        done = run(*args)
        assert done.returncode == 0, done.stderr
    return run


def explain(run: Run, name: str, *args: str) -> dict[str, Any]:
    done = run("explain", str(MESSAGES / name), "--json", *args)
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    return row  # type: ignore[no-any-return]


def test_a_reply_is_explained_as_a_reply_and_not_stored(imported: Run) -> None:
    row = explain(imported, "reply-gmail.eml")
    assert (row["outcome"], row["kind"], row["strategy"], row["email"]) == (
        "reply", "human", "message_id", "spring-launch",
    )  # fmt: skip
    assert row["matched_on"].endswith("@mta.mailer.northwind.example")
    again = explain(imported, "reply-gmail.eml")
    assert again["outcome"] == "reply"  # still new: the first explain stored nothing
    assert json.loads(imported("report", "--json").stdout)[-1]["replies"] == 0


def test_an_out_of_office_is_automatic_with_the_rules_that_decided(imported: Run) -> None:
    row = explain(imported, "out-of-office.eml")
    assert (row["outcome"], row["kind"], row["subtype"]) == (
        "automatic",
        "auto_reply",
        "out_of_office",
    )
    assert "header:auto-submitted=auto-generated" in row["rules"]
    table = imported("explain", str(MESSAGES / "out-of-office.eml")).stdout
    assert "subject:auto-reply:de" in table
    assert "automatic" in table


def test_a_strangers_mail_matches_no_send(imported: Run) -> None:
    row = explain(imported, "stranger.eml")
    assert (row["outcome"], row["kind"], row["send"], row["candidates"]) == (
        "not_a_reply",
        None,
        None,
        [],
    )  # fmt: skip: no candidate send, so never classified


def test_a_reply_without_threading_headers_is_matched_by_the_fallback(imported: Run) -> None:
    row = explain(imported, "reply-no-threading.eml", "--inbox", "sales")
    assert (row["outcome"], row["strategy"]) == ("reply", "fallback")


def test_a_reply_before_the_inbox_was_connected_and_one_to_an_untracked_send(imported: Run) -> None:
    assert explain(imported, "reply-before-connected.eml")["outcome"] == "before_tracking"
    untracked = explain(imported, "reply-untracked.eml")
    assert untracked["outcome"] == "untracked"
    assert "owner-without-inbox" in untracked["reason"]


def test_a_message_on_stdin(imported: Run) -> None:
    raw = (MESSAGES / "colleague.eml").read_bytes()
    done = imported("explain", "-", "--json", stdin=raw)
    assert json.loads(done.stdout)[0]["outcome"] == "wrong_sender"
