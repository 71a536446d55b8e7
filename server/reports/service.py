"""Sales reports read from the rollups (``server.reports.rollups``): a range of days is a sum
of day rows, so a report costs a read of (days × keys) small documents, never a scan of the
orders."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Callable, Iterable, Iterator

from pymongo.database import Database

from server.errors import ApiError
from server.reports.rollups import FIGURES, MONTHLY, NO_CATEGORY, UNKNOWN_CASHIER

Doc = dict[str, Any]
MAX_DAYS = 3 * 365 + 1  # three years, a leap day included
TIME_GROUPS: dict[str, Callable[[str], str]] = {
    "day": lambda day: day,
    "week": lambda day: "{0}-W{1:02d}".format(*date.fromisoformat(day).isocalendar()[:2]),
    "month": lambda day: day[:7],
}
DIMENSION_GROUPS = ("product", "category", "cashier", "payment", "channel")
GROUPS = (*TIME_GROUPS, *DIMENSION_GROUPS, "store")
TOP_BY = {"total": "net_total", "quantity": "net_quantity_milli"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", f"{field}: {message}", {"field": field})


def parse_day(text: str | None, field: str) -> date:
    if text is None:
        raise invalid(field, "is required (YYYY-MM-DD)")
    try:
        if not _DAY.match(text):
            raise ValueError
        parsed = date.fromisoformat(text)
        if not 1970 <= parsed.year <= 9000:  # far ends of the calendar hold no sales
            raise ValueError
        return parsed
    except ValueError:
        raise invalid(field, f"{text[:20]!r} is not a date (YYYY-MM-DD)") from None


def parse_range(start_text: str | None, end_text: str | None) -> tuple[str, str]:
    """``from``/``to`` → the inclusive range of day keys; at most three years."""
    start, end = parse_day(start_text, "from"), parse_day(end_text, "to")
    if end < start:
        raise invalid("to", "must not be before from")
    if (end - start).days + 1 > MAX_DAYS:
        raise invalid("to", f"a report covers at most three years ({MAX_DAYS} days)")
    return start.isoformat(), end.isoformat()


def _check_store(db: Database, store_id: str | None) -> None:
    if store_id is not None and db.stores.find_one({"_id": store_id}, {"_id": 1}) is None:
        raise ApiError(404, "not_found", f"no store {store_id}", {"field": "store_id"})


def periods(start: str, end: str) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
    """Split a range of days into the whole months inside it (read from the month rows) and
    the days of its partial months at either end (read from the day rows)."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    full_from = first if first.day == 1 else \
        (first.replace(day=1) + timedelta(days=32)).replace(day=1)
    full_to = last if (last + timedelta(days=1)).day == 1 else \
        last.replace(day=1) - timedelta(days=1)
    if full_from > full_to:
        return [(start, end)], None
    edges = []
    if first < full_from:
        edges.append((start, (full_from - timedelta(days=1)).isoformat()))
    if full_to < last:
        edges.append(((full_to + timedelta(days=1)).isoformat(), end))
    return edges, (full_from.isoformat()[:7], full_to.isoformat()[:7])


def _find(collection, dimension: str, first: str, last: str,
          store_id: str | None) -> Iterable[Doc]:
    query: Doc = {"dimension": dimension, "day": {"$gte": first, "$lte": last}}
    if store_id is not None:
        query["store_id"] = store_id
    return collection.find(query, {"_id": 0})


def _rows(db: Database, dimension: str, start: str, end: str, store_id: str | None, *,
          months: bool = True) -> Iterator[Doc]:
    """The rollup rows of ``dimension`` covering the range: whole months from the month rows
    (unless ``months`` is false: a report by day or week needs days)."""
    edges, whole = periods(start, end) if months else ([(start, end)], None)
    for first, last in edges:
        yield from _find(db.sales_rollups, dimension, first, last, store_id)
    if whole is not None:
        yield from _find(db[MONTHLY], dimension, whole[0], whole[1], store_id)


def _finish(row: Doc) -> Doc:
    row["net_total"] = row["total"] - row["refunded_amount"]
    row["net_quantity_milli"] = row["quantity_milli"] - row["refunded_quantity_milli"]
    return row


def _group(rows: Iterable[Doc], key_of: Callable[[Doc], str]) -> dict[tuple[str, str], Doc]:
    """Sum the figures of ``rows`` per (group key, currency); a product keeps the name of its
    latest day."""
    groups: dict[tuple[str, str], Doc] = {}
    for row in rows:
        currency = row.get("currency") or ""
        group = groups.setdefault((key_of(row), currency), {
            "key": key_of(row), "currency": currency, **{f: 0 for f in FIGURES},
            "_day": "", "name": ""})
        for name in FIGURES:
            group[name] += int(row.get(name, 0))
        if row.get("name") and row["day"] >= group["_day"]:
            group["_day"], group["name"] = row["day"], row["name"]
    return groups


def _names(db: Database, collection: str, ids: set[str], label: Callable[[Doc], str]) -> dict:
    if not ids:
        return {}
    return {d["_id"]: label(d) for d in db[collection].find({"_id": {"$in": sorted(ids)}})}


def _label(db: Database, group_by: str, groups: list[Doc]) -> None:
    """A name for people beside each key (the key stays the id)."""
    keys = {g["key"] for g in groups}
    if group_by == "category":
        names = _names(db, "categories", keys - {NO_CATEGORY}, lambda d: d.get("name", ""))
        names[NO_CATEGORY] = "(no category)"
    elif group_by == "cashier":
        names = _names(db, "users", keys - {"online", UNKNOWN_CASHIER},
                       lambda d: d.get("name") or d.get("email", ""))
        names |= {"online": "(online)", UNKNOWN_CASHIER: "(unknown)"}
    elif group_by == "store":
        names = _names(db, "stores", keys, lambda d: f"{d.get('code', '')} {d.get('name', '')}")
    else:
        names = {}
    for group in groups:
        name = group.pop("name")
        group.pop("_day")
        group["label"] = name if group_by == "product" else names.get(group["key"], group["key"])


def _totals(db: Database, start: str, end: str, store_id: str | None) -> list[Doc]:
    groups = _group(_rows(db, "total", start, end, store_id), lambda r: "all")
    totals = []
    for (_, currency), group in sorted(groups.items(), key=lambda item: item[0][1]):
        for extra in ("key", "name", "_day"):
            group.pop(extra)
        totals.append(_finish(group))
    return totals


def sales(db: Database, *, start: str, end: str, store_id: str | None,
          group_by: str) -> Doc:
    """``/reports/sales``: rows per time bucket, store or dimension key, and the totals (one
    per currency). Time and store rows come from the ``total`` dimension; the others from
    their own (a product's total excludes shipping, so the rows of a dimension need not add
    up to the totals)."""
    if group_by not in GROUPS:
        raise invalid("group_by", f"cannot group by {group_by[:40]!r} "
                      f"(one of {', '.join(GROUPS)})")
    _check_store(db, store_id)
    if group_by in TIME_GROUPS:
        bucket = TIME_GROUPS[group_by]
        groups = _group(_rows(db, "total", start, end, store_id, months=group_by == "month"),
                        lambda r: bucket(r["day"]))
    elif group_by == "store":
        groups = _group(_rows(db, "total", start, end, store_id), lambda r: r["store_id"])
    else:
        groups = _group(_rows(db, group_by, start, end, store_id), lambda r: r["key"])
    rows = [_finish(g) for g in groups.values()]
    _label(db, group_by, rows)
    if group_by in TIME_GROUPS:
        rows.sort(key=lambda r: (r["key"], r["currency"]))
    else:
        rows.sort(key=lambda r: (-r["net_total"], r["key"], r["currency"]))
    return {"from": start, "to": end, "store_id": store_id, "group_by": group_by,
            "rows": rows, "totals": _totals(db, start, end, store_id)}


def top_products(db: Database, *, start: str, end: str, store_id: str | None, limit: int,
                 by: str) -> Doc:
    """``/reports/top-products``: the best sellers by takings or by quantity, both net of
    refunds."""
    if by not in TOP_BY:
        raise invalid("by", f"one of {', '.join(TOP_BY)}")
    _check_store(db, store_id)
    rows = [_finish(g) for g in _group(_rows(db, "product", start, end, store_id),
                                       lambda r: r["key"]).values()]
    _label(db, "product", rows)
    rows.sort(key=lambda r: (-r[TOP_BY[by]], r["key"], r["currency"]))
    return {"from": start, "to": end, "store_id": store_id, "by": by, "items": rows[:limit]}
