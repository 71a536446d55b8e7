"""What the API (and the ``catalog`` feed) shows of stored catalogue documents: the staff view
of a product has its cost, the public view the same without it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.changes.log import Change

API = "/api/v1"
Doc = dict[str, Any]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def image_url(product_id: str, image_id: str) -> str:
    return f"{API}/products/{product_id}/images/{image_id}"


def image_view(product_id: str, image: Doc) -> Doc:
    return {"id": image["id"], "url": image_url(product_id, image["id"]),
            "content_type": image["content_type"], "width": image["width"],
            "height": image["height"],
            "thumb_url": image_url(product_id, image["id"]) + "?size=thumb"}


def variant_view(variant: Doc, *, staff: bool) -> Doc:
    view = {"id": variant["id"], "sku": variant["sku"], "name": variant.get("name", ""),
            "attributes": dict(variant.get("attributes") or {}),
            "barcodes": list(variant.get("barcodes") or []),
            "prices": variant.get("prices"), "archived": bool(variant.get("archived"))}
    if staff:
        view["cost"] = variant.get("cost")
    return view


def product_view(product: Doc, *, staff: bool = True) -> Doc:
    """The product as staff see it (``staff=False``: the public view, without ``cost``)."""
    view = {"id": product["_id"], "name": product["name"],
            "description": product.get("description", ""), "brand": product.get("brand", ""),
            "category_id": product.get("category_id"), "tags": list(product.get("tags") or []),
            "tax_class_id": product.get("tax_class_id"), "prices": dict(product.get("prices") or {}),
            "sold_by_weight": bool(product.get("sold_by_weight")),
            "low_stock_threshold_milli": product.get("low_stock_threshold_milli"),
            "variants": [variant_view(v, staff=staff) for v in product.get("variants", [])],
            "images": [image_view(product["_id"], i) for i in product.get("images", [])],
            "archived": bool(product.get("archived")), "version": int(product.get("version", 1)),
            "created_at": _iso(product.get("created_at")),
            "updated_at": _iso(product.get("updated_at"))}
    if staff:
        view["cost"] = dict(product.get("cost") or {})
    return view


def category_view(category: Doc) -> Doc:
    return {"id": category["_id"], "name": category["name"], "slug": category.get("slug", ""),
            "parent_id": category.get("parent_id"), "path": list(category.get("path") or []),
            "sort": int(category.get("sort", 0)), "archived": bool(category.get("archived")),
            "version": int(category.get("version", 1))}


def tax_class_view(tax_class: Doc) -> Doc:
    return {"id": tax_class["_id"], "name": tax_class["name"],
            "rates": [{"name": r["name"], "rate_ppm": int(r["rate_ppm"])}
                      for r in tax_class.get("rates", [])],
            "version": int(tax_class.get("version", 1))}


def product_change(product: Doc) -> Change:
    """The ``catalog`` feed entry of a product write: its full staff view."""
    return Change("product", product["_id"], version=int(product["version"]),
                  data=product_view(product, staff=True))


def category_change(category: Doc) -> Change:
    return Change("category", category["_id"], version=int(category["version"]),
                  data=category_view(category))


def tax_class_change(tax_class: Doc) -> Change:
    return Change("tax_class", tax_class["_id"], version=int(tax_class["version"]),
                  data=tax_class_view(tax_class))
