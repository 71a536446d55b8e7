"""The demo shop's recipe, pure: names, categories, brands, prices, SKUs and barcodes drawn from
a seeded ``random.Random``. The desktop's demo (``app.demo``) and the central server's
``seed-demo`` both follow it, so the same seed gives the same shop on a till and on the server."""

from __future__ import annotations

import random
from dataclasses import dataclass

from app.domain.barcodes import in_store_ean13, make_ean13

#: PINs of the demo staff (shown in the README and on the sign-in screen of the demo).
DEMO_STAFF = (
    ("Olivia Owner", "owner@demo.tillpoint", "owner", "1111"),
    ("Max Manager", "manager@demo.tillpoint", "manager", "2222"),
    ("Cara Cashier", "cara@demo.tillpoint", "cashier", "3333"),
    ("Carl Cashier", "carl@demo.tillpoint", "cashier", "4444"),
    ("Stan Stock", "stock@demo.tillpoint", "stock_clerk", "5555"),
    ("Sue Support", "support@demo.tillpoint", "support", "6666"),
)

CATEGORIES = {
    "Groceries": ["Fruit & Veg", "Dairy", "Pantry", "Frozen"],
    "Bakery": ["Bread", "Pastry"],
    "Drinks": ["Coffee & Tea", "Soft Drinks", "Wine"],
    "Clothing": ["T-shirts", "Jumpers", "Socks"],
    "Home": ["Kitchen", "Candles", "Textiles"],
    "Stationery": ["Notebooks", "Pens"],
    "Toys": ["Puzzles", "Plush"],
    "Beauty": ["Soap", "Skin Care"],
}
TAX_FOR = {"Groceries": "Reduced", "Bakery": "Reduced", "Drinks": "Standard",
            "Clothing": "Standard", "Home": "Standard", "Stationery": "Standard",
            "Toys": "Standard", "Beauty": "Standard"}
NOUNS = {
    "Fruit & Veg": ["Apples", "Bananas", "Tomatoes", "Carrots", "Pears", "Grapes", "Leeks"],
    "Dairy": ["Milk", "Butter", "Yoghurt", "Cheddar", "Brie", "Cream", "Skyr"],
    "Pantry": ["Olive Oil", "Pasta", "Rice", "Lentils", "Honey", "Jam", "Flour"],
    "Frozen": ["Peas", "Ice Cream", "Pizza", "Berries", "Spinach"],
    "Bread": ["Sourdough", "Baguette", "Rye Loaf", "Bagels", "Focaccia"],
    "Pastry": ["Croissant", "Pain au Chocolat", "Cinnamon Bun", "Éclair", "Tart"],
    "Coffee & Tea": ["Espresso Beans", "Green Tea", "Earl Grey", "Filter Coffee", "Chai"],
    "Soft Drinks": ["Lemonade", "Cola", "Ginger Beer", "Sparkling Water", "Iced Tea"],
    "Wine": ["Rioja", "Chianti", "Riesling", "Rosé", "Prosecco"],
    "T-shirts": ["Crew T-shirt", "V-neck T-shirt", "Pocket Tee", "Long-sleeve Tee"],
    "Jumpers": ["Wool Jumper", "Cardigan", "Hoodie", "Fleece"],
    "Socks": ["Ankle Socks", "Wool Socks", "Sport Socks"],
    "Kitchen": ["Chef's Knife", "Cutting Board", "Mug", "Teapot", "Colander"],
    "Candles": ["Pillar Candle", "Tealights", "Scented Candle"],
    "Textiles": ["Tea Towel", "Cushion", "Throw", "Napkins"],
    "Notebooks": ["Notebook A5", "Sketchbook", "Planner", "Jotter"],
    "Pens": ["Fountain Pen", "Gel Pen", "Pencil Set", "Marker"],
    "Puzzles": ["Jigsaw 500", "Jigsaw 1000", "Brain Teaser"],
    "Plush": ["Teddy Bear", "Plush Fox", "Plush Whale"],
    "Soap": ["Olive Soap", "Lavender Soap", "Oat Soap"],
    "Skin Care": ["Hand Cream", "Lip Balm", "Face Oil"],
}
ADJECTIVES = ["Organic", "Classic", "Rustic", "Fresh", "Nordic", "Golden", "Smoky", "Wild",
               "Crème", "Alpine", "Sunny", "Velvet", "Tiny", "Grand", "Ελληνικό", "Русский",
               "Spiced", "Heritage", "Coastal", "Midnight"]
BRANDS = ["Hearth & Co", "Fjord", "Maison Lune", "Greenfield", "Atlas", "Kettle Bros",
           "Papyrus", "Bloom", "Northwind", "Olivar"]
SIZES = ["S", "M", "L", "XL"]
COLOURS = ["Black", "Navy", "Oat", "Forest"]
FIRST_NAMES = ["Ana", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas",
          "Kofi", "Lena", "Mateo", "Nora", "Omar", "Paula", "Quinn", "Rosa", "Sven", "Yara"]
LAST_NAMES = ["Almeida", "Berg", "Costa", "Dubois", "Evans", "Fischer", "García", "Horvat", "Ivanova",
         "Jensen", "Kowalski", "López", "Müller", "Novak", "Okafor", "Papadopoulos", "Rossi"]

#: The demo's tax classes: (name, rate in ppm).
TAX_CLASSES = (("Standard", 210_000), ("Reduced", 60_000), ("Zero", 0))


@dataclass(frozen=True, slots=True)
class VariantRecipe:
    sku: str
    name: str
    attributes: dict[str, str]
    price: int  # minor units
    cost: int
    barcode: str  # a valid EAN-13
    quantity_milli: int | None  # opening stock (None: no stock drawn)


@dataclass(frozen=True, slots=True)
class ProductRecipe:
    name: str
    description: str
    brand: str
    tags: tuple[str, str]
    sold_by_weight: bool
    tax_class: str  # a name of TAX_CLASSES
    variants: tuple[VariantRecipe, ...]


def product_recipe(rng: random.Random, n: int, leaf: str, top: str, *, barcode_no: int,
                   initial_stock: bool) -> ProductRecipe:
    """Product number ``n`` of category ``leaf`` (under ``top``); its variants take the
    in-store barcode numbers from ``barcode_no`` on. The order of draws from ``rng`` is part of
    the recipe: changing it changes every demo shop after this product."""
    noun = rng.choice(NOUNS[leaf])
    name = f"{rng.choice(ADJECTIVES)} {noun}" + (f" #{n // 997}" if n >= 997 else "")
    # Some fruit is sold by weight from a scale label (only the first 100,000 products:
    # the label's item field has five digits).
    by_weight = leaf == "Fruit & Veg" and n % 3 == 0 and n < 100_000
    description = f"{name} from {rng.choice(BRANDS)}."
    brand = rng.choice(BRANDS)
    base_price = rng.randrange(49, 5000) if top != "Clothing" else rng.randrange(900, 8000)
    if top == "Clothing":
        options = [(s, c) for s in SIZES for c in rng.sample(COLOURS, 2)]
    else:
        options = [None]
    variants = []
    for option in options:
        sku = f"D{n:07d}" + (f"-{option[0]}-{option[1][:3].upper()}" if option else "")
        cost = base_price * rng.randrange(35, 70) // 100
        # A scale label for this item: 25 IIIII 00000 C (weight in grams embedded).
        code = make_ean13(f"25{n:05d}00000") if by_weight else in_store_ean13(barcode_no)
        barcode_no += 1
        quantity = rng.randrange(0, 80) * 1000 if initial_stock else None
        variants.append(VariantRecipe(
            sku=sku, name=f"{option[0]} / {option[1]}" if option else "",
            attributes={"size": option[0], "colour": option[1]} if option else {},
            price=base_price, cost=cost, barcode=code, quantity_milli=quantity))
    return ProductRecipe(name, description, brand, (top.lower(), leaf.lower()), by_weight,
                         TAX_FOR[top], tuple(variants))
