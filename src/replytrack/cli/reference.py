"""Write docs/cli.md from the commands' own ``--help``, so the page cannot drift:

    python -m replytrack.cli.reference > docs/cli.md

A test fails when the page differs from what this prints.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from replytrack.cli import cli

WIDTH = 96

INTRO = """\
# Command line reference

This page is generated from the commands' own `--help` by
`python -m replytrack.cli.reference > docs/cli.md`; a test fails when it is out of date.
Install the command line with `pip install 'replytrack[cli]'`; it runs as `replytrack` or
`python -m replytrack`.

## Settings

| setting | command line | environment | config file key |
|---|---|---|---|
| store URL | `--db URL` | `REPLYTRACK_DB` | `db` |
| tenant (CRM account) | `--tenant NAME` | `REPLYTRACK_TENANT` | `tenant` |
| domain of generated Message-IDs | | `REPLYTRACK_DOMAIN` | `domain` |
| signing secret | never | `REPLYTRACK_SECRET`, `REPLYTRACK_SECRET_FILE` | `secret`, `secret_file` |
| config file | `--config FILE` | `REPLYTRACK_CONFIG` | |

The command line wins over the environment, which wins over the config file
(`./replytrack.toml`, else `~/.config/replytrack/config.toml`). The secret is never taken
from the command line, where other users could read it, and never printed; a `--db` URL
holding a password is refused for the same reason (put it in `REPLYTRACK_DB`, the config
file, or `~/.pgpass`). The default store is `sqlite:///replytrack.db` in the working folder.

## Output and exit codes

Commands print tables for people; `--json` (and `--csv` for lists) print for programs, with
notes for people on stderr. `-v` logs what the library does (logger `replytrack`), `-vv`
more. Long work (`sends import`, `ingest`, `sync`) shows a progress bar on a terminal and a
plain line every few seconds otherwise; the first Ctrl-C stops after the batch being read,
with everything read so far stored, and the next `sync` resumes there.

| exit code | meaning |
|---|---|
| 0 | done |
| 1 | problems found (`validate`, `doctor`) |
| 2 | usage or configuration error: a wrong option, an unknown id, a bad setting |
| 3 | the store or a mailbox cannot be reached |
| 130 | interrupted by Ctrl-C (what was read is stored; run again to resume) |
"""


def _commands(
    command: click.Command, path: list[str], parent: click.Context | None
) -> Iterator[tuple[str, str]]:
    ctx = click.Context(
        command, info_name=path[-1], parent=parent, max_content_width=WIDTH, terminal_width=WIDTH
    )
    yield " ".join(path), command.get_help(ctx)
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from _commands(sub, [*path, name], ctx)


def render() -> str:
    """The whole page."""
    parts = [INTRO]
    for name, text in _commands(cli, ["replytrack"], None):
        level = "##" if name == "replytrack" else "###"
        parts.append(f"{level} `{name}`\n\n```text\n{text.rstrip()}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
