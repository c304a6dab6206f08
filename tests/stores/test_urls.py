"""open_store reads SQLAlchemy's URL grammar and says what is wrong with a URL it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from replytrack import ConfigurationError, MemoryStore
from replytrack.stores import SQLiteStore, open_store


def refusal(url: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        open_store(url)
    return str(caught.value)


def test_a_tilde_is_expanded_to_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    store = open_store("sqlite:///~/crm.db")
    assert isinstance(store, SQLiteStore)
    assert store.path == tmp_path / "crm.db"
    store.close()


def test_the_timeout_parameter_sets_the_lock_wait_and_stays_out_of_the_file_name(
    tmp_path: Path,
) -> None:
    store = open_store(f"sqlite:///{tmp_path}/crm.db?timeout=5")
    assert isinstance(store, SQLiteStore)
    assert (store.path, store.timeout) == (tmp_path / "crm.db", 5.0)
    store.close()


def test_memory_opens_a_memory_store() -> None:
    assert isinstance(open_store("MEMORY://"), MemoryStore)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:replies.db", "lacks '//' after 'sqlite:'; did you mean 'sqlite:///replies.db'?"),
        ("memory:", "lacks '//' after 'memory:'; did you mean 'memory://'?"),
        ("replies.db", "has no scheme; try 'sqlite:///replies.db' or 'memory://'"),
        ("sqlite://replies.db", "names a host ('replies.db'); a SQLite URL has three slashes"),
        ("sqlite://", "names no file; a SQLite URL has three slashes"),
        ("sqlite:///", "names no file: 'sqlite:///replies.db'"),
        ("memory://x", "memory:// takes nothing after it"),
        ("sqlite:///r.db?mode=ro", "unknown parameter 'mode'; SQLite URLs take 'timeout'"),
        ("sqlite:///r.db?timeout=soon", "timeout must be a number of seconds, got 'soon'"),
        ("sqlite:///r.db?timeout=-1", "timeout must be a number of seconds, got '-1'"),
        ("redis://localhost", "unknown store URL scheme 'redis'"),
    ],
)
def test_a_refused_url_says_what_is_wrong(url: str, expected: str) -> None:
    assert expected in refusal(url)


def test_a_relative_path_whose_folder_exists_only_at_the_root_suggests_four_slashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./tmp here, but /tmp exists
    message = refusal("sqlite:///tmp/x.db")
    assert "the folder 'tmp' does not exist" in message
    assert "use four slashes: 'sqlite:////tmp/x.db'" in message


def test_a_password_in_a_refused_url_is_not_shown() -> None:
    message = refusal("mysql://crm:hunter2@db.example.com/crm")
    assert "hunter2" not in message
    assert "crm:***@db.example.com" in message
