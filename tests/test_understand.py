"""Understanding messages and follow-ups, pinned down on the deterministic parser."""

from __future__ import annotations

import pytest

from assistant.understand import Shown, parse_prices, understand
from assistant.vocabulary import Vocabulary
from records import Product

VOCAB = Vocabulary(
    brands=["Logitech", "Keychron", "Razer", "De'Longhi", "Sony"],
    colors=["black", "white", "graphite", "pale grey"],
    categories=["Electronics > Keyboards", "Electronics > Mice", "Electronics > Headphones", "Home > Kitchen > Coffee"],
)


@pytest.mark.parametrize(
    "text,lo,hi",
    [
        ("under $100", None, 100),
        ("below 50 dollars", None, 50),
        ("between $50 and $120", 50, 120),
        ("$20-$40", 20, 40),
        ("over £30", 30, None),
        ("around $200", 160, 240),
        ("no price here", None, None),
    ],
)
def test_prices(text, lo, hi):
    got_lo, got_hi, _ = parse_prices(text)
    assert (got_lo, got_hi) == (lo, hi)


def test_first_message_sets_category_price_and_search_words():
    r = understand("a quiet keyboard for the office under $100", VOCAB)
    assert r.intent == "search" and r.constraints.price_max == 100
    assert r.constraints.categories == ["Electronics > Keyboards"] and "quiet" in r.text and "$" not in r.text


def test_follow_ups_refine_the_previous_request():
    r1 = understand("a quiet keyboard for the office under $100", VOCAB)
    r2 = understand("cheaper", VOCAB, r1, Shown(["a", "b"], [84.0, 99.0], ["Keychron", "Razer"], ["A", "B"]))
    assert (
        r2.intent == "refine" and r2.constraints.price_max == pytest.approx(75.6) and r2.constraints.categories == r1.constraints.categories
    )
    r3 = understand("in white", VOCAB, r2, Shown(["a"], [70.0], ["Keychron"], ["A"]))
    assert r3.constraints.colors == ["white"] and r3.constraints.price_max == r2.constraints.price_max
    r4 = understand("not Logitech", VOCAB, r3, Shown(["a"], [70.0], ["Keychron"], ["A"]))
    assert r4.constraints.exclude_brands == ["Logitech"] and r4.constraints.colors == ["white"]
    r5 = understand("not that brand", VOCAB, r4, Shown(["a", "b"], [70.0, 80.0], ["Keychron", "Razer"], ["A", "B"]))
    assert r5.constraints.exclude_brands == ["Logitech", "Keychron"]


def test_a_new_category_starts_a_new_search():
    r1 = understand("white keyboard under $50", VOCAB)
    r2 = understand("noise cancelling headphones by Sony", VOCAB, r1)
    assert r2.intent == "search" and r2.constraints.brands == ["Sony"] and r2.constraints.price_max is None and r2.constraints.colors == []


@pytest.mark.parametrize(
    "message,intent,refs",
    [
        ("compare the first two", "compare", [1, 2]),
        ("why #2?", "why", [2]),
        ("why this one", "why", [1]),
        ("show more like #3", "more_like", [3]),
        ("show more", "more", []),
        ("hi", "greeting", []),
        ("", "empty", []),
    ],
)
def test_intents_and_references(message, intent, refs):
    prev = understand("keyboard", VOCAB)
    r = understand(message, VOCAB, prev, Shown(["k1", "k2", "k3"], [1.0, 2.0, 3.0], ["A", "B", "C"], ["K1", "K2", "K3"]))
    assert r.intent == intent and r.refs == refs


def test_brand_with_apostrophe_and_negation():
    r = understand("espresso machine around $300, not De'Longhi", VOCAB)
    assert r.constraints.exclude_brands == ["De'Longhi"] and r.constraints.brands == [] and r.constraints.price_max == 360


@pytest.mark.parametrize(
    "text,lo,hi",
    [
        ("under a hundred dollars", None, 100),
        ("less than fifty bucks", None, 50),
        ("between twenty and forty dollars", 20, 40),
        ("under a hundred and fifty", None, 150),
    ],
)
def test_prices_in_words(text, lo, hi):
    got_lo, got_hi, _ = parse_prices(text)
    assert (got_lo, got_hi) == (lo, hi)


def test_number_words_that_are_not_prices_stay_words():
    r = understand("the first two keyboards", VOCAB)
    assert r.constraints.price_max is None and r.constraints.price_min is None


@pytest.mark.parametrize(
    "text,brand", [("a logitek mouse", "Logitech"), ("keychron keyboard", "Keychron"), ("a delonghi espresso machine", "De'Longhi")]
)
def test_brands_typed_loosely(text, brand):
    assert understand(text, VOCAB).constraints.brands == [brand]


def test_short_brands_are_not_guessed_from_lookalike_words():
    assert understand("a sofa for my nose", VOCAB).constraints.brands == []  # not "Sony"


def test_a_singular_category_name_matches():
    assert understand("a keyboard", VOCAB).constraints.categories == ["Electronics > Keyboards"]
    assert understand("one mouse", VOCAB).constraints.categories == ["Electronics > Mice"]


def test_a_product_word_inside_a_brand_name_is_not_that_brand():
    vocab = Vocabulary(brands=["Nespresso", "Das Keyboard"], categories=VOCAB.categories)
    assert understand("an espresso machine and a quiet keyboard", vocab).constraints.brands == []


@pytest.mark.parametrize(
    "message, text",
    [
        ("buy again", ""),
        ("what do I need again?", ""),
        ("show me my usual", ""),
        ("reorder coffee beans please", "coffee beans"),
        ("I'm running low on filters", "filters"),
    ],
)
def test_asking_for_a_reorder_is_not_a_search(message, text):
    req = understand(message, VOCAB)
    assert req.intent == "reorder" and req.text == text


def test_a_product_that_runs_out_of_battery_is_still_a_search():
    assert understand("headphones that never keep running out of battery", VOCAB).intent == "search"


# ---- a catalog the code was not written for: everything comes from the store ---------------------
def toy(pid: str, title: str, brand: str, category: str, **attributes) -> Product:
    return Product(id=pid, title=title, brand=brand, category=category, price=10.0, attributes=attributes)


TOYS = Vocabulary.of(
    [
        toy(f"h{i}", f"Hornby {n} Train Set", "Hornby", "Hobbies > Model Trains > Trains")
        for i, n in enumerate(["Express", "Flyer", "Goods", "Pullman"])
    ]
    + [
        toy(f"s{i}", f"Classic {n} Train Set with track", maker, "Hobbies > Model Trains > Trains")
        for i, (n, maker) in enumerate([("Wooden", "Brio"), ("Battery", "ccf"), ("Magnetic", "Set")])
    ]
    + [toy(f"g{i}", f"{n} Card Game Set", "Games", "Games > Card Games") for i, n in enumerate(["Family", "Party", "Travel"])]
    + [toy(f"p{i}", f"Jigsaw Set {n}", "Ravensburger", "Jigsaws & Puzzles > Jigsaws") for i, n in enumerate(["Castle", "Sea"])]
)


def test_a_makers_name_that_is_an_everyday_word_is_a_search_word():
    r = understand("a Hornby train set", TOYS)
    assert r.constraints.brands == ["Hornby"] and "set" in r.text and "train" in r.text
    assert understand("a card game set for the family", TOYS).constraints.brands == []
    assert understand("a jigsaw by Set", TOYS).constraints.brands == ["Set"]  # a clear cue means the maker


def test_the_currency_comes_from_the_catalog():
    uk = Vocabulary.of([Product(id="x", title="Kite", currency="GBP", price=3.0)])
    assert uk.currency == "GBP" and Vocabulary.of([]).currency == "USD"


def gear(pid: str, title: str, category: str, description: str = "", **attributes) -> Product:
    return Product(id=pid, title=title, category=category, description=description, price=100.0, attributes=attributes)


GEAR = Vocabulary.of(
    [
        gear(f"j{i}", f"{n} Rain Jacket", "Clothing > Jackets", "keeps the rain out", waterproof=True, insulated=False)
        for i, n in enumerate("ABCD")
    ]
    + [
        gear(f"d{i}", f"{n} Down Jacket", "Clothing > Jackets", "warm for winter", waterproof=False, insulated=True)
        for i, n in enumerate("EFGH")
    ]
    + [
        gear(f"s{i}", f"{n} Shoe", "Clothing > Running Shoes", surface=s, width=w)
        for i, (n, s, w) in enumerate([("Trail", "trail", "wide"), ("Road", "road", "narrow"), ("Daily", "road", "wide")])
    ]
    + [
        gear(f"h{i}", f"{n} Headphones", "Electronics > Headphones", battery_hours=h)
        for i, (n, h) in enumerate([("A", 20), ("B", 30), ("C", 60)])
    ]
)


@pytest.mark.parametrize(
    "message, attributes, ranges",
    [
        ("a waterproof jacket", {"waterproof": ["true"]}, {}),
        ("a jacket for the rain", {"waterproof": ["true"]}, {}),  # the catalog's own word for it
        ("a warm jacket", {"insulated": ["true"]}, {}),
        ("running shoes for trail and wide feet", {"surface": ["trail"], "width": ["wide"]}, {}),
        ("headphones with at least 30 hours", {}, {"battery_hours": [30.0, None]}),
        ("a jacket that is not waterproof", {}, {}),
    ],
)
def test_facets_come_from_the_catalogs_attributes(message, attributes, ranges):
    c = understand(message, GEAR).constraints
    assert c.attributes == attributes and c.ranges == ranges


def test_a_cheaper_ceiling_does_not_outlive_its_need():
    r1 = understand("a rain jacket", GEAR)
    r2 = understand("cheaper", GEAR, r1, Shown(["j0", "j1"], [100.0, 120.0], ["", ""], ["A", "B"]))
    assert r2.intent == "refine" and r2.constraints.price_max == 90.0
    r3 = understand("running shoes", GEAR, r2)
    assert r3.intent == "search" and r3.fresh and r3.constraints.price_max is None and r3.constraints.attributes == {}


@pytest.mark.parametrize("message", ["let's start over", "start again", "new search", "forget all that"])
def test_start_over_clears_everything(message):
    r1 = understand("a rain jacket not by Columbia", GEAR)
    r = understand(message, GEAR, r1)
    assert r.intent == "reset" and r.constraints.exclude_brands == [] and r.text == ""


def test_start_over_with_a_new_need_is_that_need_alone():
    r1 = understand("a rain jacket under $50", GEAR)
    r = understand("start over, I need headphones", GEAR, r1)
    assert r.intent == "search" and r.constraints.price_max is None and r.constraints.categories == ["Electronics > Headphones"]


def test_more_keeps_the_need():
    r1 = understand("a rain jacket under $150", GEAR)
    r = understand("show me more", GEAR, r1, Shown(["j0"], [100.0], [""], ["A"]))
    assert r.intent == "more" and r.constraints.price_max == 150 and r.constraints.attributes == {"waterproof": ["true"]}


@pytest.mark.parametrize(
    "message, act",
    [
        ("does it work with Mac?", "question"),
        ("is the first one waterproof?", "question"),
        ("what do reviews say about it?", "question"),
        ("how long does the battery last on that one?", "question"),
        ("add the first one to my cart", "cart_add"),
        ("remove it from my cart", "cart_remove"),
        ("what's in my cart?", "cart_show"),
        ("what is your return policy?", "store"),
        ("do you ship to Canada?", "store"),
        ("talk to a human", "handoff"),
        ("do you have anything waterproof?", "refine"),
        ("which jackets do you have under $100?", "refine"),
    ],
)
def test_dialogue_acts(message, act):
    prev = understand("a rain jacket", GEAR)
    assert understand(message, GEAR, prev, Shown(["j0", "j1"], [100.0, 120.0], ["", ""], ["A Rain Jacket", "B Rain Jacket"])).intent == act


def test_a_shown_product_is_named_by_its_maker():
    prev = understand("a rain jacket", GEAR)
    shown = Shown(["c", "m"], [70.0, 100.0], ["Columbia", "Marmot"], ["Columbia Watertight", "Marmot PreCip"])
    r = understand("what sizes does the Columbia come in?", GEAR, prev, shown)
    assert r.intent == "question" and r.refs == [1]
