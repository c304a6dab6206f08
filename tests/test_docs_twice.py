"""Every docs page's examples, and the README's, print the same when run twice in a row in
the same folder (a store file left by the first run included); ids drawn at random by a
fresh MemoryStore's sends aside."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
PAGES = [
    p
    for p in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
    if FENCE.search(p.read_text(encoding="utf-8"))
]
# send ids and the Message-ID tokens made of them: new ones each run over a MemoryStore
RANDOM_IDS = re.compile(r"\b[0-9a-f]{20,}\b")


def run_page(page: Path) -> str:
    """What the page's examples print, run one after the other in one namespace."""
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for number, block in enumerate(FENCE.findall(page.read_text(encoding="utf-8")), 1):
            exec(compile(block, f"{page.name} example {number}", "exec"), namespace)
    return RANDOM_IDS.sub("<id>", out.getvalue())


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_the_examples_print_the_same_when_run_twice(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPLYTRACK_SECRET", "ab" * 32)  # the examples read their secret there
    assert run_page(page) == run_page(page)


def test_the_stores_page_records_its_send_once_when_run_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run_page(ROOT / "docs" / "stores.md")
    run_page(ROOT / "docs" / "stores.md")  # it asserts sent == 1 itself, each time
    from replytrack.stores import open_store

    store = open_store("sqlite:///replies.db")
    try:
        assert store.report("acme", "spring").sent == 1
    finally:
        store.close()  # type: ignore[attr-defined]
