"""Benchmark (not a timed test): product search from the SQLite FTS5 read model, beside a plain
``LIKE '%term%'`` scan over the same SQLite rows, measured in the same run.

    python -m tests.perf.bench_search [--products N] [--million] [--queries Q] [--no-http]
        [--keep DIR] [--mixes exact,filters,...]

Builds the read model for N synthetic products (default 100,000; ``--million`` runs 100,000 and
then 1,000,000) in a temporary directory. The products go straight into the read model's
builder (``server.search.readmodel.apply``, the code the follower runs for each change-log
entry) instead of through MongoDB and the change log, so that 1M builds in minutes; stock
levels for 40 % of them arrive the same way, as ``store:*`` feed entries. Names, brands,
categories and descriptions come from a seeded pseudo-word vocabulary with Zipf-like word
frequencies, so some words are rare and some match a large part of the catalogue.

Then Q queries per mix, each timed alone (p50/p99 in ms):
- ``exact``: one or two words taken from product names;
- ``typo``: a name word of 5+ letters with one edit (its recall: the corrected word is the
  original, or the product is on the first page);
- ``prefix``: the first 3–5 letters of a word, as typed, to ``/search/suggest``;
- ``typing``: the same prefixes to ``/search/products`` (results while typing);
- ``broad+facets``: the most frequent words (facet-heavy: thousands of matches);
- ``filters``: a word with a category, a price range and ``in_stock``;
- ``browse``: no text, a category filter.
through the service layer (``server.search.query`` on a read-only connection) and, unless
``--no-http``, over HTTP on a real ``tillpoint-server`` (SecantusDB behind it) serving the same
file; the baseline for each mix is the same query as ``LIKE '%word%'`` over the products'
stored JSON plus a ``count(*)`` of the same condition (what search without an index costs), on
the first 50 queries of the mix at 100,000 products (each is a full scan: 5 at 1,000,000).

``--keep DIR`` keeps the built file in ``DIR/search-<N>/`` and reuses it on the next run with
the same N (the catalogue is seeded, so the same file; the build rate is then not measured):
a 1M build takes minutes, and comparing two versions of the query code needs the same file.
``--mixes`` measures only the named mixes.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, TextIO

from server.search import query as queries
from server.search import readmodel
from server.search.text import words
from tests.perf.bench_server import BIN, _ready, _wait, percentile

DEFAULT_PRODUCTS = 100_000
DEFAULT_QUERIES = 300
BATCH = 5000
BASELINE_QUERIES = 50  # per mix at 100,000 products, fewer above (5 at 1M)
MIXES = ("exact", "typo", "prefix", "typing", "broad+facets", "filters", "browse")


# -- the synthetic catalogue -------------------------------------------------------------

class Vocabulary:
    """Seeded pseudo-words, drawn with Zipf-like frequencies."""

    SYLLABLES = [c + v for c in "bcdfgklmnprstvz" for v in "aeiou"] + ["sh", "tr", "an", "el"]

    def __init__(self, rng: random.Random, size: int) -> None:
        words: set[str] = set()
        while len(words) < size:
            words.add("".join(rng.choice(self.SYLLABLES) for _ in range(rng.randint(2, 4))))
        self.words = sorted(words)
        rng.shuffle(self.words)
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.9
                                                    for rank in range(size)))

    def pick(self, rng: random.Random, k: int = 1) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=k)


def catalogue_entries(n: int, seed: int = 5) -> tuple[list[dict], Callable[[int, int], list[dict]],
                                                    Vocabulary, list[dict]]:
    """``(category entries, products(start, stop) -> product and stock entries, vocabulary,
    categories)``: change-log-shaped entries for the builder."""
    rng = random.Random(seed)
    vocab = Vocabulary(rng, 4000 if n < 200_000 else 12000)
    brands = [w.capitalize() for w in Vocabulary(random.Random(seed + 1), 300).words]
    categories: list[dict] = []
    for top in range(20):
        root = {"id": f"c{top}", "name": vocab.words[top].capitalize(), "parent_id": None,
                "path": [], "archived": False}
        categories.append(root)
        for sub in range(10):
            categories.append({"id": f"c{top}.{sub}", "name": vocab.words[20 + top * 10 + sub],
                               "parent_id": root["id"], "path": [root["id"]], "archived": False})
    category_entries = [{"entity": "category", "entity_id": c["id"], "op": "upsert", "data": c}
                        for c in categories]
    leaves = [c for c in categories if c["parent_id"]]

    def products(start: int, stop: int) -> list[dict]:
        out = []
        for i in range(start, stop):
            r = random.Random(seed * 1_000_003 + i)
            pid = f"p{i:07d}"
            name = " ".join(vocab.pick(r, r.randint(2, 4))).capitalize()
            view = {"id": pid, "name": name, "description": " ".join(vocab.pick(r, 12)),
                    "brand": r.choice(brands), "category_id": r.choice(leaves)["id"],
                    "tags": vocab.pick(r, 2), "prices": {"EUR": r.randrange(99, 80000)},
                    "cost": {"EUR": 1}, "variants": [{"id": f"{pid}v", "sku": f"SKU{i:07d}",
                                                      "name": "", "barcodes": [f"20{i:011d}"],
                                                      "prices": None, "archived": False}],
                    "images": [{"url": f"/media/{pid}.jpg"}], "archived": False}
            out.append({"entity": "product", "entity_id": pid, "op": "upsert", "data": view,
                        "feed": "catalog"})
            if r.random() < 0.4:
                out.append({"entity": "stock_level", "entity_id": f"s{i}", "op": "upsert",
                            "feed": "store:bench",
                            "data": {"store_id": "bench", "product_id": pid,
                                     "variant_id": f"{pid}v", "on_hand_milli": 5000,
                                     "reserved_milli": 0}})
        return out

    return category_entries, products, vocab, categories


def build(path: Path, n: int) -> tuple[float, Vocabulary, list[dict]]:
    """Build the read model for ``n`` products at ``path``; returns products per second of the
    builder's own time (generating the synthetic entries is not counted)."""
    conn = readmodel.open_writer(path)
    conn.execute("PRAGMA synchronous = OFF")  # as the follower's rebuild does
    category_entries, products, vocab, categories = catalogue_entries(n)
    spent = 0.0
    conn.execute("BEGIN")
    readmodel.apply(conn, "catalog", category_entries)
    conn.execute("COMMIT")
    for start in range(0, n, BATCH):
        entries = products(start, min(n, start + BATCH))
        started = time.perf_counter()
        conn.execute("BEGIN")
        # stock first, as if its feed had been read first: in_stock is computed on upsert
        readmodel.apply(conn, "store:bench", [e for e in entries if e["feed"] != "catalog"])
        readmodel.apply(conn, "catalog", [e for e in entries if e["feed"] == "catalog"])
        conn.execute("COMMIT")
        spent += time.perf_counter() - started
    rate = n / spent
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    readmodel.publish(path.parent, path)
    return rate, vocab, categories


# -- the query mixes ---------------------------------------------------------------------

def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "change", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeioukst".replace(word[i], "")) + word[i + 1:]


def mixes(conn, vocab: Vocabulary, categories: list[dict], count: int,
          seed: int = 11) -> dict[str, list[dict[str, Any]]]:
    """``{mix: [params]}``; typo params carry ``_expect`` (the original word)."""
    rng = random.Random(seed)
    names = [r[0] for r in conn.execute("SELECT name_key FROM products ORDER BY random() "
                                        f"LIMIT {count * 3}")]
    name_words = [w for n in names for w in n.split()]
    long_words = [w for w in name_words if len(w) >= 5]
    common = vocab.words[:10]
    tops = [c for c in categories if not c["parent_id"]]
    out: dict[str, list[dict[str, Any]]] = {m: [] for m in MIXES}
    for _ in range(count):
        out["exact"].append({"q": " ".join(rng.sample(name_words, rng.choice((1, 1, 2))))})
        word = rng.choice(long_words)
        out["typo"].append({"q": _typo(rng, word), "_expect": word})
        word = rng.choice(name_words)
        out["prefix"].append({"q": word[:rng.randint(3, min(5, len(word)))]})
        out["typing"].append(dict(out["prefix"][-1]))
        out["broad+facets"].append({"q": rng.choice(common)})
        lo = rng.randrange(0, 40000)
        out["filters"].append({"q": rng.choice(name_words), "category": rng.choice(tops)["id"],
                               "min_price": lo, "max_price": lo + 20000, "in_stock": True})
        out["browse"].append({"category": rng.choice(categories)["id"]})
    return out


def _service_call(conn: Any, mix: str, params: dict[str, Any]) -> Any:
    clean = {k: v for k, v in params.items() if not k.startswith("_")}
    if mix == "prefix":
        return queries.suggest(conn, clean["q"])
    return queries.search(conn, queries.SearchQuery(**clean))


def _baseline_call(conn, mix: str, params: dict[str, Any]) -> Any:
    """The same query without the index: LIKE over the stored JSON, a page and a count."""
    word = params.get("q", "").split()[0] if params.get("q") else ""
    where, args = ["d.data LIKE ?"], [f"%{word}%"]
    if "category" in params:
        ids = readmodel.descendants(conn, params["category"])
        where.append(f"p.category_id IN ({','.join('?' * len(ids))})")
        args.extend(ids)
    if "min_price" in params:
        where.append("pr.price BETWEEN ? AND ?")
        args.extend([params["min_price"], params["max_price"]])
    if params.get("in_stock"):
        where.append("p.in_stock = 1")
    source = ("FROM products p JOIN product_docs d ON d.rowid = p.rowid LEFT JOIN prices pr ON "
              f"pr.rowid = p.rowid AND pr.currency = 'EUR' WHERE {' AND '.join(where)}")
    page = conn.execute(f"SELECT d.summary {source} LIMIT 20", args).fetchall()
    if mix != "prefix":
        conn.execute(f"SELECT count(*) {source}", args).fetchone()
    return page


def _time(call: Callable[[dict[str, Any]], Any], items: list[dict[str, Any]]) -> dict[str, float]:
    call(items[0])  # warm-up
    samples = []
    for params in items:
        started = time.perf_counter_ns()
        call(params)
        samples.append(time.perf_counter_ns() - started)
    return {"p50_ms": percentile(samples, 50), "p99_ms": percentile(samples, 99),
            "count": len(samples)}


def typo_recall(conn, items: list[dict[str, Any]]) -> tuple[int, int]:
    hits = 0
    for params in items:
        result = queries.search(conn, queries.SearchQuery(q=params["q"]))
        expect = params["_expect"]
        if result["did_you_mean"] == expect or any(
                expect in words(i["name"]) for i in result["items"]):
            hits += 1
    return hits, len(items)


# -- HTTP on a real server ---------------------------------------------------------------

def _http_rows(directory: Path, work: Path, plan: dict[str, list[dict[str, Any]]]
               ) -> dict[str, dict[str, float]]:
    import requests

    from server.embedded import free_port, uri_for, wait_until_ready

    started: list[subprocess.Popen] = []
    try:
        db_port, api_port = free_port(), free_port()
        with open(work / "secantus.log", "wb") as log:
            started.append(subprocess.Popen(
                [str(BIN / "secantusd-py"), "--storage-path", str(work / "data"), "--host",
                 "127.0.0.1", "--port", str(db_port), "--sync-on-commit"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        wait_until_ready(uri_for(db_port), process=started[0])
        env = {k: v for k, v in os.environ.items() if not k.startswith("TILLPOINT_")}
        env.update({"TILLPOINT_MONGODB_URI": uri_for(db_port), "TILLPOINT_MONGODB_DB": "bench",
                    "TILLPOINT_SERVER_DATA_DIR": str(work / "server"),
                    "TILLPOINT_SEARCH_DIR": str(directory), "TILLPOINT_EMAIL_WORKER": "0",
                    "TILLPOINT_CART_WORKER": "0",
                    "TILLPOINT_JWT_SECRET": secrets.token_urlsafe(48)})
        api_log = work / "server.log"
        with open(api_log, "wb") as log:
            started.append(subprocess.Popen(
                [str(BIN / "tillpoint-server"), "--port", str(api_port)], env=env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{api_port}/api/v1/search"
        _wait(lambda: _ready(f"http://127.0.0.1:{api_port}/ready"), started[1],
              "tillpoint-server", api_log)
        session = requests.Session()

        def call_for(mix: str) -> Callable[[dict[str, Any]], Any]:
            url = f"{base}/suggest" if mix == "prefix" else f"{base}/products"

            def call(params: dict[str, Any]) -> Any:
                clean = {k: v for k, v in params.items() if not k.startswith("_")}
                response = session.get(url, params=clean, timeout=60)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} {clean}: {response.status_code} {response.text}")
                return response

            return call

        return {mix: _time(call_for(mix), items) for mix, items in plan.items()}
    finally:
        if len(started) > 1:
            started[1].terminate()  # the server: a clean stop
            started[1].wait(timeout=60)
        if started:
            started[0].kill()  # its throwaway database
            started[0].wait(timeout=60)


# -- the run -----------------------------------------------------------------------------

def _kept(keep: Path, n: int) -> tuple[Path, bool]:
    """``(the kept file for n products, whether it is complete)``."""
    path = keep / f"search-{n}" / "search-bench.sqlite"
    if not path.exists():
        return path, False
    conn = readmodel.open_reader(path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'bench_products'").fetchone()
    except readmodel.sqlite3.DatabaseError:
        row = None
    finally:
        conn.close()
    return path, row is not None and row[0] == str(n)


def run(n: int = DEFAULT_PRODUCTS, *, per_mix: int = DEFAULT_QUERIES, http: bool = True,
        workdir: Path | None = None, out: TextIO | None = None, keep: Path | None = None,
        only: tuple[str, ...] = MIXES) -> dict[str, Any]:
    """Build (or reuse, with ``keep``), measure, print the table; returns the figures
    (``build_rate``, ``size_mb``, ``typo_recall``, ``{mix}_{service|http|baseline}_{p50_ms|
    p99_ms}``)."""
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="tillpoint-bench-search-", dir=workdir) as tmp:
        work = Path(tmp)
        if keep is None:
            directory = work / "search"
            directory.mkdir()
            path, reuse = directory / "search-bench.sqlite", False
        else:
            path, reuse = _kept(Path(keep), n)
            directory = path.parent
            if not reuse:
                directory.mkdir(parents=True, exist_ok=True)
                for stale in directory.iterdir():
                    stale.unlink()
        if reuse:
            rate = float("nan")
            _entries, _products, vocab, categories = catalogue_entries(n)
        else:
            rate, vocab, categories = build(path, n)
            marker = readmodel.sqlite3.connect(path)
            with marker:
                marker.execute("INSERT OR REPLACE INTO meta VALUES ('bench_products', ?)",
                               (str(n),))
            marker.close()
        figures: dict[str, Any] = {"products": n, "build_rate": rate,
                                   "size_mb": path.stat().st_size / 1e6, "mixes": only}
        conn = readmodel.open_reader(path)
        plan = {m: p for m, p in mixes(conn, vocab, categories, per_mix).items() if m in only}
        for mix, items in plan.items():  # one unmeasured pass: the file was just written
            for params in items:
                _service_call(conn, mix, params)
        hits, asked = typo_recall(conn, plan["typo"]) if "typo" in plan else (0, 0)
        figures["typo_recall"] = hits / asked if asked else float("nan")
        for mix, items in plan.items():
            for key, value in _time(lambda p, m=mix: _service_call(conn, m, p), items).items():
                figures[f"{mix}_service_{key}"] = value
            # the scans take 0.1–1 s each at 100k–1M products: a sample of them is enough
            sample = items[:max(5, BASELINE_QUERIES * 100_000 // max(n, 100_000))]
            for key, value in _time(lambda p, m=mix: _baseline_call(conn, m, p), sample).items():
                figures[f"{mix}_baseline_{key}"] = value
        conn.close()
        if http:
            for mix, row in _http_rows(directory, work, plan).items():
                for key, value in row.items():
                    figures[f"{mix}_http_{key}"] = value
    _print(figures, http, out)
    return figures


def _print(f: dict[str, Any], http: bool, out: TextIO) -> None:
    print(f"\nTillpoint search benchmark: {f['products']:,} products, read model "
          f"{f['size_mb']:.0f} MB, built at {f['build_rate']:,.0f} products/s; typo recall "
          f"{f['typo_recall']:.0%}", file=out)
    print(f"SQLite {readmodel.sqlite3.sqlite_version} FTS5 trigram; Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs; one client, queries timed alone",
          file=out)
    columns = ["service", *(["http"] if http else []), "baseline"]
    header = f"{'mix':<16}" + "".join(f"{c + ' p50':>15}{c + ' p99':>15}" for c in columns)
    print(header, file=out)
    print("-" * len(header), file=out)
    for mix in f["mixes"]:
        cells = "".join(f"{f[f'{mix}_{c}_p50_ms']:>15.2f}{f[f'{mix}_{c}_p99_ms']:>15.2f}"
                        for c in columns)
        print(f"{mix:<16}{cells}", file=out)
    print("(ms; baseline: LIKE '%word%' over the same rows, page + count; prefix rows are "
          "/search/suggest)", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_search",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=DEFAULT_PRODUCTS)
    parser.add_argument("--million", action="store_true", help="also 1,000,000 products")
    parser.add_argument("--queries", type=int, default=DEFAULT_QUERIES, help="per mix")
    parser.add_argument("--no-http", action="store_true", help="service layer and baseline only")
    parser.add_argument("--keep", type=Path, help="keep the built files here and reuse them")
    parser.add_argument("--mixes", default=",".join(MIXES), help="comma-separated mixes")
    args, _ = parser.parse_known_args(argv)
    only = tuple(m for m in MIXES if m in args.mixes.split(","))
    sizes = [args.products] + ([1_000_000] if args.million else [])
    for n in sizes:
        run(n, per_mix=args.queries, http=not args.no_http, keep=args.keep, only=only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
