"""Where the command line's settings come from: options, then the environment, then a
config file, then defaults. Secrets are read from the environment or the file only."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import attrs

from replytrack.errors import ConfigurationError

DEFAULT_DB = "sqlite:///replytrack.db"
DEFAULT_DOMAIN = "localhost"
KEYS = ("db", "tenant", "domain", "secret", "secret_file")
ENV = {
    "db": "REPLYTRACK_DB",
    "tenant": "REPLYTRACK_TENANT",
    "domain": "REPLYTRACK_DOMAIN",
    "secret": "REPLYTRACK_SECRET",
    "secret_file": "REPLYTRACK_SECRET_FILE",
}


@attrs.frozen(kw_only=True)
class Config:
    """The settings one command runs with; ``secret`` is never shown."""

    db: str = DEFAULT_DB
    tenant: str = "default"
    domain: str = DEFAULT_DOMAIN
    secret: bytes | None = attrs.field(default=None, repr=False)
    #: the config file read, if any
    file: Path | None = None
    #: where each setting came from: "option", "environment", the file's name, "default"
    origins: dict[str, str] = attrs.field(factory=dict)


def config_files(given: str | None) -> list[Path]:
    """The config file to read: the one given, else ./replytrack.toml, else the user's."""
    if given:
        return [Path(given).expanduser()]
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return [
        p for p in (Path("replytrack.toml"), home / "replytrack" / "config.toml") if p.is_file()
    ]


def load_config(*, config: str | None, db: str | None, tenant: str | None) -> Config:
    """Resolve every setting; ConfigurationError names the file or variable that is wrong."""
    files = config_files(config)
    path = files[0] if files else None
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    if path is not None:
        for key, value in _read_file(path).items():
            values[key], origins[key] = value, str(path)
    for key, variable in ENV.items():
        if os.environ.get(variable):
            values[key], origins[key] = os.environ[variable], f"${variable}"
    if db is not None:
        values["db"], origins["db"] = db, "option"
    if tenant is not None:
        values["tenant"], origins["tenant"] = tenant, "option"
    secret = _secret(values, origins)
    return Config(
        db=values.get("db", DEFAULT_DB),
        tenant=values.get("tenant", "default"),
        domain=values.get("domain", DEFAULT_DOMAIN),
        secret=secret,
        file=path,
        origins=origins,
    )


def _read_file(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {path} is not TOML: {exc}") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigurationError(
            f"config file {path}: unknown key {unknown[0]!r}; keys: {', '.join(KEYS)}"
        )
    wrong = [k for k, v in data.items() if not isinstance(v, str)]
    if wrong:
        raise ConfigurationError(f"config file {path}: {wrong[0]} must be a string")
    return dict(data)


def _secret(values: dict[str, str], origins: dict[str, str]) -> bytes | None:
    if "secret" in values:
        return values["secret"].encode()
    if "secret_file" in values:
        path = Path(values["secret_file"]).expanduser()
        try:
            data = path.read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            where = origins["secret_file"]
            raise ConfigurationError(
                f"secret_file {str(path)!r} (from {where}) cannot be read: {exc.strerror}"
            ) from None
        origins["secret"] = origins["secret_file"]
        return data
    return None


def readable_by_others(path: Path) -> bool:
    """True when a file that may hold a secret can be read by other users."""
    return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))


def password_in(url: str) -> bool:
    """True when a store URL carries a password."""
    try:
        return urlsplit(url).password is not None
    except ValueError:
        return False
