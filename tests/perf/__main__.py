"""Run every benchmark in tests/perf/ in full: ``python -m tests.perf`` (or ``./dev bench``).

Each ``bench_*.py`` module has a ``main(argv)`` that prints its figures beside a baseline
measured in the same run. Each runs with its own full defaults; to change one benchmark's
options, run it alone (``python -m tests.perf.bench_server --help``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv):
        print("python -m tests.perf takes no options; run one benchmark alone to set its own",
              file=sys.stderr)
        return 2
    here = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    failed = 0
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        module = importlib.import_module(f"tests.perf.{name}")
        failed += module.main([]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
