"""How commands print: a table for people, ``--json`` or ``--csv`` for programs, and the
exit codes every command shares."""

from __future__ import annotations

import csv
import enum
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

F = TypeVar("F", bound=Callable[..., Any])

#: exit codes, documented in docs/cli.md
OK, PROBLEMS, USAGE, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 130

Row = Mapping[str, Any]


def stdout() -> Console:
    """The console for results: no colour when piped, and wide enough to keep rows whole."""
    terminal = sys.stdout.isatty()
    return Console(highlight=False, soft_wrap=not terminal, width=None if terminal else 160)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def plain(value: Any) -> Any:
    """A value as JSON and CSV show it: ISO times, enum values, None kept."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def shown(value: Any) -> str:
    """A value as a table cell."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.1%}"
    if isinstance(value, Mapping):
        return ", ".join(f"{v} {k}" for k, v in value.items()) or "-"
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value) or "-"
    return str(plain(value))


class Output:
    """The format chosen on the command line; every command prints through it."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt

    @property
    def human(self) -> bool:
        return self.fmt == "table"

    def rows(self, rows: Sequence[Row], columns: Sequence[str], title: str | None = None) -> None:
        """A list: a table, a JSON array, or CSV with a header line."""
        if self.fmt == "json":
            click.echo(json.dumps([plain(dict(r)) for r in rows], indent=2, ensure_ascii=False))
        elif self.fmt == "csv":
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow(_csv_cell(row.get(c)) for c in columns)
        else:
            table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
            for column in columns:
                table.add_column(column.replace("_", " "), overflow="fold")
            for row in rows:
                table.add_row(*(shown(row.get(c)) for c in columns))
            stdout().print(table)

    def record(self, data: Row, title: str | None = None) -> None:
        """One object: a two-column table, or a JSON object."""
        if self.fmt == "json":
            click.echo(json.dumps(plain(dict(data)), indent=2, ensure_ascii=False))
            return
        table = Table(title=title, title_justify="left", show_header=False, show_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for key, value in data.items():
            table.add_row(key.replace("_", " "), shown(value))
        stdout().print(table)

    def note(self, text: str) -> None:
        """A line for people only: on stderr, so that JSON and CSV stay clean."""
        stderr().print(text)


def _csv_cell(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return "" if value is None else value


def output_options(*, csv_ok: bool = False) -> Callable[[F], F]:
    """Add ``--json`` (and ``--csv`` for lists) to a command; it receives ``out: Output``."""

    def decorate(command: F) -> F:
        def choose(ctx: click.Context, _: click.Parameter, value: Any) -> Any:
            if value:
                ctx.meta["replytrack.format"] = value
            return value

        command = click.option(
            "--json", "fmt_json", is_flag=True, flag_value="json", expose_value=False,
            callback=choose, help="Print JSON instead of a table.",
        )(command)  # fmt: skip
        if csv_ok:
            command = click.option(
                "--csv", "fmt_csv", is_flag=True, flag_value="csv", expose_value=False,
                callback=choose, help="Print CSV with a header line.",
            )(command)  # fmt: skip
        return command

    return decorate


def current_output() -> Output:
    return Output(click.get_current_context().meta.get("replytrack.format", "table"))
