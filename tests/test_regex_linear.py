"""No regular expression in the package is super-linear on hostile input.

Every compiled pattern is collected from every replytrack module (module level, class
attributes, and dicts, lists and tuples of them). Each is searched in adversarial strings
built from its own literal characters and classes: long runs of one character, runs of
two alternating, and the same with a near-miss character at the end. Each string is timed
at two sizes (CPU time, best of three) by ``match``, one attempt at the start: what the
parsers do (they match at a position, or search text whose length is already bounded by
:mod:`replytrack.limits`). When the larger size takes long enough to
measure, quadrupling the size must not multiply the time by more than 8 (linear takes about
4x, a quadratic pattern 16x): a margin wide enough for a loaded machine.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from collections.abc import Iterator
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import pytest

import replytrack

SMALL, LARGE = 2048, 8192
FLOOR = 0.001  # seconds at LARGE below which a pattern is linear enough whatever the ratio
RATIO = 8.0  # four times the size: linear about 4x, quadratic 16x
# representatives of the classes a pattern may repeat (\s, \d, \w, ".", and the punctuation of mail)
_BASE = " \t\r\na0.@<>=?\"'\\()-:;,/_"


def _patterns_in(value: object, depth: int = 0) -> Iterator[re.Pattern[Any]]:
    if isinstance(value, re.Pattern):
        yield value
    elif depth < 3 and isinstance(value, dict):
        for item in value.items():
            yield from _patterns_in(item, depth + 1)
    elif depth < 3 and isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _patterns_in(item, depth + 1)


def all_patterns() -> dict[tuple[object, int], tuple[str, re.Pattern[Any]]]:
    """Every distinct compiled pattern in the package, with where it was found."""
    found: dict[tuple[object, int], tuple[str, re.Pattern[Any]]] = {}
    modules = pkgutil.walk_packages(replytrack.__path__, "replytrack.")
    for name in sorted(m.name for m in modules):
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            places = [(f"{name}.{attr}", value)]
            if isinstance(value, type) and value.__module__ == name:
                places += [(f"{name}.{attr}.{a}", v) for a, v in vars(value).items()]
            for where, item in places:
                for pattern in _patterns_in(item):
                    found.setdefault((pattern.pattern, pattern.flags), (where, pattern))
    return found


def _characters(pattern: re.Pattern[Any]) -> str:
    """The literal characters of the pattern, then the class representatives."""
    literals: list[str] = []

    def walk(parsed: Any) -> None:
        for op, arg in parsed:
            if op is sre_constants.LITERAL:
                literals.append(chr(arg))
            elif isinstance(arg, sre_parse.SubPattern):
                walk(arg)
            elif isinstance(arg, list | tuple):
                for part in arg:
                    if isinstance(part, sre_parse.SubPattern):
                        walk(part)
                    elif isinstance(part, list | tuple):
                        for inner in part:
                            if isinstance(inner, sre_parse.SubPattern):
                                walk(inner)

    source = pattern.pattern
    text = source.decode("latin-1") if isinstance(source, bytes) else source
    walk(sre_parse.parse(text, pattern.flags & ~re.UNICODE & ~re.ASCII))
    return "".join(dict.fromkeys(literals + list(_BASE)))


def _inputs(chars: str, size: int) -> Iterator[str]:
    for c in chars:
        yield c * size
        yield c * size + "\x00"
    literal = chars[: chars.index(" ")] if " " in chars else chars
    for a in chars[:8]:
        for b in chars[:8]:
            if a != b:
                yield (a + b) * (size // 2) + "\x00"
    if literal:  # the pattern's own literals in order, repeated, broken at the end
        yield (literal * (size // len(literal) + 1))[:size] + "\x00"


def _cpu(pattern: re.Pattern[Any], subject: str | bytes) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        pattern.match(subject)  # type: ignore[arg-type]
        best = min(best, time.process_time() - start)
    return best


PATTERNS = all_patterns()


def test_the_walk_finds_the_patterns_of_the_parsers() -> None:
    places = {where for where, _ in PATTERNS.values()}
    assert "replytrack.message._ENCODED_WORD" in places
    assert "replytrack.headers._ID_RE" in places
    assert len(PATTERNS) >= 20


def test_the_check_catches_a_quadratic_pattern() -> None:
    quadratic = re.compile(r"a*a*b")  # each split of the run between the two stars is tried
    assert _slowest(quadratic, 1024, 4096) is not None
    assert _slowest(re.compile(r"a+b"), 1024, 4096) is None


def _slowest(
    pattern: re.Pattern[Any], small_size: int = SMALL, large_size: int = LARGE
) -> str | None:
    as_bytes = isinstance(pattern.pattern, bytes)
    chars = _characters(pattern)
    pairs = zip(_inputs(chars, small_size), _inputs(chars, large_size), strict=True)
    for small, large in pairs:
        subjects = [s.encode("latin-1") if as_bytes else s for s in (small, large)]
        slow = _cpu(pattern, subjects[1])
        if slow > FLOOR and slow / max(_cpu(pattern, subjects[0]), 1e-6) > RATIO:
            slow = _cpu(pattern, subjects[1])  # once more, against a noisy neighbour
            if slow > FLOOR and slow / max(_cpu(pattern, subjects[0]), 1e-6) > RATIO:
                return f"{large[:20]!r}... ({len(large)} chars): {slow:.3f}s"
    return None


@pytest.mark.parametrize("key", sorted(PATTERNS, key=repr), ids=lambda k: PATTERNS[k][0])
def test_no_pattern_is_super_linear(key: tuple[object, int]) -> None:
    where, pattern = PATTERNS[key]
    assert _slowest(pattern) is None, f"{where} = {pattern.pattern!r} is super-linear"


def test_a_long_from_value_of_escaped_quotes_is_read_in_linear_time() -> None:
    from replytrack.message import normalise_address

    def cpu(count: int) -> float:
        value = 'bob@example.org "' + '\\"' * count
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            normalise_address(value)
            best = min(best, time.process_time() - start)
        return best

    small, large = cpu(10_000), cpu(40_000)  # four times the size: linear is about 4x
    assert large < FLOOR or large / max(small, 1e-6) < 8, (small, large)
