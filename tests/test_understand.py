"""Understanding messages and follow-ups, pinned down on the deterministic parser."""

from __future__ import annotations

import pytest

from assistant.understand import Vocabulary, parse_prices, understand

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
    r2 = understand("cheaper", VOCAB, r1, shown_prices=[84.0, 99.0])
    assert (
        r2.intent == "refine" and r2.constraints.price_max == pytest.approx(75.6) and r2.constraints.categories == r1.constraints.categories
    )
    r3 = understand("in white", VOCAB, r2)
    assert r3.constraints.colors == ["white"] and r3.constraints.price_max == r2.constraints.price_max
    r4 = understand("not Logitech", VOCAB, r3)
    assert r4.constraints.exclude_brands == ["Logitech"] and r4.constraints.colors == ["white"]
    r5 = understand("not that brand", VOCAB, r4, shown_brands=["Keychron", "Razer"])
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
    r = understand(message, VOCAB, prev)
    assert r.intent == intent and r.refs == refs


def test_brand_with_apostrophe_and_negation():
    r = understand("espresso machine around $300, not De'Longhi", VOCAB)
    assert r.constraints.exclude_brands == ["De'Longhi"] and r.constraints.categories == ["Home > Kitchen > Coffee"]


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
