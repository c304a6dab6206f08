"""The one SQL schema of the SQLite and PostgreSQL stores, as numbered migrations.

``MIGRATIONS[n]`` takes a database from version ``n`` to ``n + 1``; the version
is kept in the one-row table ``replytrack_schema``. Migrations are applied when a
store opens, in one transaction. A database whose version is newer than
:data:`SCHEMA_VERSION` was written by a newer replytrack: it is refused with
:class:`~replytrack.errors.SchemaVersionError` before anything is written.

The statements are plain SQL both databases accept; ``{without_rowid}`` becomes
``WITHOUT ROWID`` on SQLite (the primary key is the table: narrow tables read by
key only) and nothing on PostgreSQL. The wide tables read through secondary
indexes (sends, replies) keep their rowid, or SQLite's planner shuns those indexes. Times are integer microseconds since the Unix epoch (UTC), so both
databases compare, index and partition them alike.

Every table's primary key starts with ``tenant``: rows of one CRM account are
adjacent in every index, and PostgreSQL can partition or distribute by it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replytrack.errors import SchemaVersionError

if TYPE_CHECKING:
    from replytrack.stores._aggregates import Tx

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "VERSION_TABLE",
    "check_version",
    "migrate",
    "statements",
]

VERSION_TABLE = "replytrack_schema"

_V1 = (
    """CREATE TABLE inboxes (
        tenant TEXT NOT NULL, id TEXT NOT NULL, address TEXT NOT NULL, kind TEXT NOT NULL,
        owner_id TEXT, aliases TEXT NOT NULL, connected_at BIGINT, disconnected_at BIGINT,
        provider TEXT, send_as TEXT NOT NULL, member_ids TEXT NOT NULL,
        PRIMARY KEY (tenant, id))""",
    """CREATE TABLE emails (
        tenant TEXT NOT NULL, id TEXT NOT NULL, subject TEXT NOT NULL,
        from_address TEXT NOT NULL, reply_to_mode TEXT NOT NULL, reply_to_address TEXT,
        name TEXT NOT NULL, PRIMARY KEY (tenant, id))""",
    """CREATE TABLE contacts (
        tenant TEXT NOT NULL, id TEXT NOT NULL, emails TEXT NOT NULL, owner_id TEXT,
        properties TEXT NOT NULL, PRIMARY KEY (tenant, id)) {without_rowid}""",
    """CREATE TABLE sends (
        tenant TEXT NOT NULL, id TEXT NOT NULL, email_id TEXT NOT NULL,
        contact_id TEXT NOT NULL, address TEXT NOT NULL, message_id TEXT NOT NULL,
        sent_at BIGINT NOT NULL, reply_to TEXT, inbox_id TEXT, tracked BOOLEAN NOT NULL,
        untracked_reason TEXT, delivery TEXT NOT NULL, provider_message_id TEXT,
        PRIMARY KEY (tenant, id))""",
    "CREATE INDEX sends_by_address ON sends (tenant, address, sent_at)",
    # Every normalised Message-ID a send answers to (ours and the provider's):
    # the primary key makes an id belong to one send per tenant.
    """CREATE TABLE message_ids (
        tenant TEXT NOT NULL, message_id TEXT NOT NULL, send_id TEXT NOT NULL,
        PRIMARY KEY (tenant, message_id)) {without_rowid}""",
    """CREATE TABLE replies (
        tenant TEXT NOT NULL, send_id TEXT NOT NULL, inbound_id TEXT NOT NULL,
        email_id TEXT NOT NULL, contact_id TEXT NOT NULL, inbox_id TEXT NOT NULL,
        received_at BIGINT NOT NULL, kind TEXT NOT NULL, subtype TEXT, strategy TEXT NOT NULL,
        confidence DOUBLE PRECISION NOT NULL, from_address TEXT NOT NULL,
        alternate_address TEXT, subject TEXT NOT NULL, snippet TEXT NOT NULL,
        PRIMARY KEY (tenant, send_id, inbound_id))""",
    "CREATE INDEX replies_by_email ON replies (tenant, email_id, received_at)",
    "CREATE INDEX replies_by_contact ON replies (tenant, contact_id, kind, received_at)",
    # Maintained aggregates, updated in the transaction that changes the replies.
    """CREATE TABLE email_counters (
        tenant TEXT NOT NULL, email_id TEXT NOT NULL, name TEXT NOT NULL,
        value BIGINT NOT NULL, PRIMARY KEY (tenant, email_id, name)) {without_rowid}""",
    """CREATE TABLE reply_pairs (
        tenant TEXT NOT NULL, contact_id TEXT NOT NULL, email_id TEXT NOT NULL,
        replies BIGINT NOT NULL, PRIMARY KEY (tenant, contact_id, email_id)) {without_rowid}""",
    """CREATE TABLE bounced_sends (
        tenant TEXT NOT NULL, email_id TEXT NOT NULL, send_id TEXT NOT NULL,
        delivery BIGINT NOT NULL, hard_replies BIGINT NOT NULL,
        PRIMARY KEY (tenant, email_id, send_id)) {without_rowid}""",
    """CREATE TABLE contact_stats (
        tenant TEXT NOT NULL, contact_id TEXT NOT NULL, first_reply_at BIGINT,
        last_reply_at BIGINT, reply_count BIGINT NOT NULL, emails_replied BIGINT NOT NULL,
        PRIMARY KEY (tenant, contact_id)) {without_rowid}""",
    """CREATE TABLE cursors (
        tenant TEXT NOT NULL, source_key TEXT NOT NULL, position TEXT NOT NULL,
        PRIMARY KEY (tenant, source_key))""",
)

# Messages ingest could not process, with the first bytes of each (BYTEA: SQLite keeps
# the bytes as a BLOB whatever the declared type).
_V2_QUARANTINE = (
    """CREATE TABLE quarantine (
        tenant TEXT NOT NULL, id TEXT NOT NULL, inbox_id TEXT, source_key TEXT, position TEXT,
        received_at BIGINT NOT NULL, quarantined_at BIGINT NOT NULL, reason TEXT NOT NULL,
        traceback TEXT NOT NULL, size BIGINT NOT NULL, sha256 TEXT NOT NULL, raw BYTEA NOT NULL,
        PRIMARY KEY (tenant, id))""",
)

# Replies remember whether they were announced to subscribers as a new human reply (one
# 'reply.received' per record ever); those stored as human so far were. And a threadless
# message attaches, by the fallback, to at most one send per contact: the first claim wins.
_V3_ANNOUNCED_AND_CLAIMS = (
    "ALTER TABLE replies ADD COLUMN announced BOOLEAN NOT NULL DEFAULT FALSE",
    "UPDATE replies SET announced = TRUE WHERE kind = 'human'",
    """CREATE TABLE fallback_claims (
        tenant TEXT NOT NULL, contact_id TEXT NOT NULL, inbound_id TEXT NOT NULL,
        send_id TEXT NOT NULL, PRIMARY KEY (tenant, contact_id, inbound_id)) {without_rowid}""",
    """INSERT INTO fallback_claims (tenant, contact_id, inbound_id, send_id)
        SELECT tenant, contact_id, inbound_id, MIN(send_id) FROM replies
        WHERE strategy = 'fallback' GROUP BY tenant, contact_id, inbound_id""",
)

# Segments (replytrack.segments): the contact values they compare, as
# replytrack.segments.segment_values computes them (text casefolded in Python; JSONB on
# PostgreSQL, JSON text on SQLite), filled by save_contacts, and for rows written before
# this version on the first segment query, found through the partial index. Sends by
# email ("sent"), replies by time (rolling windows over any email), covering both; saved
# segments and their members for active lists.
_SEGMENTS = (
    "ALTER TABLE contacts ADD COLUMN seg_owner TEXT",
    "ALTER TABLE contacts ADD COLUMN seg_email TEXT",
    "ALTER TABLE contacts ADD COLUMN seg_domain TEXT",
    "ALTER TABLE contacts ADD COLUMN seg_props JSONB",
    "CREATE INDEX contacts_unsearchable ON contacts (tenant, id) WHERE seg_props IS NULL",
    "CREATE INDEX sends_by_email ON sends (tenant, email_id, contact_id, sent_at)",
    "CREATE INDEX replies_by_time ON replies (tenant, kind, received_at, contact_id, email_id)",
    """CREATE TABLE segment_lists (
        tenant TEXT NOT NULL, name TEXT NOT NULL, definition TEXT NOT NULL,
        refreshed_at BIGINT, PRIMARY KEY (tenant, name))""",
    """CREATE TABLE segment_members (
        tenant TEXT NOT NULL, segment TEXT NOT NULL, contact_id TEXT NOT NULL,
        joined_at BIGINT NOT NULL, PRIMARY KEY (tenant, segment, contact_id)) {without_rowid}""",
    "CREATE INDEX segment_members_by_contact ON segment_members (tenant, contact_id, segment)",
)

# Leases (replytrack.protocols.LeaseStore): who holds each named lease, until when. sync_all
# leases each inbox it syncs, so two workers never sync one inbox at once.
_LEASES = (
    """CREATE TABLE leases (
        tenant TEXT NOT NULL, name TEXT NOT NULL, holder TEXT NOT NULL,
        expires_at BIGINT NOT NULL, PRIMARY KEY (tenant, name))""",
)

# Inboxes keep every connected period (JSON [[start, end or null], ...] in microseconds;
# connected_at/disconnected_at stay, the latest period's). Sends carry an idempotency key,
# unique per email: the caller's own send id, or "contact:<id>" by default, NULL for a
# deliberate resend; a send recorded before this version gets the default key when it is
# its contact's first send of the email (the others count as resends).
_PERIODS_AND_SEND_KEYS = (
    "ALTER TABLE inboxes ADD COLUMN periods TEXT NOT NULL DEFAULT '[]'",
    """UPDATE inboxes SET periods = '[[' || CAST(connected_at AS TEXT) || ','
        || COALESCE(CAST(disconnected_at AS TEXT), 'null') || ']]'
        WHERE connected_at IS NOT NULL""",
    "ALTER TABLE sends ADD COLUMN idempotency_key TEXT",
    """UPDATE sends SET idempotency_key = 'contact:' || contact_id WHERE NOT EXISTS (
        SELECT 1 FROM sends AS older WHERE older.tenant = sends.tenant
        AND older.email_id = sends.email_id AND older.contact_id = sends.contact_id
        AND (older.sent_at < sends.sent_at
             OR (older.sent_at = sends.sent_at AND older.id < sends.id)))""",
    "CREATE UNIQUE INDEX sends_by_key ON sends (tenant, email_id, idempotency_key)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _V1,
    _V2_QUARANTINE,
    _V3_ANNOUNCED_AND_CLAIMS,
    _SEGMENTS,
    _LEASES,
    _PERIODS_AND_SEND_KEYS,
)
SCHEMA_VERSION = len(MIGRATIONS)


def statements(found: int, *, sqlite: bool) -> list[str]:
    """The statements that take a database at version ``found`` to :data:`SCHEMA_VERSION`."""
    suffix = "WITHOUT ROWID" if sqlite else ""
    return [
        sql.format(without_rowid=suffix).strip()
        for migration in MIGRATIONS[found:]
        for sql in migration
    ]


def check_version(found: int, where: str) -> None:
    """Raise SchemaVersionError when ``found`` is newer than this replytrack understands."""
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{where} has schema version {found}, newer than version {SCHEMA_VERSION} "
            "which this replytrack understands; upgrade replytrack to open it "
            "(the database was left untouched)"
        )


def migrate(tx: Tx, found: int, where: str, *, sqlite: bool) -> None:
    """Take the database from version ``found`` to :data:`SCHEMA_VERSION` in ``tx``.

    A newer database raises SchemaVersionError before anything is written.
    """
    check_version(found, where)
    if found == SCHEMA_VERSION:
        return
    if found == 0:
        tx.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
        tx.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (0)")
    for sql in statements(found, sqlite=sqlite):
        tx.execute(sql)
    tx.execute(f"UPDATE {VERSION_TABLE} SET version = ?", (SCHEMA_VERSION,))
