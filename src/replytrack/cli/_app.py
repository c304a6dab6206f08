"""The ``replytrack`` command group: global options, the store and Tracker each command
gets, and how errors become exit codes."""

from __future__ import annotations

import logging
import secrets
import sys
from datetime import datetime
from typing import Any

import attrs
import click

from replytrack.cli._config import Config, load_config, password_in
from replytrack.cli._output import PROBLEMS, UNREACHABLE, USAGE, stderr
from replytrack.errors import (
    ConfigurationError,
    NotFoundError,
    ReplytrackError,
    SegmentSyntaxError,
    SourceError,
    StoreError,
)
from replytrack.models import as_utc
from replytrack.protocols import Store
from replytrack.stores import _shown, open_store
from replytrack.tracker import Tracker

log = logging.getLogger("replytrack")


@attrs.define
class App:
    """What one invocation works with; the store is opened on first use."""

    config: Config
    _store: Store | None = None
    #: set by ``demo``: its own store and secret
    secret_override: bytes | None = attrs.field(default=None, repr=False)

    @property
    def db_shown(self) -> str:
        """The store URL with any password masked."""
        return _shown(self.config.db)

    def store(self) -> Store:
        if self._store is None:
            log.info("opening store %s", self.db_shown)
            self._store = open_store(self.config.db)
        return self._store

    def switch_store(self, url: str) -> None:
        self.close()
        self.config = attrs.evolve(self.config, db=url)

    def secret(self, needed: bool = True) -> bytes:
        """The signing secret; when not ``needed``, a throwaway one if none is set."""
        secret = self.secret_override or self.config.secret
        if secret is None:
            if needed:
                raise ConfigurationError(
                    "no signing secret: set REPLYTRACK_SECRET (32 or more random characters) "
                    "or 'secret' / 'secret_file' in replytrack.toml; see docs/quickstart.md"
                )
            return secrets.token_bytes(32)
        return secret

    def tracker(self, store: Store | None = None, *, secret_needed: bool = True) -> Tracker:
        return Tracker(
            store if store is not None else self.store(),
            secret=self.secret(secret_needed),
            domain=self.config.domain,
            tenant=self.config.tenant,
        )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def exit_code(exc: ReplytrackError) -> int:
    """The documented exit code of an error."""
    if isinstance(exc, SourceError | StoreError):
        return UNREACHABLE
    if isinstance(exc, ConfigurationError | NotFoundError | SegmentSyntaxError):
        return USAGE
    return PROBLEMS


class Group(click.Group):
    """Turns replytrack's errors into a line on stderr and an exit code; no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReplytrackError as exc:
            stderr().print(f"replytrack: error: {exc}", markup=False)
            ctx.exit(exit_code(exc))
        finally:
            app = ctx.find_object(App)
            if app is not None:
                app.close()


def app() -> App:
    return click.get_current_context().ensure_object(App)


def when(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time given on the command line (with an offset, or Z)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not ISO 8601 (2026-03-02T08:00:00Z)") from None
    if parsed.tzinfo is None:
        raise click.BadParameter(f"{value!r} needs an offset: add Z or +01:00", param_hint=name)
    return as_utc(parsed, name)


def _logging(verbose: int) -> None:
    logger = logging.getLogger("replytrack")
    for old in [h for h in logger.handlers if h.get_name() == "replytrack-cli"]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("replytrack-cli")
    handler.setFormatter(logging.Formatter("replytrack: %(levelname)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(
        logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    )


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="URL",
    help="Store URL (default: $REPLYTRACK_DB, the config file, else sqlite:///replytrack.db). "
    "Keep passwords out of it: use $REPLYTRACK_DB, the config file or ~/.pgpass.",
)
@click.option("--tenant", metavar="NAME", help="CRM account to work in (default: 'default').")
@click.option(
    "--config",
    metavar="FILE",
    envvar="REPLYTRACK_CONFIG",
    help="TOML config file (default: ./replytrack.toml, else ~/.config/replytrack/config.toml).",
)
@click.option("-v", "--verbose", count=True, help="Log what happens (-vv: more).")
@click.version_option(package_name="replytrack", message="replytrack %(version)s")
@click.pass_context
def cli(
    ctx: click.Context, db: str | None, tenant: str | None, config: str | None, verbose: int
) -> None:
    """Track which contacts replied to your marketing emails.

    \b
    Exit codes: 0 ok, 1 problems found, 2 usage or configuration error,
    3 store or mailbox unreachable, 130 interrupted (run again to resume).
    """
    if db is not None and password_in(db):
        raise click.UsageError(
            "--db must not carry a password: other users can read the command line. "
            "Put the URL in $REPLYTRACK_DB or the config file, or the password in ~/.pgpass."
        )
    _logging(verbose)
    ctx.obj = App(load_config(config=config, db=db, tenant=tenant))
