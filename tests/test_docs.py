"""Every python example in docs/ runs, and every public name is documented."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import replytrack

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
PAGES = sorted(DOCS.glob("*.md"))


def python_blocks(page: Path) -> list[str]:
    return FENCE.findall(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_python_example_on_the_page_runs(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = python_blocks(page)
    if not blocks:
        pytest.skip(f"{page.name} has no python examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, block in enumerate(blocks, start=1):
        code = compile(block, f"{page.name} example {number}", "exec")
        exec(code, namespace)


def test_the_docs_show_python_examples() -> None:
    assert sum(len(python_blocks(p)) for p in PAGES) >= 10


def test_every_public_name_is_in_the_api_reference() -> None:
    reference = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^::: replytrack\.(\w+)", reference, re.M))
    errors = set(replytrack.errors.__all__)
    missing = set(replytrack.__all__) - documented - errors - {"__version__"}
    assert not missing, f"add to docs/api.md: {sorted(missing)}"


def test_every_docs_page_is_in_the_navigation() -> None:
    nav = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    assert [p.name for p in PAGES if p.name not in nav] == []


def test_the_ci_script_runs_the_readmes_test_command() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8").splitlines()
    ci = (DOCS.parent / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in readme[:6] if line.startswith("python3 -m venv")]
    assert len(commands) == 2
    assert commands[1] in ci.splitlines()
    assert os.access(DOCS.parent / ".ci" / "run", os.X_OK)


def test_the_readmes_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [block] = python_blocks(DOCS.parent / "README.md")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme"}
    exec(compile(block, "README.md example", "exec"), namespace)
    send = namespace["send"]
    assert send.headers["Message-ID"].startswith("<rt1.")  # type: ignore[attr-defined]
