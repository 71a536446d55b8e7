"""Search as you type, favourites and category buttons, on a real store: accents and scripts,
typos, codes, archived items, ranking, prices and stock, bounded answers."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

import pytest
from sqlalchemy.orm import Session

from app import inventory
from app.domain.errors import InvalidInput, NotFound
from app.sales.identity import this_register
from app.till import search
from db.engine import LocalStore
from db.models import Barcode, Category, Product, TillFavourite, Variant
from tests.support import catalog

_n = count(1)


@dataclass(frozen=True, slots=True)
class Item:
    product_id: str
    variant_id: str
    sku: str
    barcode: str


def add(session: Session, name: str, *, brand: str = "", variant: str = "", sku: str | None = None,
        barcode: str | None = None, price: int = 250, category: Category | None = None,
        archived: bool = False, stock_milli: int | None = None, by_weight: bool = False) -> Item:
    """One product with one variant (and one barcode), written through the models."""
    n = next(_n)
    tax = catalog.tax_class(session, "Standard", ("VAT 21%", 210_000))
    product = Product(name=name, brand=brand, tax_class_id=tax.id, archived=archived,
                      category_id=category.id if category else None, sold_by_weight=by_weight)
    session.add(product)
    session.flush()
    return add_variant(session, product, variant, sku=sku or f"S{n:05d}",
                       barcode=barcode or f"99{n:011d}", price=price, stock_milli=stock_milli)


def add_variant(session: Session, product: Product, name: str, *, sku: str, barcode: str,
                price: int = 250, archived: bool = False, stock_milli: int | None = None) -> Item:
    variant = Variant(product_id=product.id, sku=sku, name=name, price=price, archived=archived)
    session.add(variant)
    session.flush()
    session.add(Barcode(code=barcode, variant_id=variant.id))
    if stock_milli is not None:
        store, _ = this_register(session)
        inventory.record_movement(session, store_id=store.id, variant_id=variant.id,
                                  quantity_milli=stock_milli, kind="receipt")
    session.flush()
    return Item(product.id, variant.id, sku, barcode)


def find(store: LocalStore, text: str, limit: int = 20) -> search.SearchResult:
    with store.read() as session:
        return search.search(session, text, limit=limit)


def names(result: search.SearchResult) -> list[str]:
    return [hit.name for hit in result.hits]


@pytest.fixture
def shop_items(blank_shop: LocalStore) -> LocalStore:
    with blank_shop.write() as s:
        add(s, "Crème Brûlée", brand="Maison Lune", price=450, stock_milli=3000)
        add(s, "Καφές Ελληνικός", brand="Λουμίδης")
        add(s, "Чай Русский", brand="Краснодар")
        add(s, "Croissant", brand="Boulangerie", stock_milli=0)
        add(s, "Whole Milk", brand="Fjord")
        add(s, "Dark Chocolate", brand="Atlas")
        add(s, "Lavender Soap", brand="Bloom")
        add(s, "Smørrebrød Œuvre", brand="Ærø")
    return blank_shop


# -- text ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["creme brulee", "CRÈME BRÛLÉE", "Crème", "brûl", "rul"])
def test_names_match_without_accents_or_case_and_as_substrings(shop_items, typed) -> None:
    assert names(find(shop_items, typed)) == ["Crème Brûlée"]


@pytest.mark.parametrize("typed, found", [
    ("καφες", "Καφές Ελληνικός"), ("ΚΑΦΕΣ", "Καφές Ελληνικός"), ("ελληνικοσ", "Καφές Ελληνικός"),
    ("чай", "Чай Русский"), ("РУССКИЙ", "Чай Русский"), ("смoрреброд", None),
    ("smorrebrod oeuvre", "Smørrebrød Œuvre"), ("aero", "Smørrebrød Œuvre")])
def test_greek_cyrillic_and_letters_without_decomposition(shop_items, typed, found) -> None:
    assert names(find(shop_items, typed)) == ([found] if found else [])


def test_every_word_must_match_in_the_name_or_the_brand(shop_items) -> None:
    assert names(find(shop_items, "maison creme")) == ["Crème Brûlée"]
    assert names(find(shop_items, "creme milk")) == []
    assert names(find(shop_items, "fjord")) == ["Whole Milk"]


def test_short_words_must_begin_a_word(shop_items) -> None:
    assert names(find(shop_items, "da ch")) == ["Dark Chocolate"]
    assert names(find(shop_items, "choc d")) == ["Dark Chocolate"]
    assert names(find(shop_items, "wh m")) == ["Whole Milk"]
    assert names(find(shop_items, "ar")) == []  # "dark" holds it, but no word begins with it
    assert names(find(shop_items, "l")) == ["Lavender Soap", "Crème Brûlée"]  # Maison Lune
    assert "Crème Brûlée" in names(find(shop_items, "lu"))  # Maison Lune


def test_query_syntax_and_junk_are_plain_text(shop_items) -> None:
    for junk in ['"', "milk OR *", 'NEAR(milk)', "milk AND", "-milk", "milk:", "'; DROP",
                 "\x00", "🥐", " " * 50, "x" * 5000, "milk\ud800", "\udfff", "\U0010ffff",
                 "a\ud7ff", "\uffff"]:
        result = find(shop_items, junk)
        assert result.query == junk
    assert names(find(shop_items, "milk *")) == ["Whole Milk"]
    assert names(find(shop_items, "milk\ud800")) == ["Whole Milk"]  # a lone surrogate dropped
    assert names(find(shop_items, "milk OR *")) == []  # "or" begins no word
    assert find(shop_items, "   ").hits == ()


def test_an_answer_names_the_text_it_answers(shop_items) -> None:
    assert find(shop_items, "Crème").query == "Crème"


# -- typos ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, corrected, found", [
    ("crossant", "croissant", "Croissant"),  # long word, one edit
    ("croisasnt", "croissant", "Croissant"),  # two neighbours swapped and… still two at most
    ("chcolaet", "chocolate", "Dark Chocolate"),  # long word, two edits
    ("mlik", "milk", "Whole Milk"),  # short word, a swap
    ("mik", "milk", "Whole Milk"),  # short word, one letter left out
    ("lavendr sop", "lavender soap", "Lavender Soap"),  # two words, each corrected
    ("dark chcolate", "dark chocolate", "Dark Chocolate"),
])
def test_a_word_that_matches_nothing_is_corrected(shop_items, typed, corrected, found) -> None:
    result = find(shop_items, typed)
    assert (names(result), result.corrected) == ([found], corrected)


@pytest.mark.parametrize("typed", ["mkil", "chclaet", "zzzz"])
def test_too_many_edits_find_nothing(shop_items, typed) -> None:
    # "mkil" is two edits from "milk" (short words allow one); "chclaet" three from "chocolate"
    result = find(shop_items, typed)
    assert (result.hits, result.corrected) == ((), None)


def test_a_word_that_matches_is_never_corrected(shop_items) -> None:
    result = find(shop_items, "mil")
    assert (names(result), result.corrected) == (["Whole Milk"], None)


# -- codes ---------------------------------------------------------------------------------------

@pytest.fixture
def coded(blank_shop: LocalStore) -> LocalStore:
    with blank_shop.write() as s:
        add(s, "Green Tea", sku="GT-1", barcode="5012345000017")
        add(s, "Tea Towel", sku="TT-1", barcode="5012345000024")
        add(s, "Earl Grey", sku="tea", barcode="5012345000031")
        add(s, "Mug", sku="MUG-1", barcode="4000000000001")
        add(s, "Chai", sku="TEA-9", barcode="4000000000002")
    return blank_shop


def test_a_whole_barcode_finds_its_item_first(coded) -> None:
    assert names(find(coded, "5012345000024")) == ["Tea Towel"]


def test_digits_typed_so_far_find_barcodes_beginning_with_them(coded) -> None:
    assert names(find(coded, "501234500")) == ["Earl Grey", "Green Tea", "Tea Towel"]
    assert names(find(coded, "400000000000")) == ["Mug", "Chai"]  # shorter names first


def test_skus_by_prefix_in_any_case_and_an_exact_sku_first(coded) -> None:
    assert names(find(coded, "mug")) == ["Mug"]
    assert names(find(coded, "tt-")) == ["Tea Towel"]
    # "tea" is Earl Grey's SKU exactly: first; then names and SKUs beginning with it, shorter
    # names first; then names with a word beginning with it
    assert names(find(coded, "tea")) == ["Earl Grey", "Chai", "Tea Towel", "Green Tea"]


# -- archived ------------------------------------------------------------------------------------

def test_archived_products_and_variants_are_never_shown(blank_shop) -> None:
    with blank_shop.write() as s:
        add(s, "Old Cheddar", sku="OLD-1", barcode="2000000000011", archived=True)
        kept = add(s, "Young Cheddar", sku="YNG-1", barcode="2000000000028")
        product = s.get(Product, kept.product_id)
        add_variant(s, product, "Gone", sku="YNG-2", barcode="2000000000035", archived=True)
        s.add(TillFavourite(position=0, variant_id=s.scalar(
            Variant.__table__.select().with_only_columns(Variant.id)
            .where(Variant.sku == "OLD-1")), label="Old"))
    for typed in ("cheddar", "old", "OLD-1", "2000000000011", "200000000", "gone", "yng"):
        assert "Old Cheddar" not in names(find(blank_shop, typed)), typed
        assert all(h.sku != "YNG-2" for h in find(blank_shop, typed).hits), typed
    assert names(find(blank_shop, "cheddar")) == ["Young Cheddar"]
    with blank_shop.read() as s:
        assert search.favourites(s) == []


# -- ranking -------------------------------------------------------------------------------------

def test_names_beginning_with_the_words_come_first_shorter_first(blank_shop) -> None:
    with blank_shop.write() as s:
        for name in ("Steak Knife", "Green Tea", "Tea Towel", "Teapot", "Tea", "Iced Tea Lemon"):
            add(s, name)
    assert names(find(blank_shop, "tea")) == [
        "Tea", "Teapot", "Tea Towel",  # begin with it
        "Green Tea", "Iced Tea Lemon",  # a word begins with it
        "Steak Knife"]  # holds it
    assert names(find(blank_shop, "te to")) == ["Tea Towel"]
    assert names(find(blank_shop, "gre te")) == ["Green Tea"]


def test_a_broad_word_answers_from_a_bounded_window(blank_shop, monkeypatch) -> None:
    monkeypatch.setattr(search, "WINDOW", 30)
    with blank_shop.write() as s:
        for n in range(40):
            add(s, f"Oat Bar {n:02d}" if n % 2 else f"Crunchy Oat Bar {n:02d}")
    result = find(blank_shop, "oat", limit=5)
    assert len(result.hits) == 5 and result.more
    assert all(name.startswith("Oat Bar") for name in names(result))
    few = find(blank_shop, "crunchy oat bar 04", limit=5)
    assert (names(few), few.more) == (["Crunchy Oat Bar 04"], False)


def test_a_match_that_takes_too_long_stops_and_says_there_may_be_more(shop_items,
                                                                      monkeypatch) -> None:
    monkeypatch.setattr(search, "MATCH_BUDGET_S", -1.0)  # out of time at once
    monkeypatch.setattr(search, "PROGRESS_STEPS", 1)
    with shop_items.read() as session:
        stopped = search.search(session, "milk")
        assert (stopped.hits, stopped.more) == ((), True)
        monkeypatch.setattr(search, "MATCH_BUDGET_S", 1.0)
        # the same read goes on: the stopped statement took nothing else with it
        assert names(search.search(session, "milk")) == ["Whole Milk"]


def test_limit_is_checked(shop_items) -> None:
    for bad in (0, -1, 101, True, "5"):
        with pytest.raises(InvalidInput) as caught:
            find(shop_items, "milk", limit=bad)  # type: ignore[arg-type]
        assert caught.value.field == "limit"
    assert len(find(shop_items, "o", limit=1).hits) == 1


# -- what a hit shows ----------------------------------------------------------------------------

def test_a_hit_shows_its_price_stock_and_codes(blank_shop) -> None:
    with blank_shop.write() as s:
        add(s, "Sourdough", sku="SD-1", barcode="2000000000042", price=450, stock_milli=12_000)
        add(s, "Rye", price=1205, stock_milli=0)
        add(s, "Bagel", price=99)  # never counted here
        add(s, "Loose Apples", price=300, by_weight=True, stock_milli=4_455)
        product = s.get(Product, add(s, "Hoodie", variant="M / Navy", sku="HD-M").product_id)
        add_variant(s, product, "L / Navy", sku="HD-L", barcode="2000000000059")
    sourdough = find(blank_shop, "sourdough").hits[0]
    assert (sourdough.sku, sourdough.barcode, sourdough.price, sourdough.price_text,
            sourdough.in_stock_text, sourdough.sold_by_weight) == (
        "SD-1", "2000000000042", 450, "4.50", "12 in stock", False)
    assert find(blank_shop, "rye").hits[0].in_stock_text == "out of stock"
    assert (find(blank_shop, "bagel").hits[0].in_stock_text,
            find(blank_shop, "bagel").hits[0].price_text) == ("", "0.99")
    apples = find(blank_shop, "apples").hits[0]
    assert (apples.in_stock_text, apples.sold_by_weight) == ("4.455 kg in stock", True)
    assert names(find(blank_shop, "hoodie navy")) == ["Hoodie L / Navy", "Hoodie M / Navy"]
    assert names(find(blank_shop, "hoodie m")) == ["Hoodie M / Navy"]


def test_stock_is_this_stores(blank_shop) -> None:
    with blank_shop.write() as s:
        add(s, "Sourdough", stock_milli=5000)
    with blank_shop.read() as s:
        with pytest.raises(NotFound) as caught:
            search.search(s, "sourdough", store_id="no-such-store")
        assert caught.value.field == "store"


# -- buttons -------------------------------------------------------------------------------------

def test_favourites_in_their_order_with_their_labels(blank_shop) -> None:
    with blank_shop.write() as s:
        apples = add(s, "Loose Apples", by_weight=True, price=300)
        bun = add(s, "Cinnamon Bun", price=275)
        s.add_all([TillFavourite(position=2, variant_id=apples.variant_id, label=""),
                   TillFavourite(position=1, variant_id=bun.variant_id, label="Bun")])
    with blank_shop.read() as s:
        shown = search.favourites(s)
    assert [(h.name, h.price_text, h.sold_by_weight) for h in shown] == [
        ("Bun", "2.75", False), ("Loose Apples", "3.00", True)]


def test_categories_with_something_to_sell_and_their_items(blank_shop) -> None:
    with blank_shop.write() as s:
        food = Category(name="Food", position=1)
        home = Category(name="Home", position=0)
        empty = Category(name="Empty", position=2)
        s.add_all([food, home, empty])
        s.flush()
        bread = Category(name="Bread", parent_id=food.id, position=1)
        fruit = Category(name="Fruit", parent_id=food.id, position=0)
        candles = Category(name="Candles", parent_id=home.id)
        s.add_all([bread, fruit, candles])
        s.flush()
        add(s, "Rye", category=bread)
        add(s, "Baguette", category=bread)
        add(s, "Loaf of the past", category=fruit, archived=True)
        add(s, "Oven Glove", category=home)
        ids = {c.name: c.id for c in (food, home, bread, fruit, candles)}
    with blank_shop.read() as s:
        assert search.categories(s) == [(ids["Home"], "Home"), (ids["Food"], "Food"),
                                         (ids["Bread"], "Bread")]
        assert [h.name for h in search.category_items(s, ids["Food"])] == ["Baguette", "Rye"]
        assert [h.name for h in search.category_items(s, ids["Bread"], 1)] == ["Baguette"]
        assert search.category_items(s, ids["Fruit"]) == []
        with pytest.raises(NotFound) as caught:
            search.category_items(s, "nope")
        assert caught.value.field == "category"


def test_the_demo_shop_has_a_dozen_favourites_for_items_without_a_barcode_to_scan(shop) -> None:
    with shop.read() as s:
        shown = search.favourites(s)
    assert len(shown) == 12
    assert sum(h.sold_by_weight for h in shown) >= 4  # loose fruit and veg from a scale
    assert len({h.variant_id for h in shown}) == 12
