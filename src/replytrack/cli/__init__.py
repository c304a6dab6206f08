"""The ``replytrack`` command line (``pip install 'replytrack[cli]'``): a face over the
library, with no logic of its own. One module per command group; docs/cli.md is generated
from it (``python -m replytrack.cli.reference``)."""

from __future__ import annotations

try:
    import click  # noqa: F401
    import rich  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on what is installed
    raise ImportError(
        f"the replytrack command line needs {exc.name!r}: pip install 'replytrack[cli]'"
    ) from exc

from replytrack.cli import checks, demo, doctor, inbox, ingest, reports, sends
from replytrack.cli._app import cli

__all__ = ["cli", "main"]
_COMMANDS = (checks, demo, doctor, inbox, ingest, reports, sends)  # imported to register


def main() -> None:
    """The console script's entry point."""
    cli(prog_name="replytrack")
