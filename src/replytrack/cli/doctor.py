"""``replytrack doctor``: check a setup end to end and say in plain words what is wrong."""

from __future__ import annotations

from collections.abc import Iterator

import click

from replytrack.cli._app import App, app, cli
from replytrack.cli._config import DEFAULT_DOMAIN, readable_by_others
from replytrack.cli._output import OK, PROBLEMS, UNREACHABLE, current_output, output_options
from replytrack.errors import ReplytrackError, SourceError, StoreError
from replytrack.models import Inbox
from replytrack.selftest import self_test
from replytrack.sources.spec import inbox_source, open_source
from replytrack.stores._schema import SCHEMA_VERSION
from replytrack.tracker import Tracker

Check = dict[str, str]


def _check(area: str, status: str, detail: str) -> Check:
    return {"check": area, "status": status, "detail": detail}


@cli.command()
@click.option(
    "--email",
    "emails",
    multiple=True,
    metavar="ID",
    help="Also check this email's Reply-To (repeat).",
)
@output_options(csv_ok=True)
def doctor(emails: tuple[str, ...]) -> None:
    """Check the setup end to end: settings, store, sources, Reply-To, the pipeline.

    The pipeline is checked by a self-test: synthetic mail (a human reply, an
    out-of-office, a bounce, a stranger's mail) in a scratch store.

    Exits 1 when a check fails, 3 when the store or a mailbox cannot be reached.
    """
    base = app()
    checks = list(_configuration(base))
    try:
        tracker = base.tracker(secret_needed=False)
        store = tracker.store
        checks.append(
            _check("store", "ok", f"{base.db_shown} opened, schema version {SCHEMA_VERSION}")
        )
    except StoreError as exc:
        checks.append(_check("store", "unreachable", str(exc)))
        tracker = None
    if tracker is not None:
        inboxes = store.list_inboxes(tracker.tenant)
        if not inboxes:
            checks.append(
                _check("inboxes", "warn", "no inbox connected yet: replytrack inbox connect")
            )
        checks += [_inbox(tracker, i) for i in inboxes]
        checks += [c for e in emails for c in _reply_to(tracker, e)]
        quarantined = tracker.quarantined()
        if quarantined:
            checks.append(
                _check(
                    "quarantine", "warn", f"{len(quarantined)} message(s) could not be processed"
                )
            )
    checks += _self_test(base)
    current_output().rows(checks, ["check", "status", "detail"])
    statuses = {c["status"] for c in checks}
    code = UNREACHABLE if "unreachable" in statuses else PROBLEMS if "FAIL" in statuses else OK
    raise click.exceptions.Exit(code)


def _configuration(base: App) -> Iterator[Check]:
    config = base.config
    if config.file is not None:
        where = f"config file {config.file}"
        if config.origins.get("secret") == str(config.file) and readable_by_others(config.file):
            yield _check(
                "config", "warn", f"{where} holds the secret and other users can read it: chmod 600"
            )
        else:
            yield _check("config", "ok", where)
    if config.secret is None:
        yield _check(
            "secret",
            "FAIL",
            "no signing secret: set REPLYTRACK_SECRET or 'secret' in replytrack.toml",
        )
    elif len(config.secret) < 32:
        yield _check(
            "secret", "FAIL", f"the secret has {len(config.secret)} bytes; it needs 32 or more"
        )
    else:
        yield _check(
            "secret", "ok", f"set ({config.origins.get('secret')}), {len(config.secret)} bytes"
        )
    if config.domain == DEFAULT_DOMAIN:
        yield _check(
            "domain",
            "warn",
            "Message-IDs end in @localhost: set REPLYTRACK_DOMAIN to your mail domain",
        )


def _inbox(tracker: Tracker, inbox: Inbox) -> Check:
    area = f"inbox {inbox.id}"
    if inbox.disconnected_at is not None:
        return _check(
            area,
            "ok",
            f"{inbox.address}, disconnected since {inbox.disconnected_at:%Y-%m-%d %H:%M}",
        )
    spec = inbox_source(tracker.store, tracker.tenant, inbox.id)
    if spec is None:
        return _check(
            area,
            "warn",
            f"{inbox.address}: no source, so sync cannot read it (inbox connect --maildir/--mbox)",
        )
    try:
        source = open_source(spec)
        waiting = next(
            iter(source.fetch(tracker.store.get_cursor(tracker.tenant, source.key))), None
        )
    except (SourceError, OSError) as exc:
        return _check(area, "unreachable", f"{inbox.address}: {spec} cannot be read: {exc}")
    state = "new mail waiting" if waiting is not None else "nothing new"
    return _check(area, "ok", f"{inbox.address}: {spec} readable, {state}")


def _reply_to(tracker: Tracker, email_id: str) -> list[Check]:
    email = tracker.store.get_email(tracker.tenant, email_id)
    if email is None:
        return [_check(f"email {email_id}", "FAIL", "no such email in this store")]
    report = tracker.validate(email)
    if not report.problems:
        return [_check(f"email {email_id}", "ok", "Reply-To resolves to a connected inbox")]
    return [
        _check(
            f"email {email_id}",
            "FAIL" if p.severity == "error" else "warn",
            f"{p.message} Fix: {p.fix}",
        )
        for p in report.problems
    ]


def _self_test(base: App) -> list[Check]:
    try:
        checks = self_test(secret=base.secret(needed=False), domain=base.config.domain)
    except ReplytrackError as exc:
        return [_check("self-test", "FAIL", str(exc))]
    return [
        _check(
            f"self-test: {c.name}",
            "ok" if c.ok else "FAIL",
            c.got if c.ok else f"expected {c.expected}, got {c.got}",
        )
        for c in checks
    ]
