"""Spelling correction against the catalog's own words."""

from retrieval.spelling import Speller

SPELLER = Speller(["Toilet seat, elongated", "Plywood sheet 1/2 in.", "Window air conditioner 10000 BTU", "Charger for solar lights"])


def test_misspelt_words_are_fixed_and_known_words_kept():
    assert SPELLER.fixes("toliet seat") == {"toliet": "toilet"}
    assert SPELLER.fixes("plyweood 1/2") == {"plyweood": "plywood"}
    assert SPELLER.fixes("toilet seats") == {}  # a plural of a catalog word is not a typo
    assert SPELLER.fixes("red") == {}  # too short to judge


def test_rewrite_keeps_the_original_words_for_bm25():
    dense, sparse = SPELLER.rewrite("window air condiioner")
    assert dense == "window air conditioner"
    assert "condiioner" in sparse and "conditioner" in sparse


def test_words_the_catalog_writes_as_one_are_joined_for_bm25():
    speller = Speller(["Dishwasher in white", "Stainless dishwasher", "Compact dishwasher", "BR30 LED flood bulb"])
    assert speller.compounds("dish washer white") == ["dishwasher"]
    assert speller.compounds("br 30 bulb") == ["br30"]  # a model or size code split by a space
    assert speller.compounds("white dish") == []  # "whitedish" is no catalog word
    dense, sparse = speller.rewrite("dish washer")
    assert dense == "dish washer" and sparse.split() == ["dish", "washer", "dishwasher"]
