"""Exit codes: 0 ok, 1 problems found, 2 usage error, 3 store or mailbox unreachable."""

from __future__ import annotations

import json

from tests.cli.conftest import SECRET, Run


def test_usage_errors_exit_2_with_a_message_and_no_traceback(run: Run) -> None:
    assert run("report", "--no-such-option").returncode == 2
    unknown = run("report", "no-such-email")
    assert unknown.returncode == 2
    assert "no email 'no-such-email'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad = run("segment", "replied to")
    assert bad.returncode == 2
    assert "^" in bad.stderr
    assert run("ingest", "x.eml", REPLYTRACK_SECRET="").returncode == 2  # no secret set


def test_an_unreachable_store_or_mailbox_exits_3(run: Run) -> None:
    store = run("report", REPLYTRACK_DB="postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
    assert store.returncode == 3, store.stderr
    run("inbox", "connect", "sales", "sales@example.com", "--mbox", "sales.mbox")
    mailbox = run("sync")
    assert mailbox.returncode == 3
    assert "cannot read" in mailbox.stderr


def test_validate_exits_1_when_replies_could_not_be_tracked(run: Run) -> None:
    run("inbox", "connect", "sales", "sales@example.com")
    ok = run("validate", "--from", "news@example.com", "--reply-to", "sales@example.com")
    assert ok.returncode == 0
    wrong = run("validate", "--from", "news@example.com", "--json")
    assert wrong.returncode == 1
    assert [p["code"] for p in json.loads(wrong.stdout)] == ["reply-to-not-connected"]


def test_doctor_passes_its_self_test_and_never_prints_the_secret(run: Run) -> None:
    done = run("doctor", "--json")
    checks = {c["check"]: c for c in json.loads(done.stdout)}
    assert checks["self-test: an out-of-office"]["status"] == "ok"
    assert checks["self-test: a bounce"]["detail"] == "automatic, bounce, token"
    assert checks["store"]["status"] == "ok"
    assert done.returncode == 0, done.stdout  # the warnings (no inbox, domain) are not failures
    assert SECRET not in done.stdout + done.stderr
    missing = run("doctor", REPLYTRACK_SECRET="")
    assert missing.returncode == 1
    assert "no signing secret" in missing.stdout


def test_a_password_on_the_command_line_is_refused(run: Run) -> None:
    done = run("--db", "postgresql://crm:hunter2@127.0.0.1/crm", "report")
    assert done.returncode == 2
    assert "must not carry a password" in done.stderr
    assert "hunter2" not in done.stderr
