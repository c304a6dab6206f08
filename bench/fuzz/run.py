"""Coverage-guided fuzzing of the targets in targets.py with atheris (on demand, not in CI).

    pip install atheris   # 3.x; only for these runs, not a dependency of replytrack
    python bench/fuzz/run.py --target headers --seconds 300 [--corpus DIR]

Each run starts from the target's seeds; a crash stops it and atheris writes the input to
``crash-*``: add it to the target's regression inputs in tests/test_fuzz_targets.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from targets import SEEDS, TARGETS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=sorted(TARGETS), required=True)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--corpus", type=Path, help="a folder kept between runs")
    args, rest = parser.parse_known_args()
    import atheris  # type: ignore[import-not-found]

    corpus = args.corpus or Path(tempfile.mkdtemp(prefix=f"fuzz-{args.target}-"))
    corpus.mkdir(parents=True, exist_ok=True)
    for n, seed in enumerate(SEEDS[args.target]):
        (corpus / f"seed{n}").write_bytes(seed)
    atheris.instrument_all()  # replytrack is imported already, by targets
    atheris.Setup(
        [sys.argv[0], f"-max_total_time={args.seconds}", "-rss_limit_mb=4096", *rest, str(corpus)],
        TARGETS[args.target],
    )
    atheris.Fuzz()


if __name__ == "__main__":
    main()
