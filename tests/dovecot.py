"""A throw-away Dovecot for tests: config under a temporary folder, loopback only, no systemd.

Tests use it to deliver mail the way a real server does (``doveadm save``) and to serve it
over IMAP: users with passwords (:meth:`Dovecot.add_user`; XOAUTH2 accepts the password as
the token, as no OAuth server is configured), folders with RFC 6154 special-use attributes,
and a second listen address, 127.0.0.2, for tests of bad credentials: Dovecot delays every
later login from an address that just failed one, so those tests connect from there. It
needs the Debian package ``dovecot-imapd``, which ``.ci/run`` installs; elsewhere the tests
that need it skip, and under CI they fail.
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

#: folders every user has, with their special-use attribute (RFC 6154)
SPECIAL_FOLDERS = {"Sent": "\\Sent", "Junk": "\\Junk", "Trash": "\\Trash", "All Mail": "\\All"}

_MAILBOXES = "".join(
    f'  mailbox "{name}" {{\n    special_use = {use}\n    auto = subscribe\n  }}\n'
    for name, use in SPECIAL_FOLDERS.items()
)

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = replytrack-test-{port}
protocols = imap
listen = 127.0.0.1, 127.0.0.2
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%n
mail_uid = nobody
mail_gid = nogroup
mail_max_userip_connections = 500
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%n
}}
userdb {{
  driver = static
  args = home={root}/home/%n allow_all_users=yes
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1, 127.0.0.2
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1, 127.0.0.2
    port = {tls_port}
  }}
  process_min_avail = 2
}}
service imap {{
  process_limit = 1024
}}
service anvil {{
  client_limit = 2000
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  user = $default_internal_user
}}
default_client_limit = 2000
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

    host = "127.0.0.1"
    #: the address tests of bad credentials connect to, and from
    other_host = "127.0.0.2"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        #: implicit TLS (a certificate for localhost and 127.0.0.1, signed by ``ca_file``)
        self.tls_port = _free_port()
        self.ca_file = root / "cert.pem"
        self.config = root / "dovecot.conf"
        self.users = root / "users"

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user

    def doveadm(self, *args: str, data: bytes | None = None) -> str:
        done = subprocess.run(
            ["doveadm", "-c", str(self.config), *args],
            input=data,
            check=True,
            capture_output=True,
        )
        return done.stdout.decode()

    def save(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver ``raw`` into the user's folder as the server would."""
        self.doveadm("save", "-u", user, "-m", folder, data=raw)

    def add_user(self, user: str, password: str) -> None:
        """Let ``user`` log in with ``password`` (also its XOAUTH2 token). Each user has a
        file of its own: Dovecot re-reads a changed passwd-file at most once a second."""
        (self.users / user).write_text(f"{user}:{{PLAIN}}{password}::::::\n")

    def kick(self, user: str) -> None:
        """End the user's IMAP sessions, as a server does when a token expires."""
        self.doveadm("kick", user)

    def flags(self, user: str, folder: str = "INBOX") -> list[str]:
        """The flags of each message in the folder, by UID."""
        out = self.doveadm("fetch", "-u", user, "flags", "mailbox", folder)
        return [
            line[len("flags:") :].strip() for line in out.splitlines() if line.startswith("flags:")
        ]

    def set_uidvalidity(self, user: str, folder: str, value: int) -> None:
        """Give the folder a new UIDVALIDITY (its messages keep theirs until a resync)."""
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(value), folder)

    def start(self) -> None:
        for name in ("run", "state", "mail", "home"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        for name in ("mail", "home"):
            shutil.chown(self.root / name, "nobody", "nogroup")
        self.users.mkdir(exist_ok=True)
        self._certificate()
        self.config.write_text(
            _CONFIG.format(
                root=self.root, port=self.port, tls_port=self.tls_port, mailboxes=_MAILBOXES
            )
        )
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

    def _certificate(self) -> None:
        """A self-signed certificate for the loopback names: it is its own CA."""
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", str(self.root / "key.pem"), "-out", str(self.ca_file),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip

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
