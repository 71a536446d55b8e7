"""MongoDB access for the catalogue: products, their reserved codes, brand counts, categories
and tax classes. Lookups are by ``_id`` or another indexed equality / ``$in``; writes are
conditional ``update_one`` calls (SecantusDB scans in ``find_one_and_update``)."""

from __future__ import annotations

from typing import Any, Iterable

from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

Doc = dict[str, Any]
Session = ClientSession | None
CodeEntry = tuple[str, str]  # (kind, variant_id)


def codes_of(product: Doc | None) -> dict[str, CodeEntry]:
    """Every barcode and SKU a product reserves (archived variants included: their codes stay
    taken, so a scan of an old label never finds another item)."""
    found: dict[str, CodeEntry] = {}
    for variant in (product or {}).get("variants", []):
        found[variant["sku"]] = ("sku", variant["id"])
        for code in variant.get("barcodes", []):
            found[code] = ("barcode", variant["id"])
    return found


def holders(db: Database, codes: Iterable[str], session: Session = None) -> dict[str, Doc]:
    """The ``codes`` entries of those that are taken."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {c["_id"]: c for c in db.codes.find({"_id": {"$in": wanted}}, session=session)}


def move_codes(db: Database, product_id: str, before: dict[str, CodeEntry],
               after: dict[str, CodeEntry], session: Session) -> None:
    """Make ``codes`` say what ``after`` says for this product: free the codes it no longer
    has, re-point moved ones, insert new ones (``DuplicateKeyError`` if another holds one)."""
    gone = sorted(set(before) - set(after))
    if gone:
        db.codes.delete_many({"_id": {"$in": gone}, "product_id": product_id}, session=session)
    for code, (kind, variant_id) in after.items():
        if code in before and before[code] != (kind, variant_id):
            db.codes.update_one({"_id": code, "product_id": product_id},
                                {"$set": {"kind": kind, "variant_id": variant_id}}, session=session)
    new = [{"_id": code, "kind": kind, "product_id": product_id, "variant_id": variant_id}
           for code, (kind, variant_id) in after.items() if code not in before]
    if new:
        try:
            db.codes.insert_many(new, ordered=True, session=session)
        except BulkWriteError as exc:
            if any(e.get("code") == 11000 for e in exc.details.get("writeErrors", [])):
                raise DuplicateKeyError("a code is taken", 11000) from None
            raise


def _brand_key(product: Doc | None) -> str | None:
    if not product or product.get("archived") or not product.get("brand"):
        return None
    return product["brand"]


def count_brand(db: Database, before: Doc | None, after: Doc | None, session: Session) -> None:
    """Keep ``brands`` (``{_id: brand, count}``: active products per brand) in step."""
    old, new = _brand_key(before), _brand_key(after)
    if old == new:
        return
    if old is not None:
        db.brands.update_one({"_id": old}, {"$inc": {"count": -1}}, upsert=True, session=session)
    if new is not None:
        db.brands.update_one({"_id": new}, {"$inc": {"count": 1}}, upsert=True, session=session)


def brands(db: Database, limit: int) -> list[Doc]:
    return list(db.brands.find({"count": {"$gt": 0}}).sort("_id", ASCENDING).limit(limit))


def get(db: Database, collection: str, entity_id: str, session: Session = None) -> Doc | None:
    return db[collection].find_one({"_id": entity_id}, session=session)


def replace_if_version(db: Database, collection: str, doc: Doc, version: int,
                       session: Session) -> bool:
    """Store ``doc`` (already at ``version + 1``) only if the stored one is still at
    ``version``."""
    fields = {k: v for k, v in doc.items() if k not in ("_id", "created_at")}
    result = db[collection].update_one({"_id": doc["_id"], "version": version},
                                       {"$set": fields}, session=session)
    return result.matched_count == 1


def descendants(db: Database, category_id: str, session: Session = None) -> list[Doc]:
    """Every category below ``category_id`` (its id is in their ``path``; multikey index)."""
    return list(db.categories.find({"path": category_id}, session=session))


def all_categories(db: Database, *, archived: bool | None, limit: int) -> list[Doc]:
    query: Doc = {} if archived is None else {"archived": archived}
    return list(db.categories.find(query).limit(limit))


def tax_classes(db: Database, limit: int) -> list[Doc]:
    return list(db.tax_classes.find({}).sort("name", ASCENDING).limit(limit))


def product_using_tax_class(db: Database, tax_class_id: str, session: Session = None) -> Doc | None:
    return db.products.find_one({"tax_class_id": tax_class_id}, {"_id": 1}, session=session)
