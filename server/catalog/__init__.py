"""The catalogue: products (with variants, barcodes, SKUs, prices per currency, cost, images),
categories as a tree, brands, tags and tax classes: ``/products``, ``/categories``,
``/tax-classes``, ``/brands``.

Stored shapes (other domains read these through ``server.catalog.lookup``, never directly):

``products``::

    {_id: str (uuid4), name: str, description: str, brand: str ("" for none),
     category_id: str | None, tags: [str], tax_class_id: str | None,
     prices: {"EUR": 1299, ...},      # integer minor units per ISO currency
     cost: {"EUR": 700, ...},         # may be empty
     sold_by_weight: bool,            # quantities may be fractional (thousandths)
     low_stock_threshold_milli: int | None,
     variants: [{id: str (uuid4), sku: str, name: str ("" for a product without options),
                 attributes: {"size": "M", "colour": "red"}, barcodes: [str],
                 prices: {cur: int} | None,   # None: the product's prices
                 cost: {cur: int} | None, archived: bool}],
     images: [{id, content_type, width, height, bytes,     # id: content-addressed (sha256)
               thumb: {width, height}}],               # blobs: server.media (GridFS)
     archived: bool, version: int, created_at: datetime, updated_at: datetime}

``codes`` (uniqueness and scan lookup across the whole catalogue)::

    {_id: "<barcode or SKU>", kind: "barcode" | "sku", product_id, variant_id}

``categories``: ``{_id, name, slug, parent_id | None, path: [ancestor ids, root first],
sort: int, archived: bool, version, created_at, updated_at}``

``tax_classes``: ``{_id, name, rates: [{name, rate_ppm}], version, created_at, updated_at}``

``brands``: ``{_id: brand, count: int}`` — active (non-archived) products per brand, moved in
the same transaction as each product write (``GET /brands`` reads it, never scans products).

Every write appends the entity's view to the ``catalog`` feed of ``server.changes.log`` in the
same transaction (entities ``product``, ``category``, ``tax_class``).
"""
