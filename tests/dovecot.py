"""A throw-away Dovecot for tests: config under a temporary folder, loopback only, no systemd.

Tests use it to deliver mail the way a real server does (``doveadm save``). It needs the
Debian package ``dovecot-imapd``, which ``.ci/run`` installs; elsewhere the tests that need
it skip, and under CI they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = replytrack-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%n
mail_uid = nobody
mail_gid = nogroup
passdb {{
  driver = static
  args = password=secret
}}
userdb {{
  driver = static
  args = home={root}/home/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def require_dovecot() -> None:
    """Skip (fail under CI) when Dovecot is not installed."""
    if shutil.which("dovecot") and shutil.which("doveadm"):
        return
    if os.environ.get("CI"):
        pytest.fail("Dovecot is not installed and CI is set: .ci/run installs dovecot-imapd")
    pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Dovecot:
    """A running Dovecot master whose users' Maildirs live under ``root/mail/<user>``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.config = root / "dovecot.conf"

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user

    def save(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver ``raw`` into the user's folder as the server would."""
        subprocess.run(
            ["doveadm", "-c", str(self.config), "save", "-u", user, "-m", folder],
            input=raw,
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        for name in ("run", "state", "mail", "home"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        for name in ("mail", "home"):
            shutil.chown(self.root / name, "nobody", "nogroup")
        self.config.write_text(_CONFIG.format(root=self.root, port=self.port))
        # The daemon keeps the streams it inherits: pipes would never close.
        subprocess.run(
            ["dovecot", "-c", str(self.config)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    if conn.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not answer on 127.0.0.1:{self.port}")

    def stop(self) -> None:
        """Signal the master to shut its processes down; it needs no waiting for."""
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((self.root / "run" / "master.pid").read_text()), signal.SIGTERM)


@contextmanager
def running_dovecot(root: Path) -> Iterator[Dovecot]:
    require_dovecot()
    server = Dovecot(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
