"""The benchmark's demo stores, built once per size and kept: a 1,000,000-product shop takes
minutes to generate, and comparing two versions of the till's code needs the same file.

A store lives in ``<cache>/till-<N>-<fingerprint>/`` where the fingerprint hashes what decides
its contents (the demo recipe, the models, the migrations and the search index's code): change
any of them and the next run builds a new store instead of measuring a stale one. Each run works
on a copy, so what a run writes (sign-ins, a shift, the window's settings) never reaches the kept
store and every run starts from the same file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import platformdirs

ROOT = Path(__file__).resolve().parents[2]
#: what the built file depends on; anything else (the till's code) is what is measured
RECIPE_FILES = ("app/demo.py", "app/domain/demo_recipe.py", "app/domain/barcodes.py",
                "app/setup.py", "app/local_auth.py")
SCHEMA_DIRS = ("db",)
STORE_FILE = "tillpoint.sqlite3"
MARKER = "bench-store.json"


def default_cache() -> Path:
    return Path(platformdirs.user_cache_dir("tillpoint")) / "bench"


def fingerprint() -> str:
    digest = hashlib.sha256()
    files = [ROOT / name for name in RECIPE_FILES]
    for folder in SCHEMA_DIRS:
        files.extend(sorted((ROOT / folder).rglob("*.py")))
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _built(folder: Path, products: int) -> dict | None:
    try:
        marker = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return marker if marker.get("products") == products and (folder / STORE_FILE).exists() else None


def build(folder: Path, products: int) -> float:
    """Generate the demo shop of ``products`` in ``folder`` as ``tillpoint init --demo`` does;
    returns the seconds it took."""
    from app.cli.store_cmd import ensure_demo
    from app.config.paths import Paths

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ensure_demo(Paths(folder), products=products)
    seconds = time.perf_counter() - started
    for leftover in (f"{STORE_FILE}-wal", f"{STORE_FILE}-shm"):
        if (folder / leftover).exists():  # closed cleanly: checkpointed; nothing else to keep
            (folder / leftover).unlink()
    return seconds


def cached_store(products: int, cache: Path | None = None) -> tuple[Path, float | None]:
    """``(the kept store's folder, seconds it took to build now, or None if it was kept)``."""
    cache = cache or default_cache()
    folder = cache / f"till-{products}-{fingerprint()}"
    if _built(folder, products):
        return folder, None
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    seconds = build(partial, products)
    (partial / MARKER).write_text(json.dumps({"products": products, "build_s": round(seconds, 1),
                                              "fingerprint": fingerprint()}))
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)  # only a complete store ever has the final name
    return folder, seconds


def working_copy(kept: Path, into: Path) -> Path:
    """A data directory holding a copy of the kept store, for one run to write into."""
    into.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kept / STORE_FILE, into / STORE_FILE)
    return into


if __name__ == "__main__":  # build ahead of a run: python -m tests.perf.till_store N
    import sys

    folder, took = cached_store(int(sys.argv[1]))
    print(folder, "kept" if took is None else f"built in {took:.0f} s")
